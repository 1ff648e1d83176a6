// Journal fault injection, power cuts (tests/fault_backend.hpp): a workload
// of ~200 writes runs on a FaultBackend; at every sync point and at every
// call return, power is cut under each fault mode (unsynced pages dropped,
// random subsets written back, a torn page, everything written back) and a
// journal is reopened from the image. With Durability::power_loss every
// returned call survives and nothing is lost; without it the journal reopens
// to the exact state of some earlier call boundary, says what it lost, and is
// never older than its last sync().
#include "journal_faults_fixture.hpp"

using namespace journal_faults;

namespace {

// One call boundary of the workload: the journal's epoch and used bytes
// there (unique while epochs are not reused: the log only grows within an
// epoch) and the model state.
struct Boundary {
  std::uint64_t epoch;
  std::size_t used;
  std::uint64_t records;  // records replayed to reach it (since its epoch began)
  Index state;
};

struct CutStats {
  std::size_t sync_points = 0;
  std::size_t returns = 0;
  std::map<std::string, std::size_t> images;  // per mode
  std::size_t reopened = 0;
  std::size_t lossy = 0;
  std::size_t lossy_total = 0;
  std::size_t before_state = 0;  // mid-call cuts that reopened to the state before
  std::size_t after_state = 0;
  std::size_t older = 0;  // process_crash: reopened to an earlier boundary
  std::size_t truncated = 0;     // the committed log ran past the image's end
  std::size_t short_spare = 0;   // shorter than the capacity word, reopened all the same
  std::size_t continued = 0;  // reopened journals written to and reopened again
  std::size_t resizes = 0;    // backend growths during the workloads
  std::size_t torn_in_flight = 0;  // power_loss: the call's own record torn, reported
  std::size_t images_total() const {
    std::size_t n = 0;
    for (const auto& [k, v] : images) n += v;
    return n;
  }
  std::string summary() const {
    std::ostringstream os;
    os << images_total() << " images (";
    for (const auto& [k, v] : images) os << k << " " << v << ", ";
    os << ") at " << sync_points << " sync points and " << returns << " call returns";
    return os.str();
  }
};

// The images to check at one cut moment, labelled.
std::vector<std::pair<std::string, std::vector<std::byte>>> images_now(const FaultDisk& d,
                                                                       Rng& rng,
                                                                       SizePolicy size) {
  std::vector<std::pair<std::string, std::vector<std::byte>>> out;
  const std::vector<std::size_t> dirty = d.dirty_pages();
  out.emplace_back("drop_unsynced", d.cut({CutMode::drop_unsynced, 0, size}));
  if (dirty.empty()) return out;  // every mode gives the durable image
  out.emplace_back("keep_all", d.cut({CutMode::keep_all, 0, size}));
  if (dirty.size() <= 4) {
    // Every proper, non-empty subset: writeback in any order.
    for (std::uint32_t mask = 1; mask + 1 < (1u << dirty.size()); ++mask) {
      std::vector<std::size_t> pages;
      for (std::size_t b = 0; b < dirty.size(); ++b)
        if (mask & (1u << b)) pages.push_back(dirty[b]);
      out.emplace_back("subset", d.cut_with(pages, std::nullopt, size));
    }
  } else {
    for (int k = 0; k < 6; ++k)
      out.emplace_back("random_subset", d.cut({CutMode::random_subset, rng(), size}));
  }
  // Torn pages: each dirty page (or 6 picks), torn in half and at a random
  // sector boundary.
  const std::size_t sectors = d.page() / 512;
  for (std::size_t k = 0; k < std::min<std::size_t>(dirty.size(), 6); ++k) {
    const std::size_t p = dirty.size() <= 6 ? dirty[k] : dirty[rng() % dirty.size()];
    out.emplace_back("torn_half", d.cut_with({}, FaultDisk::TornPage{p, d.page() / 2}, size));
    out.emplace_back("torn_sector",
                     d.cut_with({}, FaultDisk::TornPage{p, 512 * (1 + rng() % (sectors - 1))}, size));
  }
  return out;
}

struct PowerCutRun {
  Durability durability;
  std::size_t initial_size;
  SizePolicy size = SizePolicy::durable_size;
};

// Runs `ops` calls of `gen` on a journal over a FaultBackend and checks the
// images of every cut moment. Failures are collected (a REQUIRE inside a
// sync hook would throw through the library).
void run_power_cuts(const PowerCutRun& run, Generator gen, int ops, CutStats& stats,
                    std::vector<std::string>& failures, std::uint64_t seed) {
  JournalOptions opts;
  opts.durability = run.durability;
  FaultBackend backend(run.initial_size);
  const std::shared_ptr<FaultDisk> disk = backend.disk();
  FaultJournal j = FaultJournal::create(std::move(backend), opts);
  j.sync();  // the formatted journal is the durable starting point
  Rng rng(seed);

  std::vector<Boundary> bounds{{j.epoch(), 0, 0, Index{}}};
  std::size_t last_synced = 0;  // boundary made durable by the last sync()
  Index model;
  int call = 0;
  const Op* current = nullptr;
  Index after;  // the state once `current` returns

  const auto fail = [&](const std::string& where, const std::string& what) {
    if (failures.size() < 40)
      failures.push_back("call " + std::to_string(call) + " (" +
                         (current ? kind_name(current->kind) : "-") + ") " + where + ": " + what);
  };

  // Checks one image. `mid_call`: the cut came inside call `call`.
  const auto check = [&](const std::string& label, std::vector<std::byte> image, bool mid_call) {
    ++stats.images[label];
    // errc::truncated exactly when committed bytes are missing: the image
    // ends before the committed length. An image that only falls short of
    // its capacity word (the word reached the disk, the file's new size did
    // not) has lost nothing and must reopen.
    const std::uint64_t room = image.size() >= kDataOffset ? image.size() - kDataOffset : 0;
    const bool log_cut =
        image.size() >= memvec::kHeaderSize &&
        image_word(image, memvec::header_offset::kLengthWord) != ~std::uint64_t{0} &&
        image_word(image, memvec::header_offset::kLengthWord) > room;
    const bool spare_cut =
        image.size() >= memvec::kHeaderSize &&
        image_word(image, memvec::header_offset::kCapacityWord) != ~std::uint64_t{0} &&
        image_word(image, memvec::header_offset::kCapacityWord) > room;
    std::optional<FaultJournal> r;
    try {
      r.emplace(FaultJournal::open(FaultBackend(image), opts));
    } catch (const memvec::Error& e) {
      return fail(label, std::string("open threw: ") + e.what());
    }
    if (log_cut) {
      // The committed log runs past the image's end: its tail is lost, and
      // said to be; what is left is checked like any other reopen below.
      ++stats.truncated;
      if (r->recovery().loss == DataLoss::none)
        return fail(label, "a log cut short reported no loss");
    } else if (spare_cut) {
      ++stats.short_spare;
    }
    ++stats.reopened;
    const auto& rec = r->recovery();
    const Index& got = r->as_hashmap();
    if (rec.loss != DataLoss::none) {
      ++stats.lossy;
      if (rec.loss == DataLoss::total) ++stats.lossy_total;
    }
    if (run.durability == Durability::power_loss) {
      // Every returned call survives. The only loss a cut may cause is the
      // record in flight, torn inside its one flush (header and record
      // together): then the state is the one before the call, and exactly
      // the bytes from where that record starts are dropped.
      if (rec.loss != DataLoss::none) {
        if (!mid_call || got != model || rec.first_bad_offset != bounds.back().used ||
            rec.loss == DataLoss::total)
          return fail(label, "loss reported: " + rec.reason);
        ++stats.torn_in_flight;
      } else if (got == model) {
        if (mid_call) ++stats.before_state;
      } else if (mid_call && got == after) {
        ++stats.after_state;
      } else {
        return fail(label, "reopened " + describe(got) + ", expected " + describe(model) +
                               (mid_call ? " or " + describe(after) : std::string()));
      }
    } else {
      // The exact state of an earlier call boundary of the image's epoch.
      const std::uint64_t epoch = image_word(image, memvec::header_offset::kUserWord);
      const std::uint64_t length = image_word(image, memvec::header_offset::kLengthWord);
      if (rec.bytes_dropped > length) return fail(label, "dropped more than the committed length");
      const std::uint64_t valid = length - rec.bytes_dropped;
      if ((rec.loss == DataLoss::none) != (rec.bytes_dropped == 0))
        return fail(label, "loss " + std::string(loss_name(rec.loss)) + " with " +
                               std::to_string(rec.bytes_dropped) + " bytes dropped");
      if (rec.loss != DataLoss::none &&
          (rec.records_dropped < 1 || rec.first_bad_offset != valid || rec.reason.empty()))
        return fail(label, "inconsistent recovery report: " + rec.reason);
      std::size_t k = bounds.size();
      for (std::size_t b = 0; b < bounds.size(); ++b)
        if (bounds[b].epoch == epoch && bounds[b].used == valid) k = b;
      if (k == bounds.size() && mid_call && rec.loss == DataLoss::none && got == after) {
        ++stats.after_state;  // inside a clear(): its new epoch, not yet a boundary
        return;
      }
      if (k == bounds.size())
        return fail(label, "no call boundary at epoch " + std::to_string(epoch) + ", offset " +
                               std::to_string(valid) + " (length " + std::to_string(length) +
                               ", " + rec.reason + "); reopened " + describe(got));
      if (got != bounds[k].state)
        return fail(label, "reopened " + describe(got) + ", the boundary after call " +
                               std::to_string(k) + " holds " + describe(bounds[k].state));
      if (rec.records_replayed != bounds[k].records)
        return fail(label, "replayed " + std::to_string(rec.records_replayed) + " records, " +
                               std::to_string(bounds[k].records) + " expected");
      if (k < last_synced)
        return fail(label, "reopened to call " + std::to_string(k) +
                               ", older than the last sync() after call " +
                               std::to_string(last_synced));
      if (k + 1 < bounds.size()) ++stats.older;
    }
    // The reopened journal stays usable: a write after a lossy open cuts
    // the damaged tail; a process crash right after it reopens to the
    // reopened state plus that write, a power cut to one of the two.
    if (rec.loss != DataLoss::none || stats.reopened % 16 == 0) {
      const Index before = got;
      const std::uint64_t records = rec.records_replayed;
      r->set("after-reopen", Value(call));
      Index want = before;
      want["after-reopen"] = Value(call);
      const auto& d2 = *r->log().backend().disk();
      FaultJournal again = FaultJournal::open(FaultBackend(d2.cut({CutMode::keep_all})), opts);
      if (again.recovery().loss != DataLoss::none || again.as_hashmap() != want ||
          again.recovery().records_replayed != records + 1)
        return fail(label, "write after reopen: " + again.recovery().reason + " " +
                               describe(again.as_hashmap()));
      for (const CutMode mode : {CutMode::drop_unsynced, CutMode::random_subset,
                                 CutMode::torn_page}) {
        FaultJournal cut = FaultJournal::open(FaultBackend(d2.cut({mode, rng()})), opts);
        if (cut.as_hashmap() != before && cut.as_hashmap() != want)
        {
          std::string diff;
          for (const auto& [k, v] : cut.as_hashmap())
            if (!want.count(k) || !(want.at(k) == v)) diff += " extra/changed " + k;
          for (const auto& [k, v] : before)
            if (!cut.as_hashmap().count(k)) diff += " missing " + k;
          return fail(label, std::string("write after reopen, then a power cut (") +
                                 test::to_string(mode) + "): " + diff + "; " +
                                 cut.recovery().reason + "; before: " + rec.reason +
                                 "; used " + std::to_string(r->used_bytes()));
        }
      }
      ++stats.continued;
    }
  };

  disk->on_sync = [&](FaultDisk& d, std::size_t, std::size_t) {
    ++stats.sync_points;
    for (auto& [label, image] : images_now(d, rng, run.size)) check(label, std::move(image), true);
  };

  for (call = 1; call <= ops; ++call) {
    const Op op = gen.next();
    current = &op;
    after = model;
    apply(after, op);
    try {
      apply(j, op);
    } catch (const std::exception& e) {
      fail("call", std::string("threw ") + e.what());
      break;
    }
    model = after;
    bounds.push_back({j.epoch(), j.used_bytes(),
                      op.kind == Op::clear ? 0
                                           : bounds.back().records + (op.kind == Op::sync ? 0 : 1),
                      model});
    if (op.kind == Op::sync) {
      // A sync adds no record: its boundary is the previous one.
      bounds.pop_back();
      last_synced = bounds.size() - 1;
    }
    if (j.as_hashmap() != model) fail("call", "journal diverged from the model");
    ++stats.returns;
    for (auto& [label, image] : images_now(*disk, rng, run.size))
      check(label, std::move(image), false);
    current = nullptr;
    if (failures.size() >= 40) break;
  }
  disk->on_sync = nullptr;
  stats.resizes += disk->resizes();
}

}  // namespace

