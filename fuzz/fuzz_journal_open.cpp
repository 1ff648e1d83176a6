// libFuzzer target: KVJournal<SpanBackend>::open on arbitrary bytes. A
// journal file is untrusted input, and opening is where damage is judged,
// so for any bytes:
//  - open() and validate() either throw memvec::Error (the same one) or
//    open; opening writes nothing;
//  - recovery() is self-consistent (loss none <=> bytes_dropped 0, a loss
//    is total exactly when nothing replayed, first_bad_offset +
//    bytes_dropped = the committed length) and starts_with_snapshot()
//    agrees with the first record's type byte;
//  - every replayed entry is found by its key, and is writable again (a
//    store's compaction re-encodes the live set: a value that replays but
//    does not encode would make compaction fail forever);
//  - the journal stays usable: one write (set, overwrite, erase or clear,
//    chosen by the flags) and optionally a set_many either succeeds or
//    throws capacity_exceeded with nothing changed, and a reopen then finds
//    no loss (the first write cut off any damaged tail) and exactly the
//    replayed entries with the writes applied.
// Input: one flags byte, then the file. Flags: bits 0-2 repair (fuzz_util.hpp:
// word checks, header CRC, record CRCs), bits 3-4 the write, bit 5
// Durability::power_loss, bit 6 the set_many.
// Build and run: fuzz/run.sh [seconds].
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_util.hpp"
#include "memvec/error.hpp"
#include "memvec/kv/journal.hpp"
#include "memvec/span_backend.hpp"

namespace {

using memvec::errc;
using memvec::SpanBackend;
using memvec::kv::DataLoss;
using memvec::kv::Value;
using Journal = memvec::kv::KVJournal<SpanBackend>;

// Runs a write; on success applies `effect` to the model. A write may only
// fail for lack of room, and then changes nothing.
void write(Journal& j, fuzz::Model& model, const std::function<void()>& op,
           const std::function<void(fuzz::Model&)>& effect) {
  try {
    op();
    effect(model);
  } catch (const memvec::Error& e) {
    FUZZ_CHECK(e.code() == errc::capacity_exceeded);
  }
  FUZZ_CHECK(fuzz::to_model(j.as_hashmap()) == model);
}

void check_opened(const Journal& j) {
  const memvec::kv::Recovery& r = j.recovery();
  fuzz::check_recovery(r, true);
  const std::uint64_t committed = j.used_bytes() + j.log().missing_on_open();
  if (j.log().missing_on_open() > 0) FUZZ_CHECK(r.loss != DataLoss::none);
  if (r.loss != DataLoss::none) {
    FUZZ_CHECK(r.first_bad_offset <= j.used_bytes());
    FUZZ_CHECK(r.first_bad_offset + r.bytes_dropped == committed);
  }
  FUZZ_CHECK(j.used_bytes() <= j.capacity_bytes());
  if (r.records_replayed > 0)
    FUZZ_CHECK(j.starts_with_snapshot() ==
               (static_cast<std::uint8_t>(j.log().data()[memvec::kv::record_offset::kType]) ==
                memvec::kv::kRecordSnapshot));
  else
    FUZZ_CHECK(!j.starts_with_snapshot());
  (void)j.usage_ratio();
  (void)j.high_water_mark_triggered();
  (void)j.epoch();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Reader in(data, size);
  const unsigned flags = in.u8();
  fuzz::Buffer buf(in.rest());
  fuzz::repair(buf.span(), flags & 7);
  const std::string before = buf.snapshot();
  memvec::kv::JournalOptions options;
  if (flags & 0x20) options.durability = memvec::Durability::power_loss;

  std::optional<errc> verdict;
  try {
    const SpanBackend probe(buf.span());
    (void)Journal::validate(probe);
  } catch (const memvec::Error& e) {
    verdict = static_cast<errc>(e.code().value());
  }
  std::optional<Journal> j;
  try {
    j.emplace(Journal::open(SpanBackend(buf.span()), options));
  } catch (const memvec::Error& e) {
    FUZZ_CHECK(buf.equals(before));
    FUZZ_CHECK(verdict && e.code() == *verdict);
    return 0;
  }
  FUZZ_CHECK(!verdict);
  FUZZ_CHECK(buf.equals(before));  // opening never writes
  check_opened(*j);
  const DataLoss loss_at_open = j->recovery().loss;
  bool wrote = false;  // whether a write reached the log (and cut its tail)

  fuzz::Model model = fuzz::to_model(j->as_hashmap());
  FUZZ_CHECK(j->size() == model.size());
  memvec::kv::RecordWriter rewrite;
  rewrite.begin(memvec::kv::kRecordSnapshot);
  for (const auto& [key, value] : model) {
    FUZZ_CHECK(!value.is_null());  // a null erases: never stored
    const std::optional<Value> got = j->get(key);
    FUZZ_CHECK(got && *got == value && j->contains(key));
    (void)value.to_json();
    try {
      rewrite.add(key, value);
    } catch (const memvec::Error&) {
      fuzz::die("a replayed entry does not encode again", __LINE__);
    }
  }
  (void)rewrite.finish(0);

  // One write, chosen by the flags, on the first key in byte order (or a new one).
  const std::string first = model.empty() ? std::string("fz") : model.begin()->first;
  Journal& jj = *j;
  switch ((flags >> 3) & 3) {
    case 0:
      wrote = true;
      write(jj, model, [&] { jj.set("fz-new", static_cast<int>(flags)); },
            [&](fuzz::Model& m) { m["fz-new"] = static_cast<int>(flags); });
      break;
    case 1:
      wrote = true;
      write(jj, model, [&] { jj.set(first, "overwritten"); },
            [&](fuzz::Model& m) { m[first] = "overwritten"; });
      break;
    case 2:
      wrote = true;
      write(jj, model, [&] { jj.erase(first); }, [&](fuzz::Model& m) { m.erase(first); });
      break;
    default:
      // At the largest epoch clear() wraps the epoch to 1 (this target found
      // it throwing after it had dropped the length; corpus seed-epoch-max-clear).
      wrote = true;
      write(jj, model, [&] { jj.clear(); }, [&](fuzz::Model& m) { m.clear(); });
      break;
  }
  if (flags & 0x40) {
    // A batch naming one key twice: the last one wins (here: an erase).
    const std::vector<std::pair<std::string, Value>> items = {
        {"fz-a", 1}, {first, Value::array({1, "x"})}, {"fz-a", nullptr}};
    wrote = true;
    write(jj, model, [&] { jj.set_many(items); },
          [&](fuzz::Model& m) {
            for (const auto& [key, value] : items) {  // in order: `first` may be "fz-a"
              if (value.is_null())
                m.erase(key);
              else
                m[key] = value;
            }
          });
  }
  j.reset();

  // The first write cut the log back to its valid prefix: nothing is lost
  // on reopen (with no write, the same loss again), and the contents are
  // exactly the model.
  const Journal again = Journal::open(SpanBackend(buf.span()), options);
  check_opened(again);
  FUZZ_CHECK(again.recovery().loss == (wrote ? DataLoss::none : loss_at_open));
  FUZZ_CHECK(fuzz::to_model(again.as_hashmap()) == model);
  return 0;
}
