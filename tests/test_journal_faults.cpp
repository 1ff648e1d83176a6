// Journal fault injection: corruption sweeps and simulated power cuts.
//
// Corruption sweeps (an in-memory journal of a few hundred records; opens are
// cheap): every byte of the header and of the committed log flipped, the
// backend cut short at every offset, and the committed length rewritten to
// every offset (inside records and past the written log). A header flip must
// be a clean errc; a log flip must open with partial or total loss and the
// exact state at the record boundary before the damaged record.
//
// Power cuts (tests/fault_backend.hpp): a workload of ~200 writes runs on a
// FaultBackend; at every sync point and at every call return, power is cut
// under each fault mode (unsynced pages dropped, random subsets written back,
// a torn page, everything written back) and a journal is reopened from the
// image. With Durability::power_loss every returned call survives and nothing
// is lost; without it the journal reopens to the exact state of some earlier
// call boundary, says what it lost, and is never older than its last sync().
// Dedicated scenarios (each with equal-size records, so stale frames line
// up with new ones): stale records of an earlier epoch under a fresh header
// (the epoch in the CRC seed rejects them); an epoch used on disk but lost
// with its header, then reused by a later clear(); records a lossy recovery
// dropped, or whose commit a power cut lost, reappearing after the next cut
// (the first write after open() zeroes and syncs the tail); a clear() after
// a sync() reaching back past the sync point.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "backend_factory.hpp"
#include "fault_backend.hpp"
#include "memvec/kv.hpp"
#include "memvec/memvec.hpp"
#include "support.hpp"

using memvec::Durability;
using memvec::errc;
using memvec::errc_name;
using memvec::SpanBackend;
using memvec::kv::Array;
using memvec::kv::DataLoss;
using memvec::kv::Index;
using memvec::kv::JournalOptions;
using memvec::kv::KVJournal;
using memvec::kv::Object;
using memvec::kv::Value;
using test::CutMode;
using test::CutSpec;
using test::FaultBackend;
using test::FaultDisk;
using test::SizePolicy;

namespace {

using Rng = std::mt19937_64;
using Item = std::pair<std::string, Value>;
using SpanJournal = KVJournal<SpanBackend>;
using FaultJournal = KVJournal<FaultBackend>;
constexpr std::size_t kDataOffset = SpanJournal::Log::kSpec.data_offset;

const char* loss_name(DataLoss l) {
  switch (l) {
    case DataLoss::none:
      return "none";
    case DataLoss::partial:
      return "partial";
    case DataLoss::total:
      return "total";
  }
  return "?";
}

std::string describe(const Index& index) {
  std::map<std::string, std::string> sorted;
  for (const auto& [k, v] : index) sorted.emplace(k, v.to_json());
  std::ostringstream os;
  os << "{";
  for (const auto& [k, v] : sorted) os << '"' << k << "\": " << v.substr(0, 40) << ", ";
  os << "} (" << index.size() << " keys)";
  return os.str();
}

// --- workload ------------------------------------------------------------------

struct Op {
  enum Kind { set, erase, set_many, clear, sync } kind = set;
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
    case Op::sync:
      return "sync";
  }
  return "?";
}

struct Mix {
  int set = 55, erase = 15, set_many = 28, clear = 0, sync = 0;  // weights
  std::size_t big_max = 300;  // longest "big" string value
  int key_space = 60;
};

class Generator {
 public:
  Generator(std::uint64_t seed, Mix mix) : rng_(seed), mix_(mix) {}

  Op next() {
    Op op;
    const int total = mix_.set + mix_.erase + mix_.set_many + mix_.clear + mix_.sync;
    int r = static_cast<int>(rng_() % static_cast<std::uint64_t>(total));
    if ((r -= mix_.set) < 0) {
      op.kind = Op::set;
      op.key = key();
      op.value = value(0);
    } else if ((r -= mix_.erase) < 0) {
      op.kind = Op::erase;
      op.key = key();
    } else if ((r -= mix_.set_many) < 0) {
      op.kind = Op::set_many;
      const std::size_t n = 1 + rng_() % 6;
      for (std::size_t i = 0; i < n; ++i) {
        // Some repeated keys (the last one wins) and some nulls (erases).
        std::string k = (i > 0 && rng_() % 5 == 0) ? op.items[rng_() % i].first : key();
        op.items.emplace_back(std::move(k), rng_() % 6 == 0 ? Value() : value(0));
      }
    } else if ((r -= mix_.clear) < 0) {
      op.kind = Op::clear;
    } else {
      op.kind = Op::sync;
    }
    return op;
  }

