// DoubleBufferedKV<B>: a KV store on two journals, A and B, one active.
//
// Writes go to the active journal. When a write leaves its usage at or past
// the high-water mark, the live set (from memory, no disk read) is compacted
// into the standby and the roles swap; a write that does not fit compacts
// first and retries. Switch protocol (store_policy.hpp): the standby is
// rewritten with generation = active + 1, starting with one snapshot record
// of the live set (copied from the old log as it lies: nothing decoded), and
// becomes active once that record commits; a journal is rewritten only
// after the one that replaced it is durable. Under process_crash the switch
// syncs nothing: the new journal is flushed off the writer's thread (file
// backends) or just before the old one is rewritten (docs/DURABILITY.md).
// Reopen takes the newest complete generation — never wall-clock time — and
// indexes only it. clear() is a compaction to an empty snapshot, so no
// restart can bring a cleared or deleted key back from the other journal.
//
// Sizing: the standby's high-water mark leaves room for as many fresh bytes
// as the live set takes, and for at least StoreOptions::compaction_room (a
// power of two within [initial_size, max_size]); when writes outrun the
// flushes the store widens that room itself (files grow instead of
// thrashing) and narrows it again once the disk keeps up, and a shrinking
// live set shrinks the files back. A write whose live set cannot fit even
// at max_size throws errc::capacity_exceeded, nothing lost, the store still
// usable.
//
// Threads: safe to share. Readers (get, contains, size, as_hashmap, ...) run
// concurrently; writers are serialized; a fair lock lets neither starve the
// other, and a compaction holds readers out only for its switch (it copies
// the live set while they read). find() returns a view into the mapped log that any write may
// invalidate: use it only while no other thread writes (get() copies). Processes: the file
// backend's lock makes a second writer fail with errc::locked; read_only
// opens see a consistent snapshot (writers are excluded meanwhile).
//
// Errors: like KVJournal. A compaction that fails after a write committed is
// not reported as the write's failure; last_compaction_error() tells, until
// a compaction succeeds. The one write that fails for its standby: the first
// after an open that found the store's creation cut by a crash (an empty
// first journal, the standby blank), when the standby cannot be formatted.
#pragma once

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>

#include "memvec/kv/detail/background_flush.hpp"
#include "memvec/kv/fair_shared_mutex.hpp"
#include "memvec/kv/journal.hpp"
#include "memvec/kv/store_policy.hpp"

namespace memvec::kv {

template <Backend B>
class DoubleBufferedKV {
 public:
  using Journal = KVJournal<B>;

  // Opens the store on two backends; blank ones are formatted (A active at
  // generation 1, B a spare). Throws when neither holds a usable journal and
  // they are not both blank (nothing is written then).
  DoubleBufferedKV(B a, B b, StoreOptions options = {})
      : DoubleBufferedKV(std::move(a), std::move(b), options, NewFiles{}) {}

 private:
  // The files open() created for this call: a blank one beside a written
  // journal is then that journal being adopted into a store, not a standby
  // wiped since the store was made.
  struct NewFiles {
    bool created[2] = {false, false};
  };
  DoubleBufferedKV(B a, B b, StoreOptions options, NewFiles fresh);  // double_buffered_impl.hpp

 public:

  static DoubleBufferedKV open(const std::filesystem::path& path_a,
                               const std::filesystem::path& path_b, StoreOptions options = {})
    requires std::same_as<B, FileBackend>
  {
    validate(options);  // before any file is created
    const FileOptions fo{options.read_only ? OpenMode::read_only : OpenMode::open_or_create, 0};
    // A store is two files or none: when the open fails, each file this call
    // created is removed again.
    std::error_code ec;
    const bool a_existed = std::filesystem::exists(path_a, ec) || ec;
    const bool b_existed = std::filesystem::exists(path_b, ec) || ec;
    FileBackend a = FileBackend::open(path_a, fo);
    try {
      FileBackend b = FileBackend::open(path_b, fo);
      // open() creates its files empty and makes A's format durable before
      // B is sized, so no crash leaves B zero-filled with a size beside a
      // blank A: that is two wiped journals, and a new store over them
      // would hide it.
      // Judged from the headers: a zeroed header over data is as wiped.
      const auto zeroed = [](const FileBackend& f) {
        return memvec::detail::header_zeroed({f.data(), f.size()});
      };
      if (zeroed(b) && (a.size() == 0 || zeroed(a)))
        throw Error(errc::corrupt_header, "DoubleBufferedKV: " + path_b.string() +
                                              " has a zeroed header beside a blank " +
                                              path_a.string() + ": wiped journals, not a "
                                              "new store");
      return DoubleBufferedKV(std::move(a), std::move(b), options,
                              NewFiles{{!a_existed, !b_existed}});
    } catch (...) {
      if (!a_existed) {
        a.close();
        std::filesystem::remove(path_a, ec);
      }
      if (!b_existed) std::filesystem::remove(path_b, ec);
      throw;
    }
  }

