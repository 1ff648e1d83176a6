// CRC32C (Castagnoli): the checksum of memvec's headers and journal records.
//
// Uses the SSE4.2 crc32 instruction when the CPU has it (checked once at run
// time), a portable slicing-by-8 table otherwise; both give identical results.
// crc32c("123456789") == 0xE3069283. Thread-safe, never throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace memvec {

// Continues a CRC: crc32c(b, crc32c(a)) == crc32c(a ++ b). Start from 0.
std::uint32_t crc32c(std::span<const std::byte> bytes, std::uint32_t crc = 0) noexcept;
std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc = 0) noexcept;

namespace detail {
std::uint32_t crc32c_portable(const void* data, std::size_t size, std::uint32_t crc) noexcept;
bool crc32c_hardware_available() noexcept;
}  // namespace detail

}  // namespace memvec
