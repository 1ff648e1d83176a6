// MemVec's longer members, defined out of class; included by mem_vec.hpp
// (its contract is there).
#pragma once

namespace memvec {

template <class T, Backend B, std::uint64_t Tag>
MemVec<T, B, Tag>& MemVec<T, B, Tag>::operator=(MemVec&& other) noexcept {
  if (this == &other) return *this;
  backend_ = std::move(other.backend_);
  data_ = std::exchange(other.data_, nullptr);
  size_ = std::exchange(other.size_, 0);
  capacity_ = std::exchange(other.capacity_, 0);
  durability_ = other.durability_;
  writable_ = std::exchange(other.writable_, false);
  closed_ = std::exchange(other.closed_, true);
  missing_on_open_ = other.missing_on_open_;
  return *this;
}

template <class T, Backend B, std::uint64_t Tag>
void MemVec<T, B, Tag>::reserve(size_type n) {
  require_writable("reserve");
  if (n > max_size())
    throw std::length_error("MemVec::reserve(" + std::to_string(n) + ") exceeds max_size() " +
                            std::to_string(max_size()));
  if (n > capacity_) grow_exact(n);
}

template <class T, Backend B, std::uint64_t Tag>
typename MemVec<T, B, Tag>::size_type MemVec<T, B, Tag>::checked(size_type i) const {
  if (i >= size_)
    throw std::out_of_range("MemVec::at(" + std::to_string(i) + ") with size " +
                            std::to_string(size_) + where());
  return i;
}

template <class T, Backend B, std::uint64_t Tag>
MemVec<T, B, Tag> MemVec<T, B, Tag>::open(B backend, VecOptions options) {
  MemVec v(std::move(backend), options.durability);
  const HeaderState st = detail::validate_header(
      std::span<const std::byte>(std::as_const(v.backend_).data(), v.backend_.size()), kSpec,
      options.keep_truncated, detail::backend_path(v.backend_));
  check_alignment(std::as_const(v.backend_).data());
  v.attach(st.length, st.capacity);
  v.missing_on_open_ = st.missing;
  return v;
}

template <class T, Backend B, std::uint64_t Tag>
void MemVec<T, B, Tag>::push_back(const T& value) {
  require_writable("push_back");
  if (size_ == capacity_) [[unlikely]] {
    const T copy = value;  // `value` may live in the storage that moves
    grow_for(size_ + 1);
    std::memcpy(static_cast<void*>(data_ + size_), &copy, sizeof(T));
  } else {
    std::memcpy(static_cast<void*>(data_ + size_), std::addressof(value), sizeof(T));
  }
  commit(size_, size_ + 1);
}

template <class T, Backend B, std::uint64_t Tag>
template <class... Args>
T& MemVec<T, B, Tag>::emplace_back(Args&&... args) {
  require_writable("emplace_back");
  if (size_ == capacity_) [[unlikely]] {
    const T made(std::forward<Args>(args)...);
    grow_for(size_ + 1);
    std::memcpy(static_cast<void*>(data_ + size_), &made, sizeof(T));
  } else {
    ::new (static_cast<void*>(data_ + size_)) T(std::forward<Args>(args)...);
  }
  commit(size_, size_ + 1);
  return data_[size_ - 1];
}

template <class T, Backend B, std::uint64_t Tag>
void MemVec<T, B, Tag>::commit(size_type first, size_type n) {
  if (durability_ == Durability::power_loss) [[unlikely]] {
    if (n > first) backend_.sync(kSpec.data_offset + first * sizeof(T), (n - first) * sizeof(T));
    detail::store_word(backend_.data(), header_offset::kLengthWord, n);
    size_ = n;
    backend_.sync(0, kHeaderSize);
    return;
  }
  detail::store_word(backend_.data(), header_offset::kLengthWord, n);
  size_ = n;
}

template <class T, Backend B, std::uint64_t Tag>
void MemVec<T, B, Tag>::check_alignment(const std::byte* base) {
  const auto addr = reinterpret_cast<std::uintptr_t>(base);
  if (addr % 8 != 0 || (addr + kSpec.data_offset) % alignof(T) != 0)
    throw Error(errc::invalid_argument, "MemVec: backend memory at " + std::to_string(addr) +
                                            " is not aligned (8 for the header, " +
                                            std::to_string(alignof(T)) + " for T)");
}

template <class T, Backend B, std::uint64_t Tag>
MemVec<T, B, Tag> MemVec<T, B, Tag>::create_or_return(B& backend, VecOptions options) {
  MemVec v(std::move(backend), options.durability);
  try {
    v.require_writable("create");
    if (v.backend_.size() < kSpec.data_offset) v.resize_backend(kSpec.data_offset);
    check_alignment(std::as_const(v.backend_).data());
    const std::uint64_t cap = v.room();
    detail::format_header(v.backend_.data(), kSpec, cap, options.user_area);
    v.attach(0, cap);
    if (v.durability_ == Durability::power_loss) v.backend_.sync(0, kHeaderSize);
  } catch (...) {
    backend = std::move(v.backend_);
    throw;
  }
  return v;
}

template <class T, Backend B, std::uint64_t Tag>
void MemVec<T, B, Tag>::shrink_to_fit() {
  require_writable("shrink_to_fit");
  const size_type bytes = round_up_to_pages(kSpec.data_offset + size_ * sizeof(T));
  if (bytes >= backend_.size()) return;
  const size_type cap = (bytes - kSpec.data_offset) / sizeof(T);
  // Lower the capacity word before cutting the file: a crash in between
  // leaves a file longer than the header needs, never shorter.
  detail::store_word(backend_.data(), header_offset::kCapacityWord, cap);
  capacity_ = cap;
  if (durability_ == Durability::power_loss) backend_.sync(0, kHeaderSize);
  backend_.resize(bytes);
  refresh();
}

template <class T, Backend B, std::uint64_t Tag>
auto MemVec<T, B, Tag>::insert(const_iterator pos, size_type count, const T& value) -> iterator {
  require_writable("insert");
  const size_type at = index_of(pos);
  const T copy = value;
  open_gap(at, count);
  std::fill_n(data_ + at, count, copy);
  commit(at, size_ + count);
  return data_ + at;
}

template <class T, Backend B, std::uint64_t Tag>
void MemVec<T, B, Tag>::refuse(const char* what) const {
  const std::string op = std::string("MemVec: ") + what;
  if (closed_) throw Error(errc::invalid_argument, op + " on a closed or moved-from vector");
  if constexpr (requires { backend_.is_open(); })
    if (!backend_.is_open())
      throw Error(errc::invalid_argument, op + " on a closed or default-constructed backend");
  const std::string path = detail::backend_path(backend_);
  throw Error(errc::read_only,
              op + (path.empty() ? std::string(" on a read-only backend")
                                 : " on '" + path + "', opened read-only") +
                  (data_ != nullptr ? " (read it through std::as_const)" : ""));
}

template <class T, Backend B, std::uint64_t Tag>
template <std::input_iterator It, std::sentinel_for<It> S>
auto MemVec<T, B, Tag>::insert(const_iterator pos, It first, S last) -> iterator {
  require_writable("insert");
  const size_type at = index_of(pos);
  if constexpr (std::forward_iterator<It>) {
    if (!aliases_storage(first, last)) {
      const auto count = static_cast<size_type>(std::ranges::distance(first, last));
      open_gap(at, count);
      std::ranges::copy(std::move(first), std::move(last), data_ + at);
      commit(at, size_ + count);
      return data_ + at;
    }
  }
  // A single-pass range, or one inside our own storage (which open_gap
  // may move): stage it first.
  std::vector<T> staged;
  for (; first != last; ++first) staged.push_back(static_cast<T>(*first));
  return insert(data_ + at, staged.begin(), staged.end());
}

template <class T, Backend B, std::uint64_t Tag>
auto MemVec<T, B, Tag>::erase(const_iterator first, const_iterator last) -> iterator {
  require_writable("erase");
  const size_type at = index_of(first);
  const size_type count = static_cast<size_type>(last - first);
  if (count > size_ - at) throw Error(errc::out_of_range, "MemVec::erase: range past end()");
  std::memmove(static_cast<void*>(data_ + at), data_ + at + count,
               (size_ - at - count) * sizeof(T));
  commit(at, size_ - count);
  return data_ + at;
}

template <class T, Backend B, std::uint64_t Tag>
void MemVec<T, B, Tag>::resize(size_type n, const T& value) {
  require_writable("resize");
  if (n <= size_) return commit(n, n);
  const T copy = value;
  if (n > capacity_) grow_for(n);
  std::fill(data_ + size_, data_ + n, copy);
  commit(size_, n);
}

template <class T, Backend B, std::uint64_t Tag>
void MemVec<T, B, Tag>::assign(size_type count, const T& value) {
  require_writable("assign");
  const T copy = value;
  if (count > capacity_) grow_exact(count);
  std::fill_n(data_, count, copy);
  commit(0, count);
}

template <class T, Backend B, std::uint64_t Tag>
template <std::input_iterator It>
void MemVec<T, B, Tag>::assign(It first, It last) {
  require_writable("assign");
  const std::vector<T> staged(first, last);  // may alias our storage
  if (staged.size() > capacity_) grow_exact(staged.size());
  std::copy(staged.begin(), staged.end(), data_);
  commit(0, staged.size());
}

template <class T, Backend B, std::uint64_t Tag>
template <class It, class S>
bool MemVec<T, B, Tag>::aliases_storage(It first, S last) const {
  if (first == last) return false;
  std::uintptr_t p;
  if constexpr (std::contiguous_iterator<It>)
    p = reinterpret_cast<std::uintptr_t>(std::to_address(first));
  else if constexpr (std::is_lvalue_reference_v<std::iter_reference_t<It>>)
    p = reinterpret_cast<std::uintptr_t>(std::addressof(*first));
  else
    return false;
  const auto base = reinterpret_cast<std::uintptr_t>(std::as_const(backend_).data());
  return p >= base && p < base + backend_.size();
}

template <class T, Backend B, std::uint64_t Tag>
void MemVec<T, B, Tag>::open_gap(size_type at, size_type count) {
  if (count > max_size() - size_)
    throw Error(errc::capacity_exceeded, "MemVec" + where() + ": " + std::to_string(count) +
                                             " more elements exceed max_size()");
  if (size_ + count > capacity_) grow_for(size_ + count);
  std::memmove(static_cast<void*>(data_ + at + count), data_ + at, (size_ - at) * sizeof(T));
}

template <class T, Backend B, std::uint64_t Tag>
void MemVec<T, B, Tag>::resize_backend(size_type bytes) {
  const size_type rounded = round_up_to_pages(bytes);
  try {
    backend_.resize(rounded);
  } catch (const Error& e) {
    if (e.code() != errc::capacity_exceeded || rounded == bytes) throw;
    backend_.resize(bytes);
  }
}

template <class T, Backend B, std::uint64_t Tag>
void MemVec<T, B, Tag>::grow_for(size_type need) {
  if (capacity_ * 2 > need) {
    try {
      return grow_exact(capacity_ * 2);
    } catch (const Error& e) {
      if (e.code() != errc::capacity_exceeded) throw;
    }
  }
  grow_exact(need);
}

template <class T, Backend B, std::uint64_t Tag>
void MemVec<T, B, Tag>::grow_exact(size_type cap) {
  if (cap > max_size())
    throw Error(errc::capacity_exceeded,
                "MemVec" + where() + ": " + std::to_string(cap) + " elements exceed max_size()");
  resize_backend(kSpec.data_offset + cap * sizeof(T));  // throws with the vector unchanged
  refresh();
  capacity_ = room();
  // The file grew first (made durable first under power_loss: fdatasync
  // records the new size); only then may the header claim the room.
  if (durability_ == Durability::power_loss) backend_.sync(0, kHeaderSize);
  detail::store_word(backend_.data(), header_offset::kCapacityWord, capacity_);
}

}  // namespace memvec
