// HeaderView: the fields of a MemVec header read straight from its bytes,
// whatever the element type and whatever the writer's byte order.
//
// MemVec::open needs the element type at compile time and refuses a file of
// the other byte order; a tool looking at an unknown file needs neither: it
// shows what the header says and then asks the library to judge it
// (validate(), which runs the library's own checks in the library's order).
// Offsets and constants are header.hpp's; docs/FORMAT.md is the reference.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include <memvec/header.hpp>

namespace memvec_kv {

struct HeaderView {
  bool foreign_order = false;  // written by a machine of the other byte order
  std::uint16_t format_version = 0;
  std::uint8_t endianness = 0;
  std::uint32_t header_size = 0;
  std::uint32_t elem_size = 0;
  std::uint32_t elem_align = 0;
  std::uint64_t type_tag = 0;
  std::uint64_t data_offset = 0;
  std::uint32_t user_size = 0;
  std::uint32_t header_crc = 0;
  // The three commit words, decoded; nullopt when a word fails its check.
  std::optional<std::uint64_t> length, capacity, user_word;
  std::uint64_t file_size = 0;

  // The journal's metadata in the user area (meaningful for journals only).
  std::uint16_t journal_version = 0;
  std::uint64_t generation = 0;
  std::uint64_t created_unix_ns = 0;
};

// Whether `bytes` starts with the memvec magic (at least its first byte).
bool has_magic(std::span<const std::byte> bytes) noexcept;

// Reads the fields; the caller has checked has_magic and size >= 256.
HeaderView read_header(std::span<const std::byte> bytes);

// The library's verdict on the header: empty when it passes, otherwise the
// errc name and message ("corrupt_header: header checksum mismatch ...").
// Checks with the header's own elem_size/align/tag, so it judges the file
// as whatever it claims to be; also reports a committed tail the file lost.
std::string validate_header_message(std::span<const std::byte> bytes, const HeaderView& h);

}  // namespace memvec_kv
