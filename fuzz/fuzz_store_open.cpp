// libFuzzer target: DoubleBufferedKV<SpanBackend> opening an arbitrary pair
// of buffers. Both journal files are untrusted input, and the store's
// constructor is where it picks one (newest complete generation), so for
// any pair:
//  - the constructor opens or throws memvec::Error; it writes nothing
//    unless it found no store (then it formats a new one: empty, generation
//    1; or, when B is too small for a journal, throws with A formatted);
//  - recovery() is self-consistent, and what it reads is consistent: every
//    entry of as_hashmap() is found by get()/contains(), size() agrees;
//  - the store stays usable: a few writes and a compact() or clear() each
//    succeed or throw capacity_exceeded with nothing changed, and a reopen
//    finds exactly the contents read at open with the successful writes
//    applied, no loss in the active journal once a write succeeded (it cut
//    off any damaged tail), and no loss at all if the first open reported none.
// Input: u16 split (little-endian), one flags byte, then the bytes, cut at
// split % (bytes + 1) into journal A and journal B. Flags: bits 0-2 repair
// both (fuzz_util.hpp: word checks, header CRC, record CRCs), bits 3-4 the
// high-water mark, bit 5 Durability::power_loss, bit 6 compaction_room 0
// (else 1 KiB), bit 7 clear() instead of compact().
// Build and run: fuzz/run.sh [seconds].
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "fuzz_util.hpp"
#include "memvec/error.hpp"
#include "memvec/kv/double_buffered.hpp"
#include "memvec/span_backend.hpp"

namespace {

using memvec::errc;
using memvec::SpanBackend;
using memvec::kv::DataLoss;
using memvec::kv::Value;
using Store = memvec::kv::DoubleBufferedKV<SpanBackend>;

fuzz::Model read_all(const Store& s) {
  const fuzz::Model m = fuzz::to_model(s.as_hashmap());
  FUZZ_CHECK(s.size() == m.size() && s.empty() == m.empty());
  for (const auto& [key, value] : m) {
    FUZZ_CHECK(!value.is_null());
    const auto got = s.get(key);
    FUZZ_CHECK(got && *got == value && s.contains(key));
    (void)value.to_json();
  }
  FUZZ_CHECK(s.active() == 0 || s.active() == 1);
  (void)s.generation();
  (void)s.usage_ratio();
  (void)s.high_water_mark_triggered();
  return m;
}

// Runs a write; on success applies `effect` to the model. On a fixed
// backend a write may only fail for lack of room, and then changes nothing.
// Returns whether it succeeded.
bool write(Store& s, fuzz::Model& model, const std::function<void()>& op,
           const std::function<void(fuzz::Model&)>& effect) {
  bool ok = true;
  try {
    op();
    effect(model);
  } catch (const memvec::Error& e) {
    FUZZ_CHECK(e.code() == errc::capacity_exceeded);
    ok = false;
  }
  FUZZ_CHECK(read_all(s) == model);
  if (const auto err = s.last_compaction_error()) FUZZ_CHECK(err->code() == errc::capacity_exceeded);
  return ok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Reader in(data, size);
  const std::size_t split = in.u16();
  const unsigned flags = in.u8();
  const auto rest = in.rest();
  const std::size_t cut = split % (rest.size() + 1);
  fuzz::Buffer a(rest.first(cut)), b(rest.subspan(cut));
  fuzz::repair(a.span(), flags & 7);
  fuzz::repair(b.span(), flags & 7);
  const std::string before_a = a.snapshot(), before_b = b.snapshot();

  memvec::kv::StoreOptions options;
  options.initial_size = 512;
  options.max_size = 4096;
  constexpr double kRatios[4] = {0.8, 0.5, 1.0, 0.3};
  options.high_water_mark_ratio = kRatios[(flags >> 3) & 3];
  if (flags & 0x20) options.durability = memvec::Durability::power_loss;
  options.compaction_room = (flags & 0x40) ? 0 : 1024;

  std::optional<Store> s;
  try {
    s.emplace(SpanBackend(a.span()), SpanBackend(b.span()), options);
  } catch (const memvec::Error&) {
    // Nothing written, except when formatting a new store (A first) found
    // B too small for a journal: then A holds an empty first journal.
    FUZZ_CHECK(b.equals(before_b));
    if (!a.equals(before_a)) {
      const auto j = memvec::kv::KVJournal<SpanBackend>::open(SpanBackend(a.span()));
      FUZZ_CHECK(j.empty() && j.generation() == 1);
    }
    return 0;
  }
  // Opening never writes, unless what it found was no store at all (blank
  // or interrupted formats, library's judgment): then it made a new one.
  if (!a.equals(before_a) || !b.equals(before_b))
    FUZZ_CHECK(s->empty() && s->generation() == 1 && s->active() == 0 &&
               s->recovery().loss == DataLoss::none);
  fuzz::check_recovery(s->recovery(), false);
  const DataLoss loss_at_open = s->recovery().loss;

  fuzz::Model model = read_all(*s);
  const std::string first = model.empty() ? std::string("fz-0") : model.begin()->first;
  Store& st = *s;
  bool wrote = write(st, model, [&] { st.set("fz-0", static_cast<int>(flags)); },
        [&](fuzz::Model& m) { m["fz-0"] = static_cast<int>(flags); });
  wrote |= write(st, model, [&] { st.set("fz-1", std::string(40, 'v')); },
        [&](fuzz::Model& m) { m["fz-1"] = std::string(40, 'v'); });
  wrote |= write(st, model, [&] { st.erase(first); }, [&](fuzz::Model& m) { m.erase(first); });
  if (flags & 0x80)
    wrote |= write(st, model, [&] { st.clear(); }, [&](fuzz::Model& m) { m.clear(); });
  else
    wrote |= write(st, model, [&] { st.compact(); }, [](fuzz::Model&) {});
  s.reset();

  // A write that succeeded cut the active journal back to its valid prefix
  // (or a compaction replaced it): then the active journal reports no loss.
  // (A failed one may not have reached it: the store first recycles a
  // damaged standby, and that fails for a buffer too small for a header.)
  // The store reports none if it did not at first, and holds the model.
  const Store again(SpanBackend(a.span()), SpanBackend(b.span()), options);
  fuzz::check_recovery(again.recovery(), false);
  if (loss_at_open == DataLoss::none) FUZZ_CHECK(again.recovery().loss == DataLoss::none);
  if (wrote) FUZZ_CHECK(fuzz::journal_loss((again.active() == 0 ? a : b).span()) == DataLoss::none);
  FUZZ_CHECK(read_all(again) == model);
  return 0;
}
