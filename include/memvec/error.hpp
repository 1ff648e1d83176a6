// memvec::Error and memvec::errc — the one exception type of the library.
//
// Contract: every failure memvec reports by exception is a memvec::Error, a
// std::system_error whose code() compares equal to a memvec::errc value
// (`e.code() == memvec::errc::locked`), except the two std::vector's own
// exceptions: MemVec::at() past the end throws std::out_of_range, reserve()
// past max_size() std::length_error (a type deriving from both Error and
// those would hold std::exception twice: `catch (const std::exception&)`
// would miss it). A failure that concerns a file names it in what(). When an OS call failed, sys_errno()
// keeps its errno (ENOSPC, EFBIG, ...) and what() names the call and path.
// Recovery outcomes (what a journal dropped when opening) are reported values,
// never exceptions. Thread-safety: stateless; safe from any thread.
#pragma once

#include <string>
#include <system_error>

namespace memvec {

enum class errc : int {
  bad_magic = 1,      // not a memvec file (or not one of this layer)
  version_mismatch,   // a format version this build does not read
  type_mismatch,      // sizeof/alignof/type tag/endianness differ from T
  corrupt_header,     // header checksum or commit word failed
  truncated,          // the backend is shorter than the header says
  capacity_exceeded,  // a fixed backend or a configured maximum is full
  locked,             // another handle holds a conflicting lock on the file
  read_only,          // a mutation through a read-only backend
  io_error,           // an OS call failed (sys_errno() says which errno)
  invalid_argument,   // a caller error: bad option, misaligned buffer, ...
  out_of_range,       // pop_back() on an empty vector, an iterator outside the vector
  corrupt_data,       // a record or value failed to decode
  not_a_regular_file, // a FIFO, socket or device where a file was expected
};

const std::error_category& error_category() noexcept;

// The enumerator's name ("bad_magic", "locked", ...), for logs and tests.
const char* errc_name(errc e) noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

class Error : public std::system_error {
 public:
  Error(errc code, const std::string& what, int sys_errno = 0)
      : std::system_error(make_error_code(code), what), sys_errno_(sys_errno) {}

  // The errno of the failed OS call, or 0 when no OS call failed.
  int sys_errno() const noexcept { return sys_errno_; }

 private:
  int sys_errno_;
};

}  // namespace memvec

template <>
struct std::is_error_code_enum<memvec::errc> : std::true_type {};
