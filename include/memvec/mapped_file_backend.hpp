// MappedFileBackend: the portable file backend, on boost::iostreams::mapped_file.
//
// Same contract as FileBackend (open never changes an existing file, new files
// 0644 and preallocated, writers exclusive / readers shared with errc::locked
// on conflict, resize() may move data(), sync() = msync, + fdatasync after a size change), with
// Boost.Iostreams' known traps handled: it never passes new_file_size (which
// truncates existing files and creates them 0700), never maps an empty file,
// re-reads data() after every resize, msyncs the mapped address itself (the
// library has no flush) and fdatasyncs through its own descriptor. Growth
// unmaps and maps again (boost has no mremap), so it is slower than
// FileBackend's. Boost exceptions come out as memvec::Error(errc::io_error).
// Thread-safety: none; move-only. The destructor never syncs; see close().
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>

#include "memvec/backend.hpp"

namespace memvec {

class MappedFileBackend {
 public:
  static MappedFileBackend open(const std::filesystem::path& path, FileOptions options = {});

  MappedFileBackend() noexcept;
  MappedFileBackend(MappedFileBackend&& other) noexcept;
  MappedFileBackend& operator=(MappedFileBackend&& other) noexcept;
  MappedFileBackend(const MappedFileBackend&) = delete;
  MappedFileBackend& operator=(const MappedFileBackend&) = delete;
  ~MappedFileBackend();

  std::byte* data() noexcept { return data_; }
  const std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  void resize(std::size_t bytes);
  void sync(std::size_t offset, std::size_t bytes);
  bool writable() const noexcept { return writable_; }

  bool is_open() const noexcept { return fd_ >= 0; }
  const std::filesystem::path& path() const noexcept { return path_; }
  void close();  // unmaps and closes; throws errc::io_error on failure

 private:
  struct Mapping;  // the boost object, kept out of this header
  void map();      // (re)maps the whole file as it is now
  void release() noexcept;

  std::unique_ptr<Mapping> mapping_;
  int fd_ = -1;  // the descriptor boost does not expose: lock + fdatasync
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  bool writable_ = false;
  std::size_t synced_size_ = SIZE_MAX;  // file size at the last sync; unknown at first
  std::filesystem::path path_;
};

}  // namespace memvec
