// Small formatting helpers shared by the commands' human-readable output:
// sizes, percentages, hex, times, and one JSON string for keys.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace memvec_kv {

// "512 B", "3.8 KiB", "1.2 GiB".
std::string human_bytes(std::uint64_t bytes);
// "1 record", "3 records".
std::string plural(std::uint64_t n, const char* noun);
// "12.5%"; part/whole with whole 0 reads as 100%.
std::string percent(std::uint64_t part, std::uint64_t whole);
// "0x0000010e": width in hex digits.
std::string hex(std::uint64_t v, int width = 8);
// Nanoseconds since the Unix epoch as "2026-11-21T07:26:53Z".
std::string utc_time(std::uint64_t unix_ns);
// A key as a JSON string (escaped), for messages and listings.
std::string json_string(std::string_view s);
// A library error as "errc_name: what()" ("corrupt_header: header checksum
// mismatch: corrupt header"): the errc name is what scripts match on.
std::string error_text(const std::system_error& e);
// The type tag's 8 bytes as text when they are all printable ("MVKVJRNL"),
// else empty.
std::string tag_text(std::uint64_t tag);

}  // namespace memvec_kv
