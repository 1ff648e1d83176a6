// MemVec<T, B>: the std::vector surface (DESIGN §2) over every backend, then
// what a vector adds to it: alignment, type tags, read-only files, the user
// area and power-loss durability.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <list>
#include <numeric>
#include <optional>
#include <ranges>
#include <span>
#include <sstream>
#include <system_error>
#include <vector>

#include "backend_factory.hpp"
#include "memvec/memvec.hpp"
#include "support.hpp"

// clang before 16 cannot instantiate the range adaptors of libstdc++ 12
// (view_interface trips its concept checks, for std::vector too): the
// std::views part of the ranges test is compiled where the toolchain can.
#if defined(__clang__) && defined(__GLIBCXX__) && __clang_major__ < 16
#define MEMVEC_TEST_STD_VIEWS 0
#else
#define MEMVEC_TEST_STD_VIEWS 1
#endif

namespace {

using memvec::errc;
using test::error_of;
using U64 = std::uint64_t;

template <class T, class B>
memvec::MemVec<T, B> fresh(test::Factory<B>& f, memvec::VecOptions options = {}) {
  return memvec::MemVec<T, B>::create(f.make(0), options);
}

template <class V>
std::vector<typename V::value_type> to_std(const V& v) {
  return {v.begin(), v.end()};
}

std::vector<U64> iota_vec(std::size_t n, U64 first = 0) {
  std::vector<U64> out(n);
  std::iota(out.begin(), out.end(), first);
  return out;
}

// Pushes until size() == capacity(): the next growing call must move data().
template <class V>
void fill_to_capacity(V& v, U64 first = 0) {
  while (v.size() < v.capacity()) v.push_back(first + v.size());
}

struct Point {
  std::int32_t x = 0;
  std::int32_t y = 0;
  Point() = default;
  Point(std::int32_t x_, std::int32_t y_) : x(x_), y(y_) {}
  bool operator==(const Point&) const = default;
};

struct alignas(64) Wide {
  U64 id;
  std::uint32_t small;
};
static_assert(sizeof(Wide) == 64 && alignof(Wide) == 64);

struct alignas(512) Huge {
  U64 id;
};

#pragma pack(push, 1)
struct Packed41 {
  std::uint8_t kind;
  U64 id;
  std::int32_t delta;
  char name[28];
};
#pragma pack(pop)
static_assert(sizeof(Packed41) == 41 && alignof(Packed41) == 1);

Packed41 packed(U64 i) {
  Packed41 r{};
  r.kind = static_cast<std::uint8_t>(i % 251);
  r.id = i * 0x9E3779B97F4A7C15ull;
  r.delta = -static_cast<std::int32_t>(i);
  for (std::size_t k = 0; k < sizeof r.name; ++k) r.name[k] = static_cast<char>('a' + (i + k) % 26);
  return r;
}

struct TaggedA {
  U64 value;
  static constexpr U64 memvec_type_tag = 0xA11CE;
};
struct TaggedB {
  U64 value;
  static constexpr U64 memvec_type_tag = 0xB0B;
};
static_assert(sizeof(TaggedA) == sizeof(TaggedB) && alignof(TaggedA) == alignof(TaggedB));

// A snapshot of the bytes a persistent backend holds, to prove "unchanged".
template <class B>
std::vector<std::byte> bytes_of(const test::Factory<B>& f) {
  if constexpr (test::Factory<B>::file) {
    return test::read_file(f.path());
  } else {
    const auto s = f.buffer();
    return {s.begin(), s.end()};
  }
}

}  // namespace

// --- size, capacity, access ----------------------------------------------------

TEMPLATE_TEST_CASE("mem_vec: a new vector is empty and has room", "[mem_vec]",
                   MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = fresh<U64>(f);
  CHECK(v.size() == 0);
  CHECK(v.empty());
  CHECK(v.capacity() > 0);
  CHECK(v.begin() == v.end());
  CHECK(v.span().empty());
  CHECK(v.max_size() >= v.capacity());
}

TEMPLATE_TEST_CASE("mem_vec: operator[], at, front, back and data read and write the elements",
                   "[mem_vec]", MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = fresh<U64>(f);
  for (U64 i = 0; i < 10; ++i) v.push_back(i * 10);
  REQUIRE(v.size() == 10);
  CHECK_FALSE(v.empty());
  CHECK(v[3] == 30);
  CHECK(v.at(3) == 30);
  CHECK(v.front() == 0);
  CHECK(v.back() == 90);
  CHECK(v.data()[7] == 70);
  CHECK(&v[0] == v.data());
  CHECK(&v.back() == v.data() + 9);

  v[3] = 33;
  v.at(4) = 44;
  v.front() = 1;
  v.back() = 99;
  v.data()[5] = 55;
  const auto& cv = v;
  CHECK(cv[3] == 33);
  CHECK(cv.at(4) == 44);
  CHECK(cv.front() == 1);
  CHECK(cv.back() == 99);
  CHECK(cv.data()[5] == 55);
  CHECK(to_std(v) == std::vector<U64>{1, 10, 20, 33, 44, 55, 60, 70, 80, 99});
}

