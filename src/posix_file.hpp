// Internal: the POSIX file calls both file backends share. Defined in
// file_backend.cpp, so every file syscall of the library sits in one file.
// `who` ("FileBackend", "MappedFileBackend") opens every error message, so an
// error names the backend the caller used as well as the path.
#pragma once

#include <cstddef>
#include <filesystem>

#include "memvec/backend.hpp"

namespace memvec::detail {

struct OpenedFile {
  int fd = -1;
  std::size_t size = 0;  // bytes in the file after opening
};

// open(2) per options.mode (new files 0644, preallocated to initial_size; an
// existing file is left as it is), then a non-blocking flock: exclusive for
// writers, shared for read_only. errc::locked if another holder conflicts.
// Anything but a regular file is refused at once, before any lock or
// blocking call: errc::not_a_regular_file (FIFO, socket, device), or
// errc::io_error with EISDIR for a directory.
OpenedFile open_locked(const char* who, const std::filesystem::path& path,
                       const FileOptions& options);
// Extends the file from old_size to new_size with real blocks (ENOSPC here,
// not SIGBUS later); on failure the file is back at old_size.
void preallocate(const char* who, int fd, const std::filesystem::path& path, std::size_t old_size,
                 std::size_t new_size);
void truncate(const char* who, int fd, const std::filesystem::path& path, std::size_t size);
// msync(MS_SYNC) of the page-aligned range around [addr, addr+len) (on
// Linux a data flush of that range, device cache included), then fdatasync
// only when `size_changed`: the file's size is metadata msync need not
// persist. One flush per sync in the steady state, not two.
void sync_range(const char* who, int fd, const std::filesystem::path& path, std::byte* base, std::size_t offset,
                std::size_t len, bool size_changed);
void close_fd(const char* who, int fd, const std::filesystem::path& path);  // throws on failure
void close_fd_quietly(int fd) noexcept;

}  // namespace memvec::detail
