#include "memvec/kv/record.hpp"

#include <cstring>
#include <utility>

#include "memvec/crc32c.hpp"
#include "memvec/error.hpp"
#include "memvec/kv/bonjson.hpp"

namespace memvec::kv {
namespace {

template <class U>
U load_le(const std::byte* p) {
  U v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

std::uint32_t record_crc(std::span<const std::byte> frame, std::uint32_t seed) {
  // Covers length, type and payload; the crc field itself is excluded.
  return crc32c(frame.data() + record_offset::kLength, frame.size() - record_offset::kLength, seed);
}

// Parses a batch payload into `staged`; nothing is applied here, so a record
// that fails halfway changes nothing (the first journal design applied half
// of a bad batch).
bool parse_payload(std::span<const std::byte> p, std::vector<std::pair<std::string, Value>>& staged,
                   std::string& why) {
  staged.clear();
  if (p.empty() || static_cast<std::uint8_t>(p[0]) != bonjson::kTypeObjectStart) {
    why = "payload is not an object";
    return false;
  }
  std::size_t pos = 1;
  try {
    for (;;) {
      if (pos >= p.size()) {
        why = "payload object is not closed";
        return false;
      }
      if (static_cast<std::uint8_t>(p[pos]) == bonjson::kTypeContainerEnd) {
        ++pos;
        break;
      }
      std::string key;
      pos += bonjson::decode_string_prefix(p.subspan(pos), key);
      Value value;
      pos += bonjson::decode_prefix(p.subspan(pos), value);
      staged.emplace_back(std::move(key), std::move(value));
    }
  } catch (const Error& e) {
    why = std::string("payload does not decode: ") + e.what();
    return false;
  }
  if (pos != p.size()) {
    why = "bytes after the payload object";
    return false;
  }
  return true;
}

void apply(std::vector<std::pair<std::string, Value>>& staged, Index& index) {
  for (auto& [key, value] : staged) {
    if (value.is_null()) {
      index.erase(key);
    } else {
      index.insert_or_assign(std::move(key), std::move(value));  // one lookup
    }
  }
}

// Best effort: how many frames follow the first bad one, walking lengths
// without trusting checksums. At least the bad record itself.
std::uint64_t count_frames(std::span<const std::byte> log, std::size_t off) {
  std::uint64_t frames = 0;
  while (log.size() - off >= kRecordHeaderSize) {
    const std::uint64_t len = load_le<std::uint32_t>(log.data() + off + record_offset::kLength);
    if (len > log.size() - off - kRecordHeaderSize) break;
    ++frames;
    off += kRecordHeaderSize + len;
  }
  return frames == 0 ? 1 : frames;
}

}  // namespace

std::uint32_t record_seed(std::uint64_t generation, std::uint64_t epoch) noexcept {
  std::byte b[16];
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<std::byte>(generation >> (8 * i));
    b[8 + i] = static_cast<std::byte>(epoch >> (8 * i));
  }
  return crc32c(b, sizeof b);
}

void RecordWriter::begin(std::uint8_t type) {
  buf_.assign(kRecordHeaderSize, std::byte{0});
  buf_[record_offset::kType] = static_cast<std::byte>(type);
  buf_.push_back(static_cast<std::byte>(bonjson::kTypeObjectStart));
}

void RecordWriter::add(std::string_view key, const Value& value) {
  bonjson::encode_string(key, buf_);
  bonjson::encode(value, buf_);
}

void RecordWriter::add_erase(std::string_view key) {
  bonjson::encode_string(key, buf_);
  buf_.push_back(static_cast<std::byte>(bonjson::kTypeNull));
}

std::span<const std::byte> RecordWriter::finish(std::uint32_t seed) {
  buf_.push_back(static_cast<std::byte>(bonjson::kTypeContainerEnd));
  const std::size_t len = buf_.size() - kRecordHeaderSize;
  if (len > kMaxRecordPayload)
    throw Error(errc::invalid_argument,
                "journal: a record of " + std::to_string(len) + " bytes exceeds 4 GiB");
  const auto len32 = static_cast<std::uint32_t>(len);
  std::memcpy(buf_.data() + record_offset::kLength, &len32, 4);
  const std::uint32_t crc = record_crc(buf_, seed);
  std::memcpy(buf_.data() + record_offset::kCrc, &crc, 4);
  return buf_;
}

ReplayResult replay(std::span<const std::byte> log, std::uint32_t seed, Index& index) {
  ReplayResult r;
  std::vector<std::pair<std::string, Value>> staged;
  std::string why;
  std::size_t off = 0;
  while (off < log.size()) {
    const std::size_t left = log.size() - off;
    // Everything here is inside the committed length, which is published
    // only after a record is whole: any failure is damage, not a torn tail.
    if (left < kRecordHeaderSize) {
      why = "a partial record header";
    } else {
      const std::byte* h = log.data() + off;
      const std::uint64_t len = load_le<std::uint32_t>(h + record_offset::kLength);
      const auto type = static_cast<std::uint8_t>(h[record_offset::kType]);
      if (len > left - kRecordHeaderSize) {
        why = "a record length past the committed end";
      } else if (record_crc(log.subspan(off, kRecordHeaderSize + len), seed) !=
                 load_le<std::uint32_t>(h + record_offset::kCrc)) {
        why = "a checksum mismatch";
      } else if (type != kRecordBatch && type != kRecordSnapshot) {
        why = "an unknown record type " + std::to_string(type);
      } else if (parse_payload(log.subspan(off + kRecordHeaderSize, len), staged, why)) {
        apply(staged, index);
        if (r.recovery.records_replayed == 0) r.first_type = type;
        ++r.recovery.records_replayed;
        off += kRecordHeaderSize + len;
        continue;
      }
    }
    r.recovery.loss = r.recovery.records_replayed == 0 ? DataLoss::total : DataLoss::partial;
    r.recovery.bytes_dropped = left;
    r.recovery.records_dropped = count_frames(log, off);
    r.recovery.first_bad_offset = off;
    r.recovery.reason = why + " in the record at log offset " + std::to_string(off);
    break;
  }
  r.valid_end = off;
  return r;
}

}  // namespace memvec::kv
