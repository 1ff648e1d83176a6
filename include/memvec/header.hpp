// The MemVec header: the first 256 bytes of every backend (docs/FORMAT.md).
//
//   off size field          off size field
//     0    8 magic            40    4 user_size (= kUserAreaSize)
//     8    2 format_version   44    4 header_crc: CRC32C of bytes [0,44) and [72,256)
//    10    1 endianness       48    8 length word   (commit point)
//    11    1 reserved (0)     56    8 capacity word
//    12    4 header_size      64    8 user word     (client layers: the journal's epoch)
//    16    4 elem_size        72  184 user area     (client layers: the journal's metadata)
//    20    4 elem_align
//    24    8 type_tag
//    32    8 data_offset (elements start here, aligned for T)
//
// Fields are in the writer's byte order, which `endianness` records. The three
// words change after formatting, so they sit outside the CRC and carry their
// own check: value in the low 48 bits, 16-bit check in the high 16 bits; any
// single flipped byte of a word is detected. Each is one aligned 8-byte store
// (MemVec requires an 8-aligned backend), so a crash sees the old or the new
// word, never a mix. Everything else is written once, at format time.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

namespace memvec {

inline constexpr std::uint8_t kMagic[8] = {0x89, 'M', 'E', 'M', 'V', 'E', 'C', '\n'};
inline constexpr std::uint16_t kFormatVersion = 1;
inline constexpr std::uint8_t kEndianLittle = 1;
inline constexpr std::uint8_t kEndianBig = 2;
inline constexpr std::size_t kHeaderSize = 256;
inline constexpr std::size_t kUserAreaSize = 184;
inline constexpr std::uint16_t kCommitSalt = 0x4D56;  // "MV": an all-zero word is invalid
inline constexpr std::uint64_t kMaxWordValue = (std::uint64_t{1} << 48) - 1;

namespace header_offset {
inline constexpr std::size_t kMagic = 0;
inline constexpr std::size_t kFormatVersion = 8;
inline constexpr std::size_t kEndianness = 10;
inline constexpr std::size_t kReserved = 11;
inline constexpr std::size_t kHeaderSize = 12;
inline constexpr std::size_t kElemSize = 16;
inline constexpr std::size_t kElemAlign = 20;
inline constexpr std::size_t kTypeTag = 24;
inline constexpr std::size_t kDataOffset = 32;
inline constexpr std::size_t kUserSize = 40;
inline constexpr std::size_t kHeaderCrc = 44;
inline constexpr std::size_t kLengthWord = 48;
inline constexpr std::size_t kCapacityWord = 56;
inline constexpr std::size_t kUserWord = 64;
inline constexpr std::size_t kUserArea = 72;
}  // namespace header_offset

// What a MemVec<T> expects to find (or writes) in the header.
struct HeaderSpec {
  std::uint32_t elem_size;
  std::uint32_t elem_align;
  std::uint64_t type_tag;
  std::uint64_t data_offset;  // round_up(kHeaderSize, elem_align)
};

struct HeaderState {
  std::uint64_t length;    // committed elements present (see missing)
  std::uint64_t capacity;  // effective: min(capacity word, room the backend has)
  std::uint64_t user_word;
  // Committed elements the backend no longer holds; nonzero only when
  // validation was asked to keep a truncated backend's prefix.
  std::uint64_t missing = 0;
};

namespace detail {

constexpr std::uint64_t commit_check(std::uint64_t v) noexcept {
  return ((v ^ (v >> 16) ^ (v >> 32)) & 0xFFFF) ^ kCommitSalt;
}
constexpr std::uint64_t encode_word(std::uint64_t value) noexcept {
  return value | (commit_check(value) << 48);
}
constexpr std::optional<std::uint64_t> decode_word(std::uint64_t word) noexcept {
  const std::uint64_t value = word & kMaxWordValue;
  if ((word >> 48) != commit_check(value)) return std::nullopt;
  return value;
}

// One plain 8-byte store: a process that dies sees it whole or not at all.
// The signal fence keeps the compiler from sinking element stores below it.
inline std::uint64_t load_word_raw(const std::byte* header, std::size_t offset) noexcept {
  std::uint64_t word;
  std::memcpy(&word, header + offset, sizeof word);
  return word;
}
inline void store_word(std::byte* header, std::size_t offset, std::uint64_t value) noexcept {
  const std::uint64_t word = encode_word(value);
  std::atomic_signal_fence(std::memory_order_release);
  std::memcpy(header + offset, &word, sizeof word);
  std::atomic_signal_fence(std::memory_order_release);
}

// True when every byte is zero. Reads whole blocks, a word at a time (a
// 1 GiB zero file is one pass at memory speed, not a branch per byte);
// every caller that must look past the header scans through this.
bool all_zero(std::span<const std::byte> bytes) noexcept;
// Not empty, and the header region (the first kHeaderSize bytes, or all of a
// shorter backend) is zeros. Decided from the header alone: whether the rest
// is zero too is header_wiped()'s question, and the one that needs a scan.
bool header_zeroed(std::span<const std::byte> bytes) noexcept;
// True when the backend holds nothing to lose: empty, a header region of
// zeros, or a format interrupted just before its magic was written (magic
// zero, the rest a valid header of length 0). Only such a backend may be
// formatted by open_or_create.
bool is_blank(std::span<const std::byte> bytes) noexcept;
// A header region of zeros over bytes that are not all zero: a header wiped
// off a log (damage), never a new file or an interrupted format. The one
// check here that scans the whole backend (nothing else says where its data
// ends once the header is gone); it stops at the first non-zero block.
bool header_wiped(std::span<const std::byte> bytes) noexcept;
// A format that a crash interrupted before its last store (the magic): zero
// magic over a header whose CRC holds with the magic put back, whatever its
// words say (the rest may still be the old header of a recycled file).
bool interrupted_format(std::span<const std::byte> bytes) noexcept;
// Writes a fresh header (length 0): magic cleared first and written last, so
// a crash mid-format leaves something open() rejects, never a half-header
// that passes.
void format_header(std::byte* base, const HeaderSpec& spec, std::uint64_t capacity,
                   std::span<const std::byte> user_area);
// Validates in order magic, byte order, version, CRC, type, words, size;
// throws the matching errc. Reads only: never writes a byte. The returned
// capacity is the effective one: min(capacity word, elements the backend
// holds), since a file may be shorter than its capacity word as long as every
// committed element is there (truncated only when length exceeds the room).
// keep_truncated: a backend shorter than the committed length (but holding
// the whole header) yields the elements it holds, and `missing`, instead of
// errc::truncated. `where` (a file's path, when the backend has one) is
// named in every message.
HeaderState validate_header(std::span<const std::byte> bytes, const HeaderSpec& spec,
                            bool keep_truncated = false, std::string_view where = {});

}  // namespace detail
}  // namespace memvec
