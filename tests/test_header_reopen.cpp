// The MemVec header: every way a reopen must fail (with its errc, and
// without changing a byte of the file): wrong element type, the other byte
// order, not a memvec file, a future version, truncations, an empty file,
// every flipped header byte, impossible fields under a valid checksum.
#include "header_fixture.hpp"

using namespace header_fixture;

// --- (c) reopen errors, each leaving the file byte-identical ---------------------

TEST_CASE("header: a valid file reopens with its elements and user area") {
  test::TempDir dir;
  const auto p = dir / "v.mv";
  write_u32_file(p);
  const auto d = test::digest(p);
  for (const OpenMode mode :
       {OpenMode::open_existing, OpenMode::read_only, OpenMode::open_or_create}) {
    const auto v = U32File::open(FileBackend::open(p, {.mode = mode}));
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
    const auto v = U32File::open(FileBackend::open(p, {.mode = OpenMode::read_only}), keep);
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
