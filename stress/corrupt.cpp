// memvec-stress --corrupt: random damage to real files of every format (a
// MemVec file, a journal file, a store's pair), after test_header_reopen.cpp's and
// test_journal_faults_corruption.cpp's sweeps but at random and on files with history:
// bytes flipped (anywhere, in the header, in the committed data, in the
// spare room), whole pages zeroed, files truncated. Each trial builds its
// file(s) from a random workload, damages them 1-3 times, reopens.
//
// What must hold: opening throws a memvec::Error or opens; nothing crashes
// (a signal is caught by main.cpp and reported with the trial's seed).
// MemVec (elements carry no checksum, docs/DURABILITY.md): a vector that
// opens has its committed length and every element no damage touched;
// damage past the committed elements never stops it opening; a cut into
// them is errc::truncated. Journal and store: what opens holds only values
// that were written, in the state of some call boundary (never a mix), and
// recovery() reports a loss whenever that state is not the last one;
// damage confined to the spare room (or, for the store, to the journal that
// is not active) changes nothing; a write after the open survives a reopen.
#include <algorithm>
#include <fstream>
#include <memory>
#include <optional>

#include "common.hpp"
#include "support.hpp"

namespace stress {
namespace {

namespace fs = std::filesystem;
using memvec::errc;
using memvec::FileBackend;
using memvec::kHeaderSize;
using memvec::OpenMode;
using memvec::kv::DataLoss;
using memvec::kv::DoubleBufferedMemMappedKV;
using memvec::kv::MemMappedKVJournal;
using memvec::kv::StoreOptions;
using Store = DoubleBufferedMemMappedKV;

constexpr std::size_t kLogOffset = MemMappedKVJournal::Log::kSpec.data_offset;

// What was done to one file.
struct Damage {
  std::vector<std::pair<std::size_t, std::size_t>> ranges;  // [begin, end) changed in place
  std::size_t truncated_to = SIZE_MAX;                      // the shortest truncation
  bool any() const { return !ranges.empty() || truncated_to != SIZE_MAX; }
  bool touches(std::size_t b, std::size_t e) const {
    for (const auto& [rb, re] : ranges)
      if (rb < e && b < re) return true;
    return truncated_to < e;
  }
  // Nothing before `end` (the end of the committed bytes) changed or went.
  bool beyond(std::size_t end) const { return !touches(0, end); }
};

void zero_range(const fs::path& p, std::size_t offset, std::size_t n) {
  std::fstream f(p, std::ios::binary | std::ios::in | std::ios::out);
  f.seekp(static_cast<std::streamoff>(offset));
  const std::vector<char> zeros(n, '\0');
  f.write(zeros.data(), static_cast<std::streamsize>(n));
}

// Damages `path` 1-3 times; `committed` is where its committed bytes end.
Damage damage(Trial& t, Rng& rng, const fs::path& path, std::size_t committed) {
  Damage d;
  const std::string name = path.filename().string();
  for (int n = 1 + static_cast<int>(rng() % 3); n > 0; --n) {
    const std::size_t size = fs::file_size(path);
    if (size == 0) break;
    const std::size_t data_end = std::min(committed, size);
    const auto pick = [&](std::size_t b, std::size_t e) {
      return b < e ? b + rng() % (e - b) : rng() % size;
    };
    const std::uint64_t kind = rng() % 8;
    if (kind < 4) {  // a flipped byte: anywhere, in the header, in the data, in the spare room
      const std::size_t at = kind == 0   ? pick(0, size)
                             : kind == 1 ? pick(0, std::min(kHeaderSize, size))
                             : kind == 2 ? pick(kHeaderSize, data_end)
                                         : pick(data_end, size);
      const auto mask = static_cast<std::uint8_t>(1 + rng() % 255);
      test::flip_byte(path, at, mask);
      d.ranges.emplace_back(at, at + 1);
      t.log("flip " + name + " byte " + std::to_string(at) + " ^ " + std::to_string(mask) +
            " (committed bytes end at " + std::to_string(committed) + ", file " +
            std::to_string(size) + ")");
    } else if (kind < 6) {  // a zeroed page
      const std::size_t page = memvec::page_size();
      const std::size_t at = pick(0, size) / page * page;
      const std::size_t len = std::min(page, size - at);
      zero_range(path, at, len);
      d.ranges.emplace_back(at, at + len);
      t.log("zero " + name + " bytes [" + std::to_string(at) + ", " + std::to_string(at + len) +
            ")");
    } else {  // a truncation: anywhere, or into the committed data
      const std::size_t to = kind == 6 ? pick(0, size) : pick(kHeaderSize, data_end);
      test::truncate_to(path, to);
      d.truncated_to = std::min(d.truncated_to, to);
      t.log("truncate " + name + " from " + std::to_string(size) + " to " + std::to_string(to) +
            " bytes (committed bytes end at " + std::to_string(committed) + ")");
    }
  }
  return d;
}

std::size_t committed_end(const fs::path& p) {
  const auto bytes = test::read_file(p);
  if (bytes.size() < kHeaderSize) return kHeaderSize;
  const auto len = memvec::detail::decode_word(
      memvec::detail::load_word_raw(bytes.data(), memvec::header_offset::kLengthWord));
  return kLogOffset + len.value_or(0);
}

// --- MemVec -------------------------------------------------------------------------------

void memvec_trial(Trial& t, Rng& rng) {
  const fs::path path = t.scratch() / "vec.mv";
  const std::uint64_t n = rng() % 4 == 0 ? rng() % 8 : rng() % 6000;
  {
    auto v = RecordVec::open_or_create(
        FileBackend::open(path, {.initial_size = std::size_t{4096} * (rng() % 3)}));
    for (std::uint64_t i = 0; i < n; ++i) v.push_back(make_record(i));
    if (rng() % 4 == 0) v.shrink_to_fit();
  }
  const std::size_t end = RecordVec::kSpec.data_offset + n * sizeof(Record);
  t.log(std::to_string(n) + " records pushed, committed bytes end at " + std::to_string(end) +
        ", file " + std::to_string(fs::file_size(path)) + " bytes");
  const Damage d = damage(t, rng, path, end);
  std::optional<RecordVec> v;
  try {
    v.emplace(RecordVec::open(FileBackend::open(path, {.mode = OpenMode::open_existing})));
  } catch (const memvec::Error& e) {
    t.check(!d.beyond(end), [&] {
      return std::string("refused though only the spare room was damaged: ") + e.what();
    });
    if (d.truncated_to >= kHeaderSize && d.truncated_to < end && !d.touches(0, kHeaderSize) &&
        d.ranges.empty())
      t.check(e.code() == errc::truncated, [&] {
        return std::string("a cut into the committed elements is not errc::truncated: ") + e.what();
      });
    return t.count("memvec: refused");
  }
  t.count("memvec: opened");
  const bool one_header_flip = d.ranges.size() == 1 && d.truncated_to == SIZE_MAX &&
                               d.ranges[0].second == d.ranges[0].first + 1 &&
                               d.ranges[0].first < kHeaderSize;
  t.check(!one_header_flip, [] { return "opened though a header byte was flipped"; });
  t.check(d.truncated_to >= end, [] { return "opened though committed elements were cut off"; });
  if (!t.check(v->size() == n, [&] {
        return "opened with length " + std::to_string(v->size()) + ", committed " +
               std::to_string(n);
      }))
    return;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::size_t at = RecordVec::kSpec.data_offset + i * sizeof(Record);
    if (!intact((*v)[i], i) && !t.check(d.touches(at, at + sizeof(Record)), [&] {
          return "element " + std::to_string(i) + " changed though no damage touched it";
        }))
      return;
  }
  v->push_back(make_record(n));
  v.reset();
  auto again = RecordVec::open(FileBackend::open(path, {.mode = OpenMode::open_existing}));
  t.check(again.size() == n + 1 && intact(again[n], n),
          [] { return "a push after the open is not there after a reopen"; });
}

// --- journal and store ------------------------------------------------------------------

struct History {
  std::vector<Index> states{Index{}};  // at every call boundary
  Written written;
};

// The checks on an opened journal or store; `exact` when the damage
// provably left the contents alone; `how` says what the store made of the
// damage (its violations differ by that).
template <class KV>
void check_opened(Trial& t, KV& kv, const History& h, bool exact, const std::string& context,
                  const std::string& how = "") {
  const Index got = kv.as_hashmap();
  const auto rec = kv.recovery();
  const Index& last = h.states.back();
  const std::string said = " (" + context + "; recovery: " + rec.reason + ")";
  if (rec.loss != DataLoss::none) t.count(t.variant() + ": opened with a loss reported");
  t.check(h.written.strangers(got).empty(),
          [&] { return "values never written:" + h.written.strangers(got) + said; });
  t.check(std::find(h.states.begin(), h.states.end(), got) != h.states.end(),
          [&] { return "not the state of any call boundary (a mix):" + diff(got, last) + said; });
  t.check(got == last || rec.loss != DataLoss::none, [&] {
    return "the contents differ from the last state, and recovery() reports no loss" + how + ":" +
           diff(got, last) + said;
  });
  // The store cannot tell an unreadable older journal from an unreadable
  // newer one, so it may report a possible loss ("if it was the newer
  // journal") where the damage spared the contents: never the reverse.
  const bool possible_loss = rec.reason.find("if it was the newer journal") != std::string::npos;
  if (exact)
    t.check(got == last && (rec.loss == DataLoss::none || possible_loss), [&] {
      return "damage that spared the contents changed them or reported a loss:" + diff(got, last) +
             said;
    });
}

// A write on what opened, then a reopen: the write is there, nothing lost.
template <class Open>
void check_write_after(Trial& t, Open open, const Index& got) {
  const Value mark("after-corrupt " + hex(t.seed()));
  try {
    auto kv = open();
    kv->set("after-corrupt", mark);
    kv.reset();
    kv = open();
    Index want = got;
    want["after-corrupt"] = mark;
    t.check(kv->recovery().loss == DataLoss::none && kv->as_hashmap() == want, [&] {
      return "after a write on what opened, a reopen: " + kv->recovery().reason +
             diff(kv->as_hashmap(), want);
    });
  } catch (const memvec::Error& e) {
    t.fail(std::string("a write after the open, or the reopen after it, threw: ") + e.what());
  }
}

void journal_trial(Trial& t, Rng& rng) {
  const fs::path path = t.scratch() / "journal.kv";
  Mix m;
  m.set = 55, m.erase = 15, m.set_many = 25, m.clear = 1, m.big = 2, m.big_min = 1000,
  m.big_max = 5000;
  const std::uint64_t seed = rng(), calls = rng() % 400;
  History h;
  {
    auto j = MemMappedKVJournal::open_or_create(
        FileBackend::open(path, {.initial_size = std::size_t{4096} << rng() % 3}));
    for (std::uint64_t i = 0; i < calls; ++i) {
      const Op op = op_at(seed, i, m);
      play(j, op);
      h.written.add(op);
      h.states.push_back(j.as_hashmap());
    }
  }
  const std::size_t end = committed_end(path);
  t.log(std::to_string(calls) + " calls (seed " + hex(seed) + "), committed log ends at " +
        std::to_string(end) + ", file " + std::to_string(fs::file_size(path)) + " bytes");
  const Damage d = damage(t, rng, path, end);
  const auto open = [&] {
    return std::make_unique<MemMappedKVJournal>(
        MemMappedKVJournal::open(FileBackend::open(path, {.mode = OpenMode::open_existing})));
  };
  std::unique_ptr<MemMappedKVJournal> j;
  try {
    j = open();
  } catch (const memvec::Error& e) {
    t.check(!d.beyond(end), [&] {
      return std::string("refused though only the spare room was damaged: ") + e.what();
    });
    return t.count("journal: refused");
  }
  t.count("journal: opened");
  check_opened(t, *j, h, d.beyond(end), "journal");
  const Index got = j->as_hashmap();
  j.reset();
  if (!t.failed()) check_write_after(t, open, got);
  if (t.failed()) log_ops(t, seed, 0, calls, m);
}

void store_trial(Trial& t, Rng& rng) {
  const fs::path paths[2] = {t.scratch() / "a.kv", t.scratch() / "b.kv"};
  Mix m;
  m.set = 600, m.erase = 150, m.set_many = 150, m.clear = 3, m.compact = 20, m.reopen = 5,
  m.big = 5;
  m.key_space = 50, m.value_max = 120, m.big_min = 1000, m.big_max = 4000;
  const StoreOptions o{.initial_size = 4096, .high_water_mark_ratio = 0.5, .compaction_room = 0};
  const auto open = [&] {
    return std::unique_ptr<Store>(new Store(Store::open(paths[0], paths[1], o)));
  };
  const std::uint64_t seed = rng(), calls = rng() % 700;
  History h;
  int active = 0;
  {
    auto s = open();
    for (std::uint64_t i = 0; i < calls; ++i) {
      const Op op = op_at(seed, i, m);
      if (op.kind == Op::reopen) {
        s.reset();
        s = open();
      } else {
        play(*s, op);
      }
      h.written.add(op);
      h.states.push_back(s->as_hashmap());
    }
    active = s->active();
  }
  const std::size_t ends[2] = {committed_end(paths[0]), committed_end(paths[1])};
  t.log(std::to_string(calls) + " calls (seed " + hex(seed) + "), journal " + "AB"[active] +
        " active; committed logs end at " + std::to_string(ends[0]) + " (A) and " +
        std::to_string(ends[1]) + " (B)");
  const std::uint64_t which = rng() % 3;  // A, B or both
  Damage d[2];
  for (int f = 0; f < 2; ++f)
    if (which == 2 || static_cast<int>(which) == f) d[f] = damage(t, rng, paths[f], ends[f]);
  const bool spare_only = d[0].beyond(ends[0]) && d[1].beyond(ends[1]);
  const bool standby_only = !d[active].any();
  std::unique_ptr<Store> s;
  try {
    s = open();
  } catch (const memvec::Error& e) {
    t.check(!spare_only && !standby_only, [&] {
      return std::string("refused though only ") +
             (spare_only ? "spare room" : "the standby journal") + " was damaged: " + e.what();
    });
    return t.count("store: refused");
  }
  t.count("store: opened");
  if (standby_only) t.count("store: opened with only the standby damaged");
  const std::string context = std::string("journal ") + "AB"[active] + " was active, now " +
                              "AB"[s->active()] + " at generation " +
                              std::to_string(s->generation());
  const std::string reason = s->recovery().reason;
  const std::string how =
      s->active() == active && s->generation() > 1 ? ""
      : reason.find("unfinished compaction") != std::string::npos
          ? "; the store took the damaged active journal for an unfinished compaction"
      : reason.find("unreadable") != std::string::npos
          ? "; the store opened the older journal, the active one being unreadable"
      : s->generation() == 1 && s->empty()
          ? "; the store formatted its damaged files as a new, empty store"
          : "; the store took the damaged active journal for a blank spare";
  check_opened(t, *s, h, spare_only || standby_only, context, how);
  const Index got = s->as_hashmap();
  s.reset();
  if (!t.failed()) check_write_after(t, open, got);
  if (t.failed()) log_ops(t, seed, 0, calls, m);
}

}  // namespace

void run_corrupt_trial(Trial& t) {
  const int format = static_cast<int>(t.seed() % 3);
  t.set_variant(kCorruptVariants[format]);
  Rng rng(mix(t.seed()));
  if (format == 0)
    memvec_trial(t, rng);
  else if (format == 1)
    journal_trial(t, rng);
  else
    store_trial(t, rng);
}

}  // namespace stress
