// DoubleBufferedKV<B>, full journals and file sizes (docs/DURABILITY.md, docs/BENCHMARKS.md).
//  - Full journals (the first design's defects 5, 6): a write that does not
//    fit compacts and retries; a live set that does not fit grows the
//    journals up to max_size, then capacity_exceeded with nothing lost; a
//    compaction that fails after a committed write does not fail the write.
//  - No thrashing (MMKV's lesson): 100 hot keys x 100k sets in 8 KiB
//    journals stay under a derived bound of switches in 8 KiB files; a
//    shrinking live set shrinks the files back.
#include <sys/resource.h>
#include <sys/wait.h>

#include <csignal>
#include <map>

#include "store_fixture.hpp"

using namespace store_fixture;

TEST_CASE(
    "store: a write that does not fit compacts first and is retried (first design defect 5)") {
  // Ratio 1.0: the high-water mark never fires before the journal is full,
  // so only the does-not-fit path can switch here.
  SpanPair fx(4096);
  const StoreOptions o{.initial_size = 4096, .max_size = 4096, .high_water_mark_ratio = 1.0, .compaction_room = 0};
  auto s = fx.open(o);
  s->set("keep", Value("me"));
  int i = 0;
  while (s->usage_ratio() < 0.9) s->set("counter", Value(i++));
  REQUIRE(s->switch_count() == 0);
  REQUIRE(s->size() == 2);
  const std::size_t capacity = s->high_water_mark();  // ratio 1.0: the whole log
  const auto used =
      static_cast<std::size_t>(std::llround(s->usage_ratio() * static_cast<double>(capacity)));
  const std::size_t free_room = capacity - used;
  // Bigger than the free room, small next to the journal.
  const std::string big(free_room + 200, 'x');
  REQUIRE(record_bytes("big", Value(big)) > free_room);
  REQUIRE_NOTHROW(s->set("big", Value(big)));
  CHECK(s->switch_count() == 1);
  CHECK(s->active() == 1);
  CHECK(s->get("big") == Value(big));
  CHECK(s->get("keep") == Value("me"));
  CHECK(s->get("counter") == Value(i - 1));
  CHECK(s->last_compaction_error() == std::nullopt);
  // The same with a batch: fill again, then a set_many that does not fit.
  while (s->usage_ratio() < 0.95) s->set("counter", Value(i++));
  const std::uint64_t switches = s->switch_count();
  const std::vector<Item> batch{{"b1", Value(std::string(400, 'y'))}, {"keep", Value()}};
  s->set_many(batch);
  CHECK(s->switch_count() == switches + 1);
  CHECK(s->get("b1") == Value(std::string(400, 'y')));
  CHECK(!s->contains("keep"));
  const Index model = s->as_hashmap();
  s.reset();
  s = fx.open(o);
  CHECK(s->as_hashmap() == model);
}

