// Test fixtures shared by every test file: unique temp directories (ctest
// runs in parallel), file verbs (read_file, digest, flip_byte, truncate_to)
// and HeapBackend, a backend defined only here (a user-written backend).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "memvec/backend.hpp"
#include "memvec/error.hpp"

namespace test {

// A fresh directory under the system temp dir, removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

std::vector<std::byte> read_file(const std::filesystem::path& p);
void write_file(const std::filesystem::path& p, const std::vector<std::byte>& bytes);
// A 64-bit digest of a file's bytes (size included): "byte-identical" checks.
std::uint64_t digest(const std::filesystem::path& p);
void flip_byte(const std::filesystem::path& p, std::size_t offset, std::uint8_t mask = 0xFF);
void truncate_to(const std::filesystem::path& p, std::size_t size);
inline bool all_zero(const std::vector<std::byte>& bytes) {
  for (const std::byte b : bytes)
    if (b != std::byte{0}) return false;
  return true;
}
// Recomputes the MemVec header CRC after a test edited the user area.
void reseal_header(std::vector<std::byte>& bytes);

// A user-defined backend: page-aligned heap memory that grows by
// allocate-copy-free. Lives only in the tests, to prove the Backend concept
// is open to users. `limit` caps its size (capacity_exceeded past it).
class HeapBackend {
 public:
  HeapBackend() = default;
  explicit HeapBackend(std::size_t bytes, std::size_t limit = SIZE_MAX);
  HeapBackend(HeapBackend&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)),
        size_(std::exchange(o.size_, 0)),
        limit_(o.limit_) {}
  HeapBackend& operator=(HeapBackend&& o) noexcept {
    if (this != &o) {
      free_();
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
      limit_ = o.limit_;
    }
    return *this;
  }
  HeapBackend(const HeapBackend&) = delete;
  HeapBackend& operator=(const HeapBackend&) = delete;
  ~HeapBackend() { free_(); }

  std::byte* data() noexcept { return data_; }
  const std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  void resize(std::size_t bytes);
  void sync(std::size_t, std::size_t) noexcept {}
  bool writable() const noexcept { return true; }

 private:
  void free_() noexcept;
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t limit_ = SIZE_MAX;
};
static_assert(memvec::Backend<HeapBackend>);

}  // namespace test
