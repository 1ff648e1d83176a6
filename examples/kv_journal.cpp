// kv_journal: the seed's KV journal, over a memory-mapped file and over a
// plain caller-owned buffer, with the same code.
//
// The seed design (a Rust crate) made its journal work on `&mut [u8]` so that
// one KVJournal runs over a Vec, an mmap'ed file or any byte array. memvec's
// KVJournal<B> is generic over the Backend instead: `use_journal` below is
// one function template, run once on a MemMappedKVJournal
// (KVJournal<FileBackend>) and once on a KVJournal<SpanBackend> over a
// std::array<std::byte, 4096> the caller owns. It shows set / get / erase /
// set_many / as_hashmap, usage_ratio, a reopen that finds every write again
// (replayed from the bytes, checksums verified) and recovery().
//
//   example_kv_journal              # uses <temp dir>/memvec_kv_journal_<pid>.kv, removed at the end
//   example_kv_journal my.kv        # or a path you give, which is kept: run it
//                                   # twice and the second run starts from the
//                                   # first one's data
//
// Errors are memvec::Error exceptions (a std::system_error) whose code()
// compares equal to a memvec::errc: a full buffer is errc::capacity_exceeded
// and the journal stays as it was.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include <memvec/kv.hpp>

namespace kv = memvec::kv;

namespace {

const char* loss_name(kv::DataLoss l) {
  switch (l) {
    case kv::DataLoss::none: return "none";
    case kv::DataLoss::partial: return "partial";
    case kv::DataLoss::total: return "total";
  }
  return "?";
}

// Prints the whole map, keys sorted (as_hashmap() iterates in no set order).
template <class Journal>
void print_map(const Journal& journal) {
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& [key, value] : journal.as_hashmap()) rows.emplace_back(key, value.to_json());
  std::sort(rows.begin(), rows.end());
  for (const auto& [key, json] : rows) std::cout << "    " << key << " = " << json << "\n";
}

// The same code for every backend: the seed's example, then a few more calls.
template <class Journal>
void use_journal(Journal& journal) {
  const auto& r = journal.recovery();
  std::cout << "  opened: " << journal.size() << " keys, " << r.records_replayed
            << " records replayed, data loss: " << loss_name(r.loss) << "\n";

  journal.set("user_name", "Alice");
  journal.set("user_id", 12345);
  journal.set("scratch", 1.5);
  journal.erase("scratch");  // a null value in the log: a delete
  // One atomic record: after a crash, either all three or none.
  journal.set_many({{"theme", "dark"},
                    {"volume", 7},
                    {"recent", kv::Value::array({"a.txt", "b.txt"})}});

  if (const auto name = journal.get("user_name")) std::cout << "  user_name: " << *name << "\n";
  if (const kv::ValuePtr id = journal.find("user_id"))  // no copy: read in the mapping
    std::cout << "  user_id:   " << id->as_int() << "\n";
  std::cout << "  scratch present: " << std::boolalpha << journal.contains("scratch") << "\n";
  std::cout << "  as_hashmap():\n";
  print_map(journal);
  std::cout << "  log: " << journal.used_bytes() << " of " << journal.capacity_bytes()
            << " bytes, usage_ratio " << journal.usage_ratio() << "\n";
}

// The contents survived the reopen: every key the first session wrote.
template <class Journal>
bool check_reopened(const Journal& journal) {
  const auto& r = journal.recovery();
  std::cout << "  reopened: " << journal.size() << " keys from " << r.records_replayed
            << " records, data loss: " << loss_name(r.loss) << ", bytes dropped "
            << r.bytes_dropped << "\n";
  return journal.get("user_name") == kv::Value("Alice") && journal.get("volume") == kv::Value(7) &&
         !journal.contains("scratch") && r.loss == kv::DataLoss::none;
}

}  // namespace

int main(int argc, char** argv) try {
  bool ok = true;

  // --- 1. over a memory-mapped file ------------------------------------------
  const bool keep = argc > 1;
  const std::filesystem::path path =
      keep ? std::filesystem::path(argv[1])
           : std::filesystem::temp_directory_path() /
                 ("memvec_kv_journal_" + std::to_string(::getpid()) + ".kv");
  std::cout << "KVJournal<FileBackend> over " << path.string() << "\n";
  {
    auto journal = kv::MemMappedKVJournal::open_or_create(memvec::FileBackend::open(path));
    use_journal(journal);
    journal.close();  // unmap + close; a process crash would lose nothing either
  }
  {
    // Another process (or a restart) opens the same file: the index is
    // rebuilt from the records, each checked against its CRC32C.
    auto journal = kv::MemMappedKVJournal::open(memvec::FileBackend::open(path));
    ok &= check_reopened(journal);
  }
  if (!keep) std::filesystem::remove(path);

  // --- 2. over a plain buffer the caller owns -----------------------------------
  // 4 KiB, 8-aligned (the header's words are 8-byte stores): 256 bytes of
  // header, 3840 for records. No file, no allocation of the log: the bytes
  // are wherever the caller put them (a static array, shared memory, a
  // region handed over by another library...).
  alignas(8) static std::array<std::byte, 4096> buffer{};
  std::cout << "\nKVJournal<SpanBackend> over a std::array<std::byte, 4096>\n";
  {
    auto journal = kv::KVJournal<memvec::SpanBackend>::open_or_create(memvec::SpanBackend{buffer});
    use_journal(journal);
  }  // the journal object is gone; the bytes stay in `buffer`
  {
    auto journal = kv::KVJournal<memvec::SpanBackend>::open(memvec::SpanBackend{buffer});
    ok &= check_reopened(journal);

    // A fixed buffer does not grow: a write that does not fit throws
    // capacity_exceeded and changes nothing (a DoubleBufferedKV would compact
    // into its standby buffer instead).
    const std::size_t before = journal.size();
    try {
      journal.set("big", std::string(5000, 'x'));
      ok = false;
    } catch (const memvec::Error& e) {
      ok &= e.code() == memvec::errc::capacity_exceeded && journal.size() == before;
      std::cout << "  a 5000-byte value: " << e.what() << " (journal unchanged: " << journal.size()
                << " keys)\n";
    }
    journal.clear();
    std::cout << "  after clear(): " << journal.size() << " keys, usage_ratio "
              << journal.usage_ratio() << "\n";
  }

  std::cout << "\n" << (ok ? "ok" : "FAILED") << "\n";
  return ok ? 0 : 1;
} catch (const memvec::Error& e) {
  std::cerr << "kv_journal: " << e.what() << "\n";
  return 1;
}
