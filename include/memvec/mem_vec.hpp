// MemVec<T, B>: a std::vector-like container whose elements live in a Backend.
//
// Layout: a 256-byte self-describing header (header.hpp, docs/FORMAT.md), then
// the elements, aligned for T. The persisted length is the commit point:
// elements are written first, then the length word (one 8-byte store). After
// a process crash, a reopened vector holds exactly the elements of every
// append that returned (push_back, emplace_back, append, insert/resize at the
// end). Operations that overwrite or shift existing elements in place
// (assign, insert/erase in the middle, operator[] writes) are not atomic under
// a crash: they rewrite elements, then publish the length. With
// Durability::power_loss each commit syncs the changed elements, then stores
// the length, then syncs the header.
//
// Address rule: only growth past capacity() (push_back, emplace_back, insert,
// append, resize, reserve, assign) and shrink_to_fit() may move data(); then
// every pointer, reference, iterator and span is invalidated, as with
// std::vector. Nothing else moves data(); erase/pop_back/clear invalidate only
// what they remove or shift.
//
// Read-only: a vector over a read-only backend (a file opened
// OpenMode::read_only) is read through const access only: std::as_const(v),
// a const reference, cbegin()/cend(). Every mutation and every non-const
// accessor (data(), operator[], at, front, back, begin/end, rbegin/rend,
// span(), the std::span<T> conversion) throws errc::read_only before
// touching memory, so nothing (std::ranges::sort(v) included) can write a
// byte of the file or fault on its read-only mapping. That includes a
// std::span<const T> built from a non-const v (span's range constructor
// calls data()): pass std::as_const(v).
//
// Errors: memvec::Error, whose message names the file when the backend has a
// path() (file backends do), except at() past the end (std::out_of_range) and
// reserve() past max_size() (std::length_error), as std::vector throws them.
// open() validates the header and throws the matching errc without writing a
// byte. A failed growth (errc::capacity_exceeded, errc::io_error such as
// ENOSPC) leaves the vector and its contents as they were, still usable. A
// closed or moved-from vector refuses mutations with errc::invalid_argument.
// Thread-safety: like std::vector (concurrent const use is safe; anything
// else needs external locking).
//
// Beyond std::vector's members: ==, <=>, swap, erase/erase_if (found by ADL,
// as std::erase is for std::vector) in mem_vec_ops.hpp. A default-constructed
// vector formats a default-constructed backend (one page for AnonBackend).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <new>
#include <ranges>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "memvec/anon_backend.hpp"
#include "memvec/backend.hpp"
#include "memvec/error.hpp"
#include "memvec/header.hpp"
#include "memvec/type_tag.hpp"

namespace memvec {

struct VecOptions {
  Durability durability = Durability::process_crash;
  // Written into the header's user area when formatting (at most
  // kUserAreaSize bytes); ignored when opening an existing vector.
  std::span<const std::byte> user_area = {};
  // open(): a backend that lost committed elements off its end (a power cut
  // under process_crash can persist a grown length but not the file's new
  // size) opens with the elements it holds instead of throwing
  // errc::truncated; missing_on_open() tells how many were lost. For
  // clients that verify their own contents (the KV journal does).
  bool keep_truncated = false;
};

template <class T, Backend B = AnonBackend, std::uint64_t Tag = TypeTag<T>::value>
class MemVec {
  static_assert(std::is_trivially_copyable_v<T>,
                "MemVec<T>: T must be trivially copyable (its bytes are its value on disk)");
  static_assert(!std::is_const_v<T> && !std::is_volatile_v<T>, "MemVec<T>: T must be unqualified");

 public:
  using value_type = T;
  using backend_type = B;
  using size_type = std::size_t;
  using difference_type = std::ptrdiff_t;
  using reference = T&;
  using const_reference = const T&;
  using pointer = T*;
  using const_pointer = const T*;
  using iterator = T*;
  using const_iterator = const T*;
  using reverse_iterator = std::reverse_iterator<iterator>;
  using const_reverse_iterator = std::reverse_iterator<const_iterator>;

  static constexpr HeaderSpec kSpec{sizeof(T), alignof(T), Tag,
                                    (kHeaderSize + alignof(T) - 1) / alignof(T) * alignof(T)};

