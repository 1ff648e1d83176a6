// Memory readings that need a process of their own (bench_store_engine):
// what an open costs in anonymous memory shows only in a process whose heap
// holds nothing else. A fork alone would hand the child the parent's heap,
// whose free chunks would absorb the allocations being measured, so the
// child is this binary exec'd again.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "bench_common.hpp"

namespace memvec_bench {

// RssAnon: resident anonymous pages (heap, indexes, stacks), leaving out the
// file pages a mapping brings in, which the page cache can drop.
inline std::size_t rss_anon_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("RssAnon:")) return std::strtoull(line.c_str() + 8, nullptr, 10) * 1024;
  fail("no RssAnon in /proc/self/status");
}

// Runs /proc/self/exe with `args` (argv[1] on) and returns its stdout; throws
// unless it exits with status 0.
inline std::string run_self(const std::vector<std::string>& args) {
  // Built before the fork: the child only calls async-signal-safe functions.
  std::vector<char*> argv{const_cast<char*>("self")};
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int fds[2];
  if (::pipe(fds) != 0) fail("pipe failed");
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) fail("fork failed");
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execv("/proc/self/exe", argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string out;
  char buf[256];
  for (ssize_t got; (got = ::read(fds[0], buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<std::size_t>(got));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail("child process " + args[0] + " failed");
  return out;
}

}  // namespace memvec_bench
