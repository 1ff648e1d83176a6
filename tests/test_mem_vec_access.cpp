// MemVec<T, B>, the std::vector surface over every backend:
// size, capacity and element access; iterators, algorithms, ranges and
// std::span; push_back, emplace_back and pop_back.
#include "mem_vec_fixture.hpp"

using namespace mem_vec_fixture;

// clang before 16 cannot instantiate the range adaptors of libstdc++ 12
// (view_interface trips its concept checks, for std::vector too): the
// std::views part of the ranges test is compiled where the toolchain can.
#if defined(__clang__) && defined(__GLIBCXX__) && __clang_major__ < 16
#define MEMVEC_TEST_STD_VIEWS 0
#else
#define MEMVEC_TEST_STD_VIEWS 1
#endif

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

TEMPLATE_TEST_CASE("mem_vec: at past the end throws std::out_of_range, as std::vector's does",
                   "[mem_vec]", MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = fresh<U64>(f);
  CHECK_THROWS_AS(v.at(0), std::out_of_range);
  v.push_back(1);
  v.push_back(2);
  CHECK_THROWS_AS(v.at(2), std::out_of_range);
  CHECK_THROWS_AS(std::as_const(v).at(2), std::out_of_range);
  CHECK_THROWS_AS(v.at(static_cast<std::size_t>(-1)), std::out_of_range);
  // Only std::out_of_range: a type deriving from memvec::Error as well would
  // have std::exception twice, and `catch (const std::exception&)` would
  // then miss it.
  try {
    (void)v.at(5);
    FAIL("at(5) did not throw");
  } catch (const std::exception& e) {
    CHECK(std::string(e.what()).find("at(5)") != std::string::npos);
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
