// AtomicFile: a file written under a temporary name beside its final one,
// then synced and renamed over it, so that a crash or an error leaves the
// old file (or none), never a half-written one under the final name. For
// `export` snapshots and `compact`'s rewritten journal.
#pragma once

#include <filesystem>

namespace memvec_kv {

// fsync of a directory: makes a rename or a new entry in it durable.
void sync_directory(const std::filesystem::path& dir);

class AtomicFile {
 public:
  // Creates "<path>.tmp-<pid>" (O_EXCL), mode 0644.
  explicit AtomicFile(std::filesystem::path path);
  ~AtomicFile();  // not committed: closes and removes the temporary
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  int fd() const noexcept { return fd_; }
  // fsync, close, rename over the final path, fsync the directory.
  void commit();

 private:
  std::filesystem::path path_;
  std::filesystem::path tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace memvec_kv
