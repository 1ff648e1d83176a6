// MappedFileBackend: boost::iostreams::mapped_file for the mapping; the file's
// POSIX calls (open, lock, preallocate, fdatasync) are shared with FileBackend.
#include "memvec/mapped_file_backend.hpp"

#include <boost/iostreams/device/mapped_file.hpp>
#include <exception>
#include <string>
#include <utility>

#include "memvec/error.hpp"
#include "posix_file.hpp"

namespace memvec {

struct MappedFileBackend::Mapping {
  boost::iostreams::mapped_file file;
};

namespace {

[[noreturn]] void rethrow_boost(const char* what, const std::filesystem::path& path,
                                const std::exception& e) {
  throw Error(errc::io_error,
              std::string("MappedFileBackend: ") + what + " '" + path.string() + "': " + e.what());
}

constexpr const char* kWho = "MappedFileBackend";

}  // namespace

MappedFileBackend::MappedFileBackend() noexcept = default;
MappedFileBackend::~MappedFileBackend() { release(); }

MappedFileBackend::MappedFileBackend(MappedFileBackend&& other) noexcept
    : mapping_(std::move(other.mapping_)),
      fd_(std::exchange(other.fd_, -1)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      writable_(other.writable_),
      path_(std::move(other.path_)) {}

MappedFileBackend& MappedFileBackend::operator=(MappedFileBackend&& other) noexcept {
  if (this != &other) {
    release();
    mapping_ = std::move(other.mapping_);
    fd_ = std::exchange(other.fd_, -1);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    writable_ = other.writable_;
    path_ = std::move(other.path_);
  }
  return *this;
}

MappedFileBackend MappedFileBackend::open(const std::filesystem::path& path,
                                          FileOptions options) {
  // We create and size the file ourselves: boost's new_file_size would
  // truncate an existing file and create a new one with mode 0700.
  const detail::OpenedFile f = detail::open_locked(kWho, path, options);
  MappedFileBackend backend;
  backend.fd_ = f.fd;
  backend.size_ = f.size;
  backend.writable_ = options.mode != OpenMode::read_only;
  backend.path_ = path;
  backend.mapping_ = std::make_unique<Mapping>();
  backend.map();
  return backend;
}

void MappedFileBackend::map() {
  data_ = nullptr;
  if (size_ == 0) return;  // boost cannot map an empty file
  boost::iostreams::mapped_file_params params(path_.string());
  params.flags = writable_ ? boost::iostreams::mapped_file::readwrite
                           : boost::iostreams::mapped_file::readonly;
  try {
    mapping_->file.open(params);
  } catch (const std::exception& e) {
    rethrow_boost("map", path_, e);
  }
  // data() is null in readonly mode; const_data() is the same address.
  data_ = reinterpret_cast<std::byte*>(const_cast<char*>(mapping_->file.const_data()));
}

void MappedFileBackend::resize(std::size_t bytes) {
  if (fd_ < 0) throw Error(errc::invalid_argument, "MappedFileBackend: resize of a closed or moved-from backend");
  if (!writable_)
    throw Error(errc::read_only, "MappedFileBackend: resize of '" + path_.string() + "', opened read-only");
  if (bytes == size_) return;
  const std::size_t old_size = size_;
  if (bytes > old_size) detail::preallocate(kWho, fd_, path_, old_size, bytes);
  try {
    if (mapping_->file.is_open() && bytes > 0) {
      // munmap + ftruncate + mmap inside boost: the address moves, so data_
      // is read again below. A failed resize leaves boost's mapping closed.
      mapping_->file.resize(static_cast<boost::iostreams::stream_offset>(bytes));
      size_ = bytes;
      data_ = reinterpret_cast<std::byte*>(mapping_->file.data());
      return;
    }
    if (mapping_->file.is_open()) mapping_->file.close();
    if (bytes < old_size) detail::truncate(kWho, fd_, path_, bytes);
    size_ = bytes;
    map();
  } catch (const std::exception& e) {
    // Put the file and the mapping back as they were, then report.
    if (mapping_->file.is_open()) mapping_->file.close();
    try {
      detail::truncate(kWho, fd_, path_, old_size);
      size_ = old_size;
      map();
    } catch (...) {
      size_ = 0;
      data_ = nullptr;
    }
    if (const auto* err = dynamic_cast<const Error*>(&e)) throw *err;
    rethrow_boost("resize", path_, e);
  }
}

void MappedFileBackend::sync(std::size_t offset, std::size_t bytes) {
  if (!writable_ || bytes == 0 || offset >= size_) return;
  detail::sync_range(kWho, fd_, path_, data_, offset, std::min(bytes, size_ - offset),
                     size_ != synced_size_);
  synced_size_ = size_;
}

void MappedFileBackend::release() noexcept {
  if (mapping_ && mapping_->file.is_open()) {
    try {
      mapping_->file.close();
    } catch (...) {  // munmap does not fail on a valid mapping; nothing to report
    }
  }
  if (fd_ >= 0) detail::close_fd_quietly(fd_);
  fd_ = -1;
  data_ = nullptr;
  size_ = 0;
}

void MappedFileBackend::close() {
  if (mapping_ && mapping_->file.is_open()) {
    try {
      mapping_->file.close();
    } catch (const std::exception& e) {
      rethrow_boost("unmap", path_, e);
    }
  }
  data_ = nullptr;
  size_ = 0;
  const int fd = std::exchange(fd_, -1);
  if (fd >= 0) detail::close_fd(kWho, fd, path_);
}

}  // namespace memvec
