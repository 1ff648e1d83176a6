// libFuzzer target: model-based operation sequences on DoubleBufferedKV.
// The input is a program: set / erase / set_many / clear / compact / sync /
// reopen / corrupt, applied to a store over two 4 KiB SpanBackends (max_size
// = the buffer, compaction_room 0: compactions, resizes, capacity_exceeded
// and switches happen every few writes) and to a std::map model. Checked:
//  - after every operation the store equals the model; a write fails only
//    with invalid_argument (a NaN/infinite double, a key that is not UTF-8:
//    known before the call) or capacity_exceeded, and then changes nothing;
//  - a reopen with no injected corruption since the last one gives exactly
//    the model, with no loss reported if there never was corruption, and
//    none in the active journal once a write cut any damaged tail;
//  - "corrupt" flips one byte of one buffer (never the same byte twice:
//    damage stays), then reopens: the store opens (or throws memvec::Error:
//    both journals gone, the program ends there), every value it returns
//    was written for that key at some point (damage never invents data), and
//    unless recovery() reports something (a loss, or a note on the other
//    journal) it equals the model. What it holds becomes the model.
// Input: one config byte (bits 0-1 high-water mark, bit 2 power_loss, bits
// 3-4 initial_size), then operations: an opcode byte and its operands.
// Build and run: fuzz/run.sh [seconds].
#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

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

constexpr std::size_t kBufferBytes = 4096;

// MEMVEC_FUZZ_TRACE=1 prints the program as it runs, to read a finding by.
__attribute__((format(printf, 1, 2))) void trace(const char* format, ...) {
  static const bool on = std::getenv("MEMVEC_FUZZ_TRACE") != nullptr;
  if (!on) return;
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
}

struct World {
  // On the heap, each its own allocation: ASan sees a byte past either one.
  std::span<std::byte> buf[2] = {{new std::byte[kBufferBytes], kBufferBytes},
                                 {new std::byte[kBufferBytes], kBufferBytes}};
  memvec::kv::StoreOptions options;
  std::optional<Store> store;
  fuzz::Model model;
  std::map<std::string, std::vector<Value>> written;  // every value ever stored per key
  bool ever_corrupted = false;
  bool tail_dirty = false;  // the active journal opened with a loss, no write since
  // Flipped bytes (buffer * kBufferBytes + offset). Damage is sticky: a
  // second flip of the same byte could undo the first and resurrect a
  // journal the store had set aside, which no real fault does.
  std::set<std::size_t> flipped;
};

std::string make_key(fuzz::Reader& in, bool& valid) {
  const std::uint8_t b = in.u8();
  if (b < 0xF0) return "k" + std::to_string(b % 16);
  if (b < 0xF4) return "";
  if (b < 0xFC) return std::string(64 + b, 'K');
  valid = false;
  return "bad\xff\xfekey";
}

Value make_value(fuzz::Reader& in, bool& valid) {
  switch (in.u8() % 9) {
    case 0:
      return static_cast<std::int8_t>(in.u8());
    case 1:
      return static_cast<std::int64_t>(in.u64());
    case 2:
      return in.u64();
    case 3:
      return (in.u8() & 1) != 0;
    case 4: {
      std::string s(in.u8() % 16, 'a');
      for (char& c : s) c = static_cast<char>('a' + in.u8() % 26);
      return s;
    }
    case 5:  // large: fills a 4 KiB journal in a few writes
      return std::string(in.u16() % 2048, static_cast<char>('A' + in.u8() % 26));
    case 6: {
      const std::uint64_t bits = in.u64();
      double d;
      std::memcpy(&d, &bits, sizeof d);
      if (!std::isfinite(d)) valid = false;
      return d;
    }
    case 7:
      return nullptr;  // a null value erases
    default:
      return Value::array({static_cast<int>(in.u8()), Value::object({{"n", "x"}})});
  }
}

void check_store(World& w) {
  const Store& s = *w.store;
  FUZZ_CHECK(fuzz::to_model(s.as_hashmap()) == w.model);
  FUZZ_CHECK(s.size() == w.model.size());
  if (const auto err = s.last_compaction_error()) FUZZ_CHECK(err->code() == errc::capacity_exceeded);
}

void apply(World& w, const std::string& key, const Value& value) {
  if (value.is_null()) {
    w.model.erase(key);
  } else {
    w.model[key] = value;
    w.written[key].push_back(value);
  }
}

// Runs one write. `valid`: whether the arguments can be encoded at all.
// `record`: a set/erase/set_many, which reaches the active journal's commit
// (and its tail cleaning) even when it then finds no room; a compaction that
// fails leaves the active journal as it was.
template <class Op, class Effect>
void attempt(World& w, bool valid, bool record, Op&& op, Effect&& effect) {
  try {
    op();
  } catch (const memvec::Error& e) {
    trace("  -> %s\n", e.what());
    FUZZ_CHECK(e.code() == (valid ? errc::capacity_exceeded : errc::invalid_argument));
    if (valid && record) w.tail_dirty = false;
    check_store(w);
    return;
  }
  FUZZ_CHECK(valid);
  effect();
  w.tail_dirty = false;
  check_store(w);
}