 private:
  std::string text(std::size_t n) {
    static const char* const kPieces[] = {"a", "b", "z", "0", " ", "-", "\xC3\xA9", "\xE2\x82\xAC",
                                          "\xF0\x9F\x98\x80", "\"", "\\", "\n"};
    std::string s;
    while (s.size() < n) s += kPieces[rng_() % std::size(kPieces)];
    return s;
  }
  std::string key() {
    const auto id = std::to_string(rng_() % static_cast<std::uint64_t>(mix_.key_space));
    switch (rng_() % 40) {
      case 0:
        return "";
      case 1:
        return "\xD0\xBA\xD0\xBB\xD1\x8E\xD1\x87-" + id;  // "ключ-"
      case 2:
        return std::string(100, 'x') + id;
      default:
        return "k" + id;
    }
  }
  Value value(int depth) {
    switch (rng_() % 12) {
      case 0:
        return Value(static_cast<std::int64_t>(rng_() % 200) - 100);
      case 1:
        return Value(static_cast<std::int64_t>(rng_()));
      case 2:
        return Value(rng_() | (std::uint64_t{1} << 63));
      case 3:
        return Value(static_cast<double>(rng_() % 100000) / 8.0 - 5000.0);
      case 4:
        return Value(rng_() % 2 == 0);
      case 5:
        return Value(text(rng_() % mix_.big_max));
      case 6:
      case 7:
        if (depth < 2) {
          Array a;
          for (std::size_t i = rng_() % 5; i > 0; --i) a.push_back(value(depth + 1));
          return Value(std::move(a));
        }
        return Value(nullptr);  // a null inside a container is data, not an erase
      case 8:
        if (depth < 2) {
          Object o;
          for (std::size_t i = rng_() % 4; i > 0; --i) o[text(1 + rng_() % 6)] = value(depth + 1);
          return Value(std::move(o));
        }
        return Value("leaf");
      default:
        return Value(text(rng_() % 24));
    }
  }

  Rng rng_;
  Mix mix_;
};

void apply(Index& m, const std::string& key, const Value& v) {
  if (v.is_null())
    m.erase(key);
  else
    m[key] = v;
}

void apply(Index& m, const Op& op) {
  switch (op.kind) {
    case Op::set:
      apply(m, op.key, op.value);
      break;
    case Op::erase:
      m.erase(op.key);
      break;
    case Op::set_many:
      for (const auto& [k, v] : op.items) apply(m, k, v);
      break;
    case Op::clear:
      m.clear();
      break;
    case Op::sync:
      break;
  }
}

template <class B>
void apply(KVJournal<B>& j, const Op& op) {
  switch (op.kind) {
    case Op::set:
      j.set(op.key, op.value);
      break;
    case Op::erase:
      j.erase(op.key);
      break;
    case Op::set_many:
      j.set_many(op.items);
      break;
    case Op::clear:
      j.clear();
      break;
    case Op::sync:
      j.sync();
      break;
  }
}

// The header words of a MemVec image.
std::uint64_t image_word(std::span<const std::byte> image, std::size_t offset) {
  return memvec::detail::decode_word(memvec::detail::load_word_raw(image.data(), offset))
      .value_or(~std::uint64_t{0});
}

