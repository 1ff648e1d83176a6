// memvec-stress --kill: fork + SIGKILL trials over real files, after
// tests/test_crash.cpp, test_journal_crash.cpp and test_store_crash.cpp's trials,
// in rotation over three workloads: MemVec pushes (FileBackend), journal
// writes (MemMappedKVJournal) and store writes with frequent compactions
// (DoubleBufferedMemMappedKV on 4 KiB journals at ratio 0.5, no compaction
// room). The child acknowledges each call once it returned; the parent
// kills it (after a delay, after n acks, just after an ack that says a
// growth or a compaction is near, or before it even finished opening),
// reopens and checks what a process crash must keep: every acknowledged
// call, nothing never written, no loss reported, and a write accepted after
// the reopen. Kill instants depend on timing, so a replayed seed repeats the
// workload and the kill plan, not the exact instant.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

#include "common.hpp"
#include "crash_harness.hpp"

namespace stress {
namespace {

namespace fs = std::filesystem;
using memvec::Durability;
using memvec::FileBackend;
using memvec::OpenMode;
using memvec::kv::DataLoss;
using memvec::kv::DoubleBufferedMemMappedKV;
using memvec::kv::MemMappedKVJournal;
using memvec::kv::StoreOptions;
using Store = DoubleBufferedMemMappedKV;

constexpr std::uint64_t kHello = ~std::uint64_t{0};
constexpr std::uint64_t kNear = std::uint64_t{1} << 62;  // ack flag: a growth/compaction is near
constexpr std::uint64_t kIndex = (std::uint64_t{1} << 40) - 1;

enum class KillAt { early, delay, acks, near_event };
constexpr const char* kKillNames[] = {"before the child finished opening", "after a delay",
                                      "after n acks", "just after a near-growth/compaction ack"};

struct Plan {
  KillAt kill = KillAt::delay;
  std::uint64_t amount = 0;   // microseconds (early, delay) or acks
  std::uint64_t skip = 0;     // near_event: flagged acks skipped first
  std::uint64_t spin_us = 0;  // near_event: busy wait before the kill
  std::size_t batch = 1;      // acks per write(2): returned calls may lack their ack
  std::uint64_t prefill = 0;  // calls (pushes) made by the parent before the fork
  std::size_t initial_size = 4096;
  bool churn = false;  // memvec: shrink_to_fit every 64 pushes, so growth recurs
  Durability durability = Durability::process_crash;
};

Mix kill_mix(int workload) {  // 1: journal, 2: store
  Mix m;
  m.set = 600, m.erase = 150, m.set_many = workload == 1 ? 240 : 150, m.clear = 2, m.sync = 3;
  if (workload == 1)
    m.big = 6, m.key_space = 60, m.value_max = 300, m.big_min = 1000, m.big_max = 3000;
  if (workload == 2) m.compact = 20, m.key_space = 50, m.value_max = 64;
  return m;
}
StoreOptions store_options(Durability d) {
  return {
      .initial_size = 4096, .high_water_mark_ratio = 0.5, .compaction_room = 0, .durability = d};
}

struct Paths {
  fs::path file, a, b;
};

// --- the children: open, say hello, write forever, ack what returned ---------------

class Acks {
 public:
  Acks(int fd, std::size_t batch) : fd_(fd), batch_(batch) { pending_.reserve(batch); }
  void hello(std::uint64_t size, std::uint64_t loss) {
    const std::uint64_t h[3] = {kHello, size, loss};
    if (!test::write_all(fd_, h, sizeof h)) ::_exit(3);
  }
  void ack(std::uint64_t index, bool near) {
    pending_.push_back(index | (near ? kNear : 0));  // returned: may be acknowledged now
    if (pending_.size() < batch_) return;
    if (!test::write_all(fd_, pending_.data(), pending_.size() * sizeof(std::uint64_t))) ::_exit(4);
    pending_.clear();
  }

