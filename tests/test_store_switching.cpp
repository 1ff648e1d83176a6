// DoubleBufferedKV<B>, switching and no resurrection (docs/DURABILITY.md).
//  - Switching: the seed's example (two 1 KiB buffers, ratio 0.4) switches
//    A -> B -> A -> B ... keeping every key, across reopens after each
//    switch; compact() on demand.
//  - No resurrection (the first design's defect 3): clear(), deleting every
//    key and overwriting, then a restart, with either journal active, while
//    the other journal provably still holds the old data; a clock stepped
//    backwards (creation times swapped in the headers) changes nothing.
#include "store_fixture.hpp"

using namespace store_fixture;

namespace {

// The seed's example: two 1 KiB journals at ratio 0.4, a dozen keys written,
// overwritten, erased and batched. At every switch the roles alternate, the
// generation and switch_count() move by exactly one, every key is there, and
// a restart right after it finds the same store (same journal active, same
// generation, same keys).
template <class Fx>
void seed_example(Fx& fx, int writes, int& switches, int& restarts, std::string& trace) {
  const StoreOptions o{.initial_size = 1024, .max_size = 1024, .high_water_mark_ratio = 0.4, .compaction_room = 0};
  auto s = fx.open(o);
  REQUIRE(s->active() == 0);
  REQUIRE(s->generation() == 1);
  REQUIRE(s->switch_count() == 0);
  REQUIRE(s->high_water_mark() == (1024 - 256) * 4 / 10);  // 307 bytes of 768
  Index model;
  int active = 0;
  std::uint64_t gen = 1;
  std::uint64_t count = 0;
  trace = "A";
  for (int i = 0; i < writes; ++i) {
    const std::string key = "key_" + std::to_string(i % 12);
    INFO("write " << i << " " << key << ", switches so far:" << trace);
    if (i % 10 == 7) {
      s->erase(key);
      model.erase(key);
    } else if (i % 10 == 9) {
      const std::vector<Item> items{
          {key, Value(i)}, {"key_" + std::to_string((i + 5) % 12), Value("v" + std::to_string(i))}};
      s->set_many(items);
      for (const auto& [k, v] : items) model[k] = v;
    } else {
      s->set(key, Value("value_" + std::to_string(i)));
      model[key] = Value("value_" + std::to_string(i));
    }
    REQUIRE(s->as_hashmap() == model);
    if (s->active() == active) {
      REQUIRE(s->switch_count() == count);
      REQUIRE(s->generation() == gen);
      continue;
    }
    ++switches;
    trace += active == 0 ? " -> B" : " -> A";
    REQUIRE(s->active() == 1 - active);
    REQUIRE(s->switch_count() == count + 1);
    REQUIRE(s->generation() == gen + 1);
    REQUIRE(s->usage_ratio() < 0.4);  // the snapshot sits below the mark
    active = s->active();
    gen = s->generation();
    if constexpr (Fx::file) {
      CHECK(fx.file_size(0) == 1024);
      CHECK(fx.file_size(1) == 1024);
    }
    // Restart right after the switch.
    s.reset();
    s = fx.open(o);
    ++restarts;
    REQUIRE(s->active() == active);
    REQUIRE(s->generation() == gen);
    REQUIRE(s->as_hashmap() == model);
    REQUIRE(s->recovery().loss == DataLoss::none);
    count = s->switch_count();  // this instance's own count
    CHECK(count == 0);
  }
  s.reset();
  s = fx.open(o);
  CHECK(s->as_hashmap() == model);
  CHECK(s->active() == active);
}

}  // namespace

TEMPLATE_TEST_CASE(
    "store: the seed example: two 1 KiB journals at ratio 0.4 switch A -> B -> A -> B "
    "and keep every key, across a restart after each switch",
    "[store]", SpanPair, FilePair) {
  TestType fx = [] {
    if constexpr (TestType::file)
      return TestType{};
    else
      return TestType(1024);
  }();
  int switches = 0, restarts = 0;
  std::string trace;
  seed_example(fx, 400, switches, restarts, trace);
  CHECK(switches >= 20);
  WARN(TestType::name << ": " << switches << " switches in 400 writes, " << restarts
                      << " restarts: " << trace.substr(0, 60) << " ...");
}