TEMPLATE_TEST_CASE("mem_vec: at past the end throws out_of_range", "[mem_vec]",
                   MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = fresh<U64>(f);
  CHECK(error_of([&] { (void)v.at(0); }) == errc::out_of_range);
  v.push_back(1);
  v.push_back(2);
  CHECK(error_of([&] { (void)v.at(2); }) == errc::out_of_range);
  CHECK(error_of([&] { (void)std::as_const(v).at(2); }) == errc::out_of_range);
  CHECK(error_of([&] { (void)v.at(static_cast<std::size_t>(-1)); }) == errc::out_of_range);
  // It is a std::system_error whose code() compares equal to the errc.
  try {
    (void)v.at(5);
    FAIL("at(5) did not throw");
  } catch (const std::system_error& e) {
    CHECK(e.code() == memvec::errc::out_of_range);
    CHECK(e.code() != memvec::errc::read_only);
  }
  CHECK(v.size() == 2);
}

// --- iterators, algorithms, ranges, span ----------------------------------------

static_assert(std::contiguous_iterator<memvec::MemVec<U64>::iterator>);
static_assert(std::contiguous_iterator<memvec::MemVec<U64>::const_iterator>);
static_assert(std::ranges::contiguous_range<memvec::MemVec<U64>>);
static_assert(std::ranges::contiguous_range<const memvec::MemVec<U64>>);
static_assert(std::ranges::sized_range<memvec::MemVec<U64, memvec::FileBackend>>);
static_assert(std::ranges::contiguous_range<memvec::MemVec<Packed41, test::HeapBackend>>);

TEMPLATE_TEST_CASE("mem_vec: iterators work with the <algorithm> and <numeric> algorithms",
                   "[mem_vec]", MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = fresh<U64>(f);
  std::vector<U64> model;
  for (U64 i = 0; i < 2000; ++i) {
    const U64 x = (i * 7919) % 2003;  // a permutation of distinct values
    v.push_back(x);
    model.push_back(x);
  }
  CHECK(static_cast<std::size_t>(std::distance(v.begin(), v.end())) == v.size());
  CHECK(std::accumulate(v.begin(), v.end(), U64{0}) ==
        std::accumulate(model.begin(), model.end(), U64{0}));
  CHECK(std::find(v.begin(), v.end(), model[1234]) == v.begin() + 1234);
  CHECK(std::find(v.begin(), v.end(), U64{999999}) == v.end());

  std::sort(v.begin(), v.end());
  std::sort(model.begin(), model.end());
  CHECK(std::is_sorted(v.cbegin(), v.cend()));
  CHECK(to_std(v) == model);
  CHECK(std::binary_search(v.begin(), v.end(), model[500]));

  std::vector<U64> reversed(v.rbegin(), v.rend());
  CHECK(std::equal(reversed.begin(), reversed.end(), model.rbegin()));
}

TEMPLATE_TEST_CASE("mem_vec: it is a std::ranges contiguous range", "[mem_vec]",
                   MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = fresh<U64>(f);
  for (U64 i = 0; i < 500; ++i) v.push_back((i * 37) % 500);
  std::ranges::sort(v, std::greater<>{});
  CHECK(std::ranges::is_sorted(v, std::greater<>{}));
  CHECK(v.front() == 499);
  CHECK(v.back() == 0);
  CHECK(std::ranges::data(v) == v.data());
  CHECK(std::ranges::size(v) == 500);

  CHECK(std::ranges::find(v, U64{250}) != v.end());
  CHECK(std::ranges::count_if(v, [](U64 x) { return x % 2 == 0; }) == 250);

#if MEMVEC_TEST_STD_VIEWS
  auto evens = v | std::views::filter([](U64 x) { return x % 2 == 0; });
  std::vector<U64> got(evens.begin(), evens.end());
  CHECK(got.size() == 250);
  CHECK(std::ranges::all_of(got, [](U64 x) { return x % 2 == 0; }));
  CHECK(got.front() == 498);
  auto doubled =
      std::as_const(v) | std::views::take(3) | std::views::transform([](U64 x) { return 2 * x; });
  CHECK(std::vector<U64>(doubled.begin(), doubled.end()) == std::vector<U64>{998, 996, 994});
#endif
}

namespace {
U64 sum_of(std::span<const U64> s) { return std::accumulate(s.begin(), s.end(), U64{0}); }
void bump(std::span<U64> s) {
  for (U64& x : s) ++x;
}
}  // namespace

TEMPLATE_TEST_CASE("mem_vec: converts to std::span over the same elements", "[mem_vec]",
                   MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = fresh<U64>(f);
  for (U64 i = 1; i <= 100; ++i) v.push_back(i);
  std::span<U64> s = v;
  CHECK(s.data() == v.data());
  CHECK(s.size() == v.size());
  s[0] = 1000;  // writes through the span are the vector's
  CHECK(v[0] == 1000);
  v[0] = 1;

  const auto& cv = v;
  std::span<const U64> cs = cv;
  CHECK(cs.data() == v.data());
  CHECK(cs.size() == 100);
  CHECK(sum_of(v) == 5050);  // implicit conversion at a call
  bump(v);
  CHECK(sum_of(v.span()) == 5150);
  CHECK(std::as_const(v).span().size() == 100);
}

