// FileBackend and MappedFileBackend, opening and creation: opening never
// changes a file; creation mode 0644 (never 0700) and preallocation;
// create_new on an existing file; open modes; a read_only backend.
#include "file_backend_fixture.hpp"

using namespace file_backend_fixture;

// --- opening never changes a file ---------------------------------------------

TEMPLATE_TEST_CASE("file backends: opening an existing file never changes its size or bytes", "",
                   FileBackend, MappedFileBackend) {
  test::TempDir dir;
  const auto p = dir / "f";
  const auto bytes = pattern(5000);
  test::write_file(p, bytes);
  const auto d = test::digest(p);

  for (const OpenMode mode :
       {OpenMode::open_or_create, OpenMode::open_existing, OpenMode::read_only}) {
    for (const std::size_t initial : {std::size_t{0}, std::size_t{1}, std::size_t{4096},
                                      std::size_t{5000}, std::size_t{1} << 20}) {
      INFO("mode " << static_cast<int>(mode) << " initial_size " << initial);
      {
        auto b = TestType::open(p, {.mode = mode, .initial_size = initial});
        REQUIRE(b.size() == bytes.size());
        CHECK(std::equal(bytes.begin(), bytes.end(), std::as_const(b).data()));
        CHECK(b.writable() == (mode != OpenMode::read_only));
      }
      CHECK(fs::file_size(p) == bytes.size());
      CHECK(test::digest(p) == d);
    }
  }
}

TEMPLATE_TEST_CASE("file backends: an empty existing file opens with size 0 and can grow", "",
                   FileBackend, MappedFileBackend) {
  test::TempDir dir;
  const auto p = dir / "empty";
  test::write_file(p, {});
  {
    auto b = TestType::open(p, {.initial_size = 8192});  // ignored: the file exists
    CHECK(b.size() == 0);
    CHECK(b.data() == nullptr);
    CHECK(fs::file_size(p) == 0);
    b.resize(3000);
    REQUIRE(b.size() == 3000);
    REQUIRE(b.data() != nullptr);
    CHECK(std::all_of(b.data(), b.data() + 3000, [](std::byte x) { return x == std::byte{0}; }));
    std::memset(b.data(), 0x5A, 3000);
  }
  CHECK(fs::file_size(p) == 3000);
  const auto back = test::read_file(p);
  CHECK(std::all_of(back.begin(), back.end(), [](std::byte x) { return x == std::byte{0x5A}; }));

  SECTION("a MemVec formats it through open_or_create") {
    test::write_file(p, {});
    {
      auto v = MemVec<std::uint64_t, TestType>::open_or_create(TestType::open(p));
      for (std::uint64_t i = 0; i < 10000; ++i) v.push_back(i * 3);
    }
    auto v =
        MemVec<std::uint64_t, TestType>::open(TestType::open(p, {.mode = OpenMode::read_only}));
    REQUIRE(v.size() == 10000);
    for (std::uint64_t i = 0; i < 10000; ++i) REQUIRE(v[i] == i * 3);
  }
}

// --- creation -------------------------------------------------------------------

TEMPLATE_TEST_CASE("file backends: new files are created with mode 0644 and preallocated", "",
                   FileBackend, MappedFileBackend) {
  test::TempDir dir;
  const UmaskGuard umask_022(022);
  int n = 0;
  for (const OpenMode mode : {OpenMode::open_or_create, OpenMode::create_new}) {
    for (const std::size_t initial : {std::size_t{0}, std::size_t{5000}, std::size_t{1} << 20}) {
      const auto p = dir / ("new" + std::to_string(n++));
      INFO("mode " << static_cast<int>(mode) << " initial_size " << initial);
      {
        auto b = TestType::open(p, {.mode = mode, .initial_size = initial});
        CHECK(b.size() == initial);
        CHECK(b.writable());
        if (initial > 0) {
          REQUIRE(b.data() != nullptr);
          CHECK(std::all_of(b.data(), b.data() + initial,
                            [](std::byte x) { return x == std::byte{0}; }));
        }
      }
      const auto st = stat_of(p);
      CHECK((st.st_mode & 07777) == 0644);
      CHECK(static_cast<std::size_t>(st.st_size) == initial);
      // Real blocks, not a sparse hole: a full disk fails at open, not at a store.
      CHECK(static_cast<std::size_t>(st.st_blocks) * 512 >= initial);
    }
  }
}

