// KVJournal<B> (DESIGN §2, §3) over every backend: the seed's behaviours made
// strict, one test per defect of the first journal design
// (reference/peers.md, "The journal design memvec's KV layer follows"), a
// model-based run per backend, and the journal's own surface (space,
// recovery, read-only, type checks, max_size, the first write after a lossy
// open).
//
// Every test asserts one exact outcome: a call either must succeed or must
// throw one named errc, never "either" (first design defect 10).
//
// "Reopen" means: file backends close the journal and open the file again by
// path; SpanBackend opens the same buffer again; AnonBackend and HeapBackend
// (whose bytes die with them) open a new backend holding a copy of the old
// one's bytes. Damage is done to those stored bytes while the journal is
// closed. Cross-process cases fork; a child never runs Catch2 assertions: it
// reports through its exit code and leaves with _exit.
//
// The model run's seed is printed on failure; rerun one with `--rng-seed <n>`.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "backend_factory.hpp"
#include "memvec/crc32c.hpp"
#include "memvec/kv.hpp"
#include "memvec/memvec.hpp"
#include "support.hpp"

namespace {

namespace fs = std::filesystem;
namespace kv = memvec::kv;
using kv::Array;
using kv::DataLoss;
using kv::JournalOptions;
using kv::Object;
using kv::Value;
using memvec::AnonBackend;
using memvec::errc;
using memvec::FileBackend;
using memvec::MappedFileBackend;
using memvec::OpenMode;
using memvec::SpanBackend;
using test::error_of;
using Model = std::map<std::string, Value>;
using Items = std::vector<std::pair<std::string, Value>>;

constexpr std::size_t kDataOffset = 256;  // the journal log's first byte in its backend

// --- the harness: one journal, its backend's storage, reopen and damage ------

template <class B>
class Harness {
 public:
  using J = kv::KVJournal<B>;
  using F = test::Factory<B>;
  static constexpr bool kFile = F::file;
  static constexpr bool kSpan = std::is_same_v<B, SpanBackend>;
  // Anon and Heap bytes die with the backend: a reopen copies them.
  static constexpr bool kCopies = !F::persistent;

  // A fresh journal on a fresh, growable backend of `initial` bytes.
  J& create(std::size_t initial = 0, JournalOptions options = {}) {
    options_ = options;
    limit_ = 0;
    j_.emplace(J::create(f_.make(initial), options));
    return *j_;
  }

  // A fresh journal that can never use more than `limit` backend bytes,
  // header included: a fixed buffer for SpanBackend and HeapBackend,
  // JournalOptions::max_size for the growable ones. The backend starts with
  // `initial` bytes (all of `limit` by default).
  J& create_capped(std::size_t limit, JournalOptions options = {}, std::size_t initial = 0) {
    if (initial == 0) initial = limit;
    limit_ = limit;
    if constexpr (F::limited) {
      options_ = options;
      j_.emplace(J::create(f_.make_limited(initial, limit), options));
    } else {
      options.max_size = limit;
      options_ = options;
      j_.emplace(J::create(f_.make(initial), options));
    }
    return *j_;
  }

  J& j() {
    REQUIRE(j_.has_value());
    return *j_;
  }
  bool is_open() const { return j_.has_value(); }
  const JournalOptions& options() const { return options_; }

  void close() {
    REQUIRE(j_.has_value());
    if constexpr (kCopies) {
      const B& b = j_->log().backend();
      saved_.assign(b.data(), b.data() + b.size());
    }
    if constexpr (requires(J & jj) { jj.close(); }) j_->close();
    j_.reset();
  }

  // Opens the stored bytes again (after close()).
  J& open() { return open_with(options_); }
  J& open_with(JournalOptions options) {
    REQUIRE_FALSE(j_.has_value());
    j_.emplace(J::open(backend_again(), options));
    return *j_;
  }
  J& reopen() {
    close();
    return open();
  }
  // open() that reports the errc it threw instead.
  std::optional<errc> try_open(JournalOptions options) {
    REQUIRE_FALSE(j_.has_value());
    return error_of([&] { j_.emplace(J::open(backend_again(), options)); });
  }

  // The bytes a reopen would see, header included (journal closed).
  std::vector<std::byte> stored() const {
    if constexpr (kFile) {
      return test::read_file(f_.path());
    } else if constexpr (kSpan) {
      const auto s = f_.buffer();
      return {s.begin(), s.end()};
    } else {
      return saved_;
    }
  }
  void store(const std::vector<std::byte>& bytes) {
    REQUIRE_FALSE(j_.has_value());
    if constexpr (kFile) {
      test::write_file(f_.path(), bytes);
    } else if constexpr (kSpan) {
      REQUIRE(bytes.size() == f_.buffers.back().size());
      std::copy(bytes.begin(), bytes.end(), f_.buffers.back().begin());
    } else {
      saved_ = bytes;
    }
  }
  // XORs one byte of the journal's log (an offset into the log, not the file).
  void damage_log(std::size_t log_offset, std::uint8_t mask = 0xFF) {
    auto bytes = stored();
    REQUIRE(kDataOffset + log_offset < bytes.size());
    bytes[kDataOffset + log_offset] ^= std::byte{mask};
    store(bytes);
  }

  const fs::path& path() const requires(kFile) { return f_.path(); }
  F& factory() { return f_; }

 private:
  B backend_again() {
    if constexpr (F::persistent) {
      return f_.reopen();
    } else {
      B b = [&] {
        if constexpr (std::is_same_v<B, test::HeapBackend>)
          return test::HeapBackend(saved_.size(), limit_ == 0 ? SIZE_MAX : limit_);
        else
          return B(saved_.size());
      }();
      if (!saved_.empty()) std::memcpy(b.data(), saved_.data(), saved_.size());
      return b;
    }
  }

  F f_;
  std::optional<J> j_;
  JournalOptions options_;
  std::size_t limit_ = 0;
  std::vector<std::byte> saved_;
};

// The journal's backend bytes as they are now (the journal stays open).
template <class J>
std::vector<std::byte> live_bytes(const J& j) {
  const auto& b = j.log().backend();
  return {b.data(), b.data() + b.size()};
}

// --- contents ------------------------------------------------------------------

std::string printable(std::string_view s) {
  std::ostringstream os;
  os << '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '"' && c != '\\') {
      os << c;
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      os << "\\x" << kHex[u >> 4] << kHex[u & 15];
    }
  }
  os << '"';
  if (s.size() > 60) return os.str().substr(0, 60) + "...(" + std::to_string(s.size()) + " bytes)";
  return os.str();
}

std::string shown(const Value& v) {
  std::string s = v.to_json();
  return s.size() > 80 ? s.substr(0, 80) + "..." : s;
}

// "" when the journal holds exactly `m` and every read agrees (get, find,
// contains, size, empty, as_hashmap); otherwise the first differences.
template <class J>
std::string diff(const J& j, const Model& m) {
  std::ostringstream os;
  int shown_count = 0;
  const auto note = [&](const std::string& s) {
    if (shown_count++ < 8) os << s << "; ";
  };
  if (j.size() != m.size())
    note("size " + std::to_string(j.size()) + ", model " + std::to_string(m.size()));
  if (j.empty() != m.empty()) note("empty() disagrees");
  if (j.as_hashmap().size() != m.size())
    note("as_hashmap().size() " + std::to_string(j.as_hashmap().size()));
  for (const auto& [k, v] : m) {
    const Value* got = j.find(k);
    if (got == nullptr) {
      note("missing " + printable(k));
      continue;
    }
    if (!(*got == v)) note("key " + printable(k) + " holds " + shown(*got) + ", model " + shown(v));
    if (!j.contains(k)) note("contains(" + printable(k) + ") is false");
    const auto g = j.get(k);
    if (!g || !(*g == v)) note("get(" + printable(k) + ") differs");
    const auto it = j.as_hashmap().find(k);
    if (it == j.as_hashmap().end() || &it->second != got)
      note("as_hashmap() differs at " + printable(k));
  }
  for (const auto& [k, v] : j.as_hashmap())
    if (m.find(k) == m.end()) note("extra key " + printable(k) + " = " + shown(v));
  if (shown_count > 8) os << "(" << shown_count << " differences)";
  return os.str();
}

template <class J>
Model contents(const J& j) {
  Model m;
  for (const auto& [k, v] : j.as_hashmap()) m.emplace(k, v);
  return m;
}

// The record a set(key, value) appends, byte for byte in size.
std::size_t record_size(std::string_view key, const Value& v) {
  kv::RecordWriter w;
  w.begin(kv::kRecordBatch);
  w.add(key, v);
  return w.finish(0).size();
}

// A key and a string value whose set() record is exactly `bytes` long.
std::pair<std::string, Value> record_of_size(std::size_t bytes) {
  for (std::size_t key_len = 1; key_len <= 16; ++key_len) {
    const std::string key(key_len, 'f');
    const std::size_t empty = record_size(key, Value(""));
    if (bytes < empty) break;
    for (std::size_t len = bytes - empty + 1; len-- > 0;) {
      const std::size_t got = record_size(key, Value(std::string(len, 'x')));
      if (got == bytes) return {key, Value(std::string(len, 'x'))};
      if (got < bytes) break;
    }
  }
  FAIL("no set() record of exactly " << bytes << " bytes");
  return {};
}

double bits_to_double(std::uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}
std::uint64_t double_bits(double d) {
  std::uint64_t u;
  std::memcpy(&u, &d, sizeof u);
  return u;
}

// A value nested `depth` containers deep (arrays and objects alternating).
Value nested(int depth) {
  Value v("leaf");
  for (int i = 0; i < depth; ++i)
    v = i % 2 == 0 ? Value::array({v, i}) : Value::object({{"d" + std::to_string(i), v}});
  return v;
}

const std::string kNul1("\0", 1);
const std::string kNulMid("a\0b", 3);
const std::string kNulEnd("key\0", 4);

}  // namespace

