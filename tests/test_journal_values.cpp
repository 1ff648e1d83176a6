// KVJournal<B> over every backend, the seed's behaviours made strict (docs/DURABILITY.md),
// values: an empty journal, open_or_create, strings, integers of
// every width, booleans, floating point bit for bit, arrays, objects and
// nested values; overwriting, erasing and a null value deleting a key.
#include "journal_fixture.hpp"

using namespace journal_fixture;

TEMPLATE_TEST_CASE("journal: an empty journal has no keys and reopens empty", "[journal]",
                   MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  for (int round = 0; round < 2; ++round) {
    auto& j = round == 0 ? h.create() : h.reopen();
    INFO("round " << round);
    CHECK(j.size() == 0);
    CHECK(j.empty());
    CHECK(j.as_hashmap().empty());
    CHECK(j.used_bytes() == 0);
    CHECK(j.usage_ratio() == 0.0);
    CHECK_FALSE(j.high_water_mark_triggered());
    CHECK_FALSE(j.get("x").has_value());
    CHECK_FALSE(j.get("").has_value());
    CHECK(j.find("x") == nullptr);
    CHECK_FALSE(j.contains("x"));
    CHECK(j.recovery().loss == DataLoss::none);
    CHECK(j.recovery().records_replayed == 0);
    CHECK(j.recovery().bytes_dropped == 0);
    CHECK(j.generation() == 1);
  }
}

TEMPLATE_TEST_CASE("journal: open_or_create formats a blank backend and opens a journal",
                   "[journal]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  {
    auto& j = h.create();
    j.set("k", "v");
  }
  h.close();
  // A blank backend of the same kind gets formatted.
  test::Factory<TestType> other;
  auto fresh = kv::KVJournal<TestType>::open_or_create(other.make(0));
  CHECK(fresh.empty());
  CHECK(fresh.recovery().loss == DataLoss::none);
  // And open() refuses a blank backend: there is nothing to validate.
  test::Factory<TestType> blank;
  CHECK(error_of([&] { (void)kv::KVJournal<TestType>::open(blank.make(4096)); }) ==
        errc::bad_magic);
  auto& j = h.open();
  CHECK(diff(j, {{"k", "v"}}) == "");
}

TEMPLATE_TEST_CASE("journal: a string value reads back, survives reopen and is not a number",
                   "[journal]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  j.set("name", "Alice");
  j.set("empty", "");
  j.set("digits", "12345");
  j.set("json", R"({"a": [1, 2]})");
  j.set("nul inside", Value(std::string_view("x\0y", 3)));
  const Model m{{"name", "Alice"},
                {"empty", ""},
                {"digits", "12345"},
                {"json", R"({"a": [1, 2]})"},
                {"nul inside", Value(std::string_view("x\0y", 3))}};
  CHECK(diff(j, m) == "");
  CHECK(j.get("digits")->is_string());
  CHECK(j.get("nul inside")->as_string().size() == 3);
  auto& r = h.reopen();
  CHECK(diff(r, m) == "");
  CHECK(r.get("name")->as_string() == "Alice");
  CHECK(r.get("digits")->is_string());
  CHECK_FALSE(r.get("digits")->is_number());
  CHECK(r.get("nul inside")->as_string() == std::string("x\0y", 3));
}

TEMPLATE_TEST_CASE(
    "journal: integers keep their exact value, int64 min/max and uint64 max included", "[journal]",
    MEMVEC_ALL_BACKENDS) {
  const std::vector<std::int64_t> signed_values = {0,
                                                   1,
                                                   -1,
                                                   100,
                                                   -100,
                                                   101,
                                                   -101,
                                                   127,
                                                   -128,
                                                   128,
                                                   -129,
                                                   255,
                                                   256,
                                                   65535,
                                                   -32769,
                                                   std::numeric_limits<std::int32_t>::min(),
                                                   std::numeric_limits<std::int32_t>::max(),
                                                   std::int64_t{1} << 40,
                                                   -(std::int64_t{1} << 40),
                                                   std::numeric_limits<std::int64_t>::min(),
                                                   std::numeric_limits<std::int64_t>::min() + 1,
                                                   std::numeric_limits<std::int64_t>::max(),
                                                   std::numeric_limits<std::int64_t>::max() - 1};
  const std::vector<std::uint64_t> unsigned_values = {0u,
                                                      1u,
                                                      255u,
                                                      65535u,
                                                      0xFFFFFFFFu,
                                                      std::uint64_t{1} << 63,
                                                      (std::uint64_t{1} << 63) + 1,
                                                      std::numeric_limits<std::uint64_t>::max() - 1,
                                                      std::numeric_limits<std::uint64_t>::max()};
  Harness<TestType> h;
  auto& j = h.create();
  Model m;
  for (const auto v : signed_values) {
    j.set("s" + std::to_string(v), Value(v));
    m.emplace("s" + std::to_string(v), Value(v));
  }
  for (const auto v : unsigned_values) {
    j.set("u" + std::to_string(v), Value(v));
    m.emplace("u" + std::to_string(v), Value(v));
  }
  for (int round = 0; round < 2; ++round) {
    auto& r = round == 0 ? h.j() : h.reopen();
    INFO("round " << round);
    CHECK(diff(r, m) == "");
    for (const auto v : signed_values) {
      const auto got = r.find("s" + std::to_string(v));
      REQUIRE(got != nullptr);
      REQUIRE(got->is_integer());
      CHECK(got->is_int());
      CHECK(got->as_int() == v);
    }
    for (const auto v : unsigned_values) {
      const auto got = r.find("u" + std::to_string(v));
      REQUIRE(got != nullptr);
      REQUIRE(got->is_integer());
      CHECK(got->is_uint());
      CHECK(got->as_uint() == v);
      CHECK(got->is_int() ==
            (v <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())));
    }
    CHECK(r.get("s-1") != Value(std::numeric_limits<std::uint64_t>::max()));
    CHECK_FALSE(r.get("s1")->is_double());
  }
}

