// Command: one subcommand of memvec-kv — its name, its --help text, the
// options it takes, and the function that runs it — and the options every
// command shares.
//
// A command returns its exit code (kExitOk, or kExitProblem when it found a
// problem and reported it itself, e.g. verify on a damaged file) or throws
// (errors.hpp; memvec::Error is a problem too); main() prints and maps.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "args.hpp"
#include "progress.hpp"

namespace memvec_kv {

// Which TARGET paragraph --help ends with (target_help()).
enum class TargetHelp { journal_or_store, any_memvec_file, snapshot_import };

struct Command {
  std::string_view name;
  std::string_view summary;  // one line, for the overview
  std::string_view help;     // usage, description, options
  TargetHelp target;
  std::string_view exit_help;  // "Exit status: ..."
  std::span<const OptionSpec> options;
  int (*run)(const Args& args);
};

extern const Command kInfoCommand;
extern const Command kDumpCommand;
extern const Command kVerifyCommand;
extern const Command kGetCommand;
extern const Command kSetCommand;
extern const Command kEraseCommand;
extern const Command kKeysCommand;
extern const Command kCompactCommand;
extern const Command kExportCommand;
extern const Command kImportCommand;

// --progress forces the bar, --no-progress hides it, else automatic.
ProgressMode progress_mode(const Args& args);

// The TARGET paragraph (one source for every --help and the overview).
std::string target_help(TargetHelp kind);

}  // namespace memvec_kv