// =============================================================================
// 1. The seed's behaviours, strictly
// =============================================================================

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
      const Value* got = r.find("s" + std::to_string(v));
      REQUIRE(got != nullptr);
      REQUIRE(got->is_integer());
      CHECK(got->is_int());
      CHECK(got->as_int() == v);
    }
    for (const auto v : unsigned_values) {
      const Value* got = r.find("u" + std::to_string(v));
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
      const Value* got = r.find("d" + std::to_string(i));
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
  j.set("c", Value(static_cast<const char*>(nullptr)));
  j.set_many({{"d", nullptr}});
  j.set("never set", nullptr);  // deleting an absent key: still nothing
  CHECK(diff(j, {{"e", "e"}}) == "");
  CHECK(j.find("a") == nullptr);
  CHECK_FALSE(j.get("b").has_value());
  CHECK_FALSE(j.contains("c"));
  auto& r = h.reopen();
  CHECK(diff(r, {{"e", "e"}}) == "");
}

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
  // find() hands out the stored value itself: the same address each time,
  // the one as_hashmap() holds, and it stays put while other keys come and
  // go (the index rehashes several times here).
  const Value* a = j.find("a");
  REQUIRE(a != nullptr);
  CHECK(a == j.find("a"));
  CHECK(a == &j.as_hashmap().find("a")->second);
  for (int i = 0; i < 1000; ++i) {
    j.set("other" + std::to_string(i), i);
    m.emplace("other" + std::to_string(i), i);
  }
  for (int i = 0; i < 1000; i += 2) {
    j.erase("other" + std::to_string(i));
    m.erase("other" + std::to_string(i));
  }
  CHECK(a == j.find("a"));
  CHECK(*a == Value(1));
  CHECK(diff(j, m) == "");
  j.erase("a");
  m.erase("a");
  CHECK(j.find("a") == nullptr);
  auto& r = h.reopen();
  CHECK(diff(r, m) == "");
}

// =============================================================================
// 2. The ten defects of the first journal design (reference/peers.md)
// =============================================================================

TEMPLATE_TEST_CASE(
    "journal: a flipped byte in the middle record drops it and all after it, and says so (first "
    "design defect 1)",
    "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  j.set("a", "first");
  const std::size_t b_off = j.used_bytes();
  j.set("b", "second");
  const std::size_t c_off = j.used_bytes();
  j.set("c", "third");
  const std::size_t end = j.used_bytes();
  h.close();
  const auto clean = h.stored();

  SECTION("a byte of its payload") {
    h.damage_log(b_off + kv::kRecordHeaderSize + 2);
    auto& r = h.open();
    CHECK(diff(r, {{"a", "first"}}) == "");
    const auto& rec = r.recovery();
    CHECK(rec.loss == DataLoss::partial);
    CHECK(rec.records_replayed == 1);
    CHECK(rec.first_bad_offset == b_off);
    CHECK(rec.bytes_dropped == end - b_off);
    CHECK(rec.records_dropped == 2);
    CHECK_THAT(rec.reason, Catch::Matchers::Contains("checksum"));
    CHECK_THAT(rec.reason, Catch::Matchers::Contains(std::to_string(b_off)));
  }
  SECTION("every bit of every byte of it, header included") {
    for (std::size_t off = b_off; off < c_off; ++off) {
      for (int bit = 0; bit < 8; ++bit) {
        INFO("log offset " << off << " bit " << bit);
        h.store(clean);
        h.damage_log(off, static_cast<std::uint8_t>(1u << bit));
        auto& r = h.open();
        CHECK(diff(r, {{"a", "first"}}) == "");
        CHECK(r.recovery().loss == DataLoss::partial);
        CHECK(r.recovery().records_replayed == 1);
        CHECK(r.recovery().first_bad_offset == b_off);
        CHECK(r.recovery().bytes_dropped == end - b_off);
        CHECK(r.recovery().records_dropped >= 1);
        CHECK_FALSE(r.recovery().reason.empty());
        h.close();
      }
    }
  }
  SECTION("the first record: total loss") {
    h.damage_log(kv::kRecordHeaderSize + 1);
    auto& r = h.open();
    CHECK(diff(r, {}) == "");
    CHECK(r.recovery().loss == DataLoss::total);
    CHECK(r.recovery().records_replayed == 0);
    CHECK(r.recovery().first_bad_offset == 0);
    CHECK(r.recovery().bytes_dropped == end);
    CHECK(r.recovery().records_dropped == 3);
  }
  SECTION("the last record") {
    h.damage_log(end - 1);
    auto& r = h.open();
    CHECK(diff(r, {{"a", "first"}, {"b", "second"}}) == "");
    CHECK(r.recovery().loss == DataLoss::partial);
    CHECK(r.recovery().records_replayed == 2);
    CHECK(r.recovery().first_bad_offset == c_off);
    CHECK(r.recovery().bytes_dropped == end - c_off);
    CHECK(r.recovery().records_dropped == 1);
  }
}

TEMPLATE_TEST_CASE("journal: a damaged batch applies none of its members (first design defect 1)",
                   "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  j.set("before", 0);
  j.set("doomed", 1);
  const std::size_t off = j.used_bytes();
  j.set_many({{"x", 1}, {"y", "two"}, {"doomed", nullptr}, {"z", Value::array({3})}});
  const std::size_t end = j.used_bytes();
  j.set("after", 2);
  h.close();
  const auto clean = h.stored();
  // Whichever byte of the batch is damaged, not one of its members applies
  // (not even the first ones, which decode before the damage).
  for (std::size_t at = off; at < end; ++at) {
    INFO("log offset " << at);
    h.store(clean);
    h.damage_log(at, 0x40);
    auto& r = h.open();
    CHECK(diff(r, {{"before", 0}, {"doomed", 1}}) == "");
    CHECK(r.recovery().loss == DataLoss::partial);
    CHECK(r.recovery().records_replayed == 2);
    CHECK(r.recovery().first_bad_offset == off);
    h.close();
  }
}

TEMPLATE_TEST_CASE(
    "journal: Durability::power_loss journals write, sync and reopen with every write (first "
    "design "
    "defect 2)",
    "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  JournalOptions o;
  o.durability = memvec::Durability::power_loss;
  Harness<TestType> h;
  auto& j = h.create(0, o);
  CHECK(j.durability() == memvec::Durability::power_loss);
  Model m;
  std::uint64_t records = 0;
  for (int i = 0; i < 200; ++i) {
    const std::string k = "k" + std::to_string(i % 37);
    if (i == 120) {
      j.clear();
      m.clear();
      records = 0;
    } else if (i % 10 == 3) {
      j.erase(k);
      m.erase(k);
      ++records;
    } else if (i % 10 == 7) {
      j.set_many({{k, i}, {"batch", "b" + std::to_string(i)}, {"k0", nullptr}});
      m[k] = i;
      m["batch"] = "b" + std::to_string(i);
      m.erase("k0");
      ++records;
    } else {
      j.set(k,
            std::string(static_cast<std::size_t>(i), 'p'));  // grows the log: syncs around resize
      m[k] = std::string(static_cast<std::size_t>(i), 'p');
      ++records;
    }
  }
  j.sync();
  CHECK(diff(j, m) == "");
  auto& r = h.reopen();
  CHECK(r.durability() == memvec::Durability::power_loss);
  CHECK(diff(r, m) == "");
  CHECK(r.recovery().loss == DataLoss::none);
  CHECK(r.recovery().records_replayed == records);
  r.set("after reopen", true);
  m["after reopen"] = true;
  h.close();
  auto& plain = h.open_with({});  // and readable without it
  CHECK(diff(plain, m) == "");
  CHECK(plain.recovery().loss == DataLoss::none);
}

TEMPLATE_TEST_CASE(
    "journal: after clear() or deleting every key a reopen is empty (first design defect 3)",
    "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  j.set("a", 1);
  j.set("b", 2);
  j.set_many({{"c", 3}, {"d", 4}});
  const std::uint64_t epoch0 = j.epoch();
  SECTION("clear()") {
    j.clear();
    CHECK(diff(j, {}) == "");
    CHECK(j.used_bytes() == 0);
    CHECK(j.epoch() > epoch0);
    auto& r = h.reopen();
    CHECK(diff(r, {}) == "");
    CHECK(r.recovery().loss == DataLoss::none);
    CHECK(r.recovery().records_replayed == 0);
    CHECK(r.epoch() == j.epoch());
  }
  SECTION("clear() twice, then new keys") {
    j.clear();
    j.clear();
    j.set("new", "x");
    auto& r = h.reopen();
    CHECK(diff(r, {{"new", "x"}}) == "");
    CHECK(r.recovery().records_replayed == 1);
  }
  SECTION("erasing every key") {
    for (const char* k : {"a", "b", "c", "d"}) j.erase(k);
    auto& r = h.reopen();
    CHECK(diff(r, {}) == "");
    CHECK(r.recovery().loss == DataLoss::none);
    CHECK(r.recovery().records_replayed == 7);
  }
  SECTION("a batch of nulls for every key") {
    j.set_many({{"a", nullptr}, {"b", nullptr}, {"c", nullptr}, {"d", nullptr}});
    auto& r = h.reopen();
    CHECK(diff(r, {}) == "");
  }
}

// The length word is what a torn write could bring back: with the old length
// and the old records still in the bytes, a reopen must not resurrect them.
TEMPLATE_TEST_CASE(
    "journal: records from before a clear() never validate again, even when the old length comes "
    "back (first design defect 3)",
    "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  j.set("a", 1);
  j.set("b", "two");
  j.set("c", 3.5);
  const std::size_t old_used = j.used_bytes();
  h.close();
  const auto before_clear = h.stored();
  auto& j2 = h.open();
  j2.clear();
  const bool write_after = GENERATE(false, true);
  INFO("a write after clear(): " << write_after);
  if (write_after) j2.set("new", 1);
  h.close();
  auto bytes = h.stored();
  std::copy_n(before_clear.begin() + memvec::header_offset::kLengthWord, 8,
              bytes.begin() + memvec::header_offset::kLengthWord);
  h.store(bytes);
  auto& r = h.open();
  CHECK(r.used_bytes() == old_used);
  CHECK_FALSE(r.contains("a"));
  CHECK_FALSE(r.contains("b"));
  CHECK_FALSE(r.contains("c"));
  if (write_after) {
    CHECK(diff(r, {{"new", 1}}) == "");
    CHECK(r.recovery().loss == DataLoss::partial);
    CHECK(r.recovery().records_replayed == 1);
  } else {
    CHECK(diff(r, {}) == "");
    CHECK(r.recovery().loss == DataLoss::total);
    CHECK(r.recovery().bytes_dropped == old_used);
  }
}

