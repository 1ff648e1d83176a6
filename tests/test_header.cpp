// The MemVec header: the on-disk format pinned byte for byte, the commit
// words, and every way a reopen must fail (with its errc, and without
// changing a byte of the file).
#include <algorithm>
#include <array>
#include <bit>
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "memvec/memvec.hpp"
#include "backend_factory.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using memvec::errc;
using memvec::errc_name;
using memvec::FileBackend;
using memvec::FileOptions;
using memvec::MemVec;
using memvec::OpenMode;
using memvec::SpanBackend;
namespace off = memvec::header_offset;

namespace {

// "ok", the errc name of the memvec::Error thrown, or a description of any
// other exception: CHECK(outcome(...) == "bad_magic") prints what happened.
template <class F>
std::string outcome(F&& f) {
  try {
    f();
    return "ok";
  } catch (const memvec::Error& e) {
    if (e.code().category() != memvec::error_category()) return "foreign category";
    return errc_name(static_cast<errc>(e.code().value()));
  } catch (const std::exception& e) {
    return std::string("foreign exception: ") + e.what();
  }
}

template <class U>
U load(std::span<const std::byte> bytes, std::size_t offset) {
  U v;
  std::memcpy(&v, bytes.data() + offset, sizeof v);
  return v;
}

template <class U>
void store(std::span<std::byte> bytes, std::size_t offset, U v) {
  std::memcpy(bytes.data() + offset, &v, sizeof v);
}

std::uint32_t header_crc(std::span<const std::byte> h) {
  const std::uint32_t c = memvec::detail::crc32c_portable(h.data(), off::kHeaderCrc, 0);
  return memvec::detail::crc32c_portable(h.data() + off::kUserArea,
                                         memvec::kHeaderSize - off::kUserArea, c);
}

// Rewrites bytes of a file's header and recomputes the header CRC, as a
// buggy or foreign writer would: checks past the CRC must catch it.
template <class U>
void patch_with_crc(const fs::path& p, std::size_t offset, U value) {
  auto bytes = test::read_file(p);
  store(std::span(bytes), offset, value);
  store(std::span(bytes), off::kHeaderCrc, header_crc(bytes));
  test::write_file(p, bytes);
}

// test::digest, also of an empty file (test::read_file memcpys from a null
// pointer then, which UBSan reports).
std::uint64_t fingerprint(const fs::path& p) { return fs::file_size(p) == 0 ? 0 : test::digest(p); }

template <class U>
void patch(const fs::path& p, std::size_t offset, U value) {
  auto bytes = test::read_file(p);
  store(std::span(bytes), offset, value);
  test::write_file(p, bytes);
}

const std::array<std::byte, 16> kUser = [] {
  std::array<std::byte, 16> a{};
  std::memcpy(a.data(), "golden user area", 16);
  return a;
}();

using U32File = MemVec<std::uint32_t, FileBackend>;

// A valid file: MemVec<uint32_t> with a user area and three elements, 4096 bytes.
void write_u32_file(const fs::path& p) {
  auto v =
      U32File::create(FileBackend::open(p, {.mode = OpenMode::create_new}), {.user_area = kUser});
  v.push_back(0x11223344u);
  v.push_back(0xDEADBEEFu);
  v.push_back(7u);
  v.close();
}

// Opens `p` as MemVec<T> through a FileBackend opened with `mode`; returns
// the outcome (see outcome()).
template <class V>
std::string open_as(const fs::path& p, OpenMode mode = OpenMode::open_existing) {
  return outcome([&] { (void)V::open(FileBackend::open(p, {.mode = mode})); });
}
template <class V>
std::string open_or_create_as(const fs::path& p) {
  return outcome([&] { (void)V::open_or_create(FileBackend::open(p)); });
}

// What `open()` gives, pinned in one string: the errc name, or "ok" with the
// vector's capacity and every element, so a CHECK prints exactly what opened.
template <class F>
std::string opened(F&& open) {
  std::string r;
  const std::string o = outcome([&] {
    auto v = open();
    r = "ok: capacity " + std::to_string(v.capacity()) + ", elements";
    for (const auto e : v) r += " " + std::to_string(e);
  });
  return o == "ok" ? r : o;
}
std::string opened_u32(const fs::path& p, OpenMode mode = OpenMode::open_existing) {
  return opened([&] { return MemVec<std::uint32_t, FileBackend>::open(FileBackend::open(p, {.mode = mode})); });
}
std::string opened_or_created_u32(const fs::path& p) {
  return opened([&] { return MemVec<std::uint32_t, FileBackend>::open_or_create(FileBackend::open(p)); });
}
// opened() of the file write_u32_file makes, with capacity `cap`.
std::string u32_file_with_capacity(std::uint64_t cap) {
  return "ok: capacity " + std::to_string(cap) + ", elements 287454020 3735928559 7";
}

struct Bytes4 {  // sizeof 4 like uint32_t, alignof 1
  std::uint8_t b[4];
};
static_assert(sizeof(Bytes4) == 4 && alignof(Bytes4) == 1);

struct Tagged4 {  // sizeof and alignof of uint32_t, but a type tag
  std::uint32_t v;
  static constexpr std::uint64_t memvec_type_tag = 0x54414747454434ull;
};

struct alignas(16) Wide {
  std::uint64_t a, b;
};

}  // namespace

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

