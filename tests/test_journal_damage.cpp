// KVJournal<B> over every backend, the first journal design's defects 1 to 3
// (docs/DURABILITY.md): a
// flipped byte drops its record and all after it, and says so; a damaged
// batch applies none of its members; Durability::power_loss; no
// resurrection after clear() or deleting every key, even when the old length
// comes back; the creation time only displayed; a generation past
// kMaxGeneration refused, never wrapped.
#include "journal_fixture.hpp"

using namespace journal_fixture;

TEMPLATE_TEST_CASE(
    "journal: a flipped byte in the middle record drops it and all after it, and says so (first "
    "design defect 1)",
    "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  j.set("a", "first");
  const std::size_t b_off = j.used_bytes();
  j.set("b", "second");
  const std::size_t c_off = j.used_bytes();
  j.set("c", "third");
  const std::size_t end = j.used_bytes();
  h.close();
  const auto clean = h.stored();

  SECTION("a byte of its payload") {
    h.damage_log(b_off + kv::kRecordHeaderSize + 2);
    auto& r = h.open();
    CHECK(diff(r, {{"a", "first"}}) == "");
    const auto& rec = r.recovery();
    CHECK(rec.loss == DataLoss::partial);
    CHECK(rec.records_replayed == 1);
    CHECK(rec.first_bad_offset == b_off);
    CHECK(rec.bytes_dropped == end - b_off);
    CHECK(rec.records_dropped == 2);
    CHECK_THAT(rec.reason, Catch::Matchers::Contains("checksum"));
    CHECK_THAT(rec.reason, Catch::Matchers::Contains(std::to_string(b_off)));
  }
  SECTION("every bit of every byte of it, header included") {
    for (std::size_t off = b_off; off < c_off; ++off) {
      for (int bit = 0; bit < 8; ++bit) {
        INFO("log offset " << off << " bit " << bit);
        h.store(clean);
        h.damage_log(off, static_cast<std::uint8_t>(1u << bit));
        auto& r = h.open();
        CHECK(diff(r, {{"a", "first"}}) == "");
        CHECK(r.recovery().loss == DataLoss::partial);
        CHECK(r.recovery().records_replayed == 1);
        CHECK(r.recovery().first_bad_offset == b_off);
        CHECK(r.recovery().bytes_dropped == end - b_off);
        CHECK(r.recovery().records_dropped >= 1);
        CHECK_FALSE(r.recovery().reason.empty());
        h.close();
      }
    }
  }
  SECTION("the first record: total loss") {
    h.damage_log(kv::kRecordHeaderSize + 1);
    auto& r = h.open();
    CHECK(diff(r, {}) == "");
    CHECK(r.recovery().loss == DataLoss::total);
    CHECK(r.recovery().records_replayed == 0);
    CHECK(r.recovery().first_bad_offset == 0);
    CHECK(r.recovery().bytes_dropped == end);
    CHECK(r.recovery().records_dropped == 3);
  }
  SECTION("the last record") {
    h.damage_log(end - 1);
    auto& r = h.open();
    CHECK(diff(r, {{"a", "first"}, {"b", "second"}}) == "");
    CHECK(r.recovery().loss == DataLoss::partial);
    CHECK(r.recovery().records_replayed == 2);
    CHECK(r.recovery().first_bad_offset == c_off);
    CHECK(r.recovery().bytes_dropped == end - c_off);
    CHECK(r.recovery().records_dropped == 1);
  }
}

TEMPLATE_TEST_CASE("journal: a damaged batch applies none of its members (first design defect 1)",
                   "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  j.set("before", 0);
  j.set("doomed", 1);
  const std::size_t off = j.used_bytes();
  j.set_many({{"x", 1}, {"y", "two"}, {"doomed", nullptr}, {"z", Value::array({3})}});
  const std::size_t end = j.used_bytes();
  j.set("after", 2);
  h.close();
  const auto clean = h.stored();
  // Whichever byte of the batch is damaged, not one of its members applies
  // (not even the first ones, which decode before the damage).
  for (std::size_t at = off; at < end; ++at) {
    INFO("log offset " << at);
    h.store(clean);
    h.damage_log(at, 0x40);
    auto& r = h.open();
    CHECK(diff(r, {{"before", 0}, {"doomed", 1}}) == "");
    CHECK(r.recovery().loss == DataLoss::partial);
    CHECK(r.recovery().records_replayed == 2);
    CHECK(r.recovery().first_bad_offset == off);
    h.close();
  }
}

