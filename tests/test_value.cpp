#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>

#include "memvec/error.hpp"
#include "memvec/kv/value.hpp"

using memvec::kv::Array;
using memvec::kv::Object;
using memvec::kv::Type;
using memvec::kv::Value;

// Compile-time: the literals that must (and must not) make a Value.
static_assert(std::is_nothrow_default_constructible_v<Value>);
static_assert(std::is_convertible_v<const char*, Value>);
static_assert(std::is_convertible_v<std::int8_t, Value>);   // signed char is an integer
static_assert(std::is_convertible_v<std::uint8_t, Value>);  // unsigned char too
static_assert(!std::is_constructible_v<Value, char>);
static_assert(!std::is_constructible_v<Value, wchar_t>);
static_assert(!std::is_constructible_v<Value, char8_t>);
static_assert(!std::is_constructible_v<Value, char16_t>);
static_assert(!std::is_constructible_v<Value, char32_t>);
static_assert(!std::is_constructible_v<Value, int*>);         // no pointer -> bool
static_assert(!std::is_constructible_v<Value, long double>);  // would lose precision silently
static_assert(!std::is_constructible_v<Value, const void*>);

TEST_CASE("value: null is the default and what nullptr makes") {
  CHECK(Value().is_null());
  CHECK(Value(nullptr).is_null());
  CHECK(Value().type() == Type::null);
  CHECK(Value() == Value(nullptr));
}

TEST_CASE("value: each literal picks its natural type") {
  CHECK(Value(true).type() == Type::boolean);
  CHECK(Value(false).as_bool() == false);
  CHECK(Value(42).type() == Type::int64);
  CHECK(Value(42L).type() == Type::int64);
  CHECK(Value(short{-3}).as_int() == -3);
  CHECK(Value(std::int8_t{-5}).type() == Type::int64);
  CHECK(Value(42u).type() == Type::uint64);
  CHECK(Value(std::uint8_t{200}).as_uint() == 200);
  CHECK(Value(std::size_t{7}).type() == Type::uint64);
  CHECK(Value(3.5).type() == Type::float64);
  CHECK(Value(1.5f).as_double() == 1.5);
  CHECK(Value("x").type() == Type::string);
  CHECK(Value(std::string("abc")).as_string() == "abc");
  CHECK(Value(std::string_view("sv")).as_string() == "sv");
  const std::string s = "copied";
  CHECK(Value(s).as_string() == "copied");
  CHECK(Value(Array{1, 2}).type() == Type::array);
  CHECK(Value(Object{{"a", 1}}).type() == Type::object);
}

TEST_CASE("value: a string literal never becomes a bool") {
  const Value v = "true";
  CHECK(v.is_string());
  CHECK_FALSE(v.is_bool());
  char buf[] = "mutable";
  CHECK(Value(static_cast<char*>(buf)).as_string() == "mutable");
}

TEST_CASE("value: Value::array builds a heterogeneous array") {
  const Value a = Value::array({1, "a", nullptr, true, 2.5});
  REQUIRE(a.is_array());
  const Array& items = a.as_array();
  REQUIRE(items.size() == 5);
  CHECK(items[0].as_int() == 1);
  CHECK(items[1].as_string() == "a");
  CHECK(items[2].is_null());
  CHECK(items[3].as_bool());
  CHECK(items[4].as_double() == 2.5);
  CHECK(Value::array().as_array().empty());
  CHECK(Value::array({}).as_array().empty());
}

TEST_CASE("value: Value::object builds nested objects and keeps the last duplicate") {
  const Value o = Value::object(
      {{"k", 1}, {"n", Value::object({{"deep", Value::array({2, 3})}})}, {"", "empty key"}});
  REQUIRE(o.is_object());
  CHECK(o.as_object().size() == 3);
  CHECK(o.find("k")->as_int() == 1);
  CHECK(o.find("n")->find("deep")->as_array().size() == 2);
  CHECK(o.find("")->as_string() == "empty key");
  CHECK(o.find("missing") == nullptr);
  CHECK(Value(1).find("k") == nullptr);
  CHECK(Value::object({{"a", 1}, {"a", 2}}).find("a")->as_int() == 2);
  CHECK(Value::object().as_object().empty());
}

TEST_CASE("value: a one-element braced Value copies, never wraps in an array") {
  const Value inner = 7;
  const Value v{inner};
  CHECK(v.is_integer());
  CHECK(v == 7);
}

TEST_CASE("value: integer predicates go by mathematical value") {
  CHECK(Value(5u).is_int());
  CHECK(Value(5u).is_uint());
  CHECK(Value(5).is_uint());
  CHECK_FALSE(Value(-1).is_uint());
  CHECK(Value(-1).is_int());
  CHECK_FALSE(Value(UINT64_MAX).is_int());
  CHECK(Value(UINT64_MAX).is_uint());
  CHECK(Value(std::uint64_t{INT64_MAX}).is_int());
  CHECK(Value(1).is_integer());
  CHECK(Value(1).is_number());
  CHECK(Value(1.0).is_number());
  CHECK_FALSE(Value(1.0).is_integer());
  CHECK_FALSE(Value(true).is_number());
  CHECK_FALSE(Value("1").is_number());
}

