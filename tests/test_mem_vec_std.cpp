// MemVec against std::vector where issue 12 found them apart: a read-only
// vector's non-const access, the std::vector surface users reach for
// (default construction, ==, <=>, swap, erase/erase_if, append_range,
// insert_range, iterator-sentinel inserts, append({...}), at() and reserve()
// exceptions), and error messages that name the file and the true reason.
#include <sys/stat.h>

#include <compare>
#include <iterator>
#include <filesystem>
#include <deque>
#include <list>
#include <sstream>
#include <stdexcept>

#include "mem_vec_fixture.hpp"

using namespace mem_vec_fixture;
using memvec::AnonBackend;
using memvec::FileBackend;
using memvec::MappedFileBackend;
using memvec::MemVec;
using memvec::OpenMode;
namespace fs = std::filesystem;

namespace {

template <class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no exception";
}

// A MemVec<int> from a std::vector, on an anonymous backend.
MemVec<int> from(const std::vector<int>& items) {
  MemVec<int> v;
  v.append(std::span<const int>(items));
  return v;
}

}  // namespace

// --- a read-only vector ---------------------------------------------------------

// Non-const accessors on a read-only vector, each of which once handed out a
// T& or T* into the read-only mapping.
template <class V>
void check_every_mutable_path_refused(V& v) {
  CHECK(error_of([&] { std::ranges::sort(v); }) == errc::read_only);
  CHECK(error_of([&] { std::sort(v.begin(), v.end()); }) == errc::read_only);
  CHECK(error_of([&] { v[0] = 7; }) == errc::read_only);
  CHECK(error_of([&] { v.at(0) = 7; }) == errc::read_only);
  CHECK(error_of([&] { v.front() = 7; }) == errc::read_only);
  CHECK(error_of([&] { v.back() = 7; }) == errc::read_only);
  CHECK(error_of([&] { v.data()[0] = 7; }) == errc::read_only);
  CHECK(error_of([&] { *v.rbegin() = 7; }) == errc::read_only);
  CHECK(error_of([&] { v.span()[0] = 7; }) == errc::read_only);
  CHECK(error_of([&] {
          const std::span<int> s = v;
          s[0] = 7;
        }) == errc::read_only);
  CHECK(error_of([&] { std::ranges::fill(v, 7); }) == errc::read_only);
  CHECK(error_of([&] { (void)erase(v, 3); }) == errc::read_only);
  CHECK(error_of([&] { v.append({1, 2}); }) == errc::read_only);
  CHECK(error_of([&] { v.insert_range(v.cbegin(), std::vector<int>{1}); }) == errc::read_only);
}

TEMPLATE_TEST_CASE(
    "mem_vec: writing through a read-only vector throws read_only and leaves the file unchanged",
    "[mem_vec]", FileBackend, MappedFileBackend) {
  test::TempDir dir;
  const fs::path p = dir / "v";
  {
    auto w = MemVec<int, TestType>::create(TestType::open(p));
    for (const int x : {5, 3, 9, 1}) w.push_back(x);
  }
  const auto before = test::digest(p);
  {
    auto v = MemVec<int, TestType>::open(TestType::open(p, {.mode = OpenMode::read_only}));
    check_every_mutable_path_refused(v);
    // Const access reads as before.
    const auto& cv = v;
    CHECK(std::vector<int>(cv.begin(), cv.end()) == std::vector<int>{5, 3, 9, 1});
    CHECK(std::as_const(v)[2] == 9);
    CHECK(*v.cbegin() == 5);
    CHECK(std::as_const(v).span().size() == 4);
    const std::span<const int> s = std::as_const(v);
    CHECK(s[3] == 1);
    // std::span's range constructor wins over the conversion and reads
    // through the non-const data(): refused as well, as the header says.
    CHECK(error_of([&] { (void)std::span<const int>(v); }) == errc::read_only);
    // The refusal names the file and says how to read.
    const std::string what = message_of([&] { (void)v.begin(); });
    CHECK(what.find(p.string()) != std::string::npos);
    CHECK(what.find("read-only") != std::string::npos);
  }
  CHECK(test::digest(p) == before);
}

