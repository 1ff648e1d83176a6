// Shared by the memvec libFuzzer targets (fuzz/fuzz_*.cpp):
//  - FUZZ_CHECK: a violated property aborts, so libFuzzer keeps the input;
//  - Reader: fuzz input consumed front to back (zeros once it runs out), so
//    a seed written by fuzz/make_seeds.cpp means what its writer meant;
//  - Buffer: an exact-size heap copy of input bytes. operator new[] aligns
//    to 16, which MemVec's 8-byte header words need, and the size is exact,
//    so ASan reports a read one byte past the "file";
//  - repair(): makes mutated files pass the checksums that would otherwise
//    reject nearly every mutation (the three header words' 16-bit checks,
//    the header CRC, every record CRC), so the fuzzer also reaches the
//    checks behind them: header field consistency, record payload decoding;
//  - check_recovery(), journal_loss(): the Recovery fields' own
//    consistency; the loss of a store's active journal alone.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "memvec/crc32c.hpp"
#include "memvec/header.hpp"
#include "memvec/kv/index.hpp"
#include "memvec/kv/journal.hpp"
#include "memvec/kv/record.hpp"
#include "memvec/kv/value.hpp"
#include "memvec/span_backend.hpp"

namespace fuzz {

[[noreturn]] inline void die(const char* what, int line) {
  std::fprintf(stderr, "fuzz: property violated (line %d): %s\n", line, what);
  std::abort();
}

#define FUZZ_CHECK(cond)                         \
  do {                                           \
    if (!(cond)) ::fuzz::die(#cond, __LINE__);   \
  } while (0)

class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size) noexcept : data_(data), size_(size) {}
  bool empty() const noexcept { return pos_ >= size_; }
  std::size_t left() const noexcept { return empty() ? 0 : size_ - pos_; }
  std::uint8_t u8() noexcept { return empty() ? 0 : data_[pos_++]; }
  std::uint16_t u16() noexcept { return static_cast<std::uint16_t>(u8() | (u8() << 8)); }
  std::uint64_t u64() noexcept {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= std::uint64_t{u8()} << (8 * i);
    return v;
  }
  // The next n bytes (fewer when the input runs out).
  std::span<const std::uint8_t> bytes(std::size_t n) noexcept {
    n = std::min(n, left());
    const std::span<const std::uint8_t> s(data_ + pos_, n);
    pos_ += n;
    return s;
  }
  std::span<const std::uint8_t> rest() noexcept { return bytes(left()); }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

class Buffer {
 public:
  explicit Buffer(std::span<const std::uint8_t> bytes) : Buffer(bytes.data(), bytes.size()) {}
  explicit Buffer(std::span<const std::byte> bytes) : Buffer(bytes.data(), bytes.size()) {}
  Buffer(const void* data, std::size_t size) : bytes_(new std::byte[size]), size_(size) {
    if (size_ > 0) std::memcpy(bytes_.get(), data, size_);
  }
  std::span<std::byte> span() noexcept { return {bytes_.get(), size_}; }
  std::span<const std::byte> span() const noexcept { return {bytes_.get(), size_}; }
  std::size_t size() const noexcept { return size_; }
  // The bytes as they are now, to compare with later (open never writes).
  std::string snapshot() const { return {reinterpret_cast<const char*>(bytes_.get()), size_}; }
  bool equals(const std::string& snap) const {
    return snap.size() == size_ && (size_ == 0 || std::memcmp(snap.data(), bytes_.get(), size_) == 0);
  }

