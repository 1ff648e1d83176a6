// KVJournal<B> over every backend, the journal's own surface: space
// (used_bytes, usage_ratio, the high-water flag), recovery after a clean
// reopen, type checks, read-only opens, max_size, the first write after a
// lossy open, and the epoch's wrap at clear().
#include "journal_fixture.hpp"

using namespace journal_fixture;

TEMPLATE_TEST_CASE("journal: used_bytes, usage_ratio and the high-water flag reflect every write",
                   "[journal]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create(0);
  std::size_t expected = 0;
  for (int i = 0; i < 300; ++i) {
    const std::string k = "k" + std::to_string(i % 50);
    const Value v = std::string(static_cast<std::size_t>(i), 'u');
    j.set(k, v);
    expected += record_size(k, v);
    INFO("write " << i);
    REQUIRE(j.used_bytes() == expected);
    CHECK(j.capacity_bytes() >= j.used_bytes());
    CHECK(j.usage_ratio() ==
          static_cast<double>(expected) / static_cast<double>(j.capacity_bytes()));
    CHECK(j.high_water_mark_triggered() == (j.used_bytes() >= j.high_water_mark()));
    CHECK(j.high_water_mark() ==
          static_cast<std::size_t>(static_cast<std::uint64_t>(j.capacity_bytes()) * 800000 /
                                   1000000));
  }
  auto& r = h.reopen();
  CHECK(r.used_bytes() == expected);
}

TEMPLATE_TEST_CASE("journal: a clean reopen reports no loss and replays every record written",
                   "[journal]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  std::uint64_t records = 0;
  for (int i = 0; i < 100; ++i, ++records) j.set("k" + std::to_string(i % 7), i);
  for (int i = 0; i < 10; ++i, ++records) j.erase("k" + std::to_string(i));
  for (int i = 0; i < 10; ++i, ++records) j.set_many({{"a", i}, {"b", nullptr}});
  const Model m = contents(j);
  for (int round = 0; round < 3; ++round) {
    INFO("reopen " << round);
    auto& r = h.reopen();
    CHECK(r.recovery().loss == DataLoss::none);
    CHECK(r.recovery().records_replayed == records);
    CHECK(r.recovery().records_dropped == 0);
    CHECK(r.recovery().bytes_dropped == 0);
    CHECK(r.recovery().reason.empty());
    CHECK(diff(r, m) == "");
  }
}

TEMPLATE_TEST_CASE("journal: a MemVec that is not a journal is refused with errc::type_mismatch",
                   "[journal]", MEMVEC_PERSISTENT_BACKENDS) {
  using J = kv::KVJournal<TestType>;
  test::Factory<TestType> f;
  const auto check_refused = [&](auto make_vec) {
    {
      auto v = make_vec(f.make(0));
      v.resize(10);
    }
    const auto before = [&] {
      TestType b = f.reopen();
      return std::vector<std::byte>(std::as_const(b).data(), std::as_const(b).data() + b.size());
    }();
    CHECK(error_of([&] { (void)J::open(f.reopen()); }) == errc::type_mismatch);
    CHECK(error_of([&] { (void)J::open_or_create(f.reopen()); }) == errc::type_mismatch);
    TestType b = f.reopen();
    CHECK(std::equal(before.begin(), before.end(), std::as_const(b).data(),
                     std::as_const(b).data() + b.size()));
  };
  SECTION("MemVec<std::byte>") {
    check_refused(
        [](TestType b) { return memvec::MemVec<std::byte, TestType>::create(std::move(b)); });
  }
  SECTION("MemVec<std::uint64_t>") {
    check_refused(
        [](TestType b) { return memvec::MemVec<std::uint64_t, TestType>::create(std::move(b)); });
  }
  SECTION("and a journal is not a MemVec<std::byte>") {
    {
      auto j = J::create(f.make(0));
      j.set("a", 1);
    }
    CHECK(error_of([&] { (void)memvec::MemVec<std::byte, TestType>::open(f.reopen()); }) ==
          errc::type_mismatch);
  }
}

