// Shared by the MemVec header tests (test_header_*.cpp): an outcome as a
// string (ok or the errc name), header fields read and patched (with or
// without the header CRC), a fingerprint of a file, uint32 test files and
// opens of them, and element types of the same size but another layout.
#pragma once
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

namespace header_fixture {

namespace fs = std::filesystem;
using memvec::errc;
using memvec::errc_name;
using memvec::FileBackend;
using memvec::FileOptions;
using memvec::MemVec;
using memvec::OpenMode;
using memvec::SpanBackend;
namespace off = memvec::header_offset;

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

inline std::uint32_t header_crc(std::span<const std::byte> h) {
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
inline std::uint64_t fingerprint(const fs::path& p) {
  return fs::file_size(p) == 0 ? 0 : test::digest(p);
}

template <class U>
void patch(const fs::path& p, std::size_t offset, U value) {
  auto bytes = test::read_file(p);
  store(std::span(bytes), offset, value);
  test::write_file(p, bytes);
}

inline const std::array<std::byte, 16> kUser = [] {
  std::array<std::byte, 16> a{};
  std::memcpy(a.data(), "golden user area", 16);
  return a;
}();

using U32File = MemVec<std::uint32_t, FileBackend>;

// A valid file: MemVec<uint32_t> with a user area and three elements, 4096 bytes.
inline void write_u32_file(const fs::path& p) {
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
    const auto v = open();  // const: a read-only vector is read through const access
    r = "ok: capacity " + std::to_string(v.capacity()) + ", elements";
    for (const auto e : v) r += " " + std::to_string(e);
  });
  return o == "ok" ? r : o;
}
inline std::string opened_u32(const fs::path& p, OpenMode mode = OpenMode::open_existing) {
  return opened([&] { return MemVec<std::uint32_t, FileBackend>::open(FileBackend::open(p, {.mode = mode})); });
}
inline std::string opened_or_created_u32(const fs::path& p) {
  return opened([&] { return MemVec<std::uint32_t, FileBackend>::open_or_create(FileBackend::open(p)); });
}
// opened() of the file write_u32_file makes, with capacity `cap`.
inline std::string u32_file_with_capacity(std::uint64_t cap) {
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

}  // namespace header_fixture
