// Every syscall of FileBackend lives here.
#include "memvec/file_backend.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "memvec/error.hpp"
#include "posix_file.hpp"

namespace memvec {
namespace {

[[noreturn]] void fail(const char* call, const std::filesystem::path& path, int err,
                       errc code = errc::io_error) {
  throw Error(code,
              std::string("FileBackend: ") + call + " '" + path.string() + "': " +
                  std::strerror(err),
              err);
}

// Opens (or creates) the file; reports whether this call created it, so only
// a file we made gets initial_size (opening never resizes an existing file).
int open_fd(const std::filesystem::path& path, OpenMode mode, bool& created) {
  created = false;
  const char* p = path.c_str();
  switch (mode) {
    case OpenMode::read_only: return ::open(p, O_RDONLY | O_CLOEXEC);
    case OpenMode::open_existing: return ::open(p, O_RDWR | O_CLOEXEC);
    case OpenMode::create_new: {
      const int fd = ::open(p, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      created = fd >= 0;
      return fd;
    }
    case OpenMode::open_or_create:
      for (;;) {
        int fd = ::open(p, O_RDWR | O_CLOEXEC);
        if (fd >= 0 || errno != ENOENT) return fd;
        fd = ::open(p, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0 || errno != EEXIST) {
          created = fd >= 0;
          return fd;
        }
        // Another process created it between our two opens: open theirs.
      }
  }
  errno = EINVAL;
  return -1;
}

}  // namespace

namespace detail {

OpenedFile open_locked(const std::filesystem::path& path, const FileOptions& options) {
  const bool writable = options.mode != OpenMode::read_only;
  bool created = false;
  const int fd = open_fd(path, options.mode, created);
  if (fd < 0) fail("open", path, errno);
  try {
    if (::flock(fd, (writable ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
      const int err = errno;
      fail(writable ? "lock (another process or handle has it open)" : "lock (a writer has it open)",
           path, err, err == EWOULDBLOCK ? errc::locked : errc::io_error);
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) fail("fstat", path, errno);
    // A read-only open() of a directory succeeds, and mmap would then fail
    // with an obscure ENODEV: say what is wrong instead.
    if (!S_ISREG(st.st_mode))
      fail("open (not a regular file)", path, S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
    std::size_t size = static_cast<std::size_t>(st.st_size);
    if (created && options.initial_size > 0) {
      if (const int err = ::posix_fallocate(fd, 0, static_cast<off_t>(options.initial_size))) {
        ::unlink(path.c_str());  // we made it: leave nothing half-created behind
        fail("posix_fallocate", path, err);
      }
      size = options.initial_size;
    }
    return {fd, size};
  } catch (...) {
    ::close(fd);
    throw;
  }
}

void preallocate(int fd, const std::filesystem::path& path, std::size_t old_size,
                 std::size_t new_size) {
  // Allocate blocks before anyone maps them: a full disk fails here, as an
  // error, instead of as SIGBUS at the first store into a sparse hole.
  if (const int err = ::posix_fallocate(fd, static_cast<off_t>(old_size),
                                        static_cast<off_t>(new_size - old_size))) {
    (void)::ftruncate(fd, static_cast<off_t>(old_size));  // undo any partial extension
    fail("posix_fallocate", path, err);
  }
}

void truncate(int fd, const std::filesystem::path& path, std::size_t size) {
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) fail("ftruncate", path, errno);
}

void sync_range(int fd, const std::filesystem::path& path, std::byte* base, std::size_t offset,
                std::size_t len, bool size_changed) {
  const std::size_t start = offset / page_size() * page_size();
  if (base != nullptr && len > 0 &&
      ::msync(base + start, offset + len - start, MS_SYNC) != 0)
    fail("msync", path, errno);
  if (size_changed && ::fdatasync(fd) != 0) fail("fdatasync", path, errno);
}

void close_fd(int fd, const std::filesystem::path& path) {
  if (::close(fd) != 0) fail("close", path, errno);
}

void close_fd_quietly(int fd) noexcept { ::close(fd); }

}  // namespace detail

FileBackend FileBackend::open(const std::filesystem::path& path, FileOptions options) {
  const detail::OpenedFile f = detail::open_locked(path, options);
  FileBackend backend(f.fd, path, options.mode != OpenMode::read_only);  // owns fd now
  backend.map(f.size);
  return backend;
}

FileBackend::FileBackend(int fd, std::filesystem::path path, bool writable)
    : fd_(fd), writable_(writable), path_(std::move(path)) {}

FileBackend::FileBackend(FileBackend&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, 0)),
      writable_(other.writable_),
      path_(std::move(other.path_)) {}

FileBackend& FileBackend::operator=(FileBackend&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, 0);
    writable_ = other.writable_;
    path_ = std::move(other.path_);
  }
  return *this;
}

FileBackend::~FileBackend() { release(); }

void FileBackend::release() noexcept {
  if (data_ != nullptr) ::munmap(data_, mapped_);
  if (fd_ >= 0) ::close(fd_);  // also drops the flock
  data_ = nullptr;
  size_ = mapped_ = 0;
  fd_ = -1;
}

void FileBackend::close() {
  if (data_ != nullptr) ::munmap(data_, mapped_);
  data_ = nullptr;
  size_ = mapped_ = 0;
  const int fd = std::exchange(fd_, -1);
  if (fd >= 0) detail::close_fd(fd, path_);
}

void FileBackend::map(std::size_t bytes) {
  const std::size_t want = round_up_to_pages(bytes);
  if (want > 0) {
    const int prot = writable_ ? PROT_READ | PROT_WRITE : PROT_READ;
    void* p = ::mmap(nullptr, want, prot, MAP_SHARED, fd_, 0);
    if (p == MAP_FAILED) fail("mmap", path_, errno);
    data_ = static_cast<std::byte*>(p);
  }
  size_ = bytes;
  mapped_ = want;
}

void FileBackend::resize(std::size_t bytes) {
  if (!writable_) throw Error(errc::read_only, "FileBackend: resize of read-only " + path_.string());
  if (fd_ < 0) throw Error(errc::invalid_argument, "FileBackend: resize of a closed backend");
  if (bytes == size_) return;
  const std::size_t want = round_up_to_pages(bytes);
  if (bytes > size_) {
    const off_t old_size = static_cast<off_t>(size_);
    detail::preallocate(fd_, path_, size_, bytes);
    if (want != mapped_) {
      void* p = data_ == nullptr
                    ? ::mmap(nullptr, want, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0)
                    : ::mremap(data_, mapped_, want, MREMAP_MAYMOVE);
      if (p == MAP_FAILED) {
        const int err = errno;
        (void)::ftruncate(fd_, old_size);
        fail(data_ == nullptr ? "mmap" : "mremap", path_, err);
      }
      data_ = static_cast<std::byte*>(p);
      mapped_ = want;
    }
    size_ = bytes;
    return;
  }
  // Shrink: cut the file first; a mapping left longer than the file is never
  // touched past size_, so a failed mremap below is harmless.
  detail::truncate(fd_, path_, bytes);
  if (want == 0) {
    ::munmap(data_, mapped_);
    data_ = nullptr;
    mapped_ = 0;
  } else if (want != mapped_) {
    void* p = ::mremap(data_, mapped_, want, 0);  // shrinking in place never moves
    if (p != MAP_FAILED) mapped_ = want;
  }
  size_ = bytes;
}

void FileBackend::sync(std::size_t offset, std::size_t bytes) {
  if (!writable_ || bytes == 0 || offset >= size_) return;
  detail::sync_range(fd_, path_, data_, offset, std::min(bytes, size_ - offset),
                     size_ != synced_size_);
  synced_size_ = size_;
}

}  // namespace memvec
