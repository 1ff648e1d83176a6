// FileBackend and MappedFileBackend, a full disk during growth (RLIMIT_FSIZE
// in a child): errc::io_error (EFBIG), every element intact, pop and push
// still working, a reopen showing the same contents.
#include "file_backend_fixture.hpp"

using namespace file_backend_fixture;

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
