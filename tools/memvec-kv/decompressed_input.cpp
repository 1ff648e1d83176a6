// DecompressedInput (contract in decompressed_input.hpp).
#include "decompressed_input.hpp"

#include <cstring>
#include <stdexcept>

#include <boost/iostreams/filter/gzip.hpp>
#include <boost/iostreams/filter/zstd.hpp>
#include <boost/iostreams/operations.hpp>

namespace memvec_kv {

namespace io = boost::iostreams;
using Tally = DecompressedInput::Tally;

namespace {

void remember_tail(Tally& t, const char* data, std::size_t n) {
  t.raw_bytes += n;
  if (n >= sizeof t.tail) {
    std::memcpy(t.tail, data + n - sizeof t.tail, sizeof t.tail);
    return;
  }
  std::memmove(t.tail, t.tail + n, sizeof t.tail - n);
  std::memcpy(t.tail + sizeof t.tail - n, data, n);
}

// The raw bytes, as the decompressor reads them.
class TailSource {
 public:
  using char_type = char;
  using category = io::source_tag;
  TailSource(std::istream* in, Tally* t) : in_(in), t_(t) {}
  std::streamsize read(char* s, std::streamsize n) {
    in_->read(s, n);
    const std::streamsize got = in_->gcount();
    if (got <= 0) return -1;
    remember_tail(*t_, s, static_cast<std::size_t>(got));
    return got;
  }

 private:
  std::istream* in_;
  Tally* t_;
};

// The decompressed bytes, as the snapshot reader reads them.
class Tap : public io::multichar_input_filter {
 public:
  explicit Tap(Tally* t) : t_(t) {}
  template <class Source>
  std::streamsize read(Source& src, char* s, std::streamsize n) {
    const std::streamsize got = io::read(src, s, n);
    if (got > 0) {
      t_->crc.process_bytes(s, static_cast<std::size_t>(got));
      t_->out_bytes += static_cast<std::uint64_t>(got);
    }
    return got;
  }

 private:
  Tally* t_;
};

std::uint32_t load_le32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

}  // namespace

DecompressedInput::DecompressedInput(std::istream& raw, Compression c)
    : raw_(raw), compression_(c) {
  in_.push(Tap(&tally_));
  if (c == Compression::gzip) in_.push(io::gzip_decompressor());
  if (c == Compression::zstd) in_.push(io::zstd_decompressor());
  in_.push(TailSource(&raw_, &tally_));
  in_.exceptions(std::ios::badbit);
}

void DecompressedInput::finish() {
  // Raw bytes the decompressor never asked for follow its stream's end.
  char buf[4096];
  std::uint64_t extra = 0;
  while (raw_.read(buf, sizeof buf), raw_.gcount() > 0) {
    const auto got = static_cast<std::size_t>(raw_.gcount());
    extra += got;
    remember_tail(tally_, buf, got);
  }
  if (compression_ != Compression::gzip) {
    if (extra > 0) throw std::runtime_error(std::to_string(extra) + " bytes follow its end");
    return;
  }
  // RFC 1952: the member ends with CRC-32 and ISIZE (length mod 2^32), LE.
  const std::uint32_t crc = load_le32(tally_.tail);
  const std::uint32_t isize = load_le32(tally_.tail + 4);
  if (tally_.raw_bytes < sizeof tally_.tail || crc != tally_.crc.checksum() ||
      isize != static_cast<std::uint32_t>(tally_.out_bytes))
    throw std::runtime_error("its footer does not match its content: damaged, or bytes follow it");
}

}  // namespace memvec_kv
