// MemVec's non-member operations, as std::vector has them; included by
// mem_vec.hpp (its contract is there).
//
// == and <=> compare elements (sizes first for ==, lexicographically for
// <=>, falling back to < as std::vector does when T has no <=>). erase and
// erase_if live in namespace memvec and are found by argument-dependent
// lookup: write `erase(v, x)` or `using std::erase; erase(v, x)` (the
// standard forbids adding overloads to std::erase itself). Both return the
// number of elements removed and commit once.
#pragma once

#include <algorithm>
#include <compare>
#include <concepts>
#include <cstddef>

namespace memvec {

template <class T, Backend B, std::uint64_t Tag>
bool operator==(const MemVec<T, B, Tag>& a, const MemVec<T, B, Tag>& b)
  requires std::equality_comparable<T>
{
  return a.size() == b.size() && std::equal(a.cbegin(), a.cend(), b.cbegin());
}

template <class T, Backend B, std::uint64_t Tag>
auto operator<=>(const MemVec<T, B, Tag>& a, const MemVec<T, B, Tag>& b)
  requires std::three_way_comparable<T> || requires(const T& x) {
    { x < x } -> std::convertible_to<bool>;
  }
{
  // std::vector's synth-three-way: <=> where T has it, else built from <.
  const auto cmp = [](const T& x, const T& y) {
    if constexpr (std::three_way_comparable<T>) {
      return x <=> y;
    } else {
      return x < y ? std::weak_ordering::less
                   : y < x ? std::weak_ordering::greater : std::weak_ordering::equivalent;
    }
  };
  return std::lexicographical_compare_three_way(a.cbegin(), a.cend(), b.cbegin(), b.cend(), cmp);
}

template <class T, Backend B, std::uint64_t Tag>
void swap(MemVec<T, B, Tag>& a, MemVec<T, B, Tag>& b) noexcept {
  a.swap(b);
}

template <class T, Backend B, std::uint64_t Tag, class Pred>
std::size_t erase_if(MemVec<T, B, Tag>& v, Pred pred) {
  // remove_if through data(): on a read-only vector that throws read_only
  // before an element moves.
  T* first = v.data();
  T* kept = std::remove_if(first, first + v.size(), pred);
  const auto removed = static_cast<std::size_t>(first + v.size() - kept);
  v.erase(kept, v.cend());
  return removed;
}

template <class T, Backend B, std::uint64_t Tag, class U>
std::size_t erase(MemVec<T, B, Tag>& v, const U& value) {
  return erase_if(v, [&value](const T& x) { return x == value; });
}

}  // namespace memvec
