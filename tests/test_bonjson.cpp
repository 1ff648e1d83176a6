#include <bit>
#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "memvec/error.hpp"
#include "memvec/kv/bonjson.hpp"

namespace bj = memvec::kv::bonjson;
using memvec::errc;
using memvec::kv::Array;
using memvec::kv::Object;
using memvec::kv::Type;
using memvec::kv::Value;
using Bytes = std::vector<std::byte>;
using Catch::Matchers::Contains;

namespace {

Bytes bytes(std::initializer_list<int> l) {
  Bytes out;
  for (int b : l) out.push_back(static_cast<std::byte>(b));
  return out;
}
Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
Bytes repeat(int byte, std::size_t n) { return Bytes(n, static_cast<std::byte>(byte)); }
Bytes from_string(std::string_view s) {
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  return Bytes(p, p + s.size());
}

std::string hex(const Bytes& b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < b.size() && i < 64; ++i) {
    if (i) out += ' ';
    const auto v = std::to_integer<unsigned>(b[i]);
    out += kHex[v >> 4];
    out += kHex[v & 0xF];
  }
  if (b.size() > 64) out += " ... (" + std::to_string(b.size()) + " bytes)";
  return out;
}

// v encodes to exactly `expected`, which decodes back to v.
void check_golden(const Value& v, const Bytes& expected) {
  INFO("value " << v.to_json());
  CHECK(hex(bj::encode(v)) == hex(expected));
  CHECK(bj::encoded_size(v) == expected.size());
  CHECK(bj::decode(expected) == v);
}

// Decoding b fails with corrupt_data and a message containing `needle`.
void expect_corrupt(const Bytes& b, const std::string& needle) {
  INFO("input " << hex(b));
  try {
    const Value v = bj::decode(b);
    FAIL("decoded to " << v.to_json());
  } catch (const memvec::Error& e) {
    CHECK(e.code() == errc::corrupt_data);
    CHECK_THAT(e.what(), Contains(needle));
  }
}

void expect_unencodable(const Value& v, const std::string& needle) {
  try {
    (void)bj::encode(v);
    FAIL("encoded " << v.to_json());
  } catch (const memvec::Error& e) {
    CHECK(e.code() == errc::invalid_argument);
    CHECK_THAT(e.what(), Contains(needle));
  }
}

Value round_trip(const Value& v) {
  const Bytes b = bj::encode(v);
  REQUIRE(bj::encoded_size(v) == b.size());
  return bj::decode(b);
}

Value nested_arrays(std::size_t depth, Value v = Value()) {
  for (std::size_t i = 0; i < depth; ++i) {
    Array a;
    a.push_back(std::move(v));
    v = Value(std::move(a));
  }
  return v;
}

Value nested_objects(std::size_t depth) {
  Value v = 1;
  for (std::size_t i = 0; i < depth; ++i) {
    Object o;
    o.emplace("k", std::move(v));
    v = Value(std::move(o));
  }
  return v;
}

// The minimal integer size and code, derived from bit counts rather than
// from range comparisons as the encoder does.
std::pair<std::size_t, int> expected_int_form(std::int64_t v) {
  if (v >= -100 && v <= 100) return {1, -1};
  const auto u = static_cast<std::uint64_t>(v);
  if (v < 0) {
    const std::size_t bits = 64 - static_cast<std::size_t>(std::countl_one(u)) + 1;
    const std::size_t n = (bits + 7) / 8;
    return {1 + n, 0x78 + static_cast<int>(n) - 1};
  }
  const std::size_t bits = static_cast<std::size_t>(std::bit_width(u));
  const std::size_t n_unsigned = (bits + 7) / 8, n_signed = (bits + 8) / 8;
  if (n_signed == n_unsigned) return {1 + n_signed, 0x78 + static_cast<int>(n_signed) - 1};
  return {1 + n_unsigned, 0x70 + static_cast<int>(n_unsigned) - 1};
}

void check_int(std::int64_t v) {
  INFO("v = " << v);
  const Bytes b = bj::encode(Value(v));
  const auto [size, code] = expected_int_form(v);
  REQUIRE(b.size() == size);
  if (code >= 0) REQUIRE(std::to_integer<int>(b[0]) == code);
  const Value back = bj::decode(b);
  REQUIRE(back.type() == Type::int64);
  REQUIRE(back.as_int() == v);
  if (v >= 0) REQUIRE(bj::encode(Value(static_cast<std::uint64_t>(v))) == b);
}

std::uint8_t code_of(const Value& v) { return std::to_integer<std::uint8_t>(bj::encode(v)[0]); }

const std::vector<Bytes>& golden_encodings();

}  // namespace

// --- the type-code table, row by row -----------------------------------------

TEST_CASE("bonjson: type codes 00..64 are the integers 0..100") {
  for (int i = 0; i <= 100; ++i) {
    check_golden(Value(i), bytes({i}));
    CHECK(bj::decode(bytes({i})).type() == Type::int64);
  }
}

