// `memvec-kv import`: reads a snapshot stream (snapshot_format.hpp) and
// writes its key-value set into a journal or a store — all of it in one
// record, or nothing. The whole stream is read and checked (every entry,
// the count, the CRC, the end) before the target is even opened, so a
// truncated or damaged snapshot imports nothing and creates nothing.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <utility>
#include <vector>

#include <memvec/kv.hpp>

#include "command.hpp"
#include "compression.hpp"
#include "decompressed_input.hpp"
#include "errors.hpp"
#include "kv_handle.hpp"
#include "snapshot.hpp"
#include "target.hpp"
#include "text_format.hpp"

namespace memvec_kv {
namespace {

namespace kv = memvec::kv;

struct Loaded {
  Snapshot snapshot;
  Compression compression = Compression::none;
};

Loaded load(const Args& args, const std::string& in_path) {
  std::ifstream file;
  std::istream* raw = &std::cin;
  std::uint64_t total = 0;
  if (in_path != "-") {
    file.open(in_path, std::ios::binary);
    if (!file) throw Problem(in_path + ": cannot be opened for reading");
    std::error_code ec;
    total = std::filesystem::file_size(in_path, ec);
    raw = &file;
  }
  Loaded l;
  if (const auto name = args.value("compress")) {
    const auto c = parse_compression(*name);
    if (!c) throw UsageError("--compress takes gzip, zstd or none, not " + *name);
    l.compression = *c;
  } else {
    l.compression = sniff_compression(*raw->rdbuf());
  }
  DecompressedInput in(*raw, l.compression);
  Progress progress(in_path == "-" ? ProgressMode::off : progress_mode(args), "importing", total);
  try {
    l.snapshot = read_snapshot(in.stream(),
                               [&] { progress.update(static_cast<std::uint64_t>(file.tellg())); });
    in.finish();
  } catch (const SnapshotError&) {
    throw;
  } catch (const std::exception& e) {  // the decompressor's and DecompressedInput's checks
    throw SnapshotError(std::string("the ") + compression_name(l.compression) +
                        " stream is damaged (" + e.what() + ")");
  }
  progress.finish();
  return l;
}

int run_import(const Args& args) {
  args.expect_positional(2, 3);
  if (args.flag("merge") && args.flag("replace"))
    throw UsageError("--merge or --replace, not both");
  const std::string in_path = args.positional().front();
  const Target t =
      resolve_target(std::span(args.positional()).subspan(1), Access::create, false, "import");
  Loaded l = load(args, in_path);

  KvHandle h(t, t.exists ? Access::write : Access::create);
  const kv::Recovery r = h.recovery();
  if (r.loss != kv::DataLoss::none && !args.flag("force"))
    throw Problem(t.name() + ": opening found damage (" + r.reason +
                  "); importing would discard it for good. Pass --force to import anyway");
  const std::size_t existing = h.index().size();
  if (existing > 0 && !args.flag("merge") && !args.flag("replace"))
    throw Problem(t.name() + " holds " + std::to_string(existing) +
                  " keys: pass --merge to add the snapshot to them, --replace to replace them");
  std::vector<std::pair<std::string, kv::Value>>& items = l.snapshot.entries;
  const std::size_t imported = items.size();
  if (args.flag("replace")) {
    // The keys the snapshot lacks are erased in the same record: the target
    // goes from its old set to the snapshot's in one atomic step.
    for (const auto& [key, value] : h.index()) {
      const auto it = std::lower_bound(
          items.begin(), items.begin() + static_cast<std::ptrdiff_t>(imported), key,
          [](const auto& item, const std::string& k) { return item.first < k; });
      if (it == items.begin() + static_cast<std::ptrdiff_t>(imported) || it->first != key)
        items.emplace_back(key, kv::Value());
    }
  }
  h.set_many(items);
  std::cout << "imported " << plural(imported, "key") << " from " << in_path << " ("
            << compression_name(l.compression) << ", snapshot v" << l.snapshot.version << ", "
            << human_bytes(l.snapshot.bytes) << ") into " << t.name();
  if (items.size() > imported)
    std::cout << ", erased the " << plural(items.size() - imported, "key") << " it lacks";
  std::cout << "\n";
  return kExitOk;
}

constexpr OptionSpec kOptions[] = {{"compress", true}, {"merge", false},    {"replace", false},
                                   {"force", false},   {"progress", false}, {"no-progress", false}};

}  // namespace

extern const Command kImportCommand{
    "import",
    "restore a snapshot into a journal or store (all or nothing)",
    "usage: memvec-kv import [--compress gzip|zstd|none] [--merge|--replace] [--force]\n"
    "                        [--progress|--no-progress] IN TARGET\n\n"
    "Reads the snapshot stream IN (\"-\" for stdin) and writes its keys and values into\n"
    "TARGET as one record, synced: all of it or, if anything is wrong, nothing. The whole\n"
    "stream is checked first (every entry, the entry count, the CRC32C, nothing after\n"
    "the end), so a truncated or damaged snapshot is refused before TARGET is touched.\n"
    "Compression: --compress, else the stream's first byte (gzip, zstd or a raw\n"
    "snapshot). TARGET is created when missing; one that holds keys needs a choice:\n\n"
    "  --merge         add the snapshot's keys, keeping the others\n"
    "  --replace       make TARGET hold exactly the snapshot (others erased, same record)\n"
    "  --compress C    gzip, zstd or none\n"
    "  --force         import even though opening TARGET found damage (then discarded)\n"
    "  --progress      draw the progress bar on stderr even when it is not a terminal\n"
    "  --no-progress   never draw it\n",
    TargetHelp::snapshot_import,
    "Exit status: 0 imported, 1 a problem (snapshot truncated or damaged: nothing\n"
    "imported; TARGET holds keys without --merge/--replace; damage), 2 usage error.\n",
    kOptions,
    run_import};

}  // namespace memvec_kv
