// ValueView and ValuePtr: a value read in place, from the journal's mapped
// log, without decoding it into a Value first.
//
// KVJournal::find() and DoubleBufferedKV::find() return a ValuePtr: testable
// as a bool, null when the key is absent; `*p` is a ValueView of the value's
// encoded bytes in the mapping. A view decodes on demand: `decode()` (or the
// implicit conversion) builds the Value, `==` compares with a Value by
// mathematical value, the scalar accessors read without allocating, and
// `as_string()` returns a std::string_view into the mapping itself.
//
// Validity: both point into the log: they stay valid until the next write to
// the same journal or store (any write may grow and move the mapping), its
// clear(), compaction or destruction. Copy what you keep (`Value v = *p`).
// Errors: the accessors throw like Value's (errc::invalid_argument for the
// wrong type). Thread-safety: as a const pointer.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>

#include "memvec/kv/value.hpp"

namespace memvec::kv {

class ValueView {
 public:
  ValueView() noexcept = default;
  // `bytes` start with one encoded value (validated when the record was
  // written or replayed); they may run past its end.
  explicit ValueView(std::span<const std::byte> bytes) noexcept : bytes_(bytes) {}

  Value decode() const;
  operator Value() const { return decode(); }  // NOLINT: a view converts as it reads

  Type type() const;
  bool is_null() const noexcept;
  bool is_string() const noexcept;
  bool is_bool() const { return type() == Type::boolean; }
  bool is_int() const { return decode().is_int(); }
  bool is_uint() const { return decode().is_uint(); }
  bool is_integer() const { return decode().is_integer(); }
  bool is_double() const { return type() == Type::float64; }
  bool is_number() const { return decode().is_number(); }
  bool is_array() const { return type() == Type::array; }
  bool is_object() const { return type() == Type::object; }
  bool as_bool() const { return decode().as_bool(); }
  std::int64_t as_int() const { return decode().as_int(); }
  std::uint64_t as_uint() const { return decode().as_uint(); }
  double as_double() const { return decode().as_double(); }
  // A view of the string's bytes in the mapping: no copy.
  std::string_view as_string() const;
  Array as_array() const { return decode().as_array(); }     // a copy
  Object as_object() const { return decode().as_object(); }  // a copy
  std::string to_json() const { return decode().to_json(); }
  // The value's encoded bytes (docs/FORMAT.md "Values"), exactly.
  std::span<const std::byte> encoded() const;

  friend bool operator==(const ValueView& a, const Value& b) { return a.decode() == b; }
  friend bool operator==(const ValueView& a, const ValueView& b) { return a.decode() == b.decode(); }

 private:
  friend class ValuePtr;
  std::span<const std::byte> bytes_;
};

std::ostream& operator<<(std::ostream& os, const ValueView& v);

class ValuePtr {
 public:
  ValuePtr() noexcept = default;
  ValuePtr(std::nullptr_t) noexcept {}  // NOLINT: as a null pointer
  explicit ValuePtr(ValueView view) noexcept : view_(view), found_(true) {}

  explicit operator bool() const noexcept { return found_; }
  const ValueView& operator*() const noexcept { return view_; }
  const ValueView* operator->() const noexcept { return &view_; }

  // Two pointers are equal when both are null or both view the same bytes.
  friend bool operator==(const ValuePtr& a, const ValuePtr& b) noexcept {
    return a.found_ == b.found_ && (!a.found_ || address(a.view_) == address(b.view_));
  }

 private:
  static const std::byte* address(const ValueView& v) noexcept { return v.bytes_.data(); }
  ValueView view_;
  bool found_ = false;
};

}  // namespace memvec::kv