TEST_CASE("bonjson: type codes 9c..ff are the integers -100..-1") {
  for (int i = -100; i <= -1; ++i) check_golden(Value(i), bytes({i + 256}));
  check_golden(Value(-100), bytes({0x9c}));
  check_golden(Value(-1), bytes({0xff}));
}

TEST_CASE("bonjson: reserved type codes 65..67 and 90..98 are rejected") {
  for (int code : {0x65, 0x66, 0x67, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98}) {
    char name[8];
    std::snprintf(name, sizeof name, "0x%02x", code);
    expect_corrupt(bytes({code}), std::string("reserved type code ") + name + " at offset 0");
    expect_corrupt(bytes({0x99, 0x01, code, 0x9b}), "at offset 2");
  }
}

TEST_CASE("bonjson: 68 is a long string: 16 bytes encode as 68 41, 100 bytes as 68 22 03") {
  const std::string s16(16, 'a'), s100(100, 'b');
  check_golden(Value(s16), concat(bytes({0x68, 0x41}), from_string(s16)));
  check_golden(Value(s100), concat(bytes({0x68, 0x22, 0x03}), from_string(s100)));
}

TEST_CASE("bonjson: 69 (big number) is rejected with a clear error") {
  expect_corrupt(bytes({0x69, 0x00}), "big number (type code 0x69) is not supported at offset 0");
  expect_corrupt(bytes({0x99, 0x69, 0x9b}), "at offset 1");
}

TEST_CASE("bonjson: 6a is bfloat16: 1.0 -> 6a 80 3f, 1.125 -> 6a 90 3f, -0.0 -> 6a 00 80") {
  check_golden(Value(1.0), bytes({0x6a, 0x80, 0x3f}));
  check_golden(Value(1.125), bytes({0x6a, 0x90, 0x3f}));
  check_golden(Value(-0.0), bytes({0x6a, 0x00, 0x80}));
  CHECK(std::signbit(bj::decode(bytes({0x6a, 0x00, 0x80})).as_double()));
  check_golden(Value(0.0), bytes({0x6a, 0x00, 0x00}));
  CHECK_FALSE(std::signbit(bj::decode(bytes({0x6a, 0x00, 0x00})).as_double()));
}

TEST_CASE("bonjson: 6b is float32: 1e10 -> 6b f9 02 15 50") {
  check_golden(Value(1e10), bytes({0x6b, 0xf9, 0x02, 0x15, 0x50}));
}

TEST_CASE("bonjson: 6c is float64: 0.1 -> 6c 9a 99 99 99 99 99 b9 3f") {
  check_golden(Value(0.1), bytes({0x6c, 0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f}));
}

TEST_CASE("bonjson: 6d, 6e, 6f are null, false, true") {
  check_golden(Value(), bytes({0x6d}));
  check_golden(Value(false), bytes({0x6e}));
  check_golden(Value(true), bytes({0x6f}));
}

TEST_CASE("bonjson: 70..77 are unsigned integers of 1..8 bytes, zero-extended") {
  for (int n = 1; n <= 8; ++n) {
    const std::uint64_t max = n == 8 ? UINT64_MAX : (std::uint64_t{1} << (8 * n)) - 1;
    check_golden(Value(max),
                 concat(bytes({0x70 + n - 1}), repeat(0xff, static_cast<std::size_t>(n))));
  }
  CHECK(bj::decode(bytes({0x70, 0x80})).as_int() == 128);
  CHECK(bj::decode(bytes({0x73, 0xff, 0xff, 0xff, 0xff})).as_int() == 4294967295);
}

TEST_CASE("bonjson: 78..7f are signed integers of 1..8 bytes, sign-extended") {
  for (int n = 1; n <= 8; ++n) {
    const std::int64_t min = n == 8 ? INT64_MIN : -(std::int64_t{1} << (8 * n - 1));
    Bytes expected = concat(bytes({0x78 + n - 1}), repeat(0x00, static_cast<std::size_t>(n)));
    expected.back() = std::byte{0x80};
    check_golden(Value(min), expected);
  }
  CHECK(bj::decode(bytes({0x78, 0xff})).as_int() == -1);
  CHECK(bj::decode(bytes({0x7b, 0x00, 0x00, 0x00, 0x80})).as_int() == INT32_MIN);
  CHECK(bj::decode(bytes({0x7b, 0xff, 0xff, 0xff, 0x7f})).as_int() == INT32_MAX);
}

TEST_CASE("bonjson: 80..8f are short strings of 0..15 bytes") {
  for (int n = 0; n <= 15; ++n) {
    const std::string s(static_cast<std::size_t>(n), static_cast<char>('a' + n));
    check_golden(Value(s), concat(bytes({0x80 + n}), from_string(s)));
  }
}

TEST_CASE("bonjson: 99, 9a, 9b start arrays, start objects and end containers") {
  check_golden(Value::array(), bytes({0x99, 0x9b}));
  check_golden(Value::object(), bytes({0x9a, 0x9b}));
  check_golden(Value::array({1, "a", nullptr}), bytes({0x99, 0x01, 0x81, 0x61, 0x6d, 0x9b}));
  check_golden(Value::object({{"a", 1}, {"b", Value::array()}}),
               bytes({0x9a, 0x81, 0x61, 0x01, 0x81, 0x62, 0x99, 0x9b, 0x9b}));
  check_golden(Value::object({{"", Value::object()}}), bytes({0x9a, 0x80, 0x9a, 0x9b, 0x9b}));
}