TEMPLATE_TEST_CASE("store: compact() switches on demand, keeps every key and bumps the generation",
                   "[store]", SpanPair, FilePair, AnonPair) {
  TestType fx;
  const StoreOptions o{.initial_size = 4096, .compaction_room = 0};
  auto s = fx.open(o);
  // An empty store compacts too.
  s->compact();
  CHECK(s->active() == 1);
  CHECK(s->generation() == 2);
  CHECK(s->switch_count() == 1);
  CHECK(s->empty());
  Index model;
  for (int i = 0; i < 50; ++i) {
    s->set(key_n(i), Value(i));
    model[key_n(i)] = Value(i);
  }
  for (int c = 0; c < 5; ++c) {
    const int before = s->active();
    const std::uint64_t gen = s->generation();
    s->compact();
    CHECK(s->active() == 1 - before);
    CHECK(s->generation() == gen + 1);
    CHECK(s->switch_count() == static_cast<std::uint64_t>(c) + 2);
    CHECK(s->as_hashmap() == model);
    CHECK(s->recovery().loss == DataLoss::none);
  }
  if constexpr (TestType::persistent) {
    const int active = s->active();
    s.reset();
    s = fx.open(o);
    CHECK(s->active() == active);
    CHECK(s->generation() == 7);
    CHECK(s->as_hashmap() == model);
  }
}

namespace {

enum class Wipe { clear, erase_each, erase_batch, overwrite };

const char* wipe_name(Wipe w) {
  switch (w) {
    case Wipe::clear:
      return "clear()";
    case Wipe::erase_each:
      return "erase() of every key";
    case Wipe::erase_batch:
      return "set_many() of nulls for every key";
    case Wipe::overwrite:
      return "overwrite of every key";
  }
  return "?";
}

// Old keys in both journals, then the wipe, then a restart. `pre`
// compactions before the wipe choose which journal is active at the restart.
// Returns that journal.
template <class Fx>
int wipe_then_restart(Wipe wipe, int pre) {
  Fx fx;
  const StoreOptions o{.initial_size = 16 * 1024, .compaction_room = 0};  // room: the wipe itself never switches
  Index model;
  int active = -1;
  std::uint64_t gen = 0;
  {
    auto s = fx.open(o);
    for (int i = 0; i < 20; ++i) {
      s->set(key_n(i), Value("old-" + std::to_string(i)));
      model[key_n(i)] = Value("old-" + std::to_string(i));
    }
    for (int c = 0; c < pre; ++c) s->compact();  // both journals now hold the old keys
    const std::uint64_t switches = s->switch_count();
    switch (wipe) {
      case Wipe::clear:
        s->clear();
        model.clear();
        break;
      case Wipe::erase_each:
        for (int i = 0; i < 20; ++i) s->erase(key_n(i));
        model.clear();
        break;
      case Wipe::erase_batch: {
        std::vector<Item> nulls;
        for (int i = 0; i < 20; ++i) nulls.emplace_back(key_n(i), Value());
        s->set_many(nulls);
        model.clear();
        break;
      }
      case Wipe::overwrite:
        for (int i = 0; i < 20; ++i) {
          s->set(key_n(i), Value(i * 1000));
          model[key_n(i)] = Value(i * 1000);
        }
        break;
    }
    // clear() is a compaction to an empty snapshot; the others only append.
    REQUIRE(s->switch_count() == switches + (wipe == Wipe::clear ? 1 : 0));
    REQUIRE(s->as_hashmap() == model);
    active = s->active();
    gen = s->generation();
  }
  // The standby still holds every old key under an older generation: a
  // restart that picked "the journal that has data" or the newer clock
  // would bring them back.
  const Inspected standby = inspect(fx.bytes(1 - active));
  const Inspected current = inspect(fx.bytes(active));
  REQUIRE(standby.readable);
  REQUIRE(current.readable);
  CHECK(standby.index.size() == 20);
  CHECK(standby.index.count(key_n(7)) == 1);
  CHECK(standby.meta.generation < current.meta.generation);
  CHECK(current.meta.generation == gen);
  {
    auto s = fx.open(o);
    CHECK(s->active() == active);
    CHECK(s->generation() == gen);
    CHECK(s->as_hashmap() == model);
    CHECK(s->recovery().loss == DataLoss::none);
    CHECK(!s->contains(key_n(7)) == (wipe != Wipe::overwrite));
    // Written to and restarted again: still nothing old.
    s->set("after", Value(1));
    model["after"] = Value(1);
  }
  {
    auto s = fx.open(o);
    CHECK(s->as_hashmap() == model);
  }
  return active;
}

}  // namespace

