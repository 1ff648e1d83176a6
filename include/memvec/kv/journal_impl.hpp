// KVJournal's write-path helpers: growth, the first write's tail cleaning,
// and the store's snapshot commit; included by journal.hpp (its contract,
// and each function's reason, are there).
#pragma once

#include <algorithm>
#include <cstring>
#include <string>

namespace memvec::kv {

template <Backend B>
void KVJournal<B>::clean_tail() {
  if (!log_.backend().writable())
    throw Error(errc::read_only, "journal" + memvec::detail::backend_where(log_.backend()) +
                                     ": a write on a read-only backend");
  const std::size_t end =
      valid_end_ + detail::nonzero_end({log_.data() + valid_end_, log_.capacity() - valid_end_});
  if (end > valid_end_) {
    std::memset(log_.data() + valid_end_, 0, end - valid_end_);
    log_.sync(valid_end_, end - valid_end_);
  }
  // Also when the backend lost the log's tail: the length word still
  // counts the lost bytes until this publishes the prefix's.
  if (valid_end_ < log_.size() || log_.missing_on_open() > 0) log_.resize(valid_end_);
  tail_clean_ = true;
}

template <Backend B>
void KVJournal<B>::grow_for(std::size_t bytes) {
  const std::size_t need = log_.size() + bytes;
  const std::size_t limit = detail_max_data();
  if (need > limit)
    throw Error(errc::capacity_exceeded, "journal" +
                                             memvec::detail::backend_where(log_.backend()) +
                                             ": a " + std::to_string(bytes) +
                                             "-byte record does not fit (" +
                                             std::to_string(log_.size()) + " of at most " +
                                             std::to_string(limit) + " bytes used)");
  // Doubling first; a backend that cannot reach the doubled size (a fixed
  // buffer, a capped backend) is asked for just what this record needs.
  const std::size_t doubled = std::min(limit, std::max(need, 2 * log_.capacity()));
  if (doubled > need) {
    try {
      return log_.reserve(doubled);
    } catch (const Error& e) {
      if (e.code() != errc::capacity_exceeded) throw;
    }
  }
  log_.reserve(need);
}

template <Backend B>
void KVJournal<B>::commit_snapshot(RecordWriter& snapshot, bool durable) {
  const std::span<const std::byte> record = snapshot.finish(seed_);
  if (record.size() > log_.capacity() - log_.size()) grow_for(record.size());
  index_.reserve(snapshot.members().size());
  if (durable) {
    std::memcpy(log_.data() + log_.size(), record.data(), record.size());
    log_.sync(log_.size(), record.size());
  }
  first_type_ = static_cast<std::uint8_t>(record[record_offset::kType]);
  const std::size_t at = log_.size();
  log_.append(record);  // this publishes the length
  valid_end_ = log_.size();
  if (durable) log_.sync_through(0);  // the header alone
  index_members(index_, log_bytes(), at, snapshot.members());
}

}  // namespace memvec::kv
