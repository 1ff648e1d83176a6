// The non-template parts of KVJournal: options, metadata, set_many's
// duplicate handling.
#include "memvec/kv/journal.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <string>
#include <random>
#include <unordered_set>

#include "memvec/error.hpp"

namespace memvec::kv::detail {

namespace {
constexpr std::size_t kMetaVersion = 0;     // u16
constexpr std::size_t kMetaGeneration = 8;  // u64
constexpr std::size_t kMetaCreated = 16;    // u64
}  // namespace

std::uint32_t ratio_ppm(double ratio, const char* field) {
  // Written so that NaN fails too.
  if (!(ratio > 0.0 && ratio <= 1.0))
    throw Error(errc::invalid_argument, std::string("journal options: ") + field +
                                            " must be in (0, 1], got " + std::to_string(ratio));
  const auto ppm = static_cast<std::uint32_t>(std::llround(ratio * 1e6));
  return ppm == 0 ? 1 : ppm;
}

std::size_t apply_ppm(std::size_t bytes, std::uint32_t ppm) noexcept {
  constexpr std::size_t kMillion = 1'000'000;
  return bytes / kMillion * ppm + bytes % kMillion * ppm / kMillion;
}

std::vector<bool> superseded(std::span<const std::pair<std::string, Value>> items) {
  std::vector<bool> later(items.size(), false);
  std::unordered_set<std::string_view> seen;
  seen.reserve(items.size());
  for (std::size_t i = items.size(); i-- > 0;) later[i] = !seen.insert(items[i].first).second;
  return later;
}

std::array<std::byte, 24> encode_meta(const JournalMeta& meta) {
  std::array<std::byte, 24> a{};
  std::memcpy(a.data() + kMetaVersion, &meta.format_version, 2);
  std::memcpy(a.data() + kMetaGeneration, &meta.generation, 8);
  std::memcpy(a.data() + kMetaCreated, &meta.created_unix_ns, 8);
  return a;
}

JournalMeta decode_meta(std::span<const std::byte> area, const std::string& where) {
  JournalMeta m;
  std::memcpy(&m.format_version, area.data() + kMetaVersion, 2);
  std::memcpy(&m.generation, area.data() + kMetaGeneration, 8);
  std::memcpy(&m.created_unix_ns, area.data() + kMetaCreated, 8);
  if (m.format_version != kJournalFormatVersion)
    throw Error(errc::version_mismatch,
                "journal" + where + ": format version " + std::to_string(m.format_version) +
                    ", this build reads " + std::to_string(kJournalFormatVersion));
  // A header whose checksum holds but whose generation is past the largest
  // was crafted or written by something else: not a file to open.
  check_generation(m.generation, errc::corrupt_header, where);
  return m;
}

void check_generation(std::uint64_t generation, errc code, const std::string& where) {
  if (generation > kMaxGeneration)
    throw Error(code, "journal" + where + ": generation " + std::to_string(generation) +
                          " is past the largest, " + std::to_string(kMaxGeneration));
}

std::size_t nonzero_end(std::span<const std::byte> bytes) noexcept {
  static constexpr std::byte kZeros[4096] = {};
  std::size_t end = bytes.size();
  // Whole blocks from the end (memcmp is vectorized; it outruns a word loop
  // walking backwards), then words, then at most 7 bytes.
  while (end >= sizeof kZeros &&
         std::memcmp(bytes.data() + end - sizeof kZeros, kZeros, sizeof kZeros) == 0)
    end -= sizeof kZeros;
  while (end >= 8 && memvec::detail::load_word_raw(bytes.data() + end - 8, 0) == 0) end -= 8;
  while (end > 0 && bytes[end - 1] == std::byte{0}) --end;
  return end;
}

std::uint64_t random_epoch() {
  // One std::random_device read per process (it opens the entropy device:
  // a compaction creates a journal, and hot keys compact thousands of
  // times a second), then a splitmix64 stream from it: still a different
  // epoch for every journal created, in every process.
  static const std::uint64_t base = [] {
    std::random_device rd;
    return (std::uint64_t{rd()} << 32) ^ rd();
  }();
  static std::atomic<std::uint64_t> counter{0};
  std::uint64_t z = base + counter.fetch_add(1, std::memory_order_relaxed) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  const std::uint64_t epoch = (z ^ (z >> 31)) & kMaxWordValue;
  return epoch == 0 ? 1 : epoch;
}

std::uint64_t now_unix_ns() noexcept {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

void add_missing_tail(Recovery& r, std::uint64_t held_end, std::uint64_t missing) {
  const std::string note = "the backend ends " + std::to_string(missing) +
                           " bytes short of the committed log (its length reached the disk, "
                           "not its size)";
  if (r.loss == DataLoss::none) {
    // The held bytes replayed whole: what is lost starts at their end, and
    // at least one record was in it.
    r.loss = r.records_replayed == 0 ? DataLoss::total : DataLoss::partial;
    r.records_dropped = 1;
    r.first_bad_offset = held_end;
    r.reason = note + "; the records from log offset " + std::to_string(held_end) + " on are lost";
  } else {
    r.reason = note + "; " + r.reason;
  }
  r.bytes_dropped += missing;
}

}  // namespace memvec::kv::detail
