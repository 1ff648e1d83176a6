// BONJSON decoder: iterative (an explicit stack of open containers, at most
// kMaxDepth deep), every read bounds-checked against the input span.
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "memvec/error.hpp"
#include "memvec/kv/bonjson.hpp"
#include "utf8.hpp"

namespace memvec::kv::bonjson {
namespace {

std::string hex_byte(std::uint8_t b) {
  static constexpr char kHex[] = "0123456789abcdef";
  return {'0', 'x', kHex[b >> 4], kHex[b & 0xF]};
}

bool is_string_code(std::uint8_t code) noexcept {
  return code == kTypeLongString ||
         (code >= kTypeShortString && code <= kTypeShortString + kShortStringMaxLength);
}

class Decoder {
 public:
  explicit Decoder(std::span<const std::byte> in) noexcept
      : p_(reinterpret_cast<const std::uint8_t*>(in.data())), n_(in.size()) {}

  Value run();
  std::string_view run_string();
  std::size_t position() const noexcept { return pos_; }

 private:
  // An open container. Items live here (not in a Value) until the container
  // ends, so appending needs no variant dispatch; `key` holds an object's
  // pending key between the key and its value.
  struct Frame {
    Array items;
    Object members;
    std::string key;
    std::size_t start;
    bool is_object;
    bool has_key = false;
  };

  [[noreturn]] void fail(std::size_t offset, const std::string& reason) const {
    throw Error(errc::corrupt_data,
                "bonjson::decode: " + reason + " at offset " + std::to_string(offset));
  }

  // Ensures `count` more bytes exist for the value that starts at `at`.
  void need(std::size_t count, std::size_t at, const char* what) const {
    if (n_ - pos_ < count)
      fail(at, std::string("truncated input: ") + what + " needs " + std::to_string(count) +
                   " more bytes, " + std::to_string(n_ - pos_) + " remain");
  }

  std::uint64_t read_le(std::size_t count) noexcept {  // count <= 8, already checked
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < count; ++i) v |= std::uint64_t{p_[pos_ + i]} << (8 * i);
    pos_ += count;
    return v;
  }

  // A view of the string's validated bytes inside the input.
  std::string_view read_string(std::uint8_t code, std::size_t at);
  Value read_float(std::uint8_t code, std::size_t at);
  Value read_int(std::uint8_t code, std::size_t at);
  Value read_scalar(std::uint8_t code, std::size_t at);
  void add(Frame& f, Value&& v);

