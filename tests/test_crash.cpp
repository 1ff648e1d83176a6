// Crash trials: a child process pushes records into a file-backed MemVec and
// acknowledges pushes that returned through a pipe; the parent SIGKILLs it
// at a random moment, reopens the file and checks that every acknowledged
// record is there, intact, and that nothing else is (no torn or garbage
// element). Kill moments mix a random delay, a random number of acks, and
// the moment a growth starts (small files, so growth is frequent; some
// children also shrink_to_fit every 64 pushes to force regrowth). Most
// children write one ack per push; some batch their acks (each still sent
// only after its push returned), so they spend their time in user space,
// where a kill can land between an element's bytes and its commit.
//
// MEMVEC_CRASH_TRIALS=n sets the FileBackend trial count (MappedFileBackend
// runs a fifth of it); MEMVEC_CRASH_SEED=s replays a run (the seed is printed).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "memvec/memvec.hpp"
#include "crash_harness.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using memvec::FileBackend;
using memvec::MappedFileBackend;
using memvec::MemVec;
using memvec::OpenMode;

using test::AckReader;
using test::ChildGuard;
using test::env_or;
using test::write_all;

namespace {

// 24 bytes: a torn element (part old bytes, part new) fails its check.
struct Record {
  std::uint64_t seq;
  std::uint64_t payload;
  std::uint64_t check;
  static constexpr std::uint64_t memvec_type_tag = 0x4352415348524543ull;  // "CRASHREC"
};
static_assert(sizeof(Record) == 24);

constexpr std::uint64_t mix(std::uint64_t x) {  // splitmix64 finalizer
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

constexpr Record make_record(std::uint64_t seq) {
  const std::uint64_t payload = mix(seq);
  return {seq, payload, mix(seq ^ mix(payload) ^ 0xC0FFEEull)};
}

constexpr bool intact(const Record& r, std::uint64_t index) {
  const Record want = make_record(index);
  return r.seq == want.seq && r.payload == want.payload && r.check == want.check;
}

constexpr std::uint64_t kReady = ~std::uint64_t{0};

struct Plan {
  std::size_t initial_size = 0;  // for a fresh file; 0: the vector sizes it
  bool churn = false;            // shrink_to_fit after every 64th push
  std::size_t batch = 1;         // acks sent per write(2)
};

// The child: opens (or creates) the vector, says it is ready with its size
// and capacity, then pushes forever, acknowledging pushes that returned.
template <class B>
[[noreturn]] void writer(const fs::path& path, const Plan& plan, int ack) {
  try {
    auto v = MemVec<Record, B>::open_or_create(B::open(path, {.initial_size = plan.initial_size}));
    const std::uint64_t hello[3] = {kReady, v.size(), v.capacity()};
    if (!write_all(ack, hello, sizeof hello)) ::_exit(3);
    std::vector<std::uint64_t> pending;
    pending.reserve(plan.batch);
    for (std::uint64_t seq = v.size();; ++seq) {
      v.push_back(make_record(seq));
      pending.push_back(seq);  // returned: may be acknowledged from now on
      if (pending.size() == plan.batch) {
        if (!write_all(ack, pending.data(), pending.size() * sizeof seq)) ::_exit(4);
        pending.clear();
      }
      if (plan.churn && seq % 64 == 63) v.shrink_to_fit();  // so the next pushes grow again
    }
  } catch (...) {
    ::_exit(2);
  }
}

enum class Kill { after_delay, after_acks, at_growth };

struct Stats {
  int trials = 0;
  int fresh = 0;
  int batched = 0;
  int appended = 0;
  int by_delay = 0;
  int by_acks = 0;
  int at_growth = 0;
  int unacked_push_survived = 0;  // a push returned, its ack never sent
  int inside_resize = 0;          // the file was longer than the header's capacity
  int full = 0;                   // size == capacity: the next push would have grown
  std::uint64_t records_checked = 0;
};

// One trial: fork a writer on `path`, kill it, reopen, check. `base` is the
// vector's size before the trial (0 for a fresh file).
// Returns the reopened vector's size.
template <class B>
std::uint64_t trial(const fs::path& path, std::uint64_t base, const Plan& plan, Kill kill,
                    std::mt19937_64& rng, Stats& stats) {
  using V = MemVec<Record, B>;
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    ::alarm(60);  // never outlive a parent that failed to kill
    writer<B>(path, plan, fds[1]);
  }
  ::close(fds[1]);
  ChildGuard child(pid);
  AckReader acks(fds[0]);  // owns fds[0]

  // The hello: the writer has opened the file (creation is not under test
  // here: a kill mid-format leaves a file open_or_create refuses).
  std::uint64_t hello[3] = {};
  const bool ready = acks.next(hello[0]) && acks.next(hello[1]) && acks.next(hello[2]);
  if (!ready) FAIL("writer died before it was ready, status " << child.reap());
  REQUIRE(hello[0] == kReady);
  REQUIRE(hello[1] == base);
  const std::uint64_t capacity = hello[2];

  std::int64_t last = static_cast<std::int64_t>(base) - 1;  // last acknowledged seq
  std::uint64_t seq = 0;
  bool eof = false;
  const auto take = [&]() -> bool {
    if (!acks.next(seq)) return eof = true, false;
    if (static_cast<std::int64_t>(seq) != last + 1)  // acks arrive in order, one per push
      FAIL("ack " << seq << " after ack " << last);
    last = static_cast<std::int64_t>(seq);
    return true;
  };

  // A growth far away (a big appended file without churn) would take too
  // long to reach: kill after a delay instead.
  if (kill == Kill::at_growth && !plan.churn && capacity > base + 16384) kill = Kill::after_delay;
  switch (kill) {
    case Kill::after_delay:
      ++stats.by_delay;
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
      break;
    case Kill::after_acks: {
      ++stats.by_acks;
      const std::uint64_t n = rng() % 4000;
      for (std::uint64_t i = 0; i < n && take(); ++i) {
      }
      break;
    }
    case Kill::at_growth: {
      // Busy-poll the acks and kill near the push that grows: a little before
      // or after it, since the kill lands a few pushes after the ack read.
      ++stats.at_growth;
      acks.spin(true);
      const auto early = static_cast<std::int64_t>(rng() % 24);
      if (plan.churn) {
        // After the ack of seq % 64 == 63 the writer shrinks, then its next
        // push grows again: stop near one of the next few such acks.
        for (std::uint64_t rounds = rng() % 4; take();)
          if (static_cast<std::int64_t>(seq % 64) == 63 - early && rounds-- == 0) break;
      } else {
        // The push after seq == capacity - 1 grows the file.
        const auto target = static_cast<std::int64_t>(capacity) - 1 - early;
        while (last < target && take()) {
        }
      }
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(rng() % 8);
      while (std::chrono::steady_clock::now() < until) {
      }
      break;
    }
  }
  ::kill(pid, SIGKILL);
  while (!eof && take()) {
  }
  const int status = child.reap();
  INFO("writer status " << status << " (exit 2: it threw, 3/4: pipe)");
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);

