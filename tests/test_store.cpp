// DoubleBufferedKV<B>: the double-buffered store (DESIGN.md §2, §3, §4).
//
//  1. Policy units: choose_active (generation order only; a torn compaction,
//     an unreadable journal and a generation-0 spare are never chosen),
//     standby_size (hysteresis, powers of two, clamps, 0 past max_size) and
//     validate().
//  2. Switching: the seed's example (two 1 KiB buffers, ratio 0.4) switches
//     A -> B -> A -> B ... keeping every key, across reopens after each
//     switch; compact() on demand.
//  3. No resurrection (the first design's defect 3): clear(), deleting every
//     key and overwriting, then a restart, with either journal active, while
//     the other journal provably still holds the old data; a clock stepped
//     backwards (creation times swapped in the headers) changes nothing.
//  4. Full journals (defects 5, 6): a write that does not fit compacts and
//     retries; a live set that does not fit grows the journals up to
//     max_size, then capacity_exceeded with nothing lost; a compaction that
//     fails after a committed write does not fail the write.
//  5. No thrashing (MMKV's lesson): 100 hot keys x 100k sets in 8 KiB
//     journals stay under a derived bound of switches in 8 KiB files; a
//     shrinking live set shrinks the files back.
//  6. Power cuts during compaction (tests/fault_backend.hpp): at every sync
//     point and resize of a workload full of compactions, under each fault
//     mode, for both journals at once. power_loss: the state before or after
//     the call in flight, nothing lost. process_crash: the state of some call
//     boundary, never older than the last sync(), even after compactions
//     rewrote the journal that held it (before any sync() the store may find
//     no complete journal and refuse to open: counted and reported).
//  7. SIGKILL trials over a store that switches often (ack pipe, as in
//     test_crash.cpp). MEMVEC_STORE_CRASH_TRIALS=n, MEMVEC_STORE_CRASH_SEED=s.
//  8. Threads: readers and a compacting writer; 9. processes: locked and
//     read_only; 10. a model-based test against a map, with reopens.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "backend_factory.hpp"
#include "fault_backend.hpp"
#include "memvec/crc32c.hpp"
#include "memvec/kv.hpp"
#include "memvec/memvec.hpp"
#include "crash_harness.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using memvec::AnonBackend;
using memvec::Durability;
using memvec::errc;
using memvec::FileBackend;
using memvec::kHeaderSize;
using memvec::SpanBackend;
using memvec::kv::Array;
using memvec::kv::choose_active;
using memvec::kv::DataLoss;
using memvec::kv::DoubleBufferedKV;
using memvec::kv::DoubleBufferedMemMappedKV;
using memvec::kv::Index;
using memvec::kv::JournalCandidate;
using memvec::kv::JournalMeta;
using memvec::kv::KVJournal;
using memvec::kv::Object;
using memvec::kv::RecordWriter;
using memvec::kv::snapshot_bytes;
using memvec::kv::standby_size;
using memvec::kv::StoreOptions;
using memvec::kv::Value;
using test::CutMode;
using test::CutSpec;
using test::error_of;
using test::FaultBackend;
using test::FaultDisk;
using test::SizePolicy;

using test::AckReader;
using test::ChildGuard;
using test::env_or;
using test::write_all;

namespace {

using Rng = std::mt19937_64;
using Item = std::pair<std::string, Value>;
template <class B>
using Store = DoubleBufferedKV<B>;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string describe(const Index& index) {
  std::map<std::string, std::string> sorted;
  for (const auto& [k, v] : index) sorted.emplace(k, v.to_json());
  std::ostringstream os;
  os << "{";
  std::size_t n = 0;
  for (const auto& [k, v] : sorted) {
    if (++n > 12) {
      os << "...";
      break;
    }
    os << '"' << k.substr(0, 20) << "\": " << v.substr(0, 24) << ", ";
  }
  os << "} (" << index.size() << " keys)";
  return os.str();
}

std::string key_n(std::size_t i) {
  std::string s = std::to_string(i);
  return "key-" + std::string(s.size() < 4 ? 4 - s.size() : 0, '0') + s;
}

// Bytes of the one record set(key, value) writes.
std::size_t record_bytes(std::string_view key, const Value& value) {
  RecordWriter w;
  w.begin(memvec::kv::kRecordBatch);
  w.add(key, value);
  return w.finish(0).size();
}

// --- fixtures: two backends a store is opened (and reopened) over -----------------

// Two caller-owned buffers; reconstructing the store over them is what a
// program that kept the buffers would see after a restart.
struct SpanPair {
  static constexpr bool persistent = true;
  static constexpr bool file = false;
  static constexpr const char* name = "SpanBackend";
  explicit SpanPair(std::size_t bytes = 64 * 1024)
      : buf{test::AlignedBuffer(bytes), test::AlignedBuffer(bytes)} {}
  std::unique_ptr<Store<SpanBackend>> open(const StoreOptions& o) {
    return std::make_unique<Store<SpanBackend>>(SpanBackend(std::span<std::byte>(buf[0])),
                                                SpanBackend(std::span<std::byte>(buf[1])), o);
  }
  std::vector<std::byte> bytes(int i) const { return {buf[i].begin(), buf[i].end()}; }
  void put(int i, const std::vector<std::byte>& b) {
    std::copy(b.begin(), b.end(), buf[i].begin());
  }
  test::AlignedBuffer buf[2];
};

// Two files in a fresh directory, opened with DoubleBufferedMemMappedKV::open.
struct FilePair {
  static constexpr bool persistent = true;
  static constexpr bool file = true;
  static constexpr const char* name = "FileBackend";
  std::unique_ptr<Store<FileBackend>> open(const StoreOptions& o) {
    // new T(prvalue): guaranteed elision (the store is neither copyable nor movable).
    return std::unique_ptr<Store<FileBackend>>(
        new Store<FileBackend>(DoubleBufferedMemMappedKV::open(path[0], path[1], o)));
  }
  std::vector<std::byte> bytes(int i) const { return test::read_file(path[i]); }
  void put(int i, const std::vector<std::byte>& b) { test::write_file(path[i], b); }
  std::size_t file_size(int i) const { return fs::file_size(path[i]); }
  test::TempDir dir;
  fs::path path[2] = {dir / "a.kv", dir / "b.kv"};
};

// Anonymous memory: grows, but nothing survives the store.
struct AnonPair {
  static constexpr bool persistent = false;
  static constexpr bool file = false;
  static constexpr const char* name = "AnonBackend";
  std::unique_ptr<Store<AnonBackend>> open(const StoreOptions& o) {
    return std::make_unique<Store<AnonBackend>>(AnonBackend{}, AnonBackend{}, o);
  }
};

// The journal in one backend's bytes, opened on a copy.
struct Inspected {
  bool readable = false;
  JournalMeta meta;
  Index index;
  bool complete = false;
  std::string error;
};

Inspected inspect(const std::vector<std::byte>& bytes) {
  test::AlignedBuffer copy(bytes.begin(), bytes.end());
  Inspected out;
  try {
    auto j = KVJournal<SpanBackend>::open(SpanBackend(std::span<std::byte>(copy)));
    out.readable = true;
    out.meta = j.meta();
    out.index = j.as_hashmap();
    out.complete = j.starts_with_snapshot();
  } catch (const memvec::Error& e) {
    out.error = e.what();
  }
  return out;
}

// Rewrites the journal's creation time in a header and fixes the MemVec
// header CRC (CRC32C of [0, 44) and [72, 256), as src/header.cpp does).
void set_created(std::vector<std::byte>& h, std::uint64_t unix_ns) {
  namespace off = memvec::header_offset;
  std::memcpy(h.data() + off::kUserArea + 16, &unix_ns, sizeof unix_ns);
  const std::uint32_t head = memvec::crc32c(h.data(), off::kHeaderCrc);
  const std::uint32_t crc =
      memvec::crc32c(h.data() + off::kUserArea, kHeaderSize - off::kUserArea, head);
  std::memcpy(h.data() + off::kHeaderCrc, &crc, sizeof crc);
}

// One blank page: what a freshly created file of initial_size 4096 holds.
// (Not 0 bytes: FaultDisk::cut_with memcpy's from an empty durable image's
// null data(), which UBSan rejects.)
constexpr std::size_t kBlank = 4096;

// --- a random workload -------------------------------------------------------------

struct Op {
  enum Kind { set, erase, set_many, clear, compact, sync, reopen } kind = set;
  std::string key;
  Value value;
  std::vector<Item> items;
};

const char* kind_name(Op::Kind k) {
  switch (k) {
    case Op::set:
      return "set";
    case Op::erase:
      return "erase";
    case Op::set_many:
      return "set_many";
    case Op::clear:
      return "clear";
    case Op::compact:
      return "compact";
    case Op::sync:
      return "sync";
    case Op::reopen:
      return "reopen";
  }
  return "?";
}

struct Mix {
  int set = 60, erase = 15, set_many = 15, clear = 1, compact = 3, sync = 0, reopen = 0;
  int big = 0;  // a set of a big string value (big_min..big_max bytes)
  int key_space = 40;
  std::size_t value_max = 200;
  std::size_t big_min = 4000, big_max = 9000;
};

class Generator {
 public:
  Generator(std::uint64_t seed, Mix mix) : rng_(seed), mix_(mix) {}

  Op next() {
    Op op;
    const int total = mix_.set + mix_.erase + mix_.set_many + mix_.clear + mix_.compact +
                      mix_.sync + mix_.reopen + mix_.big;
    int r = static_cast<int>(rng_() % static_cast<std::uint64_t>(total));
    if ((r -= mix_.set) < 0) {
      op.key = key();
      op.value = value(0);
    } else if ((r -= mix_.big) < 0) {
      op.key = key();
      const std::size_t n = mix_.big_min + rng_() % (mix_.big_max - mix_.big_min + 1);
      op.value = Value(std::string(n, static_cast<char>('a' + rng_() % 26)));
    } else if ((r -= mix_.erase) < 0) {
      op.kind = Op::erase;
      op.key = key();
    } else if ((r -= mix_.set_many) < 0) {
      op.kind = Op::set_many;
      const std::size_t n = 1 + rng_() % 6;
      for (std::size_t i = 0; i < n; ++i) {
        std::string k = (i > 0 && rng_() % 5 == 0) ? op.items[rng_() % i].first : key();
        op.items.emplace_back(std::move(k), rng_() % 6 == 0 ? Value() : value(0));
      }
    } else if ((r -= mix_.clear) < 0) {
      op.kind = Op::clear;
    } else if ((r -= mix_.compact) < 0) {
      op.kind = Op::compact;
    } else if ((r -= mix_.sync) < 0) {
      op.kind = Op::sync;
    } else {
      op.kind = Op::reopen;
    }
    return op;
  }