 private:
  int fd_;
  std::size_t batch_;
  std::vector<std::uint64_t> pending_;
};

void child_memvec(const Paths& p, const Plan& plan, std::uint64_t, Acks& acks) {
  auto v =
      RecordVec::open_or_create(FileBackend::open(p.file, {.initial_size = plan.initial_size}));
  acks.hello(v.size(), 0);
  for (std::uint64_t seq = v.size();; ++seq) {
    v.push_back(make_record(seq));
    acks.ack(seq, v.capacity() - v.size() < 4 || (plan.churn && seq % 64 > 60));
    if (plan.churn && seq % 64 == 63) v.shrink_to_fit();
  }
}

void child_journal(const Paths& p, const Plan& plan, std::uint64_t seed, Acks& acks) {
  auto j = MemMappedKVJournal::open_or_create(
      FileBackend::open(p.file, {.initial_size = plan.initial_size}),
      {.durability = plan.durability});
  acks.hello(j.size(), static_cast<std::uint64_t>(j.recovery().loss));
  const Mix m = kill_mix(1);
  for (std::uint64_t i = plan.prefill;; ++i) {
    play(j, op_at(seed, i, m));
    acks.ack(i, j.capacity_bytes() - j.used_bytes() < 4000);
  }
}

void child_store(const Paths& p, const Plan& plan, std::uint64_t seed, Acks& acks) {
  auto s = Store::open(p.a, p.b, store_options(plan.durability));
  acks.hello(s.size(), static_cast<std::uint64_t>(s.recovery().loss));
  const Mix m = kill_mix(2);
  for (std::uint64_t i = plan.prefill;; ++i) {
    play(s, op_at(seed, i, m));
    acks.ack(i, s.usage_ratio() > 0.42);  // the next few writes reach the mark and compact
  }
}

using ChildBody = void (*)(const Paths&, const Plan&, std::uint64_t, Acks&);

// --- the parent ------------------------------------------------------------------------

struct Outcome {
  bool hello = false;
  std::uint64_t hello_loss = 0;
  std::uint64_t acked = 0;  // calls acknowledged, counted from plan.prefill
  bool flagged_kill = false;
};

// Forks the child, kills it as planned, and collects every ack it sent.
Outcome fork_and_kill(Trial& t, const Paths& paths, const Plan& plan, std::uint64_t seed,
                      ChildBody body) {
  Outcome out;
  int fds[2];
  if (::pipe(fds) != 0) return t.fail("pipe() failed"), out;
  std::fflush(nullptr);  // nothing buffered is written twice
  const pid_t pid = ::fork();
  if (pid < 0) return t.fail("fork() failed"), out;
  if (pid == 0) {
    ::close(fds[0]);
    ::alarm(30);  // never outlive a parent that failed to kill
    Acks acks(fds[1], plan.batch);
    try {
      body(paths, plan, seed, acks);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "memvec-stress: kill child threw: %s\n", e.what());
    }
    ::_exit(2);
  }
  ::close(fds[1]);
  test::ChildGuard child(pid);
  test::AckReader acks(fds[0]);
  bool eof = false;
  bool near = false;
  const auto take = [&]() -> bool {
    std::uint64_t a = 0;
    if (!acks.next(a)) return eof = true, false;
    near = (a & kNear) != 0;
    const std::uint64_t want = plan.prefill + out.acked;
    if (!t.check((a & kIndex) == want, [&] {
          return "ack of call " + std::to_string(a & kIndex) + " where " + std::to_string(want) +
                 " was due";
        }))
      return eof = true, false;
    ++out.acked;
    return true;
  };
  const auto read_hello = [&] {
    std::uint64_t h[3] = {};
    out.hello = acks.next(h[0]) && acks.next(h[1]) && acks.next(h[2]) && h[0] == kHello;
    out.hello_loss = h[2];
    return out.hello;
  };
  if (plan.kill == KillAt::early) {
    std::this_thread::sleep_for(std::chrono::microseconds(plan.amount));
    ::kill(pid, SIGKILL);
    if (!read_hello()) eof = true;  // killed inside its open: nothing sent
  } else {
    if (!read_hello()) {
      t.fail("the child died before it had opened the files, status " +
             std::to_string(child.reap()));
      return out;
    }
    switch (plan.kill) {
      case KillAt::delay:
        std::this_thread::sleep_for(std::chrono::microseconds(plan.amount));
        break;
      case KillAt::acks:
        for (std::uint64_t n = plan.amount; n > 0 && take(); --n) {
        }
        break;
      default: {
        acks.spin(true);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(40);
        for (std::uint64_t skip = plan.skip; take();) {
          if (near && skip-- == 0) {
            out.flagged_kill = true;
            break;
          }
          if (std::chrono::steady_clock::now() > deadline) break;
        }
        const auto until =
            std::chrono::steady_clock::now() + std::chrono::microseconds(plan.spin_us);
        while (std::chrono::steady_clock::now() < until) {
        }
      }
    }
  }
  ::kill(pid, SIGKILL);
  while (!eof && take()) {
  }
  const int status = child.reap();
  t.check(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, [&] {
    return "the child was not killed by SIGKILL: status " + std::to_string(status) +
           " (exit 2: a call threw, see stderr; 3/4: the pipe failed)";
  });
  return out;
}

// --- the checks after the kill -----------------------------------------------------------

// Whether a reopen may refuse: a kill inside the very first open, before
// anything was acknowledged, can interrupt the format of a new file, which
// open_or_create then refuses by design (docs/DURABILITY.md, MemVec).
bool may_refuse(const Plan& plan, const Outcome& o) { return plan.prefill == 0 && !o.hello; }

void check_memvec(Trial& t, const Paths& p, const Plan& plan, const Outcome& o) {
  std::optional<RecordVec> v;
  try {
    v.emplace(RecordVec::open_or_create(FileBackend::open(p.file)));
  } catch (const memvec::Error& e) {
    if (may_refuse(plan, o)) return t.count("memvec: refused after a kill inside its format");
    return t.fail(std::string("reopen threw: ") + e.what());
  }
  const std::uint64_t acked = plan.prefill + o.acked;
  if (!t.check(v->size() >= acked && v->size() <= acked + plan.batch, [&] {
        return "reopened " + std::to_string(v->size()) + " elements; " + std::to_string(acked) +
               " acknowledged, at most " + std::to_string(plan.batch) + " more may have returned";
      }))
    return;
  if (v->size() > acked) t.count("memvec: kept a returned, unacknowledged push");
  for (std::uint64_t i = 0; i < v->size(); ++i)
    if (!t.check(intact((*v)[i], i),
                 [&] { return "element " + std::to_string(i) + " torn or invented"; }))
      return;
  const std::uint64_t n = v->size();
  v->push_back(make_record(n));  // writable after the reopen
  v.reset();
  auto again = RecordVec::open(FileBackend::open(p.file, {.mode = OpenMode::open_existing}));
  t.check(again.size() == n + 1 && intact(again[n], n),
          [] { return "the push after the reopen is not there"; });
}

// Journal and store: the state after every acknowledged call (and at most
// `batch` more), no loss, nothing never written, a write accepted.
template <class Open>
void check_kv(Trial& t, const Plan& plan, const Outcome& o, std::uint64_t seed, const Mix& m,
              Open open) {
  std::unique_ptr<typename std::invoke_result_t<Open>::element_type> kv;
  try {
    kv = open();
  } catch (const memvec::Error& e) {
    if (may_refuse(plan, o))
      return t.count(t.variant() + ": refused after a kill inside its format");
    return t.fail(std::string("reopen threw: ") + e.what());
  }
  const std::uint64_t acked = plan.prefill + o.acked;
  Index want;
  Written written;
  for (std::uint64_t i = 0; i < acked; ++i) {
    const Op op = op_at(seed, i, m);
    apply(want, op);
    written.add(op);
  }
  const Index got = kv->as_hashmap();
  const auto& rec = kv->recovery();
  t.check(rec.loss == DataLoss::none && rec.bytes_dropped == 0,
          [&] { return "recovery() reports a loss after a process crash: " + rec.reason; });
  if (rec.reason.find("unfinished compaction") != std::string::npos)
    t.count("store: the kill tore a compaction (ignored on reopen)");
  std::uint64_t extra = 0;
  Index state = want;
  while (got != state && extra < plan.batch) {
    const Op op = op_at(seed, acked + extra++, m);
    apply(state, op);
    written.add(op);
  }
  t.check(written.strangers(got).empty(),
          [&] { return "values never written:" + written.strangers(got); });
  if (!t.check(got == state, [&] {
        return "reopened state is no state between the last ack (call " + std::to_string(acked) +
               ") and " + std::to_string(plan.batch) +
               " calls later; against the acknowledged state:" + diff(got, want);
      }))
    return;
  if (extra > 0)
    t.count(t.variant() + ": kept a call that returned (or was in flight) unacknowledged");
  const Value mark("after-kill " + hex(t.seed()));
  kv->set("after-kill", mark);  // writable after the reopen
  kv.reset();
  kv = open();
  Index with = got;
  with["after-kill"] = mark;
  t.check(kv->recovery().loss == DataLoss::none && kv->as_hashmap() == with, [&] {
    return "after a write and a reopen: " + kv->recovery().reason + diff(kv->as_hashmap(), with);
  });
}

}  // namespace