TEMPLATE_TEST_CASE("journal: unsigned values of every width read back", "[journal]",
                   MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  j.set("u8", Value(std::uint8_t{200}));
  j.set("u16", Value(std::uint16_t{60000}));
  j.set("u32", Value(std::uint32_t{4000000000u}));
  j.set("u64", Value(std::uint64_t{18000000000000000000ull}));
  j.set("i8", Value(std::int8_t{-100}));
  j.set("i16", Value(std::int16_t{-30000}));
  auto& r = h.reopen();
  CHECK(r.get("u8")->as_uint() == 200u);
  CHECK(r.get("u16")->as_uint() == 60000u);
  CHECK(r.get("u32")->as_uint() == 4000000000u);
  CHECK(r.get("u64")->as_uint() == 18000000000000000000ull);
  CHECK_FALSE(r.get("u64")->is_int());
  CHECK(r.get("i8")->as_int() == -100);
  CHECK(r.get("i16")->as_int() == -30000);
}

TEMPLATE_TEST_CASE("journal: booleans read back as booleans, never as integers", "[journal]",
                   MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  j.set("t", true);
  j.set("f", false);
  j.set("one", 1);
  j.set("zero", 0);
  auto& r = h.reopen();
  REQUIRE(r.get("t")->is_bool());
  REQUIRE(r.get("f")->is_bool());
  CHECK(r.get("t")->as_bool() == true);
  CHECK(r.get("f")->as_bool() == false);
  CHECK_FALSE(r.get("t")->is_integer());
  CHECK(*r.get("t") != Value(1));
  CHECK(*r.get("f") != Value(0));
  CHECK(r.get("one")->is_integer());
  CHECK(r.size() == 4);
}

TEMPLATE_TEST_CASE("journal: floating-point values read back bit for bit", "[journal]",
                   MEMVEC_ALL_BACKENDS) {
  const std::vector<double> values = {0.0,
                                      -0.0,
                                      1.0,
                                      -1.5,
                                      0.1,
                                      3.141592653589793,
                                      1e300,
                                      -1e-300,
                                      static_cast<double>(0.1f),
                                      std::numeric_limits<double>::max(),
                                      std::numeric_limits<double>::lowest(),
                                      std::numeric_limits<double>::min(),
                                      std::numeric_limits<double>::denorm_min(),
                                      9007199254740993.0,
                                      static_cast<double>(std::numeric_limits<float>::max())};
  Harness<TestType> h;
  auto& j = h.create();
  for (std::size_t i = 0; i < values.size(); ++i) j.set("d" + std::to_string(i), values[i]);
  j.set("float", 2.5f);
  for (int round = 0; round < 2; ++round) {
    auto& r = round == 0 ? h.j() : h.reopen();
    INFO("round " << round);
    for (std::size_t i = 0; i < values.size(); ++i) {
      INFO("value " << i);
      const auto got = r.find("d" + std::to_string(i));
      REQUIRE(got != nullptr);
      REQUIRE(got->is_double());
      CHECK(double_bits(got->as_double()) == double_bits(values[i]));
    }
    REQUIRE(r.get("float")->is_double());
    CHECK(r.get("float")->as_double() == 2.5);
    CHECK(*r.get("d2") != Value(1));  // 1.0 is not the integer 1
  }
}

