// FairSharedMutex: a reader/writer lock that starves neither side.
//
// std::shared_mutex on glibc prefers readers, so a steady stream of readers
// can hold a writer off forever; a plain writer-preferring lock does the
// same to readers. This one is phase-fair: a writer announces itself, after
// which no new reader enters; it waits only for the readers already inside.
// Readers that arrive while a writer waits or holds the lock enter, all
// together, when that writer leaves and before the next writer can announce
// itself. Writers queue among themselves in arrival order. So a reader waits
// for at most one writer, and a writer for one batch of readers and the
// writers queued before it.
//
// Cost: without a writer around, lock_shared/unlock_shared are one
// compare-and-swap each on one atomic word (no mutex, no notify); the
// internal mutex and condition variables are used only on contention with a
// writer. Writers always take the internal mutex.
//
// Meets the SharedMutex requirements (std::unique_lock, std::shared_lock,
// try_lock, try_lock_shared; the try_ forms never wait for a writer or a
// reader and may fail spuriously). Thread-safe by definition. Not recursive
// in either mode: a thread that takes the shared lock twice deadlocks if a
// writer announces itself in between. Never throws except what std::mutex
// and std::condition_variable throw (std::system_error).
//
// Header-only, every member inline: a program built with ThreadSanitizer
// against a memvec built without it then compiles the lock's atomics into
// its own instrumented code (and TSan intercepts the mutex and condition
// variables wherever they are called). Out of line in the library, the
// writer's side was invisible and every access it orders read as a race.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace memvec::kv {

class FairSharedMutex {
 public:
  FairSharedMutex() = default;
  FairSharedMutex(const FairSharedMutex&) = delete;
  FairSharedMutex& operator=(const FairSharedMutex&) = delete;

  void lock();
  bool try_lock();
  void unlock();

  void lock_shared() {
    // Inline: the uncontended read is the store's hot path.
    std::uint32_t s = state_.load(std::memory_order_relaxed);
    while ((s & kWriter) == 0)
      if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acquire,
                                       std::memory_order_relaxed))
        return;
    lock_shared_slow();
  }
  bool try_lock_shared() noexcept {
    std::uint32_t s = state_.load(std::memory_order_relaxed);
    while ((s & kWriter) == 0)
      if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acquire,
                                       std::memory_order_relaxed))
        return true;
    return false;
  }
  void unlock_shared() {
    // A compare-and-swap rather than a fetch_sub: with a writer announced,
    // the decrement happens under the internal mutex (unlock_shared_slow), so
    // a writer never sees the count drain before the wake-up it needs is
    // delivered, and never gets in (and destroys this) while we still touch it.
    std::uint32_t s = state_.load(std::memory_order_relaxed);
    while ((s & kWriter) == 0)
      if (state_.compare_exchange_weak(s, s - 1, std::memory_order_release,
                                       std::memory_order_relaxed))
        return;
    unlock_shared_slow();
  }

 private:
  // state_: bit 31 = a writer has announced itself (it holds the lock or waits
  // for the readers inside to leave); bits 0-30 = readers inside. Every
  // change is a read-modify-write, so each acquire synchronizes with every
  // release before it. Bit 31 is set and cleared only under mutex_.
  static constexpr std::uint32_t kWriter = 1u << 31;
  static constexpr std::uint32_t kReaders = kWriter - 1;

  void lock_shared_slow();
  void unlock_shared_slow();

  std::atomic<std::uint32_t> state_{0};
  std::mutex mutex_;                   // guards everything below and the writer bit
  std::condition_variable admitted_;   // waiting readers: their batch was let in
  std::condition_variable turn_;       // queued writers: serving_ moved
  std::condition_variable drained_;    // the announced writer: the last reader left
  std::uint32_t waiting_readers_ = 0;  // readers blocked behind the current writer
  std::uint64_t batch_ = 0;            // bumped each time a waiting batch is let in
  std::uint64_t next_ticket_ = 0;      // writers' arrival order
  std::uint64_t serving_ = 0;          // the ticket that may announce itself
};

inline void FairSharedMutex::lock_shared_slow() {
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

inline void FairSharedMutex::unlock_shared_slow() {
  std::lock_guard lock(mutex_);
  // The writer bit stays set while we count: the writer waits for us. The
  // last reader out wakes it; holding mutex_ means the writer is either
  // before its check of the count (and sees zero) or asleep on drained_.
  if (state_.fetch_sub(1, std::memory_order_release) == (kWriter | 1u)) drained_.notify_one();
}

inline void FairSharedMutex::lock() {
  std::unique_lock lock(mutex_);
  const std::uint64_t ticket = next_ticket_++;
  turn_.wait(lock, [&] { return serving_ == ticket; });
  // Announce: from here no reader enters; wait only for those already in.
  if ((state_.fetch_or(kWriter, std::memory_order_acquire) & kReaders) != 0)
    drained_.wait(lock, [&] { return (state_.load(std::memory_order_acquire) & kReaders) == 0; });
}

inline bool FairSharedMutex::try_lock() {
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock || serving_ != next_ticket_) return false;  // busy, or a writer holds or queues
  std::uint32_t expected = 0;
  if (!state_.compare_exchange_strong(expected, kWriter, std::memory_order_acquire,
                                      std::memory_order_relaxed))
    return false;  // readers inside
  ++next_ticket_;  // the turn we now hold; unlock() passes it on
  return true;
}

inline void FairSharedMutex::unlock() {
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
