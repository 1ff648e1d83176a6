// KvHandle (contract in kv_handle.hpp).
#include "kv_handle.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "atomic_file.hpp"
#include "errors.hpp"
#include "text_format.hpp"

namespace memvec_kv {

namespace kv = memvec::kv;
namespace fs = std::filesystem;

KvHandle::KvHandle(const Target& target, Access access) : target_(target) {
  const bool ro = access == Access::read;
  if (target.kind == TargetKind::store) {
    kv::StoreOptions options;
    options.read_only = ro;
    // new T(prvalue): the store is neither copyable nor movable.
    store_.reset(new kv::DoubleBufferedMemMappedKV(
        kv::DoubleBufferedMemMappedKV::open(target.a, target.b, options)));
    refresh();
    return;
  }
  if (target.kind != TargetKind::journal) throw Problem(target.name() + " is not a KV journal");
  const memvec::OpenMode mode =
      ro ? memvec::OpenMode::read_only
         : (target.exists ? memvec::OpenMode::open_existing : memvec::OpenMode::open_or_create);
  auto backend = memvec::FileBackend::open(target.a, {mode, 0});
  journal_.emplace(target.exists ? kv::MemMappedKVJournal::open(std::move(backend))
                                 : kv::MemMappedKVJournal::open_or_create(std::move(backend)));
  if (!target.exists) journal_->sync();  // a created file is durable before it is used
  refresh();
}

KvHandle::~KvHandle() = default;

void KvHandle::refresh() { index_ = store_ ? store_->as_hashmap() : journal_->as_hashmap(); }

const kv::Index& KvHandle::index() const { return index_; }

kv::Recovery KvHandle::recovery() const {
  return store_ ? store_->recovery() : journal_->recovery();
}

std::uint64_t KvHandle::generation() const {
  return store_ ? store_->generation() : journal_->generation();
}

void KvHandle::set_many(std::span<const std::pair<std::string, kv::Value>> items) {
  if (store_) {
    store_->set_many(items);
    store_->sync();
    refresh();
    return;
  }
  journal_->set_many(items);
  journal_->sync();
  refresh();
}

void KvHandle::compact() {
  if (store_) {
    store_->compact();
    store_->sync();
    refresh();
    return;
  }
  // Written beside the journal under a temporary name, synced, then renamed
  // over it: a crash leaves the old journal or the new one, never neither.
  // The old file stays locked by this process until the rename is done, so
  // no other writer can slip a record in that the copy would miss.
  const fs::path tmp = target_.a.string() + ".compact-" + std::to_string(::getpid());
  try {
    auto fresh = kv::MemMappedKVJournal::create(
        memvec::FileBackend::open(tmp, {memvec::OpenMode::create_new, 0}), {},
        journal_->generation() + 1);
    fresh.write_snapshot(journal_->as_hashmap());
    fresh.sync();
    fresh.close();
    fs::rename(tmp, target_.a);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  sync_directory(target_.a.parent_path());
  journal_->close();
  journal_.emplace(kv::MemMappedKVJournal::open(
      memvec::FileBackend::open(target_.a, {memvec::OpenMode::open_existing, 0})));
  refresh();
}

std::string dropped_text(const kv::Recovery& r) {
  return "opening dropped " + plural(r.records_dropped, "record") + ", " +
         plural(r.bytes_dropped, "byte") + " (" + r.reason + ")";
}

void check_readable(const KvHandle& h, const Target& t, const Args& args, const char* command) {
  const kv::Recovery r = h.recovery();
  if (r.loss == kv::DataLoss::none) return;
  const std::string what = t.name() + " is damaged: " + dropped_text(r);
  if (!args.flag("allow-damaged"))
    throw Problem(what + "; nothing read. Run `memvec-kv verify` to see where, or pass "
                         "--allow-damaged to read what opening kept");
  std::fprintf(stderr, "memvec-kv %s: warning: %s; answering from what opening kept\n", command,
               what.c_str());
}

}  // namespace memvec_kv
