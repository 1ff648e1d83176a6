// Runs the built memvec-kv binary for the CLI tests: arguments in, exit
// code, stdout and stderr out. The binary's path comes from the build
// (MEMVEC_KV_BIN), or from the environment variable of that name, to test an
// installed one. Output goes through files, not pipes, so that a chatty
// command can never deadlock the test.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "memvec/kv/value.hpp"

namespace cli {

struct Result {
  int code = -1;  // the exit status; 128 + n when killed by signal n
  std::string out;
  std::string err;
};

// stdin_file: the child's stdin (default /dev/null).
Result run(const std::vector<std::string>& args, const std::filesystem::path& stdin_file = {});

// Bit-exact Value equality: same types, doubles compared by their bits (so
// -0.0 != 0.0), containers recursively; integers by value (as Value ==).
bool same(const memvec::kv::Value& a, const memvec::kv::Value& b);

}  // namespace cli
