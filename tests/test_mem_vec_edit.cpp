// MemVec<T, B>, the std::vector surface over every backend:
// insert (values, counts, ranges, elements of the vector itself across
// growth), erase, resize, reserve, shrink_to_fit, clear, assign, append.
#include "mem_vec_fixture.hpp"

using namespace mem_vec_fixture;

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
