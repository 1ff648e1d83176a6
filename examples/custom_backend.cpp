// custom_backend: writing your own Backend — POSIX shared memory.
//
// MemVec needs five things from its storage (include/memvec/backend.hpp): data(),
// size(), resize(bytes) (may move data()), sync(offset, bytes) and writable(), on a
// movable type. ShmBackend provides them over a POSIX shared-memory object (shm_open +
// posix_fallocate + mmap/mremap), so a MemVec can be shared by name between processes.
// The demo fills a vector, forks a child that attaches by name, validates the header,
// reads the data and writes one element; the parent sees that write. The object lives
// in RAM (/dev/shm) and is unlinked at exit (glibc < 2.34: link with -lrt).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>
#include <utility>

#include <memvec/memvec.hpp>

class ShmBackend {
 public:
  // Creates a new object (fails if the name exists); the creator unlinks it.
  static ShmBackend create(const std::string& name) {
    const int fd = ::shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0) fail("shm_open", name, errno);
    return ShmBackend(fd, name, /*owner=*/true);
  }
  // Attaches to an existing object and maps all of it.
  static ShmBackend attach(const std::string& name) {
    const int fd = ::shm_open(name.c_str(), O_RDWR, 0);
    if (fd < 0) fail("shm_open", name, errno);
    ShmBackend b(fd, name, /*owner=*/false);
    struct stat st {};
    if (::fstat(fd, &st) != 0) fail("fstat", name, errno);
    b.remap(static_cast<std::size_t>(st.st_size));
    return b;
  }

  ShmBackend(ShmBackend&& o) noexcept { steal(o); }
  ShmBackend& operator=(ShmBackend&& o) noexcept {
    if (this != &o) release(), steal(o);
    return *this;
  }
  ~ShmBackend() { release(); }

  std::byte* data() noexcept { return data_; }  // the Backend concept: data() ... writable()
  const std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  void resize(std::size_t bytes) {
    if (bytes > size_) {
      // Real pages now: a full /dev/shm is an error here, not SIGBUS later.
      if (int err = ::posix_fallocate(fd_, off_t(size_), off_t(bytes - size_)))
        fail("posix_fallocate", name_, err);
      remap(bytes);  // on failure the object is longer than size_: harmless
    } else if (bytes < size_) {
      remap(bytes);  // unmap the tail first, then cut the object
      if (::ftruncate(fd_, static_cast<off_t>(bytes)) != 0) fail("ftruncate", name_, errno);
    }
  }
  void sync(std::size_t, std::size_t) noexcept {}  // RAM: nothing to make durable
  bool writable() const noexcept { return true; }

 private:
  ShmBackend(int fd, const std::string& name, bool owner) : fd_(fd), owner_(owner), name_(name) {}

  [[noreturn]] static void fail(const char* call, const std::string& name, int err) {
    throw memvec::Error(memvec::errc::io_error,
                        "ShmBackend: " + (call + (" '" + name + "': ")) + std::strerror(err), err);
  }

  // Maps round_up(bytes) bytes: mmap the first time, then mremap, which moves
  // page tables, never bytes. Only the pointer may change.
  void remap(std::size_t bytes) {
    const std::size_t page = memvec::page_size(), want = (bytes + page - 1) / page * page;
    if (want == 0 && data_ != nullptr) {
      ::munmap(data_, mapped_);
      data_ = nullptr;
    } else if (want != mapped_) {
      void* p = data_ ? ::mremap(data_, mapped_, want, MREMAP_MAYMOVE)
                      : ::mmap(nullptr, want, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
      if (p == MAP_FAILED) fail(data_ ? "mremap" : "mmap", name_, errno);
      data_ = static_cast<std::byte*>(p);
    }
    mapped_ = want;
    size_ = bytes;
  }
  void steal(ShmBackend& o) noexcept {
    fd_ = std::exchange(o.fd_, -1);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
    mapped_ = std::exchange(o.mapped_, 0);
    owner_ = std::exchange(o.owner_, false);
    name_ = std::move(o.name_);
  }
  void release() noexcept {
    if (data_ != nullptr) ::munmap(data_, mapped_);
    if (fd_ >= 0) ::close(fd_);
    if (owner_) ::shm_unlink(name_.c_str());
    fd_ = -1, data_ = nullptr, size_ = mapped_ = 0, owner_ = false;
  }

  int fd_ = -1;
  std::byte* data_ = nullptr;
  std::size_t size_ = 0, mapped_ = 0;
  bool owner_ = false;
  std::string name_;
};

static_assert(memvec::Backend<ShmBackend>, "ShmBackend must model memvec::Backend");

int main() {
  using Vec = memvec::MemVec<long, ShmBackend>;
  const std::string name = "/memvec-demo-" + std::to_string(::getpid());
  try {
    Vec squares = Vec::create(ShmBackend::create(name));
    for (long i = 0; i < 100'000; ++i) squares.push_back(i * i);  // grows by mremap
    std::printf("parent: %zu squares in shared memory object %s (%zu bytes)\n", squares.size(),
                name.c_str(), squares.backend().size());
    std::fflush(stdout);  // or the child would flush the parent's buffered output too
    const pid_t child = ::fork();
    if (child < 0) throw memvec::Error(memvec::errc::io_error, "fork failed", errno);
    if (child == 0) {  // another process: attach by name, as any program could
      int status = 0;
      try {
        Vec view = Vec::open(ShmBackend::attach(name));  // validates the header
        std::printf("child:  attached, %zu elements, sum %ld; writing element 0\n", view.size(),
                    std::accumulate(view.begin(), view.end(), 0L));
        view[0] = -1;  // MAP_SHARED: the parent sees this store
      } catch (const memvec::Error& e) {
        std::fprintf(stderr, "child: %s\n", e.what());
        status = 1;
      }
      std::fflush(stdout);
      ::_exit(status);  // skip destructors: the parent owns the object
    }
    int status = 1;
    ::waitpid(child, &status, 0);
    std::printf("parent: child exited %d; element 0 is now %ld\n", WEXITSTATUS(status), squares[0]);
    return WEXITSTATUS(status);
  } catch (const memvec::Error& e) {
    std::fprintf(stderr, "memvec error: %s\n", e.what());
    return 1;
  }
}
