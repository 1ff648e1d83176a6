#include "memvec/kv/record.hpp"

#include <algorithm>
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

// A validated member waiting to be applied, its key hashed once. The key
// views the mapped log; the index keeps only the member's offset.
struct Staged {
  std::string_view key;
  std::size_t member = 0;
  std::uint64_t hash = 0;
  bool erases = false;
};

// Payloads at least this long (a compaction's snapshot: the whole live set)
// are checked whole, then applied member by member as they lie in the log:
// staging 300k members first cost more than the index did.
constexpr std::size_t kStreamedPayload = 64 * 1024;

// Appends a batch payload's members to `staged` (`base`: the payload's log
// offset), or only counts them when `staged` is null; on failure removes
// what it appended, so a record that fails halfway applies nothing (the
// first journal design applied half of a bad batch). Every value is decoded
// once here, to check it: a later get() decodes it again from the same
// checked bytes.
bool parse_payload(std::span<const std::byte> p, std::size_t base, std::vector<Staged>* staged,
                   const detail::LogIndex* index, Value& scratch, std::string& why,
                   std::size_t* count = nullptr) {
  const std::size_t first = staged != nullptr ? staged->size() : 0;
  const auto fail = [&](std::string reason) {
    if (staged != nullptr) staged->resize(first);
    why = std::move(reason);
    return false;
  };
  if (p.empty() || static_cast<std::uint8_t>(p[0]) != bonjson::kTypeObjectStart)
    return fail("payload is not an object");
  std::size_t pos = 1;
  try {
    for (;;) {
      if (pos >= p.size()) return fail("payload object is not closed");
      if (static_cast<std::uint8_t>(p[pos]) == bonjson::kTypeContainerEnd) {
        ++pos;
        break;
      }
      Staged counted;
      Staged& m = staged != nullptr ? staged->emplace_back() : counted;
      m.member = base + pos;
      pos += bonjson::decode_string_prefix(p.subspan(pos), m.key);
      m.erases = pos < p.size() && static_cast<std::uint8_t>(p[pos]) == bonjson::kTypeNull;
      pos += bonjson::decode_prefix(p.subspan(pos), scratch);
      if (count != nullptr) ++*count;
      if (staged == nullptr) continue;
      m.hash = Index::hash(m.key);
      // Fetch the slot while later records decode: the miss overlaps work.
      if (index != nullptr) index->prefetch(m.hash);
    }
  } catch (const Error& e) {
    return fail(std::string("payload does not decode: ") + e.what());
  }
  if (pos != p.size()) return fail("bytes after the payload object");
  return true;
}

void apply_one(const Staged& m, const std::byte* log, detail::LogIndex& index) {
  if (m.erases)
    index.erase(log, m.key, m.hash);
  else
    index.assign(log, m.key, m.hash, m.member);
}

void apply(std::vector<Staged>& staged, const std::byte* log, detail::LogIndex* index) {
  if (index != nullptr)
    for (const Staged& m : staged) apply_one(m, log, *index);
  staged.clear();
}

