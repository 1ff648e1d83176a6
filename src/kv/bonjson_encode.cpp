// BONJSON encoder: canonical output (see bonjson.hpp), recursion bounded by
// kMaxDepth.
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <string>

#include "memvec/error.hpp"
#include "memvec/kv/bonjson.hpp"
#include "utf8.hpp"

namespace memvec::kv::bonjson {
namespace {

// Thrown inside the encoder; each enclosing container prepends its step to
// `path` while unwinding, so the happy path pays nothing for error locations.
struct Failure {
  std::string reason;
  std::string path;
};

std::string describe_key(std::string_view key) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "[\"";
  const std::size_t shown = key.size() < 40 ? key.size() : 40;
  for (std::size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  if (shown < key.size()) out += "...";
  out += "\"]";
  return out;
}

// The two output buffer types, behind one interface.
struct StringSink {
  std::string& out;
  void put(std::uint8_t b) { out.push_back(static_cast<char>(b)); }
  void put(const void* p, std::size_t n) { out.append(static_cast<const char*>(p), n); }
};
struct BytesSink {
  std::vector<std::byte>& out;
  void put(std::uint8_t b) { out.push_back(static_cast<std::byte>(b)); }
  void put(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::byte*>(p);
    out.insert(out.end(), b, b + n);
  }
};

// The smallest form of an integer: {type code, payload bytes}. Signed wins at
// equal size; unsigned is used only when the value needs the sign bit of the
// signed form (255 -> 70 ff, never 71 ff 00 or 78 ff).
struct IntForm {
  std::uint8_t code;
  unsigned bytes;
};

constexpr IntForm int_form(std::int64_t v) noexcept {
  if (v >= kSmallIntMin && v <= kSmallIntMax) return {static_cast<std::uint8_t>(v), 0};
  for (unsigned n = 1; n < 8; ++n) {
    const std::int64_t half = std::int64_t{1} << (8 * n - 1);
    if (v >= -half && v < half) return {static_cast<std::uint8_t>(kTypeSint + n - 1), n};
    if (v >= 0 && v < 2 * half) return {static_cast<std::uint8_t>(kTypeUint + n - 1), n};
  }
  return {static_cast<std::uint8_t>(kTypeSint + 7), 8};
}

constexpr IntForm uint_form(std::uint64_t u) noexcept {
  if (u <= static_cast<std::uint64_t>(INT64_MAX)) return int_form(static_cast<std::int64_t>(u));
  return {static_cast<std::uint8_t>(kTypeUint + 7), 8};
}

static_assert(int_form(255).code == 0x70 && int_form(65535).code == 0x71);
static_assert(int_form(-129).code == 0x79 && int_form(-256).code == 0x79);
static_assert(int_form(-128).code == 0x78 && int_form(128).code == 0x70);

template <class Sink>
void put_int(Sink& s, IntForm f, std::uint64_t bits) {
  std::uint8_t buf[9];
  buf[0] = f.code;
  for (unsigned i = 0; i < f.bytes; ++i) buf[1 + i] = static_cast<std::uint8_t>(bits >> (8 * i));
  s.put(buf, 1 + f.bytes);
}

// Floats: {type code, payload bytes}, the narrowest form that is exact.
struct FloatForm {
  std::uint8_t code;
  unsigned bytes;
  std::uint64_t bits;  // little-endian payload
};

FloatForm float_form(double d) {
  if (!std::isfinite(d)) throw Failure{"NaN and infinity are not allowed", {}};
  // The range check keeps the double->float conversion defined.
  if (std::fabs(d) <= FLT_MAX) {
    const auto f = static_cast<float>(d);
    if (static_cast<double>(f) == d) {
      const auto bits = std::bit_cast<std::uint32_t>(f);
      if ((bits & 0xFFFFu) == 0) return {kTypeBFloat16, 2, bits >> 16};
      return {kTypeFloat32, 4, bits};
    }
  }
  return {kTypeFloat64, 8, std::bit_cast<std::uint64_t>(d)};
}

// Length field (bonjson.md): payload = length << 1 (continuation bit 0);
// n bytes hold 7n payload bits as (payload << n) | (1 << (n - 1)); a 00 byte
// introduces a full 8-byte payload.
unsigned length_field_size(std::uint64_t length) noexcept {
  const std::uint64_t payload = length << 1;
  for (unsigned n = 1; n <= 8; ++n)
    if (payload < (std::uint64_t{1} << (7 * n))) return n;
  return 9;
}

template <class Sink>
void put_length_field(Sink& s, std::uint64_t length) {
  const std::uint64_t payload = length << 1;
  const unsigned n = length_field_size(length);
  std::uint8_t buf[9];
  if (n == 9) {
    buf[0] = 0;
    for (unsigned i = 0; i < 8; ++i) buf[1 + i] = static_cast<std::uint8_t>(payload >> (8 * i));
  } else {
    const std::uint64_t field = (payload << n) | (std::uint64_t{1} << (n - 1));
    for (unsigned i = 0; i < n; ++i) buf[i] = static_cast<std::uint8_t>(field >> (8 * i));
  }
  s.put(buf, n);
}

template <class Sink>
void put_string(Sink& s, std::string_view str, const char* what) {
  if (const auto err = detail::find_utf8_error(str); err.reason != nullptr)
    throw Failure{std::string(what) + " is not valid UTF-8 (" + err.reason + " at byte " +
                      std::to_string(err.offset) + " of " + std::to_string(str.size()) + ")",
                  {}};
  if (str.size() <= kShortStringMaxLength) {
    s.put(static_cast<std::uint8_t>(kTypeShortString + str.size()));
  } else {
    s.put(kTypeLongString);
    put_length_field(s, str.size());
  }
  s.put(str.data(), str.size());
}

void check_depth(std::size_t depth) {
  if (depth > kMaxDepth)
    throw Failure{"nesting deeper than kMaxDepth (" + std::to_string(kMaxDepth) + ")", {}};
}

// depth: containers open around v.
template <class Sink>
void put_value(Sink& s, const Value& v, std::size_t depth) {
  switch (v.type()) {
    case Type::null:
      s.put(kTypeNull);
      return;
    case Type::boolean:
      s.put(v.as_bool() ? kTypeTrue : kTypeFalse);
      return;
    case Type::int64: {
      const std::int64_t i = v.as_int();
      put_int(s, int_form(i), static_cast<std::uint64_t>(i));
      return;
    }
    case Type::uint64: {
      const std::uint64_t u = v.as_uint();
      put_int(s, uint_form(u), u);
      return;
    }
    case Type::float64: {
      const FloatForm f = float_form(v.as_double());
      put_int(s, IntForm{f.code, f.bytes}, f.bits);
      return;
    }
    case Type::string:
      put_string(s, v.as_string(), "string");
      return;
    case Type::array: {
      check_depth(depth + 1);
      s.put(kTypeArrayStart);
      std::size_t index = 0;
      for (const Value& item : v.as_array()) {
        try {
          put_value(s, item, depth + 1);
        } catch (Failure& f) {
          f.path.insert(0, "[" + std::to_string(index) + "]");
          throw;
        }
        ++index;
      }
      s.put(kTypeContainerEnd);
      return;
    }
    case Type::object: {
      check_depth(depth + 1);
      s.put(kTypeObjectStart);
      for (const auto& [key, item] : v.as_object()) {
        try {
          put_string(s, key, "object key");
          put_value(s, item, depth + 1);
        } catch (Failure& f) {
          f.path.insert(0, describe_key(key));
          throw;
        }
      }
      s.put(kTypeContainerEnd);
      return;
    }
  }
}

std::size_t value_size(const Value& v, std::size_t depth) {
  switch (v.type()) {
    case Type::null:
    case Type::boolean:
      return 1;
    case Type::int64:
      return 1 + int_form(v.as_int()).bytes;
    case Type::uint64:
      return 1 + uint_form(v.as_uint()).bytes;
    case Type::float64:
      return 1 + float_form(v.as_double()).bytes;
    case Type::string: {
      const std::size_t n = v.as_string().size();
      return n <= kShortStringMaxLength ? 1 + n : 1 + length_field_size(n) + n;
    }
    case Type::array: {
      check_depth(depth + 1);
      std::size_t total = 2;
      for (const Value& item : v.as_array()) total += value_size(item, depth + 1);
      return total;
    }
    case Type::object: {
      check_depth(depth + 1);
      std::size_t total = 2;
      for (const auto& [key, item] : v.as_object()) {
        const std::size_t n = key.size();
        total += (n <= kShortStringMaxLength ? 1 + n : 1 + length_field_size(n) + n);
        total += value_size(item, depth + 1);
      }
      return total;
    }
  }
  return 0;
}

[[noreturn]] void raise(const Failure& f) {
  throw Error(errc::invalid_argument, "bonjson::encode: " + f.reason + " at " +
                                          (f.path.empty() ? "the top level" : "$" + f.path));
}

// Runs write(sink); if anything throws, `out` is left as it was.
template <class Sink, class Buffer, class Write>
void append_or_restore(Buffer& out, Write write) {
  const std::size_t before = out.size();
  try {
    Sink sink{out};
    write(sink);
  } catch (const Failure& f) {
    out.resize(before);
    raise(f);
  } catch (...) {
    out.resize(before);
    throw;
  }
}

}  // namespace

void encode(const Value& v, std::string& out) {
  append_or_restore<StringSink>(out, [&](StringSink& s) { put_value(s, v, 0); });
}

void encode(const Value& v, std::vector<std::byte>& out) {
  append_or_restore<BytesSink>(out, [&](BytesSink& s) { put_value(s, v, 0); });
}

std::vector<std::byte> encode(const Value& v) {
  std::vector<std::byte> out;
  encode(v, out);
  return out;
}

void encode_string(std::string_view str, std::string& out) {
  append_or_restore<StringSink>(out, [&](StringSink& s) { put_string(s, str, "string"); });
}

void encode_string(std::string_view str, std::vector<std::byte>& out) {
  append_or_restore<BytesSink>(out, [&](BytesSink& s) { put_string(s, str, "string"); });
}

std::size_t encoded_size(const Value& v) {
  try {
    return value_size(v, 0);
  } catch (const Failure& f) {
    raise(f);
  }
}

}  // namespace memvec::kv::bonjson
