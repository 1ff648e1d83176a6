// persistent_log: an application log that survives restarts.
//
// Each run opens (or creates) a MemVec<LogEntry, FileBackend>, appends a few
// entries, and prints how many entries the file holds and the last few. Run
// it twice and the total grows: the entries of the first run are still there.
//
//   example_persistent_log                 # uses <temp dir>/memvec_persistent_log.bin
//   example_persistent_log my.log          # or any path you give
//   rm <path>                              # to start over
//
// What it shows: FileBackend::open + MemVec::open_or_create, push_back (each
// push is committed by publishing the persisted length: after a crash the
// file holds exactly the pushes that returned), iteration, sync() for power
// loss, and errors (memvec::Error, compared against memvec::errc values).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>

#include <memvec/memvec.hpp>

// The on-disk record: packed, so its bytes are exactly 8 + 1 + 128 = 137.
#pragma pack(push, 1)
struct LogEntry {
  std::uint64_t timestamp;  // nanoseconds since the Unix epoch
  std::uint8_t level;       // 0 = INFO, 1 = WARN, 2 = ERROR
  char message[128];        // NUL-padded text

  // Optional: a tag stored in the header, so a file of another 137-byte,
  // 1-aligned type is rejected (errc::type_mismatch) instead of misread.
  static constexpr std::uint64_t memvec_type_tag = 0x4C4F47454E545259;  // "LOGENTRY"
};
#pragma pack(pop)
static_assert(sizeof(LogEntry) == 137 && alignof(LogEntry) == 1);

using Log = memvec::MemVec<LogEntry, memvec::FileBackend>;

namespace {

LogEntry make_entry(std::uint8_t level, std::string_view text) {
  LogEntry e{};  // zero-fills the message
  e.timestamp = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  e.level = level;
  std::memcpy(e.message, text.data(), std::min(text.size(), sizeof e.message - 1));
  return e;
}

const char* level_name(std::uint8_t level) {
  switch (level) {
    case 0: return "INFO ";
    case 1: return "WARN ";
    case 2: return "ERROR";
    default: return "?    ";
  }
}

void print_entry(std::size_t index, const LogEntry& e) {
  // Copy out of the packed struct before use (no references to unaligned fields).
  const std::uint64_t ts = e.timestamp;
  const std::time_t secs = static_cast<std::time_t>(ts / 1'000'000'000);
  std::tm utc{};
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", gmtime_r(&secs, &utc));
  std::printf("  #%-4zu %s.%06llu UTC  %s  %.128s\n", index, when,
              static_cast<unsigned long long>(ts % 1'000'000'000 / 1000), level_name(e.level),
              e.message);
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path path =
      argc > 1 ? std::filesystem::path(argv[1])
               : std::filesystem::temp_directory_path() / "memvec_persistent_log.bin";
  std::cout << "log file: " << path << " (kept between runs; delete it to start over)\n";

  try {
    // open_or_create formats only a new (empty) file; an existing one is
    // validated (magic, version, checksum, sizeof/alignof/type tag) first.
    Log log = Log::open_or_create(memvec::FileBackend::open(path));
    const std::size_t before = log.size();
    std::cout << (before == 0 ? "new log" : "existing log") << " with " << before
              << " entries\n";

    const std::size_t run = before / 3 + 1;
    log.push_back(make_entry(0, "run " + std::to_string(run) + ": service started"));
    log.push_back(make_entry(1, "run " + std::to_string(run) + ": cache is cold, warming up"));
    log.push_back(make_entry(0, "run " + std::to_string(run) + ": ready to serve"));

    // Iteration is plain pointer iteration over the mapped file.
    std::size_t warnings = 0;
    for (const LogEntry& e : log) warnings += e.level == 1;

    std::cout << "appended 3 entries; total " << log.size() << " entries (" << warnings
              << " WARN), file is " << std::filesystem::file_size(path) << " bytes\n";
    const std::size_t shown = std::min<std::size_t>(log.size(), 6);
    std::cout << "last " << shown << " entries:\n";
    for (std::size_t i = log.size() - shown; i < log.size(); ++i) print_entry(i, log[i]);

    // Errors are memvec::Error (a std::system_error) with a memvec::errc code.
    try {
      (void)log.at(log.size());  // one past the end
    } catch (const memvec::Error& e) {
      std::cout << "expected error (out_of_range): " << e.what() << '\n';
    }
    try {
      // A second writer on the same file, from this or any process, is refused.
      auto second = memvec::FileBackend::open(path);
    } catch (const memvec::Error& e) {
      if (e.code() != memvec::errc::locked) throw;
      std::cout << "expected error (locked): " << e.what() << '\n';
    }

    // A process crash loses nothing that push_back returned; sync() also
    // makes the entries survive a power cut (msync + fdatasync).
    log.sync();
    log.close();  // unmaps, unlocks and closes, reporting any close error
  } catch (const memvec::Error& e) {
    // For instance: the path holds some other file (bad_magic), a log of
    // another record type (type_mismatch), or a damaged header (corrupt_header).
    std::cerr << "memvec error: " << e.what() << '\n';
    return 1;
  }
  std::cout << "run me again: the entries above will still be there\n";
  return 0;
}