namespace {
using test::reseal_header;
constexpr std::size_t kMetaGenerationAt = memvec::header_offset::kUserArea + 8;
constexpr std::size_t kMetaCreatedAt = memvec::header_offset::kUserArea + 16;
constexpr std::size_t kMetaVersionAt = memvec::header_offset::kUserArea + 0;
}  // namespace

TEMPLATE_TEST_CASE(
    "journal: the creation time is only displayed, never used (first design defect 3)",
    "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  const auto now = [] {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  };
  Harness<TestType> h;
  const std::uint64_t t0 = now();
  auto& j = h.create();
  const std::uint64_t t1 = now();
  const kv::JournalMeta meta = j.meta();
  CHECK(meta.created_unix_ns >= t0);
  CHECK(meta.created_unix_ns <= t1);
  CHECK(meta.generation == 1);
  CHECK(meta.format_version == kv::kJournalFormatVersion);
  j.set("a", 1);
  j.clear();
  j.set("b", 2);
  CHECK(j.meta().created_unix_ns == meta.created_unix_ns);
  h.close();
  // A clock far in the past or the future changes nothing but meta().
  for (const std::uint64_t created : {std::uint64_t{0}, std::uint64_t{1}, ~std::uint64_t{0}}) {
    INFO("created_unix_ns " << created);
    auto bytes = h.stored();
    std::memcpy(bytes.data() + kMetaCreatedAt, &created, 8);
    reseal_header(bytes);
    h.store(bytes);
    auto& r = h.open();
    CHECK(r.meta().created_unix_ns == created);
    CHECK(diff(r, {{"b", 2}}) == "");
    CHECK(r.recovery().loss == DataLoss::none);
    CHECK(r.generation() == 1);
    h.close();
  }
}

TEMPLATE_TEST_CASE(
    "journal: a generation past kMaxGeneration is refused by create() and by open(), never "
    "wrapped",
    "[journal]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  j.set("a", 1);
  h.close();
  const auto with_generation = [&](std::uint64_t g) {
    auto bytes = h.stored();
    std::memcpy(bytes.data() + kMetaGenerationAt, &g, 8);
    reseal_header(bytes);
    h.store(bytes);
  };
  // The last generation opens; its records were sealed with generation 1,
  // so they no longer validate: reported, never returned.
  with_generation(kv::kMaxGeneration);
  {
    auto& r = h.open();
    CHECK(r.generation() == kv::kMaxGeneration);
    CHECK(diff(r, {}) == "");
    CHECK(r.recovery().loss == DataLoss::total);
    h.close();
  }
  for (const std::uint64_t g : {kv::kMaxGeneration + 1, ~std::uint64_t{0}}) {
    INFO("generation " << g);
    with_generation(g);
    const auto before = h.stored();
    CHECK(error_of([&] { h.open(); }) == errc::corrupt_header);
    CHECK(h.stored() == before);
  }
  CHECK(error_of([&] {
          (void)kv::KVJournal<memvec::AnonBackend>::create(memvec::AnonBackend{}, {},
                                                           kv::kMaxGeneration + 1);
        }) == errc::invalid_argument);
}

TEMPLATE_TEST_CASE(
    "journal: a record ending exactly at the end of a fixed buffer reopens (first design defect 4)",
    "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  const std::size_t limit = 2 * memvec::page_size();
  Harness<TestType> h;
  auto& j = h.create_capped(limit);
  REQUIRE(j.capacity_bytes() == limit - kDataOffset);
  j.set("a", 1);
  j.set_many({{"b", "two"}, {"c", Value::array({3})}});
  const std::size_t room = j.capacity_bytes() - j.used_bytes();
  const auto [key, value] = record_of_size(room);
  j.set(key, value);
  REQUIRE(j.used_bytes() == j.capacity_bytes());
  CHECK(j.usage_ratio() == 1.0);
  CHECK(j.high_water_mark_triggered());
  const Model m{{"a", 1}, {"b", "two"}, {"c", Value::array({3})}, {key, value}};
  CHECK(diff(j, m) == "");

  auto& r = h.reopen();
  CHECK(diff(r, m) == "");
  CHECK(r.recovery().loss == DataLoss::none);
  CHECK(r.recovery().records_replayed == 3);
  CHECK(r.used_bytes() == r.capacity_bytes());
  // Full means full: any record, an erase included, is refused, and the
  // journal stays as it was.
  const auto bytes = live_bytes(r);
  CHECK(error_of([&] { r.set("x", 1); }) == errc::capacity_exceeded);
  CHECK(error_of([&] { r.erase("a"); }) == errc::capacity_exceeded);
  CHECK(error_of([&] { r.set_many({{"a", nullptr}}); }) == errc::capacity_exceeded);
  CHECK(live_bytes(r) == bytes);
  CHECK(diff(r, m) == "");
  r.clear();
  r.set("x", 1);
  auto& r2 = h.reopen();
  CHECK(diff(r2, {{"x", 1}}) == "");
}

TEMPLATE_TEST_CASE(
    "journal: a write that does not fit throws capacity_exceeded and leaves the journal unchanged "
    "and "
    "usable (first design defect 5)",
    "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  const std::size_t limit = 4 * memvec::page_size();
  Harness<TestType> h;
  auto& j = h.create_capped(limit);
  Model m;
  for (int i = 0; i < 20; ++i) {
    j.set("k" + std::to_string(i), std::string(50, 'v'));
    m["k" + std::to_string(i)] = std::string(50, 'v');
  }
  const std::size_t used = j.used_bytes();
  const auto bytes = live_bytes(j);
  const std::string too_big(limit, 'x');
  CHECK(error_of([&] { j.set("big", too_big); }) == errc::capacity_exceeded);
  CHECK(error_of([&] { j.set("k0", too_big); }) == errc::capacity_exceeded);
  CHECK(error_of([&] {
          j.set_many({{"k1", nullptr}, {"new", 1}, {"big", too_big}});
        }) == errc::capacity_exceeded);
  CHECK(j.used_bytes() == used);
  CHECK(live_bytes(j) == bytes);
  CHECK(diff(j, m) == "");
  // Still usable: a smaller write goes in.
  j.set("small", 1);
  m["small"] = 1;
  j.erase("k1");
  m.erase("k1");
  CHECK(diff(j, m) == "");
  auto& r = h.reopen();
  CHECK(diff(r, m) == "");
  CHECK(r.recovery().loss == DataLoss::none);
}

// The fixed buffer here is not a power of two pages: growth by doubling
// overshoots it, and the journal must then ask for just what it needs.
TEMPLATE_TEST_CASE(
    "journal: a journal in a capped backend fills it to the last record that fits (first "
    "design defect 5)",
    "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  const std::size_t page = memvec::page_size();
  const std::size_t limit = 3 * page;
  Harness<TestType> h;
  auto& j = h.create_capped(limit, {}, page);
  Model m;
  int i = 0;
  for (;; ++i) {
    const std::string k = "key" + std::to_string(i);
    const Value v = std::string(40, 'v');
    const std::size_t before = j.used_bytes();
    const auto code = error_of([&] { j.set(k, v); });
    if (code) {
      REQUIRE(*code == errc::capacity_exceeded);
      CHECK(j.used_bytes() == before);
      CHECK(before + record_size(k, v) > limit - kDataOffset);
      break;
    }
    m[k] = v;
  }
  CHECK(j.capacity_bytes() == limit - kDataOffset);
  CHECK(j.log().backend().size() == limit);
  CHECK(diff(j, m) == "");
  auto& r = h.reopen();
  CHECK(diff(r, m) == "");
}

TEMPLATE_TEST_CASE(
    "journal: a failed write leaves the index equal to what a reopen shows (first design defect 6)",
    "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  using J = kv::KVJournal<TestType>;
  const std::size_t limit = 4 * memvec::page_size();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::string too_big(limit, 'x');
  struct Case {
    const char* what;
    std::function<void(J&)> write;
    errc code;
  };
  const std::vector<Case> cases = {
      {"a key that is not UTF-8", [](J& j) { j.set("\xFF", 1); }, errc::invalid_argument},
      {"an overlong key", [](J& j) { j.set("\xC0\x80", 1); }, errc::invalid_argument},
      {"a surrogate key", [](J& j) { j.set("\xED\xA0\x80", 1); }, errc::invalid_argument},
      {"a key past U+10FFFF", [](J& j) { j.set("\xF4\x90\x80\x80", 1); }, errc::invalid_argument},
      {"a key cut inside a character", [](J& j) { j.set("a\xE2\x82", 1); }, errc::invalid_argument},
      {"NaN over an existing key", [&](J& j) { j.set("a", nan); }, errc::invalid_argument},
      {"infinity", [&](J& j) { j.set("new", inf); }, errc::invalid_argument},
      {"minus infinity", [&](J& j) { j.set("new", -inf); }, errc::invalid_argument},
      {"NaN deep in an object",
       [&](J& j) {
         j.set("new", Value::object({{"x", Value::array({1, nan})}}));
       },
       errc::invalid_argument},
      {"a string value that is not UTF-8", [](J& j) { j.set("new", "\xFF"); },
       errc::invalid_argument},
      {"an object key inside the value that is not UTF-8",
       [](J& j) {
         j.set("new", Value::object({{"\xFF", 1}}));
       },
       errc::invalid_argument},
      {"nesting one past kMaxDepth",
       [](J& j) { j.set("new", nested(static_cast<int>(kv::bonjson::kMaxDepth) + 1)); },
       errc::invalid_argument},
      {"an erase with a key that is not UTF-8", [](J& j) { j.erase("\xFF"); },
       errc::invalid_argument},
      {"a batch with one bad key among good members",
       [](J& j) {
         j.set_many({{"x", 1}, {"a", nullptr}, {"\xFF", 2}, {"y", 3}});
       },
       errc::invalid_argument},
      {"a batch whose last member is NaN",
       [&](J& j) {
         j.set_many({{"x", 1}, {"b", nullptr}, {"y", nan}});
       },
       errc::invalid_argument},
      {"a value that does not fit", [&](J& j) { j.set("big", too_big); }, errc::capacity_exceeded},
      {"an overwrite that does not fit", [&](J& j) { j.set("a", too_big); },
       errc::capacity_exceeded},
      {"a batch that does not fit",
       [&](J& j) {
         j.set_many({{"x", 1}, {"a", nullptr}, {"big", too_big}});
       },
       errc::capacity_exceeded},
  };
  Harness<TestType> h;
  auto& j = h.create_capped(limit);
  j.set("a", 1);
  j.set("b", "two");
  j.set("c", Value::array({1}));
  Model m = contents(j);
  const std::size_t used = j.used_bytes();
  const auto bytes = live_bytes(j);
  for (const auto& c : cases) {
    INFO(c.what);
    CHECK(error_of([&] { c.write(j); }) == c.code);
    CHECK(diff(j, m) == "");
    CHECK(j.used_bytes() == used);
    CHECK(live_bytes(j) == bytes);
  }
  auto& r = h.reopen();
  CHECK(diff(r, m) == "");
  CHECK(r.recovery().loss == DataLoss::none);
  // And a valid write after all of them lands normally.
  r.set("after", 1);
  m["after"] = 1;
  CHECK(diff(r, m) == "");
  auto& r2 = h.reopen();
  CHECK(diff(r2, m) == "");
}

