// The Backend conformance suite: one set of tests, run unchanged over every
// backend (the four of the library and test::HeapBackend, a user-written one),
// then the same checks one layer up, through MemVec<uint64_t, B>.
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <optional>
#include <utility>
#include <vector>

#include "backend_factory.hpp"
#include "memvec/memvec.hpp"
#include "support.hpp"

namespace {

using memvec::errc;
constexpr std::size_t npos = static_cast<std::size_t>(-1);

std::byte pattern(std::size_t i, unsigned seed) {
  return static_cast<std::byte>((i * 131 + seed * 7 + (i >> 8)) & 0xFF);
}
void fill(std::byte* p, std::size_t n, unsigned seed) {
  for (std::size_t i = 0; i < n; ++i) p[i] = pattern(i, seed);
}
// The first index in [0, n) that does not hold the pattern, or npos.
std::size_t first_mismatch(const std::byte* p, std::size_t n, unsigned seed) {
  for (std::size_t i = 0; i < n; ++i)
    if (p[i] != pattern(i, seed)) return i;
  return npos;
}

}  // namespace

using test::error_of;

// --- raw byte conformance ----------------------------------------------------

TEMPLATE_TEST_CASE("backend: a fresh backend has the size it was made with and is writable",
                   "[backend]", MEMVEC_ALL_BACKENDS) {
  static_assert(memvec::Backend<TestType>);
  test::Factory<TestType> f;
  const std::size_t page = memvec::page_size();
  for (const std::size_t n : {std::size_t{1}, std::size_t{1000}, page, 3 * page + 5}) {
    CAPTURE(n);
    TestType b = f.make(n);
    REQUIRE(b.size() == n);
    REQUIRE(b.data() != nullptr);
    CHECK(b.writable());
    fill(b.data(), n, 1);
    CHECK(first_mismatch(std::as_const(b).data(), n, 1) == npos);
  }
  TestType empty = f.make(0);
  CHECK(empty.size() == 0);
}

TEMPLATE_TEST_CASE("backend: growing keeps every byte and the new bytes are usable", "[backend]",
                   MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  TestType b = f.make(1000);
  fill(b.data(), 1000, 2);

  b.resize(5000);  // within and past the first page
  REQUIRE(b.size() == 5000);
  REQUIRE(first_mismatch(b.data(), 1000, 2) == npos);

  const std::size_t big = std::size_t{1} << 20;
  b.resize(big);
  REQUIRE(b.size() == big);
  std::byte* p = b.data();  // re-read: growth may move it
  REQUIRE(p != nullptr);
  REQUIRE(first_mismatch(p, 1000, 2) == npos);
  fill(p, big, 3);  // every byte of the grown range is ours to write
  CHECK(first_mismatch(b.data(), big, 3) == npos);
}

TEMPLATE_TEST_CASE("backend: shrinking keeps the prefix", "[backend]", MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  const std::size_t n = 64 * 1024 + 17;
  TestType b = f.make(n);
  fill(b.data(), n, 4);

  b.resize(5000);
  REQUIRE(b.size() == 5000);
  CHECK(first_mismatch(b.data(), 5000, 4) == npos);
  b.resize(3);
  REQUIRE(b.size() == 3);
  CHECK(first_mismatch(b.data(), 3, 4) == npos);

  // Growing again after a shrink keeps the surviving prefix.
  b.resize(20000);
  REQUIRE(b.size() == 20000);
  CHECK(first_mismatch(b.data(), 3, 4) == npos);
}

TEMPLATE_TEST_CASE("backend: resize to 0 and back gives a usable backend", "[backend]",
                   MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  TestType b = f.make(4096);
  fill(b.data(), 4096, 5);
  b.resize(0);
  CHECK(b.size() == 0);
  b.resize(0);  // idempotent
  CHECK(b.size() == 0);
  b.resize(10000);
  REQUIRE(b.size() == 10000);
  REQUIRE(b.data() != nullptr);
  fill(b.data(), 10000, 6);
  CHECK(first_mismatch(b.data(), 10000, 6) == npos);
}

TEMPLATE_TEST_CASE(
    "backend: a resize past a fixed capacity throws capacity_exceeded and keeps "
    "every byte",
    "[backend]", memvec::SpanBackend, test::HeapBackend) {
  test::Factory<TestType> f;
  const std::size_t limit = 3 * 4096 + 100;
  TestType b = f.make_limited(5000, limit);
  fill(b.data(), 5000, 7);
  const std::byte* before = b.data();

  CHECK(error_of([&] { b.resize(limit + 1); }) == errc::capacity_exceeded);
  CHECK(error_of([&] { b.resize(std::size_t{1} << 40); }) == errc::capacity_exceeded);
  CHECK(b.size() == 5000);
  CHECK(b.data() == before);
  CHECK(first_mismatch(b.data(), 5000, 7) == npos);

  // Still usable, up to the limit exactly.
  b.resize(limit);
  REQUIRE(b.size() == limit);
  CHECK(first_mismatch(b.data(), 5000, 7) == npos);
  b.data()[limit - 1] = std::byte{0x5A};
  CHECK(b.data()[limit - 1] == std::byte{0x5A});
}

