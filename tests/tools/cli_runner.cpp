// cli::run and cli::same (contract in cli_runner.hpp).
#include "cli_runner.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace cli {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string binary() {
  if (const char* env = std::getenv("MEMVEC_KV_BIN"); env != nullptr && *env != '\0') return env;
  return MEMVEC_KV_BIN;
}

}  // namespace

Result run(const std::vector<std::string>& args, const std::filesystem::path& stdin_file) {
  static std::atomic<unsigned> counter{0};
  const auto base = std::filesystem::temp_directory_path() /
                    ("memvec-cli-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  const std::string out_path = base.string() + ".out";
  const std::string err_path = base.string() + ".err";
  const std::string in_path = stdin_file.empty() ? "/dev/null" : stdin_file.string();

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  const std::string bin = binary();
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(bin.c_str()));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("posix_spawn " + bin + ": " + std::strerror(rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  Result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  std::filesystem::remove(out_path);
  std::filesystem::remove(err_path);
  // Under MEMVEC_SANITIZE the binary is instrumented too: a report fails the
  // test even on a path that exits 1 anyway.
  if (r.err.find("Sanitizer") != std::string::npos || r.err.find("runtime error:") != std::string::npos)
    throw std::runtime_error("memvec-kv reported a sanitizer error:\n" + r.err);
  return r;
}

bool same(const memvec::kv::Value& a, const memvec::kv::Value& b) {
  using memvec::kv::Type;
  // Integers by value: BONJSON decodes 0..INT64_MAX as int64 whichever form
  // was stored (bonjson.hpp), and so does every journal.
  if (a.is_integer() && b.is_integer()) return a == b;
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Type::float64: {
      const double x = a.as_double();
      const double y = b.as_double();
      return std::memcmp(&x, &y, sizeof x) == 0;
    }
    case Type::array: {
      const auto& x = a.as_array();
      const auto& y = b.as_array();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i)
        if (!same(x[i], y[i])) return false;
      return true;
    }
    case Type::object: {
      const auto& x = a.as_object();
      const auto& y = b.as_object();
      if (x.size() != y.size()) return false;
      for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j)
        if (i->first != j->first || !same(i->second, j->second)) return false;
      return true;
    }
    default:
      return a == b;
  }
}

}  // namespace cli
