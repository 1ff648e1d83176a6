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

}  // namespace memvec::kv
