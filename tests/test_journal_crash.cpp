// Journal crash trials: a forked child opens a MemMappedKVJournal
// (KVJournal<FileBackend>, default process_crash durability) and writes
// forever — new keys, overwrites, erases, set_many batches (with repeated
// keys and nulls), now and then a clear() — acknowledging each call that
// returned through a pipe. The parent SIGKILLs it at a random moment,
// reopens the file and checks that the journal holds exactly the state after
// every acknowledged call, plus at most the calls that returned but whose
// acks were not sent yet and the one in flight; recovery() reports no loss.
//
// The technique is tests/test_crash.cpp's: kills after a random delay or
// after a random number of acks; most children ack every call, some batch
// their acks (so they spend their time in user space, where a kill can land
// between a record's bytes and its commit). Files start at one or two pages,
// so growth (fallocate + mremap + the capacity word) happens inside trials.
// Half the trials use a fresh file; the other half keep appending to one
// file, so children also open journals with history (and the first write of
// each session cleans the tail past the committed log).
//
// Calls are a pure function of (seed, call index): the child and the parent
// generate the same ones, and each ack carries the call index and a hash of
// the call's keys and values, which the parent checks against its own copy.
//
// MEMVEC_JOURNAL_CRASH_TRIALS=n sets the trial count; MEMVEC_CRASH_SEED=s
// replays a run (the seed is printed).
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
#include <utility>
#include <vector>

#include "memvec/kv.hpp"
#include "memvec/memvec.hpp"
#include "crash_harness.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using memvec::FileBackend;
using memvec::OpenMode;
using memvec::kv::DataLoss;
using memvec::kv::Index;
using memvec::kv::MemMappedKVJournal;
using memvec::kv::Object;
using memvec::kv::Value;

using test::AckReader;
using test::ChildGuard;
using test::env_or;
using test::write_all;

