// Journal fault injection, stale records: dedicated scenarios (each with
// equal-size records, so stale frames line up with new ones): stale records
// of an earlier epoch under a fresh header (the epoch in the CRC seed rejects
// them); an epoch used on disk but lost with its header, then reused by a
// later clear(); records a lossy recovery dropped, or whose commit a power
// cut lost, reappearing after the next cut (the first write after open()
// zeroes and syncs the tail); a clear() after a sync() reaching back past
// the sync point.
#include "journal_faults_fixture.hpp"

using namespace journal_faults;

namespace {

// The length of a value string whose set("<prefix>NNN", value) record is
// exactly `size` bytes, so records of two runs line up at the same offsets.
std::string value_for_record_size(const std::string& key, std::size_t size) {
  for (std::size_t n = 0; n < size; ++n) {
    auto j = KVJournal<test::HeapBackend>::create(test::HeapBackend(4096));
    j.set(key, Value(std::string(n, 'v')));
    if (j.used_bytes() == size) return std::string(n, 'v');
  }
  FAIL("no value length gives a " << size << "-byte record");
  return {};
}

// "<prefix>NNN": keys of one length, so their records have one size.
std::string key3(const std::string& prefix, std::size_t i) {
  std::string n = std::to_string(i);
  return prefix + std::string(n.size() < 3 ? 3 - n.size() : 0, '0') + n;
}

bool has_prefix_key(const Index& m, const std::string& prefix) {
  for (const auto& [k, v] : m)
    if (k.rfind(prefix, 0) == 0) return true;
  return false;
}

}  // namespace

TEST_CASE("journal faults: records from before a clear() never come back under a new header") {
  // 48-byte records: 80 of them fill the rest of page 0 exactly, so old and
  // new records start at the same offsets, page boundaries included.
  const std::string old_value = value_for_record_size("old-000", 48);
  const std::string new_value = value_for_record_size("new-000", 48);
  const std::size_t page = memvec::page_size();
  REQUIRE((page - kDataOffset) % 48 == 0);

  for (const Durability durability : {Durability::process_crash, Durability::power_loss}) {
    INFO("durability " << (durability == Durability::power_loss ? "power_loss" : "process_crash"));
    JournalOptions opts;
    opts.durability = durability;
    FaultBackend backend(4 * page);
    const auto disk = backend.disk();
    FaultJournal j = FaultJournal::create(std::move(backend), opts);
    for (int i = 0; i < 200; ++i) {  // pages 0..2
      j.set(key3("old-", i), Value(old_value));
    }
    j.sync();
    const std::size_t old_used = j.used_bytes();
    const std::uint64_t old_epoch = j.epoch();
    j.clear();
    for (int i = 0; i < 150; ++i) {  // over the same offsets, fewer of them
      j.set(key3("new-", i), Value(new_value));
    }
    const std::size_t new_used = j.used_bytes();
    REQUIRE(new_used < old_used);
    REQUIRE(j.epoch() != old_epoch);

    // The durable image holds the old records everywhere. Write back only
    // the header (its first sector), or only page 0 (the header and the
    // new records in it), or page 0 and page 2 (a hole at page 1).
    struct Case {
      const char* what;
      std::vector<std::size_t> pages;
      std::optional<FaultDisk::TornPage> torn;
    };
    const std::vector<Case> cases = {
        {"header sector only", {}, FaultDisk::TornPage{0, 512}},
        {"header page only", {0}, std::nullopt},
        {"header page and page 2, not page 1", {0, 2}, std::nullopt},
    };
    for (const Case& c : cases) {
      INFO(c.what);
      auto image = disk->cut_with(c.pages, c.torn);
      if (durability == Durability::power_loss) {
        // Everything was synced: the durable image already is the new state.
        image = disk->cut({CutMode::drop_unsynced});
      }
      // The image's header is the new one (epoch moved on, new length).
      REQUIRE(image_word(image, memvec::header_offset::kUserWord) == j.epoch());
      REQUIRE(image_word(image, memvec::header_offset::kLengthWord) == new_used);
      if (durability == Durability::process_crash) {
        // Control: under the old seed, the old records of page 1 (a record
        // boundary) would replay as data; the epoch is what rejects them.
        memvec::kv::detail::LogIndex stale;
        const auto seed_old = memvec::kv::record_seed(j.generation(), old_epoch);
        const std::size_t from = page - kDataOffset;
        const auto tail =
            std::span<const std::byte>(image).subspan(kDataOffset + from, new_used - from);
        (void)memvec::kv::replay(tail, seed_old, stale);
        bool old_key = false;
        stale.for_each([&](std::uint64_t, std::size_t m) {
          std::string_view key;
          memvec::kv::detail::read_trusted_string(tail.data() + m, key);
          old_key |= key.starts_with("old-");
        });
        CHECK(old_key);
      }
      FaultJournal r = FaultJournal::open(FaultBackend(image), opts);
      CHECK_FALSE(has_prefix_key(r.as_hashmap(), "old-"));
      if (durability == Durability::power_loss) {
        CHECK(r.recovery().loss == DataLoss::none);
        CHECK(r.size() == 150);
      } else {
        CHECK(r.recovery().loss != DataLoss::none);
        CHECK(r.recovery().bytes_dropped > 0);
        // Whatever survived is a prefix of the new records.
        for (const auto& [k, v] : r.as_hashmap()) CHECK(v == Value(new_value));
        CHECK(r.recovery().records_replayed == r.size());
        CHECK(r.recovery().bytes_dropped == new_used - 48 * r.size());
      }
    }
  }
}