  // Formats the backend (whatever it held) as an empty vector.
  static MemVec create(B backend, VecOptions options = {}) {
    return create_or_return(backend, options);
  }
  // create(), except that a failure hands the backend back in `backend` (its
  // bytes possibly changed): a store rewriting its standby keeps the file.
  static MemVec create_or_return(B& backend, VecOptions options = {});

  // Validates the header (see header.hpp); throws the matching errc and
  // leaves every byte as it was.
  static MemVec open(B backend, VecOptions options = {});

  // What open() checks, without taking the backend: throws the same errc.
  static HeaderState validate(const B& backend, bool keep_truncated = false) {
    const HeaderState st = detail::validate_header({backend.data(), backend.size()}, kSpec,
                                                   keep_truncated, detail::backend_path(backend));
    check_alignment(backend.data());
    return st;
  }

  // Opens a formatted backend; formats only a blank one (empty or a zeroed
  // header region). Anything else that fails validation throws.
  static MemVec open_or_create(B backend, VecOptions options = {}) {
    if (detail::is_blank({std::as_const(backend).data(), backend.size()}))
      return create(std::move(backend), options);
    return open(std::move(backend), options);
  }

  // An empty vector on a default-constructed backend, formatted at once.
  MemVec()
    requires std::default_initializable<B>
      : MemVec(create(B{})) {}

