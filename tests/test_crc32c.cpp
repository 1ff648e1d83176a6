#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <vector>

#include "memvec/crc32c.hpp"

TEST_CASE("crc32c: the check value of \"123456789\" is 0xE3069283") {
  const char* s = "123456789";
  CHECK(memvec::crc32c(s, std::strlen(s)) == 0xE3069283u);
  CHECK(memvec::detail::crc32c_portable(s, std::strlen(s), 0) == 0xE3069283u);
}

TEST_CASE("crc32c: the empty input has crc 0") { CHECK(memvec::crc32c(nullptr, 0) == 0u); }

TEST_CASE("crc32c: hardware and portable paths agree on every length and alignment") {
  std::mt19937_64 rng(7);
  std::vector<unsigned char> buf(4096 + 16);
  for (auto& b : buf) b = static_cast<unsigned char>(rng());
  for (std::size_t off = 0; off < 8; ++off)
    for (std::size_t len = 0; len < 300; ++len)
      REQUIRE(memvec::crc32c(buf.data() + off, len) ==
              memvec::detail::crc32c_portable(buf.data() + off, len, 0));
}

TEST_CASE("crc32c: continuing a crc equals the crc of the concatenation") {
  const char* s = "hello, world: memvec";
  const std::size_t n = std::strlen(s);
  for (std::size_t cut = 0; cut <= n; ++cut)
    CHECK(memvec::crc32c(s + cut, n - cut, memvec::crc32c(s, cut)) == memvec::crc32c(s, n));
}