// --- push_back, emplace_back, pop_back ---------------------------------------------

TEMPLATE_TEST_CASE("mem_vec: push_back and emplace_back append across growth", "[mem_vec]",
                   MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = fresh<U64>(f);
  const std::size_t first_capacity = v.capacity();
  for (U64 i = 0; i < 3 * first_capacity; ++i) {
    if (i % 2)
      v.push_back(i);
    else
      CHECK(v.emplace_back(i) == i);
  }
  CHECK(v.capacity() >= 3 * first_capacity);
  CHECK(to_std(v) == iota_vec(3 * first_capacity));

  auto points = fresh<Point>(f);
  Point& p = points.emplace_back(3, -4);
  CHECK(p == Point{3, -4});
  CHECK(&p == &points.back());
  points.emplace_back();
  CHECK(points.back() == Point{0, 0});
  points.push_back({7, 8});
  CHECK(points.size() == 3);
  CHECK(points[2] == Point{7, 8});
}

TEMPLATE_TEST_CASE("mem_vec: pop_back removes the last element and throws out_of_range when empty",
                   "[mem_vec]", MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = fresh<U64>(f);
  CHECK(error_of([&] { v.pop_back(); }) == errc::out_of_range);
  v.push_back(1);
  v.push_back(2);
  v.pop_back();
  CHECK(to_std(v) == std::vector<U64>{1});
  v.pop_back();
  CHECK(v.empty());
  CHECK(error_of([&] { v.pop_back(); }) == errc::out_of_range);
  CHECK(v.size() == 0);
  v.push_back(3);
  CHECK(to_std(v) == std::vector<U64>{3});
}

TEMPLATE_TEST_CASE(
    "mem_vec: push_back and emplace_back of an element of the vector itself "
    "survive growth",
    "[mem_vec]", MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = fresh<U64>(f);
  fill_to_capacity(v, 100);
  std::vector<U64> model = to_std(v);
  const std::size_t cap = v.capacity();

  v.push_back(v[0]);  // the argument lives in the storage that grows
  model.push_back(model[0]);
  CHECK(v.capacity() > cap);
  CHECK(to_std(v) == model);

  fill_to_capacity(v, 7);
  model = to_std(v);
  v.emplace_back(v[1]);
  model.push_back(model[1]);
  CHECK(to_std(v) == model);

  fill_to_capacity(v, 9);
  model = to_std(v);
  v.emplace_back(v.back());
  model.push_back(model.back());
  CHECK(to_std(v) == model);
}

// --- insert ---------------------------------------------------------------------------

TEMPLATE_TEST_CASE("mem_vec: insert of one value at the beginning, middle and end", "[mem_vec]",
                   MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = fresh<U64>(f);
  v.assign({1, 2, 3});
  auto it = v.insert(v.begin(), U64{0});
  CHECK(it == v.begin());
  it = v.insert(v.begin() + 2, U64{15});
  CHECK(it == v.begin() + 2);
  CHECK(*it == 15);
  it = v.insert(v.end(), U64{4});
  CHECK(it == v.end() - 1);
  it = v.insert(v.cend(), U64{5});
  CHECK(*it == 5);
  CHECK(to_std(v) == std::vector<U64>{0, 1, 15, 2, 3, 4, 5});
}

TEMPLATE_TEST_CASE("mem_vec: insert of a count of copies", "[mem_vec]", MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = fresh<U64>(f);
  v.assign({1, 2});
  auto it = v.insert(v.begin() + 1, 3, U64{9});
  CHECK(it == v.begin() + 1);
  CHECK(to_std(v) == std::vector<U64>{1, 9, 9, 9, 2});
  it = v.insert(v.begin() + 2, 0, U64{7});  // zero copies: a no-op
  CHECK(it == v.begin() + 2);
  CHECK(to_std(v) == std::vector<U64>{1, 9, 9, 9, 2});
  v.insert(v.end(), 2, U64{5});
  v.insert(v.begin(), 1, U64{0});
  CHECK(to_std(v) == std::vector<U64>{0, 1, 9, 9, 9, 2, 5, 5});

  // Many copies in the middle, across growth.
  std::vector<U64> model = to_std(v);
  const std::size_t n = 3 * v.capacity();
  v.insert(v.begin() + 4, n, U64{42});
  model.insert(model.begin() + 4, n, U64{42});
  CHECK(to_std(v) == model);
}

