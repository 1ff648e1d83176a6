// memvec-stress --power-cut, the store half: a DoubleBufferedKV over two
// FaultBackends (4 KiB journals at ratio 0.5, max 64 KiB, no compaction
// room) under a workload full of compactions, clear(), big values that grow
// the journals or do not fit, sync() and restarts; one power cut hits both
// files at a random moment, often inside a compaction (the standby's sync
// points and resizes). See power_cut.cpp for the checks' sources.
#include <memory>
#include <string>

#include "power_cut.hpp"

namespace stress::power_cut {
namespace {

constexpr std::size_t kLimit = 65536;

std::unique_ptr<Store> open_store(SharedFault a, SharedFault b, const StoreOptions& o) {
  return std::make_unique<Store>(std::move(a), std::move(b), o);
}

void check_store(Run& run, const std::vector<Index>& states, const StoreOptions& o) {
  Trial& t = run.t;
  const Capture& c = run.cap;
  std::unique_ptr<Store> r;
  const auto ra = std::make_shared<FaultBackend>(std::span<const std::byte>(c.image[0]), kLimit);
  const auto rb = std::make_shared<FaultBackend>(std::span<const std::byte>(c.image[1]), kLimit);
  try {
    r = open_store(SharedFault(ra), SharedFault(rb), o);
  } catch (const memvec::Error& e) {
    // Never, under either durability: a new store syncs its headers and
    // every compaction syncs its journal before it takes over.
    return t.fail(std::string("the store refused to open: ") + e.what());
  }
  const Index got = r->as_hashmap();
  const auto rec = r->recovery();
  const std::string said = " (recovery: " + rec.reason + ")";
  if (rec.reason.find("unfinished compaction") != std::string::npos)
    t.count(t.variant() + ": a torn compaction found and ignored");
  if (rec.loss != DataLoss::none) t.count(t.variant() + ": lossy reopens");
  t.check(run.written.strangers(got).empty(),
          [&] { return "values never written:" + run.written.strangers(got); });
  t.check((rec.loss == DataLoss::none) == (rec.bytes_dropped == 0) &&
              (rec.loss == DataLoss::none || (rec.records_dropped >= 1 && !rec.reason.empty())),
          [&] { return "inconsistent recovery report" + said; });
  if (run.power_loss) {
    if (rec.loss != DataLoss::none) {
      // Only the in-flight call's own record, torn inside its one flush.
      t.check(c.mid && got == c.state, [&] {
        return "a loss other than the in-flight call's own record" + said + diff(got, c.state);
      });
      t.count(t.variant() + ": in-flight record torn and reported");
    } else {
      t.check(got == c.state || (c.mid && got == c.after), [&] {
        return "a returned call is missing or the state is mixed:" + diff(got, c.state) + said;
      });
    }
  } else if (c.mid && got == c.after) {
    if (got != c.state) t.count(t.variant() + ": cut inside a call reopened after it");
  } else {
    std::size_t k = c.boundaries;
    for (std::size_t b = c.boundaries; b-- > 0;)
      if (states[b] == got) {
        k = b;
        break;
      }
    if (t.check(k < c.boundaries, [&] {
          return "not the state of any call boundary (a mix?):" + diff(got, c.state) + said;
        })) {
      t.check(k >= c.last_synced, [&] {
        return "reopened to the state after call " + std::to_string(k) +
               ", older than the sync() after call " + std::to_string(c.last_synced) + said;
      });
      if (k + 1 < c.boundaries) t.count(t.variant() + ": reopened to an earlier call boundary");
    }
  }
  // Writable: a write and a compaction on the reopened store. Under
  // power_loss every returned call is durable; under process_crash a
  // compaction is not a durable point (its flush runs off the writer's
  // path): a cut then reopens before or after the write, and after a
  // sync() it keeps the write.
  const Value mark("after-cut " + hex(t.seed()));
  try {
    r->set("after-cut", mark);
    r->compact();
  } catch (const memvec::Error& e) {
    if (e.code() != errc::capacity_exceeded)
      return t.fail(std::string("a write after the reopen threw: ") + e.what());
    t.count(t.variant() + ": the write after the reopen did not fit (store unchanged)");
    t.check(r->as_hashmap() == got || r->as_hashmap().contains("after-cut"),
            [] { return "a refused write changed the store"; });
    return;
  }
  Index want = got;
  want["after-cut"] = mark;
  if (!t.check(r->as_hashmap() == want, [] { return "the write after the reopen diverged"; }))
    return;
  for (int synced = run.power_loss ? 1 : 0; synced < 2; ++synced) {
    if (synced == 1 && !run.power_loss) r->sync();
    std::string label[2];
    const CutSpec crash{.mode = CutMode::keep_all, .size = SizePolicy::volatile_size};
    const CutSpec cuts[2][2] = {{crash, crash},
                                {random_spec(run.rng, label[0]), random_spec(run.rng, label[1])}};
    for (int i = 0; i < 2; ++i) {
      try {
        Store again(over(ra->disk()->cut(cuts[i][0]), kLimit),
                    over(rb->disk()->cut(cuts[i][1]), kLimit), o);
        const Index back = again.as_hashmap();
        // Only a power cut before the sync() may go back to before the write.
        const bool ok = synced == 1 || i == 0 ? back == want && again.recovery().loss == DataLoss::none
                                              : back == want || back == got;
        t.check(ok, [&] {
          return std::string("after a write and a compaction on the reopened store") +
                 (synced == 1 ? " (durable)" : "") + ", then a " +
                 (i == 0 ? "process crash" : "power cut (A: " + label[0] + "; B: " + label[1] + ")") +
                 ":" + diff(back, want) + " (" + again.recovery().reason + ")";
        });
      } catch (const memvec::Error& e) {
        t.fail(std::string("after a write and a compaction on the reopened store, a cut left it "
                           "unopenable: ") +
               e.what());
      }
    }
  }
}

}  // namespace

void store_trial(Trial& t, Rng& rng, bool power_loss) {
  Mix m;
  m.set = 50, m.erase = 10, m.set_many = 15, m.clear = 3, m.compact = 6, m.big = 2;
  m.sync = power_loss ? 1 : 3, m.reopen = 2, m.key_space = 30, m.value_max = 600;
  m.big_min = 3000, m.big_max = 6000;
  if (rng() % 4 == 0) m.big = 8, m.big_max = 40000;  // live sets near max_size, writes refused
  const StoreOptions o{
      .initial_size = 4096,
      .max_size = kLimit,
      .high_water_mark_ratio = 0.5,
      .compaction_room = 0,
      .durability = power_loss ? Durability::power_loss : Durability::process_crash};
  Run run(t, rng, power_loss, rng());
  const std::uint64_t calls = 5 + rng() % 200;
  const std::shared_ptr<FaultBackend> fb[2] = {std::make_shared<FaultBackend>(4096, kLimit),
                                               std::make_shared<FaultBackend>(4096, kLimit)};
  run.disks[0] = fb[0]->disk();
  run.disks[1] = fb[1]->disk();
  run.ndisks = 2;
  // The store syncs both new headers itself: no sync_all() here, so a cut
  // right after creation checks that too.
  auto s = open_store(SharedFault(fb[0]), SharedFault(fb[1]), o);
  std::vector<Index> states{Index{}};  // the state at every call boundary
  std::uint64_t switches = 0, refusals = 0;
  run.hook();
  for (run.call = 1; run.call <= calls && !t.failed(); ++run.call) {
    const Op op = op_at(run.seed, run.call, m);
    run.current = &op;
    run.after = run.model;
    apply(run.after, op);
    run.written.add(op);
    run.standby = 1 - s->active();
    const std::uint64_t before = s->switch_count();
    try {
      if (op.kind == Op::reopen) {
        s.reset();
        s = open_store(SharedFault(fb[0]), SharedFault(fb[1]), o);
        t.check(s->recovery().loss == DataLoss::none,
                [&] { return "a restart without a cut reported a loss: " + s->recovery().reason; });
      } else {
        switches -= before;
        play(*s, op);
        switches += s->switch_count();
      }
    } catch (const memvec::Error& e) {
      if (e.code() != errc::capacity_exceeded) {
        t.fail("call " + std::to_string(run.call) + " threw: " + e.what());
        break;
      }
      ++refusals;  // the live set would not fit at max_size: nothing changed
      switches += before;
      run.after = run.model;
    }
    run.model = run.after;
    states.push_back(run.model);
    if (op.kind == Op::sync) run.last_synced = states.size() - 1;
    run.boundaries = states.size();
    t.check(s->as_hashmap() == run.model,
            [&] { return "the store diverged from the model" + diff(s->as_hashmap(), run.model); });
    run.current = nullptr;
    run.moment(0, nullptr);
  }
  run.unhook();
  t.count(t.variant() + ": switches", switches);
  t.count(t.variant() + ": writes refused as too big (store unchanged)", refusals);
  if (run.cap.taken && !t.failed()) {
    run.log_capture();
    if (run.cap.in_compaction) t.count(t.variant() + ": cuts inside a compaction");
    check_store(run, states, o);
  }
  if (t.failed()) log_ops(t, run.seed, 1, std::min<std::uint64_t>(run.call, calls), m);
}

}  // namespace stress::power_cut
