// SnapshotWriter (contract in snapshot.hpp; format in snapshot_format.hpp).
#include <memvec/crc32c.hpp>
#include <memvec/error.hpp>
#include <memvec/kv/bonjson.hpp>
#include <ostream>

#include "snapshot.hpp"
#include "snapshot_format.hpp"

namespace memvec_kv {

namespace {
// Little-endian by construction, whatever the machine: byte by byte.
template <class U>
void append_le(std::string& out, U v) {
  for (std::size_t i = 0; i < sizeof(U); ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}
}  // namespace

SnapshotWriter::SnapshotWriter(std::ostream& out) : out_(out) {
  std::string h(reinterpret_cast<const char*>(kSnapshotMagic), sizeof kSnapshotMagic);
  append_le<std::uint16_t>(h, kSnapshotVersion);
  append_le<std::uint16_t>(h, 0);  // flags
  put(h.data(), h.size());
}

void SnapshotWriter::put(const void* data, std::size_t size) {
  crc_ = memvec::crc32c(data, size, crc_);
  out_.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  bytes_ += size;
}

void SnapshotWriter::add(std::string_view key, const memvec::kv::Value& value) {
  if (value.is_null())
    throw memvec::Error(memvec::errc::invalid_argument,
                        "snapshot: a null value (a deletion) for key " + std::string(key));
  if (count_ > 0 && key <= last_key_)
    throw memvec::Error(memvec::errc::invalid_argument, "snapshot: keys out of order");
  buf_.assign(kSnapshotEntryHeaderSize, '\0');
  memvec::kv::bonjson::encode_string(key, buf_);
  memvec::kv::bonjson::encode(value, buf_);
  const std::size_t len = buf_.size() - kSnapshotEntryHeaderSize;
  if (len > kSnapshotMaxEntry)
    throw memvec::Error(memvec::errc::invalid_argument, "snapshot: an entry over 4 GiB");
  std::string head;
  head += static_cast<char>(kSnapshotEntryTag);
  append_le<std::uint32_t>(head, static_cast<std::uint32_t>(len));
  buf_.replace(0, kSnapshotEntryHeaderSize, head);
  put(buf_.data(), buf_.size());
  last_key_.assign(key);
  ++count_;
}

void SnapshotWriter::finish() {
  std::string t;
  t += static_cast<char>(kSnapshotEndTag);
  append_le<std::uint64_t>(t, count_);
  put(t.data(), t.size());
  std::string c;
  append_le<std::uint32_t>(c, crc_);  // covers every byte before itself
  out_.write(c.data(), static_cast<std::streamsize>(c.size()));
  bytes_ += c.size();
  out_.flush();
}

}  // namespace memvec_kv
