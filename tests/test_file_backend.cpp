// FileBackend and MappedFileBackend: what opening may and may not do to a
// file, creation mode and preallocation, open modes, locks (in this process
// and across processes), a full disk during growth, sync, close.
// Cross-process cases fork; a child never runs Catch2 assertions: it reports
// through its exit code (or a pipe) and leaves with _exit.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "memvec/memvec.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using memvec::errc;
using memvec::errc_name;
using memvec::FileBackend;
using memvec::FileOptions;
using memvec::MappedFileBackend;
using memvec::MemVec;
using memvec::OpenMode;

namespace {

// "ok", the errc name of the memvec::Error thrown (with its errno when it
// has one, as "io_error/EEXIST"-style "io_error errno 17"), or a description
// of any other exception.
template <class F>
std::string outcome(F&& f, bool with_errno = false) {
  try {
    f();
    return "ok";
  } catch (const memvec::Error& e) {
    if (e.code().category() != memvec::error_category()) return "foreign category";
    std::string s = errc_name(static_cast<errc>(e.code().value()));
    if (with_errno) s += " errno " + std::to_string(e.sys_errno());
    return s;
  } catch (const std::exception& e) {
    return std::string("foreign exception: ") + e.what();
  }
}

std::string err(errc e, int sys) { return std::string(errc_name(e)) + " errno " + std::to_string(sys); }

template <class B>
std::string open_outcome(const fs::path& p, FileOptions o = {}) {
  return outcome([&] { (void)B::open(p, o); });
}

std::vector<std::byte> pattern(std::size_t n, unsigned seed = 1) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = static_cast<std::byte>((i * 131 + seed * 7 + i / 251) & 0xFF);
  return v;
}

struct stat stat_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st;
}

class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t m) : old_(::umask(m)) {}
  ~UmaskGuard() { ::umask(old_); }
  UmaskGuard(const UmaskGuard&) = delete;
  UmaskGuard& operator=(const UmaskGuard&) = delete;

 private:
  mode_t old_;
};

// Exit codes of forked children (besides errc values, which are 1..12).
constexpr int kChildOk = 0;
constexpr int kChildOtherException = 90;
constexpr int kChildTooSlow = 91;

// A child's result code for an open attempt: 0, the errc value, or 90.
template <class F>
int code_of(F&& f) {
  try {
    f();
    return kChildOk;
  } catch (const memvec::Error& e) {
    return e.code().value();
  } catch (...) {
    return kChildOtherException;
  }
}

// Runs `body` (returning an exit code) in a forked child with a watchdog
// alarm; returns its exit code, or 1000 + the signal that killed it.
template <class F>
int in_child(F&& body, unsigned watchdog_seconds = 20) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::alarm(watchdog_seconds);  // a blocked child dies instead of hanging the test
    int code = kChildOtherException;
    try {
      code = body();
    } catch (...) {
    }
    ::_exit(code);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

// In a child process: opens `p` with `mode`, reports the errc (0 if it
// opened) as the exit code; 91 if the open did not return within a second.
template <class B>
int open_in_child(const fs::path& p, OpenMode mode) {
  return in_child([&] {
    const auto t0 = std::chrono::steady_clock::now();
    const int code = code_of([&] { (void)B::open(p, {.mode = mode}); });
    if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(1)) return kChildTooSlow;
    return code;
  });
}

constexpr int kLocked = static_cast<int>(errc::locked);

}  // namespace

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

// --- locks ---------------------------------------------------------------------------

TEMPLATE_TEST_CASE("file backends: a second writer in the same process gets locked", "",
                   FileBackend, MappedFileBackend) {
  test::TempDir dir;
  const auto p = dir / "f";
  const auto d0 = [&] {
    test::write_file(p, pattern(4096));
    return test::digest(p);
  }();
  {
    auto writer = TestType::open(p);
    CHECK(open_outcome<TestType>(p) == "locked");
    CHECK(open_outcome<TestType>(p, {.mode = OpenMode::open_existing}) == "locked");
    CHECK(open_outcome<TestType>(p, {.mode = OpenMode::read_only}) == "locked");
    // MemVec::open_or_create fails in the backend, before reading anything.
    CHECK(outcome([&] {
            (void)MemVec<std::uint64_t, TestType>::open_or_create(TestType::open(p));
          }) == "locked");
  }
  CHECK(test::digest(p) == d0);
  SECTION("after the writer is destroyed, a new writer succeeds") {
    CHECK(open_outcome<TestType>(p) == "ok");
  }
  SECTION("after the writer close()s, a new writer succeeds") {
    auto writer = TestType::open(p);
    writer.close();
    CHECK(open_outcome<TestType>(p) == "ok");
  }
}

