// DoubleBufferedKV's opening (which journal is active), compaction and recovery
// report; included by double_buffered.hpp (its contract is there).
#pragma once

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>

namespace memvec::kv {

// Opening: which journal is active, what the other one is, what to report.
template <Backend B>
DoubleBufferedKV<B>::DoubleBufferedKV(B a, B b, StoreOptions options, NewFiles fresh)
    : options_(options), room_(options.compaction_room) {
  validate(options_);
  B backends[2] = {std::move(a), std::move(b)};
  JournalCandidate cand[2];
  std::optional<Error> failure[2];
  // The headers first: only the newer journal, the one that will most
  // likely be active, is indexed as it is checked. The other is checked
  // only (its index would never be read), and indexed later in the rare
  // case it must take over (the newer one is a torn compaction).
  std::optional<JournalMeta> metas[2];
  for (int i = 0; i < 2; ++i) {
    const std::span<const std::byte> bytes(std::as_const(backends[i]).data(), backends[i].size());
    // A spare: never formatted, or a format (a recycled standby's) that a
    // crash interrupted. A zeroed header over a log is damage, not blank.
    if (memvec::detail::header_wiped(bytes)) {
      failure[i] = Error(errc::corrupt_header, "its header is zeroed while its log holds data");
      continue;
    }
    if (memvec::detail::is_blank(bytes) || memvec::detail::interrupted_format(bytes)) continue;
    try {
      metas[i] = Journal::validate(backends[i]);
    } catch (const Error& e) {
      failure[i] = e;
    }
  }
  const int newer = metas[1] && (!metas[0] || metas[1]->generation > metas[0]->generation);
  for (int i = 0; i < 2; ++i) {
    if (!metas[i]) continue;
    try {
      const JournalMeta meta = *metas[i];
      const JournalOptions jo = journal_options(backends[i].size());
      journals_[i].emplace(Journal::open(std::move(backends[i]), jo, i == newer));
      const Journal& j = *journals_[i];
      cand[i] = {true, meta.generation, meta.generation == 1 || j.starts_with_snapshot(),
                 j.used_bytes() + j.log().missing_on_open()};
    } catch (const Error& e) {
      failure[i] = e;
    }
  }
  active_ = choose_active(cand[0], cand[1]);
  if (active_ >= 0 && !journals_[active_]->indexed_) {
    // The older journal takes over (the newer one is not complete): read
    // it whole now, and choose again by what its replay found.
    journals_[active_]->build_index();
    const Journal& j = *journals_[active_];
    cand[active_].complete = j.generation() == 1 || j.starts_with_snapshot();
    active_ = choose_active(cand[0], cand[1]);
  }
  if (active_ < 0) {
    if (failure[0] || failure[1]) throw failure[0] ? *failure[0] : *failure[1];
    if (journals_[0] || journals_[1])
      throw Error(errc::corrupt_data, "DoubleBufferedKV: no complete journal (a compaction torn "
                                      "before it wrote its snapshot, and no older journal)");
    active_ = 0;  // both blank: a new store
    // Durable from the start, A before B is even sized: a power cut can
    // then never leave a header that half reached the disk next to a
    // compaction that did not, nor a zero-filled B beside a blank A.
    journals_[0].emplace(create_journal(std::move(backends[0]), 1));
    journals_[0]->sync();
    journals_[1].emplace(create_journal(std::move(backends[1]), 0));
    journals_[1]->sync();
  }
  const int standby = 1 - active_;
  if (!journals_[standby]) spare_.emplace(std::move(backends[standby]));
  // A blank standby beside a journal that holds records or has been
  // switched to is damage too: creation formats both files, every
  // compaction leaves a formatted journal behind, and the first write
  // beside a blank standby (a creation a crash interrupted) formats it
  // before that write commits.
  if (!journals_[standby] && !failure[standby]) {
    const std::span<const std::byte> spare(std::as_const(*spare_).data(), spare_->size());
    const Journal& j = active_journal();
    const bool written = j.generation() > 1 || j.used_bytes() + j.log().missing_on_open() > 0;
    const bool interrupted = memvec::detail::interrupted_format(spare);
    const bool blank = !interrupted && memvec::detail::is_blank(spare);
    if (blank && written && !fresh.created[standby]) {
      failure[standby] = Error(errc::corrupt_header, "it is blank beside a written journal");
    } else if (blank || interrupted) {
      recycle_standby_ = true;
      finish_creation_ = !written;
    }
  }
  report_recovery(cand[standby], failure[standby]);
  // An earlier process may have switched to this journal and exited
  // before its flush: the first compaction makes it durable first.
  unflushed_ = true;
}

template <Backend B>
B DoubleBufferedKV<B>::take_standby() {
  const int standby = 1 - active_;
  B backend = journals_[standby] ? std::move(*journals_[standby]).release_backend()
                                 : std::move(*spare_);
  journals_[standby].reset();
  spare_.reset();
  return backend;
}

template <Backend B>
void DoubleBufferedKV<B>::compact_locked(const Journal* live, std::size_t extra, Need need) {
  if (unflushed_ && !settle_flush(need)) return;
  // Asked for (compact(), clear()): sized from the live set and
  // compaction_room alone, room grown for a slow disk forgotten.
  if (need == Need::asked) room_ = options_.compaction_room;
  const int standby = 1 - active_;
  // Copied once, member by member as the old log holds them (no decode, no
  // encode): its size sizes the standby, its bytes are the snapshot.
  snapshot_.begin(kRecordSnapshot);
  if (live != nullptr)
    live->for_each_member([&](std::uint64_t, std::span<const std::byte> m) { snapshot_.add_encoded(m); });
  const std::size_t bytes = snapshot_.size() + 1 + extra;  // + the object's end marker
  const std::uint64_t generation = active_journal().generation();
  if (generation >= kMaxGeneration)  // only a crafted file gets here: never wrap to a spare's 0
    throw Error(errc::capacity_exceeded,
                "DoubleBufferedKV: generation " + std::to_string(generation) + " is the last");
  StoreOptions sizing = options_;
  sizing.compaction_room = room_;
  const std::size_t want = standby_size(bytes, sizing);
  if (want == 0)
    throw Error(errc::capacity_exceeded, "DoubleBufferedKV: the live set needs " +
                                             std::to_string(bytes) + " bytes, max_size is " +
                                             std::to_string(options_.max_size));
  // Everything up to the switch happens in the standby: the active journal,
  // and so every committed write, is untouched whatever fails below.
  B backend = take_standby();
  try {
    resize_best(backend, want, kHeaderSize + bytes);
    const std::size_t bytes = backend.size();
    // A failed create hands the backend back: the standby file stays ours.
    Journal next = Journal::create_or_return(backend, journal_options(bytes), generation + 1);
    try {
      // One record: the compaction is complete exactly when it commits.
      // The next compaction rewrites the journal active now, which may be
      // the only durable one, so the journal taking over must be durable
      // before that (settle_flush), or a power cut inside that rewrite
      // leaves no complete journal and a sync() point, even one made by an
      // earlier process, would be lost. Under power_loss it is durable
      // before it takes over, as every write is; under process_crash it is
      // flushed off the writer's thread (start_flush below).
      next.commit_snapshot(snapshot_, options_.durability == Durability::power_loss);
    } catch (...) {
      spare_.emplace(std::move(next).release_backend());
      throw;
    }
    journals_[standby].emplace(std::move(next));
  } catch (...) {
    if (!journals_[standby] && !spare_) spare_.emplace(std::move(backend));
    throw;
  }
  // Nothing below throws. The new journal indexed its snapshot as it
  // committed it; the old one is the standby now, never read again before
  // it is recycled.
  Journal& old = *journals_[active_];
  const bool empty_first = old.generation() == 1 && old.used_bytes() == 0;
  std::unique_lock switching(mutex_);  // readers out: the active journal changes
  active_ = standby;
  ++switch_count_;
  last_compaction_error_.reset();  // readers ask for it
  switching.unlock();
  if (options_.durability != Durability::power_loss) {
    switched_at_ = std::chrono::steady_clock::now();
    start_flush();
  }
  recycle_standby_ = finish_creation_ = false;  // the standby was just rewritten
  // An empty generation-1 journal left behind, beside a newer journal later
  // wiped whole, would read as a store whose creation a crash cut: nothing
  // to report. As a generation-0 spare it makes that store refuse to open.
  // Safe once the switch is durable (the first compaction of a store only).
  if (empty_first) {
    try {
      if (unflushed_) settle_flush(Need::asked);
      recycle_standby();
    } catch (const Error&) {
      recycle_standby_ = true;  // the next write tries again
    }
  }
}

namespace detail {
// A backend whose file another thread may flush (FileBackend::flush_handle).
template <class B>
concept FlushableInBackground = requires(const B& b) { b.flush_handle()(); };
}  // namespace detail

template <Backend B>
void DoubleBufferedKV<B>::start_flush() {
  unflushed_ = true;
  flushing_ = false;
  if constexpr (detail::FlushableInBackground<B>) {
    try {
      auto flush = std::make_shared<decltype(active_journal().log().backend().flush_handle())>(
          active_journal().log().backend().flush_handle());
      flush_.start([flush] { (*flush)(); });
      flushing_ = true;
    } catch (const std::exception&) {
      // No descriptor or no thread: settle_flush() syncs on the writer's
      // thread instead, as for a backend without a background flush.
    }
  }
}

template <Backend B>
bool DoubleBufferedKV<B>::settle_flush(Need need) {
  if (flushing_) {
    const bool running = !flush_.done();
    if (running && need == Need::when_flushed) return false;  // keep writing into the free room
    const auto t0 = std::chrono::steady_clock::now();
    try {
      flush_.wait();
    } catch (...) {
      start_flush();  // the journal is still not durable: flush it again
      throw;
    }
    if (running && need == Need::now) {
      // A write had to wait for the disk. When the wait is a real disk's
      // (not a thread's wake-up) and took more than a fifth of the time
      // since the switch, compactions outrun the disk: the next standbys
      // get more room, so the files grow instead of thrashing.
      const auto now = std::chrono::steady_clock::now();
      if (now - t0 > kSlowFlush && 4 * (now - t0) > t0 - switched_at_) {
        room_ = std::min(options_.max_size, std::max(2 * room_, options_.initial_size));
        kept_up_ = 0;
      }
    } else if (!running && need == Need::when_flushed && ++kept_up_ == kKeptUpToShrink) {
      // The disk has kept up for a while: give the room back, slowly (a
      // room that flips each compaction would resize the files each time).
      room_ = std::max(options_.compaction_room, room_ / 2);
      kept_up_ = 0;
    }
  } else {
    active_journal().sync();
  }
  flushing_ = unflushed_ = false;
  return true;
}

template <Backend B>
void DoubleBufferedKV<B>::recycle_standby() {
  const int standby = 1 - active_;
  B backend = take_standby();
  try {
    // A standby cut shorter than a journal grows back to the store's
    // starting size: left unformatted, every reopen would report it again.
    if (backend.size() < options_.initial_size)
      resize_best(backend, options_.initial_size, kHeaderSize);
    const std::size_t bytes = backend.size();
    journals_[standby].emplace(Journal::create_or_return(backend, journal_options(bytes), 0));
  } catch (...) {
    if (!journals_[standby]) spare_.emplace(std::move(backend));
    throw;
  }
  journals_[standby]->sync();
  recycle_standby_ = finish_creation_ = false;
}

template <Backend B>
void DoubleBufferedKV<B>::report_recovery(const JournalCandidate& standby,
                                          const std::optional<Error>& failure) {
  recovery_ = active_journal().recovery();
  const char* names[2] = {"A", "B"};
  const char* other = names[1 - active_];
  std::string note;
  bool lost = false;
  if (failure) {
    // Damage, never a crash's doing (headers change by single checked words,
    // formats write the magic last): if that journal was the newer one, what
    // it held after the last switch is gone. Said, never silently rolled back.
    note = std::string("journal ") + other + " is unreadable (" + failure->what() +
           "); if it was the newer journal, its writes since the last switch are lost";
    lost = true;
  } else if (standby.readable && standby.generation > active_journal().generation()) {
    const std::string gen = " (generation " + std::to_string(standby.generation) + ")";
    if (torn_compaction(standby.committed)) {
      note = std::string("journal ") + other + gen + " is an unfinished compaction; ignored";
      recycle_standby_ = true;
    } else {
      note = std::string("journal ") + other + gen + " holds " +
             std::to_string(standby.committed) +
             " committed bytes but no valid snapshot: damaged; its writes are lost";
      lost = true;
    }
  }
  if (note.empty()) return;
  recovery_.reason = recovery_.reason.empty() ? note : recovery_.reason + "; " + note;
  if (lost) {
    recycle_standby_ = true;
    if (recovery_.loss == DataLoss::none) recovery_.loss = DataLoss::partial;
    recovery_.records_dropped = std::max<std::uint64_t>(recovery_.records_dropped, 1);
    recovery_.bytes_dropped += standby.committed;
  }
}

}  // namespace memvec::kv
