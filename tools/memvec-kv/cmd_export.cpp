// `memvec-kv export`: writes the live key-value set of a journal or a store
// as a snapshot stream (snapshot_format.hpp), compressed with gzip or zstd
// or not at all, to a file (written under a temporary name, synced, then
// renamed) or to stdout. Keys go out in byte order, so a live set always
// gives the same bytes.
#include <unistd.h>

#include <algorithm>
#include <boost/iostreams/device/file_descriptor.hpp>
#include <boost/iostreams/filtering_stream.hpp>
#include <cstdio>
#include <iostream>
#include <optional>
#include <vector>

#include <memvec/kv.hpp>

#include "atomic_file.hpp"
#include "command.hpp"
#include "compression.hpp"
#include "errors.hpp"
#include "kv_handle.hpp"
#include "snapshot.hpp"
#include "target.hpp"
#include "text_format.hpp"

namespace memvec_kv {
namespace {

namespace io = boost::iostreams;
namespace kv = memvec::kv;

Compression chosen_compression(const Args& args, const std::string& out) {
  if (const auto name = args.value("compress")) {
    if (const auto c = parse_compression(*name)) return *c;
    throw UsageError("--compress takes gzip, zstd or none, not " + *name);
  }
  return out == "-" ? Compression::none : compression_for_path(out);
}

int run_export(const Args& args) {
  args.expect_positional(2, 3);
  const std::string out_path = args.positional().back();
  const Compression compression = chosen_compression(args, out_path);
  const auto paths = std::span(args.positional()).first(args.positional().size() - 1);
  const Target t = resolve_target(paths, Access::read, false, "export");
  if (out_path == "-" && ::isatty(STDOUT_FILENO) == 1)
    throw UsageError("refusing to write a binary snapshot to a terminal");
  // The snapshot replaces OUT by a rename: OUT must not be one of TARGET's files.
  std::error_code ec;
  for (const auto& file : {t.a, t.b})
    if (!file.empty() && out_path != "-" && std::filesystem::equivalent(file, out_path, ec))
      throw UsageError(out_path + " is " + t.name() + " itself");
  const KvHandle h(t, Access::read);
  check_readable(h, t, args, "export");  // before OUT is touched

  // Keys in byte order: the index iterates in no set order.
  std::vector<const kv::Index::value_type*> entries;
  entries.reserve(h.index().size());
  for (const auto& entry : h.index()) entries.push_back(&entry);
  std::sort(entries.begin(), entries.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });

  std::optional<AtomicFile> file;
  if (out_path != "-") file.emplace(out_path);
  io::filtering_ostream out;
  push_compressor(out, compression);
  out.push(io::file_descriptor_sink(file ? file->fd() : STDOUT_FILENO, io::never_close_handle));
  out.exceptions(std::ios::badbit);  // a failed write (disk full) throws, not a silent flag
  SnapshotWriter writer(out);
  Progress progress(progress_mode(args), "exporting", entries.size(), "keys");
  for (std::size_t i = 0; i < entries.size(); ++i) {
    writer.add(entries[i]->first, entries[i]->second);
    progress.update(i + 1);
  }
  writer.finish();
  out.reset();  // flushes the compressor's last block; throws on a write error
  progress.finish();
  if (file) file->commit();

  if (file) {
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(out_path, ec);
    std::cout << "exported " << plural(writer.count(), "key") << " from " << t.name() << " to "
              << out_path << " (" << compression_name(compression) << ", "
              << human_bytes(writer.bytes()) << " of snapshot"
              << (compression != Compression::none ? ", " + human_bytes(bytes) + " compressed" : "")
              << ")\n";
  }
  return kExitOk;
}

constexpr OptionSpec kOptions[] = {
    {"compress", true}, {"progress", false}, {"no-progress", false}, {"allow-damaged", false}};

}  // namespace

extern const Command kExportCommand{
    "export",
    "write the live set as a portable snapshot (gzip, zstd or none)",
    "usage: memvec-kv export [--compress gzip|zstd|none] [--progress|--no-progress]\n"
    "                        [--allow-damaged] TARGET OUT\n\n"
    "Writes every live key and value of TARGET to OUT (\"-\" for stdout) as a snapshot\n"
    "stream (docs/FORMAT.md, \"Snapshot stream\"): endian-neutral, checksummed, keys in\n"
    "byte order. OUT is written under a temporary name, synced, then renamed: it never\n"
    "holds half a snapshot. Compression: --compress, else OUT's extension (.gz gzip,\n"
    ".zst or .zstd zstd), else none. A damaged TARGET is refused (OUT untouched).\n\n"
    "  --compress C    gzip, zstd or none\n"
    "  --progress      draw the progress bar on stderr even when it is not a terminal\n"
    "  --no-progress   never draw it\n"
    "  --allow-damaged export what opening kept, with a warning on stderr\n",
    TargetHelp::journal_or_store,
    "Exit status: 0 exported, 1 a problem (not a journal or store; TARGET damaged without\n"
    "--allow-damaged: nothing written), 2 usage error.\n",
    kOptions,
    run_export};

}  // namespace memvec_kv
