// Target: what the paths on a command line name — a KV journal, a
// double-buffered store, or a plain MemVec file — and whether the command
// can work on it.
//
// Told apart by content, never by name: a file whose header carries the
// journal's type tag (kJournalTypeTag, "MVKVJRNL") is a journal, any other
// memvec header is a MemVec file, anything else is refused. A store is two
// journals, named either by its two paths `A B` or by a directory DIR that
// holds DIR/store_a.kv and DIR/store_b.kv (the examples' layout). Wrong
// kinds are a Problem (exit 1) that says what the file is and what the
// command needs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include "header_view.hpp"

namespace memvec_kv {

inline constexpr const char* kStoreFileA = "store_a.kv";
inline constexpr const char* kStoreFileB = "store_b.kv";

enum class FileKind {
  missing,
  directory,
  empty,
  blank,         // what the library formats (memvec::detail::is_blank): a store's spare
  wiped_header,  // a zeroed header over bytes that are not: damage
  not_memvec,
  short_header,
  memvec,
  journal,
  unreadable
};

struct Probe {
  FileKind kind = FileKind::missing;
  std::uint64_t size = 0;
  std::optional<HeaderView> header;  // memvec and journal kinds
  std::string error;                 // unreadable: why
};

// Looks at a path without opening it as memvec would (no lock taken).
Probe probe(const std::filesystem::path& path);
// "a KV journal (generation 3)", "a MemVec file (elements of 4 bytes, ...)".
std::string describe(const Probe& p);

enum class TargetKind { journal, store, memvec };

struct Target {
  TargetKind kind = TargetKind::journal;
  std::filesystem::path a;   // the journal or MemVec file; the store's journal A
  std::filesystem::path b;   // the store's journal B
  bool exists = true;        // false: a journal or store that `create` makes
  std::string name() const;  // for messages: "x.kv" or "store a.kv + b.kv"
};

enum class Access { read, write, create };

// Resolves 1 or 2 paths. `memvec_ok`: the command also takes MemVec files
// (info, verify). Throws Problem when the paths name nothing the command
// can work on.
Target resolve_target(std::span<const std::string> paths, Access access, bool memvec_ok,
                      const char* command);

}  // namespace memvec_kv