TEMPLATE_TEST_CASE(
    "journal: over a read-only file everything reads and every write throws errc::read_only",
    "[journal]", MEMVEC_FILE_BACKENDS) {
  using J = kv::KVJournal<TestType>;
  test::TempDir dir;
  const auto p = dir / "j.mvkv";
  Model m;
  std::size_t last_record = 0;
  {
    auto j = J::create(TestType::open(p, {.mode = OpenMode::create_new}));
    for (int i = 0; i < 100; ++i) {
      j.set("k" + std::to_string(i), Value::array({i, "x"}));
      m["k" + std::to_string(i)] = Value::array({i, "x"});
    }
    last_record = j.used_bytes();
    j.erase("k5");
    m.erase("k5");
    j.close();
  }
  const bool damaged = GENERATE(false, true);
  INFO("damaged last record: " << damaged);
  if (damaged) {
    // A writable journal would cut the damaged record on its first write; a
    // read-only one must refuse before touching anything.
    test::flip_byte(p, kDataOffset + last_record + kv::kRecordHeaderSize + 1);
    m["k5"] = Value::array({5, "x"});  // the erase was the damaged record
  }
  const auto d = test::digest(p);
  auto j = J::open(TestType::open(p, {.mode = OpenMode::read_only}));
  CHECK_FALSE(j.log().backend().writable());
  CHECK(j.recovery().loss == (damaged ? DataLoss::partial : DataLoss::none));
  CHECK(diff(j, m) == "");
  CHECK(j.get("k7") == Value::array({7, "x"}));
  CHECK(error_of([&] { j.set("new", 1); }) == errc::read_only);
  CHECK(error_of([&] { j.set("k1", 2); }) == errc::read_only);
  CHECK(error_of([&] { j.set("k1", nullptr); }) == errc::read_only);
  CHECK(error_of([&] { j.erase("k1"); }) == errc::read_only);
  CHECK(error_of([&] { j.set_many({{"a", 1}, {"k2", nullptr}}); }) == errc::read_only);
  CHECK(error_of([&] { j.set("big", std::string(1 << 20, 'x')); }) == errc::read_only);
  CHECK(error_of([&] { j.clear(); }) == errc::read_only);
  CHECK(diff(j, m) == "");
  j.sync();  // syncing nothing changed is fine
  j.close();
  CHECK(test::digest(p) == d);
}

TEMPLATE_TEST_CASE("journal: max_size caps growth, then capacity_exceeded with the contents intact",
                   "[journal]", MEMVEC_ALL_BACKENDS) {
  const std::size_t page = memvec::page_size();
  const std::size_t max_size = 16 * page;
  JournalOptions o;
  o.max_size = max_size;
  Harness<TestType> h;
  auto& j = h.create(page, o);
  REQUIRE(j.capacity_bytes() == page - kDataOffset);
  Model m;
  std::size_t grew = 0;
  std::size_t last_capacity = j.capacity_bytes();
  for (int i = 0;; ++i) {
    const std::string k = "key" + std::to_string(i);
    const Value v = Value::array({i, std::string(40, 'm')});
    const std::size_t used = j.used_bytes();
    const auto code = error_of([&] { j.set(k, v); });
    if (code) {
      REQUIRE(*code == errc::capacity_exceeded);
      CHECK(j.used_bytes() == used);
      CHECK(used + record_size(k, v) > max_size - kDataOffset);
      break;
    }
    m[k] = v;
    if (j.capacity_bytes() != last_capacity) ++grew;
    last_capacity = j.capacity_bytes();
    REQUIRE(j.log().backend().size() <= max_size);
  }
  CHECK(grew >= 2);  // it did grow, more than once, from one page
  CHECK(j.capacity_bytes() == max_size - kDataOffset);
  CHECK(j.log().backend().size() == max_size);
  CHECK(diff(j, m) == "");
  if constexpr (test::Factory<TestType>::file) CHECK(fs::file_size(h.path()) == max_size);
  // A batch does not fit either; a clear() makes room again.
  CHECK(error_of([&] {
          j.set_many({{"x", 1}, {"y", std::string(page, 'y')}});
        }) == errc::capacity_exceeded);
  CHECK(diff(j, m) == "");
  auto& r = h.reopen();
  CHECK(diff(r, m) == "");
  CHECK(r.recovery().loss == DataLoss::none);
  CHECK(error_of([&] { r.set("more", std::string(page, 'z')); }) == errc::capacity_exceeded);
  r.clear();
  r.set("more", std::string(page, 'z'));
  CHECK(r.capacity_bytes() == max_size - kDataOffset);
  auto& r2 = h.reopen();
  CHECK(diff(r2, {{"more", std::string(page, 'z')}}) == "");
}

