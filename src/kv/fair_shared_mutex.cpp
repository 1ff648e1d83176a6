#include "memvec/kv/fair_shared_mutex.hpp"

namespace memvec::kv {

void FairSharedMutex::lock_shared_slow() {
  std::unique_lock lock(mutex_);
  // The writer bit only changes under mutex_, so this test is stable: the
  // writer we saw may already have left, and no other can announce itself
  // while we hold mutex_.
  if ((state_.load(std::memory_order_relaxed) & kWriter) == 0) {
    state_.fetch_add(1, std::memory_order_acquire);
    return;
  }
  // Behind the writer: unlock() counts us in with the batch and bumps batch_,
  // so we return already holding the lock, before any later writer announces.
  ++waiting_readers_;
  const std::uint64_t batch = batch_;
  admitted_.wait(lock, [&] { return batch_ != batch; });
}

void FairSharedMutex::unlock_shared_slow() {
  std::lock_guard lock(mutex_);
  // The writer bit stays set while we count: the writer waits for us. The
  // last reader out wakes it; holding mutex_ means the writer is either
  // before its check of the count (and sees zero) or asleep on drained_.
  if (state_.fetch_sub(1, std::memory_order_release) == (kWriter | 1u)) drained_.notify_one();
}

void FairSharedMutex::lock() {
  std::unique_lock lock(mutex_);
  const std::uint64_t ticket = next_ticket_++;
  turn_.wait(lock, [&] { return serving_ == ticket; });
  // Announce: from here no reader enters; wait only for those already in.
  if ((state_.fetch_or(kWriter, std::memory_order_acquire) & kReaders) != 0)
    drained_.wait(lock, [&] { return (state_.load(std::memory_order_acquire) & kReaders) == 0; });
}

bool FairSharedMutex::try_lock() {
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock || serving_ != next_ticket_) return false;  // busy, or a writer holds or queues
  std::uint32_t expected = 0;
  if (!state_.compare_exchange_strong(expected, kWriter, std::memory_order_acquire,
                                      std::memory_order_relaxed))
    return false;  // readers inside
  ++next_ticket_;  // the turn we now hold; unlock() passes it on
  return true;
}

void FairSharedMutex::unlock() {
  std::lock_guard lock(mutex_);
  // No reader is inside (state_ == kWriter), so one exchange both clears the
  // writer bit and counts in every reader that queued behind us; the next
  // writer, which needs mutex_ to announce itself, then waits for them.
  const std::uint32_t batch = waiting_readers_;
  waiting_readers_ = 0;
  state_.exchange(batch, std::memory_order_release);
  if (batch != 0) {
    ++batch_;
    admitted_.notify_all();
  }
  ++serving_;
  turn_.notify_all();
  // Notified under mutex_: once it is released, a thread that then gets the
  // lock may destroy this object.
}

}  // namespace memvec::kv