// --- (c) reopen errors, each leaving the file byte-identical ---------------------

TEST_CASE("header: a valid file reopens with its elements and user area") {
  test::TempDir dir;
  const auto p = dir / "v.mv";
  write_u32_file(p);
  const auto d = test::digest(p);
  for (const OpenMode mode :
       {OpenMode::open_existing, OpenMode::read_only, OpenMode::open_or_create}) {
    auto v = U32File::open(FileBackend::open(p, {.mode = mode}));
    REQUIRE(v.size() == 3);
    CHECK(v[0] == 0x11223344u);
    CHECK(v[1] == 0xDEADBEEFu);
    CHECK(v[2] == 7u);
    CHECK(std::equal(kUser.begin(), kUser.end(), v.user_area().begin()));
  }
  CHECK(test::digest(p) == d);
}

TEST_CASE("header: opening as the wrong element type is a type_mismatch and changes nothing") {
  test::TempDir dir;
  const auto p = dir / "v.mv";
  write_u32_file(p);
  const auto d = test::digest(p);

  SECTION("a different size: uint32_t opened as uint64_t") {
    CHECK(open_as<MemVec<std::uint64_t, FileBackend>>(p) == "type_mismatch");
    CHECK(open_as<MemVec<std::uint16_t, FileBackend>>(p) == "type_mismatch");
  }
  SECTION("the same size, a different alignment") {
    CHECK(open_as<MemVec<Bytes4, FileBackend>>(p) == "type_mismatch");
  }
  SECTION("the same size and alignment, a different type tag") {
    CHECK(open_as<MemVec<Tagged4, FileBackend>>(p) == "type_mismatch");
    CHECK(open_as<MemVec<std::uint32_t, FileBackend, 42>>(p) == "type_mismatch");
  }
  SECTION("a tagged file opened without its tag, or with another") {
    const auto q = dir / "tagged.mv";
    {
      auto v = MemVec<Tagged4, FileBackend>::create(FileBackend::open(q));
      v.push_back({1});
    }
    const auto dq = test::digest(q);
    CHECK(open_as<MemVec<Tagged4, FileBackend>>(q) == "ok");
    CHECK(open_as<MemVec<std::uint32_t, FileBackend>>(q) == "type_mismatch");
    CHECK(open_as<MemVec<Tagged4, FileBackend, Tagged4::memvec_type_tag + 1>>(q) ==
          "type_mismatch");
    CHECK(open_or_create_as<MemVec<std::uint32_t, FileBackend>>(q) == "type_mismatch");
    CHECK(test::digest(q) == dq);
  }
  SECTION("open_or_create on a mismatched file throws too, never reformats") {
    CHECK(open_or_create_as<MemVec<std::uint64_t, FileBackend>>(p) == "type_mismatch");
  }
  CHECK(test::digest(p) == d);
  CHECK(open_as<U32File>(p) == "ok");
}

TEST_CASE("header: a file of the other byte order is a type_mismatch and changes nothing") {
  test::TempDir dir;
  const auto p = dir / "v.mv";
  write_u32_file(p);
  // A valid checksum over the other endianness byte, as the other kind of
  // machine would have written it (the CRC check alone would not say why).
  const std::uint8_t other =
      std::endian::native == std::endian::little ? memvec::kEndianBig : memvec::kEndianLittle;
  patch_with_crc<std::uint8_t>(p, off::kEndianness, other);
  const auto d = test::digest(p);
  CHECK(open_as<U32File>(p) == "type_mismatch");
  CHECK(open_or_create_as<U32File>(p) == "type_mismatch");
  CHECK(test::digest(p) == d);
}

