// Journal records: how KVJournal frames its writes inside the MemVec log.
//
//   off size field
//     0    4 crc      CRC32C of bytes [4, 9 + len), seeded with record_seed()
//     4    4 len      payload bytes (little-endian)
//     8    1 type     kRecordBatch (1) or kRecordSnapshot (2)
//     9  len payload  one BONJSON object {key: value, ...}; a null value erases
//
// One record is one atomic write: set() writes a one-member object,
// set_many() one object of all its members, compaction one snapshot of the
// whole live set. The seed mixes the journal's generation and epoch into
// every CRC, so a record left over from an earlier generation (a recycled
// standby) or from before a clear() never validates: after a power cut it
// reads as damage, never as data.
//
// replay() is the one pass that rebuilds the in-memory index when a journal
// opens. It stops at the first record whose framing, checksum or payload
// fails, applies nothing of that record (a batch is all or nothing) and
// reports what it dropped. Thread-safety: stateless functions; a
// RecordWriter is not shared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "memvec/kv/detail/log_index.hpp"
#include "memvec/kv/index.hpp"
#include "memvec/kv/value.hpp"

namespace memvec::kv {

inline constexpr std::size_t kRecordHeaderSize = 9;
inline constexpr std::uint8_t kRecordBatch = 1;
inline constexpr std::uint8_t kRecordSnapshot = 2;
inline constexpr std::size_t kMaxRecordPayload = 0xFFFFFFFFu;

namespace record_offset {
inline constexpr std::size_t kCrc = 0;
inline constexpr std::size_t kLength = 4;
inline constexpr std::size_t kType = 8;
inline constexpr std::size_t kPayload = 9;
}  // namespace record_offset

enum class DataLoss : std::uint8_t { none, partial, total };

// What opening a journal found. Inside the committed length every byte must
// belong to a valid record; anything that does not is reported here, never
// returned as data and never dropped silently.
struct Recovery {
  DataLoss loss = DataLoss::none;
  std::uint64_t records_replayed = 0;
  std::uint64_t bytes_dropped = 0;    // from the first bad record to the committed end
  std::uint64_t records_dropped = 0;  // frames counted past it; at least 1 on loss
  std::uint64_t first_bad_offset = 0;
  std::string reason;  // e.g. "checksum mismatch in record at log offset 4096"
};

// CRC32C of (generation, epoch) as two little-endian u64: every record's seed.
std::uint32_t record_seed(std::uint64_t generation, std::uint64_t epoch) noexcept;

// Builds one framed record in a reusable buffer.
class RecordWriter {
 public:
  void begin(std::uint8_t type);
  // Throws errc::invalid_argument (key not UTF-8, NaN, too deep) with the
  // record left unfinished; call begin() again.
  void add(std::string_view key, const Value& value);
  void add_erase(std::string_view key);
  // One member (key and value) already encoded, copied as it is: a
  // compaction copies the live members out of the old log this way.
  void add_encoded(std::span<const std::byte> member);
  // Closes the object, fills the header; the bytes stay valid until begin().
  std::span<const std::byte> finish(std::uint32_t seed);
  std::size_t size() const noexcept { return buf_.size(); }
  // Where each member added since begin() starts, from the record's start.
  std::span<const std::size_t> members() const noexcept { return members_; }

 private:
  std::vector<std::byte> buf_;
  std::vector<std::size_t> members_;
};

struct ReplayResult {
  std::uint64_t valid_end = 0;  // bytes of the log that replayed cleanly
  std::uint8_t first_type = 0;  // type of the first valid record; 0 if none
  Recovery recovery;
};

// Rebuilds `index` from the committed log bytes.
ReplayResult replay(std::span<const std::byte> log, std::uint32_t seed, detail::LogIndex& index);
// The same checks and report with `index` null: nothing is indexed (a
// store checks its standby journal this way; its index is never used).
ReplayResult replay(std::span<const std::byte> log, std::uint32_t seed, detail::LogIndex* index);

// The type of the log's first record by its frame alone (a length within
// the log, a known type), else 0: neither checksum nor payload is read, so
// a store's older journal, whose first record is a snapshot of the whole
// live set, costs its header page at open (replay() checks it in full if
// that journal must take over).
std::uint8_t first_record_type(std::span<const std::byte> log) noexcept;

// Points `index` at the members of the record that starts at log offset
// `at`, `members` being their offsets in it (RecordWriter::members()): a
// member whose value is null erases its key.
void index_members(detail::LogIndex& index, std::span<const std::byte> log, std::size_t at,
                   std::span<const std::size_t> members);
// The encoded member (key and value) that starts at log offset `member`.
std::span<const std::byte> member_bytes(std::span<const std::byte> log, std::size_t member);

}  // namespace memvec::kv