void run_kill_trial(Trial& t) {
  const int workload = static_cast<int>(t.seed() % 3);
  t.set_variant(kKillVariants[workload]);
  Rng rng(mix(t.seed()));
  const std::uint64_t seed = rng();  // the calls' stream
  Plan plan;
  plan.kill = static_cast<KillAt>(rng() % 16 == 0 ? 0 : 1 + rng() % 3);
  plan.amount = plan.kill == KillAt::early   ? rng() % 400
                : plan.kill == KillAt::delay ? rng() % 5000
                                             : rng() % 3000;
  plan.skip = rng() % 3;
  plan.spin_us = rng() % 25;
  plan.batch = rng() % 4 == 0 ? 2 + rng() % 31 : 1;
  plan.initial_size = std::size_t{4096} * (rng() % 3);
  plan.churn = rng() % 3 == 0;
  plan.durability = rng() % 8 == 0 ? Durability::power_loss : Durability::process_crash;
  const bool fresh = rng() % 2 == 0;
  plan.prefill = fresh ? 0 : rng() % (workload == 0 ? 20000 : 1500);
  const Paths p{t.scratch() / "vec.mv", t.scratch() / "a.kv", t.scratch() / "b.kv"};
  t.log(std::string("workload ") + kKillVariants[workload] + ", kill " +
        kKillNames[static_cast<int>(plan.kill)] + " (amount " + std::to_string(plan.amount) +
        ", skip " + std::to_string(plan.skip) + ", spin " + std::to_string(plan.spin_us) +
        " us), batch " + std::to_string(plan.batch) + ", prefill " + std::to_string(plan.prefill) +
        ", initial size " + std::to_string(plan.initial_size) + (plan.churn ? ", churn" : "") +
        (plan.durability == Durability::power_loss ? ", power_loss" : ", process_crash"));

  const Mix m = kill_mix(workload);
  const auto open_journal = [&] {
    return std::make_unique<MemMappedKVJournal>(MemMappedKVJournal::open_or_create(
        FileBackend::open(p.file, {.initial_size = plan.initial_size}),
        {.durability = plan.durability}));
  };
  const auto open_store = [&] {
    // new Store(prvalue): guaranteed elision (a store is neither copyable nor movable).
    return std::unique_ptr<Store>(new Store(Store::open(p.a, p.b, store_options(plan.durability))));
  };
  // The parent's prefill: a file with history (the child's first write
  // then cleans the tail past the committed log).
  if (workload == 0 && plan.prefill > 0) {
    auto v =
        RecordVec::open_or_create(FileBackend::open(p.file, {.initial_size = plan.initial_size}));
    for (std::uint64_t i = 0; i < plan.prefill; ++i) v.push_back(make_record(i));
  } else if (plan.prefill > 0) {
    auto j = workload == 1 ? open_journal() : nullptr;
    auto s = workload == 2 ? open_store() : nullptr;
    for (std::uint64_t i = 0; i < plan.prefill; ++i)
      j ? play(*j, op_at(seed, i, m)) : play(*s, op_at(seed, i, m));
  }

  constexpr ChildBody bodies[] = {child_memvec, child_journal, child_store};
  const Outcome o = fork_and_kill(t, p, plan, seed, bodies[workload]);
  t.log("hello " + std::string(o.hello ? "received" : "not received") + ", " +
        std::to_string(o.acked) + " calls acknowledged after the prefill" +
        (o.flagged_kill ? ", killed after a near-event ack" : ""));
  t.count(t.variant() + ": acknowledged calls", o.acked);
  if (o.flagged_kill) t.count(t.variant() + ": kills near a growth/compaction");
  if (o.hello) t.check(o.hello_loss == 0, [] { return "the child's open reported a loss"; });
  if (!t.failed()) {
    if (workload == 0)
      check_memvec(t, p, plan, o);
    else if (workload == 1)
      check_kv(t, plan, o, seed, m, open_journal);
    else
      check_kv(t, plan, o, seed, m, open_store);
  }
  if (t.failed() && workload > 0) {
    const std::uint64_t end = plan.prefill + o.acked + plan.batch;
    const std::uint64_t from = end > 40 ? end - 40 : 0;
    if (from > 0)
      t.log("calls 0.." + std::to_string(from - 1) + ": as generated from the trial seed");
    log_ops(t, seed, from, end - from, m);
  }
}

}  // namespace stress