TEMPLATE_TEST_CASE(
    "mem_vec: insert of a range from containers, input streams and an "
    "initializer_list",
    "[mem_vec]", MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = fresh<U64>(f);
  std::vector<U64> model;

  const std::vector<U64> vec{10, 11, 12};
  auto it = v.insert(v.end(), vec.begin(), vec.end());
  model.insert(model.end(), vec.begin(), vec.end());
  CHECK(it == v.begin());

  const std::list<U64> lst{20, 21};  // forward, not contiguous
  it = v.insert(v.begin() + 1, lst.begin(), lst.end());
  model.insert(model.begin() + 1, lst.begin(), lst.end());
  CHECK(it == v.begin() + 1);
  CHECK(*it == 20);

  std::istringstream in("30 31 32 33");  // single-pass
  v.insert(v.begin(), std::istream_iterator<U64>(in), std::istream_iterator<U64>());
  model.insert(model.begin(), {30, 31, 32, 33});

  it = v.insert(v.begin() + 3, {40, 41});
  model.insert(model.begin() + 3, {40, 41});
  CHECK(*it == 40);

  it = v.insert(v.begin() + 2, vec.begin(), vec.begin());  // empty range
  CHECK(it == v.begin() + 2);
  CHECK(to_std(v) == model);

  // A range bigger than the capacity, in the middle.
  const auto many = iota_vec(3 * v.capacity(), 1000);
  v.insert(v.begin() + 5, many.begin(), many.end());
  model.insert(model.begin() + 5, many.begin(), many.end());
  CHECK(to_std(v) == model);
}

TEMPLATE_TEST_CASE("mem_vec: insert of an element of the vector itself survives growth",
                   "[mem_vec]", MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = fresh<U64>(f);
  fill_to_capacity(v, 500);
  std::vector<U64> model = to_std(v);
  const std::size_t cap = v.capacity();

  v.insert(v.begin(), v.back());  // grows, and shifts the value's own slot
  model.insert(model.begin(), model.back());
  CHECK(v.capacity() > cap);
  CHECK(to_std(v) == model);

  fill_to_capacity(v, 3);
  model = to_std(v);
  v.insert(v.begin() + 10, 5, v[11]);  // count form, growth, value inside the shifted tail
  model.insert(model.begin() + 10, 5, U64{model[11]});
  CHECK(to_std(v) == model);

  // Without growth: the value sits after the insertion point and gets shifted.
  v.reserve(v.size() + 10);
  model = to_std(v);
  v.insert(v.begin() + 1, v[2]);
  model.insert(model.begin() + 1, U64{model[2]});
  CHECK(to_std(v) == model);
}

TEMPLATE_TEST_CASE("mem_vec: insert of a range from the vector itself survives growth", "[mem_vec]",
                   MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = fresh<U64>(f);
  fill_to_capacity(v, 1);
  std::vector<U64> model = to_std(v);
  const std::size_t cap = v.capacity();

  // The whole vector into its own middle: the source moves and is shifted.
  v.insert(v.begin() + 3, v.begin(), v.end());
  {
    const std::vector<U64> copy = model;
    model.insert(model.begin() + 3, copy.begin(), copy.end());
  }
  CHECK(v.capacity() > cap);
  CHECK(to_std(v) == model);

  // A sub-range after the insertion point, without growth.
  v.reserve(v.size() + 100);
  model = to_std(v);
  v.insert(v.begin() + 2, v.begin() + 10, v.begin() + 60);
  {
    const std::vector<U64> copy(model.begin() + 10, model.begin() + 60);
    model.insert(model.begin() + 2, copy.begin(), copy.end());
  }
  CHECK(to_std(v) == model);

  // Reverse iterators into the vector (random access, not contiguous), across growth.
  fill_to_capacity(v, 77);
  model = to_std(v);
  v.insert(v.begin() + 1, v.rbegin(), v.rbegin() + 20);
  {
    const std::vector<U64> copy(model.rbegin(), model.rbegin() + 20);
    model.insert(model.begin() + 1, copy.begin(), copy.end());
  }
  CHECK(to_std(v) == model);

  // append of a span of the vector itself, across growth.
  fill_to_capacity(v, 5);
  model = to_std(v);
  v.append(v.span().first(30));
  model.insert(model.end(), model.begin(), model.begin() + 30);
  CHECK(to_std(v) == model);
}

// --- erase ------------------------------------------------------------------------------

