// BONJSON (memvec::kv::bonjson), the type-code table row by row: small
// integers, reserved codes, long strings, big numbers, floats, null and
// booleans, sized integers, short strings and container delimiters.
#include "bonjson_fixture.hpp"

using namespace bonjson_fixture;

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
