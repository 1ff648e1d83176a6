#include "memvec/kv/value.hpp"

#include <charconv>
#include <cmath>
#include <ostream>
#include <utility>

#include "memvec/error.hpp"

namespace memvec::kv {
namespace {

[[noreturn]] void wrong_type(const char* accessor, Type actual) {
  throw Error(errc::invalid_argument,
              std::string("kv::Value::") + accessor + ": the value is " + type_name(actual));
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;  // start of the pending run of bytes that need no escape
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

template <class Int>
void append_integer(std::string& out, Int i) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, i);
  out.append(buf, r.ptr);
}

void append_double(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);  // shortest round-trip form
  const std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
  out += text;
  // "3" would read back as an integer; keep the double a double.
  if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
}

void append_json(std::string& out, const Value& v) {
  switch (v.type()) {
    case Type::null:
      out += "null";
      return;
    case Type::boolean:
      out += v.as_bool() ? "true" : "false";
      return;
    case Type::int64:
      append_integer(out, v.as_int());
      return;
    case Type::uint64:
      append_integer(out, v.as_uint());
      return;
    case Type::float64:
      append_double(out, v.as_double());
      return;
    case Type::string:
      append_json_string(out, v.as_string());
      return;
    case Type::array: {
      out.push_back('[');
      bool first = true;
      for (const Value& item : v.as_array()) {
        if (!first) out.push_back(',');
        first = false;
        append_json(out, item);
      }
      out.push_back(']');
      return;
    }
    case Type::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, item] : v.as_object()) {
        if (!first) out.push_back(',');
        first = false;
        append_json_string(out, key);
        out.push_back(':');
        append_json(out, item);
      }
      out.push_back('}');
      return;
    }
  }
}

}  // namespace

const char* type_name(Type t) noexcept {
  switch (t) {
    case Type::null:
      return "null";
    case Type::boolean:
      return "bool";
    case Type::int64:
      return "int64";
    case Type::uint64:
      return "uint64";
    case Type::float64:
      return "double";
    case Type::string:
      return "string";
    case Type::array:
      return "array";
    case Type::object:
      return "object";
  }
  return "unknown";
}

Value Value::object(std::initializer_list<std::pair<std::string, Value>> members) {
  Object o;
  for (const auto& [key, value] : members) o.insert_or_assign(key, value);
  return Value(std::move(o));
}

bool Value::as_bool() const {
  if (const bool* b = std::get_if<bool>(&v_)) return *b;
  wrong_type("as_bool", type());
}

std::int64_t Value::as_int() const {
  if (const auto* i = std::get_if<std::int64_t>(&v_)) return *i;
  if (const auto* u = std::get_if<std::uint64_t>(&v_)) {
    if (*u <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(*u);
    throw Error(errc::invalid_argument,
                "kv::Value::as_int: " + std::to_string(*u) + " does not fit in int64");
  }
  wrong_type("as_int", type());
}

std::uint64_t Value::as_uint() const {
  if (const auto* u = std::get_if<std::uint64_t>(&v_)) return *u;
  if (const auto* i = std::get_if<std::int64_t>(&v_)) {
    if (*i >= 0) return static_cast<std::uint64_t>(*i);
    throw Error(errc::invalid_argument,
                "kv::Value::as_uint: " + std::to_string(*i) + " does not fit in uint64");
  }
  wrong_type("as_uint", type());
}

Value::Value(const char* s) {
  if (s == nullptr)
    throw Error(errc::invalid_argument,
                "kv::Value: a null const char* (erase with erase(key), Value() or nullptr)");
  v_.emplace<std::string>(s);
}

double Value::as_double() const {
  if (const double* d = std::get_if<double>(&v_)) return *d;
  // Exact when the round trip gives the integer back; 2^63 and 2^64 are
  // guarded first because converting them back to the integer type is UB.
  if (const auto* i = std::get_if<std::int64_t>(&v_)) {
    const auto d = static_cast<double>(*i);
    if (d < 0x1p63 && static_cast<std::int64_t>(d) == *i) return d;
    throw Error(errc::invalid_argument, "kv::Value::as_double: the int64 " + std::to_string(*i) +
                                            " has no exact double");
  }
  if (const auto* u = std::get_if<std::uint64_t>(&v_)) {
    const auto d = static_cast<double>(*u);
    if (d < 0x1p64 && static_cast<std::uint64_t>(d) == *u) return d;
    throw Error(errc::invalid_argument, "kv::Value::as_double: the uint64 " + std::to_string(*u) +
                                            " has no exact double");
  }
  wrong_type("as_double", type());
}

const std::string& Value::as_string() const {
  if (const auto* s = std::get_if<std::string>(&v_)) return *s;
  wrong_type("as_string", type());
}

std::string& Value::as_string() {
  if (auto* s = std::get_if<std::string>(&v_)) return *s;
  wrong_type("as_string", type());
}

const Array& Value::as_array() const {
  if (const auto* a = std::get_if<Array>(&v_)) return *a;
  wrong_type("as_array", type());
}

Array& Value::as_array() {
  if (auto* a = std::get_if<Array>(&v_)) return *a;
  wrong_type("as_array", type());
}

const Object& Value::as_object() const {
  if (const auto* o = std::get_if<Object>(&v_)) return *o;
  wrong_type("as_object", type());
}

Object& Value::as_object() {
  if (auto* o = std::get_if<Object>(&v_)) return *o;
  wrong_type("as_object", type());
}

const Value* Value::find(std::string_view key) const noexcept {
  const auto* o = std::get_if<Object>(&v_);
  if (o == nullptr) return nullptr;
  const auto it = o->find(key);
  return it == o->end() ? nullptr : &it->second;
}

std::string Value::to_json() const {
  std::string out;
  append_json(out, *this);
  return out;
}

bool operator==(const Value& a, const Value& b) noexcept {
  const auto* ai = std::get_if<std::int64_t>(&a.v_);
  const auto* au = std::get_if<std::uint64_t>(&a.v_);
  const auto* bi = std::get_if<std::int64_t>(&b.v_);
  const auto* bu = std::get_if<std::uint64_t>(&b.v_);
  // Mixed signedness: compare mathematical values (std::cmp_equal does not
  // wrap -1 to UINT64_MAX).
  if (ai != nullptr && bu != nullptr) return std::cmp_equal(*ai, *bu);
  if (au != nullptr && bi != nullptr) return std::cmp_equal(*au, *bi);
  return a.v_ == b.v_;
}

std::ostream& operator<<(std::ostream& os, const Value& v) { return os << v.to_json(); }

}  // namespace memvec::kv