  MemVec(MemVec&& other) noexcept
      : backend_(std::move(other.backend_)),
        data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)),
        durability_(other.durability_),
        writable_(std::exchange(other.writable_, false)),
        closed_(std::exchange(other.closed_, true)),
        missing_on_open_(other.missing_on_open_) {}
  MemVec& operator=(MemVec&& other) noexcept;
  MemVec(const MemVec&) = delete;
  MemVec& operator=(const MemVec&) = delete;
  ~MemVec() = default;

  // --- element access ---------------------------------------------------
  // The non-const accessors throw errc::read_only on a read-only vector
  // (see the contract above); the const ones never check.
  T* data() { return mutable_data("data()"); }
  const T* data() const noexcept { return data_; }
  T& operator[](size_type i) { return mutable_data("operator[]")[i]; }
  const T& operator[](size_type i) const noexcept { return data_[i]; }
  T& at(size_type i) { return mutable_data("at()")[checked(i)]; }
  const T& at(size_type i) const { return data_[checked(i)]; }
  T& front() { return mutable_data("front()")[0]; }
  const T& front() const noexcept { return data_[0]; }
  T& back() { return mutable_data("back()")[size_ - 1]; }
  const T& back() const noexcept { return data_[size_ - 1]; }

  iterator begin() { return mutable_data("begin()"); }
  iterator end() { return mutable_data("end()") + size_; }
  const_iterator begin() const noexcept { return data_; }
  const_iterator end() const noexcept { return data_ + size_; }
  const_iterator cbegin() const noexcept { return data_; }
  const_iterator cend() const noexcept { return data_ + size_; }
  reverse_iterator rbegin() { return reverse_iterator(end()); }
  reverse_iterator rend() { return reverse_iterator(begin()); }
  const_reverse_iterator rbegin() const noexcept { return const_reverse_iterator(end()); }
  const_reverse_iterator rend() const noexcept { return const_reverse_iterator(begin()); }
  const_reverse_iterator crbegin() const noexcept { return rbegin(); }
  const_reverse_iterator crend() const noexcept { return rend(); }

  operator std::span<T>() { return {mutable_data("std::span<T> conversion"), size_}; }
  operator std::span<const T>() const noexcept { return {data_, size_}; }
  std::span<T> span() { return {mutable_data("span()"), size_}; }
  std::span<const T> span() const noexcept { return {data_, size_}; }

  // --- capacity ----------------------------------------------------------
  size_type size() const noexcept { return size_; }
  size_type capacity() const noexcept { return capacity_; }
  bool empty() const noexcept { return size_ == 0; }
  static constexpr size_type max_size() noexcept {
    return std::min<std::uint64_t>(kMaxWordValue, (SIZE_MAX - kSpec.data_offset) / sizeof(T));
  }

  void reserve(size_type n);  // past max_size(): std::length_error, as std::vector

  // Releases whole pages past size(); may move data().
  void shrink_to_fit();

  // --- modifiers ---------------------------------------------------------
  void push_back(const T& value);
  template <class... Args>
  T& emplace_back(Args&&... args);

  void pop_back() {
    require_writable("pop_back");
    if (size_ == 0) throw Error(errc::out_of_range, "MemVec::pop_back on an empty vector");
    commit(size_ - 1, size_ - 1);
  }

  void append(std::span<const T> items) { insert(cend(), items.begin(), items.end()); }
  void append(std::initializer_list<T> items) { insert(cend(), items.begin(), items.end()); }
  template <std::ranges::input_range R>
    requires std::convertible_to<std::ranges::range_reference_t<R>, T>
  void append_range(R&& items) {
    insert(cend(), std::ranges::begin(items), std::ranges::end(items));
  }

  iterator insert(const_iterator pos, const T& value) { return insert(pos, size_type{1}, value); }
  iterator insert(const_iterator pos, size_type count, const T& value);
  template <std::input_iterator It, std::sentinel_for<It> S>
  iterator insert(const_iterator pos, It first, S last);
  iterator insert(const_iterator pos, std::initializer_list<T> items) {
    return insert(pos, items.begin(), items.end());
  }
  template <std::ranges::input_range R>
    requires std::convertible_to<std::ranges::range_reference_t<R>, T>
  iterator insert_range(const_iterator pos, R&& items) {
    return insert(pos, std::ranges::begin(items), std::ranges::end(items));
  }

  iterator erase(const_iterator pos) { return erase(pos, pos + 1); }
  iterator erase(const_iterator first, const_iterator last);

  void resize(size_type n) { resize(n, T{}); }
  void resize(size_type n, const T& value);

  void clear() {
    require_writable("clear");
    commit(0, 0);
  }

  void assign(size_type count, const T& value);
  template <std::input_iterator It>
  void assign(It first, It last);
  void assign(std::initializer_list<T> items) { assign(items.begin(), items.end()); }

  // Exchanges everything, backends included; no element moves.
  void swap(MemVec& other) noexcept {
    std::swap(*this, other);  // the move constructor and assignment, all noexcept
  }

  // --- persistence -------------------------------------------------------
  // Makes the header and every element durable (backend sync).
  void sync() { backend_.sync(0, kSpec.data_offset + size_ * sizeof(T)); }
  // Makes elements [first, first + count) durable, past size() too (up to
  // capacity()): for a client layer that rewrote room it has not committed.
  void sync(size_type first, size_type count) {
    if (first >= capacity_ || count == 0) return;
    count = std::min(count, capacity_ - first);
    backend_.sync(kSpec.data_offset + first * sizeof(T), count * sizeof(T));
  }
  // The header and elements [0, n) in one backend sync: one flush where a
  // client that checksums its elements needs no ordering between the two.
  void sync_through(size_type n) {
    backend_.sync(0, kSpec.data_offset + std::min(n, capacity_) * sizeof(T));
  }
  Durability durability() const noexcept { return durability_; }
  void set_durability(Durability d) noexcept { durability_ = d; }
  // Committed elements the backend had lost when opened (keep_truncated).
  size_type missing_on_open() const noexcept { return missing_on_open_; }
  // The header's user area: the bytes given to create(), zero-padded. Not
  // on a closed or moved-from vector.
  std::span<const std::byte, kUserAreaSize> user_area() const noexcept {
    return std::span<const std::byte, kUserAreaSize>(
        std::as_const(backend_).data() + header_offset::kUserArea, kUserAreaSize);
  }
  // A 48-bit word for client layers, beside the length in the header and
  // stored the same way: one 8-byte store with its own check, so a crash sees
  // the old or the new value. The journal keeps its epoch here.
  std::uint64_t user_word() const noexcept {
    if (std::as_const(backend_).data() == nullptr) return 0;  // closed or moved-from
    return detail::decode_word(
               detail::load_word_raw(std::as_const(backend_).data(), header_offset::kUserWord))
        .value_or(0);
  }
  void set_user_word(std::uint64_t value) {
    require_writable("set_user_word");
    if (value > kMaxWordValue)
      throw Error(errc::invalid_argument, "MemVec::set_user_word: value exceeds 48 bits");
    detail::store_word(backend_.data(), header_offset::kUserWord, value);
    if (durability_ == Durability::power_loss) backend_.sync(0, kHeaderSize);
  }
  const B& backend() const noexcept { return backend_; }
  // Moves the backend out, leaving this vector empty and unusable (the
  // double-buffered store recycles a journal's backend this way).
  B release_backend() && {
    data_ = nullptr;
    size_ = capacity_ = 0;
    writable_ = false;
    closed_ = true;
    return std::move(backend_);
  }
  // Closes a backend that can report close errors (file backends).
  void close()
    requires requires(B& b) { b.close(); }
  {
    data_ = nullptr;
    size_ = capacity_ = 0;
    writable_ = false;
    closed_ = true;
    backend_.close();
  }

 private:
  MemVec(B backend, Durability durability)
      : backend_(std::move(backend)), durability_(durability), writable_(backend_.writable()) {}

  // Elements the backend has room for, as it is now.
  std::uint64_t room() const {
    const size_type bytes = backend_.size();
    if (bytes < kSpec.data_offset) return 0;
    return std::min<std::uint64_t>((bytes - kSpec.data_offset) / sizeof(T), kMaxWordValue);
  }

  // The header's words are single 8-byte stores only at 8-aligned
  // addresses; the elements need alignof(T).
  static void check_alignment(const std::byte* base);

  void attach(size_type length, size_type capacity) {
    size_ = length;
    capacity_ = capacity;
    refresh();
  }
  void refresh() noexcept { data_ = reinterpret_cast<T*>(backend_.data() + kSpec.data_offset); }

  void require_writable(const char* what) const {
    if (!writable_) [[unlikely]]
      refuse(what);
  }
  // data_ for a non-const accessor. A closed or moved-from vector (data_
  // null, size 0) hands out its empty range, as std::vector would.
  T* mutable_data(const char* what) const {
    if (!writable_ && data_ != nullptr) [[unlikely]]
      refuse(what);
    return data_;
  }
  // Throws the true reason a mutation cannot proceed.
  [[noreturn]] void refuse(const char* what) const;
  std::string where() const { return detail::backend_where(backend_); }

  size_type checked(size_type i) const;  // at(): std::out_of_range, as std::vector

  size_type index_of(const_iterator pos) const {
    const auto i = pos - data_;
    if (i < 0 || static_cast<size_type>(i) > size_)
      throw Error(errc::out_of_range, "MemVec: iterator outside [begin, end]");
    return static_cast<size_type>(i);
  }

  // True when [first, last) reads our own storage, which open_gap may move
  // and shift: judged by the address of the first element, so any iterator
  // over lvalues counts (pointers, spans, reverse_iterator, ...).
  template <class It, class S>
  bool aliases_storage(It first, S last) const;

  // Makes room for `count` elements at `at`: may grow (and move data()),
  // then shifts the tail up. The length is not published here.
  void open_gap(size_type at, size_type count);

  // Resizes the backend to at least `bytes`, rounded up to whole pages; a
  // capped backend that refuses the rounding is asked for `bytes` exactly.
  void resize_backend(size_type bytes);

  // Amortized doubling, in whole pages. A backend that cannot reach the
  // doubled size (a fixed buffer, a capped backend) gets asked for just
  // `need`, so a vector can fill every byte its backend can hold.
  void grow_for(size_type need);

  void grow_exact(size_type cap);

  // The commit: elements [first, n) are in place; publish length n.
  void commit(size_type first, size_type n);

  B backend_;
  T* data_ = nullptr;
  size_type size_ = 0;
  size_type capacity_ = 0;
  Durability durability_ = Durability::process_crash;
  bool writable_ = false;
  bool closed_ = false;  // moved from, released or closed: nothing to use
  size_type missing_on_open_ = 0;
};

}  // namespace memvec

#include "memvec/mem_vec_impl.hpp"
#include "memvec/mem_vec_ops.hpp"