TEST_CASE("journal faults: an epoch used on disk but lost with its header is never reused") {
  // Under process_crash, a power cut can lose a header that moved to a new
  // epoch while records of that epoch reached the disk. If the reopened
  // journal later moved to that same epoch again, those records would
  // validate wherever their frames line up with new ones, and a reopen would
  // mix two histories. Equal-size records make the frames line up.
  const std::string value = value_for_record_size("a-000", 48);
  const std::size_t page = memvec::page_size();
  const std::size_t per_page0 = (page - kDataOffset) / 48;  // records in page 0
  JournalOptions opts;  // process_crash

  SECTION("a clear() whose header was lost, then a clean reopen and another clear()") {
    // Run 1: a few records in page 0, synced; clear(); many "lost" records
    // (pages 0..2); power cut: page 0 (header) not written back, pages 1-2
    // written back. The reopen is clean (the lost records lie past the old
    // length) and back in the old epoch.
    FaultBackend backend(4 * page);
    auto disk = backend.disk();
    FaultJournal j = FaultJournal::create(std::move(backend), opts);
    for (int i = 0; i < 10; ++i) {
      j.set(key3("a-", i), Value(value));
    }
    disk->sync_all();  // the kernel wrote everything back (no sync(): see clear())
    j.clear();
    for (int i = 0; i < 200; ++i) {
      j.set(key3("b-", i), Value(value));
    }
    const std::vector<std::size_t> back = {1, 2};
    const auto image1 = disk->cut_with(back);
    FaultJournal r1 = FaultJournal::open(FaultBackend(image1), opts);
    REQUIRE(r1.recovery().loss == DataLoss::none);
    REQUIRE(r1.size() == 10);
    // Run 2: clear() again and write "c" records into page 1; power cut:
    // the header page written back, page 1 not (it still holds run 1's "b"
    // records at the same offsets).
    auto disk2 = r1.log().backend().disk();
    r1.clear();
    for (std::size_t i = 0; i < per_page0 + 20; ++i) {
      r1.set(key3("c-", i), Value(value));
    }
    const std::vector<std::size_t> back2 = {0};
    const auto image2 = disk2->cut_with(back2);
    FaultJournal r2 = FaultJournal::open(FaultBackend(image2), opts);
    INFO("reopened: " << describe(r2.as_hashmap()) << "; " << r2.recovery().reason);
    CHECK_FALSE(has_prefix_key(r2.as_hashmap(), "b-"));
    CHECK(r2.recovery().loss == DataLoss::partial);
    CHECK(r2.size() == per_page0);
  }

  SECTION("a lossy reopen, then writes over the damaged tail") {
    // Run 1: records in pages 0..1, synced; clear(); "lost" records over
    // pages 0..2; power cut: page 0 not written back, pages 1-2 written back.
    // The reopen (old epoch) loses everything from page 1 on.
    FaultBackend backend(4 * page);
    auto disk = backend.disk();
    FaultJournal j = FaultJournal::create(std::move(backend), opts);
    for (std::size_t i = 0; i < per_page0 + 40; ++i) {
      j.set(key3("a-", i), Value(value));
    }
    disk->sync_all();  // the kernel wrote everything back (no sync(): see clear())
    j.clear();
    for (int i = 0; i < 200; ++i) {
      j.set(key3("b-", i), Value(value));
    }
    const std::vector<std::size_t> back = {1, 2};
    FaultJournal r1 = FaultJournal::open(FaultBackend(disk->cut_with(back)), opts);
    REQUIRE(r1.recovery().loss == DataLoss::partial);
    REQUIRE(r1.size() == per_page0);
    // Run 2: the first write cuts back to page 1 (same epoch); the "c"
    // records land over run 1's "b" records in page 1. Power cut: the header
    // page written back, page 1 not.
    auto disk2 = r1.log().backend().disk();
    for (int i = 0; i < 20; ++i) {
      r1.set(key3("c-", i), Value(value));
    }
    const std::vector<std::size_t> back2 = {0};
    FaultJournal r2 = FaultJournal::open(FaultBackend(disk2->cut_with(back2)), opts);
    INFO("reopened: " << describe(r2.as_hashmap()) << "; " << r2.recovery().reason);
    CHECK_FALSE(has_prefix_key(r2.as_hashmap(), "b-"));
    CHECK(r2.recovery().loss == DataLoss::partial);
    CHECK(r2.size() == per_page0);
  }
}

