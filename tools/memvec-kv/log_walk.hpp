// walk_log: every record of a journal's committed log, with its offset, size
// and checksum status — what `dump` lists and `verify` judges.
//
// The library's replay() rebuilds an index and stops at the first bad
// record, which is what opening must do; a tool must show more: where each
// record starts, which check failed, and what lies past the damage. So this
// walks the frames itself on top of record.hpp's public constants (the
// format is docs/FORMAT.md "Record frame"), applying replay()'s checks in
// replay()'s order, and keeps going past a bad record as long as its length
// field still frames the next one (best effort: a damaged length ends the
// walk, and the bytes left are reported as unframed). Records past the
// first bad one are marked after_damage: opening drops them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <memvec/kv/value.hpp>

#include "progress.hpp"

namespace memvec_kv {

enum class RecordStatus {
  ok,
  partial_header,
  length_past_end,
  checksum_mismatch,
  unknown_type,
  bad_payload
};

// "ok", "checksum mismatch", ... (replay()'s wording).
const char* status_text(RecordStatus s) noexcept;

struct RecordInfo {
  std::uint64_t number = 0;  // 0-based, in log order
  std::uint64_t offset = 0;  // log offset (file offset - 256)
  std::uint64_t size = 0;    // 9 + len; the bytes left when not framed
  std::uint32_t payload_len = 0;
  std::uint8_t type = 0;
  std::uint32_t stored_crc = 0;
  std::uint32_t computed_crc = 0;
  RecordStatus status = RecordStatus::ok;
  std::string why;            // bad_payload: the decoder's message
  bool after_damage = false;  // past the first bad record: opening drops it
  // Decoded when asked and the checksum holds; a null value is an erase.
  std::vector<std::pair<std::string, memvec::kv::Value>> members;
};

struct WalkSummary {
  std::uint64_t records = 0;               // frames seen, bad ones included
  std::uint64_t valid = 0;                 // records opening replays (before the first bad one)
  std::uint64_t bad = 0;                   // frames that fail a check
  std::optional<std::uint64_t> first_bad;  // log offset of the first bad record
  std::uint64_t valid_end = 0;             // log bytes opening keeps
  std::uint64_t unframed = 0;              // trailing bytes no frame covers
};

WalkSummary walk_log(std::span<const std::byte> log, std::uint32_t seed, bool decode_members,
                     const std::function<void(const RecordInfo&)>& visit, Progress* progress);

}  // namespace memvec_kv