TEST_CASE("mem_vec: a writable vector's non-const access still works") {
  auto v = from({4, 2, 3});
  std::ranges::sort(v);
  v[0] = 1;
  v.at(1) += 10;
  CHECK(to_std(v) == std::vector<int>{1, 13, 4});
}

// --- error messages -------------------------------------------------------------

TEMPLATE_TEST_CASE("mem_vec: a wrong-type reopen names the file as well as what differs",
                   "[mem_vec]", FileBackend, MappedFileBackend) {
  test::TempDir dir;
  const fs::path p = dir / "ints";
  { (void)MemVec<int, TestType>::create(TestType::open(p)); }
  const std::string what =
      message_of([&] { (void)MemVec<double, TestType>::open(TestType::open(p)); });
  CHECK(what.find(p.string()) != std::string::npos);
  CHECK(what.find("element size") != std::string::npos);
  CHECK(error_of([&] { (void)MemVec<double, TestType>::open(TestType::open(p)); }) ==
        errc::type_mismatch);
}

TEST_CASE("mem_vec: a moved-from vector says it was moved from, not that it is read-only") {
  auto v = from({1});
  auto w = std::move(v);
  CHECK(error_of([&] { v.push_back(2); }) == errc::invalid_argument);
  const std::string what = message_of([&] { v.push_back(2); });
  CHECK(what.find("moved-from") != std::string::npos);
  CHECK(what.find("read-only") == std::string::npos);
  CHECK(v.empty());
  CHECK(v.begin() == v.end());  // its empty range, as a std::vector's
}

TEST_CASE("mem_vec: errors of MappedFileBackend name MappedFileBackend, not FileBackend") {
  test::TempDir dir;
  const fs::path p = dir / "missing";
  const std::string what = message_of(
      [&] { (void)MappedFileBackend::open(p, {.mode = OpenMode::open_existing}); });
  CHECK(what.rfind("MappedFileBackend: ", 0) == 0);
  CHECK(what.find(p.string()) != std::string::npos);
}

TEST_CASE("mem_vec: a writer refused by a reader's lock is not told another writer holds it") {
  test::TempDir dir;
  const fs::path p = dir / "locked";
  { (void)MemVec<int, FileBackend>::create(FileBackend::open(p)); }
  const auto reader = FileBackend::open(p, {.mode = OpenMode::read_only});
  const std::string what = message_of([&] { (void)FileBackend::open(p); });
  CHECK(error_of([&] { (void)FileBackend::open(p); }) == errc::locked);
  CHECK(what.find("another writer") == std::string::npos);
  CHECK(what.find("reader or writer") != std::string::npos);
  CHECK(what.find(p.string()) != std::string::npos);
}

// --- the std::vector surface ----------------------------------------------------

TEST_CASE("mem_vec: a default-constructed vector is empty and usable, as std::vector's") {
  MemVec<int, AnonBackend> v;
  std::vector<int> m;
  CHECK(v.empty());
  CHECK(v.size() == m.size());
  for (int i = 0; i < 1000; ++i) {
    v.push_back(i);
    m.push_back(i);
  }
  CHECK(to_std(v) == m);
}

TEST_CASE("mem_vec: == and <=> order vectors as std::vector's do") {
  const std::vector<std::vector<int>> cases = {{}, {1}, {1, 2}, {1, 3}, {2}, {1, 2, 3}, {0, 9}};
  for (const auto& a : cases) {
    for (const auto& b : cases) {
      const auto va = from(a);
      const auto vb = from(b);
      CHECK((va == vb) == (a == b));
      CHECK((va != vb) == (a != b));
      CHECK((va <=> vb) == (a <=> b));
      CHECK((va < vb) == (a < b));
      CHECK((va >= vb) == (a >= b));
    }
  }
}

namespace {
struct LessOnly {  // no <=>: compared through <, as std::vector does
  int x;
  bool operator<(const LessOnly& o) const { return x < o.x; }
};
}  // namespace