TEST_CASE("journal faults: a clear() after a sync() never reopens to a state older than the sync") {
  // Records synced, then clear() and new records over the same offsets. A
  // power cut that writes back the new records but not the header must not
  // reopen to a prefix of the synced records cut short by the new ones (a
  // state older than the sync): the clear's header is durable first.
  const std::string value = value_for_record_size("a-000", 48);
  const std::size_t page = memvec::page_size();
  const std::size_t per_page0 = (page - kDataOffset) / 48;
  FaultBackend backend(4 * page);
  auto disk = backend.disk();
  FaultJournal j = FaultJournal::create(std::move(backend));  // process_crash
  for (std::size_t i = 0; i < 3 * per_page0; ++i) j.set(key3("a-", i), Value(value));
  j.sync();
  const std::uint64_t syncs = disk->syncs();
  j.clear();
  CHECK(disk->syncs() == syncs + 1);
  j.clear();  // no sync since: no sync needed
  CHECK(disk->syncs() == syncs + 1);
  for (std::size_t i = 0; i < 2 * per_page0; ++i) j.set(key3("b-", i), Value(value));
  CHECK(disk->syncs() == syncs + 1);  // writes under process_crash: no syscall
  for (const auto& pages : {std::vector<std::size_t>{1}, std::vector<std::size_t>{1, 2},
                            std::vector<std::size_t>{}}) {
    FaultJournal r = FaultJournal::open(FaultBackend(disk->cut_with(pages)));
    INFO("pages written back: " << pages.size() << "; " << describe(r.as_hashmap()));
    CHECK_FALSE(has_prefix_key(r.as_hashmap(), "a-"));
  }
}