 private:
  std::string key() {
    const auto id = std::to_string(rng_() % static_cast<std::uint64_t>(mix_.key_space));
    switch (rng_() % 50) {
      case 0:
        return "";
      case 1:
        return "\xD0\xBA\xD0\xBB\xD1\x8E\xD1\x87-" + id;  // "ключ-"
      case 2:
        return std::string(60, 'x') + id;
      default:
        return "k" + id;
    }
  }
  Value value(int depth) {
    switch (rng_() % 10) {
      case 0:
        return Value(static_cast<std::int64_t>(rng_() % 2000) - 1000);
      case 1:
        return Value(static_cast<std::int64_t>(rng_()));
      case 2:
        return Value(static_cast<double>(rng_() % 100000) / 8.0);
      case 3:
        return Value(rng_() % 2 == 0);
      case 4:
        if (depth == 0) {
          Array a;
          for (std::size_t i = rng_() % 4; i > 0; --i) a.push_back(value(1));
          return Value(std::move(a));
        }
        return Value(nullptr);  // a null inside an array is data
      case 5:
        if (depth == 0) {
          Object o;
          for (std::size_t i = rng_() % 3; i > 0; --i)
            o["f" + std::to_string(rng_() % 9)] = value(1);
          return Value(std::move(o));
        }
        return Value("leaf");
      default: {
        std::string s(rng_() % (mix_.value_max + 1), ' ');
        for (char& c : s) c = static_cast<char>('a' + rng_() % 26);
        return Value(std::move(s));
      }
    }
  }

  Rng rng_;
  Mix mix_;
};

void play(Index& m, const std::string& key, const Value& v) {
  if (v.is_null())
    m.erase(key);
  else
    m[key] = v;
}

void play(Index& m, const Op& op) {
  switch (op.kind) {
    case Op::set:
      play(m, op.key, op.value);
      break;
    case Op::erase:
      m.erase(op.key);
      break;
    case Op::set_many:
      for (const auto& [k, v] : op.items) play(m, k, v);
      break;
    case Op::clear:
      m.clear();
      break;
    default:
      break;
  }
}

template <class B>
void play(Store<B>& s, const Op& op) {
  switch (op.kind) {
    case Op::set:
      s.set(op.key, op.value);
      break;
    case Op::erase:
      s.erase(op.key);
      break;
    case Op::set_many:
      s.set_many(op.items);
      break;
    case Op::clear:
      s.clear();
      break;
    case Op::compact:
      s.compact();
      break;
    case Op::sync:
      s.sync();
      break;
    case Op::reopen:
      break;  // the caller's
  }
}

}  // namespace

// ============================================================================
// 1. Policy units
// ============================================================================

TEST_CASE("store: choose_active takes the higher generation when both journals are complete") {
  CHECK(choose_active({true, 5, true}, {true, 6, true}) == 1);
  CHECK(choose_active({true, 6, true}, {true, 5, true}) == 0);
  CHECK(choose_active({true, 1, true}, {true, 2, true}) == 1);
  CHECK(choose_active({true, 1000001, true}, {true, 1000000, true}) == 0);
  const std::uint64_t big = std::numeric_limits<std::uint64_t>::max();
  CHECK(choose_active({true, big - 1, true}, {true, big, true}) == 1);
}

TEST_CASE("store: choose_active never takes a newer journal whose compaction was torn") {
  // The newer generation has no snapshot record: a crash tore its
  // compaction. The older, complete one is the store.
  CHECK(choose_active({true, 5, true}, {true, 6, false}) == 0);
  CHECK(choose_active({true, 6, false}, {true, 5, true}) == 1);
  CHECK(choose_active({true, 1, true}, {true, 2, false}) == 0);
}

TEST_CASE("store: choose_active takes the other journal when one is unreadable") {
  // Whatever generation an unreadable header might claim.
  CHECK(choose_active({false, 9, true}, {true, 3, true}) == 1);
  CHECK(choose_active({true, 3, true}, {false, 9, true}) == 0);
  CHECK(choose_active({false, 0, false}, {true, 7, true}) == 1);
}

TEST_CASE("store: choose_active never takes a generation-0 spare") {
  CHECK(choose_active({true, 0, true}, {true, 1, true}) == 1);
  CHECK(choose_active({true, 1, true}, {true, 0, true}) == 0);
  CHECK(choose_active({true, 0, true}, {true, 0, true}) == -1);
  CHECK(choose_active({true, 0, true}, {false, 4, true}) == -1);
}

TEST_CASE("store: choose_active returns -1 when neither journal can be active") {
  CHECK(choose_active({}, {}) == -1);
  CHECK(choose_active({false, 3, true}, {false, 4, true}) == -1);
  CHECK(choose_active({true, 3, false}, {true, 4, false}) == -1);
  CHECK(choose_active({true, 3, false}, {false, 4, true}) == -1);
}

TEST_CASE("store: choose_active over every small combination follows generation order only") {
  int cases = 0;
  for (int ra = 0; ra < 2; ++ra)
    for (int ca = 0; ca < 2; ++ca)
      for (std::uint64_t ga = 0; ga < 4; ++ga)
        for (int rb = 0; rb < 2; ++rb)
          for (int cb = 0; cb < 2; ++cb)
            for (std::uint64_t gb = 0; gb < 4; ++gb) {
              const JournalCandidate a{ra == 1, ga, ca == 1}, b{rb == 1, gb, cb == 1};
              const bool ea = a.readable && a.complete && a.generation > 0;
              const bool eb = b.readable && b.complete && b.generation > 0;
              const int got = choose_active(a, b);
              INFO("a {" << ra << "," << ga << "," << ca << "} b {" << rb << "," << gb << "," << cb
                         << "}");
              if (!ea && !eb) {
                CHECK(got == -1);
              } else if (ea && eb) {
                CHECK(got == (gb > ga ? 1 : 0));
              } else {
                CHECK(got == (ea ? 0 : 1));
              }
              // Symmetric: swapping the journals swaps the answer.
              const int swapped = choose_active(b, a);
              CHECK(swapped == (got < 0 ? -1 : (ea && eb && ga == gb) ? 0 : 1 - got));
              ++cases;
            }
  CHECK(cases == 256);
}

TEST_CASE(
    "store: standby_size leaves room for the live set and max(live set, compaction_room) more "
    "below the high-water mark") {
  // Hysteresis: a compaction into a journal of standby_size(need) bytes is
  // followed by at least max(need, compaction_room) bytes of fresh writes
  // before the high-water mark, so a live set near half the file cannot
  // thrash (MMKV's lesson) and a tiny hot set does not sync every few writes.
  std::size_t checked = 0;
  Rng rng(7);
  for (const double ratio : {0.05, 0.1, 0.4, 0.5, 0.8, 0.999, 1.0}) {
    for (const std::size_t initial :
         {std::size_t{0}, std::size_t{1024}, std::size_t{4096}, std::size_t{8192}}) {
      for (const std::size_t max : {std::size_t{8192}, std::size_t{65536}, std::size_t{1} << 20,
                                    std::size_t{1} << 30, std::size_t{100000}})
      for (const std::size_t room : {std::size_t{0}, std::size_t{3000}, std::size_t{65536}}) {
        if (initial > max) continue;
        const StoreOptions o{.initial_size = initial,
                             .max_size = max,
                             .high_water_mark_ratio = ratio,
                             .compaction_room = room};
        const std::size_t fresh_room = std::min(room, max - kHeaderSize);
        REQUIRE_NOTHROW(memvec::kv::validate(o));
        const std::uint32_t ppm = memvec::kv::detail::ratio_ppm(ratio, "");
        std::vector<std::size_t> needs = {0,
                                          1,
                                          2,
                                          100,
                                          1000,
                                          1500,
                                          4000,
                                          max / 4,
                                          max / 2,
                                          max - kHeaderSize - 1,
                                          max - kHeaderSize,
                                          max - kHeaderSize + 1,
                                          max,
                                          max + 1};
        for (int k = 0; k < 60; ++k) needs.push_back(rng() % (max + 64));
        std::sort(needs.begin(), needs.end());
        std::size_t previous = 0;
        for (const std::size_t need : needs) {
          const std::size_t r = standby_size(need, o);
          INFO("ratio " << ratio << " initial " << initial << " max " << max << " room " << room
                        << " need " << need << " -> " << r);
          ++checked;
          if (need > max - kHeaderSize) {
            CHECK(r == 0);  // cannot fit even at max_size
            continue;
          }
          CHECK(r >= std::max<std::size_t>(initial, kHeaderSize + need));
          CHECK(r <= max);
          CHECK(r >= previous);  // monotone in need
          previous = r;
          const bool clamped_up = r == initial;
          const bool clamped_down = r == max;
          CHECK((std::has_single_bit(r) || clamped_up || clamped_down));
          // The high-water mark of a journal in r bytes (its log starts past
          // the 256-byte header) leaves `fresh` bytes after the snapshot.
          const std::size_t fresh = std::max(need, fresh_room);
          const std::size_t hwm = memvec::kv::detail::apply_ppm(r - kHeaderSize, ppm);
          if (!clamped_down) {
            CHECK(hwm >= need + fresh);
            CHECK(static_cast<double>(r) >=
                  static_cast<double>(need + fresh) / ratio + kHeaderSize - 1);
          }
          // Never oversized: half of it would not have had that room.
          if (!clamped_up && !clamped_down && r / 2 >= kHeaderSize)
            CHECK(memvec::kv::detail::apply_ppm(r / 2 - kHeaderSize, ppm) <= need + fresh);
        }
      }
    }
  }
  // A few exact values.
  const StoreOptions hot{.initial_size = 8192, .compaction_room = 0};
  CHECK(standby_size(0, hot) == 8192);
  CHECK(standby_size(1500, hot) == 8192);  // 1500 * 2 / 0.8 fits 8 KiB
  const StoreOptions hot_default{.initial_size = 8192};
  CHECK(standby_size(1500, hot_default) == 131072);  // 256 + (1500 + 65536) / 0.8 + 1 -> 128 KiB
  const StoreOptions half{.initial_size = 4096,
                          .max_size = 1 << 20,
                          .high_water_mark_ratio = 0.5,
                          .compaction_room = 0};
  CHECK(standby_size(5000, half) == 32768);  // 256 + 4 * 5000 + 1 -> 32 KiB
  CHECK(standby_size((1 << 20) - 256, half) == (1 << 20));
  CHECK(standby_size((1 << 20) - 255, half) == 0);
  WARN("standby_size: " << checked << " (need, options) cases checked");
}