void put_length(std::span<std::byte> image, std::uint64_t length) {
  const std::uint64_t w = memvec::detail::encode_word(length);
  std::memcpy(image.data() + memvec::header_offset::kLengthWord, &w, sizeof w);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// --- the corruption-sweep journal --------------------------------------------------

// A journal of `ops` writes (one clear early on, so the sweep runs in epoch
// 1 over bytes that held epoch-0 records), with the state at every record
// boundary since that clear.
struct Sweep {
  test::AlignedBuffer image;  // the whole backend
  std::vector<std::size_t> ends{0};  // log offsets of the record boundaries
  std::vector<Index> states{Index{}};
  std::size_t used = 0;
  std::uint64_t epoch = 0;
  std::uint64_t created_epoch = 0;  // random at create(): see KVJournal::create
};

Sweep build_sweep_journal(std::uint64_t seed, int ops) {
  Sweep s;
  Generator gen(seed, Mix{});
  auto j = KVJournal<test::HeapBackend>::create(test::HeapBackend(4096));
  s.created_epoch = j.epoch();
  Index model;
  for (int i = 0; i < ops; ++i) {
    if (i == 25) {
      j.clear();
      model.clear();
      s.ends.assign(1, 0);
      s.states.assign(1, Index{});
      continue;
    }
    const Op op = gen.next();
    apply(j, op);
    apply(model, op);
    s.ends.push_back(j.used_bytes());
    s.states.push_back(model);
  }
  REQUIRE(j.as_hashmap() == model);
  s.used = j.used_bytes();
  s.epoch = j.epoch();
  const auto& be = j.log().backend();
  s.image.assign(be.data(), be.data() + be.size());
  return s;
}

// Index of the record holding log offset p.
std::size_t record_at(const Sweep& s, std::size_t p) {
  const auto it = std::upper_bound(s.ends.begin(), s.ends.end(), p);
  return static_cast<std::size_t>(it - s.ends.begin()) - 1;
}

// Opens `bytes` and checks that it recovered exactly the prefix of `i`
// records out of a committed log of `committed` bytes. Returns an error
// message, or "" when all is well.
std::string check_prefix(const Sweep& s, std::span<std::byte> bytes, std::size_t i,
                         std::size_t committed) {
  std::optional<SpanJournal> j;
  try {
    j.emplace(SpanJournal::open(SpanBackend(bytes)));
  } catch (const std::exception& e) {
    return std::string("open threw: ") + e.what();
  }
  const auto& r = j->recovery();
  std::ostringstream err;
  const bool clean = s.ends[i] == committed;
  const DataLoss want = clean ? DataLoss::none : i == 0 ? DataLoss::total : DataLoss::partial;
  if (r.loss != want) err << "loss " << loss_name(r.loss) << ", expected " << loss_name(want) << "; ";
  if (r.records_replayed != i) err << "replayed " << r.records_replayed << ", expected " << i << "; ";
  if (r.bytes_dropped != committed - s.ends[i])
    err << "bytes_dropped " << r.bytes_dropped << ", expected " << committed - s.ends[i] << "; ";
  if (!clean) {
    if (r.records_dropped < 1 || r.records_dropped > std::max<std::uint64_t>(1, r.bytes_dropped / 9))
      err << "records_dropped " << r.records_dropped << "; ";
    if (r.first_bad_offset != s.ends[i])
      err << "first_bad_offset " << r.first_bad_offset << ", expected " << s.ends[i] << "; ";
    if (r.reason.empty()) err << "no reason; ";
  }
  if (j->as_hashmap() != s.states[i])
    err << "index " << describe(j->as_hashmap()) << ", expected " << describe(s.states[i]) << "; ";
  // A backend cut inside the committed log holds only its first bytes.
  const std::size_t held = std::min(committed, bytes.size() - kDataOffset);
  if (j->used_bytes() != held) err << "used_bytes " << j->used_bytes() << "; ";
  if (held < committed && r.reason.find("short of the committed log") == std::string::npos)
    err << "the reason does not name the cut; ";
  if (!err.str().empty()) err << "reason: " << r.reason;
  return err.str();
}

}  // namespace

// ============================================================================
// 2a. Corruption sweeps
// ============================================================================