TEST_CASE("header: a file that is not a memvec file is bad_magic and changes nothing") {
  test::TempDir dir;
  const auto p = dir / "v.mv";

  SECTION("a memvec file with other magic bytes") {
    write_u32_file(p);
    patch(p, 0, std::array<char, 8>{'N', 'O', 'T', 'M', 'E', 'M', 'V', 'C'});
  }
  SECTION("a text file") {
    const std::string text = "hello, this is not a vector\n";
    std::vector<std::byte> bytes(text.size());
    std::memcpy(bytes.data(), text.data(), text.size());
    test::write_file(p, bytes);
  }
  SECTION("a file of 0xFF bytes") {
    test::write_file(p, std::vector<std::byte>(4096, std::byte{0xFF}));
  }
  SECTION("a zero-filled file: open() never formats") {
    test::write_file(p, std::vector<std::byte>(4096, std::byte{0}));
  }
  SECTION("an empty file") { test::write_file(p, {}); }

  const auto d = fingerprint(p);
  CHECK(open_as<U32File>(p) == "bad_magic");
  CHECK(open_as<U32File>(p, OpenMode::read_only) == "bad_magic");
  CHECK(fingerprint(p) == d);
}

TEST_CASE("header: a future format version is a version_mismatch and changes nothing") {
  test::TempDir dir;
  const auto p = dir / "v.mv";
  write_u32_file(p);
  // Only the version changes: the CRC is left as version 1 wrote it, since a
  // future version may checksum differently and must be told apart first.
  patch<std::uint16_t>(p, off::kFormatVersion, 2);
  const auto d = test::digest(p);
  CHECK(open_as<U32File>(p) == "version_mismatch");
  CHECK(open_as<U32File>(p, OpenMode::read_only) == "version_mismatch");
  CHECK(open_or_create_as<U32File>(p) == "version_mismatch");
  CHECK(test::digest(p) == d);

  patch_with_crc<std::uint16_t>(p, off::kFormatVersion, 0xFFFF);  // with its CRC fixed too
  const auto d2 = test::digest(p);
  CHECK(open_as<U32File>(p) == "version_mismatch");
  CHECK(test::digest(p) == d2);
}

// Truncated means committed data is missing: a cut into the header or into
// elements [0, length). A cut only into the spare room [length, capacity) loses
// nothing (under Durability::process_crash, power loss may persist a raised
// capacity word before the file's new size): the file opens, every element
// intact, with the capacity the file really holds; open writes nothing.
TEST_CASE("header: a file cut into its committed bytes is truncated, one cut into spare room opens; "
          "either is left as it is") {
  test::TempDir dir;
  const auto p = dir / "v.mv";
  write_u32_file(p);
  REQUIRE(fs::file_size(p) == memvec::page_size());
  const std::size_t full = fs::file_size(p);

  std::size_t cut = 0;
  std::string expected = "truncated";
  SECTION("cut inside the magic") { cut = 4; }
  SECTION("cut right after the magic") { cut = 8; }
  SECTION("cut inside the header") { cut = 100; }
  SECTION("cut one byte short of the header") { cut = 255; }
  SECTION("cut at the end of the header: no committed element left") { cut = 256; }
  SECTION("cut into the 3rd committed element") { cut = 256 + 2 * 4 + 2; }
  SECTION("cut one byte short of the 3rd committed element's end") { cut = 256 + 3 * 4 - 1; }
  SECTION("cut right after the committed elements: capacity 3") {
    cut = 256 + 3 * 4;
    expected = u32_file_with_capacity(3);
  }
  SECTION("cut into the data area past the length: capacity 4") {
    cut = 256 + 3 * 4 + 4;
    expected = u32_file_with_capacity(4);
  }
  SECTION("cut one byte short of the capacity: capacity 959") {
    cut = full - 1;
    expected = u32_file_with_capacity((full - 1 - 256) / 4);
    REQUIRE(expected == u32_file_with_capacity(959));
  }

  test::truncate_to(p, cut);
  const auto d = test::digest(p);
  INFO("cut at " << cut);
  CHECK(opened_u32(p) == expected);
  CHECK(opened_u32(p, OpenMode::read_only) == expected);
  CHECK(opened_or_created_u32(p) == expected);
  CHECK(fs::file_size(p) == cut);
  CHECK(test::digest(p) == d);

  if (expected != "truncated") {  // and the vector grows on from there
    {
      auto v = U32File::open(FileBackend::open(p));
      const std::size_t cap = v.capacity();
      while (v.size() <= cap) v.push_back(static_cast<std::uint32_t>(v.size()));
      CHECK(v.capacity() > cap);
      v.close();
    }
    auto v = U32File::open(FileBackend::open(p));
    const auto bytes = test::read_file(p);
    CHECK(memvec::detail::decode_word(load<std::uint64_t>(bytes, off::kCapacityWord)) ==
          std::optional<std::uint64_t>(v.capacity()));
    CHECK(v.capacity() == (fs::file_size(p) - 256) / 4);
    REQUIRE(v.size() > 3);
    CHECK(v[0] == 0x11223344u);
    CHECK(v[1] == 0xDEADBEEFu);
    CHECK(v[2] == 7u);
    for (std::size_t i = 3; i < v.size(); ++i) CHECK(v[i] == i);
  }
}

