// The Backend concept: bytes that can be mapped, resized and synced.
//
// A Backend owns (or borrows) one contiguous byte range. MemVec keeps its
// header and elements in it; the KV layers never see anything else.
//   data()          the first byte (may be nullptr when size() == 0).
//   size()          usable bytes.
//   resize(bytes)   may move data(). A fixed backend that cannot reach `bytes`
//                   throws errc::capacity_exceeded and keeps every byte; a
//                   failed resize of any backend leaves size() and the bytes
//                   as they were.
//   sync(off, n)    makes bytes [off, off+n) durable (no-op in memory).
//   writable()      false for read-only backends; every memvec mutation checks
//                   it first and throws errc::read_only before touching memory.
// Backends are move-only handles; a moved-from backend has size() == 0.
// Optional: a `path()` whose .string() names the file (the file backends
// have one); MemVec's error messages then name it. Not part of the concept.
// Thread-safety: none of their own; the owner serializes calls.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>

namespace memvec {

template <class B>
concept Backend = std::movable<B> && requires(B& b, const B& cb, std::size_t n) {
  { b.data() } -> std::same_as<std::byte*>;
  { cb.data() } -> std::same_as<const std::byte*>;
  { cb.size() } -> std::convertible_to<std::size_t>;
  b.resize(n);
  b.sync(n, n);
  { cb.writable() } -> std::convertible_to<bool>;
};

namespace detail {
// The path a backend reports, if it has a path() (the file backends); empty
// for the rest, whose errors then name no file. Not part of the Backend
// concept, so custom backends need nothing new.
template <class B>
std::string backend_path(const B& backend) {
  if constexpr (requires { { backend.path().string() } -> std::convertible_to<std::string>; })
    return backend.path().string();
  else
    return {};
}
// " 'path'" for a backend with a path, else "": for "who 'path': why".
template <class B>
std::string backend_where(const B& backend) {
  const std::string path = backend_path(backend);
  return path.empty() ? path : " '" + path + "'";
}
}  // namespace detail

// How much a returned write survives. process_crash (default): any process
// crash, SIGKILL included, with no syscall per write. power_loss: every
// returned write is synced (data, then the commit word, then the header).
enum class Durability : std::uint8_t { process_crash, power_loss };

enum class OpenMode : std::uint8_t {
  open_or_create,  // open an existing file, or create it
  create_new,      // create; errc::io_error (EEXIST) if it exists
  open_existing,   // open; errc::io_error (ENOENT) if it does not exist
  read_only,       // open an existing file for reading, shared lock
};

struct FileOptions {
  OpenMode mode = OpenMode::open_or_create;
  // Size of a newly created file, preallocated. An existing file is never
  // resized by opening it, whatever this says.
  std::size_t initial_size = 0;
};

// The system page size, read once.
std::size_t page_size() noexcept;
// `bytes` rounded up to whole pages: the unit every mapping and MemVec
// capacity comes in.
inline std::size_t round_up_to_pages(std::size_t bytes) noexcept {
  const std::size_t page = page_size();
  return (bytes + page - 1) / page * page;
}

}  // namespace memvec
