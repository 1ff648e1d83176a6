#include "utf8.hpp"

#include <cstdint>
#include <cstring>

#include "memvec/kv/bonjson.hpp"

namespace memvec::kv::bonjson {
namespace detail {

Utf8Error find_utf8_error(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    // Keys and most values are ASCII: skip 8 such bytes per step.
    while (n - i >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      if ((w & 0x8080808080808080ull) != 0) break;
      i += 8;
    }
    if (i == n) break;
    const unsigned lead = p[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    // Table 3-7 of the Unicode standard: the second byte's range depends on
    // the lead byte; that is where overlongs, surrogates and > U+10FFFF show.
    std::size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF;
    const char* second_reason = "missing continuation byte";
    if (lead < 0xC0) return {i, "unexpected continuation byte"};
    if (lead < 0xC2) return {i, "overlong encoding"};
    if (lead < 0xE0) {
      len = 2;
    } else if (lead < 0xF0) {
      len = 3;
      if (lead == 0xE0) {
        lo = 0xA0;
        second_reason = "overlong encoding";
      } else if (lead == 0xED) {
        hi = 0x9F;
        second_reason = "surrogate code point";
      }
    } else if (lead < 0xF5) {
      len = 4;
      if (lead == 0xF0) {
        lo = 0x90;
        second_reason = "overlong encoding";
      } else if (lead == 0xF4) {
        hi = 0x8F;
        second_reason = "code point above U+10FFFF";
      }
    } else {
      return {i, lead < 0xF8 ? "code point above U+10FFFF" : "byte never used in UTF-8"};
    }
    for (std::size_t k = 1; k < len; ++k) {
      if (i + k >= n) return {i, "truncated sequence"};
      const unsigned c = p[i + k];
      if (c < 0x80 || c > 0xBF) return {i, "missing continuation byte"};
      if (k == 1 && (c < lo || c > hi)) return {i, second_reason};
    }
    i += len;
  }
  return {std::string_view::npos, nullptr};
}

}  // namespace detail

bool is_valid_utf8(std::string_view s) noexcept {
  return detail::find_utf8_error(s).reason == nullptr;
}

}  // namespace memvec::kv::bonjson
