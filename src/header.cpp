#include "memvec/header.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <string>

#include "memvec/crc32c.hpp"
#include "memvec/error.hpp"

namespace memvec::detail {
namespace {

constexpr std::uint8_t native_endianness() {
  return std::endian::native == std::endian::little ? kEndianLittle : kEndianBig;
}

template <class U>
U load(const std::byte* p, std::size_t off) {
  U v;
  std::memcpy(&v, p + off, sizeof v);
  return v;
}

template <class U>
void put(std::byte* p, std::size_t off, U v) {
  std::memcpy(p + off, &v, sizeof v);
}

std::uint32_t header_crc(const std::byte* h) {
  const std::uint32_t c = crc32c(h, header_offset::kHeaderCrc);
  return crc32c(h + header_offset::kUserArea, kHeaderSize - header_offset::kUserArea, c);
}

[[noreturn]] void reject(std::string_view where, errc code, const std::string& why) {
  std::string what = "MemVec::open";
  if (!where.empty()) what.append(" '").append(where).append("'");
  throw Error(code, what + ": " + why);
}

}  // namespace

bool all_zero(std::span<const std::byte> bytes) noexcept {
  // Whole 4 KiB blocks OR-ed together as 8-byte words, with a fixed trip
  // count and no branch inside, so the compiler vectorizes it at -O2; one
  // test per block. The tail goes a word, then a byte, at a time.
  constexpr std::size_t kBlock = 4096;
  const std::byte* p = bytes.data();
  std::size_t n = bytes.size();
  for (; n >= kBlock; p += kBlock, n -= kBlock) {
    std::uint64_t acc = 0;
    for (std::size_t i = 0; i < kBlock; i += 8) acc |= load<std::uint64_t>(p, i);
    if (acc != 0) return false;
  }
  for (; n >= 8; p += 8, n -= 8)
    if (load<std::uint64_t>(p, 0) != 0) return false;
  for (; n > 0; ++p, --n)
    if (*p != std::byte{0}) return false;
  return true;
}

bool header_zeroed(std::span<const std::byte> bytes) noexcept {
  return !bytes.empty() && all_zero(bytes.first(std::min(bytes.size(), kHeaderSize)));
}

bool interrupted_format(std::span<const std::byte> bytes) noexcept {
  if (bytes.size() < kHeaderSize || !all_zero(bytes.first(sizeof kMagic))) return false;
  std::array<std::byte, kHeaderSize> h;
  std::copy(bytes.begin(), bytes.begin() + kHeaderSize, h.begin());
  std::memcpy(h.data(), kMagic, sizeof kMagic);
  return load<std::uint32_t>(h.data(), header_offset::kHeaderCrc) == header_crc(h.data());
}

bool header_wiped(std::span<const std::byte> bytes) noexcept {
  return bytes.size() > kHeaderSize && header_zeroed(bytes) &&
         !all_zero(bytes.subspan(kHeaderSize));
}

bool is_blank(std::span<const std::byte> bytes) noexcept {
  if (all_zero(bytes.first(std::min(bytes.size(), kHeaderSize)))) return true;
  // format_header writes the magic last. A zero magic over a header whose
  // CRC holds (with the magic put back) and whose length word is 0 is a
  // format a crash interrupted: nothing was ever committed under it. Any
  // other zero-magic header may be someone else's file: not blank.
  return interrupted_format(bytes) &&
         decode_word(load_word_raw(bytes.data(), header_offset::kLengthWord)) ==
             std::optional<std::uint64_t>(0);
}

void format_header(std::byte* base, const HeaderSpec& spec, std::uint64_t capacity,
                   std::span<const std::byte> user_area) {
  if (user_area.size() > kUserAreaSize)
    throw Error(errc::invalid_argument, "MemVec::create: user area of " +
                                            std::to_string(user_area.size()) + " bytes exceeds " +
                                            std::to_string(kUserAreaSize));
  std::array<std::byte, kHeaderSize> h{};
  std::memcpy(h.data() + header_offset::kMagic, kMagic, sizeof kMagic);
  put<std::uint16_t>(h.data(), header_offset::kFormatVersion, kFormatVersion);
  put<std::uint8_t>(h.data(), header_offset::kEndianness, native_endianness());
  put<std::uint32_t>(h.data(), header_offset::kHeaderSize, kHeaderSize);
  put<std::uint32_t>(h.data(), header_offset::kElemSize, spec.elem_size);
  put<std::uint32_t>(h.data(), header_offset::kElemAlign, spec.elem_align);
  put<std::uint64_t>(h.data(), header_offset::kTypeTag, spec.type_tag);
  put<std::uint64_t>(h.data(), header_offset::kDataOffset, spec.data_offset);
  put<std::uint32_t>(h.data(), header_offset::kUserSize, kUserAreaSize);
  put<std::uint64_t>(h.data(), header_offset::kLengthWord, encode_word(0));
  put<std::uint64_t>(h.data(), header_offset::kCapacityWord, encode_word(capacity));
  put<std::uint64_t>(h.data(), header_offset::kUserWord, encode_word(0));
  std::copy(user_area.begin(), user_area.end(), h.begin() + header_offset::kUserArea);
  put<std::uint32_t>(h.data(), header_offset::kHeaderCrc, header_crc(h.data()));

  // Magic off first, on last: until the header is whole it does not parse.
  std::memset(base, 0, sizeof kMagic);
  std::atomic_signal_fence(std::memory_order_release);
  std::memcpy(base + sizeof kMagic, h.data() + sizeof kMagic, kHeaderSize - sizeof kMagic);
  std::atomic_signal_fence(std::memory_order_release);
  std::memcpy(base, h.data(), sizeof kMagic);
}

HeaderState validate_header(std::span<const std::byte> bytes, const HeaderSpec& spec,
                            bool keep_truncated, std::string_view where) {
  const std::byte* h = bytes.data();
  const std::size_t n = bytes.size();
  if (n == 0) reject(where, errc::bad_magic, "empty (open_or_create formats a blank backend)");
  const std::size_t magic_seen = std::min(n, sizeof kMagic);
  if (std::memcmp(h, kMagic, magic_seen) != 0) reject(where, errc::bad_magic, "not a memvec file");
  if (n < kHeaderSize)
    reject(where, errc::truncated, std::to_string(n) + " bytes, shorter than the " +
                                std::to_string(kHeaderSize) + "-byte header");
  // The one-byte order mark reads the same on any machine, so it is judged
  // before the multi-byte version (which the other order would garble). Any
  // other value than the two marks is damage, left to the CRC.
  const auto order = load<std::uint8_t>(h, header_offset::kEndianness);
  if (order != native_endianness() && (order == kEndianLittle || order == kEndianBig))
    reject(where, errc::type_mismatch, "written with the other byte order");
  // The version comes before the CRC: a future version may checksum differently.
  if (const auto v = load<std::uint16_t>(h, header_offset::kFormatVersion); v != kFormatVersion)
    reject(where, errc::version_mismatch, "format version " + std::to_string(v) + ", this build reads " +
                                       std::to_string(kFormatVersion));
  if (load<std::uint32_t>(h, header_offset::kHeaderCrc) != header_crc(h))
    reject(where, errc::corrupt_header, "header checksum mismatch");
  if (const auto s = load<std::uint32_t>(h, header_offset::kElemSize); s != spec.elem_size)
    reject(where, errc::type_mismatch, "element size " + std::to_string(s) + ", expected " +
                                    std::to_string(spec.elem_size));
  if (const auto a = load<std::uint32_t>(h, header_offset::kElemAlign); a != spec.elem_align)
    reject(where, errc::type_mismatch, "element alignment " + std::to_string(a) + ", expected " +
                                    std::to_string(spec.elem_align));
  if (const auto t = load<std::uint64_t>(h, header_offset::kTypeTag); t != spec.type_tag)
    reject(where, errc::type_mismatch, "type tag " + std::to_string(t) + ", expected " +
                                    std::to_string(spec.type_tag));
  // A valid CRC over impossible values means a writer bug, not a flipped bit.
  if (load<std::uint32_t>(h, header_offset::kHeaderSize) != kHeaderSize ||
      load<std::uint32_t>(h, header_offset::kUserSize) != kUserAreaSize ||
      load<std::uint64_t>(h, header_offset::kDataOffset) != spec.data_offset ||
      load<std::uint8_t>(h, header_offset::kReserved) != 0 ||
      load<std::uint8_t>(h, header_offset::kEndianness) != native_endianness())
    reject(where, errc::corrupt_header, "inconsistent header fields");
  const auto length = decode_word(load<std::uint64_t>(h, header_offset::kLengthWord));
  const auto capacity = decode_word(load<std::uint64_t>(h, header_offset::kCapacityWord));
  const auto user_word = decode_word(load<std::uint64_t>(h, header_offset::kUserWord));
  if (!length) reject(where, errc::corrupt_header, "length word fails its check");
  if (!capacity) reject(where, errc::corrupt_header, "capacity word fails its check");
  if (!user_word) reject(where, errc::corrupt_header, "user word fails its check");
  if (*length > *capacity)
    reject(where, errc::corrupt_header, "length " + std::to_string(*length) + " exceeds capacity " +
                                     std::to_string(*capacity));
  // A backend is truncated only when committed data is missing: the header
  // needs data_offset bytes and the first `length` elements must be there.
  // A file shorter than its capacity word but holding every committed element
  // has lost nothing: under Durability::process_crash, power loss may persist
  // the header page (a raised capacity word) before the file's new size, and
  // only the spare area [length, capacity) is short. The vector then gets the
  // room the file really has; nothing is written here, and the next growth
  // or shrink rewrites the capacity word from the file's size.
  const std::uint64_t room = n >= spec.data_offset ? (n - spec.data_offset) / spec.elem_size : 0;
  if (n < spec.data_offset || (*length > room && !keep_truncated))
    reject(where, errc::truncated, std::to_string(n) + " bytes hold " + std::to_string(room) +
                                " elements, the header's length is " + std::to_string(*length));
  // Kept on request only (a journal, whose records check themselves, salvages
  // its prefix this way): the length word stays as it is until the next
  // commit rewrites it from the held length.
  const std::uint64_t held = std::min(*length, room);
  return {held, std::min(*capacity, room), *user_word, *length - held};
}

}  // namespace memvec::detail
