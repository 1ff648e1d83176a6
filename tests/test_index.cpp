// The journal's in-memory index: an open-addressing table with the read
// interface of std::unordered_map, checked against std::unordered_map itself.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "memvec/kv/index.hpp"

using memvec::kv::Index;
using memvec::kv::Value;

namespace {

using Model = std::unordered_map<std::string, Value>;

// "" when the index holds exactly the model, else the first difference.
std::string diff(const Index& index, const Model& model) {
  if (index.size() != model.size())
    return "size " + std::to_string(index.size()) + " != " + std::to_string(model.size());
  std::set<std::string> seen;
  for (const auto& [k, v] : index) {
    if (!seen.insert(k).second) return "iteration visits " + k + " twice";
    const auto it = model.find(k);
    if (it == model.end()) return "extra key " + k;
    if (!(it->second == v)) return "wrong value at " + k;
  }
  for (const auto& [k, v] : model) {
    const Value* got = index.contains(k) ? &index.at(k) : nullptr;
    if (got == nullptr || !(*got == v) || index.count(k) != 1) return "lookup misses " + k;
    if (&index.find(k)->second != got) return "find and at disagree at " + k;
  }
  return "";
}

}  // namespace

TEST_CASE("index: 200,000 random inserts, overwrites and erases match std::unordered_map") {
  // A small key space makes long probe runs, many erases inside them (the
  // backward shift) and many overwrites; the checks run every 1,000 steps.
  for (const std::size_t keyspace : {40u, 3000u}) {
    INFO("keyspace " << keyspace);
    std::mt19937_64 rng(keyspace);
    Index index;
    Model model;
    for (int step = 0; step < 100'000; ++step) {
      const std::string key = "k" + std::to_string(rng() % keyspace);
      const Value value(static_cast<std::int64_t>(rng() % 1000));
      switch (rng() % 5) {
        case 0:
        case 1: {
          const auto [it, inserted] = index.insert_or_assign(key, value);
          CHECK(inserted == (model.count(key) == 0));
          CHECK(it->first == key);
          model.insert_or_assign(key, value);
          break;
        }
        case 2: {
          const bool absent = model.count(key) == 0;
          CHECK(index.try_emplace(key, value).second == absent);
          model.try_emplace(key, value);
          break;
        }
        default:
          CHECK(index.erase(key) == model.erase(key));
      }
      if (step % 1000 == 999) REQUIRE(diff(index, model) == "");
    }
    REQUIRE(diff(index, model) == "");
  }
}