TEST_CASE("mem_vec: <=> falls back to < for an element type without <=>") {
  MemVec<LessOnly> a;
  MemVec<LessOnly> b;
  a.push_back({1});
  b.push_back({2});
  CHECK((a <=> b) == std::weak_ordering::less);
  CHECK((b <=> a) == std::weak_ordering::greater);
  CHECK((a <=> a) == std::weak_ordering::equivalent);
}

TEST_CASE("mem_vec: member and non-member swap exchange contents, as std::vector's") {
  auto a = from({1, 2, 3});
  auto b = from({9});
  const int* a_data = std::as_const(a).data();
  a.swap(b);
  CHECK(to_std(a) == std::vector<int>{9});
  CHECK(to_std(b) == std::vector<int>{1, 2, 3});
  CHECK(std::as_const(b).data() == a_data);  // no element moved
  swap(a, b);
  CHECK(to_std(a) == std::vector<int>{1, 2, 3});
  using std::swap;
  swap(a, b);
  CHECK(to_std(a) == std::vector<int>{9});
}

TEST_CASE("mem_vec: erase and erase_if remove what std::erase and std::erase_if remove") {
  std::vector<int> m = {1, 2, 3, 2, 5, 2, 7};
  auto v = from(m);
  using std::erase;  // finds memvec::erase too, by argument-dependent lookup
  CHECK(erase(v, 2) == erase(m, 2));
  CHECK(to_std(v) == m);
  const auto odd = [](int x) { return x % 2 == 1; };
  using std::erase_if;
  CHECK(erase_if(v, odd) == erase_if(m, odd));
  CHECK(to_std(v) == m);
  CHECK(v.empty());
  CHECK(erase(v, 1) == 0);
}

TEST_CASE("mem_vec: append_range, insert_range and append({...}) match std::vector") {
  std::vector<int> m;
  MemVec<int> v;
  const std::list<int> l = {1, 2, 3};
  v.append_range(l);
  m.insert(m.end(), l.begin(), l.end());
  v.append({4, 5});
  m.insert(m.end(), {4, 5});
  // (Not std::views::iota: clang 14 cannot compile libstdc++ 12's.)
  v.append_range(std::deque<int>{10, 11, 12});
  for (int i = 10; i < 13; ++i) m.push_back(i);
  std::istringstream in("7 8 9");  // single pass
  struct OnePass {  // an input range of its own (subrange: same clang 14 trouble)
    std::istream* in;
    std::istream_iterator<int> begin() const { return std::istream_iterator<int>(*in); }
    std::istream_iterator<int> end() const { return {}; }
  };
  v.append_range(OnePass{&in});
  m.insert(m.end(), {7, 8, 9});
  const auto at = v.insert_range(v.cbegin() + 2, std::vector<int>{-1, -2});
  m.insert(m.begin() + 2, {-1, -2});
  CHECK(at == v.cbegin() + 2);
  v.insert_range(v.cend(), v);  // its own elements, which the insert may move
  const std::vector<int> copy = m;
  m.insert(m.end(), copy.begin(), copy.end());
  CHECK(to_std(v) == m);
}

TEST_CASE("mem_vec: insert takes an iterator and a sentinel of another type") {
  std::vector<int> m = {1, 2};
  auto v = from(m);
  // Three elements of a longer list: a counted_iterator ends at
  // default_sentinel, a type of its own.
  const std::list<int> src = {5, 6, 7, 8};
  const std::counted_iterator first(src.begin(), 3);
  v.insert(v.cbegin() + 1, first, std::default_sentinel);
  m.insert(m.begin() + 1, {5, 6, 7});
  CHECK(to_std(v) == m);
}

TEST_CASE("mem_vec: at() throws std::out_of_range and reserve() past max_size() std::length_error") {
  auto v = from({1, 2});
  std::vector<int> m = {1, 2};
  CHECK_THROWS_AS(v.at(2), std::out_of_range);
  CHECK_THROWS_AS(m.at(2), std::out_of_range);
  CHECK_THROWS_AS(v.reserve(v.max_size() + 1), std::length_error);
  CHECK_THROWS_AS(m.reserve(m.max_size() + 1), std::length_error);
  CHECK(to_std(v) == m);  // nothing changed
}