TEST_CASE("header: keep_truncated opens a file cut into its elements with those it holds, "
          "says how many are missing, and the next push publishes the shorter length") {
  test::TempDir dir;
  const auto p = dir / "v.mv";
  write_u32_file(p);  // 3 committed elements: 0x11223344, 0xDEADBEEF, 7
  test::truncate_to(p, 256 + 2 * 4 + 2);  // the 3rd element half gone
  const auto d = test::digest(p);
  const memvec::VecOptions keep{.keep_truncated = true};
  // Without the option: truncated, as ever.
  CHECK(test::error_of([&] { (void)U32File::open(FileBackend::open(p)); }) == errc::truncated);
  {
    auto v = U32File::open(FileBackend::open(p, {.mode = OpenMode::read_only}), keep);
    CHECK(v.size() == 2);
    CHECK(v.missing_on_open() == 1);
    CHECK(v[0] == 0x11223344u);
    CHECK(v[1] == 0xDEADBEEFu);
  }
  CHECK(test::digest(p) == d);  // opening wrote nothing
  {
    auto v = U32File::open(FileBackend::open(p), keep);
    v.push_back(9);
  }
  {
    auto v = U32File::open(FileBackend::open(p));  // whole again: no option needed
    CHECK(v.missing_on_open() == 0);
    REQUIRE(v.size() == 3);
    CHECK(v[2] == 9u);
  }
  // A cut into the header is still no vector at all.
  test::truncate_to(p, 100);
  const auto code = test::error_of([&] { (void)U32File::open(FileBackend::open(p), keep); });
  CHECK(code == errc::truncated);
}

TEST_CASE("header: an empty file given to open() is bad_magic and stays empty") {
  test::TempDir dir;
  const auto p = dir / "empty.mv";
  test::write_file(p, {});
  CHECK(open_as<U32File>(p) == "bad_magic");
  CHECK(open_as<U32File>(p, OpenMode::read_only) == "bad_magic");
  CHECK(fs::file_size(p) == 0);
}

TEST_CASE("header: every flipped header byte is rejected and the file is unchanged") {
  test::TempDir dir;
  const auto p = dir / "v.mv";
  write_u32_file(p);
  const auto original = test::digest(p);
  std::size_t checked = 0;

  for (const std::uint8_t mask : {std::uint8_t{0xFF}, std::uint8_t{0x01}}) {
    for (std::size_t at = 0; at < memvec::kHeaderSize; ++at) {
      test::flip_byte(p, at, mask);
      const auto d = test::digest(p);
      REQUIRE(d != original);
      const std::string expected = at < off::kFormatVersion ? "bad_magic"
                                   : at < off::kEndianness  ? "version_mismatch"
                                                            : "corrupt_header";
      INFO("byte " << at << " mask 0x" << std::hex << unsigned{mask});
      CHECK(open_as<U32File>(p) == expected);
      CHECK(open_as<U32File>(p, OpenMode::read_only) == expected);
      CHECK(open_or_create_as<U32File>(p) == expected);
      REQUIRE(test::digest(p) == d);
      test::flip_byte(p, at, mask);
      ++checked;
    }
  }
  CHECK(checked == 2 * memvec::kHeaderSize);
  CHECK(test::digest(p) == original);
  CHECK(open_as<U32File>(p) == "ok");
}

