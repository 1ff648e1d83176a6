#include "memvec/kv/value_view.hpp"

#include <ostream>

#include "memvec/error.hpp"
#include "memvec/kv/bonjson.hpp"
#include "memvec/kv/detail/log_index.hpp"

namespace memvec::kv {

namespace {
std::uint8_t code_of(std::span<const std::byte> b) noexcept {
  return b.empty() ? bonjson::kTypeContainerEnd : static_cast<std::uint8_t>(b[0]);
}
}  // namespace

Value ValueView::decode() const {
  Value v;
  bonjson::decode_prefix(bytes_, v);
  return v;
}

Type ValueView::type() const {
  const std::uint8_t c = code_of(bytes_);
  if (c == bonjson::kTypeNull) return Type::null;
  if (c == bonjson::kTypeTrue || c == bonjson::kTypeFalse) return Type::boolean;
  if (is_string()) return Type::string;
  if (c == bonjson::kTypeArrayStart) return Type::array;
  if (c == bonjson::kTypeObjectStart) return Type::object;
  return decode().type();  // a number: its width decides int64, uint64 or float64
}

bool ValueView::is_null() const noexcept { return code_of(bytes_) == bonjson::kTypeNull; }

bool ValueView::is_string() const noexcept {
  const std::uint8_t c = code_of(bytes_);
  return c == bonjson::kTypeLongString ||
         (c >= bonjson::kTypeShortString &&
          c <= bonjson::kTypeShortString + bonjson::kShortStringMaxLength);
}

std::string_view ValueView::as_string() const {
  if (!is_string()) throw Error(errc::invalid_argument, "ValueView::as_string: not a string");
  std::string_view s;
  detail::read_trusted_string(bytes_.data(), s);
  return s;
}

std::span<const std::byte> ValueView::encoded() const {
  if (bytes_.empty()) return bytes_;
  Value scratch;  // decoded, so bytes a caller gave are checked, never overrun
  return bytes_.first(bonjson::decode_prefix(bytes_, scratch));
}

std::ostream& operator<<(std::ostream& os, const ValueView& v) { return os << v.decode(); }

}  // namespace memvec::kv
