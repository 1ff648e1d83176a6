// Shared by the MemVec<T, B> tests (test_mem_vec_*.cpp): a fresh vector from
// a backend factory, element types (plain, over-aligned, packed 41-byte,
// tagged), and a snapshot of a backend's bytes to prove "unchanged".
#pragma once
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <list>
#include <numeric>
#include <optional>
#include <ranges>
#include <span>
#include <sstream>
#include <system_error>
#include <vector>

#include "backend_factory.hpp"
#include "memvec/memvec.hpp"
#include "support.hpp"

namespace mem_vec_fixture {

using memvec::errc;
using test::error_of;
using U64 = std::uint64_t;

template <class T, class B>
memvec::MemVec<T, B> fresh(test::Factory<B>& f, memvec::VecOptions options = {}) {
  return memvec::MemVec<T, B>::create(f.make(0), options);
}

template <class V>
std::vector<typename V::value_type> to_std(const V& v) {
  return {v.begin(), v.end()};
}

inline std::vector<U64> iota_vec(std::size_t n, U64 first = 0) {
  std::vector<U64> out(n);
  std::iota(out.begin(), out.end(), first);
  return out;
}

// Pushes until size() == capacity(): the next growing call must move data().
template <class V>
void fill_to_capacity(V& v, U64 first = 0) {
  while (v.size() < v.capacity()) v.push_back(first + v.size());
}

struct Point {
  std::int32_t x = 0;
  std::int32_t y = 0;
  Point() = default;
  Point(std::int32_t x_, std::int32_t y_) : x(x_), y(y_) {}
  bool operator==(const Point&) const = default;
};

struct alignas(64) Wide {
  U64 id;
  std::uint32_t small;
};
static_assert(sizeof(Wide) == 64 && alignof(Wide) == 64);

struct alignas(512) Huge {
  U64 id;
};

#pragma pack(push, 1)
struct Packed41 {
  std::uint8_t kind;
  U64 id;
  std::int32_t delta;
  char name[28];
};
#pragma pack(pop)
static_assert(sizeof(Packed41) == 41 && alignof(Packed41) == 1);

inline Packed41 packed(U64 i) {
  Packed41 r{};
  r.kind = static_cast<std::uint8_t>(i % 251);
  r.id = i * 0x9E3779B97F4A7C15ull;
  r.delta = -static_cast<std::int32_t>(i);
  for (std::size_t k = 0; k < sizeof r.name; ++k) r.name[k] = static_cast<char>('a' + (i + k) % 26);
  return r;
}

struct TaggedA {
  U64 value;
  static constexpr U64 memvec_type_tag = 0xA11CE;
};
struct TaggedB {
  U64 value;
  static constexpr U64 memvec_type_tag = 0xB0B;
};
static_assert(sizeof(TaggedA) == sizeof(TaggedB) && alignof(TaggedA) == alignof(TaggedB));

// A snapshot of the bytes a persistent backend holds, to prove "unchanged".
template <class B>
std::vector<std::byte> bytes_of(const test::Factory<B>& f) {
  if constexpr (test::Factory<B>::file) {
    return test::read_file(f.path());
  } else {
    const auto s = f.buffer();
    return {s.begin(), s.end()};
  }
}

}  // namespace mem_vec_fixture
