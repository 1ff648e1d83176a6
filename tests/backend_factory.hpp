// Per-backend factories for the tests that run one suite over every backend
// (test_backends, test_mem_vec_*, test_mem_vec_model).
//
// Factory<B> makes fresh backends of B and owns whatever must outlive them
// (the temp directory of the file backends, the buffers of SpanBackend), so a
// test keeps its Factory alive longer than anything made from it:
//   make(n)             a fresh, writable backend of size() == n
//   reopen()            a new backend over the bytes of the last make()
//                       (only when `persistent`; drop the old handle first:
//                       file backends lock the file)
//   make_limited(n, l)  a backend of size n that cannot grow past l bytes
//                       (only when `limited`)
//   path()              the file of the last make() (only when `file`)
// Also error_of(f): runs f and returns the memvec::errc it threw (or
// nullopt), so a CHECK on the wrong code prints both codes.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstddef>
#include <filesystem>
#include <list>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "memvec/memvec.hpp"
#include "support.hpp"

namespace test {

template <class F>
std::optional<memvec::errc> error_of(F&& f) {
  try {
    f();
  } catch (const memvec::Error& e) {
    for (int c = 1; c <= static_cast<int>(memvec::errc::corrupt_data); ++c)
      if (e.code() == static_cast<memvec::errc>(c)) return static_cast<memvec::errc>(c);
    FAIL("memvec::Error with a code outside memvec::errc: " << e.what());
  }
  return std::nullopt;
}

// A std::allocator that hands out page-aligned memory, so a SpanBackend over
// a std::vector of these can hold over-aligned elements.
template <class T>
struct PageAlignedAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlign{4096};
  PageAlignedAllocator() = default;
  template <class U>
  PageAlignedAllocator(const PageAlignedAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlign)); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, kAlign); }
  template <class U>
  bool operator==(const PageAlignedAllocator<U>&) const noexcept {
    return true;
  }
};
using AlignedBuffer = std::vector<std::byte, PageAlignedAllocator<std::byte>>;

template <class B>
struct Factory;

template <>
struct Factory<memvec::AnonBackend> {
  static constexpr bool persistent = false;
  static constexpr bool limited = false;
  static constexpr bool file = false;
  memvec::AnonBackend make(std::size_t n) { return memvec::AnonBackend(n); }
};

template <>
struct Factory<HeapBackend> {
  static constexpr bool persistent = false;
  static constexpr bool limited = true;
  static constexpr bool file = false;
  HeapBackend make(std::size_t n) { return HeapBackend(n); }
  HeapBackend make_limited(std::size_t n, std::size_t limit) { return HeapBackend(n, limit); }
};

template <>
struct Factory<memvec::SpanBackend> {
  // Room for a vector to grow in when the test did not ask for a limit.
  static constexpr std::size_t kDefaultBuffer = std::size_t{4} << 20;
  static constexpr bool persistent = true;
  static constexpr bool limited = true;
  static constexpr bool file = false;

  memvec::SpanBackend make(std::size_t n) { return make_limited(n, std::max(n, kDefaultBuffer)); }
  memvec::SpanBackend make_limited(std::size_t n, std::size_t limit) {
    AlignedBuffer& buf = buffers.emplace_back(limit);  // std::list: never moves a buffer
    memvec::SpanBackend b{std::span<std::byte>(buf)};
    b.resize(n);
    return b;
  }
  // The whole buffer again, as a program that kept it would see it.
  memvec::SpanBackend reopen() { return memvec::SpanBackend{std::span<std::byte>(buffers.back())}; }
  std::span<const std::byte> buffer() const { return buffers.back(); }

  std::list<AlignedBuffer> buffers;
};

template <class FB>
struct FileFactory {
  static constexpr bool persistent = true;
  static constexpr bool limited = false;
  static constexpr bool file = true;

  FB make(std::size_t n) {
    current = dir / ("vec-" + std::to_string(count++) + ".mv");
    return FB::open(current, {.mode = memvec::OpenMode::create_new, .initial_size = n});
  }
  FB reopen(memvec::OpenMode mode = memvec::OpenMode::open_existing) {
    return FB::open(current, {.mode = mode});
  }
  const std::filesystem::path& path() const { return current; }

  TempDir dir;
  std::filesystem::path current;
  unsigned count = 0;
};

template <>
struct Factory<memvec::FileBackend> : FileFactory<memvec::FileBackend> {};
template <>
struct Factory<memvec::MappedFileBackend> : FileFactory<memvec::MappedFileBackend> {};

}  // namespace test

CATCH_REGISTER_ENUM(memvec::errc, memvec::errc::bad_magic, memvec::errc::version_mismatch,
                    memvec::errc::type_mismatch, memvec::errc::corrupt_header,
                    memvec::errc::truncated, memvec::errc::capacity_exceeded, memvec::errc::locked,
                    memvec::errc::read_only, memvec::errc::io_error, memvec::errc::invalid_argument,
                    memvec::errc::out_of_range, memvec::errc::corrupt_data)

// The type lists the suites run over (TEMPLATE_TEST_CASE arguments).
#define MEMVEC_ALL_BACKENDS                                                                 \
  memvec::AnonBackend, memvec::FileBackend, memvec::SpanBackend, memvec::MappedFileBackend, \
      test::HeapBackend
#define MEMVEC_PERSISTENT_BACKENDS \
  memvec::FileBackend, memvec::SpanBackend, memvec::MappedFileBackend
#define MEMVEC_FILE_BACKENDS memvec::FileBackend, memvec::MappedFileBackend