TEST_CASE("store: torn_compaction: only a newer journal with nothing committed is a torn "
          "compaction; committed bytes that are no snapshot are damage") {
  using memvec::kv::torn_compaction;
  CHECK(torn_compaction(0));
  CHECK_FALSE(torn_compaction(11));  // an empty snapshot's size: synced before its commit
  CHECK_FALSE(torn_compaction(500));
  CHECK(snapshot_bytes(Index{}) == 11);  // 9-byte frame header, object start and end
}

TEST_CASE("store: damage to the active journal is reported, never a silent rollback; both "
          "headers wiped refuse to open and change nothing") {
  FilePair fx;
  const StoreOptions o{.initial_size = 4096, .high_water_mark_ratio = 0.5, .compaction_room = 0};
  Index model;
  {
    auto s = fx.open(o);
    for (int i = 0; i < 40; ++i) {
      const Value v(std::string(100, 'v') + std::to_string(i));
      s->set(key_n(static_cast<std::size_t>(i % 10)), v);
      model[key_n(static_cast<std::size_t>(i % 10))] = v;
    }
    s->compact();
    s->set("last", Value(1));  // a write after the snapshot: the switch happened
    model["last"] = Value(1);
    REQUIRE(s->switch_count() >= 2);
  }
  const int active = [&] { return fx.open(o)->active(); }();
  const auto clean = fx.bytes(active);
  const auto other = fx.bytes(1 - active);
  const auto damage_and_reopen = [&](const char* what, const std::function<void()>& damage) {
    INFO(what);
    fx.put(active, clean);
    fx.put(1 - active, other);
    damage();
    auto r = fx.open(o);
    CHECK(r->active() == 1 - active);  // the older journal: all that is left
    CHECK(r->recovery().loss != DataLoss::none);
    CHECK(r->recovery().reason.find(active == 0 ? "journal A" : "journal B") != std::string::npos);
    CHECK(r->as_hashmap() != model);  // an older state, and said to be
    r->set("writable", Value(true));  // and the store goes on
    Index after = r->as_hashmap();
    r.reset();
    // The first write formatted the damaged journal as a spare: reported once.
    auto again = fx.open(o);
    CHECK(again->recovery().loss == DataLoss::none);
    CHECK(again->recovery().reason == "");
    CHECK(again->as_hashmap() == after);
  };
  damage_and_reopen("a flipped header byte", [&] { test::flip_byte(fx.path[active], 100); });
  damage_and_reopen("a zeroed header", [&] {
    auto b = clean;
    std::fill(b.begin(), b.begin() + 256, std::byte{0});
    fx.put(active, b);
  });
  damage_and_reopen("a flipped byte in the snapshot record",
                    [&] { test::flip_byte(fx.path[active], 256 + 20); });
  damage_and_reopen("the file cut inside the snapshot record",
                    [&] { test::truncate_to(fx.path[active], 256 + 20); });
  // memvec-stress --corrupt: a file too short for a header was left as it
  // was by the first write, and every reopen reported it again.
  damage_and_reopen("the file cut shorter than a header",
                    [&] { test::truncate_to(fx.path[active], 6); });
  // Both headers wiped: no journal left, and the store must not format new
  // ones over the logs.
  fx.put(active, clean);
  fx.put(1 - active, other);
  for (int i = 0; i < 2; ++i) {
    auto b = fx.bytes(i);
    std::fill(b.begin(), b.begin() + 256, std::byte{0});
    fx.put(i, b);
  }
  const auto d0 = test::digest(fx.path[0]), d1 = test::digest(fx.path[1]);
  CHECK(error_of([&] { (void)fx.open(o); }) == errc::corrupt_header);
  CHECK(test::digest(fx.path[0]) == d0);
  CHECK(test::digest(fx.path[1]) == d1);
}

TEST_CASE("store: a damaged snapshot with nothing after it is reported, never taken for a torn "
          "compaction (no silent resurrection after clear)") {
  FilePair fx;
  const StoreOptions o{.initial_size = 4096, .high_water_mark_ratio = 0.5, .compaction_room = 0};
  for (const bool clear : {true, false}) {
    INFO((clear ? "after clear()" : "after compact()"));
    fs::remove(fx.path[0]);
    fs::remove(fx.path[1]);
    int active = 0;
    {
      auto s = fx.open(o);
      s->set("a", Value(1));
      s->set("b", Value("two"));
      clear ? s->clear() : s->compact();
      active = s->active();
    }
    // memvec-stress --corrupt: one flipped byte in a clear()'s 11-byte
    // snapshot looked like a compaction a crash tore, and the cleared keys
    // came back with no loss reported.
    test::flip_byte(fx.path[active], kHeaderSize + 5);
    auto r = fx.open(o);
    CHECK(r->active() == 1 - active);
    CHECK(r->recovery().loss == DataLoss::partial);
    CHECK(r->recovery().reason.find("damaged") != std::string::npos);
  }
}

TEST_CASE("store: a blank standby beside a written journal is reported; beside an empty one "
          "(an interrupted creation) the first write formats it") {
  FilePair fx;
  const StoreOptions o{.initial_size = 4096, .high_water_mark_ratio = 0.5, .compaction_room = 0};
  const auto blank = [&](int i) { return test::all_zero(fx.bytes(i)); };
  // memvec-stress --corrupt: the journal switched to first (generation 2)
  // zeroed whole, next to a generation-1 journal: once read as a spare.
  {
    auto s = fx.open(o);
    s->set("old", Value(1));
    s->compact();
    s->set("new", Value(2));
    REQUIRE(s->active() == 1);
    REQUIRE(s->generation() == 2);
  }
  test::write_file(fx.path[1], std::vector<std::byte>(606));
  {
    auto r = fx.open(o);
    CHECK(r->active() == 0);
    CHECK(r->recovery().loss == DataLoss::partial);
    CHECK(r->recovery().reason.find("journal B") != std::string::npos);
    CHECK(r->get("old") == Value(1));
    r->set("after", Value(3));
  }
  CHECK_FALSE(blank(1));  // recycled by that write: reported once
  CHECK(fx.open(o)->recovery().loss == DataLoss::none);

  // A creation cut after A was formatted: A empty, B blank. Nothing was
  // ever written, so nothing is reported, and the first write formats B.
  fs::remove(fx.path[0]);
  fs::remove(fx.path[1]);
  fx.open(o).reset();
  test::write_file(fx.path[1], std::vector<std::byte>(fx.file_size(1)));
  {
    auto r = fx.open(o);
    CHECK(r->recovery().loss == DataLoss::none);
    CHECK(blank(1));  // opening writes nothing
    r->set("k", Value(1));
  }
  CHECK_FALSE(blank(1));
  {
    auto r = fx.open(o);
    CHECK(r->recovery().loss == DataLoss::none);
    CHECK(r->get("k") == Value(1));
  }
  // memvec-stress --corrupt: clear() on a new store, writes, then B wiped
  // whole: A, generation 1 and empty, read as an interrupted creation.
  // Now the compaction leaves a generation-0 spare: no complete journal.
  fs::remove(fx.path[0]);
  fs::remove(fx.path[1]);
  {
    auto s = fx.open(o);
    s->clear();
    s->set("k", Value(1));
    REQUIRE(s->active() == 1);
  }
  test::write_file(fx.path[1], std::vector<std::byte>(fx.file_size(1)));
  CHECK(error_of([&] { (void)fx.open(o); }) == errc::corrupt_data);
  // memvec-stress --corrupt: A cut to nothing beside a zero-filled B became
  // a new, empty store. Creation makes A durable before B is sized, so no
  // crash leaves that: refused, nothing changed.
  test::write_file(fx.path[0], {});
  test::write_file(fx.path[1], std::vector<std::byte>(8192));
  CHECK(error_of([&] { (void)fx.open(o); }) == errc::corrupt_header);
  CHECK(fx.file_size(0) == 0);
  CHECK(blank(1));
}

TEST_CASE("store: a cut creation whose blank standby cannot be formatted fails its first write "
          "and reports nothing (fuzz_store_open)") {
  for (const std::size_t b_size : {std::size_t{19}, std::size_t{4096}}) {
    INFO("standby buffer of " << b_size << " bytes");
    alignas(4096) static std::byte a[4096];
    alignas(4096) static std::byte b[4096];
    std::fill(std::begin(a), std::end(a), std::byte{0});
    std::fill(std::begin(b), std::end(b), std::byte{0});
    (void)memvec::kv::KVJournal<SpanBackend>::create(SpanBackend(std::span(a)));  // A, empty
    const auto open = [&] {
      return std::make_unique<Store<SpanBackend>>(SpanBackend(std::span(a)),
                                                  SpanBackend(std::span(b, b_size)),
                                                  StoreOptions{.initial_size = 4096});
    };
    {
      auto s = open();
      CHECK(s->recovery().loss == DataLoss::none);
      if (b_size < kHeaderSize) {
        // A record in A beside a blank B would read as damage at the next
        // open: the write fails, as the store's creation would have.
        CHECK(error_of([&] { s->set("k", Value(1)); }) == errc::capacity_exceeded);
        CHECK(s->empty());
      } else {
        s->set("k", Value(1));
      }
    }
    auto r = open();
    CHECK(r->recovery().loss == DataLoss::none);
    CHECK(r->size() == (b_size < kHeaderSize ? 0u : 1u));
  }
}

TEST_CASE("store: a journal at the last generation is refused a compaction, never wrapped to "
          "a spare's 0") {
  FilePair fx;
  const StoreOptions o{.initial_size = 4096, .high_water_mark_ratio = 0.5, .compaction_room = 0};
  {
    // What a compaction to the last generation writes: a snapshot record.
    const std::uint64_t epoch =
        memvec::kv::MemMappedKVJournal::create(FileBackend::open(fx.path[0]), {},
                                               memvec::kv::kMaxGeneration)
            .log()
            .user_word();
    memvec::kv::RecordWriter w;
    w.begin(memvec::kv::kRecordSnapshot);
    w.add("k", Value(1));
    const auto record = w.finish(memvec::kv::record_seed(memvec::kv::kMaxGeneration, epoch));
    auto log = memvec::kv::MemMappedKVJournal::Log::open(FileBackend::open(fx.path[0]));
    log.append(record);
  }
  test::write_file(fx.path[1], std::vector<std::byte>(4096));  // a blank spare
  {
    auto s = fx.open(o);
    REQUIRE(s->active() == 0);
    CHECK(error_of([&] { s->compact(); }) == errc::capacity_exceeded);
    s->set("after", Value(2));  // still writable
    CHECK(s->generation() == memvec::kv::kMaxGeneration);
  }
  auto r = fx.open(o);
  CHECK(r->active() == 0);
  CHECK(r->recovery().loss == DataLoss::none);
  Index model;
  model["k"] = Value(1);
  model["after"] = Value(2);
  CHECK(r->as_hashmap() == model);
}