  const std::uint8_t* p_;
  std::size_t n_;
  std::size_t pos_ = 0;
  std::vector<Frame> stack_;
};

std::string_view Decoder::read_string(std::uint8_t code, std::size_t at) {
  std::uint64_t length;
  if (code != kTypeLongString) {
    length = code - kTypeShortString;
  } else {
    need(1, at, "string length field");
    const std::uint8_t first = p_[pos_];
    std::uint64_t payload;
    if (first == 0) {
      need(9, at, "string length field");
      ++pos_;
      payload = read_le(8);
    } else {
      const auto width = static_cast<std::size_t>(std::countr_zero(first)) + 1;
      need(width, at, "string length field");
      payload = read_le(width) >> width;
    }
    if ((payload & 1) != 0)
      fail(at, "chunked strings (length continuation bit set) are not supported");
    length = payload >> 1;
  }
  // Compared before any allocation: a hostile length costs nothing.
  if (length > n_ - pos_)
    fail(at, "truncated input: string of " + std::to_string(length) + " bytes, " +
                 std::to_string(n_ - pos_) + " remain");
  const std::string_view bytes(reinterpret_cast<const char*>(p_ + pos_),
                               static_cast<std::size_t>(length));
  if (const auto err = detail::find_utf8_error(bytes); err.reason != nullptr)
    fail(pos_ + err.offset, std::string("invalid UTF-8 in string: ") + err.reason);
  pos_ += bytes.size();
  return bytes;
}

Value Decoder::read_float(std::uint8_t code, std::size_t at) {
  double d;
  bool finite;
  if (code == kTypeFloat64) {
    need(8, at, "float64");
    const std::uint64_t bits = read_le(8);
    finite = (bits & 0x7FF0000000000000ull) != 0x7FF0000000000000ull;
    d = std::bit_cast<double>(bits);
  } else {
    const bool bf16 = code == kTypeBFloat16;
    need(bf16 ? 2 : 4, at, bf16 ? "bfloat16" : "float32");
    const auto bits = static_cast<std::uint32_t>(bf16 ? read_le(2) << 16 : read_le(4));
    finite = (bits & 0x7F800000u) != 0x7F800000u;
    d = static_cast<double>(std::bit_cast<float>(bits));
  }
  if (!finite) fail(at, "NaN or infinity (forbidden by BONJSON)");
  return Value(d);
}

Value Decoder::read_int(std::uint8_t code, std::size_t at) {
  const std::size_t width = (code & 7u) + 1;
  const bool is_signed = code >= kTypeSint;
  need(width, at, is_signed ? "signed integer" : "unsigned integer");
  std::uint64_t bits = read_le(width);
  if (is_signed) {
    if (width < 8 && (bits >> (8 * width - 1)) != 0) bits |= ~std::uint64_t{0} << (8 * width);
    return Value(static_cast<std::int64_t>(bits));
  }
  if (bits <= static_cast<std::uint64_t>(INT64_MAX)) return Value(static_cast<std::int64_t>(bits));
  return Value(bits);
}

// Every scalar is built right where it is returned (guaranteed elision):
// std::variant move-assignments are not free and records are small.
Value Decoder::read_scalar(std::uint8_t code, std::size_t at) {
  if (code <= kTypeSmallIntPositiveMax) return Value(std::int64_t{code});
  if (code >= kTypeSmallIntNegativeMin) return Value(std::int64_t{static_cast<std::int8_t>(code)});
  if (code >= kTypeUint && code <= kTypeSint + 7) return read_int(code, at);
  if (is_string_code(code)) return Value(read_string(code, at));
  switch (code) {
    case kTypeBigNumber:
      fail(at, "big number (type code 0x69) is not supported");
    case kTypeBFloat16:
    case kTypeFloat32:
    case kTypeFloat64:
      return read_float(code, at);
    case kTypeNull:
      return Value();
    case kTypeFalse:
      return Value(false);
    case kTypeTrue:
      return Value(true);
    default:
      fail(at, "reserved type code " + hex_byte(code));
  }
}

// Adds a complete value to an open container that expects a value.
void Decoder::add(Frame& f, Value&& v) {
  if (!f.is_object) {
    f.items.push_back(std::move(v));
    return;
  }
  // Encoders emit keys in order, so the hint is usually exact.
  f.members.emplace_hint(f.members.end(), std::move(f.key), std::move(v));
  f.has_key = false;
}

Value Decoder::run() {
  for (;;) {
    const std::size_t at = pos_;
    if (pos_ >= n_) {
      if (stack_.empty()) fail(at, "truncated input: expected a value");
      const Frame& f = stack_.back();
      fail(at, std::string("truncated input: ") + (f.is_object ? "object" : "array") +
                   " opened at offset " + std::to_string(f.start) + " is not closed");
    }
    const std::uint8_t code = p_[pos_++];

    if (code == kTypeArrayStart || code == kTypeObjectStart) {
      if (!stack_.empty() && stack_.back().is_object && !stack_.back().has_key)
        fail(at, "object key is not a string (type code " + hex_byte(code) + ")");
      if (stack_.size() >= kMaxDepth)
        fail(at, "nesting deeper than kMaxDepth (" + std::to_string(kMaxDepth) + ")");
      stack_.push_back(Frame{{}, {}, {}, at, code == kTypeObjectStart});
      continue;
    }

    if (code == kTypeContainerEnd) {
      if (stack_.empty()) fail(at, "container end (0x9b) without an open container");
      Frame& f = stack_.back();
      if (f.has_key) fail(at, "object ends between a key and its value");
      Value done = f.is_object ? Value(std::move(f.members)) : Value(std::move(f.items));
      stack_.pop_back();
      if (stack_.empty()) return done;
      add(stack_.back(), std::move(done));
      continue;
    }

    if (stack_.empty()) return read_scalar(code, at);
    Frame& f = stack_.back();
    if (f.is_object && !f.has_key) {
      if (!is_string_code(code))
        fail(at, "object key is not a string (type code " + hex_byte(code) + ")");
      f.key = read_string(code, at);
      const bool after_last = f.members.empty() || f.members.rbegin()->first < f.key;
      if (!after_last && f.members.contains(f.key)) fail(at, "duplicate object key");
      f.has_key = true;
      continue;
    }
    add(f, read_scalar(code, at));
  }
}

std::string_view Decoder::run_string() {
  if (n_ == 0) fail(0, "truncated input: expected a string");
  const std::uint8_t code = p_[pos_++];
  if (!is_string_code(code)) fail(0, "expected a string, found type code " + hex_byte(code));
  return read_string(code, 0);
}

}  // namespace

std::size_t decode_string_prefix(std::span<const std::byte> in, std::string& out) {
  Decoder decoder(in);
  out = decoder.run_string();
  return decoder.position();
}

std::size_t decode_string_prefix(std::span<const std::byte> in, std::string_view& out) {
  Decoder decoder(in);
  out = decoder.run_string();
  return decoder.position();
}

std::size_t decode_prefix(std::span<const std::byte> in, Value& out) {
  Decoder decoder(in);
  out = decoder.run();  // only after success: out is unchanged on error
  return decoder.position();
}

Value decode(std::span<const std::byte> in) {
  Value v;
  const std::size_t used = decode_prefix(in, v);
  if (used != in.size())
    throw Error(errc::corrupt_data, "bonjson::decode: " + std::to_string(in.size() - used) +
                                        " trailing bytes after the value at offset " +
                                        std::to_string(used));
  return v;
}

Value decode(std::string_view in) {
  return decode(std::as_bytes(std::span<const char>(in.data(), in.size())));
}

}  // namespace memvec::kv::bonjson
