// DoubleBufferedKV<B>, power cuts during compaction (tests/fault_backend.hpp,
// the harness in store_power_cut.hpp): at every sync point and resize of a
// workload full of compactions, under each fault mode, for both journals at
// once. power_loss: the state before or after the call in flight, nothing
// lost. process_crash: the state of some call boundary, never older than the
// last sync(), even after compactions rewrote the journal that held it
// (before any sync() the store may find no complete journal and refuse to
// open: counted and reported).
#include "store_power_cut.hpp"

using namespace store_fixture;

TEST_CASE(
    "store: power_loss: a power cut at any sync point of a compaction reopens to the state "
    "before or after the call, never a mix, never a lost write") {
  const auto t0 = std::chrono::steady_clock::now();
  StoreCutStats st;
  std::vector<std::string> failures;
  for (const std::uint64_t seed : {101u, 102u, 103u})
    run_store_cuts(Durability::power_loss, seed, 150, st, failures);
  for (std::size_t k = 0; k < failures.size(); ++k) UNSCOPED_INFO(failures[k]);
  CHECK(failures.empty());
  CHECK(st.in_compaction > 100);
  CHECK(st.switches > 50);
  CHECK(st.before > 0);
  CHECK(st.after > 0);
  CHECK(st.clear_before > 0);  // a clear() cut short: the old keys, all of them
  CHECK(st.clear_after > 0);   // or none
  CHECK(st.torn_ignored > 0);
  CHECK(st.continued > 0);
  WARN("store power cuts (power_loss): "
       << st.summary() << "; " << st.reopened << " reopened with every returned call; mid-call "
       << "cuts reopened " << st.before << " times before the call (" << st.torn_in_flight
       << " of them with the call's own record torn and reported), " << st.after
       << " after it (clear(): " << st.clear_before << " / " << st.clear_after << "); "
       << st.torn_ignored << " found a torn compaction and ignored it; " << st.continued
       << " reopened stores written, compacted "
       << "and cut again; " << seconds_since(t0) << " s");
}

TEST_CASE(
    "store: process_crash: a power cut reopens to the state of some call boundary, never a "
    "mix, never older than the last sync()") {
  const auto t0 = std::chrono::steady_clock::now();
  StoreCutStats st;
  std::vector<std::string> failures;
  for (const std::uint64_t seed : {201u, 202u, 203u})
    run_store_cuts(Durability::process_crash, seed, 150, st, failures);
  for (std::size_t k = 0; k < failures.size(); ++k) UNSCOPED_INFO(failures[k]);
  CHECK(failures.empty());
  CHECK(st.switches > 50);
  CHECK(st.older > 0);
  WARN("store power cuts (process_crash): "
       << st.summary() << "; " << st.reopened << " reopened, each to a call boundary (" << st.older
       << " to an earlier one, none older than the last sync(), " << st.older_than_writeback
       << " older than the last full writeback); " << st.torn_ignored
       << " ignored a torn compaction; none refused to open; " << seconds_since(t0) << " s");
}