TEST_CASE("store: validate() and the store refuse bad options with errc::invalid_argument") {
  const auto nan = std::numeric_limits<double>::quiet_NaN();
  const auto inf = std::numeric_limits<double>::infinity();
  struct Bad {
    StoreOptions o;
    const char* field;
  };
  const Bad bad[] = {
      {{.high_water_mark_ratio = 0.0}, "high_water_mark_ratio"},
      {{.high_water_mark_ratio = -0.5}, "high_water_mark_ratio"},
      {{.high_water_mark_ratio = 1.0000001}, "high_water_mark_ratio"},
      {{.high_water_mark_ratio = nan}, "high_water_mark_ratio"},
      {{.high_water_mark_ratio = inf}, "high_water_mark_ratio"},
      {{.initial_size = 8192, .max_size = 4096}, "initial_size"},
      {{.initial_size = 0, .max_size = 256}, "max_size"},
      {{.initial_size = 0, .max_size = 100}, "max_size"},
      {{.initial_size = 0, .max_size = 0}, "max_size"},
  };
  for (const Bad& b : bad) {
    INFO("field " << b.field << " ratio " << b.o.high_water_mark_ratio << " initial "
                  << b.o.initial_size << " max " << b.o.max_size);
    try {
      memvec::kv::validate(b.o);
      FAIL("validate accepted it");
    } catch (const memvec::Error& e) {
      CHECK(e.code() == errc::invalid_argument);
      CHECK(std::string(e.what()).find(b.field) != std::string::npos);
    }
    // The store refuses them before touching a byte of its backends.
    SpanPair fx(4096);
    CHECK(error_of([&] { fx.open(b.o); }) == errc::invalid_argument);
    for (const auto& buf : fx.buf)
      CHECK(std::all_of(buf.begin(), buf.end(), [](std::byte x) { return x == std::byte{0}; }));
  }
  CHECK_NOTHROW(memvec::kv::validate(StoreOptions{}));
  CHECK_NOTHROW(
      memvec::kv::validate({.initial_size = 0, .max_size = 257, .high_water_mark_ratio = 1.0}));
  CHECK_NOTHROW(memvec::kv::validate(
      {.initial_size = 4096, .max_size = 4096, .high_water_mark_ratio = 1e-6}));
}

// ============================================================================
// 2. Switching
// ============================================================================

namespace {

// The seed's example: two 1 KiB journals at ratio 0.4, a dozen keys written,
// overwritten, erased and batched. At every switch the roles alternate, the
// generation and switch_count() move by exactly one, every key is there, and
// a restart right after it finds the same store (same journal active, same
// generation, same keys).
template <class Fx>
void seed_example(Fx& fx, int writes, int& switches, int& restarts, std::string& trace) {
  const StoreOptions o{.initial_size = 1024, .max_size = 1024, .high_water_mark_ratio = 0.4, .compaction_room = 0};
  auto s = fx.open(o);
  REQUIRE(s->active() == 0);
  REQUIRE(s->generation() == 1);
  REQUIRE(s->switch_count() == 0);
  REQUIRE(s->high_water_mark() == (1024 - 256) * 4 / 10);  // 307 bytes of 768
  Index model;
  int active = 0;
  std::uint64_t gen = 1;
  std::uint64_t count = 0;
  trace = "A";
  for (int i = 0; i < writes; ++i) {
    const std::string key = "key_" + std::to_string(i % 12);
    INFO("write " << i << " " << key << ", switches so far:" << trace);
    if (i % 10 == 7) {
      s->erase(key);
      model.erase(key);
    } else if (i % 10 == 9) {
      const std::vector<Item> items{
          {key, Value(i)}, {"key_" + std::to_string((i + 5) % 12), Value("v" + std::to_string(i))}};
      s->set_many(items);
      for (const auto& [k, v] : items) model[k] = v;
    } else {
      s->set(key, Value("value_" + std::to_string(i)));
      model[key] = Value("value_" + std::to_string(i));
    }
    REQUIRE(s->as_hashmap() == model);
    if (s->active() == active) {
      REQUIRE(s->switch_count() == count);
      REQUIRE(s->generation() == gen);
      continue;
    }
    ++switches;
    trace += active == 0 ? " -> B" : " -> A";
    REQUIRE(s->active() == 1 - active);
    REQUIRE(s->switch_count() == count + 1);
    REQUIRE(s->generation() == gen + 1);
    REQUIRE(s->usage_ratio() < 0.4);  // the snapshot sits below the mark
    active = s->active();
    gen = s->generation();
    if constexpr (Fx::file) {
      CHECK(fx.file_size(0) == 1024);
      CHECK(fx.file_size(1) == 1024);
    }
    // Restart right after the switch.
    s.reset();
    s = fx.open(o);
    ++restarts;
    REQUIRE(s->active() == active);
    REQUIRE(s->generation() == gen);
    REQUIRE(s->as_hashmap() == model);
    REQUIRE(s->recovery().loss == DataLoss::none);
    count = s->switch_count();  // this instance's own count
    CHECK(count == 0);
  }
  s.reset();
  s = fx.open(o);
  CHECK(s->as_hashmap() == model);
  CHECK(s->active() == active);
}

}  // namespace

TEMPLATE_TEST_CASE(
    "store: the seed example: two 1 KiB journals at ratio 0.4 switch A -> B -> A -> B "
    "and keep every key, across a restart after each switch",
    "[store]", SpanPair, FilePair) {
  TestType fx = [] {
    if constexpr (TestType::file)
      return TestType{};
    else
      return TestType(1024);
  }();
  int switches = 0, restarts = 0;
  std::string trace;
  seed_example(fx, 400, switches, restarts, trace);
  CHECK(switches >= 20);
  WARN(TestType::name << ": " << switches << " switches in 400 writes, " << restarts
                      << " restarts: " << trace.substr(0, 60) << " ...");
}

TEMPLATE_TEST_CASE("store: compact() switches on demand, keeps every key and bumps the generation",
                   "[store]", SpanPair, FilePair, AnonPair) {
  TestType fx;
  const StoreOptions o{.initial_size = 4096, .compaction_room = 0};
  auto s = fx.open(o);
  // An empty store compacts too.
  s->compact();
  CHECK(s->active() == 1);
  CHECK(s->generation() == 2);
  CHECK(s->switch_count() == 1);
  CHECK(s->empty());
  Index model;
  for (int i = 0; i < 50; ++i) {
    s->set(key_n(i), Value(i));
    model[key_n(i)] = Value(i);
  }
  for (int c = 0; c < 5; ++c) {
    const int before = s->active();
    const std::uint64_t gen = s->generation();
    s->compact();
    CHECK(s->active() == 1 - before);
    CHECK(s->generation() == gen + 1);
    CHECK(s->switch_count() == static_cast<std::uint64_t>(c) + 2);
    CHECK(s->as_hashmap() == model);
    CHECK(s->recovery().loss == DataLoss::none);
  }
  if constexpr (TestType::persistent) {
    const int active = s->active();
    s.reset();
    s = fx.open(o);
    CHECK(s->active() == active);
    CHECK(s->generation() == 7);
    CHECK(s->as_hashmap() == model);
  }
}

// ============================================================================
// 3. No resurrection (the first design's defect 3)
// ============================================================================

namespace {

enum class Wipe { clear, erase_each, erase_batch, overwrite };

const char* wipe_name(Wipe w) {
  switch (w) {
    case Wipe::clear:
      return "clear()";
    case Wipe::erase_each:
      return "erase() of every key";
    case Wipe::erase_batch:
      return "set_many() of nulls for every key";
    case Wipe::overwrite:
      return "overwrite of every key";
  }
  return "?";
}

// Old keys in both journals, then the wipe, then a restart. `pre`
// compactions before the wipe choose which journal is active at the restart.
// Returns that journal.
template <class Fx>
int wipe_then_restart(Wipe wipe, int pre) {
  Fx fx;
  const StoreOptions o{.initial_size = 16 * 1024, .compaction_room = 0};  // room: the wipe itself never switches
  Index model;
  int active = -1;
  std::uint64_t gen = 0;
  {
    auto s = fx.open(o);
    for (int i = 0; i < 20; ++i) {
      s->set(key_n(i), Value("old-" + std::to_string(i)));
      model[key_n(i)] = Value("old-" + std::to_string(i));
    }
    for (int c = 0; c < pre; ++c) s->compact();  // both journals now hold the old keys
    const std::uint64_t switches = s->switch_count();
    switch (wipe) {
      case Wipe::clear:
        s->clear();
        model.clear();
        break;
      case Wipe::erase_each:
        for (int i = 0; i < 20; ++i) s->erase(key_n(i));
        model.clear();
        break;
      case Wipe::erase_batch: {
        std::vector<Item> nulls;
        for (int i = 0; i < 20; ++i) nulls.emplace_back(key_n(i), Value());
        s->set_many(nulls);
        model.clear();
        break;
      }
      case Wipe::overwrite:
        for (int i = 0; i < 20; ++i) {
          s->set(key_n(i), Value(i * 1000));
          model[key_n(i)] = Value(i * 1000);
        }
        break;
    }
    // clear() is a compaction to an empty snapshot; the others only append.
    REQUIRE(s->switch_count() == switches + (wipe == Wipe::clear ? 1 : 0));
    REQUIRE(s->as_hashmap() == model);
    active = s->active();
    gen = s->generation();
  }
  // The standby still holds every old key under an older generation: a
  // restart that picked "the journal that has data" or the newer clock
  // would bring them back.
  const Inspected standby = inspect(fx.bytes(1 - active));
  const Inspected current = inspect(fx.bytes(active));
  REQUIRE(standby.readable);
  REQUIRE(current.readable);
  CHECK(standby.index.size() == 20);
  CHECK(standby.index.count(key_n(7)) == 1);
  CHECK(standby.meta.generation < current.meta.generation);
  CHECK(current.meta.generation == gen);
  {
    auto s = fx.open(o);
    CHECK(s->active() == active);
    CHECK(s->generation() == gen);
    CHECK(s->as_hashmap() == model);
    CHECK(s->recovery().loss == DataLoss::none);
    CHECK(!s->contains(key_n(7)) == (wipe != Wipe::overwrite));
    // Written to and restarted again: still nothing old.
    s->set("after", Value(1));
    model["after"] = Value(1);
  }
  {
    auto s = fx.open(o);
    CHECK(s->as_hashmap() == model);
  }
  return active;
}

}  // namespace

