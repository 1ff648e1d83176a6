// The MemVec header: the on-disk format pinned byte for byte by a golden
// header, each field at its header_offset constant, the length and capacity
// words; the commit words (round trips, single-byte flips, the all-zero and
// all-ones words).
#include "header_fixture.hpp"

using namespace header_fixture;

// --- (a) the format, byte for byte ------------------------------------------

// MemVec<uint32_t> over a 1024-byte buffer, user area "golden user area",
// elements 0x11223344, 0xDEADBEEF, 7: the 256-byte header, then the data.
// Changing any byte of this table is a format change (bump kFormatVersion).
// clang-format off
constexpr std::uint8_t kGolden[256 + 12] = {
    // magic                                         version     end.  res.  header_size
    0x89, 0x4D, 0x45, 0x4D, 0x56, 0x45, 0x43, 0x0A, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00,
    // elem_size             elem_align              type_tag
    0x04, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    // data_offset                                   user_size               header_crc
    0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xB8, 0x00, 0x00, 0x00, 0xC3, 0x7A, 0x96, 0x55,
    // length word (3, check 0x4D55)                 capacity word (192, check 0x4D96)
    0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x55, 0x4D, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x96, 0x4D,
    // user word (0, check 0x4D56)                   user area: "golden u
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x56, 0x4D, 0x67, 0x6F, 0x6C, 0x64, 0x65, 0x6E, 0x20, 0x75,
    // ...ser area", then zeros to 256
    0x73, 0x65, 0x72, 0x20, 0x61, 0x72, 0x65, 0x61, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    // data: three little-endian uint32
    0x44, 0x33, 0x22, 0x11, 0xEF, 0xBE, 0xAD, 0xDE, 0x07, 0x00, 0x00, 0x00};
// clang-format on

TEST_CASE("header: the format is pinned byte for byte by a golden header") {
  // The golden table is little-endian; a big-endian build writes the same
  // layout in its own byte order, which the endianness byte records.
  REQUIRE(std::endian::native == std::endian::little);

  alignas(64) std::array<std::byte, 1024> buf{};
  auto v = MemVec<std::uint32_t, SpanBackend>::create(SpanBackend(buf), {.user_area = kUser});
  v.push_back(0x11223344u);
  v.push_back(0xDEADBEEFu);
  v.push_back(7u);
  REQUIRE(v.capacity() == 192);

  for (std::size_t i = 0; i < sizeof kGolden; ++i) {
    INFO("byte " << i);
    CHECK(static_cast<unsigned>(buf[i]) == static_cast<unsigned>(kGolden[i]));
  }
  // Past the three elements the data area is untouched.
  CHECK(std::all_of(buf.begin() + sizeof kGolden, buf.end(),
                    [](std::byte b) { return b == std::byte{0}; }));
}

TEST_CASE("header: each field sits at its header_offset constant") {
  alignas(64) std::array<std::byte, 1024> buf{};
  auto v = MemVec<std::uint32_t, SpanBackend>::create(SpanBackend(buf), {.user_area = kUser});
  v.push_back(0x11223344u);
  v.push_back(0xDEADBEEFu);
  v.push_back(7u);
  const std::span<const std::byte> h(buf.data(), memvec::kHeaderSize);

  CHECK(std::memcmp(h.data() + off::kMagic, memvec::kMagic, 8) == 0);
  CHECK(load<std::uint16_t>(h, off::kFormatVersion) == memvec::kFormatVersion);
  CHECK(memvec::kFormatVersion == 1);
  CHECK(load<std::uint8_t>(h, off::kEndianness) ==
        (std::endian::native == std::endian::little ? memvec::kEndianLittle : memvec::kEndianBig));
  CHECK(load<std::uint8_t>(h, off::kReserved) == 0);
  CHECK(load<std::uint32_t>(h, off::kHeaderSize) == 256);
  CHECK(load<std::uint32_t>(h, off::kElemSize) == 4);
  CHECK(load<std::uint32_t>(h, off::kElemAlign) == 4);
  CHECK(load<std::uint64_t>(h, off::kTypeTag) == 0);
  CHECK(load<std::uint64_t>(h, off::kDataOffset) == 256);
  CHECK(load<std::uint32_t>(h, off::kUserSize) == memvec::kUserAreaSize);
  CHECK(load<std::uint32_t>(h, off::kHeaderCrc) == 0x55967AC3u);
  CHECK(load<std::uint32_t>(h, off::kHeaderCrc) == header_crc(h));
  CHECK(memvec::detail::decode_word(load<std::uint64_t>(h, off::kLengthWord)) == 3u);
  CHECK(memvec::detail::decode_word(load<std::uint64_t>(h, off::kCapacityWord)) == 192u);
  CHECK(memvec::detail::decode_word(load<std::uint64_t>(h, off::kUserWord)) == 0u);
  CHECK(std::memcmp(h.data() + off::kUserArea, kUser.data(), kUser.size()) == 0);
  CHECK(std::equal(v.user_area().begin(), v.user_area().begin() + 16, kUser.begin()));

  // The offsets tile the 256 bytes with no gap and no overlap.
  CHECK(off::kFormatVersion == off::kMagic + 8);
  CHECK(off::kEndianness == off::kFormatVersion + 2);
  CHECK(off::kReserved == off::kEndianness + 1);
  CHECK(off::kHeaderSize == off::kReserved + 1);
  CHECK(off::kElemSize == off::kHeaderSize + 4);
  CHECK(off::kElemAlign == off::kElemSize + 4);
  CHECK(off::kTypeTag == off::kElemAlign + 4);
  CHECK(off::kDataOffset == off::kTypeTag + 8);
  CHECK(off::kUserSize == off::kDataOffset + 8);
  CHECK(off::kHeaderCrc == off::kUserSize + 4);
  CHECK(off::kLengthWord == off::kHeaderCrc + 4);
  CHECK(off::kCapacityWord == off::kLengthWord + 8);
  CHECK(off::kUserWord == off::kCapacityWord + 8);
  CHECK(off::kUserArea == off::kUserWord + 8);
  CHECK(off::kUserArea + memvec::kUserAreaSize == memvec::kHeaderSize);
}

