// AnonBackend: an anonymous private mapping (memory that is not a file).
//
// Growth and shrink use mremap: growing never copies bytes (the kernel moves
// page tables), shrinking returns memory to the system. resize() may move
// data(); nothing else does. sync() is a no-op. Errors: errc::io_error when
// the kernel refuses memory (ENOMEM). Thread-safety: none; move-only.
#pragma once

#include <cstddef>

#include "memvec/backend.hpp"

namespace memvec {

struct AnonOptions {
  bool populate = false;          // pre-fault pages (MAP_POPULATE)
  bool transparent_huge = false;  // madvise(MADV_HUGEPAGE)
};

class AnonBackend {
 public:
  AnonBackend() noexcept = default;
  explicit AnonBackend(std::size_t bytes, AnonOptions options = {});
  AnonBackend(AnonBackend&& other) noexcept;
  AnonBackend& operator=(AnonBackend&& other) noexcept;
  AnonBackend(const AnonBackend&) = delete;
  AnonBackend& operator=(const AnonBackend&) = delete;
  ~AnonBackend();

  std::byte* data() noexcept { return data_; }
  const std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  void resize(std::size_t bytes);
  void sync(std::size_t, std::size_t) noexcept {}
  bool writable() const noexcept { return true; }

 private:
  void release() noexcept;

  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t mapped_ = 0;  // size_ rounded up to whole pages
  AnonOptions options_;
};

}  // namespace memvec
