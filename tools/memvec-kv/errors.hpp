// memvec-kv's exit codes and the two exceptions that reach them.
//
// Conventional codes: 0 all is well, 1 a problem was found (damage, a file
// of the wrong kind, a missing key, a refused snapshot), 2 the command line
// itself is wrong. Commands throw; main() is the one place that maps an
// exception to a message and a code, so no command can forget either.
#pragma once

#include <stdexcept>
#include <string>

namespace memvec_kv {

inline constexpr int kExitOk = 0;
inline constexpr int kExitProblem = 1;
inline constexpr int kExitUsage = 2;

// A command line that cannot be run: unknown option, wrong argument count.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The input is not what the command needs, or is damaged: exit 1.
struct Problem : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace memvec_kv
