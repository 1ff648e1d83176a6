// DoubleBufferedKV<B>, SIGKILL trials over a store that switches often (ack
// pipe, crash_harness.hpp, as in test_crash.cpp): no acknowledged write is
// lost. MEMVEC_STORE_CRASH_TRIALS=n, MEMVEC_STORE_CRASH_SEED=s.
#include "store_workload.hpp"

using namespace store_fixture;

namespace {

constexpr std::uint64_t kHello = ~std::uint64_t{0};
constexpr int kSwitchShift = 40;  // an ack: calls returned | switch_count << 40

// The child: opens the store, says hello with its size, then runs the
// workload forever, acknowledging each call once it returned.
[[noreturn]] void store_writer(const FilePair& fx, const StoreOptions& o, Generator gen, int ack) {
  try {
    auto s = DoubleBufferedMemMappedKV::open(fx.path[0], fx.path[1], o);
    const std::uint64_t hello[2] = {kHello, s.size()};
    if (!write_all(ack, hello, sizeof hello)) ::_exit(3);
    for (std::uint64_t n = 1;; ++n) {
      play(s, gen.next());
      const std::uint64_t msg = n | (s.switch_count() << kSwitchShift);
      if (!write_all(ack, &msg, sizeof msg)) ::_exit(4);
    }
  } catch (...) {
    ::_exit(2);
  }
}

enum class Kill { after_delay, after_acks, near_switch };

struct KillStats {
  int trials = 0, fresh = 0;
  int by_delay = 0, by_acks = 0, near_switch = 0;
  std::uint64_t calls = 0, switches = 0;
  int unacked_survived = 0;  // the call in flight (or returned, unacknowledged) had committed
  int torn = 0;              // the kill tore a compaction (the reopen ignored it)
  int cleared_or_compacted = 0;
};

}  // namespace

TEST_CASE(
    "store: SIGKILL at random moments of a switching workload loses no acknowledged write "
    "and resurrects nothing") {
  const std::size_t trials = env_or("MEMVEC_STORE_CRASH_TRIALS", 200);
  const std::uint64_t seed = env_or("MEMVEC_STORE_CRASH_SEED", std::random_device{}());
  const auto t0 = std::chrono::steady_clock::now();
  Rng rng(seed);
  FilePair fx;
  // Small journals at ratio 0.5: a switch every hundred calls or so.
  const StoreOptions o{.initial_size = 4096, .max_size = 1 << 20, .high_water_mark_ratio = 0.5, .compaction_room = 0};
  Mix mix;
  mix.set = 600;
  mix.erase = 150;
  mix.set_many = 150;
  mix.clear = 1;  // one call in a thousand: rare, but some kills land near one
  mix.compact = 20;
  mix.key_space = 50;
  mix.value_max = 64;
  Index base;  // the store's state before the trial
  KillStats ks;
  for (std::size_t t = 0; t < trials; ++t) {
    if (t % 4 == 0) {  // a fresh store now and then; otherwise the last one continues
      fs::remove(fx.path[0]);
      fs::remove(fx.path[1]);
      base.clear();
      ++ks.fresh;
    }
    const Generator gen(rng(), mix);
    const Kill kill = static_cast<Kill>(rng() % 3);
    INFO("seed " << seed << " trial " << t << " kill " << static_cast<int>(kill));
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      ::alarm(30);  // never outlive a parent that failed to kill
      store_writer(fx, o, gen, fds[1]);
    }
    ::close(fds[1]);
    ChildGuard child(pid);
    AckReader acks(fds[0]);
    std::uint64_t hello[2] = {};
    if (!(acks.next(hello[0]) && acks.next(hello[1])))
      FAIL("writer died before it was ready, status " << child.reap());
    REQUIRE(hello[0] == kHello);
    REQUIRE(hello[1] == base.size());

    std::uint64_t acked = 0, switch_seen = 0;
    bool eof = false;
    const auto take = [&]() -> bool {
      std::uint64_t msg = 0;
      if (!acks.next(msg)) return eof = true, false;
      const std::uint64_t n = msg & ((std::uint64_t{1} << kSwitchShift) - 1);
      if (n != acked + 1) FAIL("ack " << n << " after ack " << acked);
      acked = n;
      switch_seen = msg >> kSwitchShift;
      return true;
    };
    switch (kill) {
      case Kill::after_delay:
        ++ks.by_delay;
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 5000));
        break;
      case Kill::after_acks: {
        ++ks.by_acks;
        for (std::uint64_t n = rng() % 3000; n > 0 && take(); --n) {
        }
        break;
      }
      case Kill::near_switch: {
        // Learn the gap between two switches, then kill a few calls before
        // (or at) the next one is due: often inside its compaction.
        ++ks.near_switch;
        acks.spin(true);
        std::uint64_t last_switch_at = 0, gap = 0, switches = 0, target = 0;
        while (take() && acked < 50000) {
          if (switch_seen != switches) {
            switches = switch_seen;
            if (last_switch_at > 0) gap = acked - last_switch_at;
            last_switch_at = acked;
            if (gap > 0)
              target = last_switch_at + gap - std::min<std::uint64_t>(gap - 1, rng() % 4);
          }
          if (target > 0 && acked >= target) break;
        }
        const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(rng() % 20);
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

    // The states after `acked` calls and after one more (a call that
    // returned, or committed, before the kill but was not acknowledged).
    Generator replay = gen;
    Index want = base;
    bool touched = false;
    for (std::uint64_t n = 0; n < acked; ++n) {
      const Op op = replay.next();
      touched |= op.kind == Op::clear || op.kind == Op::compact;
      play(want, op);
    }
    Index next = want;
    play(next, replay.next());

    auto s = fx.open(o);
    const Index got = s->as_hashmap();
    INFO("acked " << acked << " calls; reopened " << describe(got) << ", expected "
                  << describe(want) << " or " << describe(next) << "; " << s->recovery().reason);
    CHECK(s->recovery().loss == DataLoss::none);
    if (got == want) {
    } else if (got == next) {
      ++ks.unacked_survived;
    } else {
      FAIL("an acknowledged write was lost or an old value came back");
    }
    if (s->recovery().reason.find("unfinished compaction") != std::string::npos) ++ks.torn;
    if (touched) ++ks.cleared_or_compacted;
    ks.calls += acked;
    ks.switches += switch_seen;
    base = got;
    ++ks.trials;
  }
  CHECK(ks.trials == static_cast<int>(trials));
  CHECK(ks.switches > trials);
  WARN("store SIGKILL: " << ks.trials << " trials (" << ks.fresh
                         << " on fresh files), kills: " << ks.by_delay << " after a delay, "
                         << ks.by_acks << " after n acks, " << ks.near_switch << " near a switch; "
                         << ks.calls << " acknowledged calls and " << ks.switches
                         << " switches in all; " << ks.torn << " kills tore a compaction, "
                         << ks.unacked_survived << " kept a call in flight; "
                         << ks.cleared_or_compacted << " trials with a clear()/compact(); seed "
                         << seed << "; " << seconds_since(t0) << " s");
}