TEMPLATE_TEST_CASE("file backends: files are never created with mode 0700, even with umask 0", "",
                   FileBackend, MappedFileBackend) {
  test::TempDir dir;
  const UmaskGuard umask_0(0);
  const auto p = dir / "f";
  {
    auto b = TestType::open(p, {.initial_size = 4096});
    b.resize(8192);
  }
  CHECK((stat_of(p).st_mode & 07777) == 0644);
}

TEMPLATE_TEST_CASE("file backends: create_new on an existing file is io_error EEXIST", "",
                   FileBackend, MappedFileBackend) {
  test::TempDir dir;
  const auto p = dir / "f";
  test::write_file(p, pattern(100));
  const auto d = test::digest(p);
  CHECK(outcome(
            [&] { (void)TestType::open(p, {.mode = OpenMode::create_new, .initial_size = 4096}); },
            true) == err(errc::io_error, EEXIST));
  CHECK(test::digest(p) == d);
}

TEMPLATE_TEST_CASE(
    "file backends: open_existing and read_only on a missing file are io_error ENOENT", "",
    FileBackend, MappedFileBackend) {
  test::TempDir dir;
  const auto p = dir / "missing";
  CHECK(
      outcome(
          [&] { (void)TestType::open(p, {.mode = OpenMode::open_existing, .initial_size = 4096}); },
          true) == err(errc::io_error, ENOENT));
  CHECK(outcome([&] { (void)TestType::open(p, {.mode = OpenMode::read_only}); }, true) ==
        err(errc::io_error, ENOENT));
  CHECK_FALSE(fs::exists(p));
}

TEMPLATE_TEST_CASE("file backends: a read_only backend refuses resize and keeps the file", "",
                   FileBackend, MappedFileBackend) {
  test::TempDir dir;
  const auto p = dir / "f";
  test::write_file(p, pattern(6000));
  const auto d = test::digest(p);
  {
    auto b = TestType::open(p, {.mode = OpenMode::read_only});
    CHECK_FALSE(b.writable());
    CHECK(outcome([&] { b.resize(12000); }) == "read_only");
    CHECK(outcome([&] { b.resize(100); }) == "read_only");
    CHECK(outcome([&] { b.resize(0); }) == "read_only");
    CHECK(b.size() == 6000);
    CHECK(outcome([&] { b.sync(0, 6000); }) == "ok");  // nothing to make durable
  }
  CHECK(test::digest(p) == d);

  SECTION("a MemVec over it reads, and every mutation is read_only") {
    {
      auto v = MemVec<std::uint32_t, TestType>::create(TestType::open(dir / "v"));
      v.push_back(1);
      v.push_back(2);
    }
    const auto dv = test::digest(dir / "v");
    {
      auto v = MemVec<std::uint32_t, TestType>::open(
          TestType::open(dir / "v", {.mode = OpenMode::read_only}));
      CHECK(v.size() == 2);
      CHECK(v[1] == 2u);
      CHECK(outcome([&] { v.push_back(3); }) == "read_only");
      CHECK(outcome([&] { v.pop_back(); }) == "read_only");
      CHECK(outcome([&] { v.clear(); }) == "read_only");
      CHECK(outcome([&] { v.reserve(100000); }) == "read_only");
      CHECK(outcome([&] { v.shrink_to_fit(); }) == "read_only");
      CHECK(v.size() == 2);
    }
    CHECK(outcome([&] {
            (void)MemVec<std::uint32_t, TestType>::create(
                TestType::open(dir / "v", {.mode = OpenMode::read_only}));
          }) == "read_only");
    CHECK(test::digest(dir / "v") == dv);
  }
}
