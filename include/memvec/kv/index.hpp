// Index: the in-memory map from key to Value behind every journal, with the
// read interface of std::unordered_map<std::string, Value> (find, count,
// contains, at, size, iteration yielding std::pair<const std::string, Value>)
// and heterogeneous lookup, so find(std::string_view) never builds a string.
//
// Why not std::unordered_map: replaying a journal is one map insert per
// record, and a chained table spends it in cache misses (bucket, then chain
// node, then the neighbour's bucket on insert). This table probes linearly in
// an array of {hash, node*} slots, so a miss on a new key touches one slot
// and no node, and replay() can prefetch the slots of the records it is about
// to apply (see prefetch()). Measured: 2.8 → 9+ M records/s replaying 1M
// distinct keys (benchmarks/bench_kv, replay/*); then 6 → 11+ M with big
// blocks on huge pages (index.cpp), one probe per insert, a cheaper hash and
// replay's expect_more() hint.
//
// Each element lives in its own node, so pointers and references to values
// stay valid until that key is erased or the index is cleared, like
// std::unordered_map; iterators are invalidated by any insert or erase.
// Nodes come from chunks the index owns (erased ones are reused): glibc
// malloc made a million-node replay bimodal, 120 or 270 ms, depending on
// what the previous index had freed.
// Iteration order is unspecified. Thread-safety: as a std container (const
// members may be called concurrently; nothing else).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "memvec/kv/detail/probe_table.hpp"
#include "memvec/kv/value.hpp"

namespace memvec::kv {


class Index {
  using Slot = detail::ProbeTable::Slot;  // word: the node's address; 0 empty
  static std::pair<const std::string, Value>* node(std::uint64_t word) noexcept {
    return reinterpret_cast<std::pair<const std::string, Value>*>(static_cast<std::uintptr_t>(word));
  }
  // Whether a slot's node holds `key`.
  struct KeyIs {
    std::string_view key;
    bool operator()(std::uint64_t w) const noexcept { return node(w)->first == key; }
  };

  template <bool Const>
  class Iter {
    using Slot_ = std::conditional_t<Const, const Slot, Slot>;

   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::pair<const std::string, Value>;
    using difference_type = std::ptrdiff_t;
    using pointer = std::conditional_t<Const, const value_type*, value_type*>;
    using reference = std::conditional_t<Const, const value_type&, value_type&>;

    Iter() = default;
    Iter(Slot_* at, Slot_* end) noexcept : at_(at), end_(end) { skip(); }
    operator Iter<true>() const noexcept { return {at_, end_}; }  // NOLINT: as std
    reference operator*() const noexcept { return *node(at_->word); }
    pointer operator->() const noexcept { return node(at_->word); }
    Iter& operator++() noexcept {
      ++at_;
      skip();
      return *this;
    }
    Iter operator++(int) noexcept {
      Iter old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const Iter& a, const Iter& b) noexcept { return a.at_ == b.at_; }

   private:
    friend class Index;
    void skip() noexcept {
      while (at_ != end_ && at_->word == 0) ++at_;
    }
    Slot_* at_ = nullptr;
    Slot_* end_ = nullptr;
  };

 public:
  using key_type = std::string;
  using mapped_type = Value;
  using value_type = std::pair<const std::string, Value>;
  using size_type = std::size_t;
  using iterator = Iter<false>;
  using const_iterator = Iter<true>;

  Index() noexcept = default;
  Index(std::initializer_list<value_type> items);
  Index(const Index& other);
  Index(Index&& other) noexcept;
  Index& operator=(const Index& other);
  Index& operator=(Index&& other) noexcept;
  ~Index();

  size_type size() const noexcept { return table_.size(); }
  bool empty() const noexcept { return table_.size() == 0; }
  iterator begin() noexcept { return {table_.slots(), slots_end()}; }
  iterator end() noexcept { return {slots_end(), slots_end()}; }
  const_iterator begin() const noexcept { return {table_.slots(), slots_end()}; }
  const_iterator end() const noexcept { return {slots_end(), slots_end()}; }
  const_iterator cbegin() const noexcept { return begin(); }
  const_iterator cend() const noexcept { return end(); }

