// FairSharedMutex (the store's reader/writer lock):
//
//  1. Exclusion: writers never overlap each other or readers, under a mix of
//     lock, try_lock, lock_shared and try_lock_shared from several threads.
//  2. Sharing: two readers are inside together; the try_ forms agree.
//  3. Fairness, both ways: a writer gets in while readers keep arriving
//     (glibc's std::shared_mutex fails this one), readers get in while
//     writers keep arriving, and a reader arriving behind a waiting writer
//     enters after it.
//
// Catch2 is not thread-safe: threads count what they see in atomics, the
// main thread checks them. Waits are bounded by generous deadlines and the
// threads are then told to stop, so a starving lock fails instead of hanging.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <memvec/kv/fair_shared_mutex.hpp>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <thread>
#include <vector>

using memvec::kv::FairSharedMutex;
using namespace std::chrono_literals;

namespace {

// Polls `done` until it holds or `limit` passes; true if it held.
template <class Pred>
bool wait_for(Pred&& done, std::chrono::steady_clock::duration limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(100us);
  }
  return true;
}

}  // namespace

TEST_CASE("fair_shared_mutex: writers never overlap each other or readers") {
  FairSharedMutex m;
  constexpr int kThreads = 4;
  constexpr int kOps = 50'000;
  std::atomic<int> readers_in{0}, writers_in{0}, max_readers_in{0}, ready{0};
  std::atomic<std::uint64_t> violations{0}, writes{0};
  // Plain variables on purpose: a broken lock is a data race here, which
  // the check below (and ThreadSanitizer) sees.
  std::uint64_t a = 0, b = 0;

  // Now and then a thread yields inside: on two cores the others then run
  // while it holds the lock, instead of each finishing its slice alone.
  auto write = [&](bool linger) {
    if (writers_in.fetch_add(1) != 0 || readers_in.load() != 0) ++violations;
    b = ++a;
    if (linger) std::this_thread::yield();
    ++writes;
    writers_in.fetch_sub(1);
  };
  auto read = [&](bool linger) {
    const int in = readers_in.fetch_add(1) + 1;
    int seen = max_readers_in.load();
    while (in > seen && !max_readers_in.compare_exchange_weak(seen, in)) {
    }
    if (linger) std::this_thread::yield();
    if (writers_in.load() != 0 || a != b) ++violations;
    readers_in.fetch_sub(1);
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      std::minstd_rand rng(static_cast<unsigned>(t + 1));
      ++ready;  // start together, or the threads barely overlap
      while (ready != kThreads) std::this_thread::yield();
      for (int i = 0; i < kOps; ++i) {
        const bool linger = i % 64 == 0;
        switch (rng() % 16) {
          case 0:
          case 1: {
            std::unique_lock lock(m);
            write(linger);
            break;
          }
          case 2:
            if (m.try_lock()) {
              write(linger);
              m.unlock();
            }
            break;
          case 3:
            if (m.try_lock_shared()) {
              read(linger);
              m.unlock_shared();
            }
            break;
          default: {
            std::shared_lock lock(m);
            read(linger);
          }
        }
      }
    });
  for (auto& t : threads) t.join();

  CHECK(violations == 0);
  CHECK(a == writes);
  CHECK(a == b);
  CHECK(writes > kThreads * kOps / 10);  // writers did get in, many times
  WARN(kThreads * kOps << " operations: " << writes << " writes, up to " << max_readers_in
                       << " readers inside at once");
}

TEST_CASE("fair_shared_mutex: two readers are inside together, and keep writers out") {
  FairSharedMutex m;
  m.lock_shared();
  std::atomic<bool> second_in{false};
  std::thread second([&] {
    std::shared_lock lock(m);
    second_in = true;
  });
  const bool shared = wait_for([&] { return second_in.load(); });
  CHECK(shared);
  CHECK_FALSE(m.try_lock());
  REQUIRE(m.try_lock_shared());
  m.unlock_shared();
  m.unlock_shared();
  second.join();

  REQUIRE(m.try_lock());
  CHECK_FALSE(m.try_lock_shared());
  CHECK_FALSE(m.try_lock());  // not recursive
  m.unlock();
}