TEMPLATE_TEST_CASE(
    "journal: a write that fails after a lossy open leaves the index equal to what a reopen shows "
    "(first design defect 6)",
    "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  const std::size_t limit = 4 * memvec::page_size();
  Harness<TestType> h;
  auto& j = h.create_capped(limit);
  j.set("a", 1);
  j.set("b", "two");
  const std::size_t c_off = j.used_bytes();
  j.set("c", 3);
  h.close();
  h.damage_log(c_off + kv::kRecordHeaderSize + 2);
  auto& r = h.open();
  REQUIRE(r.recovery().loss == DataLoss::partial);
  const Model m{{"a", 1}, {"b", "two"}};
  const auto code = GENERATE(errc::invalid_argument, errc::capacity_exceeded);
  INFO("the failed write throws errc " << static_cast<int>(code));
  if (code == errc::invalid_argument)
    CHECK(error_of([&] { r.set("bad", std::numeric_limits<double>::quiet_NaN()); }) == code);
  else
    CHECK(error_of([&] { r.set("big", std::string(limit, 'x')); }) == code);
  CHECK(diff(r, m) == "");
  auto& again = h.reopen();
  CHECK(diff(again, m) == "");
  // The journal is usable: the next write lands and the reopen after it is
  // clean.
  again.set("d", 4);
  auto& last = h.reopen();
  CHECK(diff(last, {{"a", 1}, {"b", "two"}, {"d", 4}}) == "");
  CHECK(last.recovery().loss == DataLoss::none);
  CHECK(last.recovery().records_replayed == 3);
}

TEST_CASE(
    "journal: the high-water mark is exact integer arithmetic above 16 MiB (first design defect 7)",
    "[journal][defect]") {
  struct Ratio {
    double ratio;
    std::uint64_t ppm;  // the same ratio in parts per million, exactly
  };
  const std::vector<Ratio> ratios = {
      {0.8, 800000}, {0.5, 500000},      {0.75, 750000},     {0.9, 900000}, {0.3, 300000},
      {0.7, 700000}, {0.123456, 123456}, {0.999999, 999999}, {0.000001, 1}, {1.0, 1000000}};
  const std::vector<std::size_t> capacities = {
      (std::size_t{16} << 20) + 1, (std::size_t{16} << 20) + 3, (std::size_t{16} << 20) + 12345,
      (std::size_t{17} << 20) - 1, std::size_t{123456789},      (std::size_t{100} << 20) + 7,
      (std::size_t{256} << 20) - 1};
  int f32_wrong = 0;
  for (const std::size_t cap : capacities) {
    for (const auto& r : ratios) {
      INFO("capacity " << cap << " ratio " << r.ratio);
      JournalOptions o;
      o.high_water_mark_ratio = r.ratio;
      auto j = kv::KVJournal<AnonBackend>::create(AnonBackend(cap + kDataOffset), o);
      REQUIRE(j.capacity_bytes() == cap);
      const std::uint64_t exact = std::uint64_t{cap} * r.ppm / 1000000;  // < 2^48: no overflow
      CHECK(j.high_water_mark() == exact);
      CHECK_FALSE(j.high_water_mark_triggered());
      const auto f32 =
          static_cast<std::uint64_t>(static_cast<float>(cap) * static_cast<float>(r.ratio));
      if (f32 != exact) ++f32_wrong;
    }
  }
  // The capacities are ones where the first design's f32 arithmetic is off.
  CHECK(f32_wrong > static_cast<int>(capacities.size()));
}

TEMPLATE_TEST_CASE(
    "journal: a high-water ratio of 0, below 0, NaN or above 1 is refused before anything is "
    "written "
    "(first design defect 7)",
    "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  using J = kv::KVJournal<TestType>;
  const std::vector<double> bad = {0.0,
                                   -0.0,
                                   -0.5,
                                   -1.0,
                                   std::numeric_limits<double>::quiet_NaN(),
                                   -std::numeric_limits<double>::quiet_NaN(),
                                   1.0000001,
                                   2.0,
                                   std::numeric_limits<double>::infinity(),
                                   -std::numeric_limits<double>::infinity()};
  test::Factory<TestType> f;
  // An existing journal, for open().
  Harness<TestType> h;
  h.create().set("a", 1);
  h.close();
  const auto stored = h.stored();
  for (const double ratio : bad) {
    INFO("ratio " << ratio);
    JournalOptions o;
    o.high_water_mark_ratio = ratio;
    for (const bool via_create : {true, false}) {
      INFO((via_create ? "create()" : "open_or_create()"));
      TestType blank = f.make(4096);
      CHECK(error_of([&] {
              if (via_create)
                (void)J::create(std::move(blank), o);
              else
                (void)J::open_or_create(std::move(blank), o);
            }) == errc::invalid_argument);
      if constexpr (test::Factory<TestType>::persistent) {
        // What it was given is still blank.
        TestType again = f.reopen();
        const std::byte* p = std::as_const(again).data();
        CHECK(std::all_of(p, p + again.size(), [](std::byte b) { return b == std::byte{0}; }));
      }
    }
    CHECK(h.try_open(o) == errc::invalid_argument);
    CHECK(h.stored() == stored);
  }
  // The boundary is accepted.
  JournalOptions one;
  one.high_water_mark_ratio = 1.0;
  auto& j = h.open_with(one);
  CHECK(j.high_water_mark() == j.capacity_bytes());
  CHECK(diff(j, {{"a", 1}}) == "");
}

TEMPLATE_TEST_CASE(
    "journal: high_water_mark_triggered follows usage and clears after clear() (first "
    "design defect 7)",
    "[journal][defect]", MEMVEC_ALL_BACKENDS) {
  const std::size_t limit = 4 * memvec::page_size();
  const double ratio = GENERATE(0.8, 0.5, 1.0);
  INFO("ratio " << ratio);
  JournalOptions o;
  o.high_water_mark_ratio = ratio;
  Harness<TestType> h;
  auto& j = h.create_capped(limit, o);
  const std::size_t cap = j.capacity_bytes();
  REQUIRE(cap == limit - kDataOffset);
  CHECK(j.high_water_mark() ==
        static_cast<std::size_t>(static_cast<std::uint64_t>(cap) *
                                 static_cast<std::uint64_t>(ratio * 1e6 + 0.5) / 1000000));
  int triggered_at = -1;
  for (int i = 0;; ++i) {
    const std::string k = "k" + std::to_string(i);
    const Value v = std::string(30, 'v');
    if (j.used_bytes() + record_size(k, v) > cap) break;
    j.set(k, v);
    INFO("write " << i << " used " << j.used_bytes());
    CHECK(j.usage_ratio() == static_cast<double>(j.used_bytes()) / static_cast<double>(cap));
    CHECK(j.high_water_mark_triggered() == (j.used_bytes() >= j.high_water_mark()));
    if (triggered_at < 0 && j.high_water_mark_triggered()) triggered_at = i;
  }
  if (ratio < 1.0) {
    CHECK(triggered_at > 0);
    CHECK(j.high_water_mark_triggered());
  }
  // It persists with the usage across a reopen (same options)...
  auto& r = h.reopen();
  CHECK(r.high_water_mark_triggered() == (r.used_bytes() >= r.high_water_mark()));
  CHECK(r.usage_ratio() == static_cast<double>(r.used_bytes()) / static_cast<double>(cap));
  // ...and clear() resets it.
  r.clear();
  CHECK_FALSE(r.high_water_mark_triggered());
  CHECK(r.usage_ratio() == 0.0);
  r.set("k", 1);
  CHECK_FALSE(r.high_water_mark_triggered());
}

