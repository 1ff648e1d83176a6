// FairSharedMutex: a reader/writer lock that starves neither side.
//
// std::shared_mutex on glibc prefers readers, so a steady stream of readers
// can hold a writer off forever. Here every arrival takes a ticket and enters
// in ticket order: consecutive readers share the lock, a writer waits for the
// readers before it to leave, and readers behind a writer wait for it. Meets
// the SharedMutex requirements (std::unique_lock, std::shared_lock).
// Thread-safe by definition; not recursive; never throws except what
// std::mutex/std::condition_variable throw.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace memvec::kv {

class FairSharedMutex {
 public:
  void lock();
  void unlock();
  void lock_shared();
  void unlock_shared();

 private:
  std::mutex mutex_;
  std::condition_variable turn_;
  std::uint64_t next_ticket_ = 0;
  std::uint64_t serving_ = 0;  // the ticket allowed to enter next
  std::uint32_t readers_ = 0;
  bool writer_ = false;
};

}  // namespace memvec::kv