TEST_CASE("journal faults: every byte of the header and the committed log flipped") {
  const auto t0 = std::chrono::steady_clock::now();
  const Sweep s = build_sweep_journal(0x5EED'F11F, 300);
  REQUIRE(s.epoch == s.created_epoch + 1);  // the one clear() moved it on
  const std::size_t records = s.ends.size() - 1;
  const std::size_t end = kDataOffset + s.used;
  INFO("journal of " << records << " records, " << s.used << " log bytes");
  REQUIRE(records >= 250);

  test::AlignedBuffer buf = s.image;
  std::map<std::string, int> header_codes;
  std::size_t header_flips = 0, log_flips = 0, total_losses = 0;
  std::vector<std::string> failures;
  // Two masks per byte: all bits, and one bit (rotating through the byte).
  for (const bool one_bit : {false, true}) {
    for (std::size_t off = 0; off < end; ++off) {
      const auto mask = static_cast<std::byte>(one_bit ? 1u << (off % 8) : 0xFFu);
      buf[off] ^= mask;
      const std::span<std::byte> bytes(buf);
      if (off < kDataOffset) {
        ++header_flips;
        const auto code = test::error_of([&] { (void)SpanJournal::open(SpanBackend(bytes)); });
        if (!code) {
          failures.push_back("header flip at " + std::to_string(off) + " opened");
        } else if (*code != errc::bad_magic && *code != errc::version_mismatch &&
                   *code != errc::type_mismatch && *code != errc::corrupt_header) {
          failures.push_back("header flip at " + std::to_string(off) + ": " + errc_name(*code));
        } else {
          ++header_codes[errc_name(*code)];
        }
      } else {
        ++log_flips;
        const std::size_t i = record_at(s, off - kDataOffset);
        if (i == 0) ++total_losses;
        const std::string e = check_prefix(s, bytes, i, s.used);
        if (!e.empty())
          failures.push_back("log flip at file offset " + std::to_string(off) + " (record " +
                             std::to_string(i) + "): " + e);
      }
      buf[off] ^= mask;
      if (failures.size() > 20) break;
    }
  }
  // Opening never wrote a byte.
  CHECK(std::memcmp(buf.data(), s.image.data(), buf.size()) == 0);
  for (std::size_t k = 0; k < failures.size() && k < 20; ++k) UNSCOPED_INFO(failures[k]);
  CHECK(failures.empty());
  std::ostringstream codes;
  for (const auto& [name, n] : header_codes) codes << name << " " << n << ", ";
  WARN("byte flips: " << header_flips << " in the header (" << codes.str() << "), " << log_flips
                      << " in the log of " << records << " records / " << s.used << " bytes ("
                      << total_losses << " total losses, the rest partial); "
                      << seconds_since(t0) << " s");
}

// A cut inside the header loses the journal: errc::truncated (bad_magic for
// an empty backend). A cut inside the committed log loses its tail: the
// journal opens with the records wholly before the cut and reports the rest
// (under process_crash a power cut can keep a grown length word but not the
// file's new size). A cut in the free room past the log loses nothing: the
// journal opens with exactly its contents, no loss, and the room the backend
// really has.
TEST_CASE("journal faults: a backend cut short at every offset: truncated inside the header, "
          "the records before the cut inside the log, the whole journal in the free room") {
  const auto t0 = std::chrono::steady_clock::now();
  const Sweep s = build_sweep_journal(0x7A11'C0DE, 300);
  const std::size_t full = s.image.size();
  const std::size_t committed_end = kDataOffset + s.used;
  REQUIRE(committed_end < full);  // some free room to cut into
  test::AlignedBuffer buf = s.image;
  std::size_t cuts = 0, header_cuts = 0, committed_cuts = 0;
  std::vector<std::string> failures;
  for (std::size_t n = 0; n < full; ++n) {
    ++cuts;
    const std::span<std::byte> bytes(buf.data(), n);
    if (n < kDataOffset) {
      ++header_cuts;
      const auto code = test::error_of([&] { (void)SpanJournal::open(SpanBackend(bytes)); });
      const errc want = n == 0 ? errc::bad_magic : errc::truncated;
      if (code != want)
        failures.push_back("cut at " + std::to_string(n) + ": " +
                           (code ? errc_name(*code) : "opened") + ", expected " + errc_name(want));
    } else if (n < committed_end) {
      ++committed_cuts;
      // The records that end at or before the cut, no more.
      std::size_t i = 0;
      while (i + 1 < s.ends.size() && s.ends[i + 1] <= n - kDataOffset) ++i;
      const std::string e = check_prefix(s, bytes, i, s.used);
      if (!e.empty()) failures.push_back("cut at " + std::to_string(n) + ": " + e);
    } else {
      std::string e = check_prefix(s, bytes, s.ends.size() - 1, s.used);
      if (e.empty()) {
        const auto cap = SpanJournal::open(SpanBackend(bytes)).log().capacity();
        if (cap != n - kDataOffset)
          e = "capacity " + std::to_string(cap) + ", expected " + std::to_string(n - kDataOffset);
      }
      if (!e.empty()) failures.push_back("cut at " + std::to_string(n) + ": " + e);
    }
    if (failures.size() > 20) break;
  }
  // The whole backend opens cleanly.
  const std::string e = check_prefix(s, buf, s.ends.size() - 1, s.used);
  CHECK(e.empty());
  // Opening never wrote a byte.
  CHECK(std::memcmp(buf.data(), s.image.data(), full) == 0);
  for (std::size_t k = 0; k < failures.size() && k < 20; ++k) UNSCOPED_INFO(failures[k]);
  CHECK(failures.empty());
  WARN("truncations: " << cuts << " backend sizes from 0 to " << full - 1 << ": "
                       << header_cuts << " inside the header (bad_magic at 0, truncated "
                       << "elsewhere), " << committed_cuts << " inside the committed log (the "
                       << "records before the cut, the rest reported), "
                       << cuts - header_cuts - committed_cuts
                       << " in the free room past it (opened whole, no loss); "
                       << seconds_since(t0) << " s");
}

TEST_CASE("journal faults: a committed length pointing inside a record or past the log") {
  const auto t0 = std::chrono::steady_clock::now();
  const Sweep s = build_sweep_journal(0x1E'16'7B, 300);
  test::AlignedBuffer buf = s.image;
  const std::size_t records = s.ends.size() - 1;
  const std::size_t capacity = buf.size() - kDataOffset;
  std::size_t inside = 0, at_boundary = 0, past = 0;
  std::vector<std::string> failures;
  // Every length from 0 to the committed end: inside a record it is a
  // partial (or total) loss with the exact prefix, at a boundary a clean
  // open of that prefix.
  for (std::size_t len = 0; len <= s.used; ++len) {
    put_length(buf, len);
    const std::size_t i = record_at(s, len);
    (s.ends[i] == len ? at_boundary : inside) += 1;
    const std::string e = check_prefix(s, buf, i, len);
    if (!e.empty()) failures.push_back("length " + std::to_string(len) + ": " + e);
    if (failures.size() > 20) break;
  }
  // Lengths past the written log (a header that reached the disk before
  // its records): the bytes there are stale or zero, never data.
  for (std::size_t extra = 1; extra <= 512 && s.used + extra <= capacity; ++extra) {
    ++past;
    put_length(buf, s.used + extra);
    const std::string e = check_prefix(s, buf, records, s.used + extra);
    if (!e.empty()) failures.push_back("length used+" + std::to_string(extra) + ": " + e);
    if (failures.size() > 20) break;
  }
  put_length(buf, s.used);
  CHECK(std::memcmp(buf.data(), s.image.data(), buf.size()) == 0);
  for (std::size_t k = 0; k < failures.size() && k < 20; ++k) UNSCOPED_INFO(failures[k]);
  CHECK(failures.empty());
  WARN("committed-length rewrites: " << inside << " inside records (partial/total loss, exact "
                                     << "prefix), " << at_boundary << " at record boundaries (clean), "
                                     << past << " past the written log; " << seconds_since(t0)
                                     << " s");
}

// ============================================================================
// 2b. Power cuts with the FaultBackend
// ============================================================================

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

// ============================================================================
// Stale records: the epoch in the CRC seed
// ============================================================================

namespace {

// The length of a value string whose set("<prefix>NNN", value) record is
// exactly `size` bytes, so records of two runs line up at the same offsets.
std::string value_for_record_size(const std::string& key, std::size_t size) {
  for (std::size_t n = 0; n < size; ++n) {
    auto j = KVJournal<test::HeapBackend>::create(test::HeapBackend(4096));
    j.set(key, Value(std::string(n, 'v')));
    if (j.used_bytes() == size) return std::string(n, 'v');
  }
  FAIL("no value length gives a " << size << "-byte record");
  return {};
}

// "<prefix>NNN": keys of one length, so their records have one size.
std::string key3(const std::string& prefix, std::size_t i) {
  std::string n = std::to_string(i);
  return prefix + std::string(n.size() < 3 ? 3 - n.size() : 0, '0') + n;
}

bool has_prefix_key(const Index& m, const std::string& prefix) {
  for (const auto& [k, v] : m)
    if (k.rfind(prefix, 0) == 0) return true;
  return false;
}

}  // namespace

TEST_CASE("journal faults: records from before a clear() never come back under a new header") {
  // 48-byte records: 80 of them fill the rest of page 0 exactly, so old and
  // new records start at the same offsets, page boundaries included.
  const std::string old_value = value_for_record_size("old-000", 48);
  const std::string new_value = value_for_record_size("new-000", 48);
  const std::size_t page = memvec::page_size();
  REQUIRE((page - kDataOffset) % 48 == 0);

  for (const Durability durability : {Durability::process_crash, Durability::power_loss}) {
    INFO("durability " << (durability == Durability::power_loss ? "power_loss" : "process_crash"));
    JournalOptions opts;
    opts.durability = durability;
    FaultBackend backend(4 * page);
    const auto disk = backend.disk();
    FaultJournal j = FaultJournal::create(std::move(backend), opts);
    for (int i = 0; i < 200; ++i) {  // pages 0..2
      j.set(key3("old-", i), Value(old_value));
    }
    j.sync();
    const std::size_t old_used = j.used_bytes();
    const std::uint64_t old_epoch = j.epoch();
    j.clear();
    for (int i = 0; i < 150; ++i) {  // over the same offsets, fewer of them
      j.set(key3("new-", i), Value(new_value));
    }
    const std::size_t new_used = j.used_bytes();
    REQUIRE(new_used < old_used);
    REQUIRE(j.epoch() != old_epoch);

    // The durable image holds the old records everywhere. Write back only
    // the header (its first sector), or only page 0 (the header and the
    // new records in it), or page 0 and page 2 (a hole at page 1).
    struct Case {
      const char* what;
      std::vector<std::size_t> pages;
      std::optional<FaultDisk::TornPage> torn;
    };
    const std::vector<Case> cases = {
        {"header sector only", {}, FaultDisk::TornPage{0, 512}},
        {"header page only", {0}, std::nullopt},
        {"header page and page 2, not page 1", {0, 2}, std::nullopt},
    };
    for (const Case& c : cases) {
      INFO(c.what);
      auto image = disk->cut_with(c.pages, c.torn);
      if (durability == Durability::power_loss) {
        // Everything was synced: the durable image already is the new state.
        image = disk->cut({CutMode::drop_unsynced});
      }
      // The image's header is the new one (epoch moved on, new length).
      REQUIRE(image_word(image, memvec::header_offset::kUserWord) == j.epoch());
      REQUIRE(image_word(image, memvec::header_offset::kLengthWord) == new_used);
      if (durability == Durability::process_crash) {
        // Control: under the old seed, the old records of page 1 (a record
        // boundary) would replay as data; the epoch is what rejects them.
        Index stale;
        const auto seed_old = memvec::kv::record_seed(j.generation(), old_epoch);
        const std::size_t from = page - kDataOffset;
        (void)memvec::kv::replay(
            std::span<const std::byte>(image).subspan(kDataOffset + from, new_used - from),
            seed_old, stale);
        CHECK(has_prefix_key(stale, "old-"));
      }
      FaultJournal r = FaultJournal::open(FaultBackend(image), opts);
      CHECK_FALSE(has_prefix_key(r.as_hashmap(), "old-"));
      if (durability == Durability::power_loss) {
        CHECK(r.recovery().loss == DataLoss::none);
        CHECK(r.size() == 150);
      } else {
        CHECK(r.recovery().loss != DataLoss::none);
        CHECK(r.recovery().bytes_dropped > 0);
        // Whatever survived is a prefix of the new records.
        for (const auto& [k, v] : r.as_hashmap()) CHECK(v == Value(new_value));
        CHECK(r.recovery().records_replayed == r.size());
        CHECK(r.recovery().bytes_dropped == new_used - 48 * r.size());
      }
    }
  }
}

TEST_CASE("journal faults: an epoch used on disk but lost with its header is never reused") {
  // Under process_crash, a power cut can lose a header that moved to a new
  // epoch while records of that epoch reached the disk. If the reopened
  // journal later moved to that same epoch again, those records would
  // validate wherever their frames line up with new ones, and a reopen would
  // mix two histories. Equal-size records make the frames line up.
  const std::string value = value_for_record_size("a-000", 48);
  const std::size_t page = memvec::page_size();
  const std::size_t per_page0 = (page - kDataOffset) / 48;  // records in page 0
  JournalOptions opts;  // process_crash

  SECTION("a clear() whose header was lost, then a clean reopen and another clear()") {
    // Run 1: a few records in page 0, synced; clear(); many "lost" records
    // (pages 0..2); power cut: page 0 (header) not written back, pages 1-2
    // written back. The reopen is clean (the lost records lie past the old
    // length) and back in the old epoch.
    FaultBackend backend(4 * page);
    auto disk = backend.disk();
    FaultJournal j = FaultJournal::create(std::move(backend), opts);
    for (int i = 0; i < 10; ++i) {
      j.set(key3("a-", i), Value(value));
    }
    disk->sync_all();  // the kernel wrote everything back (no sync(): see clear())
    j.clear();
    for (int i = 0; i < 200; ++i) {
      j.set(key3("b-", i), Value(value));
    }
    const std::vector<std::size_t> back = {1, 2};
    const auto image1 = disk->cut_with(back);
    FaultJournal r1 = FaultJournal::open(FaultBackend(image1), opts);
    REQUIRE(r1.recovery().loss == DataLoss::none);
    REQUIRE(r1.size() == 10);
    // Run 2: clear() again and write "c" records into page 1; power cut:
    // the header page written back, page 1 not (it still holds run 1's "b"
    // records at the same offsets).
    auto disk2 = r1.log().backend().disk();
    r1.clear();
    for (std::size_t i = 0; i < per_page0 + 20; ++i) {
      r1.set(key3("c-", i), Value(value));
    }
    const std::vector<std::size_t> back2 = {0};
    const auto image2 = disk2->cut_with(back2);
    FaultJournal r2 = FaultJournal::open(FaultBackend(image2), opts);
    INFO("reopened: " << describe(r2.as_hashmap()) << "; " << r2.recovery().reason);
    CHECK_FALSE(has_prefix_key(r2.as_hashmap(), "b-"));
    CHECK(r2.recovery().loss == DataLoss::partial);
    CHECK(r2.size() == per_page0);
  }

  SECTION("a lossy reopen, then writes over the damaged tail") {
    // Run 1: records in pages 0..1, synced; clear(); "lost" records over
    // pages 0..2; power cut: page 0 not written back, pages 1-2 written back.
    // The reopen (old epoch) loses everything from page 1 on.
    FaultBackend backend(4 * page);
    auto disk = backend.disk();
    FaultJournal j = FaultJournal::create(std::move(backend), opts);
    for (std::size_t i = 0; i < per_page0 + 40; ++i) {
      j.set(key3("a-", i), Value(value));
    }
    disk->sync_all();  // the kernel wrote everything back (no sync(): see clear())
    j.clear();
    for (int i = 0; i < 200; ++i) {
      j.set(key3("b-", i), Value(value));
    }
    const std::vector<std::size_t> back = {1, 2};
    FaultJournal r1 = FaultJournal::open(FaultBackend(disk->cut_with(back)), opts);
    REQUIRE(r1.recovery().loss == DataLoss::partial);
    REQUIRE(r1.size() == per_page0);
    // Run 2: the first write cuts back to page 1 (same epoch); the "c"
    // records land over run 1's "b" records in page 1. Power cut: the header
    // page written back, page 1 not.
    auto disk2 = r1.log().backend().disk();
    for (int i = 0; i < 20; ++i) {
      r1.set(key3("c-", i), Value(value));
    }
    const std::vector<std::size_t> back2 = {0};
    FaultJournal r2 = FaultJournal::open(FaultBackend(disk2->cut_with(back2)), opts);
    INFO("reopened: " << describe(r2.as_hashmap()) << "; " << r2.recovery().reason);
    CHECK_FALSE(has_prefix_key(r2.as_hashmap(), "b-"));
    CHECK(r2.recovery().loss == DataLoss::partial);
    CHECK(r2.size() == per_page0);
  }
}

TEST_CASE("journal faults: a clear() after a sync() never reopens to a state older than the sync") {
  // Records synced, then clear() and new records over the same offsets. A
  // power cut that writes back the new records but not the header must not
  // reopen to a prefix of the synced records cut short by the new ones (a
  // state older than the sync): the clear's header is durable first.
  const std::string value = value_for_record_size("a-000", 48);
  const std::size_t page = memvec::page_size();
  const std::size_t per_page0 = (page - kDataOffset) / 48;
  FaultBackend backend(4 * page);
  auto disk = backend.disk();
  FaultJournal j = FaultJournal::create(std::move(backend));  // process_crash
  for (std::size_t i = 0; i < 3 * per_page0; ++i) j.set(key3("a-", i), Value(value));
  j.sync();
  const std::uint64_t syncs = disk->syncs();
  j.clear();
  CHECK(disk->syncs() == syncs + 1);
  j.clear();  // no sync since: no sync needed
  CHECK(disk->syncs() == syncs + 1);
  for (std::size_t i = 0; i < 2 * per_page0; ++i) j.set(key3("b-", i), Value(value));
  CHECK(disk->syncs() == syncs + 1);  // writes under process_crash: no syscall
  for (const auto& pages : {std::vector<std::size_t>{1}, std::vector<std::size_t>{1, 2},
                            std::vector<std::size_t>{}}) {
    FaultJournal r = FaultJournal::open(FaultBackend(disk->cut_with(pages)));
    INFO("pages written back: " << pages.size() << "; " << describe(r.as_hashmap()));
    CHECK_FALSE(has_prefix_key(r.as_hashmap(), "a-"));
  }
}

TEST_CASE("journal faults: records dropped by a lossy recovery never come back after the next cut") {
  // Power cut 1 leaves a hole: the header and page 2 reached the disk, page
  // 1 did not. The reopen stops at page 1 and drops the valid records of
  // page 2 behind the hole. The next writes go over page 1 and into page 2;
  // power cut 2 writes back the header and page 1 but not page 2, which
  // still holds the dropped records of the same epoch, at the same offsets
  // (equal-size records). They must not be read as data: the damaged tail
  // must be gone from the disk before a new length covers it.
  const std::string value = value_for_record_size("a-000", 48);
  const std::size_t page = memvec::page_size();
  const std::size_t per_page0 = (page - kDataOffset) / 48;
  const Durability durability = GENERATE(Durability::process_crash, Durability::power_loss);
  JournalOptions opts;
  opts.durability = durability;
  FaultBackend backend(4 * page);
  auto disk = backend.disk();
  FaultJournal j = FaultJournal::create(std::move(backend), opts);
  for (std::size_t i = 0; i < per_page0; ++i) j.set(key3("a-", i), Value(value));
  j.sync();
  for (std::size_t i = per_page0; i < 3 * per_page0; ++i) j.set(key3("a-", i), Value(value));
  // Under power_loss everything is durable: make the hole by hand.
  auto image1 = durability == Durability::power_loss ? disk->cut({CutMode::drop_unsynced})
                                                     : disk->cut_with(std::vector<std::size_t>{0, 2});
  if (durability == Durability::power_loss)
    std::memset(image1.data() + page, 0, page);
  FaultJournal r1 = FaultJournal::open(FaultBackend(image1), opts);
  REQUIRE(r1.recovery().loss == DataLoss::partial);
  REQUIRE(r1.size() == per_page0);
  auto disk2 = r1.log().backend().disk();
  // 100 records: all of page 1 and some of page 2.
  for (std::size_t i = 0; i < 100; ++i) r1.set(key3("c-", i), Value(value));
  REQUIRE(r1.used_bytes() > 2 * page - kDataOffset);
  const auto image2 = disk2->cut_with(std::vector<std::size_t>{0, 1});
  FaultJournal r2 = FaultJournal::open(FaultBackend(image2), opts);
  INFO("reopened: " << describe(r2.as_hashmap()) << "; " << r2.recovery().reason);
  for (std::size_t i = per_page0; i < 3 * per_page0; ++i) CHECK_FALSE(r2.contains(key3("a-", i)));
  if (durability == Durability::power_loss) {
    CHECK(r2.recovery().loss == DataLoss::none);
    CHECK(r2.size() == per_page0 + 100);
  } else {
    CHECK(r2.recovery().loss == DataLoss::partial);
    CHECK(r2.size() == per_page0 + (page / 48));  // the a's of page 0, the c's of page 1
  }
}

TEST_CASE("journal faults: records whose commit a power cut lost never come back after the next cut") {
  // Power cut 1 keeps the records of pages 1-2 but not the header that
  // committed them: the reopen is clean, at the synced length, and shows
  // none of them. The next writes go over page 1 and into page 2; power cut
  // 2 keeps the header and page 1 but not page 2, which still holds those
  // never-shown records of the same epoch at the same offsets.
  const std::string value = value_for_record_size("a-000", 48);
  const std::size_t page = memvec::page_size();
  const std::size_t per_page0 = (page - kDataOffset) / 48;
  FaultBackend backend(4 * page);
  auto disk = backend.disk();
  FaultJournal j = FaultJournal::create(std::move(backend));  // process_crash
  for (std::size_t i = 0; i < per_page0; ++i) j.set(key3("a-", i), Value(value));
  j.sync();
  for (std::size_t i = per_page0; i < 3 * per_page0; ++i) j.set(key3("a-", i), Value(value));
  FaultJournal r1 = FaultJournal::open(FaultBackend(disk->cut_with(std::vector<std::size_t>{1, 2})));
  REQUIRE(r1.recovery().loss == DataLoss::none);
  REQUIRE(r1.size() == per_page0);
  auto disk2 = r1.log().backend().disk();
  for (std::size_t i = 0; i < 100; ++i) r1.set(key3("c-", i), Value(value));
  REQUIRE(r1.used_bytes() > 2 * page - kDataOffset);
  FaultJournal r2 = FaultJournal::open(FaultBackend(disk2->cut_with(std::vector<std::size_t>{0, 1})));
  INFO("reopened: " << describe(r2.as_hashmap()) << "; " << r2.recovery().reason);
  for (std::size_t i = per_page0; i < 3 * per_page0; ++i) CHECK_FALSE(r2.contains(key3("a-", i)));
  CHECK(r2.recovery().loss == DataLoss::partial);
  CHECK(r2.size() == per_page0 + (page / 48));  // the a's of page 0, the c's of page 1
}

TEST_CASE("fault backend: sync, dirty pages and cuts behave as documented") {
  const std::size_t page = memvec::page_size();
  FaultBackend b(2 * page);
  auto d = b.disk();
  REQUIRE(reinterpret_cast<std::uintptr_t>(b.data()) % 4096 == 0);
  CHECK(d->dirty_pages().empty());
  b.data()[10] = std::byte{1};
  b.data()[page + 10] = std::byte{2};
  CHECK(d->dirty_pages() == std::vector<std::size_t>{0, 1});
  CHECK(d->cut({CutMode::drop_unsynced})[10] == std::byte{0});
  CHECK(d->cut({CutMode::keep_all})[page + 10] == std::byte{2});
  b.sync(page + 5, 1);  // the covering page only
  CHECK(d->syncs() == 1);
  CHECK(d->dirty_pages() == std::vector<std::size_t>{0});
  // Torn: the head new, the tail old.
  b.data()[page - 1] = std::byte{3};
  const auto torn = d->cut_with({}, FaultDisk::TornPage{0, page / 2});
  CHECK(torn[10] == std::byte{1});
  CHECK(torn[page - 1] == std::byte{0});
  // Growth keeps bytes; the durable size follows only at a sync.
  const std::byte* before = b.data();
  b.resize(3 * page);
  (void)before;
  CHECK(b.data()[page + 10] == std::byte{2});
  CHECK(d->durable_size() == 2 * page);
  CHECK(d->cut({CutMode::keep_all}).size() == 2 * page);
  CHECK(d->cut({CutMode::keep_all, 0, SizePolicy::volatile_size}).size() == 3 * page);
  CHECK(d->dirty_pages() == std::vector<std::size_t>{0, 2});
  b.sync(0, 1);
  CHECK(d->durable_size() == 3 * page);
  CHECK(d->dirty_pages().empty());
  // A new backend from an image: volatile == durable.
  FaultBackend c(d->cut({CutMode::drop_unsynced}));
  CHECK(c.size() == 3 * page);
  CHECK(c.disk()->dirty_pages().empty());
  // Hooks see each sync before it lands, and may throw.
  int seen = 0;
  d->on_sync = [&](FaultDisk&, std::size_t, std::size_t) {
    ++seen;
    if (seen == 2) throw memvec::Error(errc::io_error, "injected");
  };
  b.data()[20] = std::byte{9};
  b.sync(0, 1);
  CHECK(seen == 1);
  b.data()[21] = std::byte{9};
  CHECK(test::error_of([&] { b.sync(0, 1); }) == errc::io_error);
  CHECK(d->dirty_pages() == std::vector<std::size_t>{0});
  // Limits.
  FaultBackend small(page, page);
  CHECK(test::error_of([&] { small.resize(2 * page); }) == errc::capacity_exceeded);
  CHECK(small.size() == page);
  FaultBackend moved = std::move(small);
  CHECK(small.size() == 0);  // NOLINT(bugprone-use-after-move): documented state
  CHECK(moved.size() == page);
}
