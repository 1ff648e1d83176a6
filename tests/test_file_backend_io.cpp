// FileBackend and MappedFileBackend: resize, sync (ranges not page-aligned),
// close() releasing everything, moved-from backends.
#include "file_backend_fixture.hpp"

using namespace file_backend_fixture;

// --- resize, sync, close -------------------------------------------------------------

TEMPLATE_TEST_CASE(
    "file backends: resize grows with real blocks, keeps the bytes and shrinks the file", "",
    FileBackend, MappedFileBackend) {
  test::TempDir dir;
  const auto p = dir / "f";
  const std::size_t page = memvec::page_size();
  auto b = TestType::open(p, {.initial_size = page});
  const auto bytes = pattern(page);
  std::memcpy(b.data(), bytes.data(), page);

  b.resize(5 * page + 123);
  REQUIRE(b.size() == 5 * page + 123);
  CHECK(std::equal(bytes.begin(), bytes.end(), b.data()));
  CHECK(std::all_of(b.data() + page, b.data() + b.size(),
                    [](std::byte x) { return x == std::byte{0}; }));
  b.data()[b.size() - 1] = std::byte{0x77};
  const auto st = stat_of(p);
  CHECK(static_cast<std::size_t>(st.st_size) == 5 * page + 123);
  CHECK(static_cast<std::size_t>(st.st_blocks) * 512 >= 5 * page + 123);

  b.resize(100);
  CHECK(b.size() == 100);
  CHECK(fs::file_size(p) == 100);
  CHECK(std::equal(bytes.begin(), bytes.begin() + 100, b.data()));

  b.resize(0);
  CHECK(b.size() == 0);
  CHECK(fs::file_size(p) == 0);
  b.resize(2 * page);
  CHECK(b.size() == 2 * page);
  CHECK(std::all_of(b.data(), b.data() + b.size(), [](std::byte x) { return x == std::byte{0}; }));
}

TEMPLATE_TEST_CASE("file backends: sync accepts ranges that are not page-aligned", "", FileBackend,
                   MappedFileBackend) {
  test::TempDir dir;
  const auto p = dir / "f";
  const std::size_t page = memvec::page_size();
  const std::size_t size = 3 * page + 100;
  const auto bytes = pattern(size, 3);
  {
    auto b = TestType::open(p, {.initial_size = size});
    std::memcpy(b.data(), bytes.data(), size);
    CHECK(outcome([&] { b.sync(1, 10); }) == "ok");
    CHECK(outcome([&] { b.sync(page - 1, 2); }) == "ok");  // straddles a page
    CHECK(outcome([&] { b.sync(page + 17, 2 * page); }) == "ok");
    CHECK(outcome([&] { b.sync(3 * page + 50, 50); }) == "ok");  // the partial last page
    CHECK(outcome([&] { b.sync(size - 1, 1000); }) == "ok");     // clamped to the end
    CHECK(outcome([&] { b.sync(0, SIZE_MAX); }) == "ok");
    CHECK(outcome([&] { b.sync(size + 5, 10); }) == "ok");  // past the end: nothing
    CHECK(outcome([&] { b.sync(7, 0); }) == "ok");
  }
  CHECK(test::read_file(p) == bytes);
}

TEMPLATE_TEST_CASE("file backends: close() releases everything and the file reopens with its bytes",
                   "", FileBackend, MappedFileBackend) {
  test::TempDir dir;
  const auto p = dir / "f";
  const auto bytes = pattern(10000, 5);
  auto b = TestType::open(p, {.initial_size = bytes.size()});
  std::memcpy(b.data(), bytes.data(), bytes.size());
  b.close();
  CHECK_FALSE(b.is_open());
  CHECK(b.size() == 0);
  CHECK(b.data() == nullptr);
  CHECK(outcome([&] { b.close(); }) == "ok");  // closing twice is harmless
  CHECK(outcome([&] { b.resize(100); }) == "invalid_argument");

  // Unlocked: a new writer opens while the closed handle still exists.
  auto again = TestType::open(p, {.mode = OpenMode::open_existing});
  REQUIRE(again.size() == bytes.size());
  CHECK(std::equal(bytes.begin(), bytes.end(), again.data()));
}

TEMPLATE_TEST_CASE("file backends: a moved-from backend is empty and the lock moves along", "",
                   FileBackend, MappedFileBackend) {
  test::TempDir dir;
  const auto p = dir / "f";
  auto a = TestType::open(p, {.initial_size = 4096});
  a.data()[0] = std::byte{42};
  TestType b = std::move(a);
  CHECK(a.size() == 0);
  CHECK_FALSE(a.is_open());
  REQUIRE(b.size() == 4096);
  CHECK(b.data()[0] == std::byte{42});
  CHECK(open_outcome<TestType>(p) == "locked");
  {
    TestType c;
    c = std::move(b);
    CHECK(open_outcome<TestType>(p) == "locked");
  }
  CHECK(open_outcome<TestType>(p) == "ok");
}