namespace {

// Distinct keys with 100-byte values until the live set cannot fit at
// max_size (64 KiB): files grow from 4 KiB, never past max_size, and the
// refused write changes nothing.
template <class Fx>
void grow_to_max(Fx& fx) {
  const StoreOptions o{.initial_size = 4096, .max_size = 65536, .high_water_mark_ratio = 0.8, .compaction_room = 0};
  auto s = fx.open(o);
  Index model;
  std::size_t largest_file = 0;
  std::optional<errc> err;
  std::size_t i = 0;
  std::string failed_key;
  Value failed_value;
  for (;; ++i) {
    REQUIRE(i < 5000);
    failed_key = key_n(i);
    failed_value = Value(std::string(100, static_cast<char>('a' + i % 26)));
    err = error_of([&] { s->set(failed_key, failed_value); });
    if (err) break;
    model[failed_key] = failed_value;
    if constexpr (Fx::file) {
      const std::size_t a = fx.file_size(0), b = fx.file_size(1);
      REQUIRE(a <= 65536);
      REQUIRE(b <= 65536);
      largest_file = std::max({largest_file, a, b});
    }
  }
  INFO(Fx::name << ": refused after " << i << " keys");
  CHECK(err == errc::capacity_exceeded);
  // Only then: compacting the live set plus the refused record would need
  // more than a max_size journal holds.
  CHECK(snapshot_bytes(model) + record_bytes(failed_key, failed_value) > 65536 - kHeaderSize);
  CHECK(model.size() > 400);
  if constexpr (Fx::file) CHECK(largest_file == 65536);
  // Nothing lost, still usable.
  CHECK(s->as_hashmap() == model);
  CHECK(s->size() == i);
  CHECK(!s->contains(failed_key));
  s->set(key_n(0), Value(0));  // a smaller write
  model[key_n(0)] = Value(0);
  s->erase(key_n(1));
  model.erase(key_n(1));
  s->set("tiny", Value(true));
  model["tiny"] = Value(true);
  CHECK(s->as_hashmap() == model);
  // A single value bigger than max_size: refused, nothing changed.
  CHECK(error_of([&] { s->set("huge", Value(std::string(100000, 'h'))); }) ==
        errc::capacity_exceeded);
  CHECK(error_of([&] {
          s->set_many({{"huge", Value(std::string(70000, 'h'))}, {"tiny", Value()}});
        }) == errc::capacity_exceeded);
  CHECK(s->as_hashmap() == model);
  if constexpr (Fx::persistent) {
    s.reset();
    s = fx.open(o);
    CHECK(s->as_hashmap() == model);
    CHECK(s->recovery().loss == DataLoss::none);
  }
  if constexpr (Fx::file) {
    CHECK(fx.file_size(0) <= 65536);
    CHECK(fx.file_size(1) <= 65536);
  }
}

}  // namespace

TEMPLATE_TEST_CASE(
    "store: a live set that outgrows the journals grows them up to max_size, then "
    "capacity_exceeded with nothing lost and the store usable",
    "[store]", FilePair, AnonPair) {
  TestType fx;
  grow_to_max(fx);
}

TEMPLATE_TEST_CASE("store: a 10 KB value fits 4 KiB journals with a 1 MiB max_size by growing them",
                   "[store]", FilePair, AnonPair) {
  TestType fx;
  const StoreOptions o{.initial_size = 4096, .max_size = 1 << 20, .compaction_room = 0};
  auto s = fx.open(o);
  s->set("small", Value(1));
  const std::string blob(10 * 1000, 'b');
  REQUIRE_NOTHROW(s->set("blob", Value(blob)));
  CHECK(s->get("blob") == Value(blob));
  CHECK(s->get("small") == Value(1));
  CHECK(s->switch_count() >= 1);
  if constexpr (TestType::file) {
    const std::size_t active = fx.file_size(s->active());
    CHECK(active > 4096);
    CHECK(active <= (1u << 20));
    const Index model = s->as_hashmap();
    s.reset();
    s = fx.open(o);
    CHECK(s->as_hashmap() == model);
  }
  // The same in fixed 4 KiB buffers: nowhere to grow, refused, nothing lost.
  SpanPair fixed(4096);
  auto f = fixed.open({.initial_size = 4096, .max_size = 1 << 20});
  f->set("small", Value(1));
  CHECK(error_of([&] { f->set("blob", Value(blob)); }) == errc::capacity_exceeded);
  CHECK(f->size() == 1);
  f->set("next", Value(2));
  CHECK(f->get("next") == Value(2));
}