  DoubleBufferedKV(const DoubleBufferedKV&) = delete;
  DoubleBufferedKV& operator=(const DoubleBufferedKV&) = delete;

  // --- writes --------------------------------------------------------------------
  void set(std::string_view key, const Value& value) {
    write([&](Journal& j) { j.set(key, value); });
  }
  void erase(std::string_view key) {
    write([&](Journal& j) { j.erase(key); });
  }
  void set_many(std::span<const std::pair<std::string, Value>> items) {
    write([&](Journal& j) { j.set_many(items); });
  }
  void set_many(std::initializer_list<std::pair<std::string, Value>> items) {
    set_many(std::span<const std::pair<std::string, Value>>(items.begin(), items.size()));
  }
  // Compacts to an empty snapshot: the other journal can never resurface.
  void clear() {
    std::lock_guard writing(writer_);
    compact_locked(nullptr, 0, Need::asked);
  }
  void compact() {
    std::lock_guard writing(writer_);
    compact_locked(&active_journal(), 0, Need::asked);
  }
  // Makes the current state durable: no later power cut reopens the store
  // older than this (a journal is rewritten only once the journal that
  // replaced it is durable, so one complete, durable journal always holds
  // at least this state).
  void sync() {
    // Readers go on: a flush changes no byte they read.
    std::lock_guard writing(writer_);
    active_journal().sync();
    // That was the flush the next switch waits for, unless one still runs.
    if (flushing_ && flush_.done()) {
      try {
        flush_.wait();
      } catch (const Error&) {
        // Superseded: the sync above flushed the same file, and succeeded.
      }
      flushing_ = false;
    }
    if (!flushing_) unflushed_ = false;
  }

  // --- reads ----------------------------------------------------------------------
  std::optional<Value> get(std::string_view key) const {
    std::shared_lock lock(mutex_);
    return active_journal().get(key);
  }
  // The value, or `fallback` when the key is absent (KVJournal::get_or).
  Value get_or(std::string_view key, Value fallback) const {
    std::shared_lock lock(mutex_);
    return active_journal().get_or(key, std::move(fallback));
  }
  ValuePtr find(std::string_view key) const {
    std::shared_lock lock(mutex_);
    return active_journal().find(key);
  }
  bool contains(std::string_view key) const {
    std::shared_lock lock(mutex_);
    return active_journal().contains(key);
  }
  std::size_t size() const {
    std::shared_lock lock(mutex_);
    return active_journal().size();
  }
  bool empty() const { return size() == 0; }
  Index as_hashmap() const {  // a copy: safe to keep while others write
    std::shared_lock lock(mutex_);
    return active_journal().as_hashmap();
  }

  // --- state ------------------------------------------------------------------------
  int active() const {
    std::shared_lock lock(mutex_);
    return active_;
  }
  std::uint64_t switch_count() const {
    std::shared_lock lock(mutex_);
    return switch_count_;
  }
  std::uint64_t generation() const {
    std::shared_lock lock(mutex_);
    return active_journal().generation();
  }
  double usage_ratio() const {
    std::shared_lock lock(mutex_);
    return active_journal().usage_ratio();
  }
  std::size_t high_water_mark() const {
    std::shared_lock lock(mutex_);
    return active_journal().high_water_mark();
  }
  bool high_water_mark_triggered() const {
    std::shared_lock lock(mutex_);
    return active_journal().high_water_mark_triggered();
  }
  Recovery recovery() const {
    std::shared_lock lock(mutex_);
    return recovery_;
  }
  std::optional<Error> last_compaction_error() const {
    std::shared_lock lock(mutex_);
    return last_compaction_error_;
  }

 private:
  Journal& active_journal() { return *journals_[active_]; }
  const Journal& active_journal() const { return *journals_[active_]; }

  JournalOptions journal_options(std::size_t backend_bytes) const {
    // The store, not the journal, decides sizes: a journal never grows by
    // itself, so a write that does not fit reaches the store as
    // capacity_exceeded and becomes a compaction.
    return {options_.high_water_mark_ratio, backend_bytes, options_.durability};
  }

  Journal create_journal(B backend, std::uint64_t generation) {
    if (backend.size() < options_.initial_size) resize_best(backend, options_.initial_size, 0);
    const std::size_t bytes = backend.size();
    return Journal::create(std::move(backend), journal_options(bytes), generation);
  }

  // Resizes toward `want`; a backend that cannot reach it (a fixed buffer,
  // a full disk) keeps its size as long as it holds `need` total bytes, and
  // on a full disk is sized to just `need`: a compaction whose usual room
  // does not fit on the disk still fits the live set exactly, so erases and
  // compactions keep working (the first release wedged there).
  static void resize_best(B& backend, std::size_t want, std::size_t need) {
    try {
      backend.resize(want);
    } catch (const Error& e) {
      const bool no_space =
          e.code() == errc::io_error && (e.sys_errno() == ENOSPC || e.sys_errno() == EFBIG);
      if (!no_space && e.code() != errc::capacity_exceeded) throw;
      if (backend.size() >= need) return;
      const std::size_t exact = (need + page_size() - 1) / page_size() * page_size();
      if (!no_space || exact >= want) throw;
      backend.resize(exact);  // throws again when even that does not fit
    }
  }

