// ProbeTable: the open-addressing table under both of the KV layer's hash
// maps — Index (key → decoded Value, what as_hashmap() returns) and LogIndex
// (key → offset of its record member in the journal's mapped log). One slot
// is {hash, word}; word 0 marks an empty slot, and what a non-zero word means
// (a node pointer, an offset + 1) is the owner's business. The owner also
// compares keys: lookups take the key's hash and a predicate on the word.
//
// Why its own seed: a table filled by iterating another table (a snapshot
// written in slot order, an as_hashmap() copy, a key listing) meets its keys
// sorted by their home slot in the source. With one hash for every table,
// replaying them into a smaller, growing table piles them into one probe run
// that grows with the key count: a compacted store of 1M keys took 77 s to
// reopen. Each table mixes a seed of its own into the home slot, so no
// table's order is another's (max_probe() is how the tests measure it).
//
// Linear probing below 3/4 load, backward-shift deletion (no tombstones),
// capacity a power of two; big slot arrays come from the kernel on huge pages
// (probe_table.cpp). Thread-safety: as a std container.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

namespace memvec::kv::detail {

// Zeroed memory for slot arrays and node chunks: big blocks come from the
// kernel on huge pages, populated up front (see probe_table.cpp); small ones
// from calloc. block_bytes() is what a block of `bytes` really gets.
std::size_t block_bytes(std::size_t bytes) noexcept;
void* zeroed_block(std::size_t bytes);  // bytes from block_bytes(); throws std::bad_alloc
struct BlockFree {
  std::size_t bytes = 0;
  void operator()(void* p) const noexcept;
};

class ProbeTable {
 public:
  struct Slot {
    std::uint64_t hash;
    std::uint64_t word;  // 0: empty
  };
  static constexpr std::size_t kNone = ~std::size_t{0};

  ProbeTable() noexcept;
  ProbeTable(const ProbeTable& other);  // same seed and capacity: every slot in place
  ProbeTable(ProbeTable&& other) noexcept;
  ProbeTable& operator=(ProbeTable other) noexcept {
    swap(other);
    return *this;
  }
  ~ProbeTable() = default;
  void swap(ProbeTable& other) noexcept;

  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  Slot* slots() noexcept { return slots_.get(); }
  const Slot* slots() const noexcept { return slots_.get(); }

  // The slot whose word satisfies eq, or kNone.
  template <class Eq>
  std::size_t find(std::uint64_t h, Eq&& eq) const noexcept {
    if (size_ == 0) return kNone;
    const std::size_t mask = capacity_ - 1;
    for (std::size_t i = home(h);; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.word == 0) return kNone;
      // The full hash first: the key (another cache line) is read only on a
      // near-certain match.
      if (s.hash == h && eq(s.word)) return i;
    }
  }
  // One probe for both outcomes (replay of new keys would otherwise walk the
  // run twice): the matching slot, or an empty one with room to fill it with
  // place(). Grows first when a new key would pass 3/4 load; throws
  // std::bad_alloc, table unchanged.
  template <class Eq>
  std::size_t find_or_empty(std::uint64_t h, Eq&& eq) {
    if (capacity_ != 0) {
      const std::size_t mask = capacity_ - 1;
      std::size_t i = home(h);
      for (; slots_[i].word != 0; i = (i + 1) & mask)
        if (slots_[i].hash == h && eq(slots_[i].word)) return i;
      if ((size_ + 1) * 4 <= capacity_ * 3) return i;
    }
    grow();
    return empty_slot(h);
  }
  void place(std::size_t slot, std::uint64_t h, std::uint64_t word) noexcept {
    slots_[slot] = {h, word};
    ++size_;
  }
  void erase_at(std::size_t slot) noexcept;
  void clear() noexcept;  // gives the slot array back
  void reserve(std::size_t n);
  // About `more` new keys may still come: growth may then go 4x at once.
  void expect_more(std::size_t more) noexcept { expect_ = more; }
  void prefetch(std::uint64_t h) const noexcept {
    if (capacity_ != 0) __builtin_prefetch(&slots_[home(h)]);
  }
  // The longest distance from a key's home slot to its slot: what a lookup
  // of the worst-placed key walks. Stays small (tens) whatever the order the
  // keys came in; the structural measure the tests use.
  std::size_t max_probe() const noexcept;

 private:
  std::size_t home(std::uint64_t h) const noexcept {
    // A 64x64→128-bit multiply folded: the seed reaches every bit.
    __extension__ typedef unsigned __int128 U128;
    const U128 r = static_cast<U128>(h ^ seed_) * 0x9E3779B97F4A7C15ull;
    return static_cast<std::size_t>((static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64)) >> shift_);
  }
  std::size_t empty_slot(std::uint64_t h) const noexcept {
    const std::size_t mask = capacity_ - 1;
    std::size_t i = home(h);
    while (slots_[i].word != 0) i = (i + 1) & mask;
    return i;
  }
  void grow();
  void rehash(std::size_t capacity);

  std::unique_ptr<Slot[], BlockFree> slots_;
  std::size_t capacity_ = 0;  // a power of two, or 0
  std::size_t size_ = 0;
  std::size_t expect_ = 0;
  std::uint64_t seed_;
  unsigned shift_ = 64;
};

}  // namespace memvec::kv::detail
