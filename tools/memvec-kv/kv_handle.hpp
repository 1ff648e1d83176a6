// KvHandle: a journal or a store opened for a command, behind one interface
// (read the live set, write one atomic batch, compact, make it durable).
//
// Every write a command makes is one set_many: one record, so it is all or
// nothing whatever happens to the process (an import of a million keys
// included). Writes are synced before the command reports success: what
// memvec-kv says it wrote survives a power cut. Read access takes shared
// locks and writes nothing; a running writer makes it fail with
// errc::locked.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include <memvec/kv.hpp>

#include "args.hpp"
#include "target.hpp"

namespace memvec_kv {

class KvHandle {
 public:
  KvHandle(const Target& target, Access access);
  ~KvHandle();
  KvHandle(const KvHandle&) = delete;
  KvHandle& operator=(const KvHandle&) = delete;

  const memvec::kv::Index& index() const;
  memvec::kv::Recovery recovery() const;
  bool is_store() const noexcept { return store_ != nullptr; }
  std::uint64_t generation() const;

  // One record; a null value erases. Synced before it returns.
  void set_many(std::span<const std::pair<std::string, memvec::kv::Value>> items);
  // The store compacts into its standby; a lone journal is rewritten into a
  // new file holding one snapshot record, which then replaces it (rename).
  void compact();

 private:
  void refresh();

  Target target_;
  std::optional<memvec::kv::MemMappedKVJournal> journal_;
  std::unique_ptr<memvec::kv::DoubleBufferedMemMappedKV> store_;
  memvec::kv::Index index_;  // decoded: journal and store hand out copies
};

// What opening dropped, for messages: "opening dropped 1 record, 37 bytes
// (a checksum mismatch in the record at log offset 14)".
std::string dropped_text(const memvec::kv::Recovery& r);

// The reading commands (get, keys, export) answer only from an intact file,
// since an answer from what opening kept is an older state that looks
// current. On damage: a Problem saying what was dropped (exit 1); with
// --allow-damaged the command answers, and this warns on stderr instead.
void check_readable(const KvHandle& h, const Target& t, const Args& args, const char* command);

}  // namespace memvec_kv
