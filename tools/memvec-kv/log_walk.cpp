// walk_log: the record walker (contract in log_walk.hpp). The checks and
// their order follow src/kv/record.cpp's replay(), so a record this calls ok
// is one opening applies.
#include "log_walk.hpp"

#include <cstring>

#include <memvec/crc32c.hpp>
#include <memvec/error.hpp>
#include <memvec/kv/bonjson.hpp>
#include <memvec/kv/record.hpp>

namespace memvec_kv {
namespace {

namespace kv = memvec::kv;

std::uint32_t load_u32(const std::byte* p) {
  // Records are in the writer's byte order, which the header check has
  // already required to be this machine's.
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// replay()'s payload rule: `9a`, (string key, value)*, `9b`, nothing after.
bool parse_payload(std::span<const std::byte> p, RecordInfo& r) {
  namespace bj = kv::bonjson;
  if (p.empty() || static_cast<std::uint8_t>(p[0]) != bj::kTypeObjectStart) {
    r.why = "payload is not an object";
    return false;
  }
  std::size_t pos = 1;
  try {
    for (;;) {
      if (pos >= p.size()) {
        r.why = "payload object is not closed";
        return false;
      }
      if (static_cast<std::uint8_t>(p[pos]) == bj::kTypeContainerEnd) {
        ++pos;
        break;
      }
      auto& m = r.members.emplace_back();
      pos += bj::decode_string_prefix(p.subspan(pos), m.first);
      pos += bj::decode_prefix(p.subspan(pos), m.second);
    }
  } catch (const memvec::Error& e) {
    r.why = std::string("payload does not decode: ") + e.what();
    return false;
  }
  if (pos != p.size()) {
    r.why = "bytes after the payload object";
    return false;
  }
  return true;
}

}  // namespace

const char* status_text(RecordStatus s) noexcept {
  switch (s) {
    case RecordStatus::ok:
      return "ok";
    case RecordStatus::partial_header:
      return "a partial record header";
    case RecordStatus::length_past_end:
      return "a record length past the committed end";
    case RecordStatus::checksum_mismatch:
      return "a checksum mismatch";
    case RecordStatus::unknown_type:
      return "an unknown record type";
    case RecordStatus::bad_payload:
      return "a payload that does not decode";
  }
  return "?";
}

WalkSummary walk_log(std::span<const std::byte> log, std::uint32_t seed, bool decode_members,
                     const std::function<void(const RecordInfo&)>& visit, Progress* progress) {
  WalkSummary s;
  std::uint64_t off = 0;
  RecordInfo r;
  while (off < log.size()) {
    const std::uint64_t left = log.size() - off;
    r = RecordInfo{};
    r.number = s.records;
    r.offset = off;
    r.after_damage = s.first_bad.has_value();
    bool framed = true;
    if (left < kv::kRecordHeaderSize) {
      r.status = RecordStatus::partial_header;
      r.size = left;
      framed = false;
    } else {
      const std::byte* h = log.data() + off;
      r.payload_len = load_u32(h + kv::record_offset::kLength);
      r.type = static_cast<std::uint8_t>(h[kv::record_offset::kType]);
      r.stored_crc = load_u32(h + kv::record_offset::kCrc);
      if (r.payload_len > left - kv::kRecordHeaderSize) {
        r.status = RecordStatus::length_past_end;
        r.size = left;
        framed = false;
      } else {
        r.size = kv::kRecordHeaderSize + r.payload_len;
        // The checksum covers len, type and payload: [4, 9 + len).
        r.computed_crc = memvec::crc32c(h + kv::record_offset::kLength,
                                        r.size - kv::record_offset::kLength, seed);
        if (r.computed_crc != r.stored_crc) {
          r.status = RecordStatus::checksum_mismatch;
        } else if (r.type != kv::kRecordBatch && r.type != kv::kRecordSnapshot) {
          r.status = RecordStatus::unknown_type;
          r.why = "type " + std::to_string(r.type);
        } else if (!parse_payload(log.subspan(off + kv::kRecordHeaderSize, r.payload_len), r)) {
          r.status = RecordStatus::bad_payload;
          r.members.clear();
        }
        if (!decode_members) r.members.clear();
      }
    }
    ++s.records;
    if (r.status == RecordStatus::ok) {
      if (!s.first_bad) {
        ++s.valid;
        s.valid_end = off + r.size;
      }
    } else {
      ++s.bad;
      if (!s.first_bad) s.first_bad = off;
    }
    if (visit) visit(r);
    if (!framed) {
      s.unframed = left;
      break;
    }
    off += r.size;
    if (progress) progress->update(off);
  }
  return s;
}

}  // namespace memvec_kv
