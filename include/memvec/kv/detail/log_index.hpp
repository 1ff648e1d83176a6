// LogIndex: a journal's index, key → where the key's record member lives in
// the log. It holds no key and no value: a slot is the key's hash and the
// member's log offset, 16 bytes, and a lookup compares the key bytes in the
// mapping. So the index of 1M keys takes 32 MiB whatever the values are
// (a decoded copy of every value took 123 to 635 bytes per key), and
// reading a value is decoding it where it lies.
//
// Offsets, not pointers: the log's mapping moves when it grows; callers pass
// the log's current bytes to every call that reads keys. A member is a
// BONJSON string key followed by its value, inside a record whose checksum
// and encoding were checked when it was written or replayed, so the key is
// read here without validating it again (read_trusted_string).
// Thread-safety: as a std container.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "memvec/kv/detail/probe_table.hpp"

namespace memvec::kv::detail {

// The string that starts at p, already validated: its bytes in `out`;
// returns the encoded length (code, length field, bytes).
std::size_t read_trusted_string(const std::byte* p, std::string_view& out) noexcept;
// The encoded size of the value that starts at p, already validated: a walk
// of its codes and lengths, nothing decoded or allocated.
std::size_t trusted_value_size(const std::byte* p) noexcept;

class LogIndex {
  static std::size_t offset(std::uint64_t word) noexcept { return static_cast<std::size_t>(word - 1); }
  // Whether a slot's member holds `key`: read in the mapping.
  struct KeyAt {
    const std::byte* log;
    std::string_view key;
    bool operator()(std::uint64_t word) const noexcept {
      std::string_view stored;
      read_trusted_string(log + offset(word), stored);
      return stored == key;
    }
  };

 public:
  std::size_t size() const noexcept { return table_.size(); }
  bool empty() const noexcept { return table_.size() == 0; }

  // The member offset for key, or kNone; h is Index::hash(key).
  std::size_t find(const std::byte* log, std::string_view key, std::uint64_t h) const noexcept {
    const std::size_t s = table_.find(h, KeyAt{log, key});
    return s == ProbeTable::kNone ? kNone : offset(table_.slots()[s].word);
  }
  // Key now lives in the member at `member` (its previous one is forgotten).
  void assign(const std::byte* log, std::string_view key, std::uint64_t h, std::size_t member) {
    const std::size_t s = table_.find_or_empty(h, KeyAt{log, key});
    if (table_.slots()[s].word != 0)
      table_.slots()[s].word = member + 1;
    else
      table_.place(s, h, member + 1);
  }
  void erase(const std::byte* log, std::string_view key, std::uint64_t h) noexcept {
    const std::size_t s = table_.find(h, KeyAt{log, key});
    if (s != ProbeTable::kNone) table_.erase_at(s);
  }
  void clear() noexcept { table_.clear(); }
  void reserve(std::size_t n) { table_.reserve(n); }
  void expect_more(std::size_t more) noexcept { table_.expect_more(more); }
  void prefetch(std::uint64_t h) const noexcept { table_.prefetch(h); }
  std::size_t max_probe() const noexcept { return table_.max_probe(); }

  // Calls fn(hash, member offset) for every key, in slot order.
  template <class Fn>
  void for_each(Fn&& fn) const {
    const ProbeTable::Slot* slots = table_.slots();
    for (std::size_t i = 0; i < table_.capacity(); ++i)
      if (slots[i].word != 0) fn(slots[i].hash, offset(slots[i].word));
  }

  static constexpr std::size_t kNone = ProbeTable::kNone;

 private:
  ProbeTable table_;
};

}  // namespace memvec::kv::detail
