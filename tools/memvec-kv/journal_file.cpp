// Reading a journal file read-only (contract in journal_file.hpp).
#include "journal_file.hpp"

#include <memvec/error.hpp>
#include <memvec/kv/journal.hpp>

#include "text_format.hpp"

namespace memvec_kv {

namespace kv = memvec::kv;

JournalFile open_journal_file(const std::filesystem::path& path) {
  JournalFile f;
  f.path = path;
  f.backend = memvec::FileBackend::open(path, {memvec::OpenMode::read_only, 0});
  const std::span<const std::byte> bytes(std::as_const(f.backend).data(), f.backend.size());
  if (bytes.size() >= memvec::kHeaderSize && has_magic(bytes)) f.header = read_header(bytes);
  // The library's own checks, in its order; a log that lost its tail still
  // has a valid prefix, which opening keeps (keep_truncated): walk it.
  try {
    const memvec::HeaderState st = kv::MemMappedKVJournal::Log::validate(f.backend, true);
    kv::MemMappedKVJournal::validate(f.backend);  // the journal's format version
    f.log = bytes.subspan(memvec::kHeaderSize, st.length);
    f.capacity = st.capacity;
    f.missing = st.missing;
    f.seed = kv::record_seed(f.header.generation, st.user_word);
  } catch (const memvec::Error& e) {
    f.header_problem = error_text(e);
  }
  return f;
}

JournalReport inspect_journal(const std::filesystem::path& path, ProgressMode mode) {
  JournalReport r;
  r.file = open_journal_file(path);
  if (!r.file.header_problem.empty()) return r;
  {
    Progress progress(mode, "walking " + path.filename().string(), r.file.log.size());
    r.walk = walk_log(
        r.file.log, r.file.seed, false,
        [&](const RecordInfo& rec) {
          if (rec.number == 0 && rec.status == RecordStatus::ok) r.first_type = rec.type;
          if (rec.status != RecordStatus::ok && r.bad.size() < kMaxBadKept) r.bad.push_back(rec);
          if (rec.status == RecordStatus::ok && rec.after_damage && r.dropped.size() < kMaxBadKept)
            r.dropped.push_back(rec);
        },
        &progress);
    progress.finish();
  }
  try {
    const auto journal = kv::MemMappedKVJournal::open(
        memvec::FileBackend::open(path, {memvec::OpenMode::read_only, 0}));
    r.live_keys = journal.size();
    r.high_water_mark = journal.high_water_mark();
    r.recovery = journal.recovery();
  } catch (const memvec::Error& e) {
    r.open_error = e.what();
  }
  return r;
}

}  // namespace memvec_kv