// (Re)opens the store over both buffers. Returns false when it cannot be
// opened (allowed only after injected corruption).
bool open(World& w, bool corrupted) {
  w.store.reset();
  try {
    w.store.emplace(SpanBackend(w.buf[0]), SpanBackend(w.buf[1]), w.options);
  } catch (const memvec::Error& e) {
    trace("open: %s\n", e.what());
    FUZZ_CHECK(corrupted || w.ever_corrupted);
    return false;
  }
  const memvec::kv::Recovery r = w.store->recovery();
  fuzz::check_recovery(r, false);
  const fuzz::Model got = fuzz::to_model(w.store->as_hashmap());
  trace("open: active %d generation %llu, %zu keys (model %zu), loss %d, reason '%s'\n",
        w.store->active(), static_cast<unsigned long long>(w.store->generation()), got.size(),
        w.model.size(), static_cast<int>(r.loss), r.reason.c_str());
  const DataLoss active_loss = fuzz::journal_loss(w.buf[w.store->active()]);
  if (!corrupted) {
    FUZZ_CHECK(got == w.model);
    if (!w.ever_corrupted) FUZZ_CHECK(r.loss == DataLoss::none && r.reason.empty());
    // Notes on a damaged other journal stay until a compaction recycles it;
    // the active journal's own loss lasts only until the next write.
    if (!w.tail_dirty) FUZZ_CHECK(active_loss == DataLoss::none);
    return true;
  }
  for (const auto& [key, value] : got) {  // damage never invents a value
    const auto it = w.written.find(key);
    FUZZ_CHECK(it != w.written.end());
    bool seen = false;
    for (const Value& v : it->second) seen = seen || v == value;
    FUZZ_CHECK(seen);
  }
  const bool reported = r.loss != DataLoss::none || !r.reason.empty();
  if (!reported) FUZZ_CHECK(got == w.model);
  w.model = got;
  w.tail_dirty = active_loss != DataLoss::none;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Reader in(data, size);
  static World w;  // 8 KiB of buffers: reused, reset here
  w.store.reset();
  for (auto& b : w.buf) std::fill(b.begin(), b.end(), std::byte{0});
  w.model.clear();
  w.written.clear();
  w.flipped.clear();
  w.ever_corrupted = w.tail_dirty = false;

  const unsigned config = in.u8();
  constexpr double kRatios[4] = {0.8, 0.5, 1.0, 0.65};
  constexpr std::size_t kInitial[4] = {512, 1024, 2048, 4096};
  w.options = {};
  w.options.high_water_mark_ratio = kRatios[config & 3];
  w.options.durability =
      (config & 4) ? memvec::Durability::power_loss : memvec::Durability::process_crash;
  w.options.initial_size = kInitial[(config >> 3) & 3];
  w.options.max_size = kBufferBytes;
  w.options.compaction_room = 0;
  FUZZ_CHECK(open(w, false));  // both blank: a new store

  for (int ops = 0; !in.empty() && ops < 400; ++ops) {
    Store& s = *w.store;
    switch (in.u8() % 10) {
      case 0:
      case 1: {
        bool valid = true;
        const std::string key = make_key(in, valid);
        const Value value = make_value(in, valid);
        trace("set %s = %s\n", key.c_str(), value.to_json().c_str());
        attempt(w, valid, true, [&] { s.set(key, value); }, [&] { apply(w, key, value); });
        break;
      }
      case 2: {
        bool valid = true;
        const std::string key = make_key(in, valid);
        trace("erase %s\n", key.c_str());
        attempt(w, valid, true, [&] { s.erase(key); }, [&] { apply(w, key, nullptr); });
        break;
      }
      case 3: {  // one atomic batch; for a key given twice the last one wins
        std::vector<std::pair<std::string, Value>> items(1 + in.u8() % 4);
        std::vector<bool> ok(items.size(), true);
        for (std::size_t i = 0; i < items.size(); ++i) {
          bool key_ok = true, value_ok = true;
          items[i].first = make_key(in, key_ok);
          items[i].second = make_value(in, value_ok);
          ok[i] = key_ok && value_ok;
        }
        // Only the last item of each key is encoded: a NaN it replaces is fine.
        bool valid = true;
        for (std::size_t i = 0; i < items.size(); ++i) {
          bool last = true;
          for (std::size_t j = i + 1; j < items.size(); ++j) last = last && items[j].first != items[i].first;
          if (last) valid = valid && ok[i];
        }
        trace("set_many of %zu\n", items.size());
        attempt(w, valid, true, [&] { s.set_many(items); }, [&] {
          for (const auto& [key, value] : items) apply(w, key, value);
        });
        break;
      }
      case 4:
        trace("clear\n");
        attempt(w, true, false, [&] { s.clear(); }, [&] { w.model.clear(); });
        break;
      case 5:
        trace("compact\n");
        attempt(w, true, false, [&] { s.compact(); }, [] {});
        break;
      case 6:
        s.sync();
        check_store(w);
        break;
      case 7:
        FUZZ_CHECK(open(w, false));
        break;
      case 8:
        break;  // spare opcode: a no-op, so that the fuzzer can pad
      default: {  // flip one byte (a header byte half of the time), reopen
        const std::size_t which = in.u8() & 1;
        const std::uint16_t at = in.u16();
        const std::size_t pos = (at & 0x8000) ? at % memvec::kHeaderSize : at % kBufferBytes;
        const std::uint8_t mask = in.u8();
        if (!w.flipped.insert(which * kBufferBytes + pos).second) break;
        trace("corrupt %zu at %zu ^ %u\n", which, pos, mask);
        w.store.reset();
        w.buf[which][pos] ^= static_cast<std::byte>(mask == 0 ? 1 : mask);
        w.ever_corrupted = true;
        if (!open(w, true)) return 0;
        break;
      }
    }
  }
  FUZZ_CHECK(open(w, false));  // every program ends with a clean reopen
  return 0;
}
