// DecompressedInput: a snapshot's input stream, decompressed (gzip, zstd or
// none), with the integrity checks boost::iostreams leaves out.
//
// boost's gzip_decompressor neither compares the gzip footer's length field
// with what it produced nor complains about bytes after the gzip member, so
// a damaged footer or appended garbage would import silently. finish()
// therefore checks that the raw stream ends with exactly the footer of the
// bytes that came out (CRC-32 and length mod 2^32), and for every
// compression that nothing follows the compressed stream. The snapshot's own
// CRC32C covers the content itself; these checks cover the container.
#pragma once

#include <cstdint>
#include <istream>

#include <boost/crc.hpp>
#include <boost/iostreams/filtering_stream.hpp>

#include "compression.hpp"

namespace memvec_kv {

class DecompressedInput {
 public:
  DecompressedInput(std::istream& raw, Compression c);
  DecompressedInput(const DecompressedInput&) = delete;
  DecompressedInput& operator=(const DecompressedInput&) = delete;

  // Decompressed bytes; errors of the decompressor throw (badbit).
  std::istream& stream() noexcept { return in_; }
  // After the reader has seen the end: throws std::runtime_error when the
  // container is damaged or followed by other bytes.
  void finish();

  // What the devices in the chain record (boost copies devices, so they
  // share this through a pointer).
  struct Tally {
    boost::crc_32_type crc;       // of the decompressed bytes (gzip's CRC-32)
    std::uint64_t out_bytes = 0;  // decompressed
    std::uint64_t raw_bytes = 0;  // read from the raw stream
    unsigned char tail[8] = {};   // the last 8 raw bytes (the gzip footer)
  };

 private:
  std::istream& raw_;
  Compression compression_;
  Tally tally_;
  boost::iostreams::filtering_istream in_;
};

}  // namespace memvec_kv