TEMPLATE_TEST_CASE(
    "store: clear(), deleting every key or overwriting, then a restart never brings "
    "old values back, whichever journal is active (first design defect 3)",
    "[store]", SpanPair, FilePair) {
  for (const Wipe wipe : {Wipe::clear, Wipe::erase_each, Wipe::erase_batch, Wipe::overwrite}) {
    INFO(wipe_name(wipe));
    std::set<int> active_at_restart;
    for (int pre = 1; pre <= 2; ++pre)
      active_at_restart.insert(wipe_then_restart<TestType>(wipe, pre));
    CHECK(active_at_restart == std::set<int>{0, 1});  // once with A active, once with B
  }
}

TEMPLATE_TEST_CASE(
    "store: a clock stepped backwards changes nothing: the newer generation wins "
    "whatever the creation times say (first design defect 3)",
    "[store]", SpanPair, FilePair) {
  std::set<int> actives;
  for (int pre = 1; pre <= 2; ++pre) {
    TestType fx;
    const StoreOptions o{.initial_size = 4096, .compaction_room = 0};
    Index model;
    int active = -1;
    std::uint64_t gen = 0;
    const std::uint64_t t0 = memvec::kv::detail::now_unix_ns();
    {
      auto s = fx.open(o);
      for (int i = 0; i < 10; ++i) {
        s->set(key_n(i), Value("old"));
        model[key_n(i)] = Value("old");
      }
      for (int c = 0; c < pre; ++c) s->compact();
      // Only in the active journal: the standby's content differs.
      s->set(key_n(0), Value("newest"));
      s->erase(key_n(1));
      model[key_n(0)] = Value("newest");
      model.erase(key_n(1));
      active = s->active();
      gen = s->generation();
    }
    const std::uint64_t t1 = memvec::kv::detail::now_unix_ns();
    std::vector<std::byte> newer = fx.bytes(active), older = fx.bytes(1 - active);
    // The journals record their creation time (for people)...
    const Inspected n0 = inspect(newer), o0 = inspect(older);
    REQUIRE(n0.readable);
    REQUIRE(o0.readable);
    CHECK(n0.meta.created_unix_ns >= t0);
    CHECK(n0.meta.created_unix_ns <= t1);
    CHECK(o0.meta.created_unix_ns <= n0.meta.created_unix_ns);
    // ...and the clock stepped backwards between them: the newer generation
    // was created "in 1970", the older one "in 2100".
    set_created(newer, 1'000'000'000ull);
    set_created(older, 4'102'444'800'000'000'000ull);
    fx.put(active, newer);
    fx.put(1 - active, older);
    const Inspected n1 = inspect(fx.bytes(active)), o1 = inspect(fx.bytes(1 - active));
    REQUIRE(n1.readable);  // the headers still validate: the edit is what a clock would do
    REQUIRE(o1.readable);
    REQUIRE(n1.meta.created_unix_ns == 1'000'000'000ull);
    REQUIRE(o1.meta.created_unix_ns == 4'102'444'800'000'000'000ull);
    REQUIRE(o1.meta.generation < n1.meta.generation);
    CHECK(o1.index != model);
    auto s = fx.open(o);
    CHECK(s->active() == active);
    CHECK(s->generation() == gen);
    CHECK(s->as_hashmap() == model);
    CHECK(s->get(key_n(0)) == Value("newest"));
    CHECK(!s->contains(key_n(1)));
    actives.insert(active);
  }
  CHECK(actives == std::set<int>{0, 1});
}

// ============================================================================
// 4. Full journals (the first design's defects 5 and 6)
// ============================================================================

TEST_CASE(
    "store: a write that does not fit compacts first and is retried (first design defect 5)") {
  // Ratio 1.0: the high-water mark never fires before the journal is full,
  // so only the does-not-fit path can switch here.
  SpanPair fx(4096);
  const StoreOptions o{.initial_size = 4096, .max_size = 4096, .high_water_mark_ratio = 1.0, .compaction_room = 0};
  auto s = fx.open(o);
  s->set("keep", Value("me"));
  int i = 0;
  while (s->usage_ratio() < 0.9) s->set("counter", Value(i++));
  REQUIRE(s->switch_count() == 0);
  REQUIRE(s->size() == 2);
  const std::size_t capacity = s->high_water_mark();  // ratio 1.0: the whole log
  const auto used =
      static_cast<std::size_t>(std::llround(s->usage_ratio() * static_cast<double>(capacity)));
  const std::size_t free_room = capacity - used;
  // Bigger than the free room, small next to the journal.
  const std::string big(free_room + 200, 'x');
  REQUIRE(record_bytes("big", Value(big)) > free_room);
  REQUIRE_NOTHROW(s->set("big", Value(big)));
  CHECK(s->switch_count() == 1);
  CHECK(s->active() == 1);
  CHECK(s->get("big") == Value(big));
  CHECK(s->get("keep") == Value("me"));
  CHECK(s->get("counter") == Value(i - 1));
  CHECK(s->last_compaction_error() == std::nullopt);
  // The same with a batch: fill again, then a set_many that does not fit.
  while (s->usage_ratio() < 0.95) s->set("counter", Value(i++));
  const std::uint64_t switches = s->switch_count();
  const std::vector<Item> batch{{"b1", Value(std::string(400, 'y'))}, {"keep", Value()}};
  s->set_many(batch);
  CHECK(s->switch_count() == switches + 1);
  CHECK(s->get("b1") == Value(std::string(400, 'y')));
  CHECK(!s->contains("keep"));
  const Index model = s->as_hashmap();
  s.reset();
  s = fx.open(o);
  CHECK(s->as_hashmap() == model);
}

namespace {

// Distinct keys with 100-byte values until the live set cannot fit at
// max_size (64 KiB): files grow from 4 KiB, never past max_size, and the
// refused write changes nothing.
template <class Fx>
void grow_to_max(Fx& fx) {
  const StoreOptions o{.initial_size = 4096, .max_size = 65536, .high_water_mark_ratio = 0.8, .compaction_room = 0};
  auto s = fx.open(o);
  Index model;
  std::size_t largest_file = 0;
  std::optional<errc> err;
  std::size_t i = 0;
  std::string failed_key;
  Value failed_value;
  for (;; ++i) {
    REQUIRE(i < 5000);
    failed_key = key_n(i);
    failed_value = Value(std::string(100, static_cast<char>('a' + i % 26)));
    err = error_of([&] { s->set(failed_key, failed_value); });
    if (err) break;
    model[failed_key] = failed_value;
    if constexpr (Fx::file) {
      const std::size_t a = fx.file_size(0), b = fx.file_size(1);
      REQUIRE(a <= 65536);
      REQUIRE(b <= 65536);
      largest_file = std::max({largest_file, a, b});
    }
  }
  INFO(Fx::name << ": refused after " << i << " keys");
  CHECK(err == errc::capacity_exceeded);
  // Only then: compacting the live set plus the refused record would need
  // more than a max_size journal holds.
  CHECK(snapshot_bytes(model) + record_bytes(failed_key, failed_value) > 65536 - kHeaderSize);
  CHECK(model.size() > 400);
  if constexpr (Fx::file) CHECK(largest_file == 65536);
  // Nothing lost, still usable.
  CHECK(s->as_hashmap() == model);
  CHECK(s->size() == i);
  CHECK(!s->contains(failed_key));
  s->set(key_n(0), Value(0));  // a smaller write
  model[key_n(0)] = Value(0);
  s->erase(key_n(1));
  model.erase(key_n(1));
  s->set("tiny", Value(true));
  model["tiny"] = Value(true);
  CHECK(s->as_hashmap() == model);
  // A single value bigger than max_size: refused, nothing changed.
  CHECK(error_of([&] { s->set("huge", Value(std::string(100000, 'h'))); }) ==
        errc::capacity_exceeded);
  CHECK(error_of([&] {
          s->set_many({{"huge", Value(std::string(70000, 'h'))}, {"tiny", Value()}});
        }) == errc::capacity_exceeded);
  CHECK(s->as_hashmap() == model);
  if constexpr (Fx::persistent) {
    s.reset();
    s = fx.open(o);
    CHECK(s->as_hashmap() == model);
    CHECK(s->recovery().loss == DataLoss::none);
  }
  if constexpr (Fx::file) {
    CHECK(fx.file_size(0) <= 65536);
    CHECK(fx.file_size(1) <= 65536);
  }
}

}  // namespace

TEMPLATE_TEST_CASE(
    "store: a live set that outgrows the journals grows them up to max_size, then "
    "capacity_exceeded with nothing lost and the store usable",
    "[store]", FilePair, AnonPair) {
  TestType fx;
  grow_to_max(fx);
}

TEMPLATE_TEST_CASE("store: a 10 KB value fits 4 KiB journals with a 1 MiB max_size by growing them",
                   "[store]", FilePair, AnonPair) {
  TestType fx;
  const StoreOptions o{.initial_size = 4096, .max_size = 1 << 20, .compaction_room = 0};
  auto s = fx.open(o);
  s->set("small", Value(1));
  const std::string blob(10 * 1000, 'b');
  REQUIRE_NOTHROW(s->set("blob", Value(blob)));
  CHECK(s->get("blob") == Value(blob));
  CHECK(s->get("small") == Value(1));
  CHECK(s->switch_count() >= 1);
  if constexpr (TestType::file) {
    const std::size_t active = fx.file_size(s->active());
    CHECK(active > 4096);
    CHECK(active <= (1u << 20));
    const Index model = s->as_hashmap();
    s.reset();
    s = fx.open(o);
    CHECK(s->as_hashmap() == model);
  }
  // The same in fixed 4 KiB buffers: nowhere to grow, refused, nothing lost.
  SpanPair fixed(4096);
  auto f = fixed.open({.initial_size = 4096, .max_size = 1 << 20});
  f->set("small", Value(1));
  CHECK(error_of([&] { f->set("blob", Value(blob)); }) == errc::capacity_exceeded);
  CHECK(f->size() == 1);
  f->set("next", Value(2));
  CHECK(f->get("next") == Value(2));
}

TEST_CASE(
    "store: a compaction that fails after a write committed does not fail the write "
    "(first design defect 6)") {
  const StoreOptions o{.initial_size = 4096, .max_size = 65536, .high_water_mark_ratio = 0.5, .compaction_room = 0};
  FaultBackend fa(kBlank), fb(kBlank);
  const std::shared_ptr<FaultDisk> disks[2] = {fa.disk(), fb.disk()};
  Store<FaultBackend> s(std::move(fa), std::move(fb), o);
  bool fail_resize = true;
  std::size_t refused = 0;
  disks[1]->on_resize = [&](FaultDisk&, std::size_t) {
    if (fail_resize) {
      ++refused;
      throw memvec::Error(errc::io_error, "injected: no space left on device", 28);
    }
  };
  Index model;
  int i = 0;
  // Past the high-water mark every write tries to compact into B and fails.
  while (refused < 3) {
    REQUIRE(i < 1000);
    REQUIRE_NOTHROW(s.set(key_n(i), Value(i)));
    model[key_n(i)] = Value(i);
    ++i;
  }
  CHECK(s.switch_count() == 0);
  CHECK(s.active() == 0);
  REQUIRE(s.last_compaction_error().has_value());
  CHECK(s.last_compaction_error()->code() == errc::io_error);
  CHECK(s.as_hashmap() == model);
  // Every returned write is in the journal: a restart (a process crash
  // keeps the page cache) finds them.
  {
    const CutSpec crash{CutMode::keep_all, 0, SizePolicy::volatile_size};
    Store<FaultBackend> r(FaultBackend(disks[0]->cut(crash)), FaultBackend(disks[1]->cut(crash)),
                          o);
    CHECK(r.as_hashmap() == model);
  }
  // A write that does not fit and cannot compact fails as itself, unapplied.
  const std::size_t before = refused;
  CHECK(error_of([&] { s.set("big", Value(std::string(3000, 'z'))); }) == errc::io_error);
  CHECK(refused == before + 1);
  CHECK(s.as_hashmap() == model);
  // The disk recovers: the next write compacts.
  fail_resize = false;
  s.set("later", Value(1));
  model["later"] = Value(1);
  CHECK(s.switch_count() == 1);
  CHECK(s.active() == 1);
  CHECK(s.as_hashmap() == model);
  CHECK(s.last_compaction_error() == std::nullopt);  // a compaction succeeded since
  s.set("big", Value(std::string(3000, 'z')));
  model["big"] = Value(std::string(3000, 'z'));
  CHECK(s.as_hashmap() == model);
  disks[1]->on_resize = nullptr;
}

TEST_CASE("store: a compaction whose new journal fails to format keeps the standby's backend "
          "for the next compaction") {
  const StoreOptions o{.initial_size = 4096,
                       .max_size = 65536,
                       .high_water_mark_ratio = 0.5,
                       .compaction_room = 0,
                       .durability = Durability::power_loss};
  FaultBackend fa(kBlank), fb(kBlank);
  const std::shared_ptr<FaultDisk> disks[2] = {fa.disk(), fb.disk()};
  Store<FaultBackend> s(std::move(fa), std::move(fb), o);
  std::size_t refused = 0;
  // Under power_loss the first sync of a compaction is the new header's,
  // inside Journal::create: the failure the fuzzers found lost the backend.
  disks[1]->on_sync = [&](FaultDisk&, std::size_t, std::size_t) {
    if (refused == 0) {
      ++refused;
      throw memvec::Error(errc::io_error, "injected: EIO on the new journal's header", 5);
    }
  };
  Index model;
  int i = 0;
  while (refused == 0) {
    REQUIRE(i < 1000);
    REQUIRE_NOTHROW(s.set(key_n(i), Value(i)));
    model[key_n(i)] = Value(i);
    ++i;
  }
  REQUIRE(s.last_compaction_error().has_value());
  CHECK(s.last_compaction_error()->code() == errc::io_error);
  CHECK(s.switch_count() == 0);
  CHECK(disks[1]->size() >= 4096);  // still the standby's bytes
  s.compact();  // the same backend, now formatted
  CHECK(s.switch_count() == 1);
  CHECK(s.active() == 1);
  CHECK(s.as_hashmap() == model);
  const CutSpec cut{CutMode::drop_unsynced, 0};
  Store<FaultBackend> r(FaultBackend(disks[0]->cut(cut)), FaultBackend(disks[1]->cut(cut)), o);
  CHECK(r.active() == 1);
  CHECK(r.as_hashmap() == model);
  disks[1]->on_sync = nullptr;
}

// ============================================================================
// 5. No thrashing (MMKV's lesson), and shrinking
// ============================================================================

TEST_CASE("store: 100 hot keys x 100k sets from 8 KiB journals: a few dozen switches, files "
          "bounded by standby_size") {
  // MMKV rewrote its file 1,000 times per 100k sets in this workload. Here
  // each compaction leaves room for compaction_room (64 KiB) of fresh writes,
  // so the sync it makes is spread over thousands of sets.
  FilePair fx;
  const StoreOptions o{.initial_size = 8192};
  auto s = fx.open(o);
  constexpr int kKeys = 100;
  constexpr int kSets = 100'000;
  std::vector<std::string> keys;
  for (int k = 0; k < kKeys; ++k) keys.push_back("hot-" + std::to_string(k));
  // The bound, derived: a compaction leaves at most S bytes (the largest
  // snapshot of 100 keys) in a journal of standby_size(S) bytes whose
  // high-water mark is H; each set appends at most R bytes. So at least
  // floor((H - S) / R) sets separate two switches after the first.
  Index widest;
  for (const auto& k : keys) widest[k] = Value(std::int64_t{kSets});
  const std::size_t S = snapshot_bytes(widest);
  const std::size_t file = standby_size(S, o);
  const std::size_t H = memvec::kv::detail::apply_ppm(
      file - kHeaderSize, memvec::kv::detail::ratio_ppm(o.high_water_mark_ratio, ""));
  const std::size_t R = record_bytes(keys.back(), Value(std::int64_t{kSets}));
  REQUIRE(H > S + R);
  const std::size_t bound = 1 + kSets / ((H - S) / R) + 1;
  REQUIRE(bound < 100);
  REQUIRE(file <= std::size_t{1} << 20);  // DESIGN.md §4: files <= 1 MiB
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kSets; ++i) {
    s->set(keys[static_cast<std::size_t>(i % kKeys)], Value(std::int64_t{i}));
    if (i % 5000 == 0) {
      REQUIRE(fx.file_size(0) <= file);
      REQUIRE(fx.file_size(1) <= file);
    }
  }
  const double secs = seconds_since(t0);
  const std::uint64_t switches = s->switch_count();
  CHECK(switches <= bound);
  CHECK(switches > 0);
  CHECK(fx.file_size(0) <= file);
  CHECK(fx.file_size(1) <= file);
  CHECK(s->size() == kKeys);
  for (int k = 0; k < kKeys; ++k)
    CHECK(s->get(keys[static_cast<std::size_t>(k)]) == Value(std::int64_t{kSets - kKeys + k}));
  const Index model = s->as_hashmap();
  s.reset();
  s = fx.open(o);
  CHECK(s->as_hashmap() == model);
  WARN("hot keys: " << switches << " switches in " << kSets << " sets (bound " << bound
                    << " from H " << H << ", S " << S << ", R " << R << "; MMKV: ~1000), files "
                    << fx.file_size(0) << " + " << fx.file_size(1) << " bytes (bound " << file
                    << "), " << static_cast<double>(kSets) / secs / 1e6 << " M sets/s");
}

TEST_CASE("store: when the live set shrinks, compactions shrink the journal files back") {
  FilePair fx;
  const StoreOptions o{.initial_size = 4096, .max_size = std::size_t{16} << 20, .compaction_room = 0};
  auto s = fx.open(o);
  Index model;
  for (int i = 0; i < 3000; ++i) {
    const Value v(std::string(200, static_cast<char>('a' + i % 26)));
    s->set(key_n(static_cast<std::size_t>(i)), v);
    model[key_n(static_cast<std::size_t>(i))] = v;
  }
  const std::size_t peak[2] = {fx.file_size(0), fx.file_size(1)};
  REQUIRE(std::max(peak[0], peak[1]) >= std::size_t{1} << 20);  // ~600 KB live, grown files
  for (int i = 10; i < 3000; ++i) {
    s->erase(key_n(static_cast<std::size_t>(i)));
    model.erase(key_n(static_cast<std::size_t>(i)));
  }
  REQUIRE(s->size() == 10);
  // Two compactions rewrite both journals from the small live set.
  for (int c = 0; c < 2; ++c) {
    const int target = 1 - s->active();
    const std::size_t before = fx.file_size(target);
    s->compact();
    REQUIRE(s->active() == target);
    const std::size_t after = fx.file_size(target);
    INFO("compaction " << c << " into " << (target == 0 ? "A" : "B") << ": " << before << " -> "
                       << after);
    CHECK(after < before);
    CHECK(after == standby_size(snapshot_bytes(model), o));  // 8 KiB for 10 keys of 200 bytes
  }
  CHECK(s->as_hashmap() == model);
  s.reset();
  s = fx.open(o);
  CHECK(s->as_hashmap() == model);
  WARN("shrink: files at " << peak[0] << " + " << peak[1] << " bytes with 3000 keys, "
                           << fx.file_size(0) << " + " << fx.file_size(1) << " with 10");
}

// ============================================================================
// 6. Power cuts during compaction (FaultBackend)
// ============================================================================

namespace {

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
std::vector<ImagePair> cut_pairs(const FaultDisk& a, const FaultDisk& b, Rng& rng) {
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
void run_store_cuts(Durability durability, std::uint64_t seed, int calls, StoreCutStats& st,
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

}  // namespace

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

// ============================================================================
// 7. SIGKILL trials
// ============================================================================

namespace {

constexpr std::uint64_t kHello = ~std::uint64_t{0};
constexpr int kSwitchShift = 40;  // an ack: calls returned | switch_count << 40

// The child: opens the store, says hello with its size, then runs the
// workload forever, acknowledging each call once it returned.
[[noreturn]] void store_writer(const FilePair& fx, const StoreOptions& o, Generator gen, int ack) {
  try {
    auto s = DoubleBufferedMemMappedKV::open(fx.path[0], fx.path[1], o);
    const std::uint64_t hello[2] = {kHello, s.size()};
    if (!write_all(ack, hello, sizeof hello)) ::_exit(3);
    for (std::uint64_t n = 1;; ++n) {
      play(s, gen.next());
      const std::uint64_t msg = n | (s.switch_count() << kSwitchShift);
      if (!write_all(ack, &msg, sizeof msg)) ::_exit(4);
    }
  } catch (...) {
    ::_exit(2);
  }
}

enum class Kill { after_delay, after_acks, near_switch };

struct KillStats {
  int trials = 0, fresh = 0;
  int by_delay = 0, by_acks = 0, near_switch = 0;
  std::uint64_t calls = 0, switches = 0;
  int unacked_survived = 0;  // the call in flight (or returned, unacknowledged) had committed
  int torn = 0;              // the kill tore a compaction (the reopen ignored it)
  int cleared_or_compacted = 0;
};

}  // namespace

TEST_CASE(
    "store: SIGKILL at random moments of a switching workload loses no acknowledged write "
    "and resurrects nothing") {
  const std::size_t trials = env_or("MEMVEC_STORE_CRASH_TRIALS", 200);
  const std::uint64_t seed = env_or("MEMVEC_STORE_CRASH_SEED", std::random_device{}());
  const auto t0 = std::chrono::steady_clock::now();
  Rng rng(seed);
  FilePair fx;
  // Small journals at ratio 0.5: a switch every hundred calls or so.
  const StoreOptions o{.initial_size = 4096, .max_size = 1 << 20, .high_water_mark_ratio = 0.5, .compaction_room = 0};
  Mix mix;
  mix.set = 600;
  mix.erase = 150;
  mix.set_many = 150;
  mix.clear = 1;  // one call in a thousand: rare, but some kills land near one
  mix.compact = 20;
  mix.key_space = 50;
  mix.value_max = 64;
  Index base;  // the store's state before the trial
  KillStats ks;
  for (std::size_t t = 0; t < trials; ++t) {
    if (t % 4 == 0) {  // a fresh store now and then; otherwise the last one continues
      fs::remove(fx.path[0]);
      fs::remove(fx.path[1]);
      base.clear();
      ++ks.fresh;
    }
    const Generator gen(rng(), mix);
    const Kill kill = static_cast<Kill>(rng() % 3);
    INFO("seed " << seed << " trial " << t << " kill " << static_cast<int>(kill));
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      ::alarm(30);  // never outlive a parent that failed to kill
      store_writer(fx, o, gen, fds[1]);
    }
    ::close(fds[1]);
    ChildGuard child(pid);
    AckReader acks(fds[0]);
    std::uint64_t hello[2] = {};
    if (!(acks.next(hello[0]) && acks.next(hello[1])))
      FAIL("writer died before it was ready, status " << child.reap());
    REQUIRE(hello[0] == kHello);
    REQUIRE(hello[1] == base.size());

    std::uint64_t acked = 0, switch_seen = 0;
    bool eof = false;
    const auto take = [&]() -> bool {
      std::uint64_t msg = 0;
      if (!acks.next(msg)) return eof = true, false;
      const std::uint64_t n = msg & ((std::uint64_t{1} << kSwitchShift) - 1);
      if (n != acked + 1) FAIL("ack " << n << " after ack " << acked);
      acked = n;
      switch_seen = msg >> kSwitchShift;
      return true;
    };
    switch (kill) {
      case Kill::after_delay:
        ++ks.by_delay;
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 5000));
        break;
      case Kill::after_acks: {
        ++ks.by_acks;
        for (std::uint64_t n = rng() % 3000; n > 0 && take(); --n) {
        }
        break;
      }
      case Kill::near_switch: {
        // Learn the gap between two switches, then kill a few calls before
        // (or at) the next one is due: often inside its compaction.
        ++ks.near_switch;
        acks.spin(true);
        std::uint64_t last_switch_at = 0, gap = 0, switches = 0, target = 0;
        while (take() && acked < 50000) {
          if (switch_seen != switches) {
            switches = switch_seen;
            if (last_switch_at > 0) gap = acked - last_switch_at;
            last_switch_at = acked;
            if (gap > 0)
              target = last_switch_at + gap - std::min<std::uint64_t>(gap - 1, rng() % 4);
          }
          if (target > 0 && acked >= target) break;
        }
        const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(rng() % 20);
        while (std::chrono::steady_clock::now() < until) {
        }
        break;
      }
    }
    ::kill(pid, SIGKILL);
    while (!eof && take()) {
    }
    const int status = child.reap();
    INFO("writer status " << status << " (exit 2: it threw, 3/4: pipe)");
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGKILL);

    // The states after `acked` calls and after one more (a call that
    // returned, or committed, before the kill but was not acknowledged).
    Generator replay = gen;
    Index want = base;
    bool touched = false;
    for (std::uint64_t n = 0; n < acked; ++n) {
      const Op op = replay.next();
      touched |= op.kind == Op::clear || op.kind == Op::compact;
      play(want, op);
    }
    Index next = want;
    play(next, replay.next());

    auto s = fx.open(o);
    const Index got = s->as_hashmap();
    INFO("acked " << acked << " calls; reopened " << describe(got) << ", expected "
                  << describe(want) << " or " << describe(next) << "; " << s->recovery().reason);
    CHECK(s->recovery().loss == DataLoss::none);
    if (got == want) {
    } else if (got == next) {
      ++ks.unacked_survived;
    } else {
      FAIL("an acknowledged write was lost or an old value came back");
    }
    if (s->recovery().reason.find("unfinished compaction") != std::string::npos) ++ks.torn;
    if (touched) ++ks.cleared_or_compacted;
    ks.calls += acked;
    ks.switches += switch_seen;
    base = got;
    ++ks.trials;
  }
  CHECK(ks.trials == static_cast<int>(trials));
  CHECK(ks.switches > trials);
  WARN("store SIGKILL: " << ks.trials << " trials (" << ks.fresh
                         << " on fresh files), kills: " << ks.by_delay << " after a delay, "
                         << ks.by_acks << " after n acks, " << ks.near_switch << " near a switch; "
                         << ks.calls << " acknowledged calls and " << ks.switches
                         << " switches in all; " << ks.torn << " kills tore a compaction, "
                         << ks.unacked_survived << " kept a call in flight; "
                         << ks.cleared_or_compacted << " trials with a clear()/compact(); seed "
                         << seed << "; " << seconds_since(t0) << " s");
}

