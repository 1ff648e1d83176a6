// SpanBackend: a caller-owned, fixed-size byte buffer (no growth).
//
// The caller keeps the buffer alive and unmoved for the backend's lifetime.
// resize(n) within the buffer only changes size(); past it, it throws
// errc::capacity_exceeded and leaves every byte as it was. data() never
// moves. sync() is a no-op. Thread-safety: none; cheap to move.
#pragma once

#include <cstddef>
#include <span>

#include "memvec/backend.hpp"
#include "memvec/error.hpp"

namespace memvec {

class SpanBackend {
 public:
  explicit SpanBackend(std::span<std::byte> buffer) noexcept
      : buffer_(buffer), size_(buffer.size()) {}
  SpanBackend(SpanBackend&& other) noexcept
      : buffer_(other.buffer_), size_(other.size_) {
    other.buffer_ = {};
    other.size_ = 0;
  }
  SpanBackend& operator=(SpanBackend&& other) noexcept {
    buffer_ = other.buffer_;
    size_ = other.size_;
    other.buffer_ = {};
    other.size_ = 0;
    return *this;
  }

  std::byte* data() noexcept { return buffer_.data(); }
  const std::byte* data() const noexcept { return buffer_.data(); }
  std::size_t size() const noexcept { return size_; }
  std::size_t max_size() const noexcept { return buffer_.size(); }
  void resize(std::size_t bytes) {
    if (bytes > buffer_.size())
      throw Error(errc::capacity_exceeded,
                  "SpanBackend: " + std::to_string(bytes) + " bytes requested, buffer holds " +
                      std::to_string(buffer_.size()));
    size_ = bytes;
  }
  void sync(std::size_t, std::size_t) noexcept {}
  bool writable() const noexcept { return true; }

 private:
  std::span<std::byte> buffer_;
  std::size_t size_;
};

}  // namespace memvec
