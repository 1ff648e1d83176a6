// The two decisions of DoubleBufferedKV, as small pure functions so that each
// is tested on its own: which journal is active after a restart, and how big
// the standby is made at a compaction.
//
// Switch protocol, in one sentence: the standby journal is rewritten with
// generation = active generation + 1 whose first record is a snapshot of the
// live set and becomes active once that record commits; a journal is
// rewritten only after the one that replaced it is durable; on reopen the
// newest complete generation wins.
#pragma once

#include <cstddef>
#include <cstdint>

#include "memvec/kv/options.hpp"
#include "memvec/kv/record.hpp"

namespace memvec::kv {

struct JournalCandidate {
  bool readable = false;         // its header and metadata validate
  std::uint64_t generation = 0;  // 0 marks a spare that never held data
  // Generation 1 (the first journal of a store), or a log that opens with a
  // valid snapshot record: a compaction that finished. A compaction torn by
  // a crash leaves a higher generation that is not complete.
  bool complete = false;
  std::uint64_t committed = 0;  // the log's committed bytes, held or not
};

// Whether a newer journal that is not complete is a compaction a crash tore
// (no loss: it was to be a copy of the older journal) rather than damage: a
// process crash tears a compaction before its length is published, and under
// power_loss its snapshot is synced before that (KVJournal::commit_snapshot),
// so a torn one has nothing committed. Committed bytes that are not a valid
// snapshot were damaged since, or (process_crash) lost to a power cut before
// the compaction's flush: either way the writes made there are reported lost.
bool torn_compaction(std::uint64_t committed) noexcept;

// 0 for A, 1 for B, -1 when neither can be active. Generation order only:
// never wall-clock time, never "the one that has data" (the first journal
// design resurrected cleared keys that way).
int choose_active(const JournalCandidate& a, const JournalCandidate& b) noexcept;

// Total backend bytes for a standby that must hold `need` bytes of records:
// a high-water mark at or above need + max(need, compaction_room) (so a
// compaction is followed by at least as many bytes of fresh writes as it
// copied, and by enough to amortize its sync: no thrashing), a power of two,
// at least options.initial_size and at most options.max_size. Returns 0 when
// `need` cannot fit even at max_size.
std::size_t standby_size(std::size_t need, const StoreOptions& options);

// Bytes of the one snapshot record of `live` (encoded to be measured).
std::size_t snapshot_bytes(const Index& live);

// Throws errc::invalid_argument naming the bad field.
void validate(const StoreOptions& options);

}  // namespace memvec::kv
