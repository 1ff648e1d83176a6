// KVJournal<B> over every backend, the first journal design's defects 4 to 7
// (docs/DURABILITY.md): a record ending exactly at the end of a fixed buffer;
// a write that does not fit (capacity_exceeded, nothing changed); a capped
// backend filled to the last record that fits; a failed write leaving the
// index equal to what a reopen shows, after a lossy open too; the high-water
// mark in exact integer arithmetic, its ratio validated, its flag following
// usage.
#include "journal_fixture.hpp"

using namespace journal_fixture;

TEMPLATE_TEST_CASE(
    "journal: a record ending exactly at the end of a fixed buffer reopens (first design defect 4)",
    "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  const std::size_t limit = 2 * memvec::page_size();
  Harness<TestType> h;
  auto& j = h.create_capped(limit);
  REQUIRE(j.capacity_bytes() == limit - kDataOffset);
  j.set("a", 1);
  j.set_many({{"b", "two"}, {"c", Value::array({3})}});
  const std::size_t room = j.capacity_bytes() - j.used_bytes();
  const auto [key, value] = record_of_size(room);
  j.set(key, value);
  REQUIRE(j.used_bytes() == j.capacity_bytes());
  CHECK(j.usage_ratio() == 1.0);
  CHECK(j.high_water_mark_triggered());
  const Model m{{"a", 1}, {"b", "two"}, {"c", Value::array({3})}, {key, value}};
  CHECK(diff(j, m) == "");

  auto& r = h.reopen();
  CHECK(diff(r, m) == "");
  CHECK(r.recovery().loss == DataLoss::none);
  CHECK(r.recovery().records_replayed == 3);
  CHECK(r.used_bytes() == r.capacity_bytes());
  // Full means full: any record, an erase included, is refused, and the
  // journal stays as it was.
  const auto bytes = live_bytes(r);
  CHECK(error_of([&] { r.set("x", 1); }) == errc::capacity_exceeded);
  CHECK(error_of([&] { r.erase("a"); }) == errc::capacity_exceeded);
  CHECK(error_of([&] { r.set_many({{"a", nullptr}}); }) == errc::capacity_exceeded);
  CHECK(live_bytes(r) == bytes);
  CHECK(diff(r, m) == "");
  r.clear();
  r.set("x", 1);
  auto& r2 = h.reopen();
  CHECK(diff(r2, {{"x", 1}}) == "");
}

TEMPLATE_TEST_CASE(
    "journal: a write that does not fit throws capacity_exceeded and leaves the journal unchanged "
    "and "
    "usable (first design defect 5)",
    "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  const std::size_t limit = 4 * memvec::page_size();
  Harness<TestType> h;
  auto& j = h.create_capped(limit);
  Model m;
  for (int i = 0; i < 20; ++i) {
    j.set("k" + std::to_string(i), std::string(50, 'v'));
    m["k" + std::to_string(i)] = std::string(50, 'v');
  }
  const std::size_t used = j.used_bytes();
  const auto bytes = live_bytes(j);
  const std::string too_big(limit, 'x');
  CHECK(error_of([&] { j.set("big", too_big); }) == errc::capacity_exceeded);
  CHECK(error_of([&] { j.set("k0", too_big); }) == errc::capacity_exceeded);
  CHECK(error_of([&] {
          j.set_many({{"k1", nullptr}, {"new", 1}, {"big", too_big}});
        }) == errc::capacity_exceeded);
  CHECK(j.used_bytes() == used);
  CHECK(live_bytes(j) == bytes);
  CHECK(diff(j, m) == "");
  // Still usable: a smaller write goes in.
  j.set("small", 1);
  m["small"] = 1;
  j.erase("k1");
  m.erase("k1");
  CHECK(diff(j, m) == "");
  auto& r = h.reopen();
  CHECK(diff(r, m) == "");
  CHECK(r.recovery().loss == DataLoss::none);
}

