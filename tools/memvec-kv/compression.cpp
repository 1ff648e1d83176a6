// Choosing a compression, and the compressor for export (contract in
// compression.hpp).

// g++ 12 at -O2 reports a -Wrestrict false positive inside boost's
// gzip_compressor (its header string, built through back_insert_device;
// GCC bug 105329), depending on what else gets inlined here. Only this
// file builds a compressor, so only this file turns the warning off.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "compression.hpp"

#include <boost/iostreams/filter/gzip.hpp>
#include <boost/iostreams/filter/zstd.hpp>

namespace memvec_kv {

namespace io = boost::iostreams;

namespace {
// The first byte of each stream kind: RFC 1952's ID1, zstd's frame magic
// 0xFD2FB528 stored little-endian, and the snapshot magic's (snapshot_format.hpp).
constexpr int kGzipFirstByte = 0x1F;
constexpr int kZstdFirstByte = 0x28;
}  // namespace

const char* compression_name(Compression c) noexcept {
  switch (c) {
    case Compression::none:
      return "none";
    case Compression::gzip:
      return "gzip";
    case Compression::zstd:
      return "zstd";
  }
  return "?";
}

std::optional<Compression> parse_compression(std::string_view name) noexcept {
  if (name == "none") return Compression::none;
  if (name == "gzip" || name == "gz") return Compression::gzip;
  if (name == "zstd" || name == "zst") return Compression::zstd;
  return std::nullopt;
}

Compression compression_for_path(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".gz") return Compression::gzip;
  if (ext == ".zst" || ext == ".zstd") return Compression::zstd;
  return Compression::none;
}

Compression sniff_compression(std::streambuf& in) {
  switch (in.sgetc()) {
    case kGzipFirstByte:
      return Compression::gzip;
    case kZstdFirstByte:
      return Compression::zstd;
    default:
      return Compression::none;
  }
}

void push_compressor(io::filtering_ostream& out, Compression c) {
  if (c == Compression::gzip) out.push(io::gzip_compressor());
  if (c == Compression::zstd) out.push(io::zstd_compressor());
}

}  // namespace memvec_kv