TEST_CASE(
    "store: a compaction that fails after a write committed does not fail the write "
    "(first design defect 6)") {
  const StoreOptions o{.initial_size = 4096, .max_size = 65536, .high_water_mark_ratio = 0.5, .compaction_room = 0};
  FaultBackend fa(kBlank), fb(kBlank);
  const std::shared_ptr<FaultDisk> disks[2] = {fa.disk(), fb.disk()};
  Store<FaultBackend> s(std::move(fa), std::move(fb), o);
  bool fail_resize = true;
  std::size_t refused = 0;
  disks[1]->on_resize = [&](FaultDisk&, std::size_t) {
    if (fail_resize) {
      ++refused;
      // EIO, not ENOSPC: a full disk falls back to the size the standby has.
      throw memvec::Error(errc::io_error, "injected: input/output error", 5);
    }
  };
  Index model;
  int i = 0;
  // Past the high-water mark every write tries to compact into B and fails.
  while (refused < 3) {
    REQUIRE(i < 1000);
    REQUIRE_NOTHROW(s.set(key_n(i), Value(i)));
    model[key_n(i)] = Value(i);
    ++i;
  }
  CHECK(s.switch_count() == 0);
  CHECK(s.active() == 0);
  REQUIRE(s.last_compaction_error().has_value());
  CHECK(s.last_compaction_error()->code() == errc::io_error);
  CHECK(s.as_hashmap() == model);
  // Every returned write is in the journal: a restart (a process crash
  // keeps the page cache) finds them.
  {
    const CutSpec crash{CutMode::keep_all, 0, SizePolicy::volatile_size};
    Store<FaultBackend> r(FaultBackend(disks[0]->cut(crash)), FaultBackend(disks[1]->cut(crash)),
                          o);
    CHECK(r.as_hashmap() == model);
  }
  // A write that does not fit and cannot compact fails as itself, unapplied.
  const std::size_t before = refused;
  CHECK(error_of([&] { s.set("big", Value(std::string(3000, 'z'))); }) == errc::io_error);
  CHECK(refused == before + 1);
  CHECK(s.as_hashmap() == model);
  // The disk recovers: the next write compacts.
  fail_resize = false;
  s.set("later", Value(1));
  model["later"] = Value(1);
  CHECK(s.switch_count() == 1);
  CHECK(s.active() == 1);
  CHECK(s.as_hashmap() == model);
  CHECK(s.last_compaction_error() == std::nullopt);  // a compaction succeeded since
  s.set("big", Value(std::string(3000, 'z')));
  model["big"] = Value(std::string(3000, 'z'));
  CHECK(s.as_hashmap() == model);
  disks[1]->on_resize = nullptr;
}

TEST_CASE("store: a compaction whose new journal fails to format keeps the standby's backend "
          "for the next compaction") {
  const StoreOptions o{.initial_size = 4096,
                       .max_size = 65536,
                       .high_water_mark_ratio = 0.5,
                       .compaction_room = 0,
                       .durability = Durability::power_loss};
  FaultBackend fa(kBlank), fb(kBlank);
  const std::shared_ptr<FaultDisk> disks[2] = {fa.disk(), fb.disk()};
  Store<FaultBackend> s(std::move(fa), std::move(fb), o);
  std::size_t refused = 0;
  // Under power_loss the first sync of a compaction is the new header's,
  // inside Journal::create: the failure the fuzzers found lost the backend.
  disks[1]->on_sync = [&](FaultDisk&, std::size_t, std::size_t) {
    if (refused == 0) {
      ++refused;
      throw memvec::Error(errc::io_error, "injected: EIO on the new journal's header", 5);
    }
  };
  Index model;
  int i = 0;
  while (refused == 0) {
    REQUIRE(i < 1000);
    REQUIRE_NOTHROW(s.set(key_n(i), Value(i)));
    model[key_n(i)] = Value(i);
    ++i;
  }
  REQUIRE(s.last_compaction_error().has_value());
  CHECK(s.last_compaction_error()->code() == errc::io_error);
  CHECK(s.switch_count() == 0);
  CHECK(disks[1]->size() >= 4096);  // still the standby's bytes
  s.compact();  // the same backend, now formatted
  CHECK(s.switch_count() == 1);
  CHECK(s.active() == 1);
  CHECK(s.as_hashmap() == model);
  const CutSpec cut{CutMode::drop_unsynced, 0};
  Store<FaultBackend> r(FaultBackend(disks[0]->cut(cut)), FaultBackend(disks[1]->cut(cut)), o);
  CHECK(r.active() == 1);
  CHECK(r.as_hashmap() == model);
  disks[1]->on_sync = nullptr;
}

