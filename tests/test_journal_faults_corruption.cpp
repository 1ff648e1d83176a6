// Journal fault injection, corruption sweeps (an in-memory journal of a few
// hundred records; opens are cheap): every byte of the header and of the
// committed log flipped, the backend cut short at every offset, and the
// committed length rewritten to every offset (inside records and past the
// written log). A header flip must be a clean errc; a log flip must open with
// partial or total loss and the exact state at the record boundary before
// the damaged record.
#include "journal_faults_fixture.hpp"

using namespace journal_faults;

namespace {
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
