// KVJournal<B> over every backend, the seed's behaviours made strict (docs/DURABILITY.md),
// keys and sizes: unicode, special-character and empty keys,
// 1,000-character keys, 10 KB values, 10,000 small entries; set_many
// (deletions, the last of a duplicate key wins, one record); get, find,
// contains, size and as_hashmap agreeing.
#include "journal_fixture.hpp"

using namespace journal_fixture;

TEMPLATE_TEST_CASE("journal: unicode and special-character keys round-trip, the empty key included",
                   "[journal]", MEMVEC_ALL_BACKENDS) {
  const std::vector<std::string> keys = {
      "",
      kNul1,
      std::string("\0\0", 2),
      kNulMid,
      std::string("a\0c", 3),
      "a",
      kNulEnd,
      "key",
      "\xF0\x9F\x98\x80",                              // U+1F600 emoji
      "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9",  // a ZWJ sequence
      "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E",          // 日本語
      "\xD0\xBA\xD0\xBB\xD1\x8E\xD1\x87",              // ключ
      "e\xCC\x81",                                     // e + combining acute
      "\xC3\xA9",                                      // é precomposed: a different key
      "\xF4\x8F\xBF\xBF",                              // U+10FFFF
      "\xEF\xBB\xBF"
      "bom",
      "\"quoted\"",
      "'single'",
      "back\\slash",
      "\\\\",
      "\\u0000",
      "tab\there",
      "new\nline",
      "\r\n",
      "\x01\x1f\x7f",
      " ",
      "  leading and trailing  ",
      "{\"json\": [1]}",
      "a.b/c:d;e=f?g&h#i",
      "%s%n%x",
      "DROP TABLE k;--",
  };
  Harness<TestType> h;
  auto& j = h.create();
  Model m;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    j.set(keys[i], static_cast<std::int64_t>(i));
    REQUIRE(m.emplace(keys[i], static_cast<std::int64_t>(i)).second);  // all distinct
  }
  CHECK(diff(j, m) == "");
  auto& r = h.reopen();
  CHECK(diff(r, m) == "");
  CHECK(r.get("")->as_int() == 0);
  CHECK(r.get(kNul1)->as_int() == 1);
  CHECK(r.get(kNulMid)->as_int() == 3);
  CHECK(r.get(std::string_view("a\0c", 3))->as_int() == 4);
  // Erasing keys that differ only after a NUL touches only that key.
  r.erase(kNulMid);
  r.erase("");
  m.erase(kNulMid);
  m.erase("");
  auto& r2 = h.reopen();
  CHECK(diff(r2, m) == "");
  CHECK(r2.contains("a"));
  CHECK(r2.contains(std::string_view("a\0c", 3)));
}

TEMPLATE_TEST_CASE("journal: 1,000-character keys round-trip", "[journal]", MEMVEC_ALL_BACKENDS) {
  std::string ascii(1000, 'k');
  std::string ascii2 = ascii;
  ascii2.back() = 'j';  // differs only in the last character
  std::string wide;
  for (int i = 0; i < 1000; ++i) wide += "\xE2\x82\xAC";  // 1,000 euro signs, 3,000 bytes
  std::string mixed;
  for (int i = 0; i < 1000; ++i)
    mixed += i % 3 == 0 ? std::string(kNul1) : std::string(1, static_cast<char>('a' + i % 26));
  const Model m{{ascii, 1}, {ascii2, 2}, {wide, "wide"}, {mixed, Value::array({1, 2})}};
  Harness<TestType> h;
  auto& j = h.create();
  for (const auto& [k, v] : m) j.set(k, v);
  CHECK(diff(j, m) == "");
  auto& r = h.reopen();
  CHECK(diff(r, m) == "");
  CHECK(r.get(ascii)->as_int() == 1);
  CHECK(r.get(ascii2)->as_int() == 2);
}

