// `memvec-kv compact`: rewrites a journal or a store as one snapshot record
// of its live set. A store compacts into its standby journal (its own
// switch protocol); a lone journal is rewritten into a new file that is
// synced and renamed over the old one. Refused on damage unless --force,
// since compaction keeps only what opening replayed.
#include <filesystem>
#include <iostream>

#include <memvec/kv.hpp>

#include "command.hpp"
#include "errors.hpp"
#include "kv_handle.hpp"
#include "target.hpp"
#include "text_format.hpp"

namespace memvec_kv {
namespace {

namespace kv = memvec::kv;

std::uint64_t file_bytes(const Target& t) {
  std::error_code ec;
  std::uint64_t n = std::filesystem::file_size(t.a, ec);
  if (t.kind == TargetKind::store) n += std::filesystem::file_size(t.b, ec);
  return ec ? 0 : n;
}

int run_compact(const Args& args) {
  args.expect_positional(1, 2);
  const Target t = resolve_target(args.positional(), Access::write, false, "compact");
  KvHandle h(t, Access::write);
  const kv::Recovery r = h.recovery();
  if (r.loss != kv::DataLoss::none && !args.flag("force"))
    throw Problem(t.name() + ": opening found damage (" + r.reason +
                  "); compacting keeps only the records before it and discards the rest for "
                  "good. Run `memvec-kv verify`, back up the files, then pass --force");
  const std::uint64_t before = file_bytes(t);
  const std::uint64_t generation = h.generation();
  h.compact();
  std::cout << "compacted " << t.name() << ": " << h.index().size() << " live keys, generation "
            << generation << " -> " << h.generation() << ", " << human_bytes(before) << " -> "
            << human_bytes(file_bytes(t)) << " on disk\n";
  return kExitOk;
}

constexpr OptionSpec kOptions[] = {{"force", false}};

}  // namespace

extern const Command kCompactCommand{
    "compact",
    "rewrite as one snapshot record of the live set",
    "usage: memvec-kv compact [--force] TARGET\n\n"
    "Rewrites TARGET as one snapshot record of its live keys, under the next\n"
    "generation. A store compacts into its standby journal and switches to it (the\n"
    "store's own crash-safe protocol). A journal file is rewritten beside itself,\n"
    "synced, and renamed over the old file (a crash leaves one or the other whole).\n\n"
    "  --force   compact even though opening found damage (the damaged records and\n"
    "            everything after them are then discarded for good)\n",
    TargetHelp::journal_or_store,
    "Exit status: 0 compacted, 1 a problem (damage without --force, not a journal or\n"
    "store, locked), 2 usage error.\n",
    kOptions,
    run_compact};

}  // namespace memvec_kv