TEST_CASE("fair_shared_mutex: std::unique_lock and std::shared_lock drive it, try_to_lock too") {
  FairSharedMutex m;
  {
    std::unique_lock writer(m);
    CHECK(writer.owns_lock());
    std::shared_lock<FairSharedMutex> reader(m, std::try_to_lock);
    CHECK_FALSE(reader.owns_lock());
  }
  {
    std::shared_lock r1(m);
    std::shared_lock<FairSharedMutex> r2(m, std::try_to_lock);
    CHECK(r2.owns_lock());
    std::unique_lock<FairSharedMutex> writer(m, std::try_to_lock);
    CHECK_FALSE(writer.owns_lock());
  }
  std::unique_lock<FairSharedMutex> writer(m, std::try_to_lock);
  CHECK(writer.owns_lock());
  writer.unlock();
  std::shared_lock reader(m);
  CHECK(reader.owns_lock());
}

TEST_CASE("fair_shared_mutex: a writer gets in while readers keep arriving") {
  FairSharedMutex m;
  constexpr int kReaders = 4;
  constexpr int kWrites = 20;
  std::atomic<bool> stop{false};
  std::atomic<int> readers_in{0}, started{0}, writes{0};
  std::atomic<std::uint64_t> violations{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r)
    readers.emplace_back([&] {
      bool counted = false;
      while (!stop) {
        std::shared_lock lock(m);
        readers_in.fetch_add(1);
        if (!counted) {
          ++started;
          counted = true;
        }
        // Long enough that the readers' stays overlap: with a reader-
        // preferring lock some reader would always be inside.
        std::this_thread::sleep_for(200us);
        readers_in.fetch_sub(1);
      }
    });
  REQUIRE(wait_for([&] { return started == kReaders; }));
  std::thread writer([&] {
    for (int i = 0; i < kWrites; ++i) {
      {
        std::unique_lock lock(m);
        if (readers_in.load() != 0) ++violations;
        ++writes;
      }
      std::this_thread::sleep_for(200us);
    }
  });
  const bool writer_done = wait_for([&] { return writes == kWrites; });
  stop = true;  // lets even a starved writer finish, so the joins return
  writer.join();
  for (auto& t : readers) t.join();
  CHECK(writer_done);
  CHECK(violations == 0);
}

TEST_CASE("fair_shared_mutex: readers get in while writers keep arriving") {
  FairSharedMutex m;
  constexpr int kWriters = 2;
  constexpr int kReads = 20;
  std::atomic<bool> stop{false};
  std::atomic<int> writers_in{0}, started{0}, reads{0};
  std::atomic<std::uint64_t> violations{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w)
    writers.emplace_back([&] {
      bool counted = false;
      while (!stop) {
        std::unique_lock lock(m);
        if (writers_in.fetch_add(1) != 0) ++violations;
        if (!counted) {
          ++started;
          counted = true;
        }
        // Back to back: with a writer-preferring lock one writer always
        // waits, and the reader would never get in.
        std::this_thread::sleep_for(200us);
        writers_in.fetch_sub(1);
      }
    });
  REQUIRE(wait_for([&] { return started == kWriters; }));
  std::thread reader([&] {
    for (int i = 0; i < kReads; ++i) {
      {
        std::shared_lock lock(m);
        if (writers_in.load() != 0) ++violations;
        ++reads;
      }
      std::this_thread::sleep_for(200us);
    }
  });
  const bool reader_done = wait_for([&] { return reads == kReads; });
  stop = true;
  reader.join();
  for (auto& t : writers) t.join();
  CHECK(reader_done);
  CHECK(violations == 0);
}

TEST_CASE(
    "fair_shared_mutex: a reader that arrives while a writer waits enters after that writer") {
  FairSharedMutex m;
  std::atomic<int> order{0}, writer_at{-1}, reader_at{-1};
  m.lock_shared();  // the reader already inside: the writer waits for it
  std::thread writer([&] {
    std::unique_lock lock(m);
    writer_at = order++;
  });
  // Once the writer has announced itself, new readers are turned away.
  const bool announced = wait_for([&] {
    if (!m.try_lock_shared()) return true;
    m.unlock_shared();
    return false;
  });
  CHECK(announced);
  std::thread reader([&] {
    std::shared_lock lock(m);
    reader_at = order++;
  });
  // Neither may get in while we are still inside: the writer waits for us,
  // the late reader for the writer. (A lock that lets the reader past the
  // waiting writer fails here however long we wait.)
  std::this_thread::sleep_for(20ms);
  CHECK(order == 0);
  m.unlock_shared();
  writer.join();
  reader.join();
  CHECK(writer_at == 0);
  CHECK(reader_at == 1);
}
