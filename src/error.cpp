#include "memvec/error.hpp"

namespace memvec {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "memvec"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::bad_magic: return "bad magic: not a memvec file";
      case errc::version_mismatch: return "unsupported format version";
      case errc::type_mismatch: return "element type mismatch";
      case errc::corrupt_header: return "corrupt header";
      case errc::truncated: return "file truncated";
      case errc::capacity_exceeded: return "capacity exceeded";
      case errc::locked: return "locked by another handle";
      case errc::read_only: return "read-only";
      case errc::io_error: return "I/O error";
      case errc::invalid_argument: return "invalid argument";
      case errc::out_of_range: return "index out of range";
      case errc::corrupt_data: return "corrupt data";
      case errc::not_a_regular_file: return "not a regular file";
    }
    return "unknown memvec error";
  }
};

}  // namespace

const char* errc_name(errc e) noexcept {
  switch (e) {
    case errc::bad_magic: return "bad_magic";
    case errc::version_mismatch: return "version_mismatch";
    case errc::type_mismatch: return "type_mismatch";
    case errc::corrupt_header: return "corrupt_header";
    case errc::truncated: return "truncated";
    case errc::capacity_exceeded: return "capacity_exceeded";
    case errc::locked: return "locked";
    case errc::read_only: return "read_only";
    case errc::io_error: return "io_error";
    case errc::invalid_argument: return "invalid_argument";
    case errc::out_of_range: return "out_of_range";
    case errc::corrupt_data: return "corrupt_data";
    case errc::not_a_regular_file: return "not_a_regular_file";
  }
  return "unknown";
}

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace memvec
