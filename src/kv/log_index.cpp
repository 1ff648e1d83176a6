#include "memvec/kv/detail/log_index.hpp"

#include <bit>
#include <cstring>

#include "memvec/kv/bonjson.hpp"

namespace memvec::kv::detail {

// The length field's layout is bonjson_decode.cpp's read_string; the checks
// it makes (bounds, chunking, UTF-8) passed when the record was accepted.
std::size_t read_trusted_string(const std::byte* p, std::string_view& out) noexcept {
  const auto code = static_cast<std::uint8_t>(p[0]);
  if (code != bonjson::kTypeLongString) {
    const std::size_t n = code - bonjson::kTypeShortString;
    out = {reinterpret_cast<const char*>(p + 1), n};
    return 1 + n;
  }
  const auto* q = reinterpret_cast<const std::uint8_t*>(p + 1);
  std::uint64_t payload = 0;
  std::size_t width;
  if (q[0] == 0) {
    std::memcpy(&payload, q + 1, 8);  // little-endian hosts only (FORMAT.md)
    width = 9;
  } else {
    width = static_cast<std::size_t>(std::countr_zero(q[0])) + 1;
    for (std::size_t i = 0; i < width; ++i) payload |= std::uint64_t{q[i]} << (8 * i);
    payload >>= width;
  }
  const auto n = static_cast<std::size_t>(payload >> 1);
  out = {reinterpret_cast<const char*>(q + width), n};
  return 1 + width + n;
}

// The codes' table is bonjson.hpp's; the decoder that checked these bytes
// is bonjson_decode.cpp. Containers nest: count opens against ends.
std::size_t trusted_value_size(const std::byte* p) noexcept {
  std::size_t pos = 0;
  std::size_t depth = 0;
  do {
    const auto code = static_cast<std::uint8_t>(p[pos]);
    if (code == bonjson::kTypeArrayStart || code == bonjson::kTypeObjectStart) {
      ++depth;
      ++pos;
    } else if (code == bonjson::kTypeContainerEnd) {
      --depth;
      ++pos;
    } else if (code == bonjson::kTypeLongString ||
               (code >= bonjson::kTypeShortString &&
                code <= bonjson::kTypeShortString + bonjson::kShortStringMaxLength)) {
      std::string_view s;
      pos += read_trusted_string(p + pos, s);
    } else if (code >= bonjson::kTypeUint && code < bonjson::kTypeShortString) {
      pos += 1 + (code & 7) + 1;  // uint 70..77, sint 78..7f: (code & 7) + 1 bytes
    } else if (code == bonjson::kTypeBFloat16) {
      pos += 3;
    } else if (code == bonjson::kTypeFloat32) {
      pos += 5;
    } else if (code == bonjson::kTypeFloat64) {
      pos += 9;
    } else {
      ++pos;  // small ints, null, false, true: the code alone
    }
  } while (depth != 0);
  return pos;
}

}  // namespace memvec::kv::detail