namespace {

constexpr std::uint64_t mix(std::uint64_t x) {  // splitmix64 finalizer
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// --- the calls: a pure function of (seed, index) ------------------------------

struct Call {
  enum Kind { set, erase, set_many, clear } kind = set;
  std::vector<std::pair<std::string, Value>> items;  // set: one; erase: one, null
  std::uint32_t identity = 0;                        // hash of kind, keys and values
};

std::string key_for(std::uint64_t r) {
  const std::uint64_t id = r % 160;
  switch ((r >> 16) % 50) {
    case 0:
      return "";
    case 1:
      return "\xD0\xBA\xD0\xBB\xD1\x8E\xD1\x87-" + std::to_string(id);  // "ключ-"
    default:
      return "k" + std::to_string(id);
  }
}

// A value that names the call that wrote it, of a size that makes the
// journal grow now and then.
Value value_for(std::uint64_t index, std::uint64_t slot, std::uint64_t r) {
  const std::string tag = std::to_string(index) + "." + std::to_string(slot);
  switch (r % 8) {
    case 0:
      return Value(static_cast<std::int64_t>(index * 16 + slot));
    case 1:
      return Value(std::string(200 + r % 1800, 'x') + tag);  // 0.2-2 KB
    case 2: {
      Object o;
      o["call"] = Value(index);
      o["slot"] = Value(slot);
      o["tag"] = Value(tag);
      return Value(std::move(o));
    }
    case 3:
      return Value(static_cast<double>(index) + 0.5);
    default:
      return Value("v" + tag);
  }
}

std::uint32_t fnv(std::uint32_t h, const std::string& s) {
  for (const char c : s) h = (h ^ static_cast<std::uint8_t>(c)) * 16777619u;
  return (h ^ 0xFFu) * 16777619u;
}

Call call_at(std::uint64_t seed, std::uint64_t index) {
  std::mt19937_64 rng(mix(seed ^ mix(index)));
  Call c;
  const std::uint64_t k = rng() % 1000;
  if (k < 600) {
    c.kind = Call::set;
    c.items.emplace_back(key_for(rng()), value_for(index, 0, rng()));
  } else if (k < 730) {
    c.kind = Call::erase;
    c.items.emplace_back(key_for(rng()), Value());
  } else if (k < 995) {
    c.kind = Call::set_many;
    const std::uint64_t n = 2 + rng() % 7;
    for (std::uint64_t s = 0; s < n; ++s) {
      std::string key = (s > 0 && rng() % 5 == 0) ? c.items[rng() % s].first : key_for(rng());
      c.items.emplace_back(std::move(key), rng() % 6 == 0 ? Value() : value_for(index, s, rng()));
    }
  } else {
    c.kind = Call::clear;
  }
  std::uint32_t h = 2166136261u ^ static_cast<std::uint32_t>(c.kind);
  for (const auto& [key, value] : c.items) h = fnv(fnv(h, key), value.to_json());
  c.identity = h;
  return c;
}

void apply(Index& m, const Call& c) {
  if (c.kind == Call::clear) return m.clear();
  for (const auto& [key, value] : c.items) {
    if (value.is_null())
      m.erase(key);
    else
      m[key] = value;
  }
}

void apply(MemMappedKVJournal& j, const Call& c) {
  switch (c.kind) {
    case Call::set:
      j.set(c.items[0].first, c.items[0].second);
      break;
    case Call::erase:
      j.erase(c.items[0].first);
      break;
    case Call::set_many:
      j.set_many(c.items);
      break;
    case Call::clear:
      j.clear();
      break;
  }
}

// An ack: the call index in the low 31 bits, bit 31 set when the log is
// nearly full (the next calls may grow it), the call's identity in the high
// 32 bits.
constexpr std::uint64_t kNearlyFull = std::uint64_t{1} << 31;
constexpr std::uint64_t ack_of(std::uint64_t index, const Call& c) {
  return (std::uint64_t{c.identity} << 32) | (index & 0x7FFFFFFFu);
}

constexpr std::uint64_t kReady = ~std::uint64_t{0};

struct Plan {
  std::size_t initial_size = 4096;  // for a fresh file
  std::size_t batch = 1;            // acks sent per write(2)
};

// The child: opens (or creates) the journal, says it is ready with its key
// count, then runs calls from `first` on, acknowledging calls that returned.
[[noreturn]] void writer(const fs::path& path, const Plan& plan, std::uint64_t seed,
                         std::uint64_t first, int ack) {
  try {
    auto j = MemMappedKVJournal::open_or_create(
        FileBackend::open(path, {.initial_size = plan.initial_size}));
    const std::uint64_t hello[3] = {kReady, j.size(),
                                    static_cast<std::uint64_t>(j.recovery().loss)};
    if (!write_all(ack, hello, sizeof hello)) ::_exit(3);
    std::vector<std::uint64_t> pending;
    pending.reserve(plan.batch);
    for (std::uint64_t i = first;; ++i) {
      const Call c = call_at(seed, i);
      apply(j, c);
      // Returned: may be acknowledged from now on.
      pending.push_back(ack_of(i, c) |
                        (j.capacity_bytes() - j.used_bytes() < 6000 ? kNearlyFull : 0));
      if (pending.size() == plan.batch) {
        if (!write_all(ack, pending.data(), pending.size() * sizeof(std::uint64_t))) ::_exit(4);
        pending.clear();
      }
    }
  } catch (...) {
    ::_exit(2);
  }
}

struct Stats {
  int trials = 0;
  int fresh = 0;
  int appended = 0;
  int batched = 0;
  int by_delay = 0;
  int by_acks = 0;
  int near_growth = 0;
  int unacked_survived = 0;  // the reopen held calls beyond the last ack
  int in_flight_clear = 0;   // a clear() among the calls that may have run
  int inside_resize = 0;     // the file was longer than the header's capacity
  int grew = 0;              // the file ended larger than it started
  std::uint64_t calls_acked = 0;
  std::uint64_t clears_acked = 0;
  std::uint64_t keys_checked = 0;
};

// One trial on `path`, whose journal holds `model` after calls [0, first).
// Returns the index of the first call not in the reopened journal and
// updates `model` to its state.
enum class Kill { after_delay, after_acks, near_growth };

std::uint64_t trial(const fs::path& path, std::uint64_t seed, std::uint64_t first, Index& model,
                    const Plan& plan, Kill kill, std::mt19937_64& rng, Stats& stats) {
  const std::size_t size_before = fs::exists(path) ? fs::file_size(path) : plan.initial_size;
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    ::alarm(60);  // never outlive a parent that failed to kill
    writer(path, plan, seed, first, fds[1]);
  }
  ::close(fds[1]);
  ChildGuard child(pid);
  AckReader acks(fds[0]);

  std::uint64_t hello[3] = {};
  const bool ready = acks.next(hello[0]) && acks.next(hello[1]) && acks.next(hello[2]);
  if (!ready) FAIL("writer died before it was ready, status " << child.reap());
  REQUIRE(hello[0] == kReady);
  REQUIRE(hello[1] == model.size());
  REQUIRE(hello[2] == static_cast<std::uint64_t>(DataLoss::none));

  // Acks arrive in call order, each naming its call.
  std::uint64_t acked = 0;
  bool eof = false;
  bool nearly_full = false;
  const auto take = [&]() -> bool {
    std::uint64_t a = 0;
    if (!acks.next(a)) return eof = true, false;
    const std::uint64_t index = first + acked;
    const Call c = call_at(seed, index);
    nearly_full = (a & kNearlyFull) != 0;
    a &= ~kNearlyFull;
    if (a != ack_of(index, c))
      FAIL("ack " << (a & 0x7FFFFFFFu) << " (identity " << (a >> 32) << ") where call " << index
                  << " (identity " << c.identity << ") was due");
    ++acked;
    return true;
  };

  switch (kill) {
    case Kill::after_acks:
      ++stats.by_acks;
      for (std::uint64_t n = rng() % 3000; n > 0 && take(); --n) {
      }
      break;
    case Kill::after_delay:
      ++stats.by_delay;
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 4000));
      break;
    case Kill::near_growth: {
      // Busy-poll the acks; kill a few microseconds after one that says the
      // log is nearly full (skipping a random few such moments). A growth
      // far away (a big appended file) would take too long: give up after
      // 30 ms and kill anyway.
      acks.spin(true);
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(30);
      bool found = false;
      for (std::uint64_t skip = rng() % 3; take();) {
        if (nearly_full && skip-- == 0) {
          found = true;
          break;
        }
        if (std::chrono::steady_clock::now() > deadline) break;
      }
      ++(found ? stats.near_growth : stats.by_delay);
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(rng() % 30);
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

  // The model after every acknowledged call.
  for (std::uint64_t i = first; i < first + acked; ++i) {
    const Call c = call_at(seed, i);
    if (c.kind == Call::clear) ++stats.clears_acked;
    apply(model, c);
  }
  stats.calls_acked += acked;

  // Reopen as a writer (the dead child's lock is gone) and read only.
  auto j = MemMappedKVJournal::open(FileBackend::open(path, {.mode = OpenMode::open_existing}));
  INFO("trial " << stats.trials << ": calls [" << first << ", " << first + acked
                << ") acknowledged, batch " << plan.batch << "; reopened " << j.size()
                << " keys, " << j.used_bytes() << " log bytes; " << j.recovery().reason);
  CHECK(j.recovery().loss == DataLoss::none);
  CHECK(j.recovery().bytes_dropped == 0);
  // Exactly the acknowledged state, or that plus the calls that returned
  // unacknowledged (at most batch - 1) and the one in flight.
  std::uint64_t extra = 0;
  Index state = model;
  bool clear_possible = false;
  while (!(j.as_hashmap() == state) && extra < plan.batch) {
    const Call c = call_at(seed, first + acked + extra);
    if (c.kind == Call::clear) clear_possible = true;
    apply(state, c);
    ++extra;
  }
  if (!(j.as_hashmap() == state)) {
    std::string diff;
    for (const auto& [k, v] : j.as_hashmap()) {
      const auto it = model.find(k);
      if (it == model.end())
        diff += " unexpected " + k + "=" + v.to_json().substr(0, 40) + ";";
      else if (!(it->second == v))
        diff += " " + k + "=" + v.to_json().substr(0, 40) + " (acked: " +
                it->second.to_json().substr(0, 40) + ");";
    }
    for (const auto& [k, v] : model)
      if (!j.contains(k)) diff += " lost " + k + ";";
    FAIL("the reopened journal is no state between the last ack and " << plan.batch
                                                                        << " calls later:" << diff);
  }
  if (extra > 0) ++stats.unacked_survived;
  if (clear_possible) ++stats.in_flight_clear;
  model = std::move(state);
  stats.keys_checked += model.size();

  const std::size_t file = fs::file_size(path);
  const std::size_t page = memvec::page_size();
  const std::size_t claimed = MemMappedKVJournal::Log::kSpec.data_offset + j.capacity_bytes();
  if (file > (claimed + page - 1) / page * page) ++stats.inside_resize;
  if (file > size_before) ++stats.grew;
  ++stats.trials;
  return first + acked + extra;
}

}  // namespace

