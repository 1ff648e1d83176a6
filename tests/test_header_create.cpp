// The MemVec header at creation and over caller buffers: open_or_create
// formats only an empty or zero-filled file (or one whose format was
// interrupted before its magic), never a non-blank invalid one; a SpanBackend
// too small or misaligned for T is refused and left untouched.
#include "header_fixture.hpp"

using namespace header_fixture;

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
