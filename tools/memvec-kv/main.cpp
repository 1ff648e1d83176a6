// memvec-kv: inspect, check, edit, back up and restore memvec KV journals
// and double-buffered stores from the shell (and look at MemVec files).
//
// One subcommand per file (cmd_*.cpp); this file only dispatches, prints
// the overview, and turns exceptions into messages and exit codes, so that
// every command follows the same conventions (errors.hpp).
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <memvec/error.hpp>

#include "command.hpp"
#include "errors.hpp"
#include "snapshot.hpp"
#include "text_format.hpp"

namespace memvec_kv {

ProgressMode progress_mode(const Args& args) {
  if (args.flag("no-progress")) return ProgressMode::off;
  if (args.flag("progress")) return ProgressMode::forced;
  return ProgressMode::automatic;
}

std::string target_help(TargetHelp kind) {
  std::string s =
      "TARGET names what to work on, told apart by content (the header), never by name:\n";
  if (kind == TargetHelp::any_memvec_file)
    s += "  FILE      a KV journal or a MemVec file (the type tag in its header tells)\n";
  else if (kind == TargetHelp::snapshot_import)
    s += "  FILE      a KV journal; created when missing or empty\n";
  else
    s += "  FILE      a KV journal (its header's type tag is \"MVKVJRNL\")\n";
  s += "  A B       a double-buffered store: its two journal files\n"
       "  DIR       a directory holding a store as DIR/store_a.kv and DIR/store_b.kv\n";
  if (kind == TargetHelp::snapshot_import)
    s += "            (a new store is created in an existing directory, or as A B)\n";
  return s;
}

namespace {

const Command* const kCommands[] = {
    &kInfoCommand,  &kDumpCommand, &kVerifyCommand,  &kGetCommand,    &kSetCommand,
    &kEraseCommand, &kKeysCommand, &kCompactCommand, &kExportCommand, &kImportCommand};

void print_overview(std::FILE* to) {
  std::fprintf(
      to,
      "usage: memvec-kv COMMAND [OPTIONS] ARGS...   (memvec-kv COMMAND --help for each)\n\n"
      "Inspect, check, edit, back up and restore memvec KV journals and double-buffered\n"
      "stores; info and verify also read plain MemVec files.\n\ncommands:\n");
  for (const Command* c : kCommands)
    std::fprintf(to, "  %-9s %s\n", std::string(c->name).c_str(), std::string(c->summary).c_str());
  std::fprintf(to, "\n%s\n%s", target_help(TargetHelp::any_memvec_file).c_str(),
               "Exit status: 0 ok, 1 a problem found (damage, wrong kind of file, missing key,\n"
               "refused snapshot), 2 usage error.\n");
}

int run(int argc, char** argv) {
  if (argc < 2) {
    print_overview(stderr);
    return kExitUsage;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_overview(stdout);
    return kExitOk;
  }
  if (name == "--version") {
    std::printf("memvec-kv 0.1.0\n");
    return kExitOk;
  }
  const Command* command = nullptr;
  for (const Command* c : kCommands)
    if (c->name == name) command = c;
  if (command == nullptr) {
    std::fprintf(stderr, "memvec-kv: unknown command '%s'\n\n", name.c_str());
    print_overview(stderr);
    return kExitUsage;
  }
  const std::vector<std::string> words(argv + 2, argv + argc);
  try {
    const Args args(words, command->options);
    if (args.help()) {
      std::fputs((std::string(command->help) + "\n" + target_help(command->target) + "\n" +
                  std::string(command->exit_help))
                     .c_str(),
                 stdout);
      return kExitOk;
    }
    return command->run(args);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "memvec-kv %s: %s\n(memvec-kv %s --help for usage)\n", name.c_str(),
                 e.what(), name.c_str());
    return kExitUsage;
  } catch (const Problem& e) {
    std::fprintf(stderr, "memvec-kv %s: %s\n", name.c_str(), e.what());
  } catch (const SnapshotError& e) {
    std::fprintf(stderr, "memvec-kv %s: snapshot refused, nothing imported: %s\n", name.c_str(),
                 e.what());
  } catch (const std::system_error& e) {  // memvec::Error, filesystem errors
    std::fprintf(stderr, "memvec-kv %s: %s\n", name.c_str(), error_text(e).c_str());
  } catch (const std::exception& e) {  // std::ios_base::failure from a (de)compressor, ...
    std::fprintf(stderr, "memvec-kv %s: %s\n", name.c_str(), e.what());
  }
  return kExitProblem;
}

}  // namespace
}  // namespace memvec_kv

// std::cout and printf both write stdout here; the iostreams stay synced
// with stdio (the default) so that their output never interleaves wrongly.
int main(int argc, char** argv) { return memvec_kv::run(argc, argv); }