TEMPLATE_TEST_CASE("mem_vec: erase of one element and of a range returns the next position",
                   "[mem_vec]", MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = fresh<U64>(f);
  v.assign({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  const U64* where = v.data();

  auto it = v.erase(v.begin());
  CHECK(it == v.begin());
  CHECK(*it == 1);
  it = v.erase(v.begin() + 3);  // erases 4
  CHECK(*it == 5);
  it = v.erase(v.end() - 1);
  CHECK(it == v.end());
  CHECK(to_std(v) == std::vector<U64>{1, 2, 3, 5, 6, 7, 8});

  it = v.erase(v.begin() + 1, v.begin() + 3);
  CHECK(*it == 5);
  CHECK(to_std(v) == std::vector<U64>{1, 5, 6, 7, 8});
  it = v.erase(v.begin() + 2, v.begin() + 2);  // empty range: a no-op
  CHECK(it == v.begin() + 2);
  it = v.erase(v.begin() + 3, v.end());
  CHECK(it == v.end());
  CHECK(to_std(v) == std::vector<U64>{1, 5, 6});
  CHECK(v.data() == where);  // erase never moves data()
  v.erase(v.begin(), v.end());
  CHECK(v.empty());
}

// --- resize, reserve, shrink_to_fit, clear ----------------------------------------------

TEMPLATE_TEST_CASE("mem_vec: resize up fills with the value or zero, resize down truncates",
                   "[mem_vec]", MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = fresh<U64>(f);
  v.assign({1, 2, 3});
  v.resize(5, 7);
  CHECK(to_std(v) == std::vector<U64>{1, 2, 3, 7, 7});
  v.resize(2);
  CHECK(to_std(v) == std::vector<U64>{1, 2});
  v.resize(4);  // value-initialized
  CHECK(to_std(v) == std::vector<U64>{1, 2, 0, 0});
  v.resize(4, 9);  // same size: nothing changes
  CHECK(to_std(v) == std::vector<U64>{1, 2, 0, 0});

  const std::size_t n = 5 * v.capacity();  // across growth, the value from the vector itself
  v.resize(n, v[1]);
  REQUIRE(v.size() == n);
  CHECK(v[3] == 0);
  CHECK(std::all_of(v.begin() + 4, v.end(), [](U64 x) { return x == 2; }));
  v.resize(0);
  CHECK(v.empty());

  // Elements cut by a resize down come back as the fill value, not as stale data.
  v.assign({5, 6, 7, 8});
  v.resize(1);
  v.resize(4);
  CHECK(to_std(v) == std::vector<U64>{5, 0, 0, 0});
}

TEMPLATE_TEST_CASE("mem_vec: reserve raises capacity without changing size or elements",
                   "[mem_vec]", MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = fresh<U64>(f);
  v.assign({4, 5, 6});
  const std::size_t n = 10 * v.capacity() + 3;
  v.reserve(n);
  CHECK(v.capacity() >= n);
  CHECK(to_std(v) == std::vector<U64>{4, 5, 6});

  // Up to capacity, nothing moves.
  const std::size_t cap = v.capacity();
  const U64* where = v.data();
  while (v.size() < cap) v.push_back(v.size());
  CHECK(v.data() == where);
  CHECK(v.capacity() == cap);

  v.reserve(1);  // smaller than capacity: a no-op
  CHECK(v.capacity() == cap);
  CHECK(v.data() == where);
  CHECK(v.size() == cap);
}

TEMPLATE_TEST_CASE("mem_vec: shrink_to_fit gives back room and keeps the elements", "[mem_vec]",
                   MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = fresh<U64>(f);
  for (U64 i = 0; i < 1000; ++i) v.push_back(i);
  v.reserve(100000);
  const std::size_t backend_before = v.backend().size();
  v.shrink_to_fit();
  CHECK(v.capacity() >= v.size());
  CHECK(v.capacity() < 100000);
  CHECK(v.backend().size() < backend_before);
  CHECK(to_std(v) == iota_vec(1000));

  v.clear();
  v.shrink_to_fit();
  CHECK(v.capacity() < 1000);
  CHECK(v.empty());
  v.push_back(3);  // usable afterwards, growth included
  for (U64 i = 0; i < 5000; ++i) v.push_back(i);
  CHECK(v.size() == 5001);
  CHECK(v[0] == 3);
  CHECK(v.back() == 4999);
}

TEMPLATE_TEST_CASE("mem_vec: clear empties the vector and keeps its capacity", "[mem_vec]",
                   MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = fresh<U64>(f);
  for (U64 i = 0; i < 2000; ++i) v.push_back(i);
  const std::size_t cap = v.capacity();
  const U64* where = v.data();
  v.clear();
  CHECK(v.empty());
  CHECK(v.size() == 0);
  CHECK(v.capacity() == cap);
  CHECK(v.data() == where);
  CHECK(v.begin() == v.end());
  v.push_back(8);
  CHECK(to_std(v) == std::vector<U64>{8});
}

// --- assign, append ---------------------------------------------------------------------

TEMPLATE_TEST_CASE(
    "mem_vec: assign of a count, a range and an initializer_list replaces the "
    "contents",
    "[mem_vec]", MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = fresh<U64>(f);
  v.assign({1, 2, 3, 4});
  CHECK(to_std(v) == std::vector<U64>{1, 2, 3, 4});
  v.assign(2, U64{8});
  CHECK(to_std(v) == std::vector<U64>{8, 8});
  const std::list<U64> lst{5, 6, 7};
  v.assign(lst.begin(), lst.end());
  CHECK(to_std(v) == std::vector<U64>{5, 6, 7});
  std::istringstream in("9 10");
  v.assign(std::istream_iterator<U64>(in), std::istream_iterator<U64>());
  CHECK(to_std(v) == std::vector<U64>{9, 10});
  v.assign({});
  CHECK(v.empty());

  // Larger than the capacity.
  const auto big = iota_vec(4 * v.capacity(), 3);
  v.assign(big.begin(), big.end());
  CHECK(to_std(v) == big);
  const std::size_t n = 2 * v.capacity();
  v.assign(n, v[5]);  // the value lives in the vector, which grows
  CHECK(v.size() == n);
  CHECK(std::all_of(v.begin(), v.end(), [](U64 x) { return x == 8; }));

  // From a sub-range of the vector itself.
  v.assign({0, 1, 2, 3, 4, 5});
  v.assign(v.begin() + 2, v.begin() + 5);
  CHECK(to_std(v) == std::vector<U64>{2, 3, 4});
}

TEMPLATE_TEST_CASE("mem_vec: append of a span adds the elements at the end", "[mem_vec]",
                   MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = fresh<U64>(f);
  const std::vector<U64> a{1, 2, 3};
  v.append(a);
  v.append(std::span<const U64>{});
  const U64 raw[] = {4, 5};
  v.append(raw);
  CHECK(to_std(v) == std::vector<U64>{1, 2, 3, 4, 5});
  const auto big = iota_vec(3 * v.capacity(), 6);
  v.append(big);
  CHECK(v.size() == 5 + big.size());
  CHECK(to_std(v) == iota_vec(5 + big.size(), 1));
}

// --- alignment and odd-sized records ----------------------------------------------------

TEMPLATE_TEST_CASE(
    "mem_vec: an alignas(64) element type is aligned on every backend and "
    "after growth",
    "[mem_vec][align]", MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = fresh<Wide>(f);
  CHECK(reinterpret_cast<std::uintptr_t>(v.data()) % 64 == 0);
  const std::size_t n = 3 * v.capacity() + 1;
  for (U64 i = 0; i < n; ++i) v.push_back(Wide{i, static_cast<std::uint32_t>(i)});
  CHECK(reinterpret_cast<std::uintptr_t>(v.data()) % 64 == 0);
  CHECK(v[100].id == 100);

  auto h = fresh<Huge>(f);  // past the header size: elements start at 512
  CHECK(reinterpret_cast<std::uintptr_t>(h.data()) % 512 == 0);
  for (U64 i = 0; i < 100; ++i) h.push_back(Huge{i});
  CHECK(reinterpret_cast<std::uintptr_t>(h.data()) % 512 == 0);
  CHECK(h[99].id == 99);
}

TEMPLATE_TEST_CASE("mem_vec: over-aligned elements stay aligned and intact after reopen",
                   "[mem_vec][align]", MEMVEC_PERSISTENT_BACKENDS) {
  test::Factory<TestType> f;
  {
    auto v = fresh<Wide>(f);
    for (U64 i = 0; i < 500; ++i) v.push_back(Wide{i, static_cast<std::uint32_t>(i * 3)});
  }
  auto v = memvec::MemVec<Wide, TestType>::open(f.reopen());
  CHECK(reinterpret_cast<std::uintptr_t>(v.data()) % 64 == 0);
  REQUIRE(v.size() == 500);
  bool ok = true;
  for (U64 i = 0; i < 500; ++i) ok = ok && v[i].id == i && v[i].small == i * 3;
  CHECK(ok);
}

TEST_CASE("mem_vec: a span not aligned for the element type is refused with invalid_argument",
          "[mem_vec][align]") {
  test::AlignedBuffer buf(64 * 1024);
  memvec::SpanBackend misaligned{std::span<std::byte>(buf).subspan(16)};
  CHECK(error_of([&] {
          (void)memvec::MemVec<Wide, memvec::SpanBackend>::create(std::move(misaligned));
        }) == errc::invalid_argument);
  CHECK(std::all_of(buf.begin(), buf.end(), [](std::byte b) { return b == std::byte{0}; }));
  // The same offset is fine for a type that needs less.
  auto v = memvec::MemVec<U64, memvec::SpanBackend>::create(
      memvec::SpanBackend{std::span<std::byte>(buf).subspan(16)});
  v.push_back(1);
  CHECK(v.back() == 1);
}

TEMPLATE_TEST_CASE("mem_vec: a 41-byte packed record round-trips", "[mem_vec]",
                   MEMVEC_ALL_BACKENDS) {
  using Vec = memvec::MemVec<Packed41, TestType>;
  test::Factory<TestType> f;
  std::vector<Packed41> model;
  {
    auto v = fresh<Packed41>(f);
    for (U64 i = 0; i < 2000; ++i) {
      v.push_back(packed(i));
      model.push_back(packed(i));
    }
    v.insert(v.begin() + 3, packed(77777));
    model.insert(model.begin() + 3, packed(77777));
    v.erase(v.begin() + 100, v.begin() + 110);
    model.erase(model.begin() + 100, model.begin() + 110);
    REQUIRE(v.size() == model.size());
    CHECK(std::memcmp(v.data(), model.data(), model.size() * sizeof(Packed41)) == 0);
  }
  if constexpr (test::Factory<TestType>::persistent) {
    auto v = Vec::open(f.reopen());
    REQUIRE(v.size() == model.size());
    CHECK(std::memcmp(v.data(), model.data(), model.size() * sizeof(Packed41)) == 0);
    // Packed members are copied out: Catch would bind a misaligned reference.
    const U64 got = v[3].id;
    const U64 want = packed(77777).id;
    CHECK(got == want);
  }
}

// --- type tags ----------------------------------------------------------------------------

TEMPLATE_TEST_CASE(
    "mem_vec: opening a vector of one tagged type as another throws "
    "type_mismatch and changes nothing",
    "[mem_vec][tag]", MEMVEC_PERSISTENT_BACKENDS) {
  static_assert(memvec::TypeTag<TaggedA>::value == 0xA11CE);
  static_assert(memvec::TypeTag<U64>::value == 0);
  test::Factory<TestType> f;
  {
    auto v = fresh<TaggedA>(f);
    for (U64 i = 0; i < 100; ++i) v.push_back(TaggedA{i});
  }
  const auto before = bytes_of(f);
  CHECK(error_of([&] { (void)memvec::MemVec<TaggedB, TestType>::open(f.reopen()); }) ==
        errc::type_mismatch);
  CHECK(error_of([&] { (void)memvec::MemVec<U64, TestType>::open(f.reopen()); }) ==
        errc::type_mismatch);  // same size, no tag
  CHECK(error_of([&] { (void)memvec::MemVec<TaggedB, TestType>::open_or_create(f.reopen()); }) ==
        errc::type_mismatch);  // never reformats a foreign vector
  CHECK(error_of([&] { (void)memvec::MemVec<std::uint32_t, TestType>::open(f.reopen()); }) ==
        errc::type_mismatch);
  CHECK(bytes_of(f) == before);

  auto v = memvec::MemVec<TaggedA, TestType>::open(f.reopen());
  REQUIRE(v.size() == 100);
  CHECK(v[42].value == 42);
}

TEMPLATE_TEST_CASE("mem_vec: a tag given as the third template argument is checked on open",
                   "[mem_vec][tag]", MEMVEC_PERSISTENT_BACKENDS) {
  test::Factory<TestType> f;
  {
    auto v = memvec::MemVec<U64, TestType, 7>::create(f.make(0));
    v.push_back(1);
  }
  CHECK(error_of([&] { (void)memvec::MemVec<U64, TestType, 8>::open(f.reopen()); }) ==
        errc::type_mismatch);
  auto v = memvec::MemVec<U64, TestType, 7>::open(f.reopen());
  CHECK(v.size() == 1);
}

// --- read-only ----------------------------------------------------------------------------

TEMPLATE_TEST_CASE(
    "mem_vec: every mutation of a read-only vector throws read_only and the file "
    "stays byte-identical",
    "[mem_vec][read_only]", MEMVEC_FILE_BACKENDS) {
  using Vec = memvec::MemVec<U64, TestType>;
  test::Factory<TestType> f;
  {
    auto v = fresh<U64>(f);
    for (U64 i = 0; i < 100; ++i) v.push_back(i);
  }
  const auto digest = test::digest(f.path());

  auto v = Vec::open(f.reopen(memvec::OpenMode::read_only));
  REQUIRE_FALSE(v.backend().writable());
  REQUIRE(v.size() == 100);
  CHECK(v[57] == 57);  // reading works
  CHECK(std::accumulate(v.begin(), v.end(), U64{0}) == 4950);
  const std::size_t cap = v.capacity();
  const std::vector<U64> src{1, 2, 3};

  CHECK(error_of([&] { v.push_back(1); }) == errc::read_only);
  CHECK(error_of([&] { v.push_back(v[0]); }) == errc::read_only);
  CHECK(error_of([&] { v.emplace_back(1); }) == errc::read_only);
  CHECK(error_of([&] { v.pop_back(); }) == errc::read_only);
  CHECK(error_of([&] { v.insert(v.begin(), U64{1}); }) == errc::read_only);
  CHECK(error_of([&] { v.insert(v.begin() + 5, 3, U64{1}); }) == errc::read_only);
  CHECK(error_of([&] { v.insert(v.end(), src.begin(), src.end()); }) == errc::read_only);
  CHECK(error_of([&] { v.insert(v.begin(), {U64{1}, U64{2}}); }) == errc::read_only);
  CHECK(error_of([&] { v.append(src); }) == errc::read_only);
  CHECK(error_of([&] { v.erase(v.begin()); }) == errc::read_only);
  CHECK(error_of([&] { v.erase(v.begin(), v.begin() + 10); }) == errc::read_only);
  CHECK(error_of([&] { v.resize(10); }) == errc::read_only);
  CHECK(error_of([&] { v.resize(1000, 5); }) == errc::read_only);
  CHECK(error_of([&] { v.clear(); }) == errc::read_only);
  CHECK(error_of([&] { v.assign(3, U64{1}); }) == errc::read_only);
  CHECK(error_of([&] { v.assign(src.begin(), src.end()); }) == errc::read_only);
  CHECK(error_of([&] { v.assign({U64{1}}); }) == errc::read_only);
  CHECK(error_of([&] { v.reserve(cap * 4); }) == errc::read_only);
  CHECK(error_of([&] { v.shrink_to_fit(); }) == errc::read_only);
  CHECK(error_of([&] { v.set_user_word(5); }) == errc::read_only);

  CHECK(v.size() == 100);
  CHECK(v.capacity() == cap);
  CHECK(v[0] == 0);
  CHECK(v.back() == 99);
  CHECK_NOTHROW(v.sync());  // not a mutation
  CHECK(test::digest(f.path()) == digest);
}

TEMPLATE_TEST_CASE("mem_vec: create on a read-only backend throws read_only and writes nothing",
                   "[mem_vec][read_only]", MEMVEC_FILE_BACKENDS) {
  using Vec = memvec::MemVec<U64, TestType>;
  test::Factory<TestType> f;
  { auto b = f.make(8192); }  // a blank, zero-filled file
  const auto digest = test::digest(f.path());
  CHECK(error_of([&] { (void)Vec::create(f.reopen(memvec::OpenMode::read_only)); }) ==
        errc::read_only);
  CHECK(error_of([&] { (void)Vec::open_or_create(f.reopen(memvec::OpenMode::read_only)); }) ==
        errc::read_only);
  CHECK(test::digest(f.path()) == digest);
}

// --- user area, durability ----------------------------------------------------------------

TEMPLATE_TEST_CASE(
    "mem_vec: the user area given at create and the user word are there after "
    "reopen",
    "[mem_vec][user_area]", MEMVEC_PERSISTENT_BACKENDS) {
  using Vec = memvec::MemVec<U64, TestType>;
  test::Factory<TestType> f;
  std::vector<std::byte> mine(100);
  for (std::size_t i = 0; i < mine.size(); ++i) mine[i] = static_cast<std::byte>(i * 3 + 1);
  {
    auto v = Vec::create(f.make(0), {.user_area = mine});
    CHECK(std::equal(mine.begin(), mine.end(), v.user_area().begin()));
    CHECK(v.user_word() == 0);
    v.set_user_word(0xABCDEF);
    CHECK(error_of([&] { v.set_user_word(memvec::kMaxWordValue + 1); }) == errc::invalid_argument);
    for (U64 i = 0; i < 3000; ++i) v.push_back(i);  // growth does not touch either
  }
  std::vector<std::byte> other(memvec::kUserAreaSize, std::byte{0xEE});
  auto v = Vec::open(f.reopen(), {.user_area = other});  // ignored when opening
  const auto area = v.user_area();
  static_assert(decltype(area)::extent == memvec::kUserAreaSize);
  CHECK(std::equal(mine.begin(), mine.end(), area.begin()));
  CHECK(std::all_of(area.begin() + 100, area.end(), [](std::byte b) { return b == std::byte{0}; }));
  CHECK(v.user_word() == 0xABCDEF);
  CHECK(v.size() == 3000);
}

TEMPLATE_TEST_CASE("mem_vec: a user area larger than the header allows is refused",
                   "[mem_vec][user_area]", MEMVEC_ALL_BACKENDS) {
  using Vec = memvec::MemVec<U64, TestType>;
  test::Factory<TestType> f;
  const std::vector<std::byte> full(memvec::kUserAreaSize, std::byte{1});
  auto ok = Vec::create(f.make(0), {.user_area = full});
  CHECK(ok.user_area()[memvec::kUserAreaSize - 1] == std::byte{1});
  const std::vector<std::byte> too_big(memvec::kUserAreaSize + 1, std::byte{1});
  CHECK(error_of([&] { (void)Vec::create(f.make(0), {.user_area = too_big}); }) ==
        errc::invalid_argument);
}

TEMPLATE_TEST_CASE("mem_vec: power_loss durability keeps the full vector surface working",
                   "[mem_vec][durability]", MEMVEC_ALL_BACKENDS) {
  using Vec = memvec::MemVec<U64, TestType>;
  test::Factory<TestType> f;
  std::vector<U64> model;
  {
    auto v = Vec::create(f.make(0), {.durability = memvec::Durability::power_loss});
    CHECK(v.durability() == memvec::Durability::power_loss);
    for (U64 i = 0; i < 50; ++i) {  // each commit syncs twice: keep them few
      v.push_back(i);
      model.push_back(i);
    }
    const auto bulk = iota_vec(650, 50);
    v.append(bulk);  // one commit, across growth
    model.insert(model.end(), bulk.begin(), bulk.end());
    v.insert(v.begin() + 10, 3, U64{5});
    model.insert(model.begin() + 10, 3, U64{5});
    v.erase(v.begin() + 20, v.begin() + 30);
    model.erase(model.begin() + 20, model.begin() + 30);
    v.resize(800, 9);
    model.resize(800, 9);
    v.pop_back();
    model.pop_back();
    v.emplace_back(1234);
    model.push_back(1234);
    CHECK(to_std(v) == model);
    v.sync();
  }
  if constexpr (test::Factory<TestType>::persistent) {
    auto v = Vec::open(f.reopen(), {.durability = memvec::Durability::power_loss});
    CHECK(to_std(v) == model);
    v.push_back(1);
    v.set_durability(memvec::Durability::process_crash);
    CHECK(v.durability() == memvec::Durability::process_crash);
    v.push_back(2);
    CHECK(v.size() == model.size() + 2);
  }
}

TEMPLATE_TEST_CASE("mem_vec: close of a file vector releases the file for the next opener",
                   "[mem_vec]", MEMVEC_FILE_BACKENDS) {
  using Vec = memvec::MemVec<U64, TestType>;
  test::Factory<TestType> f;
  auto v = fresh<U64>(f);
  v.push_back(11);
  CHECK(error_of([&] { (void)f.reopen(); }) == errc::locked);
  v.close();
  CHECK(v.size() == 0);
  auto w = Vec::open(f.reopen());
  CHECK(to_std(w) == std::vector<U64>{11});
}