// The fixed buffer here is not a power of two pages: growth by doubling
// overshoots it, and the journal must then ask for just what it needs.
TEMPLATE_TEST_CASE(
    "journal: a journal in a capped backend fills it to the last record that fits (first "
    "design defect 5)",
    "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  const std::size_t page = memvec::page_size();
  const std::size_t limit = 3 * page;
  Harness<TestType> h;
  auto& j = h.create_capped(limit, {}, page);
  Model m;
  int i = 0;
  for (;; ++i) {
    const std::string k = "key" + std::to_string(i);
    const Value v = std::string(40, 'v');
    const std::size_t before = j.used_bytes();
    const auto code = error_of([&] { j.set(k, v); });
    if (code) {
      REQUIRE(*code == errc::capacity_exceeded);
      CHECK(j.used_bytes() == before);
      CHECK(before + record_size(k, v) > limit - kDataOffset);
      break;
    }
    m[k] = v;
  }
  CHECK(j.capacity_bytes() == limit - kDataOffset);
  CHECK(j.log().backend().size() == limit);
  CHECK(diff(j, m) == "");
  auto& r = h.reopen();
  CHECK(diff(r, m) == "");
}

TEMPLATE_TEST_CASE(
    "journal: a failed write leaves the index equal to what a reopen shows (first design defect 6)",
    "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  using J = kv::KVJournal<TestType>;
  const std::size_t limit = 4 * memvec::page_size();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::string too_big(limit, 'x');
  struct Case {
    const char* what;
    std::function<void(J&)> write;
    errc code;
  };
  const std::vector<Case> cases = {
      {"a key that is not UTF-8", [](J& j) { j.set("\xFF", 1); }, errc::invalid_argument},
      {"an overlong key", [](J& j) { j.set("\xC0\x80", 1); }, errc::invalid_argument},
      {"a surrogate key", [](J& j) { j.set("\xED\xA0\x80", 1); }, errc::invalid_argument},
      {"a key past U+10FFFF", [](J& j) { j.set("\xF4\x90\x80\x80", 1); }, errc::invalid_argument},
      {"a key cut inside a character", [](J& j) { j.set("a\xE2\x82", 1); }, errc::invalid_argument},
      {"NaN over an existing key", [&](J& j) { j.set("a", nan); }, errc::invalid_argument},
      {"infinity", [&](J& j) { j.set("new", inf); }, errc::invalid_argument},
      {"minus infinity", [&](J& j) { j.set("new", -inf); }, errc::invalid_argument},
      {"NaN deep in an object",
       [&](J& j) {
         j.set("new", Value::object({{"x", Value::array({1, nan})}}));
       },
       errc::invalid_argument},
      {"a string value that is not UTF-8", [](J& j) { j.set("new", "\xFF"); },
       errc::invalid_argument},
      {"an object key inside the value that is not UTF-8",
       [](J& j) {
         j.set("new", Value::object({{"\xFF", 1}}));
       },
       errc::invalid_argument},
      {"nesting one past kMaxDepth",
       [](J& j) { j.set("new", nested(static_cast<int>(kv::bonjson::kMaxDepth) + 1)); },
       errc::invalid_argument},
      {"an erase with a key that is not UTF-8", [](J& j) { j.erase("\xFF"); },
       errc::invalid_argument},
      {"a batch with one bad key among good members",
       [](J& j) {
         j.set_many({{"x", 1}, {"a", nullptr}, {"\xFF", 2}, {"y", 3}});
       },
       errc::invalid_argument},
      {"a batch whose last member is NaN",
       [&](J& j) {
         j.set_many({{"x", 1}, {"b", nullptr}, {"y", nan}});
       },
       errc::invalid_argument},
      {"a value that does not fit", [&](J& j) { j.set("big", too_big); }, errc::capacity_exceeded},
      {"an overwrite that does not fit", [&](J& j) { j.set("a", too_big); },
       errc::capacity_exceeded},
      {"a batch that does not fit",
       [&](J& j) {
         j.set_many({{"x", 1}, {"a", nullptr}, {"big", too_big}});
       },
       errc::capacity_exceeded},
  };
  Harness<TestType> h;
  auto& j = h.create_capped(limit);
  j.set("a", 1);
  j.set("b", "two");
  j.set("c", Value::array({1}));
  Model m = contents(j);
  const std::size_t used = j.used_bytes();
  const auto bytes = live_bytes(j);
  for (const auto& c : cases) {
    INFO(c.what);
    CHECK(error_of([&] { c.write(j); }) == c.code);
    CHECK(diff(j, m) == "");
    CHECK(j.used_bytes() == used);
    CHECK(live_bytes(j) == bytes);
  }
  auto& r = h.reopen();
  CHECK(diff(r, m) == "");
  CHECK(r.recovery().loss == DataLoss::none);
  // And a valid write after all of them lands normally.
  r.set("after", 1);
  m["after"] = 1;
  CHECK(diff(r, m) == "");
  auto& r2 = h.reopen();
  CHECK(diff(r2, m) == "");
}