  template <class Fn>
  void write(Fn&& fn) {
    std::lock_guard writing(writer_);
    std::unique_lock lock(mutex_);
    if (recycle_standby_) [[unlikely]] {
      try {
        recycle_standby();
      } catch (const Error& e) {
        // A creation a crash cut is finished before its first write: a blank
        // standby beside a written journal must keep meaning damage.
        if (finish_creation_) throw;
        // Else not this write's failure: the next compaction rewrites it.
        last_compaction_error_ = e;
        recycle_standby_ = false;
      }
    }
    try {
      fn(active_journal());
    } catch (const Error& e) {
      if (e.code() != errc::capacity_exceeded) throw;
      // Does not fit: compact (growing if the live set needs it), retry once.
      const std::size_t extra = active_journal().last_record_bytes();
      lock.unlock();  // readers go on while the standby is written
      compact_locked(&active_journal(), extra, Need::now);
      lock.lock();
      fn(active_journal());
    }
    if (!active_journal().high_water_mark_triggered()) return;
    lock.unlock();
    try {
      compact_locked(&active_journal(), 0, Need::when_flushed);
    } catch (const Error& e) {
      // The write above is committed; a compaction failure is not its
      // failure (the first journal design reported it as one).
      lock.lock();
      last_compaction_error_ = e;
    }
  }

  // The standby's backend, out of its journal (or the spare slot): the one
  // place a compaction or a recycle gets the bytes it rewrites.
  B take_standby();
  // Into the standby: the live set of `live` (nullptr: none, for clear()),
  // with room for `extra` bytes more. Called with writer_ held and mutex_
  // not: readers read the active journal while the live set is copied
  // into the standby, which no reader touches; the switch itself takes
  // mutex_ exclusively, for a few stores. Need::when_flushed (the high-water
  // mark's compaction) is skipped while the active journal's background
  // flush still runs: writes go on into its free room instead of waiting.
  // Need::now (a write that does not fit) waits for that flush, and grows
  // the room later standbys get; Need::asked (compact(), clear()) waits.
  enum class Need { now, asked, when_flushed };
  void compact_locked(const Journal* live, std::size_t extra, Need need);
  // Before the standby is rewritten: the active journal, which replaced it,
  // must be durable (a power cut inside the rewrite must leave one complete
  // journal). False when `need` lets the compaction wait for a flush still
  // running; throws a failed flush's error (and starts it again).
  bool settle_flush(Need need);
  void start_flush();
  // The first write after an open that found a damaged standby or a torn
  // compaction formats it as a fresh spare (synced), as a journal zeroes a
  // damaged tail: damage is reported once, and a torn compaction, measured
  // against a live set that writes then change, must not later look like
  // damage.
  void recycle_standby();
  void report_recovery(const JournalCandidate& standby, const std::optional<Error>& failure);

  // Lock order: writer_, then mutex_. writer_ serializes writers (and
  // everything only writers touch: the standby, the flush state); mutex_
  // is exclusive only while a write changes the active journal or a
  // compaction switches, so readers are never held out for a compaction.
  std::mutex writer_;
  mutable FairSharedMutex mutex_;
  StoreOptions options_;
  std::optional<Journal> journals_[2];
  std::optional<B> spare_;  // the standby's backend when it holds no journal
  int active_ = 0;
  std::uint64_t switch_count_ = 0;
  Recovery recovery_;
  std::optional<Error> last_compaction_error_;
  RecordWriter snapshot_;  // compaction's buffer, kept for its capacity
  // Durability::process_crash: the active journal holds a compaction not
  // yet flushed; flush_ flushes it off the writer's thread (file backends),
  // else settle_flush() syncs it when the standby is next rewritten.
  bool unflushed_ = false;
  bool flushing_ = false;  // flush_ runs (or ran) the active journal's flush
  detail::BackgroundFlush flush_;
  // Fresh room a standby gets past the live set (StoreOptions::
  // compaction_room to start): doubled when a compaction had to wait for
  // the disk, so the files grow instead of thrashing; halved back toward
  // compaction_room when flushes keep up.
  std::size_t room_ = 0;
  std::uint32_t kept_up_ = 0;  // compactions in a row that found the flush done
  static constexpr std::uint32_t kKeptUpToShrink = 16;
  static constexpr std::chrono::microseconds kSlowFlush{1000};
  std::chrono::steady_clock::time_point switched_at_;  // the last switch's flush began
  bool recycle_standby_ = false;  // see recycle_standby()
  bool finish_creation_ = false;  // that recycle finishes a cut creation: its failure fails the write
};

using DoubleBufferedMemMappedKV = DoubleBufferedKV<FileBackend>;

}  // namespace memvec::kv

#include "memvec/kv/double_buffered_impl.hpp"