TEST_CASE("journal faults: power_loss keeps every returned call through any power cut") {
  const auto t0 = std::chrono::steady_clock::now();
  CutStats stats;
  std::vector<std::string> failures;
  for (const std::uint64_t seed : {11u, 12u}) {
    Mix mix;
    mix.clear = 2;
    mix.big_max = 3000;  // records that straddle pages
    // One page to start with: growth happens during the workload.
    run_power_cuts({Durability::power_loss, 4096}, Generator(seed, mix), 100, stats, failures,
                   seed);
  }
  CHECK(stats.resizes > 0);
  for (std::size_t k = 0; k < failures.size() && k < 40; ++k) UNSCOPED_INFO(failures[k]);
  CHECK(failures.empty());
  // Losses only of the record in flight (its header and bytes share one
  // flush), and an image short of its log only inside that flush.
  CHECK(stats.lossy == stats.torn_in_flight);
  CHECK(stats.truncated <= stats.torn_in_flight);
  CHECK(stats.before_state > 0);
  CHECK(stats.after_state > 0);
  WARN("power_loss power cuts: " << stats.summary() << "; all " << stats.reopened
                                 << " reopened with every returned call; mid-call cuts "
                                 << "reopened " << stats.before_state << " times before the "
                                 << "call, " << stats.after_state << " after it, "
                                 << stats.torn_in_flight << " with the call's own record torn "
                                 << "and reported (" << stats.truncated << " of them short of "
                                 << "the log); " << seconds_since(t0) << " s");
}

