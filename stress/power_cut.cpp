// memvec-stress --power-cut: simulated power cuts (tests/fault_backend.hpp)
// at one random moment of a random workload, after
// test_journal_faults_power_cut.cpp's run_power_cuts and
// store_power_cut.hpp's run_store_cuts. Variants: journal or store (4 KiB
// journals at ratio 0.5, no compaction room: compactions all the time), each
// under Durability::power_loss and process_crash.
//
// The moment is drawn uniformly (reservoir sampling) from every sync point
// and resize inside the calls and every call return; the cut mode (and for
// the store, each file's own) is random. Workloads include "reopen": the
// journal or store is dropped and opened again over the same FaultDisk, a
// process restart that keeps the page cache but not what was never synced.
//
// Checks (docs/DURABILITY.md): power_loss keeps every returned call and
// reports no loss but the in-flight call's own torn record, with the state
// before that call; process_crash reopens to the exact state of a call
// boundary no older than the last sync() (never a mix of pre- and
// post-compaction state), with a self-consistent recovery() report. Either
// way the reopened journal or store accepts a write (and a compaction) that
// survives the next cut.
#include "power_cut.hpp"

#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace stress {
namespace power_cut {
namespace {

// --- the journal ------------------------------------------------------------------------

struct Boundary {  // unique (epoch, used) while the log only grows within an epoch
  std::uint64_t epoch;
  std::size_t used;
  std::uint64_t records;  // replayed to reach it, since its epoch began
  Index state;
};

void check_journal(Run& run, const std::vector<Boundary>& bounds, const JournalOptions& opts) {
  Trial& t = run.t;
  const Capture& c = run.cap;
  const Image& image = c.image[0];
  std::optional<Journal> r;
  const auto rb = std::make_shared<FaultBackend>(std::span<const std::byte>(image));
  try {
    r.emplace(Journal::open(SharedFault(rb), opts));
  } catch (const memvec::Error& e) {
    return t.fail(std::string("the journal refused to open: ") + e.what());
  }
  const auto& rec = r->recovery();
  const Index got = r->as_hashmap();
  const std::string said = " (recovery: " + rec.reason + ")";
  t.check(run.written.strangers(got).empty(),
          [&] { return "values never written:" + run.written.strangers(got); });
  if (rec.loss != DataLoss::none) t.count(t.variant() + ": lossy reopens");
  if (run.power_loss) {
    const std::size_t used_before = bounds[c.boundaries - 1].used;
    if (rec.loss != DataLoss::none) {
      t.check(c.mid && got == c.state && rec.first_bad_offset == used_before, [&] {
        return "a loss other than the in-flight call's own record (log offset " +
               std::to_string(used_before) + ")" + said + diff(got, c.state);
      });
      t.count(t.variant() + ": in-flight record torn and reported");
    } else {
      t.check(got == c.state || (c.mid && got == c.after), [&] {
        return "a returned call is missing or the state is mixed:" + diff(got, c.state) + said;
      });
    }
  } else {
    const std::uint64_t epoch = word(image, memvec::header_offset::kUserWord);
    const std::uint64_t length = word(image, memvec::header_offset::kLengthWord);
    const std::uint64_t room = image.size() - Journal::Log::kSpec.data_offset;
    if (length != ~std::uint64_t{0} && length > room) {
      t.count(t.variant() + ": image short of its committed log");
      t.check(rec.loss != DataLoss::none,
              [&] { return "a log cut short reported no loss" + said; });
    }
    if (!t.check(
            rec.bytes_dropped <= length && (rec.loss == DataLoss::none) == (rec.bytes_dropped == 0),
            [&] { return "inconsistent recovery report" + said; }))
      return;
    const std::uint64_t valid = length - rec.bytes_dropped;
    if (rec.loss != DataLoss::none)
      t.check(rec.records_dropped >= 1 && rec.first_bad_offset == valid && !rec.reason.empty(),
              [&] { return "inconsistent recovery report" + said; });
    std::size_t k = c.boundaries;
    for (std::size_t b = 0; b < c.boundaries; ++b)
      if (bounds[b].epoch == epoch && bounds[b].used == valid) k = b;
    if (k == c.boundaries && c.mid && rec.loss == DataLoss::none && got == c.after) {
      t.count(t.variant() + ": cut inside a clear() reopened after it");
    } else if (t.check(k < c.boundaries, [&] {
                 return "no call boundary at epoch " + std::to_string(epoch) + ", log offset " +
                        std::to_string(valid) + said + "; reopened " + describe(got);
               })) {
      t.check(got == bounds[k].state && rec.records_replayed == bounds[k].records, [&] {
        return "not the state of the boundary after call " + std::to_string(k) + ":" +
               diff(got, bounds[k].state) + said;
      });
      t.check(k >= c.last_synced, [&] {
        return "reopened to call " + std::to_string(k) + ", older than the sync() of call " +
               std::to_string(c.last_synced);
      });
      if (k + 1 < c.boundaries) t.count(t.variant() + ": reopened to an earlier call boundary");
    }
  }
  // Writable: a write on the reopened journal survives a process crash,
  // and a power cut keeps it (power_loss) or the state before it.
  const Value mark("after-cut " + hex(t.seed()));
  try {
    r->set("after-cut", mark);
  } catch (const std::exception& e) {
    return t.fail(std::string("a write after the reopen threw: ") + e.what());
  }
  Index want = got;
  want["after-cut"] = mark;
  const FaultDisk& disk = *rb->disk();
  std::string label;
  const CutSpec cuts[2] = {{.mode = CutMode::keep_all, .size = SizePolicy::volatile_size},
                           random_spec(run.rng, label)};
  for (int i = 0; i < 2; ++i) {
    std::optional<Journal> reopened;
    try {
      reopened.emplace(Journal::open(over(disk.cut(cuts[i])), opts));
    } catch (const memvec::Error& e) {
      return t.fail(
          std::string("after a write on the reopened journal, a cut left it unopenable: ") +
          e.what());
    }
    const Journal& again = *reopened;
    const Index& a = again.as_hashmap();
    const bool crash = i == 0 || run.power_loss;  // must keep the write
    t.check(crash ? again.recovery().loss == DataLoss::none && a == want : a == got || a == want,
            [&] {
              return std::string("after a write on the reopened journal, then a ") +
                     (i == 0 ? "process crash" : "power cut, " + label) + ":" + diff(a, want) +
                     " (" + again.recovery().reason + ")";
            });
  }
}

}  // namespace

void journal_trial(Trial& t, Rng& rng, bool power_loss) {
  Mix m;
  m.set = 55, m.erase = 15, m.set_many = 25, m.clear = 2, m.sync = power_loss ? 2 : 6;
  m.reopen = 3, m.big = 2, m.big_min = 1000, m.big_max = 3000, m.value_max = 300;
  const JournalOptions opts{.durability =
                                power_loss ? Durability::power_loss : Durability::process_crash};
  Run run(t, rng, power_loss, rng());
  const std::uint64_t calls = 5 + rng() % 200;
  constexpr std::size_t kInitial[] = {4096, 8192, 65536};
  const auto fb = std::make_shared<FaultBackend>(kInitial[rng() % 3]);
  run.disks[0] = fb->disk();
  std::optional<Journal> j;
  j.emplace(Journal::create(SharedFault(fb), opts));
  j->sync();  // the formatted journal is the durable starting point
  std::vector<Boundary> bounds{{j->epoch(), 0, 0, Index{}}};
  run.hook();
  for (run.call = 1; run.call <= calls && !t.failed(); ++run.call) {
    const Op op = op_at(run.seed, run.call, m);
    run.current = &op;
    run.after = run.model;
    apply(run.after, op);
    run.written.add(op);
    try {
      if (op.kind == Op::reopen) {
        SharedFault b = std::move(*j).release_backend();
        j.reset();
        j.emplace(Journal::open(std::move(b), opts));
        t.check(j->recovery().loss == DataLoss::none,
                [&] { return "a restart without a cut reported a loss: " + j->recovery().reason; });
      } else {
        play(*j, op);
      }
    } catch (const std::exception& e) {
      t.fail("call " + std::to_string(run.call) + " threw: " + e.what());
      break;
    }
    run.model = run.after;
    if (op.kind == Op::sync) run.last_synced = bounds.size() - 1;
    if (op.kind != Op::sync && op.kind != Op::reopen)
      bounds.push_back({j->epoch(), j->used_bytes(),
                        op.kind == Op::clear ? 0 : bounds.back().records + 1, run.model});
    run.boundaries = bounds.size();
    t.check(j->as_hashmap() == run.model, [&] { return "the journal diverged from the model"; });
    run.current = nullptr;
    run.moment(0, nullptr);
  }
  run.unhook();
  t.count(t.variant() + ": resizes", run.disks[0]->resizes());
  if (run.cap.taken && !t.failed()) {
    run.log_capture();
    check_journal(run, bounds, opts);
  }
  if (t.failed()) log_ops(t, run.seed, 1, std::min<std::uint64_t>(run.call, calls), m);
}

}  // namespace power_cut

void run_power_cut_trial(Trial& t) {
  const int variant = static_cast<int>(t.seed() % 4);
  t.set_variant(kPowerCutVariants[variant]);
  Rng rng(mix(t.seed()));
  if (variant < 2)
    power_cut::journal_trial(t, rng, variant == 0);
  else
    power_cut::store_trial(t, rng, variant == 2);
}

}  // namespace stress