TEMPLATE_TEST_CASE(
    "journal: a write that fails after a lossy open leaves the index equal to what a reopen shows "
    "(first design defect 6)",
    "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  const std::size_t limit = 4 * memvec::page_size();
  Harness<TestType> h;
  auto& j = h.create_capped(limit);
  j.set("a", 1);
  j.set("b", "two");
  const std::size_t c_off = j.used_bytes();
  j.set("c", 3);
  h.close();
  h.damage_log(c_off + kv::kRecordHeaderSize + 2);
  auto& r = h.open();
  REQUIRE(r.recovery().loss == DataLoss::partial);
  const Model m{{"a", 1}, {"b", "two"}};
  const auto code = GENERATE(errc::invalid_argument, errc::capacity_exceeded);
  INFO("the failed write throws errc " << static_cast<int>(code));
  if (code == errc::invalid_argument)
    CHECK(error_of([&] { r.set("bad", std::numeric_limits<double>::quiet_NaN()); }) == code);
  else
    CHECK(error_of([&] { r.set("big", std::string(limit, 'x')); }) == code);
  CHECK(diff(r, m) == "");
  auto& again = h.reopen();
  CHECK(diff(again, m) == "");
  // The journal is usable: the next write lands and the reopen after it is
  // clean.
  again.set("d", 4);
  auto& last = h.reopen();
  CHECK(diff(last, {{"a", 1}, {"b", "two"}, {"d", 4}}) == "");
  CHECK(last.recovery().loss == DataLoss::none);
  CHECK(last.recovery().records_replayed == 3);
}

TEST_CASE(
    "journal: the high-water mark is exact integer arithmetic above 16 MiB (first design defect 7)",
    "[journal][defect]") {
  struct Ratio {
    double ratio;
    std::uint64_t ppm;  // the same ratio in parts per million, exactly
  };
  const std::vector<Ratio> ratios = {
      {0.8, 800000}, {0.5, 500000},      {0.75, 750000},     {0.9, 900000}, {0.3, 300000},
      {0.7, 700000}, {0.123456, 123456}, {0.999999, 999999}, {0.000001, 1}, {1.0, 1000000}};
  const std::vector<std::size_t> capacities = {
      (std::size_t{16} << 20) + 1, (std::size_t{16} << 20) + 3, (std::size_t{16} << 20) + 12345,
      (std::size_t{17} << 20) - 1, std::size_t{123456789},      (std::size_t{100} << 20) + 7,
      (std::size_t{256} << 20) - 1};
  int f32_wrong = 0;
  for (const std::size_t cap : capacities) {
    for (const auto& r : ratios) {
      INFO("capacity " << cap << " ratio " << r.ratio);
      JournalOptions o;
      o.high_water_mark_ratio = r.ratio;
      auto j = kv::KVJournal<AnonBackend>::create(AnonBackend(cap + kDataOffset), o);
      REQUIRE(j.capacity_bytes() == cap);
      const std::uint64_t exact = std::uint64_t{cap} * r.ppm / 1000000;  // < 2^48: no overflow
      CHECK(j.high_water_mark() == exact);
      CHECK_FALSE(j.high_water_mark_triggered());
      const auto f32 =
          static_cast<std::uint64_t>(static_cast<float>(cap) * static_cast<float>(r.ratio));
      if (f32 != exact) ++f32_wrong;
    }
  }
  // The capacities are ones where the first design's f32 arithmetic is off.
  CHECK(f32_wrong > static_cast<int>(capacities.size()));
}

