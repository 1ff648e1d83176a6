// memvec-stress --power-cut: what the journal half (power_cut.cpp) and the
// store half (power_cut_store.cpp) share: SharedFault, a Backend handle that
// lets a journal or store be dropped and reopened over the same FaultDisk
// (a process restart), random cut specs, and Run, a workload with one cut
// moment drawn by reservoir sampling.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"
#include "fault_backend.hpp"

namespace stress::power_cut {

using memvec::Durability;
using memvec::errc;
using memvec::kv::DataLoss;
using memvec::kv::DoubleBufferedKV;
using memvec::kv::JournalOptions;
using memvec::kv::KVJournal;
using memvec::kv::StoreOptions;
using test::CutMode;
using test::CutSpec;
using test::FaultBackend;
using test::FaultDisk;
using test::SizePolicy;
using Image = std::vector<std::byte>;

// A Backend handle on a FaultBackend that outlives the journal or store
// using it, so that dropping one and opening another over the same disk is
// a process restart: the volatile bytes (the page cache) stay, and so does
// what was durable. FaultBackend itself moves into its owner and dies with it.
class SharedFault {
 public:
  SharedFault() = default;
  explicit SharedFault(std::shared_ptr<FaultBackend> be) : be_(std::move(be)) {}
  std::byte* data() noexcept { return be_ ? be_->data() : nullptr; }
  const std::byte* data() const noexcept { return be_ ? std::as_const(*be_).data() : nullptr; }
  std::size_t size() const noexcept { return be_ ? be_->size() : 0; }
  void resize(std::size_t bytes) { get().resize(bytes); }
  void sync(std::size_t offset, std::size_t bytes) { get().sync(offset, bytes); }
  bool writable() const noexcept { return be_ != nullptr; }

 private:
  FaultBackend& get() {
    if (!be_) throw memvec::Error(errc::invalid_argument, "SharedFault: moved-from");
    return *be_;
  }
  std::shared_ptr<FaultBackend> be_;
};
static_assert(memvec::Backend<SharedFault>);

using Journal = KVJournal<SharedFault>;
using Store = DoubleBufferedKV<SharedFault>;

inline SharedFault over(const Image& image, std::size_t limit = SIZE_MAX) {
  return SharedFault(std::make_shared<FaultBackend>(std::span<const std::byte>(image), limit));
}

inline CutSpec random_spec(Rng& rng, std::string& label) {
  CutSpec s;
  const std::uint64_t r = rng() % 100;
  s.mode = r < 30   ? CutMode::drop_unsynced
           : r < 60 ? CutMode::random_subset
           : r < 85 ? CutMode::torn_page
                    : CutMode::keep_all;
  s.seed = rng();
  s.size = rng() % 4 == 0 ? SizePolicy::volatile_size : SizePolicy::durable_size;
  s.torn_at = rng() % 2 == 0 ? 0 : 512 * (1 + rng() % 7);
  label = std::string(test::to_string(s.mode)) + " (seed " + hex(s.seed) + ", torn_at " +
          std::to_string(s.torn_at) +
          (s.size == SizePolicy::volatile_size ? ", volatile size)" : ", durable size)");
  return s;
}

// The one moment the trial cuts at, with what the checks need to know then.
struct Capture {
  bool taken = false;
  bool mid = false;            // inside a call (a sync point or resize), not at its return
  bool in_compaction = false;  // store: a moment on the standby's disk
  std::uint64_t call = 0;
  std::string where;
  Image image[2];
  std::string spec[2];
  Index state, after;  // at the last boundary; once the call in flight returns
  std::size_t boundaries = 0, last_synced = 0;
};

inline std::uint64_t word(const Image& image, std::size_t offset) {
  if (image.size() < memvec::kHeaderSize) return ~std::uint64_t{0};
  return memvec::detail::decode_word(memvec::detail::load_word_raw(image.data(), offset))
      .value_or(~std::uint64_t{0});
}

// A workload (journal or store) with a reservoir-sampled cut.
struct Run {
  Run(Trial& trial, Rng& r, bool pl, std::uint64_t s) : t(trial), rng(r), power_loss(pl), seed(s) {}
  Trial& t;
  Rng& rng;
  bool power_loss;
  std::uint64_t seed;  // the calls' stream
  std::shared_ptr<FaultDisk> disks[2];
  int ndisks = 1;
  std::uint64_t call = 0;
  const Op* current = nullptr;
  int standby = -1;  // store: the standby's disk when the call started
  std::uint64_t events = 0;
  Capture cap;
  Index model, after;
  Written written;
  std::size_t boundaries = 1, last_synced = 0;

  void moment(int disk, const char* what) {
    if (what != nullptr && current == nullptr) return;  // a sync outside the calls
    if (rng() % ++events != 0) return;
    cap.taken = true;
    cap.mid = what != nullptr;
    cap.in_compaction = cap.mid && disk == standby;
    cap.call = call;
    cap.where = cap.mid ? std::string(what) + " inside call " + std::to_string(call) + " (" +
                              kind_name(current->kind) + ")"
                        : "return of call " + std::to_string(call);
    CutSpec spec;
    for (int d = 0; d < ndisks; ++d) {
      // One power cut hits both files; half the time they lose pages the
      // same way, half the time each its own way.
      if (d == 0 || rng() % 2 == 0) {
        spec = random_spec(rng, cap.spec[d]);
      } else {
        spec.seed = rng();
        cap.spec[d] = "the same mode (seed " + hex(spec.seed) + ")";
      }
      cap.image[d] = disks[d]->cut(spec);
    }
    cap.state = model;
    cap.after = cap.mid ? after : model;
    cap.boundaries = boundaries;
    cap.last_synced = last_synced;
  }
  void hook() {
    for (int d = 0; d < ndisks; ++d) {
      disks[d]->on_sync = [this, d](FaultDisk&, std::size_t, std::size_t) {
        moment(d, "sync point");
      };
      disks[d]->on_resize = [this, d](FaultDisk&, std::size_t) { moment(d, "resize"); };
    }
  }
  void unhook() {
    for (int d = 0; d < ndisks; ++d) {
      disks[d]->on_sync = nullptr;
      disks[d]->on_resize = nullptr;
    }
  }
  void log_capture() {
    t.log("cut at " + cap.where + "; " + (ndisks == 2 ? "A: " : "") + cap.spec[0] +
          (ndisks == 2 ? "; B: " + cap.spec[1] : std::string()));
  }
};

// The two halves: one trial each, from the trial's stream.
void journal_trial(Trial& t, Rng& rng, bool power_loss);  // power_cut.cpp
void store_trial(Trial& t, Rng& rng, bool power_loss);    // power_cut_store.cpp

}  // namespace stress::power_cut