TEMPLATE_TEST_CASE(
    "journal: opening never resizes or writes a file, valid, damaged or truncated (first design "
    "defect "
    "8)",
    "[journal][defect]", MEMVEC_FILE_BACKENDS) {
  using J = kv::KVJournal<TestType>;
  test::TempDir dir;
  const auto p = dir / "j.mvkv";
  std::size_t b_off = 0, c_off = 0, used = 0;
  {
    auto j =
        J::create(TestType::open(p, {.mode = OpenMode::create_new, .initial_size = 64 * 1024}));
    j.set("a", 1);
    b_off = j.used_bytes();
    j.set("b", "two");
    c_off = j.used_bytes();
    j.set("c", Value::array({3}));
    used = j.used_bytes();
    j.close();
  }
  const auto size = fs::file_size(p);
  REQUIRE(size == 64 * 1024);
  const auto read_all = [&](OpenMode mode, std::size_t initial) {
    auto j = J::open(TestType::open(p, {.mode = mode, .initial_size = initial}));
    return contents(j);
  };
  const auto read_all_ooc = [&](OpenMode mode, std::size_t initial) {
    auto j = J::open_or_create(TestType::open(p, {.mode = mode, .initial_size = initial}));
    return contents(j);
  };
  const Model m{{"a", 1}, {"b", "two"}, {"c", Value::array({3})}};

  SECTION("a valid journal, whatever initial_size says") {
    const auto d = test::digest(p);
    for (const OpenMode mode :
         {OpenMode::open_or_create, OpenMode::open_existing, OpenMode::read_only}) {
      for (const std::size_t initial : {std::size_t{0}, std::size_t{4096}, std::size_t{1} << 20}) {
        INFO("mode " << static_cast<int>(mode) << " initial_size " << initial);
        CHECK(read_all(mode, initial) == m);
        CHECK(read_all_ooc(mode, initial) == m);
        CHECK(fs::file_size(p) == size);
        CHECK(test::digest(p) == d);
      }
    }
  }
  SECTION("a journal with a damaged record") {
    test::flip_byte(p, kDataOffset + b_off + kv::kRecordHeaderSize + 1);
    const auto d = test::digest(p);
    {
      auto j = J::open(TestType::open(p));
      CHECK(j.recovery().loss == DataLoss::partial);
      CHECK(diff(j, {{"a", 1}}) == "");
    }
    {
      auto j = J::open_or_create(TestType::open(p));
      CHECK(j.recovery().loss == DataLoss::partial);
    }
    CHECK(fs::file_size(p) == size);
    CHECK(test::digest(p) == d);
  }
  SECTION("a journal with a damaged header") {
    test::flip_byte(p, memvec::header_offset::kUserArea + 9);  // the generation
    const auto d = test::digest(p);
    CHECK(error_of([&] { (void)J::open(TestType::open(p)); }) == errc::corrupt_header);
    CHECK(error_of([&] { (void)J::open_or_create(TestType::open(p)); }) == errc::corrupt_header);
    CHECK(test::digest(p) == d);
  }
  SECTION("a journal cut into its header is truncated") {
    // 0 is judged in the test body (bad_magic); 100 cuts the header.
    const std::size_t cut = GENERATE(std::size_t{0}, std::size_t{100});
    INFO("truncated to " << cut);
    test::truncate_to(p, cut);
    const auto d = test::digest(p);
    if (cut == 0) {
      // An empty file is no memvec file at all (open_or_create would format
      // it: it is blank).
      CHECK(error_of([&] { (void)J::open(TestType::open(p)); }) == errc::bad_magic);
    } else {
      CHECK(error_of([&] { (void)J::open(TestType::open(p)); }) == errc::truncated);
      CHECK(error_of([&] { (void)J::open_or_create(TestType::open(p)); }) == errc::truncated);
      CHECK(error_of([&] {
              (void)J::open(TestType::open(p, {.mode = OpenMode::read_only}));
            }) == errc::truncated);
    }
    CHECK(fs::file_size(p) == cut);
    CHECK(test::digest(p) == d);
  }
  SECTION("a journal cut into its committed log opens to the records it holds, loss reported") {
    // A power cut under process_crash can keep a grown length word but not
    // the file's new size: the records still there are a valid prefix.
    const auto which = static_cast<std::size_t>(GENERATE(0, 1, 2));
    const std::size_t cut = kDataOffset + std::array<std::size_t, 3>{0, b_off, used - 1}[which];
    const std::size_t valid = std::array<std::size_t, 3>{0, b_off, c_off}[which];
    const Model want = std::array<Model, 3>{Model{}, Model{{"a", 1}},
                                            Model{{"a", 1}, {"b", "two"}}}[which];
    INFO("truncated to " << cut);
    test::truncate_to(p, cut);
    const auto d = test::digest(p);
    for (const OpenMode mode : {OpenMode::open_existing, OpenMode::read_only}) {
      auto j = J::open(TestType::open(p, {.mode = mode}));
      CHECK(diff(j, want) == "");
      CHECK(j.recovery().loss == (want.empty() ? DataLoss::total : DataLoss::partial));
      // Every committed byte past the valid prefix is counted, held or not.
      CHECK(j.recovery().bytes_dropped == used - valid);
      CHECK(j.recovery().first_bad_offset == valid);
      CHECK(j.recovery().records_dropped >= 1);
      CHECK(j.recovery().reason.find("short of the committed log") != std::string::npos);
    }
    CHECK(test::digest(p) == d);  // opening wrote nothing
    {
      auto j = J::open(TestType::open(p));
      j.set("d", 4);  // publishes the prefix's length, then appends
    }
    auto j = J::open(TestType::open(p));
    Model after = want;
    after.emplace("d", 4);
    CHECK(diff(j, after) == "");
    CHECK(j.recovery().loss == DataLoss::none);
  }
  SECTION("a journal cut only in its free room opens whole, with the room the file has") {
    // The capacity word can reach the disk before the file's new size
    // (process_crash): a short free room loses nothing.
    const auto which = static_cast<std::size_t>(GENERATE(0, 1, 2));
    const std::size_t cut =
        std::array<std::size_t, 3>{kDataOffset + used, 4096, 64 * 1024 - 1}[which];
    INFO("truncated to " << cut);
    test::truncate_to(p, cut);
    const auto d = test::digest(p);
    for (const OpenMode mode : {OpenMode::open_existing, OpenMode::read_only}) {
      auto j = J::open(TestType::open(p, {.mode = mode}));
      CHECK(diff(j, m) == "");
      CHECK(j.recovery().loss == DataLoss::none);
      CHECK(j.used_bytes() == used);
      CHECK(j.log().capacity() == cut - kDataOffset);
    }
    {
      auto j = J::open_or_create(TestType::open(p));
      CHECK(diff(j, m) == "");
      CHECK(j.recovery().loss == DataLoss::none);
      CHECK(j.log().capacity() == cut - kDataOffset);
    }
    CHECK(fs::file_size(p) == cut);
    CHECK(test::digest(p) == d);
  }
  SECTION("a journal file longer than its header says is never cut") {
    test::truncate_to(p, size + 3 * 4096 + 17);
    const auto d = test::digest(p);
    {
      auto j = J::open(TestType::open(p));
      CHECK(diff(j, m) == "");
      CHECK(j.recovery().loss == DataLoss::none);
    }
    CHECK(fs::file_size(p) == size + 3 * 4096 + 17);
    CHECK(test::digest(p) == d);
  }
}

namespace {

constexpr int kChildOtherException = 90;

template <class F>
int code_of(F&& f) {
  try {
    f();
    return 0;
  } catch (const memvec::Error& e) {
    return e.code().value();
  } catch (...) {
    return kChildOtherException;
  }
}

// Runs `body` (returning an exit code) in a forked child with a watchdog;
// returns its exit code, or 1000 + the signal that killed it.
template <class F>
int in_child(F&& body) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::alarm(20);
    int code = kChildOtherException;
    try {
      code = body();
    } catch (...) {
    }
    ::_exit(code);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

constexpr int kLocked = static_cast<int>(errc::locked);

}  // namespace

TEMPLATE_TEST_CASE(
    "journal: a second writer on the same journal file gets errc::locked (first design "
    "defect 9)",
    "[journal][defect]", MEMVEC_FILE_BACKENDS) {
  using J = kv::KVJournal<TestType>;
  test::TempDir dir;
  const auto p = dir / "j.mvkv";
  auto j = J::create(TestType::open(p, {.mode = OpenMode::create_new}));
  j.set("a", 1);
  const auto d = test::digest(p);

  SECTION("in this process") {
    CHECK(error_of([&] { (void)FileBackend::open(p); }) == errc::locked);
    CHECK(error_of([&] { (void)MappedFileBackend::open(p); }) == errc::locked);
    CHECK(error_of([&] { (void)J::open(TestType::open(p)); }) == errc::locked);
    CHECK(error_of([&] {
            (void)J::open_or_create(TestType::open(p, {.mode = OpenMode::open_existing}));
          }) == errc::locked);
    CHECK(error_of([&] { (void)TestType::open(p, {.mode = OpenMode::read_only}); }) ==
          errc::locked);
  }
  SECTION("in another process") {
    CHECK(in_child([&] { return code_of([&] { (void)FileBackend::open(p); }); }) == kLocked);
    CHECK(in_child([&] { return code_of([&] { (void)MappedFileBackend::open(p); }); }) == kLocked);
    CHECK(in_child([&] {
            return code_of([&] {
              auto other = kv::KVJournal<FileBackend>::open(FileBackend::open(p));
              other.set("intruder", 1);
            });
          }) == kLocked);
    CHECK(in_child([&] {
            return code_of([&] { (void)TestType::open(p, {.mode = OpenMode::read_only}); });
          }) == kLocked);
  }
  CHECK(test::digest(p) == d);
  CHECK(diff(j, {{"a", 1}}) == "");
  // Once the writer is gone, another process may write, and this one sees it.
  j.close();
  CHECK(in_child([&] {
          return code_of([&] {
            auto other = kv::KVJournal<FileBackend>::open(FileBackend::open(p));
            other.set("child", "was here");
            other.close();
          });
        }) == 0);
  auto again = J::open(TestType::open(p));
  CHECK(diff(again, {{"a", 1}, {"child", "was here"}}) == "");
}

