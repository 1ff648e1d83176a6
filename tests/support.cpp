#include "support.hpp"

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <random>

#include "memvec/crc32c.hpp"
#include "memvec/header.hpp"

namespace test {

TempDir::TempDir() {
  static std::atomic<unsigned> counter{0};
  std::random_device rd;
  const auto base = std::filesystem::temp_directory_path();
  for (;;) {
    path_ = base / ("memvec-test-" + std::to_string(::getpid()) + "-" +
                    std::to_string(counter++) + "-" + std::to_string(rd() % 1000000));
    if (std::filesystem::create_directory(path_)) break;
  }
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::vector<std::byte> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(chars.size());
  if (!chars.empty()) std::memcpy(out.data(), chars.data(), chars.size());
  return out;
}

void write_file(const std::filesystem::path& p, const std::vector<std::byte>& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::uint64_t digest(const std::filesystem::path& p) {
  const auto bytes = read_file(p);
  std::uint64_t h = 1469598103934665603ull ^ bytes.size();  // FNV-1a
  for (std::byte b : bytes) h = (h ^ static_cast<std::uint8_t>(b)) * 1099511628211ull;
  return h;
}

void flip_byte(const std::filesystem::path& p, std::size_t offset, std::uint8_t mask) {
  std::fstream f(p, std::ios::binary | std::ios::in | std::ios::out);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ static_cast<char>(mask));
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

void reseal_header(std::vector<std::byte>& bytes) {
  std::uint32_t crc = memvec::crc32c(bytes.data(), memvec::header_offset::kHeaderCrc);
  crc = memvec::crc32c(bytes.data() + memvec::header_offset::kUserArea, memvec::kUserAreaSize, crc);
  std::memcpy(bytes.data() + memvec::header_offset::kHeaderCrc, &crc, sizeof crc);
}

void truncate_to(const std::filesystem::path& p, std::size_t size) {
  std::filesystem::resize_file(p, size);
}

HeapBackend::HeapBackend(std::size_t bytes, std::size_t limit) : limit_(limit) { resize(bytes); }

void HeapBackend::resize(std::size_t bytes) {
  if (bytes > limit_)
    throw memvec::Error(memvec::errc::capacity_exceeded, "HeapBackend: over its limit");
  std::byte* fresh = nullptr;
  if (bytes > 0) {
    fresh = static_cast<std::byte*>(::operator new(bytes, std::align_val_t{4096}));
    std::memset(fresh, 0, bytes);
    if (data_ != nullptr) std::memcpy(fresh, data_, std::min(bytes, size_));
  }
  free_();
  data_ = fresh;
  size_ = bytes;
}

void HeapBackend::free_() noexcept {
  if (data_ != nullptr) ::operator delete(data_, std::align_val_t{4096});
  data_ = nullptr;
  size_ = 0;
}

}  // namespace test
