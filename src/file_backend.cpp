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

[[noreturn]] void fail(const char* who, const char* call, const std::filesystem::path& path,
                       int err, errc code = errc::io_error) {
  throw Error(code,
              std::string(who) + ": " + call + " '" + path.string() + "': " + std::strerror(err),
              err);
}

const char* kind_of(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a file memvec can map";
}

// Refuses anything but a regular file by its stat mode. A directory keeps
// the errno open(2) gives it elsewhere (EISDIR); the rest have no errno of
// their own, since no OS call failed.
void require_regular(const char* who, const std::filesystem::path& path, mode_t mode) {
  if (S_ISREG(mode)) return;
  if (S_ISDIR(mode)) fail(who, "open (a directory, not a regular file)", path, EISDIR);
  throw Error(errc::not_a_regular_file, std::string(who) + ": open '" + path.string() +
                                            "': " + kind_of(mode) + ", not a regular file");
}

// Opens (or creates) the file; reports whether this call created it, so only
// a file we made gets initial_size (opening never resizes an existing file).
int open_fd(const std::filesystem::path& path, OpenMode mode, bool& created) {
  created = false;
  const char* p = path.c_str();
  // O_NONBLOCK: a FIFO put in the file's place after the caller's stat()
  // must not block this open (it is refused after fstat instead).
  constexpr int kFlags = O_CLOEXEC | O_NONBLOCK;
  switch (mode) {
    case OpenMode::read_only: return ::open(p, O_RDONLY | kFlags);
    case OpenMode::open_existing: return ::open(p, O_RDWR | kFlags);
    case OpenMode::create_new: {
      const int fd = ::open(p, O_RDWR | O_CREAT | O_EXCL | kFlags, 0644);
      created = fd >= 0;
      return fd;
    }
    case OpenMode::open_or_create:
      for (;;) {
        int fd = ::open(p, O_RDWR | kFlags);
        if (fd >= 0 || errno != ENOENT) return fd;
        fd = ::open(p, O_RDWR | O_CREAT | O_EXCL | kFlags, 0644);
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

OpenedFile open_locked(const char* who, const std::filesystem::path& path,
                       const FileOptions& options) {
  const bool writable = options.mode != OpenMode::read_only;
  // Judged before open(2): opening a FIFO blocks until a peer appears, and
  // opening a device can have effects of its own (a tape rewinds).
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) require_regular(who, path, st.st_mode);
  bool created = false;
  const int fd = open_fd(path, options.mode, created);
  if (fd < 0) {
    const int err = errno;
    // A socket (or FIFO) that appeared after the stat above.
    if (::stat(path.c_str(), &st) == 0) require_regular(who, path, st.st_mode);
    fail(who, "open", path, err);
  }
  try {
    if (::fstat(fd, &st) != 0) fail(who, "fstat", path, errno);
    require_regular(who, path, st.st_mode);
    // O_NONBLOCK only guarded the open: a regular file ignores it, but the
    // descriptor should say what it is.
    if (const int fl = ::fcntl(fd, F_GETFL); fl < 0 || ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0)
      fail(who, "fcntl", path, errno);
    if (::flock(fd, (writable ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
      const int err = errno;
      fail(who,
           writable ? "lock (another handle, reader or writer, in this or another process, has "
                      "it open)"
                    : "lock (a writer, in this or another process, has it open)",
           path, err, err == EWOULDBLOCK ? errc::locked : errc::io_error);
    }
    std::size_t size = static_cast<std::size_t>(st.st_size);
    if (created && options.initial_size > 0) {
      if (const int err = ::posix_fallocate(fd, 0, static_cast<off_t>(options.initial_size))) {
        ::unlink(path.c_str());  // we made it: leave nothing half-created behind
        fail(who, "posix_fallocate", path, err);
      }
      size = options.initial_size;
    }
    return {fd, size};
  } catch (...) {
    ::close(fd);
    throw;
  }
}

void preallocate(const char* who, int fd, const std::filesystem::path& path, std::size_t old_size,
                 std::size_t new_size) {
  // Allocate blocks before anyone maps them: a full disk fails here, as an
  // error, instead of as SIGBUS at the first store into a sparse hole.
  if (const int err = ::posix_fallocate(fd, static_cast<off_t>(old_size),
                                        static_cast<off_t>(new_size - old_size))) {
    (void)::ftruncate(fd, static_cast<off_t>(old_size));  // undo any partial extension
    fail(who, "posix_fallocate", path, err);
  }
}

void truncate(const char* who, int fd, const std::filesystem::path& path, std::size_t size) {
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) fail(who, "ftruncate", path, errno);
}

void sync_range(const char* who, int fd, const std::filesystem::path& path, std::byte* base, std::size_t offset,
                std::size_t len, bool size_changed) {
  const std::size_t start = offset / page_size() * page_size();
  if (base != nullptr && len > 0 &&
      ::msync(base + start, offset + len - start, MS_SYNC) != 0)
    fail(who, "msync", path, errno);
  if (size_changed && ::fdatasync(fd) != 0) fail(who, "fdatasync", path, errno);
}

void close_fd(const char* who, int fd, const std::filesystem::path& path) {
  if (::close(fd) != 0) fail(who, "close", path, errno);
}

void close_fd_quietly(int fd) noexcept { ::close(fd); }

}  // namespace detail

namespace {
constexpr const char* kWho = "FileBackend";
}  // namespace

FileBackend FileBackend::open(const std::filesystem::path& path, FileOptions options) {
  const detail::OpenedFile f = detail::open_locked(kWho, path, options);
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
  if (fd >= 0) detail::close_fd(kWho, fd, path_);
}

void FileBackend::map(std::size_t bytes) {
  const std::size_t want = round_up_to_pages(bytes);
  if (want > 0) {
    const int prot = writable_ ? PROT_READ | PROT_WRITE : PROT_READ;
    void* p = ::mmap(nullptr, want, prot, MAP_SHARED, fd_, 0);
    if (p == MAP_FAILED) fail(kWho, "mmap", path_, errno);
    data_ = static_cast<std::byte*>(p);
  }
  size_ = bytes;
  mapped_ = want;
}

void FileBackend::resize(std::size_t bytes) {
  if (fd_ < 0) throw Error(errc::invalid_argument, "FileBackend: resize of a closed or moved-from backend");
  if (!writable_)
    throw Error(errc::read_only, "FileBackend: resize of '" + path_.string() + "', opened read-only");
  if (bytes == size_) return;
  const std::size_t want = round_up_to_pages(bytes);
  if (bytes > size_) {
    const off_t old_size = static_cast<off_t>(size_);
    detail::preallocate(kWho, fd_, path_, size_, bytes);
    if (want != mapped_) {
      void* p = data_ == nullptr
                    ? ::mmap(nullptr, want, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0)
                    : ::mremap(data_, mapped_, want, MREMAP_MAYMOVE);
      if (p == MAP_FAILED) {
        const int err = errno;
        (void)::ftruncate(fd_, old_size);
        fail(kWho, data_ == nullptr ? "mmap" : "mremap", path_, err);
      }
      data_ = static_cast<std::byte*>(p);
      mapped_ = want;
    }
    size_ = bytes;
    return;
  }
  // Shrink: cut the file first; a mapping left longer than the file is never
  // touched past size_, so a failed mremap below is harmless.
  detail::truncate(kWho, fd_, path_, bytes);
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
  detail::sync_range(kWho, fd_, path_, data_, offset, std::min(bytes, size_ - offset),
                     size_ != synced_size_);
  synced_size_ = size_;
}

FileBackend::Flush FileBackend::flush_handle() const {
  if (fd_ < 0) throw Error(errc::invalid_argument, std::string(kWho) + ": flush_handle() of a closed file");
  const int fd = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) fail(kWho, "dup", path_, errno);
  return Flush(fd, path_);
}

FileBackend::Flush::Flush(Flush&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

FileBackend::Flush& FileBackend::Flush::operator=(Flush&& other) noexcept {
  if (this != &other) {
    detail::close_fd_quietly(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

FileBackend::Flush::~Flush() { detail::close_fd_quietly(fd_); }

void FileBackend::Flush::operator()() const {
  if (fd_ >= 0 && ::fdatasync(fd_) != 0) fail(kWho, "fdatasync", path_, errno);
}

}  // namespace memvec
