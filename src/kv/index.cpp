#include "memvec/kv/index.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <tuple>

namespace memvec::kv {

// Node chunks double from 16 nodes up to 64 Ki nodes (~6 MiB once rounded
// up to whole huge pages by detail::block_bytes).
static constexpr std::size_t kFirstChunk = 16;
static constexpr std::size_t kMaxChunk = std::size_t{1} << 16;

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

Index::Index(const Index& other) : table_(other.table_) {
  // The same seed and capacity: each node keeps its slot, only the words
  // change to the copies' addresses.
  Slot* slots = table_.slots();
  std::size_t i = 0;
  try {
    for (; i < table_.capacity(); ++i)
      if (slots[i].word != 0) slots[i].word = word(make_node(*node(slots[i].word)));
  } catch (...) {
    for (std::size_t j = i; j < table_.capacity(); ++j) slots[j].word = 0;  // not ours
    release();
    throw;
  }
}

Index::Index(Index&& other) noexcept
    : chunks_(std::move(other.chunks_)),
      free_(std::move(other.free_)),
      chunk_used_(std::exchange(other.chunk_used_, 0)),
      table_(std::move(other.table_)) {}

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
    table_.swap(other.table_);
  }
  return *this;
}

Index::~Index() { release(); }

void Index::release() noexcept {
  const Slot* slots = table_.slots();
  for (std::size_t i = 0; i < table_.capacity(); ++i)
    if (slots[i].word != 0) node(slots[i].word)->~value_type();
  chunks_.clear();
  free_.clear();
  chunk_used_ = 0;
  table_.clear();
}

// Gives the memory back too: a cleared journal should not hold the nodes
// of everything it once had.
void Index::clear() noexcept { release(); }

Value& Index::at(std::string_view key) {
  const std::size_t s = find_slot(key, hash(key));
  if (s == kNone) throw std::out_of_range("memvec::kv::Index::at: no such key");
  return node(table_.slots()[s].word)->second;
}

const Value& Index::at(std::string_view key) const { return const_cast<Index*>(this)->at(key); }

void Index::assign_hashed(std::string_view key, std::uint64_t h, Value&& value) {
  const std::size_t s = table_.find_or_empty(h, matches(key));
  if (const std::uint64_t w = table_.slots()[s].word; w != 0) {
    node(w)->second = std::move(value);
    return;
  }
  table_.place(s, h, word(make_node(std::piecewise_construct, std::forward_as_tuple(key),
                                    std::forward_as_tuple(std::move(value)))));
}

Index::size_type Index::erase_hashed(std::string_view key, std::uint64_t h) noexcept {
  const std::size_t s = find_slot(key, h);
  if (s == kNone) return 0;
  destroy(node(table_.slots()[s].word));
  table_.erase_at(s);
  return 1;
}

void Index::reserve(size_type n) { table_.reserve(n); }

bool operator==(const Index& a, const Index& b) noexcept {
  if (a.size() != b.size()) return false;
  for (const auto& [key, value] : a) {
    const auto it = b.find(key);
    if (it == b.end() || !(it->second == value)) return false;
  }
  return true;
}

}  // namespace memvec::kv
