#include "memvec/kv/fair_shared_mutex.hpp"

namespace memvec::kv {

void FairSharedMutex::lock_shared() {
  std::unique_lock lock(mutex_);
  const std::uint64_t ticket = next_ticket_++;
  turn_.wait(lock, [&] { return serving_ == ticket && !writer_; });
  ++readers_;
  ++serving_;  // the next arrival may enter too if it is a reader
  turn_.notify_all();
}

void FairSharedMutex::unlock_shared() {
  std::lock_guard lock(mutex_);
  if (--readers_ == 0) turn_.notify_all();
}

void FairSharedMutex::lock() {
  std::unique_lock lock(mutex_);
  const std::uint64_t ticket = next_ticket_++;
  turn_.wait(lock, [&] { return serving_ == ticket && !writer_ && readers_ == 0; });
  writer_ = true;
  ++serving_;
}

void FairSharedMutex::unlock() {
  std::lock_guard lock(mutex_);
  writer_ = false;
  turn_.notify_all();
}

}  // namespace memvec::kv