  // Reopen as a writer: the dead child's lock is gone.
  auto v = V::open(B::open(path, {.mode = OpenMode::open_existing}));
  const std::uint64_t acked = static_cast<std::uint64_t>(last + 1);
  INFO("trial " << stats.trials << ": base " << base << ", acked " << acked << ", reopened size "
                << v.size() << ", capacity " << v.capacity());
  // Every acknowledged push survived; at most `batch` more (they returned,
  // and the kill came before their acks were sent).
  REQUIRE(v.size() >= acked);
  REQUIRE(v.size() <= acked + plan.batch);
  if (v.size() > acked) ++stats.unacked_push_survived;
  for (std::uint64_t i = 0; i < v.size(); ++i) {
    if (!intact(v[i], i)) FAIL("element " << i << " is torn or garbage: seq " << v[i].seq);
  }
  stats.records_checked += v.size();
  const std::size_t file = fs::file_size(path);
  if (file > (V::kSpec.data_offset + v.capacity() * sizeof(Record) + memvec::page_size() - 1) /
                 memvec::page_size() * memvec::page_size())
    ++stats.inside_resize;
  if (v.size() == v.capacity()) ++stats.full;
  ++stats.trials;
  return v.size();
}

template <class B>
void run_trials(std::size_t trials, const char* label) {
  const std::uint64_t seed = env_or("MEMVEC_CRASH_SEED", std::random_device{}());
  std::mt19937_64 rng(seed);
  test::TempDir dir;
  const auto shared = dir / "appended.mv";
  Stats stats;
  std::uint64_t shared_size = 0;

  for (std::size_t t = 0; t < trials; ++t) {
    const bool fresh = t % 2 == 0;
    Plan plan;
    plan.churn = rng() % 3 == 0;
    plan.batch = rng() % 4 == 0 ? 1 + rng() % 256 : 1;
    plan.initial_size = std::size_t{4096} * (rng() % 3);
    const Kill kill = static_cast<Kill>(rng() % 3);
    const auto path = fresh ? dir / ("fresh-" + std::to_string(t) + ".mv") : shared;
    const std::uint64_t base = fresh ? 0 : shared_size;
    INFO(label << " seed " << seed << " trial " << t << (fresh ? " fresh" : " appended")
               << (plan.churn ? " churn" : "") << " batch " << plan.batch << " kill "
               << static_cast<int>(kill) << " initial " << plan.initial_size);
    const std::uint64_t size = trial<B>(path, base, plan, kill, rng, stats);
    if (plan.batch > 1) ++stats.batched;
    if (fresh) {
      ++stats.fresh;
      fs::remove(path);
    } else {
      ++stats.appended;
      shared_size = size;
    }
  }
  CHECK(stats.trials == static_cast<int>(trials));
  WARN(label << ": " << stats.trials << " crash trials (" << stats.fresh << " fresh files, "
             << stats.appended << " appended to one file of " << shared_size << " records; "
             << stats.batched << " with batched acks), kills: " << stats.by_delay
             << " after a delay, " << stats.by_acks << " after n acks, " << stats.at_growth
             << " at a growth; " << stats.inside_resize << " landed inside a resize and "
             << stats.full << " at a full vector, " << stats.unacked_push_survived
             << " kept returned but unacknowledged pushes; " << stats.records_checked
             << " records checked; seed " << seed);
}

}  // namespace

TEST_CASE("crash: a SIGKILLed FileBackend writer loses no acknowledged record and tears none") {
  run_trials<FileBackend>(env_or("MEMVEC_CRASH_TRIALS", 300), "FileBackend");
}

TEST_CASE(
    "crash: a SIGKILLed MappedFileBackend writer loses no acknowledged record and tears none") {
  run_trials<MappedFileBackend>(env_or("MEMVEC_CRASH_TRIALS", 300) / 5, "MappedFileBackend");
}
