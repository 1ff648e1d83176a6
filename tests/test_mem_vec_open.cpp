// MemVec<T, B>, what a vector adds to the std::vector surface: read-only
// files, the user area, power-loss durability, and close releasing a file.
#include "mem_vec_fixture.hpp"

using namespace mem_vec_fixture;

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
  const auto& cv = v;  // a read-only vector is read through const access
  CHECK(cv[57] == 57);
  CHECK(std::accumulate(cv.begin(), cv.end(), U64{0}) == 4950);
  CHECK(error_of([&] { (void)v[57]; }) == errc::read_only);  // non-const access: refused
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
  CHECK(cv[0] == 0);
  CHECK(cv.back() == 99);
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
