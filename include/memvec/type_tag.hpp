// memvec::TypeTag<T>: the optional 64-bit tag MemVec writes into its header,
// so that MemVec<A> and MemVec<B> of equal size and alignment are told apart
// on reopen (errc::type_mismatch). Compile-time only; no state, no errors.
#pragma once

#include <concepts>
#include <cstdint>

namespace memvec {

// Optional type tag: tells apart MemVec<A> and MemVec<B> of equal size and
// alignment. Give T a `static constexpr std::uint64_t memvec_type_tag`, or
// specialize TypeTag<T>, or pass the tag as MemVec's third parameter.
template <class T>
struct TypeTag {
  static constexpr std::uint64_t value = 0;
};
template <class T>
  requires requires { { T::memvec_type_tag } -> std::convertible_to<std::uint64_t>; }
struct TypeTag<T> {
  static constexpr std::uint64_t value = T::memvec_type_tag;
};

}  // namespace memvec