// ============================================================================
// 8. Threads
// ============================================================================

TEST_CASE(
    "store: concurrent readers see only written values, in order, while a writer writes and "
    "compacts; neither side starves") {
  // Values encode (version, key): version * 64 + key index. The writer's
  // versions only increase, so each reader must see, for each key, a value
  // written for that key, with versions that never go backwards.
  constexpr int kKeys = 64;
  constexpr int kReaders = 4;
  constexpr std::uint64_t kMinWrites = 3000;
  const StoreOptions o{.initial_size = 4096, .max_size = 1 << 20, .high_water_mark_ratio = 0.5, .compaction_room = 0};
  Store<AnonBackend> s(AnonBackend{}, AnonBackend{}, o);
  std::vector<std::string> keys;
  for (int k = 0; k < kKeys; ++k) keys.push_back("t" + std::to_string(k));

  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> issued{0};  // the highest version a write has started with
  std::mutex error_mutex;
  std::vector<std::string> errors;
  const auto report = [&](const std::string& e) {
    std::lock_guard lock(error_mutex);
    if (errors.size() < 20) errors.push_back(e);
  };
  struct ReaderStats {
    std::uint64_t reads = 0, hits = 0, maps = 0, advances = 0;
    double max_wait = 0;
  };
  std::vector<ReaderStats> rstats(kReaders);

  const auto reader = [&](int id) {
    Rng rng(static_cast<std::uint64_t>(id) + 1);
    std::vector<std::int64_t> last(kKeys, -1);
    ReaderStats& rs = rstats[static_cast<std::size_t>(id)];
    const auto seen = [&](std::size_t k, const Value& v, const char* how) {
      if (!v.is_int())
        return report(std::string(how) + ": a value that is not an int: " + v.to_json());
      const std::int64_t x = v.as_int();
      const std::int64_t version = x / kKeys;
      if (x % kKeys != static_cast<std::int64_t>(k))
        return report(std::string(how) + ": key " + keys[k] + " holds a value of key " +
                      std::to_string(x % kKeys));
      if (version > static_cast<std::int64_t>(issued.load()))
        return report(std::string(how) + ": version " + std::to_string(version) +
                      " was never written");
      if (version < last[k])
        return report(std::string(how) + ": key " + keys[k] + " went back from version " +
                      std::to_string(last[k]) + " to " + std::to_string(version));
      if (version > last[k]) ++rs.advances;
      last[k] = version;
    };
    while (!done.load(std::memory_order_relaxed)) {
      const std::size_t k = rng() % kKeys;
      const auto t = std::chrono::steady_clock::now();
      switch (rng() % 10) {
        case 8: {
          const Index m = s.as_hashmap();
          ++rs.maps;
          if (m.size() > kKeys) report("as_hashmap: " + std::to_string(m.size()) + " keys");
          for (const auto& [key, v] : m) {
            const auto it = std::find(keys.begin(), keys.end(), key);
            if (it == keys.end()) {
              report("as_hashmap: unknown key " + key);
              continue;
            }
            seen(static_cast<std::size_t>(it - keys.begin()), v, "as_hashmap");
          }
          break;
        }
        case 7:
          if (s.size() > kKeys) report("size() " + std::to_string(s.size()));
          break;
        case 6:
          (void)s.contains(keys[k]);
          break;
        default:
          if (const auto v = s.get(keys[k])) {
            ++rs.hits;
            seen(k, *v, "get");
          }
      }
      rs.max_wait = std::max(rs.max_wait, seconds_since(t));
      ++rs.reads;
    }
  };

  std::vector<std::thread> threads;
  for (int r = 0; r < kReaders; ++r) threads.emplace_back(reader, r);
  Rng rng(99);
  std::uint64_t writes = 0, compactions = 0;
  double max_write = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint64_t version = 1; writes < kMinWrites || seconds_since(t0) < 0.5; ++version) {
    const std::size_t k = rng() % kKeys;
    const auto t = std::chrono::steady_clock::now();
    issued.store(version);
    const auto value = [&](std::size_t key) {
      return Value(static_cast<std::int64_t>(version * kKeys + key));
    };
    const auto r = rng() % 100;
    if (r < 80) {
      s.set(keys[k], value(k));
    } else if (r < 90) {
      s.erase(keys[k]);
    } else if (r < 98) {
      const std::size_t k2 = (k + 1 + rng() % (kKeys - 1)) % kKeys;
      s.set_many({{keys[k], value(k)}, {keys[k2], value(k2)}});
    } else if (r < 99) {
      s.compact();
      ++compactions;
    } else if (version % 7 == 0) {
      s.clear();
    }
    max_write = std::max(max_write, seconds_since(t));
    ++writes;
    if (seconds_since(t0) > 60) break;  // starved: fails below
  }
  const double secs = seconds_since(t0);
  done = true;
  for (auto& t : threads) t.join();

  for (const auto& e : errors) UNSCOPED_INFO(e);
  CHECK(errors.empty());
  CHECK(writes >= kMinWrites);  // the writer was never starved
  CHECK(max_write < 2.0);
  CHECK(s.switch_count() > 10);
  std::uint64_t reads = 0, maps = 0, advances = 0;
  double max_wait = 0;
  for (const auto& rs : rstats) {
    CHECK(rs.reads >= 100);  // every reader made progress while the writer ran
    CHECK(rs.advances > 1);  // and saw the writer's progress
    CHECK(rs.max_wait < 2.0);
    reads += rs.reads;
    maps += rs.maps;
    advances += rs.advances;
    max_wait = std::max(max_wait, rs.max_wait);
  }
  // The final state is consistent too.
  for (const auto& [key, v] : s.as_hashmap()) {
    const auto it = std::find(keys.begin(), keys.end(), key);
    REQUIRE(it != keys.end());
    CHECK(v.as_int() % kKeys == it - keys.begin());
  }
  WARN("threads: " << writes << " writes (" << s.switch_count() << " switches, " << compactions
                   << " explicit compactions) in " << secs << " s against " << kReaders
                   << " readers doing " << reads << " reads (" << maps << " as_hashmap copies, "
                   << advances << " version advances seen); longest write " << max_write * 1e3
                   << " ms, longest read " << max_wait * 1e3 << " ms");
}

