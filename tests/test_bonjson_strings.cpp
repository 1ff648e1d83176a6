// BONJSON (memvec::kv::bonjson), strings: every length and length-field
// width, chunked strings and hostile lengths rejected, valid UTF-8 of every
// sequence length, each class of invalid UTF-8 rejected both ways.
#include "bonjson_fixture.hpp"

using namespace bonjson_fixture;

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
