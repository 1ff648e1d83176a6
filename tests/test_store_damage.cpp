// DoubleBufferedKV<B>, damaged and exhausted journals (docs/DURABILITY.md): damage
// to the active journal is reported, never a silent rollback; a damaged
// snapshot with nothing after it is not taken for a torn compaction; a blank
// standby beside a written journal is reported; a journal at the last
// generation is refused a compaction, never wrapped.
#include "store_fixture.hpp"

using namespace store_fixture;

TEST_CASE("store: damage to the active journal is reported, never a silent rollback; both "
          "headers wiped refuse to open and change nothing") {
  FilePair fx;
  const StoreOptions o{.initial_size = 4096, .high_water_mark_ratio = 0.5, .compaction_room = 0};
  Index model;
  {
    auto s = fx.open(o);
    for (int i = 0; i < 40; ++i) {
      const Value v(std::string(100, 'v') + std::to_string(i));
      s->set(key_n(static_cast<std::size_t>(i % 10)), v);
      model[key_n(static_cast<std::size_t>(i % 10))] = v;
    }
    s->compact();
    s->set("last", Value(1));  // a write after the snapshot: the switch happened
    model["last"] = Value(1);
    REQUIRE(s->switch_count() >= 2);
  }
  const int active = [&] { return fx.open(o)->active(); }();
  const auto clean = fx.bytes(active);
  const auto other = fx.bytes(1 - active);
  const auto damage_and_reopen = [&](const char* what, const std::function<void()>& damage) {
    INFO(what);
    fx.put(active, clean);
    fx.put(1 - active, other);
    damage();
    auto r = fx.open(o);
    CHECK(r->active() == 1 - active);  // the older journal: all that is left
    CHECK(r->recovery().loss != DataLoss::none);
    CHECK(r->recovery().reason.find(active == 0 ? "journal A" : "journal B") != std::string::npos);
    CHECK(r->as_hashmap() != model);  // an older state, and said to be
    r->set("writable", Value(true));  // and the store goes on
    Index after = r->as_hashmap();
    r.reset();
    // The first write formatted the damaged journal as a spare: reported once.
    auto again = fx.open(o);
    CHECK(again->recovery().loss == DataLoss::none);
    CHECK(again->recovery().reason == "");
    CHECK(again->as_hashmap() == after);
  };
  damage_and_reopen("a flipped header byte", [&] { test::flip_byte(fx.path[active], 100); });
  damage_and_reopen("a zeroed header", [&] {
    auto b = clean;
    std::fill(b.begin(), b.begin() + 256, std::byte{0});
    fx.put(active, b);
  });
  damage_and_reopen("a flipped byte in the snapshot record",
                    [&] { test::flip_byte(fx.path[active], 256 + 20); });
  damage_and_reopen("the file cut inside the snapshot record",
                    [&] { test::truncate_to(fx.path[active], 256 + 20); });
  // memvec-stress --corrupt: a file too short for a header was left as it
  // was by the first write, and every reopen reported it again.
  damage_and_reopen("the file cut shorter than a header",
                    [&] { test::truncate_to(fx.path[active], 6); });
  // Both headers wiped: no journal left, and the store must not format new
  // ones over the logs.
  fx.put(active, clean);
  fx.put(1 - active, other);
  for (int i = 0; i < 2; ++i) {
    auto b = fx.bytes(i);
    std::fill(b.begin(), b.begin() + 256, std::byte{0});
    fx.put(i, b);
  }
  const auto d0 = test::digest(fx.path[0]), d1 = test::digest(fx.path[1]);
  CHECK(error_of([&] { (void)fx.open(o); }) == errc::corrupt_header);
  CHECK(test::digest(fx.path[0]) == d0);
  CHECK(test::digest(fx.path[1]) == d1);
}

