// The SIGKILL-trial harness shared by the crash tests (test_crash,
// test_journal_crash, test_store_crash): a child writes and acknowledges each
// returned call through a pipe; the parent reads the acks and kills it.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace test {

inline bool write_all(int fd, const void* p, std::size_t n) {
  const auto* b = static_cast<const char*>(p);
  while (n > 0) {
    const ssize_t w = ::write(fd, b, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    b += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// Reads 8-byte messages from a pipe (non-blocking underneath: when spinning
// it busy-polls, to see each ack within a microsecond or two of its write).
class AckReader {
 public:
  explicit AckReader(int fd) : fd_(fd) {
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  }
  ~AckReader() { ::close(fd_); }
  AckReader(const AckReader&) = delete;
  AckReader& operator=(const AckReader&) = delete;
  void spin(bool on) { spin_ = on; }
  // The next message; false at end of file.
  bool next(std::uint64_t& out) {
    while (have_ < sizeof out) {
      const ssize_t r = ::read(fd_, buf_ + have_, sizeof buf_ - have_);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && errno == EAGAIN) {
        if (!spin_) {
          pollfd p{fd_, POLLIN, 0};
          ::poll(&p, 1, -1);
        }
        continue;
      }
      if (r <= 0) return false;
      have_ += static_cast<std::size_t>(r);
    }
    std::memcpy(&out, buf_, sizeof out);
    std::memmove(buf_, buf_ + sizeof out, have_ - sizeof out);
    have_ -= sizeof out;
    return true;
  }

 private:
  int fd_;
  bool spin_ = false;
  char buf_[4096];
  std::size_t have_ = 0;
};

// Kills and reaps the child if a failed assertion leaves the trial early.
class ChildGuard {
 public:
  explicit ChildGuard(pid_t pid) : pid_(pid) {}
  ~ChildGuard() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;
  // Waits for the child; returns its status.
  int reap() {
    int status = 0;
    if (::waitpid(pid_, &status, 0) != pid_) status = -1;
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_;
};

inline std::size_t env_or(const char* name, std::size_t fallback) {
  const char* s = std::getenv(name);
  return s != nullptr && *s != '\0' ? static_cast<std::size_t>(std::strtoull(s, nullptr, 10))
                                    : fallback;
}

}  // namespace test