// Every refusal below names one errc, and every success is a success: none
// of these tests accepts "either" (the first design's tests often did).
TEST_CASE(
    "journal: each refused call reports its one exact errc and changes nothing (first design "
    "defect 10)",
    "[journal][defect]") {
  using J = kv::KVJournal<FileBackend>;
  test::TempDir dir;
  const auto journal_file = dir / "journal";
  {
    auto j = J::create(FileBackend::open(journal_file, {.mode = OpenMode::create_new}));
    j.set("a", 1);
    j.close();
  }
  const auto copy_of_journal = [&](const std::string& name) {
    const auto p = dir / name;
    fs::copy_file(journal_file, p);
    return p;
  };
  const auto open_file = [](const fs::path& p) {
    return [p] { (void)J::open(FileBackend::open(p)); };
  };
  const auto ooc_file = [](const fs::path& p) {
    return [p] { (void)J::open_or_create(FileBackend::open(p)); };
  };

  struct Case {
    std::string what;
    fs::path file;
    std::function<void()> call;
    std::optional<errc> code;
  };
  std::vector<Case> cases;

  const auto zeros = dir / "zeros";
  test::write_file(zeros, std::vector<std::byte>(8192));
  cases.push_back({"open() of a zero-filled file", zeros, open_file(zeros), errc::bad_magic});
  const auto text = dir / "text";
  {
    const std::string s = "key=value\nnot a journal at all, just some text that is long enough\n";
    std::vector<std::byte> b(4096, std::byte{' '});
    std::memcpy(b.data(), s.data(), s.size());
    test::write_file(text, b);
  }
  cases.push_back({"open() of a text file", text, open_file(text), errc::bad_magic});
  cases.push_back({"open_or_create() of a text file", text, ooc_file(text), errc::bad_magic});
  const auto bytes_vec = dir / "bytes";
  {
    auto v = memvec::MemVec<std::byte, FileBackend>::create(FileBackend::open(bytes_vec));
    v.push_back(std::byte{1});
  }
  cases.push_back(
      {"open() of a MemVec<std::byte>", bytes_vec, open_file(bytes_vec), errc::type_mismatch});
  cases.push_back({"open_or_create() of a MemVec<std::byte>", bytes_vec, ooc_file(bytes_vec),
                   errc::type_mismatch});
  const auto u64_vec = dir / "u64";
  {
    auto v = memvec::MemVec<std::uint64_t, FileBackend>::create(FileBackend::open(u64_vec));
    v.push_back(7);
  }
  cases.push_back(
      {"open() of a MemVec<uint64_t>", u64_vec, open_file(u64_vec), errc::type_mismatch});
  const auto bad_header = copy_of_journal("bad-header");
  test::flip_byte(bad_header, memvec::header_offset::kUserArea + 20, 0x01);
  cases.push_back({"open() with a flipped header byte", bad_header, open_file(bad_header),
                   errc::corrupt_header});
  const auto short_file = copy_of_journal("short");
  test::truncate_to(short_file, 200);
  cases.push_back(
      {"open() of a 200-byte file", short_file, open_file(short_file), errc::truncated});
  const auto future = copy_of_journal("future");
  {
    auto b = test::read_file(future);
    const std::uint16_t v = kv::kJournalFormatVersion + 1;
    std::memcpy(b.data() + kMetaVersionAt, &v, 2);
    reseal_header(b);
    test::write_file(future, b);
  }
  cases.push_back(
      {"open() of a newer journal format", future, open_file(future), errc::version_mismatch});
  const auto ratio_file = copy_of_journal("ratio");
  cases.push_back({"open() with a high-water ratio of 0", ratio_file,
                   [p = ratio_file] {
                     JournalOptions o;
                     o.high_water_mark_ratio = 0;
                     (void)J::open(FileBackend::open(p), o);
                   },
                   errc::invalid_argument});
  const auto ro_file = copy_of_journal("read-only");
  cases.push_back({"set() through a read-only backend", ro_file,
                   [p = ro_file] {
                     auto j = J::open(FileBackend::open(p, {.mode = OpenMode::read_only}));
                     j.set("b", 2);
                   },
                   errc::read_only});
  const auto full_file = copy_of_journal("full");
  cases.push_back({"set() past max_size", full_file,
                   [p = full_file] {
                     JournalOptions o;
                     o.max_size = fs::file_size(p);
                     auto j = J::open(FileBackend::open(p), o);
                     j.set("big", std::string(o.max_size, 'x'));
                   },
                   errc::capacity_exceeded});
  const auto bad_key_file = copy_of_journal("bad-key");
  cases.push_back({"set() of a key that is not UTF-8", bad_key_file,
                   [p = bad_key_file] {
                     auto j = J::open(FileBackend::open(p));
                     j.set("\xC3", 2);
                   },
                   errc::invalid_argument});
  const auto ok_file = copy_of_journal("ok");
  cases.push_back({"open() of a valid journal", ok_file, open_file(ok_file), std::nullopt});
  cases.push_back(
      {"open_or_create() of a valid journal", ok_file, ooc_file(ok_file), std::nullopt});
  cases.push_back({"read-only open() of a valid journal", ok_file,
                   [p = ok_file] {
                     auto j = J::open(FileBackend::open(p, {.mode = OpenMode::read_only}));
                     if (j.get("a") != Value(1)) throw std::runtime_error("wrong contents");
                   },
                   std::nullopt});

  for (const auto& c : cases) {
    INFO(c.what);
    const auto d = test::digest(c.file);
    CHECK(error_of(c.call) == c.code);
    CHECK(test::digest(c.file) == d);
  }
  // Held open by a writer: the second one is refused.
  auto writer = J::open(FileBackend::open(ok_file));
  CHECK(error_of(open_file(ok_file)) == errc::locked);
}

// =============================================================================
// 3. Model-based: 10,000 random steps per backend against a std::map
// =============================================================================

namespace {

constexpr int kModelSteps = 10000;
constexpr int kModelFullCheckEvery = 50;

unsigned model_seed(unsigned salt) {
  const unsigned chosen = Catch::rngSeed();  // --rng-seed; 0 when not given
  return chosen != 0 ? chosen + salt : 0x10C4A100u + salt;
}

class ValueGen {
 public:
  explicit ValueGen(std::uint64_t seed) : rng_(seed) {}

  std::uint64_t below(std::uint64_t n) { return rng_() % n; }
  bool chance(unsigned percent) { return below(100) < percent; }

  std::string utf8(std::size_t max_code_points) {
    std::string s;
    const std::size_t n = below(max_code_points + 1);
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t cp;
      switch (below(6)) {
        case 0:
          cp = static_cast<std::uint32_t>(below(0x80));
          break;  // NUL and controls too
        case 1:
          cp = static_cast<std::uint32_t>(0x80 + below(0x800 - 0x80));
          break;
        case 2:
          cp = static_cast<std::uint32_t>(0x800 + below(0x10000 - 0x800));
          if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
          break;
        case 3:
          cp = static_cast<std::uint32_t>(0x10000 + below(0x110000 - 0x10000));
          break;
        default:
          cp = static_cast<std::uint32_t>('a' + below(26));
          break;
      }
      append_utf8(s, cp);
    }
    return s;
  }

  Value value(int depth = 0) {
    switch (below(depth < 3 ? 11 : 8)) {
      case 0:
        return Value(chance(50));
      case 1:
        return Value(static_cast<std::int64_t>(below(401)) - 200);
      case 2: {
        static const std::int64_t kEdges[] = {std::numeric_limits<std::int64_t>::min(),
                                              std::numeric_limits<std::int64_t>::max(),
                                              -1,
                                              0,
                                              1,
                                              -129,
                                              128,
                                              65535,
                                              -32768,
                                              2147483648LL};
        return chance(50) ? Value(kEdges[below(std::size(kEdges))])
                          : Value(static_cast<std::int64_t>(rng_()));
      }
      case 3:
        return chance(30) ? Value(std::numeric_limits<std::uint64_t>::max())
                          : Value((std::uint64_t{1} << 63) | rng_());
      case 4: {
        double d;
        do d = bits_to_double(rng_());
        while (!std::isfinite(d));
        return chance(50)
                   ? Value(d)
                   : Value(static_cast<double>(static_cast<std::int64_t>(below(2000)) - 1000) / 8);
      }
      case 5:
        return Value(utf8(12));
      case 6: {
        const auto len = static_cast<std::size_t>(below(300));  // in order: the run is
        const auto c = static_cast<char>('a' + below(26));      // the same on every compiler
        return Value(std::string(len, c));
      }
      case 7:
        return Value(utf8(60));
      case 8: {
        Array a;
        for (std::uint64_t i = below(5); i > 0; --i)
          a.push_back(chance(10) ? Value() : value(depth + 1));
        return Value(std::move(a));
      }
      default: {
        Object o;
        for (std::uint64_t i = below(5); i > 0; --i)
          o[utf8(6)] = chance(10) ? Value() : value(depth + 1);
        return Value(std::move(o));
      }
    }
  }

 private:
  static void append_utf8(std::string& s, std::uint32_t cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::mt19937_64 rng_;
};

enum ModelOp : int {
  op_set,
  op_set_null,
  op_set_many,
  op_set_many_list,
  op_erase,
  op_clear,
  op_reopen,
  op_bad_write,
  op_get_absent,
  kModelOpCount
};
constexpr const char* kModelOpNames[kModelOpCount] = {
    "set",   "set null", "set_many",  "set_many (list)", "erase",
    "clear", "reopen",   "bad write", "get absent"};
// Out of 1000.
constexpr int kModelWeights[kModelOpCount] = {480, 40, 140, 40, 200, 4, 16, 40, 40};

template <class B>
class JournalModelRun {
 public:
  JournalModelRun(unsigned seed, std::size_t span_buffer) : gen_(seed) {
    for (int i = 0; i < 150; ++i) keys_.push_back("key-" + std::to_string(i));
    for (const std::string& k :
         {std::string(), kNul1, kNulMid, kNulEnd, std::string("\xF0\x9F\x98\x80"),
          std::string("\"q\\\""), std::string(1000, 'L'), std::string("\xC3\xA9")})
      keys_.push_back(k);
    for (int i = 0; i < 40; ++i) keys_.push_back(gen_.utf8(10));
    if constexpr (std::is_same_v<B, SpanBackend>)
      h_.create_capped(span_buffer, {}, memvec::page_size());
    else
      h_.create(0);
  }

  void run() {
    for (step_ = 0; step_ < kModelSteps; ++step_) {
      const ModelOp op = pick();
      ++counts_[op];
      touched_.reset();
      apply(op);
      auto& j = h_.j();
      if (j.size() != model_.size())
        FAIL("step " << step_ << " (" << kModelOpNames[op] << "): size " << j.size() << ", model "
                     << model_.size());
      if (touched_) {
        const auto got = j.get(*touched_);
        const auto want = model_.find(*touched_);
        const bool same =
            want == model_.end() ? !got.has_value() : (got.has_value() && *got == want->second);
        if (!same)
          FAIL("step " << step_ << " (" << kModelOpNames[op] << "): key " << printable(*touched_)
                       << " reads " << (got ? shown(*got) : "nothing") << ", model "
                       << (want == model_.end() ? "nothing" : shown(want->second)));
      }
      if (op == op_reopen || step_ % kModelFullCheckEvery == 0) full_check(kModelOpNames[op]);
    }
    full_check("the end");
    h_.reopen();
    full_check("the final reopen");
    CHECK(h_.j().recovery().records_replayed == records_);
  }

