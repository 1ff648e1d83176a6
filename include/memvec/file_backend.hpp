// FileBackend: a POSIX file mapped MAP_SHARED — the fast persistent backend.
//
// Opening never changes an existing file (size or bytes); new files are
// created 0644 and preallocated to FileOptions::initial_size. Writers take an
// exclusive flock, read_only opens a shared one: a conflicting open, in this
// or any other process, fails at once with errc::locked. Only regular files
// open: a FIFO, socket or device is refused at once (errc::not_a_regular_file,
// never a blocking open), a directory with errc::io_error EISDIR. Growth preallocates
// with posix_fallocate before mapping, so a full disk is an errc::io_error
// (sys_errno() ENOSPC or EFBIG) at resize(), never a SIGBUS later. resize()
// may move data() (mremap); nothing else does. sync(off, n) = msync(MS_SYNC)
// of the page-aligned range (on Linux a data flush, device cache included),
// plus fdatasync when the file's size changed since the last sync. The destructor unmaps and closes
// without syncing: a process crash loses nothing (the page cache has every
// byte); for power loss call sync(). close() reports what the destructor
// cannot. Thread-safety: none; move-only, except flush_handle()'s Flush,
// which another thread may run at any time. All syscalls: src/file_backend.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "memvec/backend.hpp"

namespace memvec {

class FileBackend {
 public:
  static FileBackend open(const std::filesystem::path& path, FileOptions options = {});

  FileBackend() noexcept = default;
  FileBackend(FileBackend&& other) noexcept;
  FileBackend& operator=(FileBackend&& other) noexcept;
  FileBackend(const FileBackend&) = delete;
  FileBackend& operator=(const FileBackend&) = delete;
  ~FileBackend();

  std::byte* data() noexcept { return data_; }
  const std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  void resize(std::size_t bytes);
  void sync(std::size_t offset, std::size_t bytes);
  bool writable() const noexcept { return writable_; }

  // A whole-file flush another thread may run while this backend is used,
  // resized, moved or closed: a descriptor of its own (dup), then fdatasync,
  // which on Linux writes back every page dirtied through any mapping of
  // the file (msync(MS_SYNC) is the same flush, by range). DoubleBufferedKV
  // flushes a compaction's journal with it off the writer's thread.
  class Flush {
   public:
    Flush() noexcept = default;
    Flush(Flush&& other) noexcept;
    Flush& operator=(Flush&& other) noexcept;
    ~Flush();
    void operator()() const;  // throws errc::io_error naming the file
   private:
    friend class FileBackend;
    Flush(int fd, std::filesystem::path path) noexcept : fd_(fd), path_(std::move(path)) {}
    int fd_ = -1;
    std::filesystem::path path_;
  };
  Flush flush_handle() const;  // throws errc::io_error (dup failed)

  bool is_open() const noexcept { return fd_ >= 0; }
  const std::filesystem::path& path() const noexcept { return path_; }
  // Unmaps, unlocks and closes; throws errc::io_error if close(2) fails.
  void close();

 private:
  FileBackend(int fd, std::filesystem::path path, bool writable);
  void map(std::size_t bytes);
  void release() noexcept;

  int fd_ = -1;
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t mapped_ = 0;
  bool writable_ = false;
  std::size_t synced_size_ = SIZE_MAX;  // file size at the last sync; unknown at first
  std::filesystem::path path_;
};

}  // namespace memvec
