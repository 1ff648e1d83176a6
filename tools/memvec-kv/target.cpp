// Target resolution: telling journals, stores and MemVec files apart
// (contract in target.hpp).
#include "target.hpp"

#include <algorithm>
#include <fstream>
#include <vector>

#include <memvec/header.hpp>
#include <memvec/kv/journal.hpp>

#include "errors.hpp"
#include "text_format.hpp"

namespace memvec_kv {

namespace fs = std::filesystem;

Probe probe(const fs::path& path) {
  Probe p;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return p;  // missing
  if (fs::is_directory(st)) {
    p.kind = FileKind::directory;
    return p;
  }
  if (!fs::is_regular_file(st)) {
    // Opening a FIFO for reading blocks until a writer comes: refused before
    // any open, as the library's backends refuse it.
    p.kind = FileKind::unreadable;
    p.error = "not a regular file (a FIFO, socket or device)";
    return p;
  }
  p.size = fs::file_size(path, ec);
  std::ifstream in(path, std::ios::binary);
  if (ec || !in) {
    p.kind = FileKind::unreadable;
    p.error = ec ? ec.message() : "cannot be opened for reading";
    return p;
  }
  std::vector<std::byte> head(memvec::kHeaderSize);
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  if (head.empty()) {
    p.kind = FileKind::empty;
  } else if (memvec::detail::is_blank(head)) {
    // A header of zeros is blank only over zeros: over data it was wiped.
    // (A format a crash interrupted has a header, and may sit over old data.)
    p.kind = FileKind::blank;
    const bool zero_header =
        std::all_of(head.begin(), head.end(), [](std::byte b) { return b == std::byte{0}; });
    // Nothing past a zeroed header says where data ends: read it all, in
    // big blocks checked a word at a time (a byte loop took 10 s a GiB).
    std::vector<std::byte> block(zero_header ? std::size_t{1} << 20 : 0);
    while (zero_header && in) {
      in.read(reinterpret_cast<char*>(block.data()), static_cast<std::streamsize>(block.size()));
      const auto got = static_cast<std::size_t>(in.gcount());
      if (!memvec::detail::all_zero(std::span<const std::byte>(block.data(), got))) {
        p.kind = FileKind::wiped_header;
        break;
      }
    }
  } else if (!has_magic(head)) {
    p.kind = FileKind::not_memvec;
  } else if (head.size() < memvec::kHeaderSize) {
    p.kind = FileKind::short_header;
  } else {
    p.header = read_header(head);
    p.header->file_size = p.size;
    p.kind =
        p.header->type_tag == memvec::kv::kJournalTypeTag ? FileKind::journal : FileKind::memvec;
  }
  return p;
}

std::string describe(const Probe& p) {
  switch (p.kind) {
    case FileKind::missing:
      return "missing (no such file)";
    case FileKind::directory:
      return "a directory";
    case FileKind::empty:
      return "an empty file (never formatted)";
    case FileKind::blank:
      return "a blank file (a zeroed or half-written header: never formatted; a store's spare)";
    case FileKind::wiped_header:
      return "a file whose header is zeroed while data follows it (damage)";
    case FileKind::unreadable:
      return "unreadable (" + p.error + ")";
    case FileKind::not_memvec:
      return "not a memvec file (it does not start with the \\x89MEMVEC magic)";
    case FileKind::short_header:
      return "a truncated memvec file (" + std::to_string(p.size) + " bytes, shorter than the " +
             std::to_string(memvec::kHeaderSize) + "-byte header)";
    case FileKind::journal:
      return "a KV journal (generation " + std::to_string(p.header->generation) + ")";
    case FileKind::memvec: {
      const HeaderView& h = *p.header;
      std::string tag = hex(h.type_tag, 16);
      if (const std::string t = tag_text(h.type_tag); !t.empty()) tag += " \"" + t + "\"";
      return "a MemVec file (elements of " + std::to_string(h.elem_size) + " bytes, type tag " +
             tag + "), not a KV journal";
    }
  }
  return "?";
}

std::string Target::name() const {
  if (kind != TargetKind::store) return a.string();
  return "store " + a.string() + " + " + b.string();
}

namespace {

[[noreturn]] void wrong(const fs::path& path, const Probe& p, const char* command,
                        const char* needs) {
  throw Problem(path.string() + " is " + describe(p) + "; " + command + " needs " + needs);
}

bool creatable(const Probe& p) {
  return p.kind == FileKind::missing || p.kind == FileKind::empty || p.kind == FileKind::blank;
}

Target store_target(const fs::path& a, const fs::path& b, Access access, const char* command) {
  const Probe pa = probe(a);
  const Probe pb = probe(b);
  Target t{TargetKind::store, a, b, true};
  // One journal may be a blank spare (a store formats it when it needs it).
  const auto usable = [](const Probe& p) {
    return p.kind == FileKind::journal || p.kind == FileKind::blank;
  };
  if (usable(pa) && usable(pb) && (pa.kind == FileKind::journal || pb.kind == FileKind::journal))
    return t;
  if (access == Access::create && creatable(pa) && creatable(pb)) {
    t.exists = false;
    return t;
  }
  if (!usable(pa) || !usable(pb)) {  // name the first file that is wrong, and what it is
    const bool a_bad = !usable(pa);
    const fs::path& bad = a_bad ? a : b;
    const Probe& pbad = a_bad ? pa : pb;
    const fs::path& other = a_bad ? b : a;
    if (access == Access::create && creatable(pbad) && (a_bad ? pb : pa).kind == FileKind::journal)
      throw Problem("half a store: " + other.string() + " is a KV journal but " + bad.string() +
                    " is " + describe(pbad));
    wrong(bad, pbad, command, "the two journals of a store");
  }
  throw Problem(a.string() + " and " + b.string() + " are both blank: no store yet; " + command +
                " needs a store");
}

}  // namespace

Target resolve_target(std::span<const std::string> paths, Access access, bool memvec_ok,
                      const char* command) {
  if (paths.size() == 2) return store_target(paths[0], paths[1], access, command);
  const fs::path path = paths[0];
  const Probe p = probe(path);
  const char* needs =
      memvec_ok ? "a KV journal, a store or a MemVec file" : "a KV journal or a store";
  switch (p.kind) {
    case FileKind::journal:
      return {TargetKind::journal, path, {}, true};
    case FileKind::memvec:
      if (memvec_ok) return {TargetKind::memvec, path, {}, true};
      wrong(path, p, command, needs);
    case FileKind::directory: {
      const fs::path a = path / kStoreFileA;
      const fs::path b = path / kStoreFileB;
      const Probe pa = probe(a);
      const Probe pb = probe(b);
      if (pa.kind == FileKind::missing && pb.kind == FileKind::missing && access != Access::create)
        throw Problem(path.string() + " is a directory without a store (" + kStoreFileA + " and " +
                      kStoreFileB + "); " + command + " needs " + needs);
      return store_target(a, b, access, command);
    }
    case FileKind::missing:
    case FileKind::empty:
    case FileKind::blank:
      if (access == Access::create) return {TargetKind::journal, path, {}, false};
      wrong(path, p, command, needs);
    default:
      wrong(path, p, command, needs);
  }
}

}  // namespace memvec_kv