TEST_CASE("index: a value keeps its address while other keys come, go and the table grows") {
  Index index;
  index["a"] = Value("kept");
  const Value* a = &index.at("a");
  for (int i = 0; i < 50'000; ++i) index.insert_or_assign("k" + std::to_string(i), Value(i));
  for (int i = 0; i < 50'000; i += 2) index.erase("k" + std::to_string(i));
  for (int i = 0; i < 10'000; ++i) index.insert_or_assign("n" + std::to_string(i), Value(i));
  CHECK(&index.at("a") == a);
  CHECK(*a == Value("kept"));
  CHECK(index.size() == 1 + 25'000 + 10'000);
}

TEST_CASE("index: copies are deep and equal, moves leave an empty index, == compares contents") {
  Index a{{"x", Value(1)}, {"y", Value("two")}, {"", Value::array({Value(3)})}};
  Index b = a;
  CHECK(a == b);
  CHECK(&a.at("x") != &b.at("x"));
  b["x"] = Value(9);
  CHECK_FALSE(a == b);
  CHECK(a.at("x") == Value(1));
  b = a;
  CHECK(a == b);
  b.erase("y");
  CHECK_FALSE(a == b);  // sizes differ
  b["z"] = Value("two");
  CHECK_FALSE(a == b);  // same size, another key

  Index c = std::move(a);
  CHECK(c.size() == 3);
  CHECK(a.empty());  // NOLINT: moved-from is specified empty
  CHECK(a.begin() == a.end());
  a["again"] = Value(true);  // and usable
  CHECK(a.size() == 1);
}

TEST_CASE("index: 150,000 keys of 0 to 44 bytes, in big blocks, grown under expect_more()") {
  // Every key length takes its own path through hash() (0, 1-3, 4-7, 8-16,
  // 17-32, longer), bytes >= 0x80 included; past 128 Ki slots and 32 Ki
  // nodes the memory comes from mmap in whole huge pages.
  const auto key_of = [](int i) {
    const auto n = static_cast<std::size_t>(i);
    return i == 0 ? "" : std::string(n % 3, '\xff') + std::to_string(i) + std::string(n % 37, 'x');
  };
  Index index;
  Model model;
  index.expect_more(150'000);
  for (int i = 0; i < 150'000; ++i) {
    index.insert_or_assign(key_of(i), Value(i));
    model.insert_or_assign(key_of(i), Value(i));
  }
  index.expect_more(0);
  for (int i = 0; i < 150'000; i += 3) {
    CHECK(index.erase(key_of(i)) == 1);
    model.erase(key_of(i));
  }
  REQUIRE(diff(index, model) == "");
  const Index copy = index;
  CHECK(copy == index);
  REQUIRE(diff(copy, model) == "");
}

TEST_CASE("index: at() throws std::out_of_range for a missing key; find() gives end()") {
  Index index{{"here", Value(1)}};
  CHECK_THROWS_AS(index.at("there"), std::out_of_range);
  CHECK(index.find("there") == index.end());
  CHECK(std::as_const(index).find("there") == std::as_const(index).end());
  CHECK(Index{}.find("") == Index{}.end());
}

TEST_CASE("index: clear() empties it and it fills again; erased nodes are reused") {
  Index index;
  for (int i = 0; i < 1000; ++i) index["k" + std::to_string(i)] = Value(i);
  index.clear();
  CHECK(index.empty());
  CHECK(index.begin() == index.end());
  CHECK_FALSE(index.contains("k1"));
  index["k1"] = Value(1);
  const Value* first = &index.at("k1");
  index.erase("k1");
  index["k2"] = Value(2);
  CHECK(&index.at("k2") == first);  // the erased node's room, not a new one
  CHECK(index.size() == 1);
}

TEST_CASE("index: reserve() keeps contents and lookups; keys differing only after a NUL differ") {
  Index index;
  const std::string a("a\0b", 3), b("a\0c", 3);
  index[a] = Value(1);
  index[b] = Value(2);
  index.reserve(100'000);
  CHECK(index.at(a) == Value(1));
  CHECK(index.at(b) == Value(2));
  CHECK_FALSE(index.contains("a"));
  CHECK(index.size() == 2);
}

// A table filled by iterating another meets its keys in the source's slot
// order. With one hash for all tables, the first n keys of that order all
// have homes in the first n/N of the growing table: one probe run as long as
// the table, every insert walking it (a compacted store of 1M keys took 77 s
// to reopen). Each table's own seed keeps every run short all along.
TEST_CASE("index: filling one index in another's iteration order keeps probe runs short") {
  constexpr int kKeys = 200'000;
  Index source;
  for (int i = 0; i < kKeys; ++i) source.insert_or_assign("key-" + std::to_string(i), Value(i));
  CHECK(source.max_probe() < 64);
  for (int round = 0; round < 2; ++round) {
    Index copy;  // grows step by step, as a replay does
    std::size_t worst = 0;
    int n = 0;
    for (const auto& [k, v] : source) {
      copy.insert_or_assign(k, v);
      if (++n % 10'000 == 0) worst = std::max(worst, copy.max_probe());
    }
    REQUIRE(copy == source);
    CHECK(worst < 500);  // ~100 at 3/4 load; one seed for all: ~31,000
    source = std::move(copy);  // and the copy's order into a third
  }
}
