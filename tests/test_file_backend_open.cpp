// FileBackend and MappedFileBackend, opening and creation: opening never
// changes a file; creation mode 0644 (never 0700) and preallocation;
// create_new on an existing file; open modes; a read_only backend; a FIFO,
// socket or device refused at once.
#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <thread>

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
    const auto v =
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
      CHECK(std::as_const(v)[1] == 2u);
      CHECK(outcome([&] { (void)v[1]; }) == "read_only");  // non-const access: see mem_vec.hpp
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

// --- anything but a regular file is refused at once ------------------------------

namespace {

// Opens `p` as TestType in every mode and checks each is refused at once
// with not_a_regular_file, naming the path. A FIFO's opener blocked until a
// writer came; the watchdog plays that writer after a while, so old code
// shows up as a slow open (and a wrong errc), not as a hung test.
template <class B>
void check_refused_at_once(const fs::path& p) {
  for (const OpenMode mode : {OpenMode::read_only, OpenMode::open_existing,
                              OpenMode::open_or_create, OpenMode::create_new}) {
    INFO("mode " << static_cast<int>(mode));
    std::atomic<bool> done{false};
    std::thread watchdog([&] {
      const auto start = std::chrono::steady_clock::now();
      while (!done && std::chrono::steady_clock::now() - start < std::chrono::seconds(3)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (std::chrono::steady_clock::now() - start < std::chrono::seconds(1)) continue;
        if (const int fd = ::open(p.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC); fd >= 0) {
          ::close(fd);
          return;
        }
      }
    });
    const auto start = std::chrono::steady_clock::now();
    std::string what;
    const std::string got = outcome([&] {
      try {
        (void)B::open(p, {.mode = mode});
      } catch (const std::exception& e) {
        what = e.what();
        throw;
      }
    });
    const auto took = std::chrono::steady_clock::now() - start;
    done = true;
    watchdog.join();
    CHECK(got == "not_a_regular_file");
    CHECK(took < std::chrono::milliseconds(500));
    CHECK(what.find(p.string()) != std::string::npos);
  }
}

}  // namespace

TEMPLATE_TEST_CASE("file backends: a FIFO is refused at once with not_a_regular_file, in every mode",
                   "", FileBackend, MappedFileBackend) {
  test::TempDir dir;
  const auto p = dir / "fifo";
  REQUIRE(::mkfifo(p.c_str(), 0644) == 0);
  check_refused_at_once<TestType>(p);
  CHECK(fs::is_fifo(p));  // still there, untouched
}

TEMPLATE_TEST_CASE("file backends: a unix socket is refused at once with not_a_regular_file",
                   "", FileBackend, MappedFileBackend) {
  test::TempDir dir;
  const auto p = dir / "sock";
  const int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(s >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  REQUIRE(p.string().size() < sizeof addr.sun_path);
  std::memcpy(addr.sun_path, p.c_str(), p.string().size() + 1);
  REQUIRE(::bind(s, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  check_refused_at_once<TestType>(p);
  ::close(s);
}

TEMPLATE_TEST_CASE("file backends: a character device is refused with not_a_regular_file", "",
                   FileBackend, MappedFileBackend) {
  if (!fs::is_character_file("/dev/null")) return;
  // Read-only only: a writer's open of a device is refused the same way,
  // but a test should not even try to open /dev/null for writing.
  CHECK(open_outcome<TestType>("/dev/null", {.mode = OpenMode::read_only}) ==
        "not_a_regular_file");
}
