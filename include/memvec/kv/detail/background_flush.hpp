// BackgroundFlush: one flush at a time on a thread of its own, for
// DoubleBufferedKV's compactions. The thread starts at the first flush (a
// store that never compacts never has one) and is joined by the destructor.
// A job's exception is kept and rethrown by wait(); done() never blocks, so
// a writer can look without waiting. Thread-safety: one owner thread calls
// start/done/wait; the flush runs on the worker.
#pragma once

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace memvec::kv::detail {

class BackgroundFlush {
 public:
  BackgroundFlush() = default;
  BackgroundFlush(const BackgroundFlush&) = delete;
  BackgroundFlush& operator=(const BackgroundFlush&) = delete;
  ~BackgroundFlush();

  // Runs `job` on the worker; waits for the previous job first.
  void start(std::function<void()> job);
  // Whether no job is pending or running.
  bool done() const;
  // Blocks until no job is pending or running; rethrows a failed job's
  // exception once.
  void wait();

 private:
  void run();

  mutable std::mutex mutex_;
  std::condition_variable wake_;  // worker: a job came, or stop
  std::condition_variable idle_;  // owner: the job finished
  std::function<void()> job_;
  std::exception_ptr error_;
  bool busy_ = false;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace memvec::kv::detail
