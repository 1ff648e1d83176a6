// Every syscall of AnonBackend lives here.
#include "memvec/anon_backend.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "memvec/error.hpp"

namespace memvec {
namespace {

[[noreturn]] void throw_errno(const char* call, std::size_t bytes) {
  const int err = errno;
  throw Error(errc::io_error,
              std::string("AnonBackend: ") + call + " of " + std::to_string(bytes) +
                  " bytes failed: " + std::strerror(err),
              err);
}

}  // namespace

std::size_t page_size() noexcept {
  static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

AnonBackend::AnonBackend(std::size_t bytes, AnonOptions options) : options_(options) {
  resize(bytes);
}

AnonBackend::AnonBackend(AnonBackend&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, 0)),
      options_(other.options_) {}

AnonBackend& AnonBackend::operator=(AnonBackend&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, 0);
    options_ = other.options_;
  }
  return *this;
}

AnonBackend::~AnonBackend() { release(); }

void AnonBackend::release() noexcept {
  if (data_ != nullptr) ::munmap(data_, mapped_);
  data_ = nullptr;
  size_ = mapped_ = 0;
}

void AnonBackend::resize(std::size_t bytes) {
  const std::size_t want = round_up_to_pages(bytes);
  if (want == mapped_) {
    size_ = bytes;
    return;
  }
  if (want == 0) {
    release();
    return;
  }
  void* p;
  if (data_ == nullptr) {
    const int flags = MAP_PRIVATE | MAP_ANONYMOUS | (options_.populate ? MAP_POPULATE : 0);
    p = ::mmap(nullptr, want, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (p == MAP_FAILED) throw_errno("mmap", want);
  } else {
    // mremap moves page tables, not bytes: growth costs no copy, and a
    // shrink hands the tail pages back to the kernel.
    p = ::mremap(data_, mapped_, want, MREMAP_MAYMOVE);
    if (p == MAP_FAILED) throw_errno("mremap", want);
  }
  if (options_.transparent_huge) ::madvise(p, want, MADV_HUGEPAGE);  // advice only
  data_ = static_cast<std::byte*>(p);
  size_ = bytes;
  mapped_ = want;
}

}  // namespace memvec