TEMPLATE_TEST_CASE("backend: sync of any range, empty or past the end included, does not throw",
                   "[backend]", MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  TestType b = f.make(3 * 4096 + 10);
  fill(b.data(), b.size(), 8);
  const std::size_t n = b.size();
  CHECK_NOTHROW(b.sync(0, n));
  CHECK_NOTHROW(b.sync(0, 0));
  CHECK_NOTHROW(b.sync(1, 1));
  CHECK_NOTHROW(b.sync(4095, 2));  // straddles a page boundary
  CHECK_NOTHROW(b.sync(n - 1, 100));
  CHECK_NOTHROW(b.sync(n, 10));
  CHECK_NOTHROW(b.sync(n + 4096, 4096));
  CHECK(first_mismatch(b.data(), n, 8) == npos);  // sync never changes a byte

  TestType empty = f.make(0);
  CHECK_NOTHROW(empty.sync(0, 0));
  CHECK_NOTHROW(empty.sync(0, 100));
}

TEMPLATE_TEST_CASE("backend: a move hands over the bytes and leaves the source with size 0",
                   "[backend]", MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  TestType a = f.make(5000);
  fill(a.data(), 5000, 9);
  const std::byte* where = a.data();

  TestType b(std::move(a));
  CHECK(a.size() == 0);  // NOLINT(bugprone-use-after-move): the contract under test
  REQUIRE(b.size() == 5000);
  CHECK(b.data() == where);  // a move never copies the bytes
  CHECK(first_mismatch(b.data(), 5000, 9) == npos);

  TestType c = f.make(100);  // assigning over a live backend releases its bytes
  c = std::move(b);
  CHECK(b.size() == 0);  // NOLINT(bugprone-use-after-move)
  REQUIRE(c.size() == 5000);
  CHECK(first_mismatch(c.data(), 5000, 9) == npos);

  // The destination is fully functional.
  c.resize(9000);
  REQUIRE(c.size() == 9000);
  CHECK(first_mismatch(c.data(), 5000, 9) == npos);
}

// --- the same suite one layer up: MemVec<uint64_t, B> -------------------------

TEMPLATE_TEST_CASE("backend: a MemVec created on it holds what was pushed, across growth",
                   "[backend][mem_vec]", MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = memvec::MemVec<std::uint64_t, TestType>::create(f.make(0));
  CHECK(v.empty());
  CHECK(v.capacity() > 0);  // formatting claims at least one page
  for (std::uint64_t i = 0; i < 100000; ++i) v.push_back(i * 3 + 1);
  REQUIRE(v.size() == 100000);
  std::size_t bad = 0;
  for (std::size_t i = 0; i < v.size(); ++i) bad += v[i] != i * 3 + 1;
  CHECK(bad == 0);
  CHECK(v.backend().size() >= 256 + v.capacity() * sizeof(std::uint64_t));
}

TEMPLATE_TEST_CASE("backend: a MemVec created on a sized backend uses its room as capacity",
                   "[backend][mem_vec]", MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  const std::size_t bytes = 256 + 8 * 1000 + 3;
  auto v = memvec::MemVec<std::uint64_t, TestType>::create(f.make(bytes));
  CHECK(v.capacity() == 1000);
  CHECK(v.backend().size() == bytes);  // formatting does not resize a big enough backend
  const std::uint64_t* where = v.data();
  for (std::uint64_t i = 0; i < 1000; ++i) v.push_back(i);
  CHECK(v.data() == where);  // no growth below capacity
  v.push_back(1000);
  CHECK(v.size() == 1001);
  CHECK(v.back() == 1000);
}

TEMPLATE_TEST_CASE("backend: a MemVec on a persistent backend reopens with every pushed element",
                   "[backend][mem_vec]", MEMVEC_PERSISTENT_BACKENDS) {
  using Vec = memvec::MemVec<std::uint64_t, TestType>;
  test::Factory<TestType> f;
  {
    auto v = Vec::create(f.make(0));
    for (std::uint64_t i = 0; i < 5000; ++i) v.push_back(i * i);
  }  // dropped: file backends unlock
  {
    auto v = Vec::open(f.reopen());
    REQUIRE(v.size() == 5000);
    std::size_t bad = 0;
    for (std::size_t i = 0; i < v.size(); ++i) bad += v[i] != i * i;
    CHECK(bad == 0);
    for (std::uint64_t i = 5000; i < 7000; ++i) v.push_back(i * i);
    v.pop_back();
    v.sync();
    if constexpr (test::Factory<TestType>::file) v.close();  // reports close(2) errors
  }
  auto v = Vec::open_or_create(f.reopen());  // formatted: open_or_create opens, never formats
  REQUIRE(v.size() == 6999);
  CHECK(v.front() == 0);
  CHECK(v.back() == 6998ull * 6998ull);
}