TEST_CASE("journal faults: process_crash reopens a power cut to a consistent prefix") {
  const auto t0 = std::chrono::steady_clock::now();
  CutStats stats;
  std::vector<std::string> failures;
  for (const std::uint64_t seed : {21u, 22u}) {
    Mix mix;
    mix.clear = 2;
    mix.sync = 5;  // the user's durable points
    mix.big_max = 3000;
    // Room for the whole workload: no growth (see the next test for growth).
    run_power_cuts({Durability::process_crash, 256 * 1024}, Generator(seed, mix), 100, stats,
                   failures, seed);
  }
  for (std::size_t k = 0; k < failures.size() && k < 40; ++k) UNSCOPED_INFO(failures[k]);
  CHECK(failures.empty());
  CHECK(stats.truncated == 0);
  CHECK(stats.short_spare == 0);
  CHECK(stats.lossy > 0);
  CHECK(stats.lossy_total > 0);
  CHECK(stats.older > 0);
  WARN("process_crash power cuts: " << stats.summary() << "; " << stats.reopened
                                    << " reopened, " << stats.lossy << " with loss reported ("
                                    << stats.lossy_total << " total), " << stats.older
                                    << " to an earlier call boundary; " << stats.continued
                                    << " reopened journals written to again; "
                                    << seconds_since(t0) << " s");
}

