// AtomicFile (contract in atomic_file.hpp).
#include "atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace memvec_kv {

namespace fs = std::filesystem;

namespace {
[[noreturn]] void fail(const char* call, const fs::path& p) {
  throw std::system_error(errno, std::generic_category(), std::string(call) + " " + p.string());
}
}  // namespace

void sync_directory(const fs::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: some file systems refuse directory fds
  ::fsync(fd);
  ::close(fd);
}

AtomicFile::AtomicFile(fs::path path)
    : path_(std::move(path)), tmp_(path_.string() + ".tmp-" + std::to_string(::getpid())) {
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("open", tmp_);
}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  if (fd_ >= 0) ::close(fd_);
  ::unlink(tmp_.c_str());
}

void AtomicFile::commit() {
  if (::fsync(fd_) != 0) fail("fsync", tmp_);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("close", tmp_);
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) fail("rename", path_);
  committed_ = true;
  sync_directory(path_.parent_path());
}

}  // namespace memvec_kv
