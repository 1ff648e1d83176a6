// Shared by the file backend tests (test_file_backend_*.cpp): outcomes as
// strings (errc names with their errno), test patterns, stat and umask
// helpers, and forked children that report through their exit code.
// A child never runs Catch2 assertions: it reports through its exit code (or
// a pipe) and leaves with _exit.
#pragma once
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

namespace file_backend_fixture {

namespace fs = std::filesystem;
using memvec::errc;
using memvec::errc_name;
using memvec::FileBackend;
using memvec::FileOptions;
using memvec::MappedFileBackend;
using memvec::MemVec;
using memvec::OpenMode;

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

inline std::string err(errc e, int sys) {
  return std::string(errc_name(e)) + " errno " + std::to_string(sys);
}

template <class B>
std::string open_outcome(const fs::path& p, FileOptions o = {}) {
  return outcome([&] { (void)B::open(p, o); });
}

inline std::vector<std::byte> pattern(std::size_t n, unsigned seed = 1) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = static_cast<std::byte>((i * 131 + seed * 7 + i / 251) & 0xFF);
  return v;
}

inline struct stat stat_of(const fs::path& p) {
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
inline constexpr int kChildOk = 0;
inline constexpr int kChildOtherException = 90;
inline constexpr int kChildTooSlow = 91;

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

inline constexpr int kLocked = static_cast<int>(errc::locked);

}  // namespace file_backend_fixture