TEST_CASE("header: impossible fields under a valid checksum are corrupt_header") {
  test::TempDir dir;
  const auto p = dir / "v.mv";
  write_u32_file(p);
  using memvec::detail::encode_word;

  std::string expected = "corrupt_header";
  SECTION("header_size") { patch_with_crc<std::uint32_t>(p, off::kHeaderSize, 512); }
  SECTION("user_size") { patch_with_crc<std::uint32_t>(p, off::kUserSize, 100); }
  SECTION("data_offset") { patch_with_crc<std::uint64_t>(p, off::kDataOffset, 264); }
  SECTION("reserved byte") { patch_with_crc<std::uint8_t>(p, off::kReserved, 1); }
  SECTION("a valid length word above the capacity") {
    patch<std::uint64_t>(p, off::kLengthWord, encode_word(961));
  }
  // Not impossible: the word can reach the disk before the file's new size.
  // Every committed element is there, so the vector opens with the room the
  // file holds, (4096 - 256) / 4 = 960, and the word stays as it is.
  SECTION("a valid capacity word the file cannot hold: clamped to the room") {
    patch<std::uint64_t>(p, off::kCapacityWord, encode_word(961));
    expected = u32_file_with_capacity(960);
  }
  SECTION("the largest valid capacity word: clamped to the room") {
    patch<std::uint64_t>(p, off::kCapacityWord, encode_word(memvec::kMaxWordValue));
    expected = u32_file_with_capacity(960);
  }
  const auto d = test::digest(p);
  CHECK(opened_u32(p) == expected);
  CHECK(opened_u32(p, OpenMode::read_only) == expected);
  CHECK(opened_or_created_u32(p) == expected);
  CHECK(test::digest(p) == d);
}

TEST_CASE("header: open_or_create formats only an empty or zero-filled file") {
  test::TempDir dir;
  const auto p = dir / "v.mv";

  SECTION("an empty file is formatted") {
    test::write_file(p, {});
    {
      auto v = U32File::open_or_create(FileBackend::open(p));
      CHECK(v.size() == 0);
      v.push_back(5);
    }
    auto v = U32File::open(FileBackend::open(p));
    REQUIRE(v.size() == 1);
    CHECK(v[0] == 5u);
  }
  SECTION("a missing file is created and formatted") {
    {
      auto v = U32File::open_or_create(FileBackend::open(p));
      v.push_back(6);
    }
    CHECK(U32File::open(FileBackend::open(p)).at(0) == 6u);
  }
  SECTION("a zero-filled file is formatted in place, keeping its size") {
    test::write_file(p, std::vector<std::byte>(8192, std::byte{0}));
    {
      auto v = U32File::open_or_create(FileBackend::open(p));
      CHECK(v.size() == 0);
      CHECK(v.capacity() == (8192 - 256) / 4);
      v.push_back(7);
    }
    CHECK(fs::file_size(p) == 8192);
    CHECK(U32File::open(FileBackend::open(p)).at(0) == 7u);
  }
  SECTION("a zero-filled file shorter than the header is formatted and grown") {
    test::write_file(p, std::vector<std::byte>(100, std::byte{0}));
    {
      auto v = U32File::open_or_create(FileBackend::open(p));
      v.push_back(8);
    }
    CHECK(fs::file_size(p) >= 256 + 4);
    CHECK(U32File::open(FileBackend::open(p)).at(0) == 8u);
  }
  SECTION("an existing valid file is opened, not reformatted") {
    write_u32_file(p);
    const auto d = test::digest(p);
    {
      auto v = U32File::open_or_create(FileBackend::open(p));
      CHECK(v.size() == 3);
    }
    CHECK(test::digest(p) == d);
  }
}

TEST_CASE("header: open_or_create never formats a non-blank invalid file") {
  test::TempDir dir;
  const auto p = dir / "v.mv";
  std::string expected;
  SECTION("one non-zero byte in an otherwise zero header") {
    auto bytes = std::vector<std::byte>(4096, std::byte{0});
    bytes[200] = std::byte{1};
    test::write_file(p, bytes);
    expected = "bad_magic";
  }
  SECTION("a half-formatted header: everything but the magic") {
    write_u32_file(p);
    patch<std::uint64_t>(p, 0, 0);
    expected = "bad_magic";
  }
  SECTION("a short text file") {
    test::write_file(p, {std::byte{'h'}, std::byte{'i'}});
    expected = "bad_magic";
  }
  SECTION("a valid magic and nothing else") {
    std::vector<std::byte> bytes(8);
    std::memcpy(bytes.data(), memvec::kMagic, 8);
    test::write_file(p, bytes);
    expected = "truncated";
  }
  SECTION("a header with a bad checksum") {
    write_u32_file(p);
    test::flip_byte(p, off::kUserArea + 100);
    expected = "corrupt_header";
  }
  const auto d = test::digest(p);
  CHECK(open_or_create_as<U32File>(p) == expected);
  CHECK(open_or_create_as<MemVec<std::uint64_t, FileBackend>>(p) == expected);
  CHECK(test::digest(p) == d);
}