TEMPLATE_TEST_CASE(
    "journal: Durability::power_loss journals write, sync and reopen with every write (first "
    "design "
    "defect 2)",
    "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  JournalOptions o;
  o.durability = memvec::Durability::power_loss;
  Harness<TestType> h;
  auto& j = h.create(0, o);
  CHECK(j.durability() == memvec::Durability::power_loss);
  Model m;
  std::uint64_t records = 0;
  for (int i = 0; i < 200; ++i) {
    const std::string k = "k" + std::to_string(i % 37);
    if (i == 120) {
      j.clear();
      m.clear();
      records = 0;
    } else if (i % 10 == 3) {
      j.erase(k);
      m.erase(k);
      ++records;
    } else if (i % 10 == 7) {
      j.set_many({{k, i}, {"batch", "b" + std::to_string(i)}, {"k0", nullptr}});
      m[k] = i;
      m["batch"] = "b" + std::to_string(i);
      m.erase("k0");
      ++records;
    } else {
      j.set(k,
            std::string(static_cast<std::size_t>(i), 'p'));  // grows the log: syncs around resize
      m[k] = std::string(static_cast<std::size_t>(i), 'p');
      ++records;
    }
  }
  j.sync();
  CHECK(diff(j, m) == "");
  auto& r = h.reopen();
  CHECK(r.durability() == memvec::Durability::power_loss);
  CHECK(diff(r, m) == "");
  CHECK(r.recovery().loss == DataLoss::none);
  CHECK(r.recovery().records_replayed == records);
  r.set("after reopen", true);
  m["after reopen"] = true;
  h.close();
  auto& plain = h.open_with({});  // and readable without it
  CHECK(diff(plain, m) == "");
  CHECK(plain.recovery().loss == DataLoss::none);
}

TEMPLATE_TEST_CASE(
    "journal: after clear() or deleting every key a reopen is empty (first design defect 3)",
    "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  j.set("a", 1);
  j.set("b", 2);
  j.set_many({{"c", 3}, {"d", 4}});
  const std::uint64_t epoch0 = j.epoch();
  SECTION("clear()") {
    j.clear();
    CHECK(diff(j, {}) == "");
    CHECK(j.used_bytes() == 0);
    CHECK(j.epoch() > epoch0);
    auto& r = h.reopen();
    CHECK(diff(r, {}) == "");
    CHECK(r.recovery().loss == DataLoss::none);
    CHECK(r.recovery().records_replayed == 0);
    CHECK(r.epoch() == j.epoch());
  }
  SECTION("clear() twice, then new keys") {
    j.clear();
    j.clear();
    j.set("new", "x");
    auto& r = h.reopen();
    CHECK(diff(r, {{"new", "x"}}) == "");
    CHECK(r.recovery().records_replayed == 1);
  }
  SECTION("erasing every key") {
    for (const char* k : {"a", "b", "c", "d"}) j.erase(k);
    auto& r = h.reopen();
    CHECK(diff(r, {}) == "");
    CHECK(r.recovery().loss == DataLoss::none);
    CHECK(r.recovery().records_replayed == 7);
  }
  SECTION("a batch of nulls for every key") {
    j.set_many({{"a", nullptr}, {"b", nullptr}, {"c", nullptr}, {"d", nullptr}});
    auto& r = h.reopen();
    CHECK(diff(r, {}) == "");
  }
}

