// BONJSON (memvec::kv::bonjson), whole-value properties: every proper prefix
// rejected, random values round-trip canonically, both buffer types, a failed
// encode leaving its output alone, encode_string and decode_string_prefix;
// the fuzz seed corpus writer (not run by default).
#include "bonjson_fixture.hpp"

using namespace bonjson_fixture;

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

// Not run by default: `MEMVEC_SEED_DIR=fuzz/corpus/bonjson test_bonjson_values "[.seed]"`
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
