// HeaderView: reading a MemVec header without its type (see header_view.hpp).
#include "header_view.hpp"

#include <bit>
#include <cstring>

#include <memvec/error.hpp>
#include <memvec/kv/journal.hpp>

#include "text_format.hpp"

namespace memvec_kv {
namespace {

template <class U>
U load(std::span<const std::byte> b, std::size_t off, bool swap) {
  U v;
  std::memcpy(&v, b.data() + off, sizeof v);
  if (swap) {
    if constexpr (sizeof(U) == 2) v = static_cast<U>((v >> 8) | (v << 8));
    if constexpr (sizeof(U) == 4) v = __builtin_bswap32(v);
    if constexpr (sizeof(U) == 8) v = __builtin_bswap64(v);
  }
  return v;
}

}  // namespace

bool has_magic(std::span<const std::byte> bytes) noexcept {
  const std::size_t n = bytes.size() < sizeof memvec::kMagic ? bytes.size() : sizeof memvec::kMagic;
  return n > 0 && std::memcmp(bytes.data(), memvec::kMagic, n) == 0;
}

HeaderView read_header(std::span<const std::byte> b) {
  namespace off = memvec::header_offset;
  HeaderView h;
  h.file_size = b.size();
  h.endianness = static_cast<std::uint8_t>(b[off::kEndianness]);
  const std::uint8_t native =
      std::endian::native == std::endian::little ? memvec::kEndianLittle : memvec::kEndianBig;
  h.foreign_order = (h.endianness == memvec::kEndianLittle || h.endianness == memvec::kEndianBig) &&
                    h.endianness != native;
  const bool s = h.foreign_order;
  h.format_version = load<std::uint16_t>(b, off::kFormatVersion, s);
  h.header_size = load<std::uint32_t>(b, off::kHeaderSize, s);
  h.elem_size = load<std::uint32_t>(b, off::kElemSize, s);
  h.elem_align = load<std::uint32_t>(b, off::kElemAlign, s);
  h.type_tag = load<std::uint64_t>(b, off::kTypeTag, s);
  h.data_offset = load<std::uint64_t>(b, off::kDataOffset, s);
  h.user_size = load<std::uint32_t>(b, off::kUserSize, s);
  h.header_crc = load<std::uint32_t>(b, off::kHeaderCrc, s);
  h.length = memvec::detail::decode_word(load<std::uint64_t>(b, off::kLengthWord, s));
  h.capacity = memvec::detail::decode_word(load<std::uint64_t>(b, off::kCapacityWord, s));
  h.user_word = memvec::detail::decode_word(load<std::uint64_t>(b, off::kUserWord, s));
  // JournalMeta (journal.hpp, FORMAT.md "JournalMeta"): version at user-area
  // offset 0, generation at 8, creation time at 16.
  h.journal_version = load<std::uint16_t>(b, off::kUserArea + 0, s);
  h.generation = load<std::uint64_t>(b, off::kUserArea + 8, s);
  h.created_unix_ns = load<std::uint64_t>(b, off::kUserArea + 16, s);
  return h;
}

std::string validate_header_message(std::span<const std::byte> bytes, const HeaderView& h) {
  // The spec a MemVec of this element would have: data_offset derived from
  // the alignment as MemVec derives it, so an inconsistent header fails.
  const std::uint64_t align = h.elem_align == 0 ? 1 : h.elem_align;
  const std::uint64_t data_offset = (memvec::kHeaderSize + align - 1) / align * align;
  const memvec::HeaderSpec spec{h.elem_size, h.elem_align, h.type_tag, data_offset};
  try {
    // The library's room computation divides by the element size: judge a
    // zero one as size 1, which reports the header's first real problem
    // (byte order, CRC, ...) or the size itself.
    if (h.elem_size == 0) {
      memvec::detail::validate_header(bytes, {1, 1, h.type_tag, memvec::kHeaderSize}, true);
      return "corrupt_header: element size 0";
    }
    const memvec::HeaderState st = memvec::detail::validate_header(bytes, spec, true);
    if (st.missing > 0)
      return "truncated: the file ends " + std::to_string(st.missing * h.elem_size) +
             " bytes before the committed end (" + std::to_string(st.missing) +
             " committed elements missing)";
    if (h.type_tag == memvec::kv::kJournalTypeTag &&
        h.journal_version != memvec::kv::kJournalFormatVersion)
      return "version_mismatch: journal format version " + std::to_string(h.journal_version) +
             ", this build reads " + std::to_string(memvec::kv::kJournalFormatVersion);
    return {};
  } catch (const memvec::Error& e) {
    return error_text(e);
  }
}

}  // namespace memvec_kv