TEST_CASE("store: 100 hot keys x 100k sets from 8 KiB journals: files stay small, switches "
          "bounded by standby_size") {
  // MMKV rewrote its file 1,000 times per 100k sets in this workload, and
  // the first release grew these files to 128 KiB to spread a sync on the
  // writer's thread over many sets. Now a compaction's flush runs off the
  // writer's thread, so the files keep (about) their configured size; they
  // grow only while compactions outrun the disk (then fewer switches).
  FilePair fx;
  const StoreOptions o{.initial_size = 8192};
  auto s = fx.open(o);
  constexpr int kKeys = 100;
  constexpr int kSets = 100'000;
  std::vector<std::string> keys;
  for (int k = 0; k < kKeys; ++k) keys.push_back("hot-" + std::to_string(k));
  // The bound, derived: a compaction leaves at most S bytes (the largest
  // snapshot of 100 keys) in a journal of at least standby_size(S) bytes
  // whose high-water mark is H; each set appends at most R bytes. So at
  // least floor((H - S) / R) sets separate two switches after the first.
  Index widest;
  for (const auto& k : keys) widest[k] = Value(std::int64_t{kSets});
  const std::size_t S = snapshot_bytes(widest);
  const std::size_t file = standby_size(S, o);
  REQUIRE(file == 8192);
  const std::size_t H = memvec::kv::detail::apply_ppm(
      file - kHeaderSize, memvec::kv::detail::ratio_ppm(o.high_water_mark_ratio, ""));
  const std::size_t R = record_bytes(keys.back(), Value(std::int64_t{kSets}));
  REQUIRE(H > S + R);
  const std::size_t bound = 1 + kSets / ((H - S) / R) + 1;
  REQUIRE(bound < 1000);
  constexpr std::size_t kMaxFile = std::size_t{1} << 20;  // files <= 1 MiB
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kSets; ++i) {
    s->set(keys[static_cast<std::size_t>(i % kKeys)], Value(std::int64_t{i}));
    if (i % 5000 == 0) {
      REQUIRE(fx.file_size(0) <= kMaxFile);
      REQUIRE(fx.file_size(1) <= kMaxFile);
    }
  }
  const double secs = seconds_since(t0);
  const std::uint64_t switches = s->switch_count();
  CHECK(switches <= bound);
  CHECK(switches > 0);
  CHECK(fx.file_size(0) <= kMaxFile);
  CHECK(fx.file_size(1) <= kMaxFile);
  CHECK(s->size() == kKeys);
  for (int k = 0; k < kKeys; ++k)
    CHECK(s->get(keys[static_cast<std::size_t>(k)]) == Value(std::int64_t{kSets - kKeys + k}));
  const Index model = s->as_hashmap();
  s.reset();
  s = fx.open(o);
  CHECK(s->as_hashmap() == model);
  WARN("hot keys: " << switches << " switches in " << kSets << " sets (bound " << bound
                    << " from H " << H << ", S " << S << ", R " << R << "; MMKV: ~1000), files "
                    << fx.file_size(0) << " + " << fx.file_size(1) << " bytes (configured "
                    << file << "), " << static_cast<double>(kSets) / secs / 1e6 << " M sets/s");
}

TEST_CASE("store: when the live set shrinks, compactions shrink the journal files back") {
  FilePair fx;
  const StoreOptions o{.initial_size = 4096, .max_size = std::size_t{16} << 20, .compaction_room = 0};
  auto s = fx.open(o);
  Index model;
  for (int i = 0; i < 3000; ++i) {
    const Value v(std::string(200, static_cast<char>('a' + i % 26)));
    s->set(key_n(static_cast<std::size_t>(i)), v);
    model[key_n(static_cast<std::size_t>(i))] = v;
  }
  const std::size_t peak[2] = {fx.file_size(0), fx.file_size(1)};
  REQUIRE(std::max(peak[0], peak[1]) >= std::size_t{1} << 20);  // ~600 KB live, grown files
  for (int i = 10; i < 3000; ++i) {
    s->erase(key_n(static_cast<std::size_t>(i)));
    model.erase(key_n(static_cast<std::size_t>(i)));
  }
  REQUIRE(s->size() == 10);
  // Two compactions rewrite both journals from the small live set.
  for (int c = 0; c < 2; ++c) {
    const int target = 1 - s->active();
    const std::size_t before = fx.file_size(target);
    s->compact();
    REQUIRE(s->active() == target);
    const std::size_t after = fx.file_size(target);
    INFO("compaction " << c << " into " << (target == 0 ? "A" : "B") << ": " << before << " -> "
                       << after);
    CHECK(after < before);
    CHECK(after == standby_size(snapshot_bytes(model), o));  // 8 KiB for 10 keys of 200 bytes
  }
  CHECK(s->as_hashmap() == model);
  s.reset();
  s = fx.open(o);
  CHECK(s->as_hashmap() == model);
  WARN("shrink: files at " << peak[0] << " + " << peak[1] << " bytes with 3000 keys, "
                           << fx.file_size(0) << " + " << fx.file_size(1) << " with 10");
}

