#include "memvec/kv/store_policy.hpp"

#include <algorithm>
#include <bit>
#include <string>

#include "memvec/error.hpp"
#include "memvec/header.hpp"

namespace memvec::kv {

int choose_active(const JournalCandidate& a, const JournalCandidate& b) noexcept {
  const auto eligible = [](const JournalCandidate& c) {
    return c.readable && c.generation > 0 && c.complete;
  };
  if (eligible(a) && eligible(b)) return b.generation > a.generation ? 1 : 0;
  if (eligible(a)) return 0;
  if (eligible(b)) return 1;
  return -1;
}

bool torn_compaction(std::uint64_t committed) noexcept { return committed == 0; }

std::size_t standby_size(std::size_t need, const StoreOptions& options) {
  const std::size_t ppm = detail::ratio_ppm(options.high_water_mark_ratio, "");
  const std::size_t max_data = options.max_size > kHeaderSize ? options.max_size - kHeaderSize : 0;
  if (need > max_data) return 0;
  // Room so that `need` sits at half the high-water mark (need * 2 / ratio),
  // and so that compaction_room bytes fit above it ((need + room) / ratio).
  const auto over_ratio = [ppm](std::size_t bytes) {
    return bytes / ppm * 1'000'000 + (bytes % ppm) * 1'000'000 / ppm + 1;
  };
  const std::size_t fresh = std::max(need, std::min(options.compaction_room, max_data));
  const std::size_t room = over_ratio(need + fresh);
  std::size_t total = kHeaderSize + room;
  total = total > (std::size_t{1} << 62) ? options.max_size : std::bit_ceil(total);
  if (total < options.initial_size) total = options.initial_size;
  if (total > options.max_size) total = options.max_size;
  return total;
}

std::size_t snapshot_bytes(const Index& live) {
  RecordWriter writer;
  writer.begin(kRecordSnapshot);
  for (const auto& [key, value] : live) writer.add(key, value);
  return writer.finish(0).size();
}

void validate(const StoreOptions& options) {
  detail::ratio_ppm(options.high_water_mark_ratio, "StoreOptions::high_water_mark_ratio");
  if (options.initial_size > options.max_size)
    throw Error(errc::invalid_argument, "StoreOptions: initial_size " +
                                            std::to_string(options.initial_size) +
                                            " exceeds max_size " +
                                            std::to_string(options.max_size));
  if (options.max_size <= kHeaderSize)
    throw Error(errc::invalid_argument, "StoreOptions: max_size " +
                                            std::to_string(options.max_size) +
                                            " leaves no room past the header");
}

}  // namespace memvec::kv