TEST_CASE("journal faults: records dropped by a lossy recovery never come back after the next cut") {
  // Power cut 1 leaves a hole: the header and page 2 reached the disk, page
  // 1 did not. The reopen stops at page 1 and drops the valid records of
  // page 2 behind the hole. The next writes go over page 1 and into page 2;
  // power cut 2 writes back the header and page 1 but not page 2, which
  // still holds the dropped records of the same epoch, at the same offsets
  // (equal-size records). They must not be read as data: the damaged tail
  // must be gone from the disk before a new length covers it.
  const std::string value = value_for_record_size("a-000", 48);
  const std::size_t page = memvec::page_size();
  const std::size_t per_page0 = (page - kDataOffset) / 48;
  const Durability durability = GENERATE(Durability::process_crash, Durability::power_loss);
  JournalOptions opts;
  opts.durability = durability;
  FaultBackend backend(4 * page);
  auto disk = backend.disk();
  FaultJournal j = FaultJournal::create(std::move(backend), opts);
  for (std::size_t i = 0; i < per_page0; ++i) j.set(key3("a-", i), Value(value));
  j.sync();
  for (std::size_t i = per_page0; i < 3 * per_page0; ++i) j.set(key3("a-", i), Value(value));
  // Under power_loss everything is durable: make the hole by hand.
  auto image1 = durability == Durability::power_loss ? disk->cut({CutMode::drop_unsynced})
                                                     : disk->cut_with(std::vector<std::size_t>{0, 2});
  if (durability == Durability::power_loss)
    std::memset(image1.data() + page, 0, page);
  FaultJournal r1 = FaultJournal::open(FaultBackend(image1), opts);
  REQUIRE(r1.recovery().loss == DataLoss::partial);
  REQUIRE(r1.size() == per_page0);
  auto disk2 = r1.log().backend().disk();
  // 100 records: all of page 1 and some of page 2.
  for (std::size_t i = 0; i < 100; ++i) r1.set(key3("c-", i), Value(value));
  REQUIRE(r1.used_bytes() > 2 * page - kDataOffset);
  const auto image2 = disk2->cut_with(std::vector<std::size_t>{0, 1});
  FaultJournal r2 = FaultJournal::open(FaultBackend(image2), opts);
  INFO("reopened: " << describe(r2.as_hashmap()) << "; " << r2.recovery().reason);
  for (std::size_t i = per_page0; i < 3 * per_page0; ++i) CHECK_FALSE(r2.contains(key3("a-", i)));
  if (durability == Durability::power_loss) {
    CHECK(r2.recovery().loss == DataLoss::none);
    CHECK(r2.size() == per_page0 + 100);
  } else {
    CHECK(r2.recovery().loss == DataLoss::partial);
    CHECK(r2.size() == per_page0 + (page / 48));  // the a's of page 0, the c's of page 1
  }
}

TEST_CASE("journal faults: records whose commit a power cut lost never come back after the next cut") {
  // Power cut 1 keeps the records of pages 1-2 but not the header that
  // committed them: the reopen is clean, at the synced length, and shows
  // none of them. The next writes go over page 1 and into page 2; power cut
  // 2 keeps the header and page 1 but not page 2, which still holds those
  // never-shown records of the same epoch at the same offsets.
  const std::string value = value_for_record_size("a-000", 48);
  const std::size_t page = memvec::page_size();
  const std::size_t per_page0 = (page - kDataOffset) / 48;
  FaultBackend backend(4 * page);
  auto disk = backend.disk();
  FaultJournal j = FaultJournal::create(std::move(backend));  // process_crash
  for (std::size_t i = 0; i < per_page0; ++i) j.set(key3("a-", i), Value(value));
  j.sync();
  for (std::size_t i = per_page0; i < 3 * per_page0; ++i) j.set(key3("a-", i), Value(value));
  FaultJournal r1 = FaultJournal::open(FaultBackend(disk->cut_with(std::vector<std::size_t>{1, 2})));
  REQUIRE(r1.recovery().loss == DataLoss::none);
  REQUIRE(r1.size() == per_page0);
  auto disk2 = r1.log().backend().disk();
  for (std::size_t i = 0; i < 100; ++i) r1.set(key3("c-", i), Value(value));
  REQUIRE(r1.used_bytes() > 2 * page - kDataOffset);
  FaultJournal r2 = FaultJournal::open(FaultBackend(disk2->cut_with(std::vector<std::size_t>{0, 1})));
  INFO("reopened: " << describe(r2.as_hashmap()) << "; " << r2.recovery().reason);
  for (std::size_t i = per_page0; i < 3 * per_page0; ++i) CHECK_FALSE(r2.contains(key3("a-", i)));
  CHECK(r2.recovery().loss == DataLoss::partial);
  CHECK(r2.size() == per_page0 + (page / 48));  // the a's of page 0, the c's of page 1
}