  int count(ModelOp op) const { return counts_[op]; }
  int capacity_hits() const { return capacity_hits_; }

 private:
  ModelOp pick() {
    int r = static_cast<int>(gen_.below(1000));
    for (int i = 0; i < kModelOpCount; ++i) {
      if (r < kModelWeights[i]) return static_cast<ModelOp>(i);
      r -= kModelWeights[i];
    }
    return op_set;
  }

  const std::string& any_key() { return keys_[gen_.below(keys_.size())]; }
  // An existing key most of the time, so erases and overwrites hit.
  const std::string& some_key() {
    if (!model_.empty() && gen_.chance(60)) {
      auto it = model_.begin();
      std::advance(
          it, static_cast<std::ptrdiff_t>(gen_.below(std::min<std::size_t>(model_.size(), 64))));
      return it->first;
    }
    return any_key();
  }

  // Runs a write; on success applies `to_model` and counts the record. Only
  // the fixed buffer may run out of room: then nothing may have changed, and
  // the run goes on after a clear().
  template <class W, class M>
  void write(W&& w, M&& to_model) {
    auto& j = h_.j();
    const std::size_t used = j.used_bytes();
    const auto code = error_of(w);
    if (!code) {
      to_model();
      ++records_;
      return;
    }
    if (*code != errc::capacity_exceeded || !std::is_same_v<B, SpanBackend>)
      FAIL("step " << step_ << ": a valid write threw errc " << static_cast<int>(*code));
    ++capacity_hits_;
    CHECK(j.used_bytes() == used);
    full_check("a write that did not fit");
    j.clear();
    model_.clear();
    records_ = 0;
  }

  void apply(ModelOp op) {
    auto& j = h_.j();
    switch (op) {
      case op_set: {
        const std::string k = some_key();
        Value v = gen_.value();
        touched_ = k;
        write([&] { j.set(k, v); }, [&] { model_set(k, v); });
        break;
      }
      case op_set_null: {
        const std::string k = some_key();
        touched_ = k;
        write([&] { j.set(k, nullptr); }, [&] { model_.erase(k); });
        break;
      }
      case op_set_many: {
        Items items;
        for (std::uint64_t n = 1 + gen_.below(8); n > 0; --n) {
          std::string k = some_key();
          Value v = gen_.chance(25) ? Value() : gen_.value();
          items.emplace_back(std::move(k), std::move(v));
        }
        if (gen_.chance(50))
          items.push_back({items.front().first, gen_.chance(30) ? Value() : gen_.value()});
        touched_ = items[gen_.below(items.size())].first;
        write([&] { j.set_many(items); },
              [&] {
                for (const auto& [k, v] : items) model_set(k, v);
              });
        break;
      }
      case op_set_many_list: {
        const std::string a = some_key();
        const std::string b = some_key();
        const Value va = gen_.value();
        const Value vb = gen_.chance(50) ? Value() : gen_.value();
        const Value va2 = gen_.chance(30) ? Value() : gen_.value();
        touched_ = a;
        write(
            [&] {
              j.set_many({{a, va}, {b, vb}, {a, va2}});
            },
            [&] {
              model_set(a, va);
              model_set(b, vb);
              model_set(a, va2);
            });
        break;
      }
      case op_erase: {
        const std::string k = some_key();
        touched_ = k;
        write([&] { j.erase(k); }, [&] { model_.erase(k); });
        break;
      }
      case op_clear:
        j.clear();
        model_.clear();
        records_ = 0;
        break;
      case op_reopen: {
        h_.reopen();
        const auto& rec = h_.j().recovery();
        if (rec.loss != DataLoss::none || rec.records_replayed != records_)
          FAIL("step " << step_ << ": reopen replayed " << rec.records_replayed << " of "
                       << records_ << " records, loss " << static_cast<int>(rec.loss) << ": "
                       << rec.reason);
        break;
      }
      case op_bad_write: {
        const std::string k = some_key();
        touched_ = k;
        const std::size_t used = j.used_bytes();
        std::optional<errc> code;
        switch (gen_.below(4)) {
          case 0:
            code = error_of([&] { j.set(k, std::numeric_limits<double>::quiet_NaN()); });
            break;
          case 1:
            code = error_of([&] { j.set(k + "\xFF", 1); });
            break;
          case 2:
            code = error_of([&] { j.set_many({{k, nullptr}, {"\xED\xA0\x80", 1}}); });
            break;
          default:
            code = error_of([&] {
              j.set(k, Value::array(
                           {1, Value::object({{"x", std::numeric_limits<double>::infinity()}})}));
            });
            break;
        }
        if (code != errc::invalid_argument || j.used_bytes() != used)
          FAIL("step " << step_ << ": a bad write gave errc "
                       << (code ? static_cast<int>(*code) : 0) << ", used bytes " << used << " -> "
                       << j.used_bytes());
        break;
      }
      case op_get_absent: {
        std::string k = "absent-" + std::to_string(gen_.below(1000));
        if (j.find(k) != nullptr || j.contains(k) || j.get(k).has_value())
          FAIL("step " << step_ << ": absent key " << k << " found");
        break;
      }
      case kModelOpCount:
        break;
    }
  }

  void model_set(const std::string& k, const Value& v) {
    if (v.is_null())
      model_.erase(k);
    else
      model_[k] = v;
  }

  void full_check(const char* when) {
    const std::string d = diff(h_.j(), model_);
    if (!d.empty()) FAIL("step " << step_ << ", after " << when << ": " << d);
  }

  ValueGen gen_;
  Harness<B> h_;
  Model model_;
  std::vector<std::string> keys_;
  std::optional<std::string> touched_;
  std::uint64_t records_ = 0;
  int step_ = 0;
  int counts_[kModelOpCount] = {};
  int capacity_hits_ = 0;
};

template <class B>
unsigned backend_salt() {
  if constexpr (std::is_same_v<B, AnonBackend>) return 1;
  if constexpr (std::is_same_v<B, FileBackend>) return 2;
  if constexpr (std::is_same_v<B, SpanBackend>) return 3;
  if constexpr (std::is_same_v<B, MappedFileBackend>) return 4;
  return 5;
}

}  // namespace

TEMPLATE_TEST_CASE(
    "journal: 10,000 random writes, erases, clears and reopens match a std::map model",
    "[journal][model]", MEMVEC_ALL_BACKENDS) {
  const unsigned seed = model_seed(backend_salt<TestType>());
  INFO("seed " << seed << " (rerun with --rng-seed " << seed - backend_salt<TestType>() << ")");
  // SpanBackend: a fixed buffer of 7 pages (not a power of two) that the
  // run fills now and then; the other backends grow.
  JournalModelRun<TestType> run(seed, 7 * memvec::page_size());
  run.run();
  INFO("reopens " << run.count(op_reopen) << ", clears " << run.count(op_clear) << ", batches "
                  << run.count(op_set_many) + run.count(op_set_many_list) << ", full buffer "
                  << run.capacity_hits());
  CHECK(run.count(op_reopen) > 50);
  CHECK(run.count(op_clear) > 10);
  if constexpr (std::is_same_v<TestType, SpanBackend>) CHECK(run.capacity_hits() > 0);
}

// =============================================================================
// 4. Space, recovery, type checks, read-only, max_size, the write after a loss
// =============================================================================

TEMPLATE_TEST_CASE("journal: used_bytes, usage_ratio and the high-water flag reflect every write",
                   "[journal]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create(0);
  std::size_t expected = 0;
  for (int i = 0; i < 300; ++i) {
    const std::string k = "k" + std::to_string(i % 50);
    const Value v = std::string(static_cast<std::size_t>(i), 'u');
    j.set(k, v);
    expected += record_size(k, v);
    INFO("write " << i);
    REQUIRE(j.used_bytes() == expected);
    CHECK(j.capacity_bytes() >= j.used_bytes());
    CHECK(j.usage_ratio() ==
          static_cast<double>(expected) / static_cast<double>(j.capacity_bytes()));
    CHECK(j.high_water_mark_triggered() == (j.used_bytes() >= j.high_water_mark()));
    CHECK(j.high_water_mark() ==
          static_cast<std::size_t>(static_cast<std::uint64_t>(j.capacity_bytes()) * 800000 /
                                   1000000));
  }
  auto& r = h.reopen();
  CHECK(r.used_bytes() == expected);
}

TEMPLATE_TEST_CASE("journal: a clean reopen reports no loss and replays every record written",
                   "[journal]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  std::uint64_t records = 0;
  for (int i = 0; i < 100; ++i, ++records) j.set("k" + std::to_string(i % 7), i);
  for (int i = 0; i < 10; ++i, ++records) j.erase("k" + std::to_string(i));
  for (int i = 0; i < 10; ++i, ++records) j.set_many({{"a", i}, {"b", nullptr}});
  const Model m = contents(j);
  for (int round = 0; round < 3; ++round) {
    INFO("reopen " << round);
    auto& r = h.reopen();
    CHECK(r.recovery().loss == DataLoss::none);
    CHECK(r.recovery().records_replayed == records);
    CHECK(r.recovery().records_dropped == 0);
    CHECK(r.recovery().bytes_dropped == 0);
    CHECK(r.recovery().reason.empty());
    CHECK(diff(r, m) == "");
  }
}