TEST_CASE(
    "store: process_crash: a sync() point survives a power cut after later compactions "
    "recycled the journal that held it, in the same process or a later one") {
  // sync() is the durable point of process_crash (docs/DURABILITY.md). Two
  // compactions later the journal that held it is rewritten; if the power
  // fails while only part of that rewrite reached the disk, the other
  // journal must already be durable, or nothing of the synced state is left.
  // A store opened later (a new process) knows nothing of that sync(), so
  // its compactions must keep the promise too.
  const bool new_process = GENERATE(false, true);
  INFO((new_process ? "compactions by a later process" : "compactions by the same store"));
  const StoreOptions o{.initial_size = 4096, .max_size = 65536, .high_water_mark_ratio = 0.5, .compaction_room = 0};
  FaultBackend fa(kBlank), fb(kBlank);
  std::shared_ptr<FaultDisk> disks[2] = {fa.disk(), fb.disk()};
  std::optional<Store<FaultBackend>> s;
  s.emplace(std::move(fa), std::move(fb), o);
  Index model;
  // Values of 600 bytes: journals of several pages, so that a power cut can
  // keep some pages of a rewrite and not others.
  for (int i = 0; i < 12; ++i) {
    s->set(key_n(i), Value(std::string(600, 's')));
    model[key_n(i)] = Value(std::string(600, 's'));
  }
  s->sync();
  if (new_process) {
    // The process exits: the page cache keeps every byte, the disk keeps
    // what was synced. A power cut then drops what the next one leaves
    // unsynced.
    std::vector<std::byte> images[2] = {disks[0]->cut({CutMode::keep_all}),
                                        disks[1]->cut({CutMode::keep_all})};
    s.reset();
    FaultBackend ra{std::span<const std::byte>(images[0])},
        rb{std::span<const std::byte>(images[1])};
    disks[0] = ra.disk();
    disks[1] = rb.disk();
    s.emplace(std::move(ra), std::move(rb), o);
    REQUIRE(s->as_hashmap() == model);
  }
  const Index synced = model;
  const int synced_journal = s->active();
  std::vector<Index> later{model};  // every state from the sync point on
  s->compact();                     // the synced journal untouched
  for (int i = 0; i < 5; ++i) {
    s->set(key_n(100 + i), Value(i));
    model[key_n(100 + i)] = Value(i);
    later.push_back(model);
  }
  Rng rng(5);
  std::size_t images = 0, refused = 0, older = 0;
  std::vector<std::string> problems;
  const auto check_now = [&](const char* when) {
    for (auto& [label, ia, ib] : cut_pairs(*disks[0], *disks[1], rng)) {
      ++images;
      try {
        Store<FaultBackend> r(FaultBackend(std::span<const std::byte>(ia)),
                              FaultBackend(std::span<const std::byte>(ib)), o);
        if (std::find(later.begin(), later.end(), r.as_hashmap()) == later.end()) {
          ++older;
          if (problems.size() < 10)
            problems.push_back(std::string(when) + ", " + label + ": reopened " +
                               describe(r.as_hashmap()) + ", older than the sync point " +
                               describe(synced));
        }
      } catch (const memvec::Error& e) {
        ++refused;
        if (problems.size() < 10)
          problems.push_back(std::string(when) + ", " + label + ": " + e.what());
      }
    }
  };
  // The second compaction rewrites the synced journal. Cut inside it (at
  // each sync and resize) and after it.
  for (auto& d : disks) {
    d->on_sync = [&](FaultDisk&, std::size_t, std::size_t) { check_now("inside the compaction"); };
    d->on_resize = [&](FaultDisk&, std::size_t) { check_now("inside the compaction"); };
  }
  s->compact();
  for (auto& d : disks) {
    d->on_sync = nullptr;
    d->on_resize = nullptr;
  }
  REQUIRE(s->active() == synced_journal);  // rewritten by this second compaction
  check_now("after the compaction");
  s->set("one-more", Value(1));
  model["one-more"] = Value(1);
  later.push_back(model);
  check_now("after a write");
  for (const auto& p : problems) UNSCOPED_INFO(p);
  CHECK(refused == 0);
  CHECK(older == 0);
  WARN("sync point then two compactions: " << images << " power cuts, " << refused << " refused, "
                                           << older << " older than the sync point");
}

TEST_CASE(
    "store: process_crash: a compaction syncs nothing as it switches; the journal that took "
    "over is flushed before the one it replaced is touched") {
  // The protocol that keeps a complete journal on the disk without a sync
  // on the writer's path: the switch itself is not flushed; the next
  // compaction, before it rewrites the old journal, makes the new one
  // durable (file backends flush it earlier, on a thread of their own).
  const StoreOptions o{.initial_size = 4096, .max_size = 65536, .high_water_mark_ratio = 0.5};
  FaultBackend fa(kBlank), fb(kBlank);
  std::shared_ptr<FaultDisk> disks[2] = {fa.disk(), fb.disk()};
  Store<FaultBackend> s(std::move(fa), std::move(fb), o);
  for (int i = 0; i < 4; ++i) s.set(key_n(i), Value(std::string(200, 'v')));
  s.sync();
  REQUIRE(s.switch_count() == 0);
  std::vector<std::string> events;
  for (int d = 0; d < 2; ++d) {
    disks[d]->on_sync = [&events, &disks, d](FaultDisk&, std::size_t, std::size_t) {
      const bool other_clean = disks[1 - d]->dirty_pages().empty();
      events.push_back(std::string(d == 0 ? "A" : "B") + (other_clean ? " (other clean)" : ""));
    };
  }
  s.compact();  // A -> B
  REQUIRE(s.active() == 1);
  CHECK(events.empty());  // no sync on the writer's path
  s.set("after", Value(1));
  s.compact();  // B -> A: B first, before A is rewritten
  REQUIRE(s.active() == 0);
  REQUIRE_FALSE(events.empty());
  CHECK(events.front() == "B (other clean)");
  for (auto& d : disks) d->on_sync = nullptr;
  // And a power cut now keeps every key: B is durable, A is a whole
  // compaction or an ignored torn one.
  const CutSpec cut{CutMode::drop_unsynced, 0};
  Store<FaultBackend> r(FaultBackend(disks[0]->cut(cut)), FaultBackend(disks[1]->cut(cut)), o);
  CHECK(r.size() == 5);
  CHECK(r.get("after") == Value(1));
}
