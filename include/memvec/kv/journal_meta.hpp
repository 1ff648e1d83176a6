// The journal's metadata and on-file constants (docs/FORMAT.md, "KV
// journal"), and the helpers KVJournal's template code calls into
// src/kv/journal.cpp for. Included by journal.hpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "memvec/error.hpp"
#include "memvec/kv/record.hpp"
#include "memvec/kv/value.hpp"

namespace memvec::kv {

// MemVec type tag of a journal log ("MVKVJRNL"): a journal is never opened
// as some other byte vector, nor the other way round.
inline constexpr std::uint64_t kJournalTypeTag = 0x4C4E524A564B564Dull;
inline constexpr std::uint16_t kJournalFormatVersion = 1;
// The largest generation a journal carries. A store's compaction writes
// generation + 1, which must never wrap to 0 (a spare) below the journal it
// replaces: 2^63 - 1 compactions never happen, so a file claiming a higher
// generation is corrupt_header, and a compaction from this one is refused.
inline constexpr std::uint64_t kMaxGeneration = (std::uint64_t{1} << 63) - 1;

// The journal's metadata, kept in the MemVec header's user area.
struct JournalMeta {
  std::uint16_t format_version = kJournalFormatVersion;
  std::uint64_t generation = 1;     // compaction count: the store's switch order
  std::uint64_t created_unix_ns = 0;  // for people; never used to choose
};

namespace detail {
// For each item, whether a later item has the same key (last one wins).
std::vector<bool> superseded(std::span<const std::pair<std::string, Value>> items);
std::array<std::byte, 24> encode_meta(const JournalMeta& meta);
// Throws errc::version_mismatch for a journal format this build does not read.
// `where`: " 'path'" of the file, for the messages (memvec::detail::backend_where).
JournalMeta decode_meta(std::span<const std::byte> user_area, const std::string& where = {});
// Throws `code` (invalid_argument for create(), corrupt_header for a header
// read) past kMaxGeneration.
void check_generation(std::uint64_t generation, errc code = errc::invalid_argument,
                      const std::string& where = {});
std::uint64_t now_unix_ns() noexcept;
// A random 48-bit epoch (std::random_device), never 0.
std::uint64_t random_epoch();
// One past the last non-zero byte of `bytes` (0 when all are zero).
std::size_t nonzero_end(std::span<const std::byte> bytes) noexcept;
// Adds to `r` the `missing` committed bytes the backend no longer held past
// `held_end` (the log bytes it still had).
void add_missing_tail(Recovery& r, std::uint64_t held_end, std::uint64_t missing);
}  // namespace detail

}  // namespace memvec::kv
