#include "memvec/kv/detail/probe_table.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

namespace memvec::kv::detail {

// Blocks of 2 MiB and more (a slot array from 128 Ki slots, node chunks from
// 32 Ki nodes) come straight from mmap, in whole 2 MiB units so that the
// kernel aligns them, with transparent huge pages advised and every page
// populated before use. Replaying 1M new keys probes a 32 MiB slot array at
// random: with 4 KiB pages that was a page fault per 4 KiB and a TLB miss (a
// page walk) per probe and prefetch. Measured: 160 → 110 ms to open and
// replay 1M distinct keys. Where huge pages are off this still saves the
// faults; a kernel before 5.14 (no MADV_POPULATE_WRITE) faults the pages in
// as they are touched.
static constexpr std::size_t kHugePage = std::size_t{2} << 20;
static constexpr std::size_t kMinCapacity = 16;

std::size_t block_bytes(std::size_t bytes) noexcept {
  return bytes < kHugePage ? bytes : (bytes + kHugePage - 1) / kHugePage * kHugePage;
}

void* zeroed_block(std::size_t bytes) {
  if (bytes < kHugePage) {
    void* p = std::calloc(bytes, 1);
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  // Advice only: either may fail (THP off, an older kernel) at no harm.
  ::madvise(p, bytes, MADV_HUGEPAGE);
#ifdef MADV_POPULATE_WRITE
  ::madvise(p, bytes, MADV_POPULATE_WRITE);
#endif
  return p;
}

void BlockFree::operator()(void* p) const noexcept {
  if (p == nullptr) return;
  if (bytes < kHugePage)
    std::free(p);
  else
    ::munmap(p, bytes);
}

namespace {
// splitmix64 over a process-wide counter: distinct, well-mixed seeds for
// every table, no syscall. Unpredictability is not the point (only this
// process sees the layout); difference between tables is.
std::uint64_t next_seed() noexcept {
  static std::atomic<std::uint64_t> counter{0x2545F4914F6CDD1Dull};
  std::uint64_t z = counter.fetch_add(0x9E3779B97F4A7C15ull, std::memory_order_relaxed);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
}  // namespace

ProbeTable::ProbeTable() noexcept : seed_(next_seed()) {}

ProbeTable::ProbeTable(const ProbeTable& other)
    : size_(other.size_), expect_(0), seed_(other.seed_), shift_(other.shift_) {
  if (other.capacity_ == 0) return;
  const std::size_t bytes = other.capacity_ * sizeof(Slot);
  slots_ = {static_cast<Slot*>(zeroed_block(bytes)), BlockFree{bytes}};
  std::memcpy(slots_.get(), other.slots_.get(), bytes);
  capacity_ = other.capacity_;
}

ProbeTable::ProbeTable(ProbeTable&& other) noexcept : seed_(next_seed()) { swap(other); }

void ProbeTable::swap(ProbeTable& other) noexcept {
  std::swap(slots_, other.slots_);
  std::swap(capacity_, other.capacity_);
  std::swap(size_, other.size_);
  std::swap(expect_, other.expect_);
  std::swap(seed_, other.seed_);
  std::swap(shift_, other.shift_);
}

void ProbeTable::erase_at(std::size_t hole) noexcept {
  slots_[hole].word = 0;
  --size_;
  // Backward-shift deletion: pull later members of the probe run into the
  // hole when the hole lies on their way from home, so no lookup ever stops
  // early at it. No tombstones, so probes stay as short as at insert.
  const std::size_t mask = capacity_ - 1;
  for (std::size_t j = (hole + 1) & mask; slots_[j].word != 0; j = (j + 1) & mask) {
    const std::size_t want = home(slots_[j].hash);
    // Is the hole cyclically within [want, j)? Then j may move there.
    if (((hole - want) & mask) < ((j - want) & mask)) {
      slots_[hole] = slots_[j];
      slots_[j].word = 0;
      hole = j;
    }
  }
}

// Gives the memory back too: a cleared journal should not hold the slots of
// everything it once had.
void ProbeTable::clear() noexcept {
  slots_.reset();
  capacity_ = 0;
  size_ = 0;
  shift_ = 64;
}

void ProbeTable::reserve(std::size_t n) {
  // Every journal commit asks for room first: the common answer is one
  // comparison, not a search for the capacity.
  if (n * 4 <= capacity_ * 3) return;
  std::size_t want = kMinCapacity;
  while (want * 3 < n * 4) want *= 2;
  if (want > capacity_) rehash(want);
}

void ProbeTable::grow() {
  std::size_t want = capacity_ == 0 ? kMinCapacity : capacity_ * 2;
  if ((size_ + expect_) * 4 > want * 3) want *= 2;
  rehash(want);
}

void ProbeTable::rehash(std::size_t capacity) {
  // All zero bytes: every slot empty. A power of two, so no rounding.
  const std::size_t bytes = capacity * sizeof(Slot);
  std::unique_ptr<Slot[], BlockFree> fresh(static_cast<Slot*>(zeroed_block(bytes)),
                                           BlockFree{bytes});
  unsigned shift = 64;
  for (std::size_t c = capacity; c > 1; c >>= 1) --shift;
  std::swap(slots_, fresh);
  const std::size_t old_capacity = std::exchange(capacity_, capacity);
  shift_ = shift;
  // The stored hashes place every key again without reading it.
  for (std::size_t i = 0; i < old_capacity; ++i)
    if (fresh[i].word != 0) slots_[empty_slot(fresh[i].hash)] = fresh[i];
}

std::size_t ProbeTable::max_probe() const noexcept {
  const std::size_t mask = capacity_ - 1;
  std::size_t worst = 0;
  for (std::size_t i = 0; i < capacity_; ++i)
    if (slots_[i].word != 0) worst = std::max(worst, (i - home(slots_[i].hash)) & mask);
  return worst;
}

}  // namespace memvec::kv::detail