TEST_CASE("store: a damaged snapshot with nothing after it is reported, never taken for a torn "
          "compaction (no silent resurrection after clear)") {
  FilePair fx;
  const StoreOptions o{.initial_size = 4096, .high_water_mark_ratio = 0.5, .compaction_room = 0};
  for (const bool clear : {true, false}) {
    INFO((clear ? "after clear()" : "after compact()"));
    fs::remove(fx.path[0]);
    fs::remove(fx.path[1]);
    int active = 0;
    {
      auto s = fx.open(o);
      s->set("a", Value(1));
      s->set("b", Value("two"));
      clear ? s->clear() : s->compact();
      active = s->active();
    }
    // memvec-stress --corrupt: one flipped byte in a clear()'s 11-byte
    // snapshot looked like a compaction a crash tore, and the cleared keys
    // came back with no loss reported.
    test::flip_byte(fx.path[active], kHeaderSize + 5);
    auto r = fx.open(o);
    CHECK(r->active() == 1 - active);
    CHECK(r->recovery().loss == DataLoss::partial);
    CHECK(r->recovery().reason.find("damaged") != std::string::npos);
  }
}

TEST_CASE("store: a blank standby beside a written journal is reported; beside an empty one "
          "(an interrupted creation) the first write formats it") {
  FilePair fx;
  const StoreOptions o{.initial_size = 4096, .high_water_mark_ratio = 0.5, .compaction_room = 0};
  const auto blank = [&](int i) { return test::all_zero(fx.bytes(i)); };
  // memvec-stress --corrupt: the journal switched to first (generation 2)
  // zeroed whole, next to a generation-1 journal: once read as a spare.
  {
    auto s = fx.open(o);
    s->set("old", Value(1));
    s->compact();
    s->set("new", Value(2));
    REQUIRE(s->active() == 1);
    REQUIRE(s->generation() == 2);
  }
  test::write_file(fx.path[1], std::vector<std::byte>(606));
  {
    auto r = fx.open(o);
    CHECK(r->active() == 0);
    CHECK(r->recovery().loss == DataLoss::partial);
    CHECK(r->recovery().reason.find("journal B") != std::string::npos);
    CHECK(r->get("old") == Value(1));
    r->set("after", Value(3));
  }
  CHECK_FALSE(blank(1));  // recycled by that write: reported once
  CHECK(fx.open(o)->recovery().loss == DataLoss::none);

  // A creation cut after A was formatted: A empty, B blank. Nothing was
  // ever written, so nothing is reported, and the first write formats B.
  fs::remove(fx.path[0]);
  fs::remove(fx.path[1]);
  fx.open(o).reset();
  test::write_file(fx.path[1], std::vector<std::byte>(fx.file_size(1)));
  {
    auto r = fx.open(o);
    CHECK(r->recovery().loss == DataLoss::none);
    CHECK(blank(1));  // opening writes nothing
    r->set("k", Value(1));
  }
  CHECK_FALSE(blank(1));
  {
    auto r = fx.open(o);
    CHECK(r->recovery().loss == DataLoss::none);
    CHECK(r->get("k") == Value(1));
  }
  // memvec-stress --corrupt: clear() on a new store, writes, then B wiped
  // whole: A, generation 1 and empty, read as an interrupted creation.
  // Now the compaction leaves a generation-0 spare: no complete journal.
  fs::remove(fx.path[0]);
  fs::remove(fx.path[1]);
  {
    auto s = fx.open(o);
    s->clear();
    s->set("k", Value(1));
    REQUIRE(s->active() == 1);
  }
  test::write_file(fx.path[1], std::vector<std::byte>(fx.file_size(1)));
  CHECK(error_of([&] { (void)fx.open(o); }) == errc::corrupt_data);
  // memvec-stress --corrupt: A cut to nothing beside a zero-filled B became
  // a new, empty store. Creation makes A durable before B is sized, so no
  // crash leaves that: refused, nothing changed.
  test::write_file(fx.path[0], {});
  test::write_file(fx.path[1], std::vector<std::byte>(8192));
  CHECK(error_of([&] { (void)fx.open(o); }) == errc::corrupt_header);
  CHECK(fx.file_size(0) == 0);
  CHECK(blank(1));
  // Before any switch: A, written, zeroed whole beside its generation-0
  // spare is no creation either: no complete journal, refused.
  fs::remove(fx.path[0]);
  fs::remove(fx.path[1]);
  {
    auto s = fx.open(o);
    s->set("k", Value(1));
    REQUIRE(s->switch_count() == 0);
  }
  test::write_file(fx.path[0], std::vector<std::byte>(fx.file_size(0)));
  const auto spare = test::digest(fx.path[1]);
  CHECK(error_of([&] { (void)fx.open(o); }) == errc::corrupt_data);
  CHECK(blank(0));
  CHECK(test::digest(fx.path[1]) == spare);
}

