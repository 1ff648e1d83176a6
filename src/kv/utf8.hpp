// UTF-8 validation shared by the BONJSON encoder and decoder (internal).
#pragma once

#include <cstddef>
#include <string_view>

namespace memvec::kv::bonjson::detail {

struct Utf8Error {
  std::size_t offset;  // of the first byte of the bad sequence, in the string
  const char* reason;  // nullptr when the string is valid
};

// The first ill-formed sequence of s (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF, no truncated sequences), or
// {npos, nullptr}.
Utf8Error find_utf8_error(std::string_view s) noexcept;

}  // namespace memvec::kv::bonjson::detail