TEST_CASE("journal faults: process_crash with growth: a consistent prefix, even when the file "
          "lost the committed log's tail") {
  // Without power_loss, growth is not synced: the header page can reach the
  // disk before the file's new size does. If only the capacity word is ahead
  // of the size, the image falls short in its free room alone: nothing
  // committed is missing (MemVec opens with the room the file has). If the
  // length word is ahead too (the committed log ran into the grown part),
  // committed bytes are really gone: the journal opens to the records the
  // file still holds and reports the rest. Either way a consistent prefix.
  const auto t0 = std::chrono::steady_clock::now();
  CutStats stats_size, stats_nosize;
  std::vector<std::string> failures;
  Mix mix;
  mix.clear = 1;
  mix.sync = 5;
  mix.big_max = 3000;
  run_power_cuts({Durability::process_crash, 4096, SizePolicy::volatile_size},
                 Generator(31, mix), 80, stats_size, failures, 31);
  run_power_cuts({Durability::process_crash, 4096, SizePolicy::durable_size},
                 Generator(32, mix), 80, stats_nosize, failures, 32);
  for (std::size_t k = 0; k < failures.size() && k < 40; ++k) UNSCOPED_INFO(failures[k]);
  CHECK(failures.empty());
  CHECK(stats_size.resizes > 0);
  CHECK(stats_nosize.resizes > 0);
  CHECK(stats_size.truncated == 0);
  CHECK(stats_size.short_spare == 0);
  // Both kinds of short image occurred, so both outcomes were checked.
  CHECK(stats_nosize.short_spare > 0);
  CHECK(stats_nosize.truncated > 0);
  WARN("process_crash power cuts with growth: size reached the disk: "
       << stats_size.summary() << ", " << stats_size.lossy << " lossy, all consistent; size "
       << "did not: " << stats_nosize.summary() << ", " << stats_nosize.reopened
       << " consistent (" << stats_nosize.short_spare << " of them shorter than their capacity "
       << "word, " << stats_nosize.truncated << " shorter than their committed log: its tail "
       << "lost and reported); " << seconds_since(t0) << " s");
}
