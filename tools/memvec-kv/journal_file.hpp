// JournalFile: a journal file opened read-only the way the tool reads it —
// its raw header, the library's verdict on that header, and the committed
// log bytes — plus inspect_journal(), the walk and open that `info` and
// `verify` both report from.
//
// Read-only with a shared lock (FileBackend, OpenMode::read_only), so a
// running writer makes this fail with errc::locked instead of reading a log
// that is changing underneath; nothing is ever written.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <memvec/file_backend.hpp>
#include <memvec/kv/record.hpp>

#include "header_view.hpp"
#include "log_walk.hpp"
#include "progress.hpp"

namespace memvec_kv {

struct JournalFile {
  std::filesystem::path path;
  memvec::FileBackend backend;
  HeaderView header;
  std::string header_problem;      // empty when the header validates
  std::span<const std::byte> log;  // the committed log bytes the file holds
  std::uint64_t capacity = 0;      // log bytes of room
  std::uint64_t missing = 0;       // committed bytes past the file's end
  std::uint32_t seed = 0;          // record_seed(generation, epoch)
};

// Throws memvec::Error when the file cannot be opened (locked, missing).
// A header that fails validation is reported in header_problem, log empty.
JournalFile open_journal_file(const std::filesystem::path& path);

struct JournalReport {
  JournalFile file;
  bool blank = false;  // a store's blank spare: nothing to inspect, nothing wrong
  WalkSummary walk;
  std::uint8_t first_type = 0;           // of the first record; 0 if none
  std::vector<RecordInfo> bad;           // the bad frames (at most kMaxBadKept)
  std::vector<RecordInfo> dropped;       // good frames past the damage (at most kMaxBadKept)
  std::optional<std::size_t> live_keys;  // from the library's open
  std::optional<std::uint64_t> high_water_mark;  // at JournalOptions' default ratio
  std::optional<memvec::kv::Recovery> recovery;
  std::string open_error;  // when the library refused to open it
  bool damaged() const {
    if (blank) return false;
    return !file.header_problem.empty() || walk.bad > 0 || file.missing > 0 || !open_error.empty();
  }
};
inline constexpr std::size_t kMaxBadKept = 100;

// Walks every record (with a progress bar over the log) and opens the
// journal with the library to cross-check what opening keeps.
JournalReport inspect_journal(const std::filesystem::path& path, ProgressMode progress);

}  // namespace memvec_kv