// The length word is what a torn write could bring back: with the old length
// and the old records still in the bytes, a reopen must not resurrect them.
TEMPLATE_TEST_CASE(
    "journal: records from before a clear() never validate again, even when the old length comes "
    "back (first design defect 3)",
    "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  j.set("a", 1);
  j.set("b", "two");
  j.set("c", 3.5);
  const std::size_t old_used = j.used_bytes();
  h.close();
  const auto before_clear = h.stored();
  auto& j2 = h.open();
  j2.clear();
  const bool write_after = GENERATE(false, true);
  INFO("a write after clear(): " << write_after);
  if (write_after) j2.set("new", 1);
  h.close();
  auto bytes = h.stored();
  std::copy_n(before_clear.begin() + memvec::header_offset::kLengthWord, 8,
              bytes.begin() + memvec::header_offset::kLengthWord);
  h.store(bytes);
  auto& r = h.open();
  CHECK(r.used_bytes() == old_used);
  CHECK_FALSE(r.contains("a"));
  CHECK_FALSE(r.contains("b"));
  CHECK_FALSE(r.contains("c"));
  if (write_after) {
    CHECK(diff(r, {{"new", 1}}) == "");
    CHECK(r.recovery().loss == DataLoss::partial);
    CHECK(r.recovery().records_replayed == 1);
  } else {
    CHECK(diff(r, {}) == "");
    CHECK(r.recovery().loss == DataLoss::total);
    CHECK(r.recovery().bytes_dropped == old_used);
  }
}

TEMPLATE_TEST_CASE(
    "journal: the creation time is only displayed, never used (first design defect 3)",
    "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  const auto now = [] {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  };
  Harness<TestType> h;
  const std::uint64_t t0 = now();
  auto& j = h.create();
  const std::uint64_t t1 = now();
  const kv::JournalMeta meta = j.meta();
  CHECK(meta.created_unix_ns >= t0);
  CHECK(meta.created_unix_ns <= t1);
  CHECK(meta.generation == 1);
  CHECK(meta.format_version == kv::kJournalFormatVersion);
  j.set("a", 1);
  j.clear();
  j.set("b", 2);
  CHECK(j.meta().created_unix_ns == meta.created_unix_ns);
  h.close();
  // A clock far in the past or the future changes nothing but meta().
  for (const std::uint64_t created : {std::uint64_t{0}, std::uint64_t{1}, ~std::uint64_t{0}}) {
    INFO("created_unix_ns " << created);
    auto bytes = h.stored();
    std::memcpy(bytes.data() + kMetaCreatedAt, &created, 8);
    reseal_header(bytes);
    h.store(bytes);
    auto& r = h.open();
    CHECK(r.meta().created_unix_ns == created);
    CHECK(diff(r, {{"b", 2}}) == "");
    CHECK(r.recovery().loss == DataLoss::none);
    CHECK(r.generation() == 1);
    h.close();
  }
}

TEMPLATE_TEST_CASE(
    "journal: a generation past kMaxGeneration is refused by create() and by open(), never "
    "wrapped",
    "[journal]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  j.set("a", 1);
  h.close();
  const auto with_generation = [&](std::uint64_t g) {
    auto bytes = h.stored();
    std::memcpy(bytes.data() + kMetaGenerationAt, &g, 8);
    reseal_header(bytes);
    h.store(bytes);
  };
  // The last generation opens; its records were sealed with generation 1,
  // so they no longer validate: reported, never returned.
  with_generation(kv::kMaxGeneration);
  {
    auto& r = h.open();
    CHECK(r.generation() == kv::kMaxGeneration);
    CHECK(diff(r, {}) == "");
    CHECK(r.recovery().loss == DataLoss::total);
    h.close();
  }
  for (const std::uint64_t g : {kv::kMaxGeneration + 1, ~std::uint64_t{0}}) {
    INFO("generation " << g);
    with_generation(g);
    const auto before = h.stored();
    CHECK(error_of([&] { h.open(); }) == errc::corrupt_header);
    CHECK(h.stored() == before);
  }
  CHECK(error_of([&] {
          (void)kv::KVJournal<memvec::AnonBackend>::create(memvec::AnonBackend{}, {},
                                                           kv::kMaxGeneration + 1);
        }) == errc::invalid_argument);
}