TEMPLATE_TEST_CASE(
    "journal: a high-water ratio of 0, below 0, NaN or above 1 is refused before anything is "
    "written "
    "(first design defect 7)",
    "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  using J = kv::KVJournal<TestType>;
  const std::vector<double> bad = {0.0,
                                   -0.0,
                                   -0.5,
                                   -1.0,
                                   std::numeric_limits<double>::quiet_NaN(),
                                   -std::numeric_limits<double>::quiet_NaN(),
                                   1.0000001,
                                   2.0,
                                   std::numeric_limits<double>::infinity(),
                                   -std::numeric_limits<double>::infinity()};
  test::Factory<TestType> f;
  // An existing journal, for open().
  Harness<TestType> h;
  h.create().set("a", 1);
  h.close();
  const auto stored = h.stored();
  for (const double ratio : bad) {
    INFO("ratio " << ratio);
    JournalOptions o;
    o.high_water_mark_ratio = ratio;
    for (const bool via_create : {true, false}) {
      INFO((via_create ? "create()" : "open_or_create()"));
      TestType blank = f.make(4096);
      CHECK(error_of([&] {
              if (via_create)
                (void)J::create(std::move(blank), o);
              else
                (void)J::open_or_create(std::move(blank), o);
            }) == errc::invalid_argument);
      if constexpr (test::Factory<TestType>::persistent) {
        // What it was given is still blank.
        TestType again = f.reopen();
        const std::byte* p = std::as_const(again).data();
        CHECK(std::all_of(p, p + again.size(), [](std::byte b) { return b == std::byte{0}; }));
      }
    }
    CHECK(h.try_open(o) == errc::invalid_argument);
    CHECK(h.stored() == stored);
  }
  // The boundary is accepted.
  JournalOptions one;
  one.high_water_mark_ratio = 1.0;
  auto& j = h.open_with(one);
  CHECK(j.high_water_mark() == j.capacity_bytes());
  CHECK(diff(j, {{"a", 1}}) == "");
}

TEMPLATE_TEST_CASE(
    "journal: high_water_mark_triggered follows usage and clears after clear() (first "
    "design defect 7)",
    "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  const std::size_t limit = 4 * memvec::page_size();
  const double ratio = GENERATE(0.8, 0.5, 1.0);
  INFO("ratio " << ratio);
  JournalOptions o;
  o.high_water_mark_ratio = ratio;
  Harness<TestType> h;
  auto& j = h.create_capped(limit, o);
  const std::size_t cap = j.capacity_bytes();
  REQUIRE(cap == limit - kDataOffset);
  CHECK(j.high_water_mark() ==
        static_cast<std::size_t>(static_cast<std::uint64_t>(cap) *
                                 static_cast<std::uint64_t>(ratio * 1e6 + 0.5) / 1000000));
  int triggered_at = -1;
  for (int i = 0;; ++i) {
    const std::string k = "k" + std::to_string(i);
    const Value v = std::string(30, 'v');
    if (j.used_bytes() + record_size(k, v) > cap) break;
    j.set(k, v);
    INFO("write " << i << " used " << j.used_bytes());
    CHECK(j.usage_ratio() == static_cast<double>(j.used_bytes()) / static_cast<double>(cap));
    CHECK(j.high_water_mark_triggered() == (j.used_bytes() >= j.high_water_mark()));
    if (triggered_at < 0 && j.high_water_mark_triggered()) triggered_at = i;
  }
  if (ratio < 1.0) {
    CHECK(triggered_at > 0);
    CHECK(j.high_water_mark_triggered());
  }
  // It persists with the usage across a reopen (same options)...
  auto& r = h.reopen();
  CHECK(r.high_water_mark_triggered() == (r.used_bytes() >= r.high_water_mark()));
  CHECK(r.usage_ratio() == static_cast<double>(r.used_bytes()) / static_cast<double>(cap));
  // ...and clear() resets it.
  r.clear();
  CHECK_FALSE(r.high_water_mark_triggered());
  CHECK(r.usage_ratio() == 0.0);
  r.set("k", 1);
  CHECK_FALSE(r.high_water_mark_triggered());
}