// --- integers -----------------------------------------------------------------

TEST_CASE("bonjson: the spec's integer examples encode exactly") {
  check_golden(Value(255), bytes({0x70, 0xff}));
  check_golden(Value(128), bytes({0x70, 0x80}));
  check_golden(Value(-128), bytes({0x78, 0x80}));
  check_golden(Value(1000), bytes({0x79, 0xe8, 0x03}));
  check_golden(Value(-1000), bytes({0x79, 0x18, 0xfc}));
  check_golden(Value(32768), bytes({0x71, 0x00, 0x80}));
  check_golden(Value(UINT64_MAX), bytes({0x77, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
  check_golden(Value(INT64_MIN), bytes({0x7f, 0, 0, 0, 0, 0, 0, 0, 0x80}));
  check_golden(Value(101), bytes({0x78, 0x65}));
  check_golden(Value(-101), bytes({0x78, 0x9b}));
  check_golden(Value(127), bytes({0x78, 0x7f}));
}

TEST_CASE("bonjson: 65535 encodes as 71 ff ff, -129 as 79 7f ff, -256 as 79 00 ff") {
  check_golden(Value(65535), bytes({0x71, 0xff, 0xff}));
  check_golden(Value(std::uint64_t{65535}), bytes({0x71, 0xff, 0xff}));
  check_golden(Value(-129), bytes({0x79, 0x7f, 0xff}));
  check_golden(Value(-256), bytes({0x79, 0x00, 0xff}));
}

TEST_CASE("bonjson: integers at every bit length and both signs round-trip at minimal size") {
  for (int k = 0; k <= 63; ++k) {
    const std::uint64_t p = std::uint64_t{1} << k;
    for (std::uint64_t u : {p - 1, p, p + 1}) {
      if (u <= static_cast<std::uint64_t>(INT64_MAX)) check_int(static_cast<std::int64_t>(u));
      if (u <= static_cast<std::uint64_t>(INT64_MAX) + 1)
        check_int(static_cast<std::int64_t>(0 - u));
    }
  }
  for (std::int64_t v : {INT64_MIN, INT64_MIN + 1, INT64_MAX, INT64_MAX - 1, std::int64_t{65535},
                         std::int64_t{-129}, std::int64_t{-256}})
    check_int(v);
  for (std::uint64_t u :
       {UINT64_MAX, UINT64_MAX - 1, std::uint64_t{1} << 63, (std::uint64_t{1} << 63) + 1}) {
    const Bytes b = bj::encode(Value(u));
    CHECK(hex(b).substr(0, 2) == "77");
    CHECK(b.size() == 9);
    CHECK(bj::decode(b).type() == Type::uint64);
    CHECK(bj::decode(b).as_uint() == u);
  }
}

TEST_CASE("bonjson: every integer in -70000..70000 round-trips at its minimal size") {
  for (std::int64_t v = -70000; v <= 70000; ++v) check_int(v);
}

TEST_CASE("bonjson: an unsigned value that fits int64 decodes as int64, above it as uint64") {
  CHECK(bj::decode(bytes({0x70, 0xff})).type() == Type::int64);
  CHECK(bj::decode(bytes({0x77, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f})).type() ==
        Type::int64);
  CHECK(bj::decode(bytes({0x77, 0, 0, 0, 0, 0, 0, 0, 0x80})).type() == Type::uint64);
  CHECK(bj::decode(bytes({0x71, 0xff, 0xff})) == Value(std::uint64_t{65535}));
}

TEST_CASE("bonjson: non-minimal integers are accepted when decoding") {
  CHECK(bj::decode(bytes({0x78, 0x05})) == Value(5));
  CHECK(bj::decode(bytes({0x70, 0x05})) == Value(5));
  CHECK(bj::decode(bytes({0x79, 0x05, 0x00})) == Value(5));
  CHECK(bj::decode(bytes({0x7f, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})) == Value(-2));
  CHECK(bj::decode(bytes({0x77, 0xff, 0, 0, 0, 0, 0, 0, 0})) == Value(255));
  CHECK(bj::encode(bj::decode(bytes({0x79, 0x05, 0x00}))) == bytes({0x05}));
}

// --- floats ---------------------------------------------------------------------

TEST_CASE("bonjson: floats take the narrowest exact form") {
  const float flt_sub = std::numeric_limits<float>::denorm_min();
  const double above_flt = std::nextafter(static_cast<double>(FLT_MAX), INFINITY);
  check_golden(Value(-2.5), bytes({0x6a, 0x20, 0xc0}));
  check_golden(Value(65536.0), bytes({0x6a, 0x80, 0x47}));
  check_golden(Value(FLT_MIN), bytes({0x6a, 0x80, 0x00}));
  check_golden(Value(std::bit_cast<float>(0x7f7f0000u)), bytes({0x6a, 0x7f, 0x7f}));
  check_golden(Value(std::bit_cast<float>(0x00010000u)), bytes({0x6a, 0x01, 0x00}));
  check_golden(Value(1.1f), bytes({0x6b, 0xcd, 0xcc, 0x8c, 0x3f}));
  check_golden(Value(FLT_MAX), bytes({0x6b, 0xff, 0xff, 0x7f, 0x7f}));
  check_golden(Value(-FLT_MAX), bytes({0x6b, 0xff, 0xff, 0x7f, 0xff}));
  check_golden(Value(flt_sub), bytes({0x6b, 0x01, 0x00, 0x00, 0x00}));
  check_golden(Value(DBL_MAX), bytes({0x6c, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xef, 0x7f}));
  check_golden(Value(-DBL_MAX), bytes({0x6c, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xef, 0xff}));
  check_golden(Value(DBL_MIN), bytes({0x6c, 0, 0, 0, 0, 0, 0, 0x10, 0x00}));
  check_golden(Value(std::numeric_limits<double>::denorm_min()),
               bytes({0x6c, 1, 0, 0, 0, 0, 0, 0, 0}));
  CHECK(code_of(Value(above_flt)) == 0x6c);
  CHECK(code_of(Value(1e39)) == 0x6c);
  CHECK(code_of(Value(M_PI)) == 0x6c);
  CHECK(round_trip(Value(above_flt)).as_double() == above_flt);
}

TEST_CASE("bonjson: random floats and doubles round-trip bit for bit") {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 20000; ++i) {
    const auto fbits = static_cast<std::uint32_t>(rng());
    const float f = std::bit_cast<float>(fbits);
    if (std::isfinite(f)) {
      const Bytes b = bj::encode(Value(f));
      REQUIRE(std::to_integer<int>(b[0]) == ((fbits & 0xFFFF) == 0 ? 0x6a : 0x6b));
      REQUIRE(std::bit_cast<std::uint32_t>(static_cast<float>(bj::decode(b).as_double())) == fbits);
    }
    const std::uint64_t dbits = rng() & (i % 2 ? ~std::uint64_t{0} : 0xFFFFFFFFFFFF0000ull);
    const double d = std::bit_cast<double>(dbits);
    if (std::isfinite(d))
      REQUIRE(std::bit_cast<std::uint64_t>(round_trip(Value(d)).as_double()) == dbits);
  }
}

TEST_CASE("bonjson: NaN and infinities are refused by the encoder") {
  for (double d : {std::nan(""), -std::nan(""), double(INFINITY), -double(INFINITY)}) {
    expect_unencodable(Value(d), "NaN and infinity are not allowed at the top level");
    CHECK_THROWS_AS(bj::encoded_size(Value(d)), memvec::Error);
  }
  expect_unencodable(Value::array({1, std::nan("")}), "at $[1]");
  expect_unencodable(Value::object({{"x", Value::array({INFINITY})}}), "at $[\"x\"][0]");
}

TEST_CASE("bonjson: NaN and infinities are refused by the decoder") {
  for (const Bytes& b :
       {bytes({0x6a, 0x80, 0x7f}), bytes({0x6a, 0x80, 0xff}), bytes({0x6a, 0xc0, 0x7f}),
        bytes({0x6a, 0x81, 0x7f}), bytes({0x6b, 0, 0, 0x80, 0x7f}), bytes({0x6b, 0, 0, 0x80, 0xff}),
        bytes({0x6b, 1, 0, 0xc0, 0x7f}), bytes({0x6c, 0, 0, 0, 0, 0, 0, 0xf0, 0x7f}),
        bytes({0x6c, 0, 0, 0, 0, 0, 0, 0xf0, 0xff}), bytes({0x6c, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f})})
    expect_corrupt(b, "NaN or infinity");
}

TEST_CASE("bonjson: non-minimal floats are accepted when decoding") {
  CHECK(bj::decode(bytes({0x6c, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f})) == Value(1.0));
  CHECK(bj::decode(bytes({0x6b, 0, 0, 0x80, 0x3f})) == Value(1.0));
  CHECK(bj::decode(bytes({0x6b, 0, 0, 0x80, 0x3f})).type() == Type::float64);
}

// --- strings ----------------------------------------------------------------------

TEST_CASE("bonjson: strings of every length 0..300 and 70000 round-trip with the right header") {
  std::vector<std::size_t> lengths;
  for (std::size_t n = 0; n <= 300; ++n) lengths.push_back(n);
  lengths.push_back(8191);
  lengths.push_back(8192);
  lengths.push_back(70000);
  for (std::size_t n : lengths) {
    INFO("length " << n);
    std::string s(n, 'x');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
    const Bytes b = bj::encode(Value(s));
    const std::size_t field = n <= 15 ? 0 : n < 64 ? 1 : n < 8192 ? 2 : 3;
    REQUIRE(b.size() == 1 + field + n);
    if (n <= 15) {
      REQUIRE(std::to_integer<std::size_t>(b[0]) == 0x80 + n);
    } else {
      REQUIRE(std::to_integer<int>(b[0]) == 0x68);
      const auto first = std::to_integer<unsigned>(b[1]);
      REQUIRE(static_cast<std::size_t>(std::countr_zero(first)) + 1 == field);
      std::uint64_t raw = 0;
      for (std::size_t i = 0; i < field; ++i)
        raw |= std::to_integer<std::uint64_t>(b[1 + i]) << (8 * i);
      REQUIRE((raw >> field) == (std::uint64_t{n} << 1));
    }
    REQUIRE(bj::decode(b).as_string() == s);
  }
}

TEST_CASE("bonjson: every length-field width decodes, non-minimal ones included") {
  const Bytes abc = from_string("abc");
  // Length 3, payload 6, in 1..8 bytes, then the 9-byte 00 form.
  for (unsigned n = 1; n <= 8; ++n) {
    const std::uint64_t field = (std::uint64_t{6} << n) | (std::uint64_t{1} << (n - 1));
    Bytes b = bytes({0x68});
    for (unsigned i = 0; i < n; ++i) b.push_back(static_cast<std::byte>(field >> (8 * i)));
    CHECK(bj::decode(concat(b, abc)) == Value("abc"));
  }
  CHECK(bj::decode(concat(bytes({0x68, 0x00, 6, 0, 0, 0, 0, 0, 0, 0}), abc)) == Value("abc"));
  CHECK(bj::decode(concat(bytes({0x68, 0x0d}), abc)) == Value("abc"));
  CHECK(bj::encode(bj::decode(concat(bytes({0x68, 0x0d}), abc))) == concat(bytes({0x83}), abc));
}

TEST_CASE("bonjson: chunked strings (continuation bit) are rejected") {
  expect_corrupt(concat(bytes({0x68, 0x0f}), from_string("abc")), "chunked strings");
}

TEST_CASE("bonjson: hostile string lengths are rejected without allocating") {
  // 2^60 bytes, 2^63 - 1 bytes, and a length one past the input.
  expect_corrupt(bytes({0x68, 0x00, 0, 0, 0, 0, 0, 0, 0, 0x20, 0x61}),
                 "truncated input: string of 1152921504606846976 bytes, 1 remain");
  expect_corrupt(bytes({0x68, 0x00, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
                 "truncated input");
  expect_corrupt(concat(bytes({0x68, 0x45}), from_string("0123456789abcdef")),
                 "string of 17 bytes, 16 remain");
  expect_corrupt(bytes({0x68, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
                 "length field needs 8 more bytes, 7 remain");
}

TEST_CASE("bonjson: valid UTF-8 of every sequence length round-trips") {
  const std::vector<std::string> valid = {
      std::string("nul\0inside", 10),
      "\x7f",
      "\xc2\x80",
      "\xc3\xa9",
      "\xdf\xbf",
      "\xe0\xa0\x80",
      "\xe2\x82\xac",
      "\xed\x9f\xbf",
      "\xee\x80\x80",
      "\xef\xbf\xbf",
      "\xf0\x90\x80\x80",
      "\xf0\x9f\x98\x80",
      "\xf4\x8f\xbf\xbf",
      "h\xc3\xa9llo w\xc3\xb6rld, \xe2\x82\xac and \xf0\x9f\x98\x80!"};
  for (const std::string& s : valid) {
    CHECK(bj::is_valid_utf8(s));
    for (std::size_t pad = 0; pad < 17; ++pad) {  // every alignment of the ASCII fast path
      const std::string t = std::string(pad, 'a') + s + std::string(pad, 'z');
      REQUIRE(round_trip(Value(t)).as_string() == t);
      REQUIRE(round_trip(Value::object({{t, t}})).find(t)->as_string() == t);
    }
  }
}

TEST_CASE("bonjson: each class of invalid UTF-8 is rejected on decode and encode") {
  const std::vector<std::pair<std::string, std::string>> invalid = {
      {"\x80", "unexpected continuation byte"},
      {"\xbf", "unexpected continuation byte"},
      {"\xc0\x80", "overlong encoding"},
      {"\xc1\xbf", "overlong encoding"},
      {"\xe0\x80\x80", "overlong encoding"},
      {"\xe0\x9f\xbf", "overlong encoding"},
      {"\xf0\x80\x80\x80", "overlong encoding"},
      {"\xf0\x8f\xbf\xbf", "overlong encoding"},
      {"\xed\xa0\x80", "surrogate code point"},
      {"\xed\xbf\xbf", "surrogate code point"},
      {"\xf4\x90\x80\x80", "code point above U+10FFFF"},
      {"\xf5\x80\x80\x80", "code point above U+10FFFF"},
      {"\xf7\xbf\xbf\xbf", "code point above U+10FFFF"},
      {"\xf8\x88\x80\x80\x80", "byte never used in UTF-8"},
      {"\xfe", "byte never used in UTF-8"},
      {"\xff", "byte never used in UTF-8"},
      {"\xc3", "truncated sequence"},
      {"\xe2\x82", "truncated sequence"},
      {"\xf0\x9f\x98", "truncated sequence"},
      {"\xc3\x41", "missing continuation byte"},
      {"\xe2\x41\xac", "missing continuation byte"},
      {"\xe2\x82\x41", "missing continuation byte"},
      {"\xf0\x9f\x41\x80", "missing continuation byte"},
      {"\xf0\x9f\x98\xc0", "missing continuation byte"}};
  for (const auto& [bad, reason] : invalid) {
    INFO("bytes " << hex(from_string(bad)));
    CHECK_FALSE(bj::is_valid_utf8(bad));
    const std::string s = "0123456789abcdefghij" + bad;  // long form; bad part at offset 22
    expect_corrupt(concat(bytes({0x68, static_cast<int>((s.size() << 2) | 1)}), from_string(s)),
                   "invalid UTF-8 in string: " + reason + " at offset 22");
    expect_corrupt(concat(bytes({0x9a, 0x80 + static_cast<int>(bad.size())}),
                          concat(from_string(bad), bytes({0x01, 0x9b}))),
                   reason + " at offset 2");
    expect_unencodable(Value(s), "string is not valid UTF-8 (" + reason + " at byte 20");
    expect_unencodable(Value::object({{bad, 1}}), "object key is not valid UTF-8");
  }
}

// --- containers -------------------------------------------------------------------

TEST_CASE("bonjson: object keys must be strings") {
  expect_corrupt(bytes({0x9a, 0x01, 0x01, 0x9b}),
                 "object key is not a string (type code 0x01) at offset 1");
  expect_corrupt(bytes({0x9a, 0x99, 0x9b, 0x01, 0x9b}), "object key is not a string");
  expect_corrupt(bytes({0x9a, 0x81, 0x61, 0x01, 0x6d, 0x01, 0x9b}), "at offset 4");
}

TEST_CASE("bonjson: duplicate object keys are rejected on decode") {
  expect_corrupt(bytes({0x9a, 0x81, 0x61, 0x01, 0x81, 0x61, 0x02, 0x9b}),
                 "duplicate object key at offset 4");
  expect_corrupt(bytes({0x9a, 0x81, 0x62, 0x01, 0x81, 0x61, 0x02, 0x81, 0x62, 0x03, 0x9b}),
                 "duplicate");
  // Same key in different objects is fine.
  CHECK_NOTHROW(
      bj::decode(bytes({0x99, 0x9a, 0x81, 0x61, 0x01, 0x9b, 0x9a, 0x81, 0x61, 0x01, 0x9b, 0x9b})));
}

TEST_CASE("bonjson: keys out of order are accepted and re-encode sorted") {
  const Value v = bj::decode(bytes({0x9a, 0x81, 0x62, 0x01, 0x81, 0x61, 0x02, 0x9b}));
  CHECK(v == Value::object({{"a", 2}, {"b", 1}}));
  CHECK(hex(bj::encode(v)) == "9a 81 61 02 81 62 01 9b");
}

TEST_CASE("bonjson: malformed container structure is rejected") {
  expect_corrupt(bytes({0x9b}), "container end (0x9b) without an open container at offset 0");
  expect_corrupt(bytes({0x9a, 0x81, 0x61, 0x9b}),
                 "object ends between a key and its value at offset 3");
  expect_corrupt(bytes({0x99, 0x01}), "array opened at offset 0 is not closed at offset 2");
  expect_corrupt(bytes({0x99, 0x9a}), "object opened at offset 1 is not closed");
  expect_corrupt(bytes({}), "truncated input: expected a value at offset 0");
}

TEST_CASE("bonjson: decode rejects trailing bytes, decode_prefix reports what it used") {
  expect_corrupt(bytes({0x01, 0x02}), "1 trailing bytes after the value at offset 1");
  expect_corrupt(bytes({0x99, 0x9b, 0x9b}), "trailing");
  const Bytes two = concat(bj::encode(Value::array({1, "x"})), bj::encode(Value(65535)));
  Value v;
  const std::size_t used = bj::decode_prefix(two, v);
  CHECK(used == 5);
  CHECK(v == Value::array({1, "x"}));
  CHECK(bj::decode_prefix(std::span(two).subspan(used), v) == 3);
  CHECK(v == 65535);
}

TEST_CASE("bonjson: decode_prefix leaves its output unchanged on error") {
  Value v = "kept";
  CHECK_THROWS_AS(bj::decode_prefix(bytes({0x99, 0x01}), v), memvec::Error);
  CHECK(v == "kept");
}

TEST_CASE("bonjson: nesting exactly to kMaxDepth decodes, one past it is rejected") {
  const std::size_t d = bj::kMaxDepth;
  CHECK(bj::decode(concat(repeat(0x99, d), repeat(0x9b, d))) ==
        nested_arrays(d - 1, Value::array()));
  expect_corrupt(concat(repeat(0x99, d + 1), repeat(0x9b, d + 1)),
                 "nesting deeper than kMaxDepth (512) at offset 512");
  expect_corrupt(repeat(0x99, 1'000'000), "nesting deeper than kMaxDepth (512) at offset 512");
  Bytes objects;
  for (std::size_t i = 0; i < d; ++i)
    objects.insert(objects.end(), {std::byte{0x9a}, std::byte{0x81}, std::byte{'k'}});
  objects.push_back(std::byte{0x01});
  const Bytes closing = repeat(0x9b, d);
  CHECK(bj::decode(concat(objects, closing)) == nested_objects(d));
}

TEST_CASE("bonjson: encoding nests exactly to kMaxDepth, one past it is refused") {
  const std::size_t d = bj::kMaxDepth;
  const Value ok = nested_arrays(d);
  const Bytes b = bj::encode(ok);
  CHECK(b == concat(concat(repeat(0x99, d), bytes({0x6d})), repeat(0x9b, d)));
  CHECK(bj::decode(b) == ok);
  CHECK(bj::encoded_size(ok) == b.size());
  expect_unencodable(nested_arrays(d + 1), "nesting deeper than kMaxDepth (512) at $[0][0]");
  expect_unencodable(nested_objects(d + 1), "nesting deeper than kMaxDepth (512)");
  CHECK_THROWS_AS(bj::encoded_size(nested_objects(d + 1)), memvec::Error);
  CHECK(round_trip(nested_objects(d)) == nested_objects(d));
}

// --- whole-value properties ---------------------------------------------------------

namespace {

Value random_value(std::mt19937_64& rng, int depth) {
  static const char* const kPieces[] = {"a",  "key", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                        "\n", "\"",  ""};
  const auto pick = [&](std::uint64_t n) { return rng() % n; };
  switch (pick(depth < 4 ? 11 : 8)) {
    case 0:
      return Value();
    case 1:
      return Value(pick(2) == 0);
    case 2:
      return Value(static_cast<std::int64_t>(pick(401)) - 200);
    case 3: {  // separate statements: operand order must not depend on the compiler
      const auto magnitude = static_cast<std::int64_t>(rng() >> (1 + pick(63)));
      return Value(pick(2) ? magnitude : -magnitude);
    }
    case 4:
      return Value(rng() >> pick(64));
    case 5: {
      const bool narrow = pick(2) != 0;
      const std::uint64_t bits = rng();
      const double d =
          narrow ? static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(bits)))
                 : std::bit_cast<double>(bits);
      return std::isfinite(d) ? Value(d) : Value(0.25);
    }
    case 6:
    case 7: {
      std::string s;
      const std::size_t pieces = pick(4) == 0 ? pick(200) : pick(8);
      for (std::size_t i = 0; i < pieces; ++i) s += kPieces[pick(std::size(kPieces))];
      return Value(std::move(s));
    }
    case 8:
    case 9: {
      Array a;
      for (std::uint64_t i = pick(6); i > 0; --i) a.push_back(random_value(rng, depth + 1));
      return Value(std::move(a));
    }
    default: {
      Object o;
      for (std::uint64_t i = pick(6); i > 0; --i) {
        std::string key = kPieces[pick(std::size(kPieces))];
        key += std::to_string(pick(50));
        o.insert_or_assign(std::move(key), random_value(rng, depth + 1));
      }
      return Value(std::move(o));
    }
  }
}

const std::vector<Bytes>& golden_encodings() {
  static const std::vector<Bytes> all = [] {
    std::vector<Bytes> out;
    const std::vector<Value> values = {
        Value(),
        true,
        false,
        0,
        100,
        -100,
        101,
        -101,
        255,
        65535,
        -129,
        -256,
        1000,
        -1000,
        32768,
        INT64_MIN,
        INT64_MAX,
        UINT64_MAX,
        1.0,
        1.125,
        -0.0,
        1e10,
        0.1,
        1.1f,
        DBL_MAX,
        std::numeric_limits<double>::denorm_min(),
        "",
        "abc",
        std::string(15, 'q'),
        std::string(16, 'a'),
        std::string(100, 'b'),
        std::string(9000, 'c'),
        "h\xc3\xa9llo \xf0\x9f\x98\x80",
        Value::array(),
        Value::object(),
        Value::array({1, "a", nullptr}),
        Value::object(
            {{"k", 1}, {"n", Value::object({{"deep", Value::array({2.5, "x", Value::array()})}})}}),
        nested_arrays(20),
        nested_objects(20)};
    for (const Value& v : values) out.push_back(bj::encode(v));
    std::mt19937_64 rng(99);
    for (int i = 0; i < 40; ++i) out.push_back(bj::encode(random_value(rng, 0)));
    return out;
  }();
  return all;
}

}  // namespace

TEST_CASE("bonjson: every proper prefix of a valid encoding is rejected as truncated") {
  std::vector<Bytes> inputs = golden_encodings();
  inputs.push_back(bj::encode(nested_arrays(bj::kMaxDepth)));
  for (const Bytes& full : inputs) {
    REQUIRE_NOTHROW(bj::decode(full));
    for (std::size_t len = 0; len < full.size(); ++len) {
      const std::span<const std::byte> prefix(full.data(), len);
      try {
        Value v;
        (void)bj::decode_prefix(prefix, v);
        FAIL("prefix of " << len << " bytes of " << hex(full) << " decoded");
      } catch (const memvec::Error& e) {
        REQUIRE(e.code() == errc::corrupt_data);
        REQUIRE_THAT(e.what(), Contains("truncated input"));
      }
    }
  }
}

TEST_CASE("bonjson: random values round-trip and their encoding is canonical") {
  std::mt19937_64 rng(2024);
  for (int i = 0; i < 3000; ++i) {
    const Value v = random_value(rng, 0);
    const Bytes b = bj::encode(v);
    REQUIRE(bj::encoded_size(v) == b.size());
    const Value back = bj::decode(b);
    REQUIRE(back == v);
    REQUIRE(bj::encode(back) == b);
  }
}

TEST_CASE("bonjson: encode appends to both buffer types with the same bytes") {
  const Value v = Value::object({{"a", Value::array({1, 2.5, "x"})}});
  std::string s = "prefix";
  Bytes b = bytes({0xaa});
  bj::encode(v, s);
  bj::encode(v, b);
  const Bytes alone = bj::encode(v);
  CHECK(s.substr(0, 6) == "prefix");
  CHECK(from_string(std::string_view(s).substr(6)) == alone);
  CHECK(b == concat(bytes({0xaa}), alone));
  CHECK(bj::decode(std::string_view(s).substr(6)) == v);
}

TEST_CASE("bonjson: a failed encode leaves the output buffer as it was") {
  const Value bad = Value::array({1, "long enough to have been written", std::nan("")});
  std::string s = "keep";
  Bytes b = bytes({1, 2, 3});
  CHECK_THROWS_AS(bj::encode(bad, s), memvec::Error);
  CHECK_THROWS_AS(bj::encode(bad, b), memvec::Error);
  CHECK(s == "keep");
  CHECK(b == bytes({1, 2, 3}));
}

TEST_CASE("bonjson: encode_string writes what encoding the string Value writes") {
  for (const std::string& str :
       {std::string(), std::string("k"), std::string(15, 'a'), std::string(16, 'b'),
        std::string(100, 'c'), std::string("h\xc3\xa9llo")}) {
    Bytes b = bytes({0x9a});
    std::string s = "x";
    bj::encode_string(str, b);
    bj::encode_string(str, s);
    CHECK(b == concat(bytes({0x9a}), bj::encode(Value(str))));
    CHECK(from_string(std::string_view(s).substr(1)) == bj::encode(Value(str)));
  }
  Bytes b = bytes({1});
  CHECK_THROWS_AS(bj::encode_string("bad \xff", b), memvec::Error);
  CHECK(b == bytes({1}));
}

TEST_CASE("bonjson: decode_string_prefix reads one string and refuses anything else") {
  const Bytes two = concat(bj::encode(Value(std::string(20, 'k'))), bytes({0x05}));
  std::string key = "old";
  CHECK(bj::decode_string_prefix(two, key) == 22);
  CHECK(key == std::string(20, 'k'));
  std::string_view view;  // the same, viewing the input's bytes
  CHECK(bj::decode_string_prefix(two, view) == 22);
  CHECK(view == std::string(20, 'k'));
  CHECK(static_cast<const void*>(view.data()) == two.data() + 2);
  for (const Bytes& bad : {bytes({}), bytes({0x05}), bytes({0x6d}), bytes({0x99, 0x9b}),
                           bytes({0x83, 0x61}), bytes({0x81, 0xff})}) {
    std::string out = "kept";
    std::string_view out_view = "kept";
    INFO("input " << hex(bad));
    try {
      (void)bj::decode_string_prefix(bad, out);
      FAIL("decoded");
    } catch (const memvec::Error& e) {
      CHECK(e.code() == errc::corrupt_data);
    }
    CHECK_THROWS_AS(bj::decode_string_prefix(bad, out_view), memvec::Error);
    CHECK(out == "kept");
    CHECK(out_view == "kept");
  }
}

// Not run by default: `MEMVEC_SEED_DIR=fuzz/corpus/bonjson test_bonjson "[.seed]"`
// regenerates the fuzzer's seed corpus.
TEST_CASE("bonjson: write the fuzz seed corpus", "[.seed]") {
  const char* dir = std::getenv("MEMVEC_SEED_DIR");
  REQUIRE(dir != nullptr);
  std::vector<Bytes> seeds = golden_encodings();
  for (const Bytes& b : {bytes({0x69, 0x00}), bytes({0x65}), bytes({0x6a, 0x80, 0x7f}),
                         bytes({0x9a, 0x81, 0x61, 0x9b}), bytes({0x68, 0x0f, 0x61, 0x62, 0x63}),
                         bytes({0x81, 0xc0}), bytes({0x79, 0x05, 0x00})})
    seeds.push_back(b);
  std::size_t n = 0;
  for (const Bytes& b : seeds) {
    char name[32];
    std::snprintf(name, sizeof name, "seed-%03zu.bjn", n++);
    std::ofstream(std::filesystem::path(dir) / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  }
}
