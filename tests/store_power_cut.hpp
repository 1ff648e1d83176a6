// The power-cut harness of test_store_power_cut.cpp (tests/fault_backend.hpp):
// one power cut hits both journals of a store at once, under each fault
// mode; run_store_cuts cuts a workload full of compactions at every sync
// point, resize and call return, and checks every reopened store.
#pragma once

#include "store_workload.hpp"

namespace store_fixture {

struct StoreCutStats {
  std::size_t sync_moments = 0, resize_moments = 0, returns = 0;
  std::size_t in_compaction = 0;  // cut moments on the standby's disk: inside a compaction
  std::size_t images = 0, reopened = 0;
  std::size_t before = 0, after = 0;  // mid-call cuts: the state before / after the call
  std::size_t clear_before = 0, clear_after = 0;  // the same inside clear(), where they differ
  std::size_t torn_ignored = 0;                   // an unfinished compaction found and ignored
  std::size_t torn_in_flight = 0;  // power_loss: the call's own record torn, reported
  std::size_t older = 0;                          // process_crash: an earlier call boundary
  std::size_t older_than_writeback = 0;           // ... older than the last full writeback
  std::size_t continued = 0;                      // reopened stores written, compacted, cut again
  std::size_t switches = 0;
  std::size_t capacity_refusals = 0;
  std::map<std::string, std::size_t> labels;
  std::string summary() const {
    std::ostringstream os;
    os << images << " image pairs (";
    for (const auto& [k, v] : labels) os << k << " " << v << ", ";
    os << ") at " << sync_moments << " sync points and " << resize_moments << " resizes ("
       << in_compaction << " of these moments inside compactions) and " << returns
       << " call returns; " << switches << " switches";
    return os.str();
  }
};

using ImagePair = std::tuple<std::string, std::vector<std::byte>, std::vector<std::byte>>;

// One power cut hits both files at once: the images of A and B, under each
// fault mode.
inline std::vector<ImagePair> cut_pairs(const FaultDisk& a, const FaultDisk& b, Rng& rng) {
  std::vector<ImagePair> out;
  out.emplace_back("drop_unsynced", a.cut({CutMode::drop_unsynced}),
                   b.cut({CutMode::drop_unsynced}));
  if (a.dirty_pages().empty() && b.dirty_pages().empty()) return out;
  out.emplace_back("keep_all", a.cut({CutMode::keep_all}), b.cut({CutMode::keep_all}));
  for (int k = 0; k < 3; ++k)
    out.emplace_back("random_subset", a.cut({CutMode::random_subset, rng()}),
                     b.cut({CutMode::random_subset, rng()}));
  const auto sector = [&] { return 512 * (1 + rng() % (a.page() / 512 - 1)); };
  out.emplace_back("torn_page",
                   a.cut({CutMode::torn_page, rng(), SizePolicy::durable_size, sector()}),
                   b.cut({CutMode::random_subset, rng()}));
  out.emplace_back("torn_page", a.cut({CutMode::random_subset, rng()}),
                   b.cut({CutMode::torn_page, rng(), SizePolicy::durable_size, sector()}));
  out.emplace_back("torn_page", a.cut({CutMode::torn_page, rng()}),
                   b.cut({CutMode::torn_page, rng()}));
  out.emplace_back("mixed", a.cut({CutMode::keep_all}), b.cut({CutMode::drop_unsynced}));
  out.emplace_back("mixed", a.cut({CutMode::drop_unsynced}), b.cut({CutMode::keep_all}));
  out.emplace_back("volatile_size",
                   a.cut({CutMode::random_subset, rng(), SizePolicy::volatile_size}),
                   b.cut({CutMode::random_subset, rng(), SizePolicy::volatile_size}));
  out.emplace_back("volatile_size", a.cut({CutMode::drop_unsynced, 0, SizePolicy::volatile_size}),
                   b.cut({CutMode::drop_unsynced, 0, SizePolicy::volatile_size}));
  return out;
}

// A workload full of compactions (high-water switches at ratio 0.5,
// compact(), clear(), big values that do not fit and grow the journals) on
// two FaultBackends; power is cut at every sync point and resize (inside
// the calls) and at every call return, and a store reopened from the images.
// Failures are collected: a REQUIRE inside a hook would throw through the
// library.
inline void run_store_cuts(Durability durability, std::uint64_t seed, int calls, StoreCutStats& st,
                    std::vector<std::string>& failures) {
  constexpr std::size_t kLimit = 65536;
  const bool power_loss = durability == Durability::power_loss;
  const StoreOptions o{.initial_size = 4096,
                       .max_size = kLimit,
                       .high_water_mark_ratio = 0.5,
                       .compaction_room = 0,
                       .durability = durability};
  FaultBackend fa(kBlank, kLimit), fb(kBlank, kLimit);
  const std::shared_ptr<FaultDisk> disks[2] = {fa.disk(), fb.disk()};
  auto store = std::make_unique<Store<FaultBackend>>(std::move(fa), std::move(fb), o);
  disks[0]->sync_all();  // the formatted store is the durable starting point
  disks[1]->sync_all();

  Mix mix;
  mix.set = 50;
  mix.erase = 10;
  mix.set_many = 15;
  mix.clear = 3;
  mix.compact = 6;
  mix.big = 2;
  mix.sync = power_loss ? 0 : 3;
  mix.key_space = 30;
  mix.value_max = 600;  // records that straddle pages
  mix.big_min = 3000;
  mix.big_max = 6000;
  Generator gen(seed, mix);
  Rng rng(seed * 7919 + 1);

  std::vector<Index> states{Index{}};  // the state at every call boundary
  std::size_t last_synced = 0;         // the boundary the last sync() made durable
  std::size_t last_writeback = 0;      // the boundary of the last full writeback
  Index model, after;
  int call = 0;
  const Op* current = nullptr;
  int standby_at_start = 1;

  const auto fail = [&](const std::string& where, const std::string& what) {
    if (failures.size() < 40)
      failures.push_back("seed " + std::to_string(seed) + " call " + std::to_string(call) + " (" +
                         (current ? kind_name(current->kind) : "-") + ") " + where + ": " + what);
  };

  const auto check = [&](const std::string& label, std::vector<std::byte> ia,
                         std::vector<std::byte> ib, bool mid) {
    ++st.images;
    ++st.labels[label];
    FaultBackend ba(std::span<const std::byte>(ia), kLimit),
        bb(std::span<const std::byte>(ib), kLimit);
    const std::shared_ptr<FaultDisk> rd[2] = {ba.disk(), bb.disk()};
    std::optional<Store<FaultBackend>> r;
    try {
      r.emplace(std::move(ba), std::move(bb), o);
    } catch (const memvec::Error& e) {
      // Never, under either durability: a store's first headers are synced
      // when it is created and every compaction syncs its journal before it
      // takes over, so a complete journal always survives; a journal whose
      // file lost its tail opens to its prefix (its loss reported).
      return fail(label, std::string("reopen threw: ") + e.what());
    }
    ++st.reopened;
    const Index got = r->as_hashmap();
    const auto& rec = r->recovery();
    if (rec.reason.find("unfinished compaction") != std::string::npos) ++st.torn_ignored;
    if (power_loss) {
      // Every returned call is there; a call in flight is all or nothing.
      // The only loss a cut may cause is that call's own record, torn
      // inside its one flush: then the state is the one before the call.
      const bool is_clear = current != nullptr && current->kind == Op::clear && mid;
      if (rec.loss != DataLoss::none) {
        if (!mid || got != model || rec.loss != DataLoss::partial)
          return fail(label, "loss reported: " + rec.reason + (mid ? "" : ", at a call return") +
                                 (got == model ? "" : ", not the state before the call"));
        ++st.torn_in_flight;
      } else if (got == model) {
        if (mid) ++st.before;
        if (is_clear && !model.empty()) ++st.clear_before;
      } else if (mid && got == after) {
        ++st.after;
        if (is_clear) ++st.clear_after;
      } else {
        return fail(label, "reopened " + describe(got) + ", expected " + describe(model) +
                               (mid ? " or " + describe(after) : std::string()));
      }
    } else {
      // The state of some call boundary, never a mix; never older than the
      // last sync().
      if (mid && got == after) {
        if (got != model) ++st.after;
      } else {
        std::size_t k = states.size();
        for (std::size_t b = states.size(); b-- > 0;)
          if (states[b] == got) {
            k = b;
            break;
          }
        if (k == states.size())
          return fail(label, "reopened " + describe(got) +
                                 ": not the state of any call boundary (" + rec.reason + ")");
        if (k < last_synced)
          return fail(label, "reopened to the state after call " + std::to_string(k) +
                                 ", older than the sync() of call " + std::to_string(last_synced));
        if (k + 1 < states.size()) ++st.older;
        if (k < last_writeback) ++st.older_than_writeback;
      }
    }
    // Every 8th reopened store is written to and compacted, then cut again:
    // it recycles whatever the cut left in its standby (a torn compaction
    // included) correctly.
    if (st.reopened % 8 == 0) {
      Index want = got;
      try {
        r->set("after-reopen", Value(call));
        r->compact();
      } catch (const std::exception& e) {
        return fail(label, std::string("write after reopen threw: ") + e.what());
      }
      want["after-reopen"] = Value(call);
      if (r->as_hashmap() != want) return fail(label, "write after reopen diverged");
      // A process crash keeps every page and the file sizes; under
      // power_loss a power cut keeps what returned.
      std::vector<CutSpec> crashes{{CutMode::keep_all, 0, SizePolicy::volatile_size}};
      if (power_loss) crashes.push_back({CutMode::drop_unsynced});
      for (const CutSpec& crash : crashes) {
        try {
          Store<FaultBackend> again(FaultBackend(rd[0]->cut(crash), kLimit),
                                    FaultBackend(rd[1]->cut(crash), kLimit), o);
          if (again.as_hashmap() != want)
            return fail(label, std::string("after reopen, write, compact and a ") +
                                   test::to_string(crash.mode) +
                                   " cut: " + describe(again.as_hashmap()));
        } catch (const std::exception& e) {
          return fail(label, std::string("after reopen, write, compact and a ") +
                                 test::to_string(crash.mode) +
                                 " cut, the reopen threw: " + e.what());
        }
      }
      ++st.continued;
    }
  };

  const auto moment = [&](int disk, bool is_sync) {
    if (current == nullptr) return;
    ++(is_sync ? st.sync_moments : st.resize_moments);
    if (disk == standby_at_start) ++st.in_compaction;
    for (auto& [label, a, b] : cut_pairs(*disks[0], *disks[1], rng))
      check(label, std::move(a), std::move(b), true);
  };
  for (int d = 0; d < 2; ++d) {
    disks[d]->on_sync = [&moment, d](FaultDisk&, std::size_t, std::size_t) { moment(d, true); };
    disks[d]->on_resize = [&moment, d](FaultDisk&, std::size_t) { moment(d, false); };
  }

  for (call = 1; call <= calls && failures.size() < 40; ++call) {
    const Op op = gen.next();
    current = &op;
    after = model;
    play(after, op);
    standby_at_start = 1 - store->active();
    const std::uint64_t switches = store->switch_count();
    try {
      play(*store, op);
      model = after;
    } catch (const memvec::Error& e) {
      if (e.code() != errc::capacity_exceeded) {
        fail("call", std::string("threw ") + e.what());
        break;
      }
      ++st.capacity_refusals;  // the live set would not fit at max_size: nothing changed
      after = model;
    }
    st.switches += store->switch_count() - switches;
    if (store->as_hashmap() != model) fail("call", "the store diverged from the model");
    states.push_back(model);
    if (op.kind == Op::sync) last_synced = states.size() - 1;
    ++st.returns;
    for (auto& [label, a, b] : cut_pairs(*disks[0], *disks[1], rng))
      check(label, std::move(a), std::move(b), false);
    current = nullptr;
    if (!power_loss && rng() % 10 == 0) {
      // The kernel wrote every dirty page back at a quiet moment.
      disks[0]->sync_all();
      disks[1]->sync_all();
      last_writeback = states.size() - 1;
    }
  }
  for (const auto& d : disks) {
    d->on_sync = nullptr;
    d->on_resize = nullptr;
  }
}

}  // namespace store_fixture
