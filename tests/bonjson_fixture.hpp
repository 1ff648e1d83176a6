// Shared by the BONJSON codec tests (test_bonjson_*.cpp): byte strings,
// golden encodings checked both ways, expected errors, round trips, nested
// values and the integer forms the encoder must pick.
#pragma once
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

namespace bonjson_fixture {

namespace bj = memvec::kv::bonjson;
using memvec::errc;
using memvec::kv::Array;
using memvec::kv::Object;
using memvec::kv::Type;
using memvec::kv::Value;
using Bytes = std::vector<std::byte>;
using Catch::Matchers::Contains;

inline Bytes bytes(std::initializer_list<int> l) {
  Bytes out;
  for (int b : l) out.push_back(static_cast<std::byte>(b));
  return out;
}
inline Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
inline Bytes repeat(int byte, std::size_t n) { return Bytes(n, static_cast<std::byte>(byte)); }
inline Bytes from_string(std::string_view s) {
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  return Bytes(p, p + s.size());
}

inline std::string hex(const Bytes& b) {
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
inline void check_golden(const Value& v, const Bytes& expected) {
  INFO("value " << v.to_json());
  CHECK(hex(bj::encode(v)) == hex(expected));
  CHECK(bj::encoded_size(v) == expected.size());
  CHECK(bj::decode(expected) == v);
}

// Decoding b fails with corrupt_data and a message containing `needle`.
inline void expect_corrupt(const Bytes& b, const std::string& needle) {
  INFO("input " << hex(b));
  try {
    const Value v = bj::decode(b);
    FAIL("decoded to " << v.to_json());
  } catch (const memvec::Error& e) {
    CHECK(e.code() == errc::corrupt_data);
    CHECK_THAT(e.what(), Contains(needle));
  }
}

inline void expect_unencodable(const Value& v, const std::string& needle) {
  try {
    (void)bj::encode(v);
    FAIL("encoded " << v.to_json());
  } catch (const memvec::Error& e) {
    CHECK(e.code() == errc::invalid_argument);
    CHECK_THAT(e.what(), Contains(needle));
  }
}

inline Value round_trip(const Value& v) {
  const Bytes b = bj::encode(v);
  REQUIRE(bj::encoded_size(v) == b.size());
  return bj::decode(b);
}

inline Value nested_arrays(std::size_t depth, Value v = Value()) {
  for (std::size_t i = 0; i < depth; ++i) {
    Array a;
    a.push_back(std::move(v));
    v = Value(std::move(a));
  }
  return v;
}

inline Value nested_objects(std::size_t depth) {
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
inline std::pair<std::size_t, int> expected_int_form(std::int64_t v) {
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

inline void check_int(std::int64_t v) {
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

inline std::uint8_t code_of(const Value& v) {
  return std::to_integer<std::uint8_t>(bj::encode(v)[0]);
}

}  // namespace bonjson_fixture
