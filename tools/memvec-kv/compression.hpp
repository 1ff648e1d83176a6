// Compression of snapshot streams: gzip, zstd or none, through
// boost::iostreams filtering streams.
//
// export chooses by --compress, else by the output's extension (.gz, .zst or
// .zstd), else none. import chooses by --compress, else by the stream's first
// byte, which tells the three apart for certain (gzip 1f, zstd 28, a raw
// snapshot 89): a renamed file, or one piped through stdin, still imports.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <streambuf>
#include <string_view>

#include <boost/iostreams/filtering_stream.hpp>

namespace memvec_kv {

enum class Compression { none, gzip, zstd };

const char* compression_name(Compression c) noexcept;
// "gzip" / "gz", "zstd" / "zst", "none"; nullopt for anything else.
std::optional<Compression> parse_compression(std::string_view name) noexcept;
// By extension: .gz gzip, .zst / .zstd zstd, anything else none.
Compression compression_for_path(const std::filesystem::path& path);
// By the first byte waiting in `in` (not consumed); none when unknown or
// at the end (the snapshot reader then says what is wrong).
Compression sniff_compression(std::streambuf& in);

// Pushes the compressor, if any; the caller pushes the device last.
// (Reading is DecompressedInput's, which adds the checks boost leaves out.)
void push_compressor(boost::iostreams::filtering_ostream& out, Compression c);

}  // namespace memvec_kv