TEMPLATE_TEST_CASE("journal: a MemVec that is not a journal is refused with errc::type_mismatch",
                   "[journal]", MEMVEC_PERSISTENT_BACKENDS) {
  using J = kv::KVJournal<TestType>;
  test::Factory<TestType> f;
  const auto check_refused = [&](auto make_vec) {
    {
      auto v = make_vec(f.make(0));
      v.resize(10);
    }
    const auto before = [&] {
      TestType b = f.reopen();
      return std::vector<std::byte>(std::as_const(b).data(), std::as_const(b).data() + b.size());
    }();
    CHECK(error_of([&] { (void)J::open(f.reopen()); }) == errc::type_mismatch);
    CHECK(error_of([&] { (void)J::open_or_create(f.reopen()); }) == errc::type_mismatch);
    TestType b = f.reopen();
    CHECK(std::equal(before.begin(), before.end(), std::as_const(b).data(),
                     std::as_const(b).data() + b.size()));
  };
  SECTION("MemVec<std::byte>") {
    check_refused(
        [](TestType b) { return memvec::MemVec<std::byte, TestType>::create(std::move(b)); });
  }
  SECTION("MemVec<std::uint64_t>") {
    check_refused(
        [](TestType b) { return memvec::MemVec<std::uint64_t, TestType>::create(std::move(b)); });
  }
  SECTION("and a journal is not a MemVec<std::byte>") {
    {
      auto j = J::create(f.make(0));
      j.set("a", 1);
    }
    CHECK(error_of([&] { (void)memvec::MemVec<std::byte, TestType>::open(f.reopen()); }) ==
          errc::type_mismatch);
  }
}

TEMPLATE_TEST_CASE(
    "journal: over a read-only file everything reads and every write throws errc::read_only",
    "[journal]", MEMVEC_FILE_BACKENDS) {
  using J = kv::KVJournal<TestType>;
  test::TempDir dir;
  const auto p = dir / "j.mvkv";
  Model m;
  std::size_t last_record = 0;
  {
    auto j = J::create(TestType::open(p, {.mode = OpenMode::create_new}));
    for (int i = 0; i < 100; ++i) {
      j.set("k" + std::to_string(i), Value::array({i, "x"}));
      m["k" + std::to_string(i)] = Value::array({i, "x"});
    }
    last_record = j.used_bytes();
    j.erase("k5");
    m.erase("k5");
    j.close();
  }
  const bool damaged = GENERATE(false, true);
  INFO("damaged last record: " << damaged);
  if (damaged) {
    // A writable journal would cut the damaged record on its first write; a
    // read-only one must refuse before touching anything.
    test::flip_byte(p, kDataOffset + last_record + kv::kRecordHeaderSize + 1);
    m["k5"] = Value::array({5, "x"});  // the erase was the damaged record
  }
  const auto d = test::digest(p);
  auto j = J::open(TestType::open(p, {.mode = OpenMode::read_only}));
  CHECK_FALSE(j.log().backend().writable());
  CHECK(j.recovery().loss == (damaged ? DataLoss::partial : DataLoss::none));
  CHECK(diff(j, m) == "");
  CHECK(j.get("k7") == Value::array({7, "x"}));
  CHECK(error_of([&] { j.set("new", 1); }) == errc::read_only);
  CHECK(error_of([&] { j.set("k1", 2); }) == errc::read_only);
  CHECK(error_of([&] { j.set("k1", nullptr); }) == errc::read_only);
  CHECK(error_of([&] { j.erase("k1"); }) == errc::read_only);
  CHECK(error_of([&] { j.set_many({{"a", 1}, {"k2", nullptr}}); }) == errc::read_only);
  CHECK(error_of([&] { j.set("big", std::string(1 << 20, 'x')); }) == errc::read_only);
  CHECK(error_of([&] { j.clear(); }) == errc::read_only);
  CHECK(diff(j, m) == "");
  j.sync();  // syncing nothing changed is fine
  j.close();
  CHECK(test::digest(p) == d);
}

TEMPLATE_TEST_CASE("journal: max_size caps growth, then capacity_exceeded with the contents intact",
                   "[journal]", MEMVEC_ALL_BACKENDS) {
  const std::size_t page = memvec::page_size();
  const std::size_t max_size = 16 * page;
  JournalOptions o;
  o.max_size = max_size;
  Harness<TestType> h;
  auto& j = h.create(page, o);
  REQUIRE(j.capacity_bytes() == page - kDataOffset);
  Model m;
  std::size_t grew = 0;
  std::size_t last_capacity = j.capacity_bytes();
  for (int i = 0;; ++i) {
    const std::string k = "key" + std::to_string(i);
    const Value v = Value::array({i, std::string(40, 'm')});
    const std::size_t used = j.used_bytes();
    const auto code = error_of([&] { j.set(k, v); });
    if (code) {
      REQUIRE(*code == errc::capacity_exceeded);
      CHECK(j.used_bytes() == used);
      CHECK(used + record_size(k, v) > max_size - kDataOffset);
      break;
    }
    m[k] = v;
    if (j.capacity_bytes() != last_capacity) ++grew;
    last_capacity = j.capacity_bytes();
    REQUIRE(j.log().backend().size() <= max_size);
  }
  CHECK(grew >= 2);  // it did grow, more than once, from one page
  CHECK(j.capacity_bytes() == max_size - kDataOffset);
  CHECK(j.log().backend().size() == max_size);
  CHECK(diff(j, m) == "");
  if constexpr (test::Factory<TestType>::file) CHECK(fs::file_size(h.path()) == max_size);
  // A batch does not fit either; a clear() makes room again.
  CHECK(error_of([&] {
          j.set_many({{"x", 1}, {"y", std::string(page, 'y')}});
        }) == errc::capacity_exceeded);
  CHECK(diff(j, m) == "");
  auto& r = h.reopen();
  CHECK(diff(r, m) == "");
  CHECK(r.recovery().loss == DataLoss::none);
  CHECK(error_of([&] { r.set("more", std::string(page, 'z')); }) == errc::capacity_exceeded);
  r.clear();
  r.set("more", std::string(page, 'z'));
  CHECK(r.capacity_bytes() == max_size - kDataOffset);
  auto& r2 = h.reopen();
  CHECK(diff(r2, {{"more", std::string(page, 'z')}}) == "");
}

TEMPLATE_TEST_CASE(
    "journal: after a lossy open the next write cuts the damaged tail and a reopen is clean",
    "[journal]", MEMVEC_ALL_BACKENDS) {
  const bool power_loss = GENERATE(false, true);
  INFO("power_loss durability: " << power_loss);
  JournalOptions o;
  if (power_loss) o.durability = memvec::Durability::power_loss;
  Harness<TestType> h;
  auto& j = h.create(0, o);
  j.set("a", 1);
  j.set("b", 2);
  const std::size_t c_off = j.used_bytes();
  j.set("c", "three");
  j.set("d", 4);
  const std::size_t end = j.used_bytes();
  h.close();
  h.damage_log(c_off + kv::kRecordHeaderSize + 3);
  const auto damaged = h.stored();

  // Opening and closing without a write changes nothing.
  {
    auto& r = h.open();
    CHECK(r.recovery().loss == DataLoss::partial);
    CHECK(diff(r, {{"a", 1}, {"b", 2}}) == "");
    h.close();
    CHECK(h.stored() == damaged);
  }
  auto& r = h.open();
  REQUIRE(r.recovery().loss == DataLoss::partial);
  REQUIRE(r.recovery().bytes_dropped == end - c_off);
  const std::uint64_t epoch = r.epoch();
  Model m{{"a", 1}, {"b", 2}};
  const auto first_write = GENERATE(as<std::string>{}, "set", "set_many", "erase");
  INFO("first write: " << first_write);
  if (first_write == "set") {
    r.set("new", "x");
    m["new"] = "x";
  } else if (first_write == "set_many") {
    r.set_many({{"new", "x"}, {"a", nullptr}});
    m["new"] = "x";
    m.erase("a");
  } else {
    r.erase("b");
    m.erase("b");
  }
  CHECK(diff(r, m) == "");
  CHECK(r.used_bytes() < end);
  // The surviving records are sealed with this epoch: the cut keeps it (a
  // new epoch would make them fail their checksums on the next open).
  CHECK(r.epoch() == epoch);
  // The damaged bytes past the new record are gone: nothing from the old
  // tail can ever be read again.
  const std::size_t written = r.used_bytes();
  h.close();
  const auto after = h.stored();
  CHECK(std::all_of(after.begin() + static_cast<std::ptrdiff_t>(kDataOffset + written),
                    after.begin() + static_cast<std::ptrdiff_t>(kDataOffset + end),
                    [](std::byte b) { return b == std::byte{0}; }));
  auto& again = h.open();
  CHECK(diff(again, m) == "");
  CHECK(again.recovery().loss == DataLoss::none);
  CHECK(again.recovery().records_replayed == 3);
  again.set("later", true);
  m["later"] = true;
  auto& last = h.reopen();
  CHECK(diff(last, m) == "");
  CHECK(last.recovery().loss == DataLoss::none);
}

TEMPLATE_TEST_CASE("journal: after a total loss the next write starts over and a reopen is clean",
                   "[journal]", MEMVEC_ALL_BACKENDS) {
  Harness<TestType> h;
  auto& j = h.create();
  j.set("a", 1);
  j.set("b", 2);
  h.close();
  h.damage_log(2);
  auto& r = h.open();
  REQUIRE(r.recovery().loss == DataLoss::total);
  CHECK(diff(r, {}) == "");
  r.set("fresh", 1);
  auto& again = h.reopen();
  CHECK(diff(again, {{"fresh", 1}}) == "");
  CHECK(again.recovery().loss == DataLoss::none);
  CHECK(again.recovery().records_replayed == 1);
}

TEST_CASE("journal: clear() at the last 48-bit epoch wraps it and loses nothing (found by "
          "fuzz_journal_open)") {
  alignas(8) std::byte buf[8192] = {};
  (void)kv::KVJournal<memvec::SpanBackend>::create(memvec::SpanBackend(buf));
  {
    auto log = memvec::MemVec<std::byte, memvec::SpanBackend, kv::kJournalTypeTag>::open(
        memvec::SpanBackend(buf));
    log.set_user_word(memvec::kMaxWordValue);  // what random_epoch() may pick
  }
  auto j = kv::KVJournal<memvec::SpanBackend>::open(memvec::SpanBackend(buf));
  j.set("a", 1);
  REQUIRE_NOTHROW(j.clear());
  CHECK(j.empty());
  CHECK(j.epoch() == 1);
  j.set("b", 2);
  auto r = kv::KVJournal<memvec::SpanBackend>::open(memvec::SpanBackend(buf));
  CHECK(r.recovery().loss == DataLoss::none);
  CHECK(r.size() == 1);
  CHECK(r.get("b") == Value(2));
  CHECK_FALSE(r.contains("a"));
}