TEST_CASE("value: as_int and as_uint convert when the value fits, throw otherwise") {
  CHECK(Value(std::uint64_t{65535}).as_int() == 65535);
  CHECK(Value(std::uint64_t{INT64_MAX}).as_int() == INT64_MAX);
  CHECK(Value(INT64_MAX).as_uint() == static_cast<std::uint64_t>(INT64_MAX));
  CHECK(Value(0).as_uint() == 0);
  CHECK_THROWS_MATCHES(Value(UINT64_MAX).as_int(), memvec::Error,
                       Catch::Matchers::Predicate<memvec::Error>([](const memvec::Error& e) {
                         return e.code() == memvec::errc::invalid_argument &&
                                std::string(e.what()).find("18446744073709551615") !=
                                    std::string::npos;
                       }));
  CHECK_THROWS_AS(Value(std::uint64_t{INT64_MAX} + 1).as_int(), memvec::Error);
  CHECK_THROWS_AS(Value(-1).as_uint(), memvec::Error);
  CHECK_THROWS_AS(Value(INT64_MIN).as_uint(), memvec::Error);
}

TEST_CASE("value: every accessor throws invalid_argument on a wrong type") {
  const Value values[] = {Value(),    Value(true), Value(1),       Value(1u),
                          Value(1.5), Value("s"),  Value::array(), Value::object()};
  for (const Value& v : values) {
    const auto wrong = [&](auto&& call, bool ok) {
      if (ok) {
        CHECK_NOTHROW(call());
        return;
      }
      try {
        call();
        FAIL("no exception for " << v.to_json());
      } catch (const memvec::Error& e) {
        CHECK(e.code() == memvec::errc::invalid_argument);
        CHECK(std::string(e.what()).find(memvec::kv::type_name(v.type())) != std::string::npos);
      }
    };
    wrong([&] { (void)v.as_bool(); }, v.is_bool());
    wrong([&] { (void)v.as_int(); }, v.is_int());
    wrong([&] { (void)v.as_uint(); }, v.is_uint());
    wrong([&] { (void)v.as_double(); }, v.is_number());
    wrong([&] { (void)v.as_string(); }, v.is_string());
    wrong([&] { (void)v.as_array(); }, v.is_array());
    wrong([&] { (void)v.as_object(); }, v.is_object());
  }
}

TEST_CASE("value: a null const char* throws invalid_argument instead of making a null") {
  const char* unset = nullptr;  // what getenv("UNSET") returns
  try {
    const Value v(unset);
    FAIL("made " << v.to_json());
  } catch (const memvec::Error& e) {
    CHECK(e.code() == memvec::errc::invalid_argument);
  }
  CHECK(Value("").as_string().empty());
}

TEST_CASE("value: as_double reads an integer that converts exactly") {
  CHECK(Value(3).as_double() == 3.0);
  CHECK(Value(-7).as_double() == -7.0);
  CHECK(Value(std::uint64_t{1} << 63).as_double() == 0x1p63);
  CHECK(Value(INT64_MIN).as_double() == -0x1p63);
  CHECK(Value((std::int64_t{1} << 53)).as_double() == 0x1p53);
  // Integers a double cannot hold exactly throw, not read back as another number.
  for (const Value& v : {Value((std::int64_t{1} << 53) + 1), Value(INT64_MAX),
                         Value(std::uint64_t{UINT64_MAX}), Value((std::uint64_t{1} << 63) + 1)}) {
    INFO(v.to_json());
    try {
      (void)v.as_double();
      FAIL("no exception");
    } catch (const memvec::Error& e) {
      CHECK(e.code() == memvec::errc::invalid_argument);
    }
  }
}

TEST_CASE("value: mutable accessors edit in place and copies are deep") {
  Value v = Value::object({{"list", Value::array({1})}});
  const Value before = v;
  v.as_object()["list"].as_array().push_back("two");
  v.as_object().emplace("name", "x");
  v.as_object()["name"].as_string() += "yz";
  CHECK(v.find("list")->as_array().size() == 2);
  CHECK(v.find("name")->as_string() == "xyz");
  CHECK(before.find("list")->as_array().size() == 1);
  CHECK(before.find("name") == nullptr);
  Value moved = std::move(v);
  CHECK(moved.find("name")->as_string() == "xyz");
}

TEST_CASE("value: integers compare equal by mathematical value across int64 and uint64") {
  CHECK(Value(std::int64_t{65535}) == Value(std::uint64_t{65535}));
  CHECK(Value(std::uint64_t{65535}) == Value(std::int64_t{65535}));
  CHECK(Value(std::int64_t{-1}) != Value(std::uint64_t{UINT64_MAX}));
  CHECK(Value(std::uint64_t{UINT64_MAX}) != Value(std::int64_t{-1}));
  CHECK(Value(INT64_MAX) == Value(static_cast<std::uint64_t>(INT64_MAX)));
  CHECK(Value(INT64_MIN) != Value(std::uint64_t{1} << 63));
  CHECK(Value(0) == Value(0u));
  CHECK(Value::array({1, 2u}) == Value::array({1u, 2}));
  CHECK(Value::object({{"a", 1u}}) == Value::object({{"a", 1}}));
  CHECK(Value(5) == 5);
  CHECK(5u == Value(5));
}