 private:
  std::unique_ptr<std::byte[]> bytes_;
  std::size_t size_;
};

// Bits of a target's flags byte that choose what repair() fixes.
inline constexpr unsigned kFixWords = 1, kFixHeaderCrc = 2, kFixRecords = 4;

namespace detail {
template <class U>
U load(const std::byte* p) {
  U v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class U>
void store(std::byte* p, U v) {
  std::memcpy(p, &v, sizeof v);
}
}  // namespace detail

// Recomputes the checks of a MemVec header (and, kFixRecords, of the KV
// journal records in its log) in place, as a writer would have. Works on
// the header layout of docs/FORMAT.md; leaves too-short files alone.
inline void repair(std::span<std::byte> file, unsigned flags) {
  namespace off = memvec::header_offset;
  if (file.size() < memvec::kHeaderSize) return;
  std::byte* h = file.data();
  if (flags & kFixWords)
    for (std::size_t at : {off::kLengthWord, off::kCapacityWord, off::kUserWord})
      detail::store(h + at, memvec::detail::encode_word(detail::load<std::uint64_t>(h + at) &
                                                        memvec::kMaxWordValue));
  if (flags & kFixRecords) {
    const auto length = memvec::detail::decode_word(detail::load<std::uint64_t>(h + off::kLengthWord));
    const auto epoch = memvec::detail::decode_word(detail::load<std::uint64_t>(h + off::kUserWord));
    const auto generation = detail::load<std::uint64_t>(h + off::kUserArea + 8);  // JournalMeta
    if (length && epoch) {
      const std::uint32_t seed = memvec::kv::record_seed(generation, *epoch);
      std::byte* log = h + memvec::kHeaderSize;
      const std::size_t end = std::min<std::uint64_t>(*length, file.size() - memvec::kHeaderSize);
      std::size_t at = 0;
      while (end - at >= memvec::kv::kRecordHeaderSize) {
        const std::uint32_t len = detail::load<std::uint32_t>(log + at + 4);
        if (len > end - at - memvec::kv::kRecordHeaderSize) break;
        detail::store(log + at, memvec::crc32c(log + at + 4, 5 + std::size_t{len}, seed));
        at += memvec::kv::kRecordHeaderSize + len;
      }
    }
  }
  if (flags & kFixHeaderCrc) {
    std::uint32_t crc = memvec::crc32c(h, off::kHeaderCrc);
    crc = memvec::crc32c(h + off::kUserArea, memvec::kHeaderSize - off::kUserArea, crc);
    detail::store(h + off::kHeaderCrc, crc);
  }
}

using Model = std::map<std::string, memvec::kv::Value>;

// The index as an ordered map, checking on the way that every entry is
// found by its own key (the open-addressing table's lookups agree with its
// iteration).
inline Model to_model(const memvec::kv::Index& index) {
  Model m;
  for (const auto& [key, value] : index) {
    const auto it = index.find(key);
    FUZZ_CHECK(it != index.end() && &it->second == &value);
    FUZZ_CHECK(m.emplace(key, value).second);  // no key twice
  }
  FUZZ_CHECK(m.size() == index.size());
  return m;
}

// What the Recovery contract (record.hpp, docs/FORMAT.md) makes consistent:
// no loss drops nothing; a loss drops at least one frame and says why. A
// journal's loss also drops at least one byte, is total exactly when
// nothing replayed, and is the only reason it gives. A store's recovery is
// its active journal's plus notes on the other one (double_buffered_impl.hpp),
// which may count a loss whose bytes it cannot know (an unreadable journal).
inline void check_recovery(const memvec::kv::Recovery& r, bool journal) {
  using memvec::kv::DataLoss;
  if (r.loss == DataLoss::none) {
    FUZZ_CHECK(r.bytes_dropped == 0 && r.records_dropped == 0 && r.first_bad_offset == 0);
    if (journal) FUZZ_CHECK(r.reason.empty());
  } else {
    FUZZ_CHECK(r.records_dropped >= 1 && !r.reason.empty());
    if (journal) {
      FUZZ_CHECK(r.bytes_dropped >= 1);
      FUZZ_CHECK((r.loss == DataLoss::total) == (r.records_replayed == 0));
    }
  }
}

// The loss the journal in `bytes` reports opened on its own: a store's
// active journal, judged apart from the notes on the other one. Opening
// never writes, so this may look at a store's buffer while the store is open.
inline memvec::kv::DataLoss journal_loss(std::span<std::byte> bytes) {
  return memvec::kv::KVJournal<memvec::SpanBackend>::open(memvec::SpanBackend(bytes)).recovery().loss;
}

}  // namespace fuzz