// Applies the `count` members of a payload parse_payload() checked
// (`payload`: its log offset), read as trusted bytes, each slot fetched a
// few members ahead of its use.
void apply_checked(std::span<const std::byte> log, std::size_t payload, std::size_t count,
                   detail::LogIndex& index) {
  constexpr std::size_t kAhead = 8;
  Staged ring[kAhead];
  const std::byte* base = log.data();
  std::size_t pos = payload + 1;  // past the object's start code
  const auto read = [&](Staged& m) {
    m.member = pos;
    pos += detail::read_trusted_string(base + pos, m.key);
    m.erases = static_cast<std::uint8_t>(base[pos]) == bonjson::kTypeNull;
    pos += detail::trusted_value_size(base + pos);
    m.hash = Index::hash(m.key);
    index.prefetch(m.hash);
  };
  index.reserve(index.size() + count);
  for (std::size_t i = 0; i < std::min(count, kAhead); ++i) read(ring[i]);
  for (std::size_t i = 0; i < count; ++i) {
    Staged& m = ring[i % kAhead];
    apply_one(m, base, index);
    if (i + kAhead < count) read(m);
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

// A big payload: the records staged before it apply first (log order),
// then it is checked whole and applied as it lies; nothing of it applies
// when the check fails.
bool parse_big(std::span<const std::byte> log, std::size_t payload, std::size_t len,
               std::vector<Staged>& staged, detail::LogIndex* index, Value& scratch,
               std::string& why) {
  std::size_t count = 0;
  if (!parse_payload(log.subspan(payload, len), payload, nullptr, nullptr, scratch, why, &count))
    return false;
  apply(staged, log.data(), index);
  if (index != nullptr) apply_checked(log, payload, count, *index);
  return true;
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
  members_.clear();
  buf_.assign(kRecordHeaderSize, std::byte{0});
  buf_[record_offset::kType] = static_cast<std::byte>(type);
  buf_.push_back(static_cast<std::byte>(bonjson::kTypeObjectStart));
}

void RecordWriter::add(std::string_view key, const Value& value) {
  const std::size_t at = buf_.size();
  bonjson::encode_string(key, buf_);
  try {
    bonjson::encode(value, buf_);  // restores buf_ on failure: the key too
    members_.push_back(at);
  } catch (...) {
    buf_.resize(at);
    throw;
  }
}

void RecordWriter::add_erase(std::string_view key) {
  members_.push_back(buf_.size());
  bonjson::encode_string(key, buf_);
  buf_.push_back(static_cast<std::byte>(bonjson::kTypeNull));
}

void RecordWriter::add_encoded(std::span<const std::byte> member) {
  members_.push_back(buf_.size());
  buf_.insert(buf_.end(), member.begin(), member.end());
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

std::uint8_t first_record_type(std::span<const std::byte> log) noexcept {
  if (log.size() < kRecordHeaderSize) return 0;
  const std::uint64_t len = load_le<std::uint32_t>(log.data() + record_offset::kLength);
  if (len > log.size() - kRecordHeaderSize) return 0;
  const auto type = static_cast<std::uint8_t>(log[record_offset::kType]);
  return type == kRecordBatch || type == kRecordSnapshot ? type : 0;
}

void index_members(detail::LogIndex& index, std::span<const std::byte> log, std::size_t at,
                   std::span<const std::size_t> members) {
  const std::byte* base = log.data();
  for (const std::size_t m : members) {
    std::string_view key;
    const std::size_t off = at + m;
    const std::size_t key_bytes = detail::read_trusted_string(base + off, key);
    const std::uint64_t h = Index::hash(key);
    if (static_cast<std::uint8_t>(base[off + key_bytes]) == bonjson::kTypeNull)
      index.erase(base, key, h);
    else
      index.assign(base, key, h, off);
  }
}

std::span<const std::byte> member_bytes(std::span<const std::byte> log, std::size_t member) {
  std::string_view key;
  const std::size_t key_bytes = detail::read_trusted_string(log.data() + member, key);
  const std::size_t value_bytes = detail::trusted_value_size(log.data() + member + key_bytes);
  return log.subspan(member, key_bytes + value_bytes);
}

ReplayResult replay(std::span<const std::byte> log, std::uint32_t seed, detail::LogIndex& index) {
  return replay(log, seed, &index);
}

ReplayResult replay(std::span<const std::byte> log, std::uint32_t seed, detail::LogIndex* index) {
  // Records are decoded a window at a time and applied together, so the
  // index slots of a window are prefetched while the rest of it decodes.
  // Only whole, valid records enter a window; what follows a bad record is
  // never applied.
  constexpr std::size_t kWindow = 16;
  ReplayResult r;
  std::vector<Staged> staged;
  Value scratch;
  std::string why;
  std::size_t off = 0;
  std::size_t in_window = 0;
  std::uint64_t members = 0;
  // The hint ends with the replay, also when that throws.
  struct EndHint {
    detail::LogIndex* index;
    ~EndHint() {
      if (index != nullptr) index->expect_more(0);
    }
  } end_hint{index};
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
      } else if (len >= kStreamedPayload
                     ? parse_big(log, off + kRecordHeaderSize, len, staged, index, scratch, why)
                     : parse_payload(log.subspan(off + kRecordHeaderSize, len),
                                     off + kRecordHeaderSize, &staged, index, scratch, why)) {
        if (r.recovery.records_replayed == 0) r.first_type = type;
        ++r.recovery.records_replayed;
        off += kRecordHeaderSize + len;
        if (++in_window == kWindow) {
          // The rest of the log at the density so far: that many new keys
          // at most, so the index may grow past them in fewer steps.
          members += staged.size();
          if (members != 0 && index != nullptr)
            index->expect_more((log.size() - off) / std::max<std::uint64_t>(1, off / members));
          apply(staged, log.data(), index);
          in_window = 0;
        }
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
  apply(staged, log.data(), index);  // the valid records before the end or the damage
  r.valid_end = off;
  return r;
}

}  // namespace memvec::kv
