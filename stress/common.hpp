// memvec-stress: what the three campaigns (kill.cpp, power_cut.cpp,
// corrupt.cpp) share: seeds, the per-trial ledger of checks and violations,
// the random KV workload with its model, and scratch directories.
//
// Why a pure function of (seed, call index) for the workload (op_at): the
// kill campaign's child and parent must agree on every call without talking
// beyond an 8-byte ack, and a failing trial must be replayable from its seed
// alone; a generator that has to be run from the start would make both
// depend on how far it got.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "memvec/kv.hpp"
#include "memvec/memvec.hpp"

namespace stress {

using Rng = std::mt19937_64;
using memvec::kv::Index;
using memvec::kv::Value;
using Item = std::pair<std::string, Value>;

constexpr std::uint64_t mix(std::uint64_t x) {  // splitmix64 finalizer
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// An independent stream per (seed, index): trial seeds, calls, sub-streams.
constexpr std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t index) {
  return mix(seed ^ mix(index ^ 0x5EED5EEDull));
}

std::string hex(std::uint64_t v);

// The MemVec element of the kill and corrupt campaigns: 24 bytes with
// their own check, so a torn, damaged or invented element shows (MemVec
// itself checksums no element).
struct Record {
  std::uint64_t seq, payload, check;
  static constexpr std::uint64_t memvec_type_tag = 0x5353455254534D56ull;  // "VMSTRESS"
};
constexpr Record make_record(std::uint64_t seq) {
  const std::uint64_t payload = mix(seq ^ 0xAB);
  return {seq, payload, mix(seq ^ mix(payload))};
}
constexpr bool intact(const Record& r, std::uint64_t index) {
  const Record w = make_record(index);
  return r.seq == w.seq && r.payload == w.payload && r.check == w.check;
}
using RecordVec = memvec::MemVec<Record, memvec::FileBackend>;

// --- one trial's ledger ------------------------------------------------------------

// Counts checks, keeps violations and the history printed with them, and
// the campaign's detail counters. Checks take a message *builder*: most
// checks pass, and formatting their messages would cost more than the check.
class Trial {
 public:
  Trial(std::uint64_t seed, std::filesystem::path scratch)
      : seed_(seed), scratch_(std::move(scratch)) {}

  std::uint64_t seed() const noexcept { return seed_; }
  // A directory of this trial's own, removed by the caller afterwards.
  const std::filesystem::path& scratch() const noexcept { return scratch_; }

  template <class F>
  bool check(bool ok, F&& message) {
    ++checks_;
    if (!ok) fail(message());
    return ok;
  }
  void fail(std::string what);
  void log(std::string line);
  void count(const std::string& counter, std::uint64_t n = 1) { counters_[counter] += n; }
  void set_variant(std::string v) { variant_ = std::move(v); }

  bool failed() const noexcept { return !violations_.empty(); }
  std::uint64_t checks() const noexcept { return checks_; }
  const std::vector<std::string>& violations() const noexcept { return violations_; }
  const std::vector<std::string>& history() const noexcept { return history_; }
  std::uint64_t history_dropped() const noexcept { return history_dropped_; }
  const std::map<std::string, std::uint64_t>& counters() const noexcept { return counters_; }
  const std::string& variant() const noexcept { return variant_; }

 private:
  std::uint64_t seed_;
  std::filesystem::path scratch_;
  std::uint64_t checks_ = 0;
  std::vector<std::string> violations_;
  std::vector<std::string> history_;
  std::uint64_t history_dropped_ = 0;
  std::map<std::string, std::uint64_t> counters_;
  std::string variant_;
};

// The campaigns: each runs one trial from its seed (trial.seed()).
void run_kill_trial(Trial& trial);
void run_power_cut_trial(Trial& trial);
void run_corrupt_trial(Trial& trial);

// Replay seeds pick the variant as seed % variants (see main.cpp): these
// are the variants' names, in that order.
inline constexpr const char* kKillVariants[] = {"memvec", "journal", "store"};
inline constexpr const char* kPowerCutVariants[] = {"journal/power_loss", "journal/process_crash",
                                                    "store/power_loss", "store/process_crash"};
inline constexpr const char* kCorruptVariants[] = {"memvec", "journal", "store"};

// --- the KV workload ---------------------------------------------------------------

struct Op {
  enum Kind : std::uint8_t { set, erase, set_many, clear, compact, sync, reopen } kind = set;
  std::vector<Item> items;  // set: one; erase: one, null; set_many: several (a null erases)
};
const char* kind_name(Op::Kind k) noexcept;

struct Mix {  // weights; a zero weight never picks the kind
  int set = 55, erase = 15, set_many = 20, clear = 0, compact = 0, sync = 0, reopen = 0, big = 0;
  int key_space = 40;
  std::size_t value_max = 200;  // longest ordinary string value
  std::size_t big_min = 2000, big_max = 6000;
};

// Call `index` of the workload `seed`: the same on both sides of a fork.
// Values name the call and slot that wrote them, so a value that was never
// written, or an old one, is told apart from the one expected.
Op op_at(std::uint64_t seed, std::uint64_t index, const Mix& mix);
std::string describe(const Op& op);
// `count` calls from `first`, one history line each (for a failure report).
void log_ops(Trial& trial, std::uint64_t seed, std::uint64_t first, std::uint64_t count,
             const Mix& mix, const char* label = "call");

void apply(Index& m, const Op& op);  // clear/compact/sync/reopen: as the store sees them

// Applies a write to a journal or a store; reopen is the caller's.
template <class Target>
void play(Target& t, const Op& op) {
  switch (op.kind) {
    case Op::set:
      t.set(op.items[0].first, op.items[0].second);
      break;
    case Op::erase:
      t.erase(op.items[0].first);
      break;
    case Op::set_many:
      t.set_many(op.items);
      break;
    case Op::clear:
      t.clear();
      break;
    case Op::compact:
      if constexpr (requires { t.compact(); }) t.compact();
      break;
    case Op::sync:
      t.sync();
      break;
    case Op::reopen:
      break;
  }
}

// Every value ever written for each key: the "no value never written" check.
class Written {
 public:
  void add(const Op& op);
  bool has(const std::string& key, const Value& v) const;
  // "" when every key of `got` holds a value written for it; else the first few offenders.
  std::string strangers(const Index& got) const;

 private:
  std::unordered_map<std::string, std::vector<Value>> values_;
};

std::string describe(const Index& index);
// What differs between a reopened state and an expected one, briefly.
std::string diff(const Index& got, const Index& want);

// --- scratch ------------------------------------------------------------------------

// The run's temp directory (main.cpp makes it under $TMPDIR or /tmp).
const std::filesystem::path& run_dir();
void set_run_dir(std::filesystem::path p);

// A directory under run_dir(), removed with its contents.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace stress
