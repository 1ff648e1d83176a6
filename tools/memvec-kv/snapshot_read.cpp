// read_snapshot (contract in snapshot.hpp; format in snapshot_format.hpp).
// Every check names the offset in the uncompressed stream where it failed.
#include <algorithm>
#include <cstring>
#include <istream>
#include <span>

#include <memvec/crc32c.hpp>
#include <memvec/error.hpp>
#include <memvec/kv/bonjson.hpp>

#include "snapshot.hpp"
#include "snapshot_format.hpp"
#include "text_format.hpp"

namespace memvec_kv {
namespace {

// Reads exactly n bytes into out (resized), in chunks: a damaged length
// field on a short stream fails at the stream's end instead of allocating
// what the field claims.
class Reader {
 public:
  explicit Reader(std::istream& in) : in_(in) {}

  [[noreturn]] void fail(const std::string& what, std::uint64_t at) const {
    throw SnapshotError(what + " at stream offset " + std::to_string(at));
  }
  void read(std::string& out, std::uint64_t n, const char* what) {
    constexpr std::uint64_t kChunk = 1 << 20;
    const std::uint64_t start = pos_;
    out.clear();
    while (out.size() < n) {
      const std::size_t want = static_cast<std::size_t>(std::min(kChunk, n - out.size()));
      const std::size_t had = out.size();
      out.resize(had + want);
      in_.read(out.data() + had, static_cast<std::streamsize>(want));
      const auto got = static_cast<std::size_t>(in_.gcount());
      out.resize(had + got);
      if (got < want) fail(std::string("truncated: the stream ends inside ") + what, start);
    }
    crc_ = memvec::crc32c(out.data(), out.size(), crc_);
    pos_ += n;
  }
  template <class U>
  U read_le(const char* what) {
    read(tmp_, sizeof(U), what);
    U v = 0;
    for (std::size_t i = 0; i < sizeof(U); ++i)
      v |= static_cast<U>(static_cast<U>(static_cast<unsigned char>(tmp_[i])) << (8 * i));
    return v;
  }
  bool at_end() { return in_.peek() == std::char_traits<char>::eof(); }
  std::uint64_t pos() const noexcept { return pos_; }
  std::uint32_t crc() const noexcept { return crc_; }

 private:
  std::istream& in_;
  std::uint64_t pos_ = 0;
  std::uint32_t crc_ = 0;
  std::string tmp_;
};

}  // namespace

Snapshot read_snapshot(std::istream& in, const std::function<void()>& tick) {
  Snapshot snap;
  Reader r(in);
  std::string bytes;
  r.read(bytes, sizeof kSnapshotMagic, "the magic");
  if (std::memcmp(bytes.data(), kSnapshotMagic, sizeof kSnapshotMagic) != 0)
    r.fail("not a memvec snapshot (no \\x89MVSNAP magic)", snapshot_offset::kMagic);
  snap.version = r.read_le<std::uint16_t>("the header");
  if (snap.version != kSnapshotVersion)
    r.fail("snapshot version " + std::to_string(snap.version) + ", this build reads " +
               std::to_string(kSnapshotVersion),
           snapshot_offset::kVersion);
  if (const auto flags = r.read_le<std::uint16_t>("the header"); flags != 0)
    r.fail("unknown flags " + std::to_string(flags), snapshot_offset::kFlags);

  for (;;) {
    const std::uint64_t at = r.pos();
    const auto tag = r.read_le<std::uint8_t>("the entries (no end marker)");
    if (tag == kSnapshotEndTag) break;
    if (tag != kSnapshotEntryTag) r.fail("an unknown entry tag " + std::to_string(tag), at);
    const auto len = r.read_le<std::uint32_t>("an entry length");
    r.read(bytes, len, "an entry");
    const std::span<const std::byte> body(reinterpret_cast<const std::byte*>(bytes.data()),
                                          bytes.size());
    auto& [key, value] = snap.entries.emplace_back();
    try {
      const std::size_t used = memvec::kv::bonjson::decode_string_prefix(body, key);
      if (memvec::kv::bonjson::decode_prefix(body.subspan(used), value) != body.size() - used)
        r.fail("an entry with bytes after its value", at);
    } catch (const memvec::Error& e) {
      r.fail(std::string("an entry that does not decode (") + e.what() + ")", at);
    }
    if (value.is_null()) r.fail("a null value (a snapshot holds no deletions)", at);
    // Strictly increasing: the writer's order, and no key twice.
    if (snap.entries.size() > 1 && key <= snap.entries[snap.entries.size() - 2].first)
      r.fail("a key out of order or repeated", at);
    if (tick) tick();
  }
  const std::uint64_t count_at = r.pos();
  const auto count = r.read_le<std::uint64_t>("the trailer");
  const std::uint32_t computed = r.crc();
  const auto stored = r.read_le<std::uint32_t>("the trailer");
  if (stored != computed)
    r.fail("a CRC32C mismatch (stored " + hex(stored) + ", computed " + hex(computed) +
               "): the stream is damaged",
           count_at + 8);
  if (count != snap.entries.size())
    r.fail("the trailer counts " + std::to_string(count) + " entries, the stream holds " +
               std::to_string(snap.entries.size()),
           count_at);
  if (!r.at_end()) r.fail("bytes after the end of the snapshot", r.pos());
  snap.bytes = r.pos();
  return snap;
}

}  // namespace memvec_kv