TEMPLATE_TEST_CASE("journal: arrays, objects and nested values read back equal", "[journal]",
                   MEMVEC_ALL_BACKENDS) {
  const Model m{
      {"empty array", Value::array()},
      {"empty object", Value::object()},
      {"array", Value::array({1, "two", 3.5, true, nullptr, Value::array({})})},
      {"object", Value::object({{"a", 1}, {"b", "x"}, {"", nullptr}, {kNulMid, false}})},
      {"nested",
       Value::object({{"list", Value::array({Value::object({{"k", Value::array({1, 2})}}), -7})},
                      {"deep", nested(40)}})},
      {"deepest", nested(static_cast<int>(kv::bonjson::kMaxDepth) - 1)},
      {"big ints", Value::array({std::numeric_limits<std::int64_t>::min(),
                                 std::numeric_limits<std::uint64_t>::max()})},
  };
  Harness<TestType> h;
  auto& j = h.create();
  for (const auto& [k, v] : m) j.set(k, v);
  CHECK(diff(j, m) == "");
  auto& r = h.reopen();
  CHECK(diff(r, m) == "");
  // A null inside a container is a value, not a deletion.
  CHECK(r.get("array")->as_array().size() == 6);
  CHECK(r.get("array")->as_array()[4].is_null());
  CHECK(r.get("object")->as_object().count("") == 1);
  CHECK(r.get("object")->to_json() == m.at("object").to_json());
}

TEMPLATE_TEST_CASE("journal: overwriting a key keeps only the last value, whatever its type",
                   "[journal]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  const std::vector<Value> versions = {1,
                                       "one",
                                       1.5,
                                       true,
                                       Value::array({1}),
                                       Value::object({{"x", 1}}),
                                       std::numeric_limits<std::uint64_t>::max(),
                                       "final"};
  for (const auto& v : versions) {
    j.set("k", v);
    CHECK(j.size() == 1);
    CHECK(*j.get("k") == v);
  }
  j.set("other", 2);
  auto& r = h.reopen();
  CHECK(diff(r, {{"k", "final"}, {"other", 2}}) == "");
  CHECK(r.recovery().records_replayed == versions.size() + 1);
}

TEMPLATE_TEST_CASE("journal: erase removes a key and erasing an absent key changes nothing",
                   "[journal]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  j.set("a", 1);
  j.set("b", 2);
  j.erase("a");
  CHECK(diff(j, {{"b", 2}}) == "");
  j.erase("absent");
  j.erase("a");  // twice
  CHECK(diff(j, {{"b", 2}}) == "");
  j.set("a", 3);  // back again after an erase
  CHECK(diff(j, {{"a", 3}, {"b", 2}}) == "");
  j.erase("b");
  auto& r = h.reopen();
  CHECK(diff(r, {{"a", 3}}) == "");
  CHECK(r.recovery().loss == DataLoss::none);
}

TEMPLATE_TEST_CASE("journal: a null value deletes the key", "[journal]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  for (const char* k : {"a", "b", "c", "d", "e"}) j.set(k, k);
  j.set("a", nullptr);
  j.set("b", Value());
  j.erase("c");
  j.set_many({{"d", nullptr}});
  j.set("never set", nullptr);  // deleting an absent key: still nothing
  CHECK(diff(j, {{"e", "e"}}) == "");
  CHECK(j.find("a") == nullptr);
  CHECK_FALSE(j.get("b").has_value());
  CHECK_FALSE(j.contains("c"));
  auto& r = h.reopen();
  CHECK(diff(r, {{"e", "e"}}) == "");
}

TEMPLATE_TEST_CASE("journal: setting a null const char* throws and the key keeps its value",
                   "[journal]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  j.set("home", "/root");
  const char* unset = nullptr;  // set(k, getenv("UNSET")): a lookup that failed
  try {
    j.set("home", unset);
    FAIL("no exception");
  } catch (const memvec::Error& e) {
    CHECK(e.code() == memvec::errc::invalid_argument);
  }
  CHECK(diff(j, {{"home", "/root"}}) == "");
  CHECK(diff(h.reopen(), {{"home", "/root"}}) == "");
}

TEMPLATE_TEST_CASE("journal: get_or returns the value, or the fallback when the key is absent",
                   "[journal]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  j.set("timeout", 3);
  CHECK(j.get_or("timeout", 10) == Value(3));
  CHECK(j.get_or("timeout", 10).as_double() == 3.0);
  CHECK(j.get_or("retries", 5) == Value(5));
  CHECK(j.get_or("name", "none").as_string() == "none");
  CHECK_FALSE(j.contains("retries"));  // a read writes nothing
}