TEMPLATE_TEST_CASE(
    "journal: after a lossy open the next write cuts the damaged tail and a reopen is clean",
    "[journal]", MEMVEC_ALL_BACKENDS) {
  const bool power_loss = GENERATE(false, true);
  INFO("power_loss durability: " << power_loss);
  JournalOptions o;
  if (power_loss) o.durability = memvec::Durability::power_loss;
  Harness<TestType> h;
  auto& j = h.create(0, o);
  j.set("a", 1);
  j.set("b", 2);
  const std::size_t c_off = j.used_bytes();
  j.set("c", "three");
  j.set("d", 4);
  const std::size_t end = j.used_bytes();
  h.close();
  h.damage_log(c_off + kv::kRecordHeaderSize + 3);
  const auto damaged = h.stored();

  // Opening and closing without a write changes nothing.
  {
    auto& r = h.open();
    CHECK(r.recovery().loss == DataLoss::partial);
    CHECK(diff(r, {{"a", 1}, {"b", 2}}) == "");
    h.close();
    CHECK(h.stored() == damaged);
  }
  auto& r = h.open();
  REQUIRE(r.recovery().loss == DataLoss::partial);
  REQUIRE(r.recovery().bytes_dropped == end - c_off);
  const std::uint64_t epoch = r.epoch();
  Model m{{"a", 1}, {"b", 2}};
  const auto first_write = GENERATE(as<std::string>{}, "set", "set_many", "erase");
  INFO("first write: " << first_write);
  if (first_write == "set") {
    r.set("new", "x");
    m["new"] = "x";
  } else if (first_write == "set_many") {
    r.set_many({{"new", "x"}, {"a", nullptr}});
    m["new"] = "x";
    m.erase("a");
  } else {
    r.erase("b");
    m.erase("b");
  }
  CHECK(diff(r, m) == "");
  CHECK(r.used_bytes() < end);
  // The surviving records are sealed with this epoch: the cut keeps it (a
  // new epoch would make them fail their checksums on the next open).
  CHECK(r.epoch() == epoch);
  // The damaged bytes past the new record are gone: nothing from the old
  // tail can ever be read again.
  const std::size_t written = r.used_bytes();
  h.close();
  const auto after = h.stored();
  CHECK(std::all_of(after.begin() + static_cast<std::ptrdiff_t>(kDataOffset + written),
                    after.begin() + static_cast<std::ptrdiff_t>(kDataOffset + end),
                    [](std::byte b) { return b == std::byte{0}; }));
  auto& again = h.open();
  CHECK(diff(again, m) == "");
  CHECK(again.recovery().loss == DataLoss::none);
  CHECK(again.recovery().records_replayed == 3);
  again.set("later", true);
  m["later"] = true;
  auto& last = h.reopen();
  CHECK(diff(last, m) == "");
  CHECK(last.recovery().loss == DataLoss::none);
}

TEMPLATE_TEST_CASE("journal: after a total loss the next write starts over and a reopen is clean",
                   "[journal]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  j.set("a", 1);
  j.set("b", 2);
  h.close();
  h.damage_log(2);
  auto& r = h.open();
  REQUIRE(r.recovery().loss == DataLoss::total);
  CHECK(diff(r, {}) == "");
  r.set("fresh", 1);
  auto& again = h.reopen();
  CHECK(diff(again, {{"fresh", 1}}) == "");
  CHECK(again.recovery().loss == DataLoss::none);
  CHECK(again.recovery().records_replayed == 1);
}

TEST_CASE("journal: clear() at the last 48-bit epoch wraps it and loses nothing (found by "
          "fuzz_journal_open)") {
  alignas(8) std::byte buf[8192] = {};
  (void)kv::KVJournal<memvec::SpanBackend>::create(memvec::SpanBackend(buf));
  {
    auto log = memvec::MemVec<std::byte, memvec::SpanBackend, kv::kJournalTypeTag>::open(
        memvec::SpanBackend(buf));
    log.set_user_word(memvec::kMaxWordValue);  // what random_epoch() may pick
  }
  auto j = kv::KVJournal<memvec::SpanBackend>::open(memvec::SpanBackend(buf));
  j.set("a", 1);
  REQUIRE_NOTHROW(j.clear());
  CHECK(j.empty());
  CHECK(j.epoch() == 1);
  j.set("b", 2);
  auto r = kv::KVJournal<memvec::SpanBackend>::open(memvec::SpanBackend(buf));
  CHECK(r.recovery().loss == DataLoss::none);
  CHECK(r.size() == 1);
  CHECK(r.get("b") == Value(2));
  CHECK_FALSE(r.contains("a"));
}