TEMPLATE_TEST_CASE("file backends: two readers coexist and exclude a writer", "", FileBackend,
                   MappedFileBackend) {
  test::TempDir dir;
  const auto p = dir / "f";
  test::write_file(p, pattern(4096));
  {
    auto r1 = TestType::open(p, {.mode = OpenMode::read_only});
    auto r2 = TestType::open(p, {.mode = OpenMode::read_only});
    CHECK(r1.size() == 4096);
    CHECK(r2.size() == 4096);
    CHECK(open_outcome<TestType>(p) == "locked");
    CHECK(open_outcome<TestType>(p, {.mode = OpenMode::open_existing}) == "locked");
    CHECK(open_in_child<TestType>(p, OpenMode::read_only) == kChildOk);
    CHECK(open_in_child<TestType>(p, OpenMode::open_existing) == kLocked);
  }
  CHECK(open_outcome<TestType>(p) == "ok");
}

TEST_CASE("file backends: FileBackend and MappedFileBackend lock each other out") {
  test::TempDir dir;
  const auto p = dir / "f";
  {
    auto w = FileBackend::open(p, {.initial_size = 4096});
    CHECK(open_outcome<MappedFileBackend>(p) == "locked");
    CHECK(open_outcome<MappedFileBackend>(p, {.mode = OpenMode::read_only}) == "locked");
  }
  {
    auto w = MappedFileBackend::open(p);
    CHECK(open_outcome<FileBackend>(p) == "locked");
    CHECK(open_outcome<FileBackend>(p, {.mode = OpenMode::read_only}) == "locked");
  }
}

TEMPLATE_TEST_CASE("file backends: a writer in another process gets locked at once", "",
                   FileBackend, MappedFileBackend) {
  test::TempDir dir;
  const auto p = dir / "f";
  auto writer = TestType::open(p, {.initial_size = 4096});
  CHECK(open_in_child<TestType>(p, OpenMode::open_or_create) == kLocked);
  CHECK(open_in_child<TestType>(p, OpenMode::open_existing) == kLocked);
  CHECK(open_in_child<TestType>(p, OpenMode::read_only) == kLocked);
  writer.close();
  CHECK(open_in_child<TestType>(p, OpenMode::open_existing) == kChildOk);
}

TEMPLATE_TEST_CASE("file backends: the lock dies with the process that held it", "", FileBackend,
                   MappedFileBackend) {
  test::TempDir dir;
  const auto p = dir / "f";
  test::write_file(p, pattern(4096));
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(ready[0]);
    ::alarm(20);
    try {
      auto w = TestType::open(p);
      const char c = 'r';
      if (::write(ready[1], &c, 1) != 1) ::_exit(2);
      for (;;) ::pause();  // holds the lock until killed
    } catch (...) {
      ::_exit(3);
    }
  }
  ::close(ready[1]);
  char c = 0;
  REQUIRE(::read(ready[0], &c, 1) == 1);  // the child holds the lock now
  ::close(ready[0]);
  CHECK(open_outcome<TestType>(p) == "locked");
  CHECK(open_outcome<TestType>(p, {.mode = OpenMode::read_only}) == "locked");
  ::kill(pid, SIGKILL);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFSIGNALED(status));
  CHECK(open_outcome<TestType>(p) == "ok");
}

// --- a full disk ---------------------------------------------------------------------