TEMPLATE_TEST_CASE("backend: MemVec::open_or_create formats a blank backend and open refuses one",
                   "[backend][mem_vec]", MEMVEC_ALL_BACKENDS) {
  using Vec = memvec::MemVec<std::uint64_t, TestType>;
  test::Factory<TestType> f;
  CHECK(error_of([&] { (void)Vec::open(f.make(0)); }) == errc::bad_magic);
  CHECK(error_of([&] { (void)Vec::open(f.make(8192)); }) == errc::bad_magic);  // all zeros

  auto v = Vec::open_or_create(f.make(8192));
  CHECK(v.empty());
  v.push_back(42);
  CHECK(v.at(0) == 42);
}

TEMPLATE_TEST_CASE("backend: a MemVec on a capped backend fills it to the last element that fits",
                   "[backend][mem_vec]", memvec::SpanBackend, test::HeapBackend) {
  using Vec = memvec::MemVec<std::uint64_t, TestType>;
  test::Factory<TestType> f;
  const std::size_t limit = 100000;  // not a page multiple, not a power of two
  const std::size_t fits = (limit - 256) / sizeof(std::uint64_t);
  auto v = Vec::create(f.make_limited(0, limit));
  std::optional<errc> err;
  for (std::uint64_t i = 0; i < 2 * fits && !err; ++i) err = error_of([&] { v.push_back(i); });
  CHECK(err == errc::capacity_exceeded);
  REQUIRE(v.size() == fits);
  std::size_t bad = 0;
  for (std::size_t i = 0; i < v.size(); ++i) bad += v[i] != i;
  CHECK(bad == 0);

  // Every growing call fails the same way and leaves the vector as it was.
  CHECK(error_of([&] { v.insert(v.begin(), std::uint64_t{7}); }) == errc::capacity_exceeded);
  CHECK(error_of([&] { v.resize(fits + 1); }) == errc::capacity_exceeded);
  CHECK(error_of([&] { v.reserve(fits + 1); }) == errc::capacity_exceeded);
  REQUIRE(v.size() == fits);
  CHECK(v.front() == 0);
  CHECK(v.back() == fits - 1);

  // And it is still usable.
  v.pop_back();
  v.push_back(12345);
  CHECK(v.back() == 12345);
  CHECK(v.size() == fits);
}

TEMPLATE_TEST_CASE("backend: a MemVec on a backend capped below one page formats and fills it",
                   "[backend][mem_vec]", memvec::SpanBackend, test::HeapBackend) {
  using Vec = memvec::MemVec<std::uint64_t, TestType>;
  test::Factory<TestType> f;
  const std::size_t limit = 1024;  // a 1 KiB buffer keeps most of its room for data
  const std::size_t fits = (limit - 256) / sizeof(std::uint64_t);
  auto v = Vec::create(f.make_limited(0, limit));
  for (std::uint64_t i = 0; i < fits; ++i) v.push_back(i + 1);
  REQUIRE(v.size() == fits);
  CHECK(v.back() == fits);
  CHECK(error_of([&] { v.push_back(0); }) == errc::capacity_exceeded);
  CHECK(v.size() == fits);
  CHECK(v.backend().size() <= limit);
  if constexpr (test::Factory<TestType>::persistent) {
    auto w = Vec::open(f.reopen());
    CHECK(w.size() == fits);
    CHECK(w.front() == 1);
  }
}

TEMPLATE_TEST_CASE("backend: a MemVec after shrink_to_fit can still grow to its backend's cap",
                   "[backend][mem_vec]", memvec::SpanBackend, test::HeapBackend) {
  using Vec = memvec::MemVec<std::uint64_t, TestType>;
  test::Factory<TestType> f;
  const std::size_t limit = 3 * 4096 + 1000;
  const std::size_t fits = (limit - 256) / sizeof(std::uint64_t);
  auto v = Vec::create(f.make_limited(limit, limit));
  REQUIRE(v.capacity() == fits);
  for (std::uint64_t i = 0; i < 10; ++i) v.push_back(i);
  v.shrink_to_fit();
  CHECK(v.capacity() < fits);
  CHECK(v.size() == 10);
  for (std::uint64_t i = 10; i < fits; ++i) v.push_back(i);
  REQUIRE(v.size() == fits);
  CHECK(v.back() == fits - 1);
  CHECK(error_of([&] { v.push_back(0); }) == errc::capacity_exceeded);
}

TEMPLATE_TEST_CASE("backend: a moved MemVec keeps its elements and leaves the source empty",
                   "[backend][mem_vec]", MEMVEC_ALL_BACKENDS) {
  using Vec = memvec::MemVec<std::uint64_t, TestType>;
  test::Factory<TestType> f;
  auto a = Vec::create(f.make(0));
  for (std::uint64_t i = 0; i < 1000; ++i) a.push_back(i + 5);
  Vec b(std::move(a));
  CHECK(a.size() == 0);  // NOLINT(bugprone-use-after-move)
  CHECK(a.backend().size() == 0);
  REQUIRE(b.size() == 1000);
  CHECK(b[999] == 1004);
  b.push_back(7);
  CHECK(b.size() == 1001);
}