// ============================================================================
// 9. Processes
// ============================================================================

namespace {

// Runs `open` in a forked child; returns the errc it threw as an exit code
// (0: it opened, 100: another exception).
template <class F>
int errc_in_child(F&& open) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::alarm(30);
    try {
      open();
      ::_exit(0);
    } catch (const memvec::Error& e) {
      for (int c = 1; c <= static_cast<int>(errc::corrupt_data); ++c)
        if (e.code() == static_cast<errc>(c)) ::_exit(c);
      ::_exit(100);
    } catch (...) {
      ::_exit(100);
    }
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

}  // namespace

TEST_CASE(
    "store: a second writer process gets errc::locked; a read_only open sees the same "
    "content and refuses every write with errc::read_only (first design defect 9)") {
  FilePair fx;
  const StoreOptions o{.initial_size = 4096, .compaction_room = 0};
  StoreOptions ro = o;
  ro.read_only = true;
  auto s = fx.open(o);
  for (int i = 0; i < 50; ++i) s->set(key_n(i), Value(i));
  s->compact();  // both files hold journals
  s->set("last", Value("word"));
  const int locked = static_cast<int>(errc::locked);
  CHECK(errc_in_child([&] { DoubleBufferedMemMappedKV::open(fx.path[0], fx.path[1], o); }) ==
        locked);
  CHECK(errc_in_child([&] { DoubleBufferedMemMappedKV::open(fx.path[0], fx.path[1], ro); }) ==
        locked);
  // Swapped paths are the same files: locked as well.
  CHECK(errc_in_child([&] { DoubleBufferedMemMappedKV::open(fx.path[1], fx.path[0], o); }) ==
        locked);
  CHECK(error_of([&] { fx.open(o); }) == errc::locked);
  // The writer was not disturbed.
  s->set("still", Value(true));
  const Index model = s->as_hashmap();
  const int active = s->active();
  const std::uint64_t gen = s->generation();
  s.reset();

  const std::uint64_t digest[2] = {test::digest(fx.path[0]), test::digest(fx.path[1])};
  {
    auto r = fx.open(ro);
    auto r2 = fx.open(ro);  // readers share
    CHECK(r->as_hashmap() == model);
    CHECK(r2->as_hashmap() == model);
    CHECK(r->active() == active);
    CHECK(r->generation() == gen);
    CHECK(r->size() == model.size());
    CHECK(r->get("last") == Value("word"));
    CHECK(r->contains(key_n(3)));
    CHECK(*r->find(key_n(4)) == Value(4));
    // A writer in another process waits for the readers to leave.
    CHECK(errc_in_child([&] { DoubleBufferedMemMappedKV::open(fx.path[0], fx.path[1], o); }) ==
          locked);
    // Every write is refused, the ones that would compact or grow included.
    CHECK(error_of([&] { r->set("x", Value(1)); }) == errc::read_only);
    CHECK(error_of([&] { r->set(key_n(3), Value(1)); }) == errc::read_only);
    CHECK(error_of([&] { r->erase(key_n(3)); }) == errc::read_only);
    CHECK(error_of([&] {
            r->set_many({{"x", Value(1)}, {key_n(5), Value()}});
          }) == errc::read_only);
    CHECK(error_of([&] { r->set("huge", Value(std::string(1 << 20, 'h'))); }) == errc::read_only);
    CHECK(error_of([&] { r->clear(); }) == errc::read_only);
    CHECK(error_of([&] { r->compact(); }) == errc::read_only);
    // Nothing changed, and reads still work after the refusals.
    CHECK(r->as_hashmap() == model);
    CHECK(r->active() == active);
    CHECK(r->switch_count() == 0);
    CHECK(error_of([&] { r->set("y", Value(2)); }) == errc::read_only);
  }
  CHECK(test::digest(fx.path[0]) == digest[0]);
  CHECK(test::digest(fx.path[1]) == digest[1]);
  auto w = fx.open(o);
  CHECK(w->as_hashmap() == model);
  w->set("after", Value(1));
  CHECK(w->get("after") == Value(1));
}