namespace {

constexpr std::size_t kFileLimit = std::size_t{1} << 20;

// Child exit codes of the full-disk run.
enum FullDisk : int {
  kNeverFailed = 20,
  kWrongErrc,
  kWrongErrno,
  kSizeChanged,
  kElementLost,
  kPopPushFailed,
  kSecondGrowthNotIoError,
  kCloseFailed,
  kReopenDiffers,
  kPipeFailed,
  kOtherException,
  kTooFewElements,
};

constexpr std::uint64_t value_at(std::uint64_t i) { return i * 0x9E3779B97F4A7C15ull + 1; }

template <class B>
bool all_intact(const MemVec<std::uint64_t, B>& v, std::size_t n) {
  if (v.size() != n) return false;
  for (std::size_t i = 0; i < n; ++i)
    if (v[i] != value_at(i)) return false;
  return true;
}

// Runs in a child: a 1 MiB file-size limit, then push_back until growth
// fails. Writes the element count to `out` and exits 0 if everything held.
template <class B>
[[noreturn]] void full_disk_child(const fs::path& p, int out) {
  int code = kOtherException;
  try {
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{kFileLimit, kFileLimit};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(kOtherException);

    auto v = MemVec<std::uint64_t, B>::create(B::open(p, {.mode = OpenMode::create_new}));
    std::uint64_t n = 0;
    bool failed = false;
    try {
      for (; n < 2 * kFileLimit; ++n) v.push_back(value_at(n));
    } catch (const memvec::Error& e) {
      failed = true;
      if (e.code() != errc::io_error) ::_exit(kWrongErrc);
      if (e.sys_errno() != EFBIG && e.sys_errno() != ENOSPC) ::_exit(kWrongErrno);
    }
    if (!failed) ::_exit(kNeverFailed);
    if (n < 1000) ::_exit(kTooFewElements);
    if (v.size() != n) ::_exit(kSizeChanged);
    if (!all_intact(v, n)) ::_exit(kElementLost);

    // Still usable within its capacity.
    v.pop_back();
    v.push_back(value_at(n - 1));
    if (!all_intact(v, n)) ::_exit(kPopPushFailed);
    // Growing again fails again, the same way, and loses nothing.
    try {
      v.push_back(value_at(n));
      ::_exit(kSecondGrowthNotIoError);
    } catch (const memvec::Error& e) {
      if (e.code() != errc::io_error) ::_exit(kSecondGrowthNotIoError);
    }
    if (!all_intact(v, n)) ::_exit(kElementLost);
    v.sync();
    try {
      v.close();
    } catch (...) {
      ::_exit(kCloseFailed);
    }
    {
      auto r = MemVec<std::uint64_t, B>::open(B::open(p, {.mode = OpenMode::open_existing}));
      if (!all_intact(r, n)) ::_exit(kReopenDiffers);
    }
    if (::write(out, &n, sizeof n) != static_cast<ssize_t>(sizeof n)) ::_exit(kPipeFailed);
    code = 0;
  } catch (...) {
    code = kOtherException;
  }
  ::_exit(code);
}

}  // namespace

TEMPLATE_TEST_CASE(
    "file backends: a full disk during growth is io_error, never a signal, and loses nothing", "",
    FileBackend, MappedFileBackend) {
  test::TempDir dir;
  const auto p = dir / "full";
  int pipefd[2];
  REQUIRE(::pipe(pipefd) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(pipefd[0]);
    ::alarm(60);
    full_disk_child<TestType>(p, pipefd[1]);
  }
  ::close(pipefd[1]);
  std::uint64_t n = 0;
  const auto got = ::read(pipefd[0], &n, sizeof n);
  ::close(pipefd[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  INFO("child " << (WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                        : "exit code " + std::to_string(WEXITSTATUS(status)))
                << " (codes: 20 never failed, 21 wrong errc, 22 wrong errno, 23 size changed,"
                   " 24 element lost, 25 pop/push failed, 26 second growth, 27 close,"
                   " 28 reopen differs, 29 pipe, 30 other exception, 31 too few)");
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(got == static_cast<ssize_t>(sizeof n));

  // The failed growth left the file within the limit, and the parent (no
  // limit) sees every element and can keep growing.
  CHECK(fs::file_size(p) <= kFileLimit);
  auto v =
      MemVec<std::uint64_t, TestType>::open(TestType::open(p, {.mode = OpenMode::open_existing}));
  REQUIRE(all_intact(v, n));
  for (std::uint64_t i = n; i < n + 1000; ++i) v.push_back(value_at(i));
  CHECK(all_intact(v, n + 1000));
  CHECK(fs::file_size(p) > kFileLimit);
}