TEMPLATE_TEST_CASE(
    "store: clear(), deleting every key or overwriting, then a restart never brings "
    "old values back, whichever journal is active (first design defect 3)",
    "[store]", SpanPair, FilePair) {
  for (const Wipe wipe : {Wipe::clear, Wipe::erase_each, Wipe::erase_batch, Wipe::overwrite}) {
    INFO(wipe_name(wipe));
    std::set<int> active_at_restart;
    for (int pre = 1; pre <= 2; ++pre)
      active_at_restart.insert(wipe_then_restart<TestType>(wipe, pre));
    CHECK(active_at_restart == std::set<int>{0, 1});  // once with A active, once with B
  }
}

TEMPLATE_TEST_CASE(
    "store: a clock stepped backwards changes nothing: the newer generation wins "
    "whatever the creation times say (first design defect 3)",
    "[store]", SpanPair, FilePair) {
  std::set<int> actives;
  for (int pre = 1; pre <= 2; ++pre) {
    TestType fx;
    const StoreOptions o{.initial_size = 4096, .compaction_room = 0};
    Index model;
    int active = -1;
    std::uint64_t gen = 0;
    const std::uint64_t t0 = memvec::kv::detail::now_unix_ns();
    {
      auto s = fx.open(o);
      for (int i = 0; i < 10; ++i) {
        s->set(key_n(i), Value("old"));
        model[key_n(i)] = Value("old");
      }
      for (int c = 0; c < pre; ++c) s->compact();
      // Only in the active journal: the standby's content differs.
      s->set(key_n(0), Value("newest"));
      s->erase(key_n(1));
      model[key_n(0)] = Value("newest");
      model.erase(key_n(1));
      active = s->active();
      gen = s->generation();
    }
    const std::uint64_t t1 = memvec::kv::detail::now_unix_ns();
    std::vector<std::byte> newer = fx.bytes(active), older = fx.bytes(1 - active);
    // The journals record their creation time (for people)...
    const Inspected n0 = inspect(newer), o0 = inspect(older);
    REQUIRE(n0.readable);
    REQUIRE(o0.readable);
    CHECK(n0.meta.created_unix_ns >= t0);
    CHECK(n0.meta.created_unix_ns <= t1);
    CHECK(o0.meta.created_unix_ns <= n0.meta.created_unix_ns);
    // ...and the clock stepped backwards between them: the newer generation
    // was created "in 1970", the older one "in 2100".
    set_created(newer, 1'000'000'000ull);
    set_created(older, 4'102'444'800'000'000'000ull);
    fx.put(active, newer);
    fx.put(1 - active, older);
    const Inspected n1 = inspect(fx.bytes(active)), o1 = inspect(fx.bytes(1 - active));
    REQUIRE(n1.readable);  // the headers still validate: the edit is what a clock would do
    REQUIRE(o1.readable);
    REQUIRE(n1.meta.created_unix_ns == 1'000'000'000ull);
    REQUIRE(o1.meta.created_unix_ns == 4'102'444'800'000'000'000ull);
    REQUIRE(o1.meta.generation < n1.meta.generation);
    CHECK(o1.index != model);
    auto s = fx.open(o);
    CHECK(s->active() == active);
    CHECK(s->generation() == gen);
    CHECK(s->as_hashmap() == model);
    CHECK(s->get(key_n(0)) == Value("newest"));
    CHECK(!s->contains(key_n(1)));
    actives.insert(active);
  }
  CHECK(actives == std::set<int>{0, 1});
}
