#include "memvec/kv/detail/background_flush.hpp"

#include <utility>

namespace memvec::kv::detail {

BackgroundFlush::~BackgroundFlush() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  if (worker_.joinable()) worker_.join();  // lets a running flush finish
}

void BackgroundFlush::start(std::function<void()> job) {
  wait();
  {
    std::lock_guard lock(mutex_);
    job_ = std::move(job);
    busy_ = true;
  }
  if (!worker_.joinable()) {
    try {
      worker_ = std::thread([this] { run(); });
    } catch (...) {
      std::lock_guard lock(mutex_);
      busy_ = false;
      job_ = nullptr;
      throw;
    }
  }
  wake_.notify_one();
}

bool BackgroundFlush::done() const {
  std::lock_guard lock(mutex_);
  return !busy_;
}

void BackgroundFlush::wait() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return !busy_; });
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

void BackgroundFlush::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stop_ || busy_; });
    if (busy_) {
      std::function<void()> job = std::move(job_);
      lock.unlock();
      std::exception_ptr error;
      try {
        job();
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      error_ = error;
      busy_ = false;
      idle_.notify_all();
      continue;  // a stop waits for the job that was running
    }
    if (stop_) return;
  }
}

}  // namespace memvec::kv::detail
