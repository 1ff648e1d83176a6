#include "memvec/kv/index.hpp"

#include <algorithm>
#include <functional>
#include <stdexcept>

namespace memvec::kv {

// Grow past 3/4 full: linear probing stays short below that.
static constexpr std::size_t kMinCapacity = 16;
// Node chunks double from 16 nodes up to 64 Ki nodes (~4.5 MiB).
static constexpr std::size_t kFirstChunk = 16;
static constexpr std::size_t kMaxChunk = std::size_t{1} << 16;

Index::Chunk::Chunk(std::size_t n) : nodes(n), room(new Room[n]) {}
Index::Chunk::~Chunk() { delete[] room; }

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

std::uint64_t Index::hash(std::string_view key) noexcept {
  return std::hash<std::string_view>{}(key);
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
      rehash(capacity_ == 0 ? kMinCapacity : capacity_ * 2);
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

void Index::assign_hashed(std::string&& key, std::uint64_t h, Value&& value) {
  if (Value* v = find_hashed(key, h)) {
    *v = std::move(value);
    return;
  }
  insert_new(h, make_node(std::move(key), std::move(value)));
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
  auto fresh = std::make_unique<Slot[]>(capacity);  // value-initialised: all empty
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
