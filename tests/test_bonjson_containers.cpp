// BONJSON (memvec::kv::bonjson), containers: object keys (strings only, no
// duplicates, any order), malformed structure, trailing bytes and
// decode_prefix, nesting to kMaxDepth on decode and encode.
#include "bonjson_fixture.hpp"

using namespace bonjson_fixture;

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
