#include "memvec/kv/index.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <tuple>

namespace memvec::kv {

// Grow past 3/4 full: linear probing stays short below that.
static constexpr std::size_t kMinCapacity = 16;
// Node chunks double from 16 nodes up to 64 Ki nodes (~6 MiB once rounded
// up to whole huge pages, see below).
static constexpr std::size_t kFirstChunk = 16;
static constexpr std::size_t kMaxChunk = std::size_t{1} << 16;

namespace detail {

// Blocks of 2 MiB and more (the slot array from 128 Ki slots, node chunks
// from 32 Ki nodes) come straight from mmap, in whole 2 MiB units so that
// the kernel aligns them, with transparent huge pages advised and every page
// populated before use. Replaying 1M new keys writes ~120 MB of fresh memory
// and probes a 32 MiB slot array at random: with 4 KiB pages that was a page
// fault per 4 KiB and a TLB miss (a page walk) per probe and prefetch.
// Measured: 160 → 110 ms to open and replay 1M distinct keys. Where huge
// pages are off this still saves the faults; a kernel before 5.14 (no
// MADV_POPULATE_WRITE) faults the pages in as they are touched. The price:
// a node chunk is resident in full (at most ~6 MiB unused).
static constexpr std::size_t kHugePage = std::size_t{2} << 20;

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

}  // namespace detail

// The rounding to whole huge pages is room for more nodes.
Index::Chunk::Chunk(std::size_t n)
    : bytes(detail::block_bytes(n * sizeof(Room))),
      nodes(bytes / sizeof(Room)),
      room(static_cast<Room*>(detail::zeroed_block(bytes))) {}
Index::Chunk::~Chunk() { detail::BlockFree{bytes}(room); }

void* Index::allocate() {
  if (!free_.empty()) {
    void* room = free_.back();
    free_.pop_back();
    return room;
  }
  if (chunks_.empty() || chunk_used_ == chunks_.back()->nodes) {
    const std::size_t n = chunks_.empty() ? kFirstChunk : std::min(chunks_.back()->nodes * 2, kMaxChunk);
    chunks_.reserve(chunks_.size() + 1);  // so push_back cannot throw after new
    chunks_.push_back(std::make_unique<Chunk>(n));
    chunk_used_ = 0;
  }
  return &chunks_.back()->room[chunk_used_++];
}

void Index::destroy(value_type* node) noexcept {
  node->~value_type();
  try {
    free_.push_back(node);
  } catch (...) {
    // Out of memory for the free list: the room stays unused until clear().
  }
}

namespace {

// wyhash's mixing step: a 64 x 64 -> 128-bit multiply folded to 64 bits.
std::uint64_t fold_mul(std::uint64_t a, std::uint64_t b) noexcept {
  __extension__ typedef unsigned __int128 U128;
  const U128 r = static_cast<U128>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

std::uint64_t load64(const char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

std::uint64_t load32(const char* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

constexpr std::uint64_t kMix0 = 0xa0761d6478bd642full;
constexpr std::uint64_t kMix1 = 0xe7037ed1a0b428dbull;

}  // namespace

// wyhash (final v4) shape: keys are mostly short, and std::hash's
// byte-at-a-time tail and out-of-line call were 5% of a replay. Only this
// process ever sees the values (iteration order is unspecified).
std::uint64_t Index::hash(std::string_view key) noexcept {
  const char* p = key.data();
  const std::size_t n = key.size();
  std::uint64_t seed = kMix0;
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  if (n > 16) {
    std::size_t left = n;
    for (; left > 16; left -= 16, p += 16) seed = fold_mul(load64(p) ^ kMix1, load64(p + 8) ^ seed);
    a = load64(p + left - 16);
    b = load64(p + left - 8);
  } else if (n >= 4) {
    // Two pairs of overlapping 4-byte reads cover 4..16 bytes.
    const std::size_t mid = (n >> 3) << 2;
    a = (load32(p) << 32) | load32(p + mid);
    b = (load32(p + n - 4) << 32) | load32(p + n - 4 - mid);
  } else if (n > 0) {
    const auto byte = [p](std::size_t i) { return std::uint64_t{static_cast<unsigned char>(p[i])}; };
    a = (byte(0) << 16) | (byte(n >> 1) << 8) | byte(n - 1);
  }
  return fold_mul(kMix1 ^ n, fold_mul(a ^ kMix1, b ^ seed));
}

Index::Index(std::initializer_list<value_type> items) {
  reserve(items.size());
  for (const auto& [k, v] : items) insert_or_assign(k, v);
}

Index::Index(const Index& other) {
  if (other.size_ == 0) return;
  rehash(other.capacity_);
  // Same capacity and hash, so each element keeps its slot: no probing.
  try {
    for (std::size_t i = 0; i < capacity_; ++i) {
      if (const auto* n = other.slots_[i].node) {
        slots_[i] = {other.slots_[i].hash, make_node(*n)};
        ++size_;
      }
    }
  } catch (...) {
    release();
    throw;
  }
}

Index::Index(Index&& other) noexcept
    : chunks_(std::move(other.chunks_)),
      free_(std::move(other.free_)),
      chunk_used_(std::exchange(other.chunk_used_, 0)),
      slots_(std::move(other.slots_)),
      capacity_(std::exchange(other.capacity_, 0)),
      size_(std::exchange(other.size_, 0)),
      shift_(std::exchange(other.shift_, 64)) {}

Index& Index::operator=(const Index& other) {
  if (this != &other) {
    Index copy(other);
    *this = std::move(copy);
  }
  return *this;
}

Index& Index::operator=(Index&& other) noexcept {
  if (this != &other) {
    release();
    chunks_ = std::move(other.chunks_);
    free_ = std::move(other.free_);
    chunk_used_ = std::exchange(other.chunk_used_, 0);
    slots_ = std::move(other.slots_);
    capacity_ = std::exchange(other.capacity_, 0);
    size_ = std::exchange(other.size_, 0);
    shift_ = std::exchange(other.shift_, 64);
  }
  return *this;
}

Index::~Index() { release(); }

void Index::release() noexcept {
  for (std::size_t i = 0; i < capacity_; ++i)
    if (slots_[i].node != nullptr) slots_[i].node->~value_type();
  chunks_.clear();
  free_.clear();
  chunk_used_ = 0;
  slots_.reset();
  capacity_ = 0;
  size_ = 0;
  shift_ = 64;
}

// Gives the memory back too: a cleared journal should not hold the nodes
// of everything it once had.
void Index::clear() noexcept { release(); }

Value& Index::at(std::string_view key) {
  const std::size_t s = find_slot(key, hash(key));
  if (s == kNone) throw std::out_of_range("memvec::kv::Index::at: no such key");
  return slots_[s].node->second;
}

const Value& Index::at(std::string_view key) const { return const_cast<Index*>(this)->at(key); }

std::size_t Index::find_slot(std::string_view key, std::uint64_t h) const noexcept {
  if (size_ == 0) return kNone;
  const std::size_t mask = capacity_ - 1;
  for (std::size_t i = home(h);; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.node == nullptr) return kNone;
    // The full hash first: the node (another cache line) is read only on a
    // near-certain match.
    if (s.hash == h && s.node->first == key) return i;
  }
}

std::size_t Index::insert_new(std::uint64_t h, value_type* node) {
  if ((size_ + 1) * 4 > capacity_ * 3) {
    try {
      std::size_t want = capacity_ == 0 ? kMinCapacity : capacity_ * 2;
      if ((size_ + expect_) * 4 > want * 3) want *= 2;
      rehash(want);
    } catch (...) {
      destroy(node);
      throw;
    }
  }
  const std::size_t mask = capacity_ - 1;
  std::size_t i = home(h);
  while (slots_[i].node != nullptr) i = (i + 1) & mask;
  slots_[i] = {h, node};
  ++size_;
  return i;
}

void Index::assign_hashed(std::string_view key, std::uint64_t h, Value&& value) {
  // One probe for both outcomes: replay of new keys would otherwise walk
  // the same run twice, once to miss and once to find the empty slot.
  if (capacity_ != 0) {
    const std::size_t mask = capacity_ - 1;
    std::size_t i = home(h);
    for (; slots_[i].node != nullptr; i = (i + 1) & mask) {
      if (slots_[i].hash == h && slots_[i].node->first == key) {
        slots_[i].node->second = std::move(value);
        return;
      }
    }
    if ((size_ + 1) * 4 <= capacity_ * 3) {
      slots_[i] = {h, make_node(std::piecewise_construct, std::forward_as_tuple(key),
                                std::forward_as_tuple(std::move(value)))};
      ++size_;
      return;
    }
  }
  insert_new(h, make_node(std::piecewise_construct, std::forward_as_tuple(key),
                          std::forward_as_tuple(std::move(value))));
}

Index::size_type Index::erase_hashed(std::string_view key, std::uint64_t h) noexcept {
  std::size_t hole = find_slot(key, h);
  if (hole == kNone) return 0;
  destroy(slots_[hole].node);
  slots_[hole].node = nullptr;
  --size_;
  // Backward-shift deletion: pull later members of the probe run into the
  // hole when the hole lies on their way from home, so no lookup ever stops
  // early at it. No tombstones, so probes stay as short as at insert.
  const std::size_t mask = capacity_ - 1;
  for (std::size_t j = (hole + 1) & mask; slots_[j].node != nullptr; j = (j + 1) & mask) {
    const std::size_t want = home(slots_[j].hash);
    // Is the hole cyclically within [want, j)? Then j may move there.
    if (((hole - want) & mask) < ((j - want) & mask)) {
      slots_[hole] = slots_[j];
      slots_[j].node = nullptr;
      hole = j;
    }
  }
  return 1;
}

void Index::reserve(size_type n) {
  std::size_t want = kMinCapacity;
  while (want * 3 < n * 4) want *= 2;
  if (want > capacity_) rehash(want);
}

void Index::rehash(std::size_t capacity) {
  // All zero bytes: every slot empty. A power of two, so no rounding.
  const std::size_t bytes = capacity * sizeof(Slot);
  std::unique_ptr<Slot[], detail::BlockFree> fresh(static_cast<Slot*>(detail::zeroed_block(bytes)),
                                                   detail::BlockFree{bytes});
  unsigned shift = 64;
  for (std::size_t c = capacity; c > 1; c >>= 1) --shift;
  const std::size_t mask = capacity - 1;
  shift_ = shift;
  // The stored hashes place every node again without reading it.
  for (std::size_t i = 0; i < capacity_; ++i) {
    if (slots_[i].node == nullptr) continue;
    std::size_t j = home(slots_[i].hash);
    while (fresh[j].node != nullptr) j = (j + 1) & mask;
    fresh[j] = slots_[i];
  }
  slots_ = std::move(fresh);
  capacity_ = capacity;
}

bool operator==(const Index& a, const Index& b) noexcept {
  if (a.size_ != b.size_) return false;
  for (std::size_t i = 0; i < a.capacity_; ++i) {
    const auto* n = a.slots_[i].node;
    if (n == nullptr) continue;
    const std::size_t s = b.find_slot(n->first, a.slots_[i].hash);
    if (s == Index::kNone || !(b.slots_[s].node->second == n->second)) return false;
  }
  return true;
}

}  // namespace memvec::kv
