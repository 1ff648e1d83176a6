// libFuzzer target for the BONJSON decoder: a differential round-trip, not
// just "no crash". For any input:
//  - decode fails only with errc::corrupt_data, and decode() and
//    decode_string_prefix() agree with decode_prefix();
//  - whatever decodes re-encodes (never an encode error: every decodable value
//    is encodable), in no more bytes than it used, to bytes that decode to an
//    equal value and re-encode to themselves (canonical form is a fixpoint).
// Build and run: fuzz/run.sh [seconds].
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "memvec/error.hpp"
#include "memvec/kv/bonjson.hpp"

namespace {

namespace bj = memvec::kv::bonjson;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "fuzz_bonjson: property violated: %s\n", what);
  std::abort();
}

#define FUZZ_CHECK(cond)     \
  do {                       \
    if (!(cond)) die(#cond); \
  } while (0)

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  memvec::kv::Value v;
  std::size_t used = 0;
  try {
    used = bj::decode_prefix(in, v);
  } catch (const memvec::Error& e) {
    FUZZ_CHECK(e.code() == memvec::errc::corrupt_data);
    try {
      (void)bj::decode(in);
      die("decode() accepted what decode_prefix() refused");
    } catch (const memvec::Error& e2) {
      FUZZ_CHECK(e2.code() == memvec::errc::corrupt_data);
    }
    return 0;
  }
  FUZZ_CHECK(used > 0 && used <= size);
  try {
    const memvec::kv::Value whole = bj::decode(in);
    FUZZ_CHECK(used == size);
    FUZZ_CHECK(whole == v);
  } catch (const memvec::Error& e) {
    FUZZ_CHECK(e.code() == memvec::errc::corrupt_data);
    FUZZ_CHECK(used < size);
  }

  // The string-only decoder agrees with the general one.
  try {
    std::string s;
    const std::size_t string_used = bj::decode_string_prefix(in, s);
    FUZZ_CHECK(v.is_string() && v.as_string() == s && string_used == used);
  } catch (const memvec::Error& e) {
    FUZZ_CHECK(e.code() == memvec::errc::corrupt_data && !v.is_string());
  }

  const std::vector<std::byte> encoded = bj::encode(v);
  FUZZ_CHECK(bj::encoded_size(v) == encoded.size());
  FUZZ_CHECK(encoded.size() <= used);
  const memvec::kv::Value again = bj::decode(encoded);
  FUZZ_CHECK(again == v);
  FUZZ_CHECK(bj::encode(again) == encoded);
  (void)v.to_json();
  return 0;
}
