// BONJSON (memvec::kv::bonjson), numbers: the spec's integer examples,
// every bit length at minimal size, int64/uint64 decoding, non-minimal forms
// accepted; floats in their narrowest exact form, bit-for-bit round trips,
// NaN and infinities refused both ways.
#include "bonjson_fixture.hpp"

using namespace bonjson_fixture;

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