TEST_CASE("journal crash: a SIGKILLed journal writer loses no acknowledged call") {
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t trials = env_or("MEMVEC_JOURNAL_CRASH_TRIALS", 150);
  const std::uint64_t seed = env_or("MEMVEC_CRASH_SEED", std::random_device{}());
  std::mt19937_64 rng(seed);
  test::TempDir dir;
  const auto shared = dir / "appended.kv";
  Stats stats;
  Index shared_model;
  std::uint64_t shared_next = 0;
  const std::uint64_t shared_seed = mix(seed ^ 0xA11CE);

  for (std::size_t t = 0; t < trials; ++t) {
    const bool fresh = t % 2 == 0;
    Plan plan;
    plan.batch = rng() % 4 == 0 ? 2 + rng() % 64 : 1;
    plan.initial_size = std::size_t{4096} * (1 + rng() % 2);
    const auto kill = static_cast<Kill>(rng() % 3);
    INFO("seed " << seed << " trial " << t << (fresh ? " fresh" : " appended") << " batch "
                 << plan.batch << " initial " << plan.initial_size << " kill "
                 << static_cast<int>(kill));
    if (fresh) {
      const auto path = dir / ("fresh-" + std::to_string(t) + ".kv");
      Index model;
      (void)trial(path, mix(seed + t), 0, model, plan, kill, rng, stats);
      ++stats.fresh;
      fs::remove(path);
    } else {
      shared_next = trial(shared, shared_seed, shared_next, shared_model, plan, kill, rng, stats);
      ++stats.appended;
    }
    if (plan.batch > 1) ++stats.batched;
  }
  CHECK(stats.trials == static_cast<int>(trials));
  CHECK(stats.grew > 0);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  WARN("journal SIGKILL trials: " << stats.trials << " (" << stats.fresh << " fresh files, "
                                  << stats.appended << " appended to one file, now "
                                  << fs::file_size(shared) << " bytes and " << shared_next
                                  << " calls; " << stats.batched << " with batched acks); kills: "
                                  << stats.by_delay << " after a delay, " << stats.by_acks
                                  << " after n acks, " << stats.near_growth
                                  << " just after a nearly-full ack; " << stats.calls_acked
                                  << " acknowledged calls (" << stats.clears_acked
                                  << " clears) all found; " << stats.unacked_survived
                                  << " reopens held returned but unacknowledged calls, "
                                  << stats.in_flight_clear << " with a clear among them; "
                                  << stats.grew << " trials grew the file, "
                                  << stats.inside_resize << " killed inside a resize; "
                                  << stats.keys_checked << " keys checked; " << secs
                                  << " s; seed " << seed);
}