TEST_CASE("store: a cut creation whose blank standby cannot be formatted fails its first write "
          "and reports nothing (fuzz_store_open)") {
  for (const std::size_t b_size : {std::size_t{19}, std::size_t{4096}}) {
    INFO("standby buffer of " << b_size << " bytes");
    alignas(4096) static std::byte a[4096];
    alignas(4096) static std::byte b[4096];
    std::fill(std::begin(a), std::end(a), std::byte{0});
    std::fill(std::begin(b), std::end(b), std::byte{0});
    (void)memvec::kv::KVJournal<SpanBackend>::create(SpanBackend(std::span(a)));  // A, empty
    const auto open = [&] {
      return std::make_unique<Store<SpanBackend>>(SpanBackend(std::span(a)),
                                                  SpanBackend(std::span(b, b_size)),
                                                  StoreOptions{.initial_size = 4096});
    };
    {
      auto s = open();
      CHECK(s->recovery().loss == DataLoss::none);
      if (b_size < kHeaderSize) {
        // A record in A beside a blank B would read as damage at the next
        // open: the write fails, as the store's creation would have.
        CHECK(error_of([&] { s->set("k", Value(1)); }) == errc::capacity_exceeded);
        CHECK(s->empty());
      } else {
        s->set("k", Value(1));
      }
    }
    auto r = open();
    CHECK(r->recovery().loss == DataLoss::none);
    CHECK(r->size() == (b_size < kHeaderSize ? 0u : 1u));
  }
}

TEST_CASE("store: a journal at the last generation is refused a compaction, never wrapped to "
          "a spare's 0") {
  FilePair fx;
  const StoreOptions o{.initial_size = 4096, .high_water_mark_ratio = 0.5, .compaction_room = 0};
  {
    // What a compaction to the last generation writes: a snapshot record.
    const std::uint64_t epoch =
        memvec::kv::MemMappedKVJournal::create(FileBackend::open(fx.path[0]), {},
                                               memvec::kv::kMaxGeneration)
            .log()
            .user_word();
    memvec::kv::RecordWriter w;
    w.begin(memvec::kv::kRecordSnapshot);
    w.add("k", Value(1));
    const auto record = w.finish(memvec::kv::record_seed(memvec::kv::kMaxGeneration, epoch));
    auto log = memvec::kv::MemMappedKVJournal::Log::open(FileBackend::open(fx.path[0]));
    log.append(record);
  }
  test::write_file(fx.path[1], std::vector<std::byte>(4096));  // a blank spare
  {
    auto s = fx.open(o);
    REQUIRE(s->active() == 0);
    CHECK(error_of([&] { s->compact(); }) == errc::capacity_exceeded);
    s->set("after", Value(2));  // still writable
    CHECK(s->generation() == memvec::kv::kMaxGeneration);
  }
  auto r = fx.open(o);
  CHECK(r->active() == 0);
  CHECK(r->recovery().loss == DataLoss::none);
  Index model;
  model["k"] = Value(1);
  model["after"] = Value(2);
  CHECK(r->as_hashmap() == model);
}