  iterator find(std::string_view key) noexcept { return at_slot(find_slot(key, hash(key))); }
  const_iterator find(std::string_view key) const noexcept {
    return const_cast<Index*>(this)->find(key);
  }
  bool contains(std::string_view key) const noexcept { return find_slot(key, hash(key)) != kNone; }
  size_type count(std::string_view key) const noexcept { return contains(key) ? 1 : 0; }
  // Throws std::out_of_range, as std::unordered_map::at.
  Value& at(std::string_view key);
  const Value& at(std::string_view key) const;
  Value& operator[](std::string_view key) { return try_emplace(key).first->second; }

  // Inserts key → Value(args...) unless the key is present; as std.
  template <class... Args>
  std::pair<iterator, bool> try_emplace(std::string_view key, Args&&... args) {
    const std::uint64_t h = hash(key);
    const std::size_t s = table_.find_or_empty(h, matches(key));
    if (table_.slots()[s].word != 0) return {at_slot(s), false};
    table_.place(s, h, word(make_node(std::piecewise_construct, std::forward_as_tuple(key),
                                      std::forward_as_tuple(std::forward<Args>(args)...))));
    return {at_slot(s), true};
  }
  template <class... Args>
  std::pair<iterator, bool> emplace(std::string_view key, Args&&... args) {
    return try_emplace(key, std::forward<Args>(args)...);
  }
  template <class M>
  std::pair<iterator, bool> insert_or_assign(std::string_view key, M&& value) {
    auto r = try_emplace(key, std::forward<M>(value));
    if (!r.second) r.first->second = std::forward<M>(value);
    return r;
  }
  size_type erase(std::string_view key) noexcept { return erase_hashed(key, hash(key)); }
  void clear() noexcept;
  // Room for n elements without growing the slot array.
  void reserve(size_type n);

  friend bool operator==(const Index& a, const Index& b) noexcept;

  // For replay(), which hashes each key once and prefetches ahead.
  static std::uint64_t hash(std::string_view key) noexcept;
  void prefetch(std::uint64_t hash) const noexcept { table_.prefetch(hash); }
  // The stored value for key, or nullptr; hash must be hash(key).
  Value* find_hashed(std::string_view key, std::uint64_t hash) noexcept {
    const std::size_t s = find_slot(key, hash);
    return s == kNone ? nullptr : &node(table_.slots()[s].word)->second;
  }
  void assign_hashed(std::string_view key, std::uint64_t hash, Value&& value);
  size_type erase_hashed(std::string_view key, std::uint64_t hash) noexcept;
  // About `more` new keys may still come: the slot array may then grow 4x
  // at once instead of 2x, one rehash instead of two. 0 (the default) after.
  void expect_more(size_type more) noexcept { table_.expect_more(more); }
  // The longest walk from a key's home slot (see detail::ProbeTable).
  std::size_t max_probe() const noexcept { return table_.max_probe(); }

 private:
  static constexpr std::size_t kNone = detail::ProbeTable::kNone;

  static std::uint64_t word(value_type* n) noexcept {
    return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(n));
  }
  static KeyIs matches(std::string_view key) noexcept { return {key}; }
  std::size_t find_slot(std::string_view key, std::uint64_t h) const noexcept {
    return table_.find(h, matches(key));
  }
  Slot* slots_end() const noexcept {
    return const_cast<Slot*>(table_.slots()) + table_.capacity();
  }
  void* allocate();  // raw room for one node
  template <class... A>
  value_type* make_node(A&&... a) {
    void* room = allocate();
    try {
      return new (room) value_type(std::forward<A>(a)...);
    } catch (...) {
      free_.push_back(static_cast<value_type*>(room));
      throw;
    }
  }
  void destroy(value_type* node) noexcept;  // ~value_type, room reused
  iterator at_slot(std::size_t s) noexcept {
    Slot* const end = slots_end();
    return s == kNone ? iterator{end, end} : iterator{table_.slots() + s, end};
  }
  void release() noexcept;

  struct Chunk {
    struct Room {
      alignas(value_type) std::byte bytes[sizeof(value_type)];
    };
    explicit Chunk(std::size_t n);  // room for n nodes or more
    ~Chunk();
    Chunk(const Chunk&) = delete;
    Chunk& operator=(const Chunk&) = delete;
    std::size_t bytes;
    std::size_t nodes;
    Room* room;
  };
  std::vector<std::unique_ptr<Chunk>> chunks_;
  std::vector<value_type*> free_;  // destroyed nodes' room
  std::size_t chunk_used_ = 0;     // nodes handed out from chunks_.back()

  detail::ProbeTable table_;
};

}  // namespace memvec::kv