TEST_CASE("header: the golden bytes open as the vector they describe") {
  alignas(64) std::array<std::byte, 1024> buf{};
  std::memcpy(buf.data(), kGolden, sizeof kGolden);
  const auto before = buf;
  {
    auto v = MemVec<std::uint32_t, SpanBackend>::open(SpanBackend(buf));
    REQUIRE(v.size() == 3);
    CHECK(v.capacity() == 192);
    CHECK(v[0] == 0x11223344u);
    CHECK(v[1] == 0xDEADBEEFu);
    CHECK(v[2] == 7u);
    CHECK(std::equal(kUser.begin(), kUser.end(), v.user_area().begin()));
  }
  CHECK(buf == before);  // open reads only
}

TEST_CASE("header: the length and capacity words track every commit and growth") {
  using memvec::detail::decode_word;
  memvec::AnonBackend anon;
  auto v = MemVec<std::uint64_t, memvec::AnonBackend>::create(std::move(anon));
  const auto word = [&](std::size_t at) {
    return decode_word(load<std::uint64_t>({v.backend().data(), memvec::kHeaderSize}, at));
  };
  for (std::uint64_t i = 0; i < 5000; ++i) {
    v.push_back(i);
    REQUIRE(word(off::kLengthWord) == v.size());
    REQUIRE(word(off::kCapacityWord) == v.capacity());
  }
  v.erase(v.begin() + 10, v.begin() + 20);
  CHECK(word(off::kLengthWord) == 4990u);
  v.shrink_to_fit();
  CHECK(word(off::kCapacityWord) == v.capacity());
  v.clear();
  CHECK(word(off::kLengthWord) == 0u);
}

// --- (b) commit words -----------------------------------------------------------

TEST_CASE("header: commit words round-trip values from 0 to kMaxWordValue") {
  using memvec::kMaxWordValue;
  using memvec::detail::decode_word;
  using memvec::detail::encode_word;
  static_assert(decode_word(encode_word(0)) == 0u);
  static_assert(decode_word(encode_word(kMaxWordValue)) == kMaxWordValue);

  std::vector<std::uint64_t> values = {0,
                                       1,
                                       2,
                                       3,
                                       255,
                                       256,
                                       0xFFFF,
                                       0x10000,
                                       0xFFFFFFFF,
                                       0x100000000,
                                       0x123456789ABC,
                                       kMaxWordValue - 1,
                                       kMaxWordValue};
  std::mt19937_64 rng(12345);
  for (int i = 0; i < 10000; ++i) values.push_back(rng() & kMaxWordValue);
  for (const std::uint64_t v : values) {
    INFO("value " << v);
    REQUIRE(decode_word(encode_word(v)) == v);
    REQUIRE((encode_word(v) & kMaxWordValue) == v);  // the value is in the low 48 bits
  }
}

TEST_CASE("header: every single-byte flip of a commit word is rejected") {
  using memvec::kMaxWordValue;
  using memvec::detail::decode_word;
  using memvec::detail::encode_word;
  const std::uint64_t values[] = {0,
                                  1,
                                  3,
                                  192,
                                  0xFFFF,
                                  0x10000,
                                  0x4D56,
                                  0xFFFFFFFF,
                                  0x123456789ABC,
                                  0x800000000000,
                                  kMaxWordValue - 1,
                                  kMaxWordValue};
  std::size_t tried = 0;
  for (const std::uint64_t v : values) {
    const std::uint64_t word = encode_word(v);
    for (int byte = 0; byte < 8; ++byte) {
      for (unsigned mask = 1; mask <= 0xFF; ++mask) {
        const std::uint64_t flipped = word ^ (std::uint64_t{mask} << (8 * byte));
        INFO("value " << v << " byte " << byte << " mask " << mask);
        REQUIRE_FALSE(decode_word(flipped).has_value());
        ++tried;
      }
    }
  }
  CHECK(tried == std::size(values) * 8 * 255);
}

TEST_CASE("header: the all-zero and all-ones words are rejected") {
  using memvec::detail::decode_word;
  CHECK_FALSE(decode_word(0).has_value());  // a zero-filled header never reads as length 0
  CHECK_FALSE(decode_word(~std::uint64_t{0}).has_value());
}