TEMPLATE_TEST_CASE("journal: 10 KB values round-trip", "[journal]", MEMVEC_ALL_BACKENDS) {
  std::string text(10 * 1024, '\0');
  for (std::size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>('a' + (i * 7) % 26);
  Array arr;
  for (int i = 0; i < 1000; ++i) arr.emplace_back(static_cast<std::int64_t>(i) * 1000003);
  Object obj;
  for (int i = 0; i < 300; ++i) obj.emplace("field" + std::to_string(i), std::string(30, 'v'));
  const Model m{{"text", text}, {"array", Value(arr)}, {"object", Value(obj)}, {"small", 1}};
  Harness<TestType> h;
  auto& j = h.create();
  for (const auto& [k, v] : m) j.set(k, v);
  j.set("text2", text);
  j.set("text2", "short now");  // a large value overwritten
  auto full = m;
  full.emplace("text2", "short now");
  CHECK(diff(j, full) == "");
  auto& r = h.reopen();
  CHECK(diff(r, full) == "");
  CHECK(r.get("text")->as_string().size() == 10 * 1024);
}

TEMPLATE_TEST_CASE("journal: 10,000 small entries all read back, before and after reopen",
                   "[journal]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  Model m;
  for (int i = 0; i < 10000; ++i) {
    const std::string k = "key" + std::to_string(i);
    Value v = i % 3 == 0 ? Value(i) : i % 3 == 1 ? Value("v" + std::to_string(i)) : Value(i * 0.5);
    j.set(k, v);
    m.emplace(k, std::move(v));
  }
  CHECK(diff(j, m) == "");
  auto& r = h.reopen();
  CHECK(diff(r, m) == "");
  CHECK(r.recovery().loss == DataLoss::none);
  CHECK(r.recovery().records_replayed == 10000);
}

TEMPLATE_TEST_CASE(
    "journal: set_many applies deletions, the last of a key given twice wins, one record",
    "[journal]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  j.set("gone", 1);
  j.set("kept", 2);
  const Items items = {{"a", 1},       {"gone", nullptr}, {"b", "x"}, {"a", 2},         {"c", 3},
                       {"c", nullptr}, {"d", nullptr},    {"d", 4},   {"", "empty key"}};
  j.set_many(items);
  const Model m{{"a", 2}, {"b", "x"}, {"d", 4}, {"kept", 2}, {"", "empty key"}};
  CHECK(diff(j, m) == "");
  SECTION("over a span") {
    j.set_many(std::span<const std::pair<std::string, Value>>(items.data(), 0));  // an empty batch
    CHECK(diff(j, m) == "");
    auto& r = h.reopen();
    CHECK(diff(r, m) == "");
    CHECK(r.recovery().records_replayed == 4);  // two sets, two batches
  }
  SECTION("through an initializer list") {
    j.set_many({{"x", 1}, {"kept", nullptr}, {"x", Value::array({"last"})}, {"y", nullptr}});
    Model m2 = m;
    m2.erase("kept");
    m2.emplace("x", Value::array({"last"}));
    CHECK(diff(j, m2) == "");
    auto& r = h.reopen();
    CHECK(diff(r, m2) == "");
    CHECK(r.recovery().records_replayed == 4);
  }
}

TEMPLATE_TEST_CASE(
    "journal: get, find, contains, size and as_hashmap agree; find is nullptr when absent",
    "[journal]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  j.set("a", 1);
  j.set("b", "two");
  j.set("", Value::array({3}));
  Model m{{"a", 1}, {"b", "two"}, {"", Value::array({3})}};
  CHECK(diff(j, m) == "");
  const std::vector<std::string> absent = {
      "c", "A", "a ", " a", kNul1, std::string("a\0", 2), "\xC3\xA9", std::string(1000, 'a')};
  for (const auto& k : absent) {
    INFO("key " << printable(k));
    CHECK(j.find(k) == nullptr);
    CHECK_FALSE(j.contains(k));
    CHECK_FALSE(j.get(k).has_value());
    CHECK(j.as_hashmap().count(k) == 0);
  }
  // find() views the value where the log holds it: the same bytes each
  // time until the next write, and a later find() after writes (the index
  // rehashes several times here) still reads the same value.
  const auto a = j.find("a");
  REQUIRE(a);
  CHECK(a == j.find("a"));
  CHECK(*a == Value(1));
  CHECK(a->as_int() == 1);
  for (int i = 0; i < 1000; ++i) {
    j.set("other" + std::to_string(i), i);
    m.emplace("other" + std::to_string(i), i);
  }
  for (int i = 0; i < 1000; i += 2) {
    j.erase("other" + std::to_string(i));
    m.erase("other" + std::to_string(i));
  }
  CHECK(*j.find("a") == Value(1));
  CHECK(diff(j, m) == "");
  j.erase("a");
  m.erase("a");
  CHECK(j.find("a") == nullptr);
  auto& r = h.reopen();
  CHECK(diff(r, m) == "");
}