// ============================================================================
// 10. Model-based
// ============================================================================

namespace {

// Bytes of the record a set or set_many writes (duplicates counted: at
// least the real size).
std::size_t op_record_bytes(const Op& op) {
  RecordWriter w;
  w.begin(memvec::kv::kRecordBatch);
  if (op.kind == Op::set) w.add(op.key, op.value);
  for (const auto& [k, v] : op.items) w.add(k, v);
  return w.finish(0).size();
}

template <class Fx>
void model_run(Fx& fx, std::uint64_t seed, int steps) {
  const StoreOptions o{.initial_size = 2048, .max_size = 65536, .high_water_mark_ratio = 0.6, .compaction_room = 0};
  Mix mix;
  mix.set = 500;
  mix.erase = 150;
  mix.set_many = 150;
  mix.clear = 5;
  mix.compact = 30;
  mix.reopen = 20;
  mix.big = 3;  // 20-70 KB: some fit by growing, some cannot fit at all
  mix.key_space = 80;
  mix.value_max = 120;
  mix.big_min = 20000;
  mix.big_max = 70000;
  Generator gen(seed, mix);
  auto s = fx.open(o);
  Index model;
  std::uint64_t switches = 0;
  int reopens = 0, refused = 0, checks = 0;
  const auto full_check = [&](const char* when) {
    INFO(when);
    REQUIRE(s->size() == model.size());
    REQUIRE(s->empty() == model.empty());
    REQUIRE(s->as_hashmap() == model);
    ++checks;
  };
  for (int step = 0; step < steps; ++step) {
    const Op op = gen.next();
    INFO(Fx::name << " seed " << seed << " step " << step << " " << kind_name(op.kind) << " '"
                  << op.key << "'");
    if (op.kind == Op::reopen) {
      const int active = s->active();
      const std::uint64_t gen_before = s->generation();
      switches += s->switch_count();
      s.reset();
      s = fx.open(o);
      ++reopens;
      REQUIRE(s->active() == active);
      REQUIRE(s->generation() == gen_before);
      REQUIRE(s->recovery().loss == DataLoss::none);
      full_check("after reopen");
      continue;
    }
    const std::uint64_t gen_before = s->generation();
    const int active_before = s->active();
    const std::uint64_t sw = s->switch_count();
    const auto err = error_of([&] { play(*s, op); });
    if (err) {
      // Only a live set that cannot fit at max_size is refused, and then
      // nothing changed.
      REQUIRE(err == errc::capacity_exceeded);
      CHECK(snapshot_bytes(model) + op_record_bytes(op) > 65536 - kHeaderSize);
      ++refused;
      full_check("after a refused write");
      continue;
    }
    play(model, op);
    // Switches move the generation by one each and alternate the roles.
    const std::uint64_t d = s->switch_count() - sw;
    REQUIRE(s->generation() == gen_before + d);
    REQUIRE(s->active() == (d % 2 == 0 ? active_before : 1 - active_before));
    if (op.kind == Op::compact || op.kind == Op::clear) REQUIRE(d >= 1);
    // The keys the call touched, always; everything, every 25 steps.
    const auto check_key = [&](const std::string& k) {
      const auto it = model.find(k);
      REQUIRE(s->contains(k) == (it != model.end()));
      if (it != model.end()) REQUIRE(s->get(k) == it->second);
    };
    if (!op.key.empty() || op.kind == Op::set || op.kind == Op::erase) check_key(op.key);
    for (const auto& [k, v] : op.items) check_key(k);
    if (step % 25 == 0) full_check("periodic");
  }
  switches += s->switch_count();
  s.reset();
  s = fx.open(o);
  full_check("final reopen");
  CHECK(switches > 100);
  CHECK(reopens > 10);
  WARN("model (" << Fx::name << ", seed " << seed << "): " << steps << " steps, " << switches
                 << " switches, " << reopens << " reopens, " << refused
                 << " writes refused with capacity_exceeded (nothing changed), " << checks
                 << " full comparisons");
}

}  // namespace

TEMPLATE_TEST_CASE(
    "store: random set/set_many/erase/clear/compact/reopen steps match a std::map model", "[store]",
    SpanPair, FilePair) {
  TestType fx;
  model_run(fx, 4242, 6000);
}