TEST_CASE("header: open_or_create formats a header whose format was interrupted before its magic") {
  test::TempDir dir;
  const auto p = dir / "v.mv";
  {  // what a crash between format_header's body and its magic store leaves
    auto v =
        U32File::create(FileBackend::open(p, {.mode = OpenMode::create_new}), {.user_area = kUser});
    v.close();
  }
  patch<std::uint64_t>(p, 0, 0);
  CHECK(open_as<U32File>(p) == "bad_magic");  // open() still refuses it
  auto v = U32File::open_or_create(FileBackend::open(p));
  CHECK(v.empty());
  v.push_back(5);
  v.close();
  auto again = U32File::open(FileBackend::open(p));
  REQUIRE(again.size() == 1);
  CHECK(again[0] == 5u);
}

// A backend cut short of its capacity word is truncated only when it cuts into
// the 100 committed elements; otherwise it opens with the room it has.
TEST_CASE("header: opening over a too-small SpanBackend: truncated without every element, "
          "clamped capacity with them; reads only") {
  alignas(64) std::array<std::byte, 4096> buf{};
  {
    auto v = MemVec<std::uint32_t, SpanBackend>::create(SpanBackend(buf));
    for (std::uint32_t i = 0; i < 100; ++i) v.push_back(i);
  }
  const auto before = buf;
  const std::span<std::byte> all(buf);
  const auto open_first = [&](std::size_t n) {
    return opened([&] { return MemVec<std::uint32_t, SpanBackend>::open(SpanBackend(all.first(n))); });
  };
  std::string hundred;
  for (std::uint32_t i = 0; i < 100; ++i) hundred += " " + std::to_string(i);

  CHECK(open_first(0) == "bad_magic");
  for (const std::size_t n : {std::size_t{7}, std::size_t{8}, std::size_t{255}, std::size_t{256},
                              std::size_t{256 + 4 * 99}, std::size_t{256 + 400 - 1}}) {
    INFO("buffer of " << n << " bytes");
    CHECK(open_first(n) == "truncated");
  }
  for (const std::size_t n : {std::size_t{256 + 400}, std::size_t{256 + 400 + 3},
                              std::size_t{256 + 4 * 101}, std::size_t{4095}}) {
    INFO("buffer of " << n << " bytes");
    CHECK(open_first(n) ==
          "ok: capacity " + std::to_string((n - 256) / 4) + ", elements" + hundred);
  }
  CHECK(buf == before);
  CHECK(open_first(4096) == "ok: capacity 960, elements" + hundred);
  CHECK(buf == before);
}

TEST_CASE("header: a SpanBackend misaligned for T is invalid_argument and left untouched") {
  alignas(64) std::array<std::byte, 4096 + 64> buf{};
  const std::span<std::byte> all(buf);

  SECTION("create") {
    for (const std::size_t shift :
         {std::size_t{1}, std::size_t{4}, std::size_t{8}, std::size_t{12}}) {
      INFO("buffer at +" << shift);
      CHECK(outcome([&] {
              (void)MemVec<Wide, SpanBackend>::create(SpanBackend(all.subspan(shift, 4096)));
            }) == "invalid_argument");
      CHECK(std::all_of(buf.begin(), buf.end(), [](std::byte b) { return b == std::byte{0}; }));
      CHECK(outcome([&] {
              (void)MemVec<Wide, SpanBackend>::open_or_create(
                  SpanBackend(all.subspan(shift, 4096)));
            }) == "invalid_argument");
      CHECK(std::all_of(buf.begin(), buf.end(), [](std::byte b) { return b == std::byte{0}; }));
    }
  }
  SECTION("open of a valid vector copied to a misaligned address") {
    {
      auto v = MemVec<Wide, SpanBackend>::create(SpanBackend(all.subspan(16, 4096)));
      v.push_back({1, 2});
      REQUIRE(reinterpret_cast<std::uintptr_t>(v.data()) % 16 == 0);
    }
    std::memmove(buf.data() + 8, buf.data() + 16, 4096);
    const auto before = buf;
    CHECK(outcome([&] {
            (void)MemVec<Wide, SpanBackend>::open(SpanBackend(all.subspan(8, 4096)));
          }) == "invalid_argument");
    CHECK(buf == before);
  }
}