namespace {
// Child exit codes of the full-disk store run.
enum StoreFullDisk : int {
  kStoreNeverFull = 20,
  kStoreWrongError,
  kStoreLost,
  kEraseFailed,
  kCompactFailed,
  kSetAfterFailed,
  kStoreReopenDiffers,
  kStoreOther,
};

// In a child under a file-size limit: sets until the disk refuses one, then
// erases half, compacts and sets again; every acknowledged write kept.
[[noreturn]] void store_full_disk_child(const fs::path& a, const fs::path& b) {
  int code = kStoreOther;
  try {
    ::signal(SIGXFSZ, SIG_IGN);
    constexpr std::size_t kLimit = std::size_t{256} << 10;
    const rlimit limit{kLimit, kLimit};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(kStoreOther);
    const StoreOptions o{.initial_size = 4096};
    std::map<std::string, Value> model;
    {
      auto s = DoubleBufferedMemMappedKV::open(a, b, o);
      const Value big(std::string(1000, 'v'));
      bool full = false;
      for (std::size_t i = 0; i < 1000 && !full; ++i) {
        try {
          s.set(key_n(i), big);
          model[key_n(i)] = big;
        } catch (const memvec::Error& e) {
          if (e.code() != errc::io_error && e.code() != errc::capacity_exceeded)
            ::_exit(kStoreWrongError);
          full = true;
        }
      }
      if (!full) ::_exit(kStoreNeverFull);
      for (const auto& [k, v] : model)
        if (s.get(k) != v) ::_exit(kStoreLost);
      // The live set shrinks: each erase fits once its compaction is sized
      // exactly (the usual doubled room no longer fits on the disk).
      std::vector<std::string> keys;
      for (const auto& [k, v] : model) keys.push_back(k);
      for (std::size_t i = 0; i < keys.size(); i += 2) {
        try {
          s.erase(keys[i]);
        } catch (const memvec::Error&) {
          ::_exit(kEraseFailed);
        }
        model.erase(keys[i]);
      }
      try {
        s.compact();
      } catch (const memvec::Error&) {
        ::_exit(kCompactFailed);
      }
      try {
        s.set("after", Value(1));
      } catch (const memvec::Error&) {
        ::_exit(kSetAfterFailed);
      }
      model["after"] = Value(1);
    }
    auto r = DoubleBufferedMemMappedKV::open(a, b, o);
    if (r.size() != model.size()) ::_exit(kStoreReopenDiffers);
    for (const auto& [k, v] : model)
      if (r.get(k) != v) ::_exit(kStoreReopenDiffers);
    code = 0;
  } catch (...) {
  }
  ::_exit(code);
}
}  // namespace

TEST_CASE("store: a full disk never wedges the store: erases and compactions that fit keep "
          "working, nothing acknowledged lost") {
  FilePair fx;
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) store_full_disk_child(fx.path[0], fx.path[1]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  INFO("child exit code " << WEXITSTATUS(status)
                          << " (20 never full, 21 wrong error, 22 lost, 23 erase failed, 24 "
                             "compact failed, 25 set after failed, 26 reopen differs)");
  CHECK(WEXITSTATUS(status) == 0);
}
