// Formatting helpers (contract in text_format.hpp).
#include "text_format.hpp"

#include <cstdio>
#include <ctime>

#include <memvec/error.hpp>
#include <memvec/kv/value.hpp>

namespace memvec_kv {

std::string human_bytes(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double v = static_cast<double>(bytes);
  int unit = 0;
  while (v >= 1024 && unit < 4) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[unit]);
  return buf;
}

std::string plural(std::uint64_t n, const char* noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

std::string percent(std::uint64_t part, std::uint64_t whole) {
  const double p =
      whole == 0 ? 100.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", p);
  return buf;
}

std::string hex(std::uint64_t v, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%0*llx", width, static_cast<unsigned long long>(v));
  return buf;
}

std::string utc_time(std::uint64_t unix_ns) {
  const auto secs = static_cast<std::time_t>(unix_ns / 1'000'000'000u);
  std::tm tm{};
  if (::gmtime_r(&secs, &tm) == nullptr) return "?";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string json_string(std::string_view s) { return memvec::kv::Value(s).to_json(); }

std::string error_text(const std::system_error& e) {
  if (e.code().category() != memvec::error_category()) return e.what();
  return std::string(memvec::errc_name(static_cast<memvec::errc>(e.code().value()))) + ": " +
         e.what();
}

std::string tag_text(std::uint64_t tag) {
  std::string s;
  for (int i = 0; i < 8; ++i) {
    const auto c = static_cast<unsigned char>(tag >> (8 * i));
    if (c < 0x20 || c > 0x7E) return {};
    s += static_cast<char>(c);
  }
  return s;
}

}  // namespace memvec_kv