TEST_CASE("value: integers never equal doubles, doubles compare by IEEE ==") {
  CHECK(Value(1) != Value(1.0));
  CHECK(Value(1u) != Value(1.0));
  CHECK(Value(0.0) == Value(-0.0));
  CHECK(Value(0.5) == Value(0.5f));
  CHECK(Value(std::nan("")) != Value(std::nan("")));
}

TEST_CASE("value: values of different types or contents are unequal") {
  CHECK(Value() != Value(false));
  CHECK(Value(false) != Value(0));
  CHECK(Value("1") != Value(1));
  CHECK(Value("a") != Value("b"));
  CHECK(Value::array() != Value::object());
  CHECK(Value::array({1, 2}) != Value::array({2, 1}));
  CHECK(Value::array({1}) != Value::array({1, 1}));
  CHECK(Value::object({{"a", 1}}) != Value::object({{"b", 1}}));
  CHECK(Value::object({{"a", 1}}) != Value::object({{"a", 2}}));
  CHECK(Value::object({{"a", 1}, {"b", 2}}) == Value::object({{"b", 2}, {"a", 1}}));
}

TEST_CASE("value: to_json writes scalars as JSON literals") {
  CHECK(Value().to_json() == "null");
  CHECK(Value(true).to_json() == "true");
  CHECK(Value(false).to_json() == "false");
  CHECK(Value(0).to_json() == "0");
  CHECK(Value(-42).to_json() == "-42");
  CHECK(Value(INT64_MIN).to_json() == "-9223372036854775808");
  CHECK(Value(INT64_MAX).to_json() == "9223372036854775807");
  CHECK(Value(UINT64_MAX).to_json() == "18446744073709551615");
}

TEST_CASE("value: to_json writes doubles in shortest round-trip form, always as doubles") {
  CHECK(Value(3.5).to_json() == "3.5");
  CHECK(Value(3.0).to_json() == "3.0");
  CHECK(Value(-0.0).to_json() == "-0.0");
  CHECK(Value(0.1).to_json() == "0.1");
  CHECK(Value(1e300).to_json() == "1e+300");
  CHECK(Value(-2.5e-7).to_json() == "-2.5e-07");
  CHECK(Value(5e-324).to_json() == "5e-324");
  CHECK(Value(std::numeric_limits<double>::infinity()).to_json() == "null");
  CHECK(Value(std::nan("")).to_json() == "null");
  std::mt19937_64 rng(11);
  for (int i = 0; i < 2000; ++i) {
    const double d = std::bit_cast<double>(rng());
    if (!std::isfinite(d)) continue;
    const std::string text = Value(d).to_json();
    REQUIRE(std::strtod(text.c_str(), nullptr) == d);
  }
}

TEST_CASE("value: to_json escapes quotes, backslashes and control characters") {
  CHECK(Value("plain").to_json() == "\"plain\"");
  CHECK(Value("").to_json() == "\"\"");
  CHECK(Value("q\"b\\").to_json() == R"("q\"b\\")");
  CHECK(Value("\b\f\n\r\t").to_json() == R"("\b\f\n\r\t")");
  CHECK(Value(std::string("\x00\x01\x1f\x7f", 4)).to_json() == "\"\\u0000\\u0001\\u001f\x7f\"");
  CHECK(Value("/").to_json() == "\"/\"");
}

TEST_CASE("value: to_json passes UTF-8 through unchanged") {
  CHECK(Value("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80").to_json() ==
        "\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

TEST_CASE("value: to_json writes containers compactly with object keys in byte order") {
  CHECK(Value::array().to_json() == "[]");
  CHECK(Value::object().to_json() == "{}");
  const Value v = Value::object({{"b", Value::array({1, "x", nullptr, Value::object()})},
                                 {"a", 2.0},
                                 {"\n", Value::array({Value::array()})}});
  CHECK(v.to_json() == R"({"\n":[[]],"a":2.0,"b":[1,"x",null,{}]})");
  std::ostringstream os;
  os << v;
  CHECK(os.str() == v.to_json());
}

TEST_CASE("value: type_name names every type") {
  CHECK(std::string(memvec::kv::type_name(Type::null)) == "null");
  CHECK(std::string(memvec::kv::type_name(Type::boolean)) == "bool");
  CHECK(std::string(memvec::kv::type_name(Type::int64)) == "int64");
  CHECK(std::string(memvec::kv::type_name(Type::uint64)) == "uint64");
  CHECK(std::string(memvec::kv::type_name(Type::float64)) == "double");
  CHECK(std::string(memvec::kv::type_name(Type::string)) == "string");
  CHECK(std::string(memvec::kv::type_name(Type::array)) == "array");
  CHECK(std::string(memvec::kv::type_name(Type::object)) == "object");
}
