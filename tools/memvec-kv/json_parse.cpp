// parse_json: a recursive-descent JSON reader (contract in json_parse.hpp).
#include "json_parse.hpp"

#include <charconv>
#include <cstdint>
#include <string>

#include <memvec/kv/bonjson.hpp>

namespace memvec_kv {
namespace {

using memvec::kv::Array;
using memvec::kv::Object;
using memvec::kv::Value;

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Value document() {
    Value v = value(0);
    skip_space();
    if (pos_ != s_.size()) fail("text after the value");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw JsonError(what + " at offset " + std::to_string(pos_));
  }
  void skip_space() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  bool consume(char c) {
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!consume(c)) fail(std::string("expected '") + c + "'");
  }
  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  Value value(std::size_t depth) {
    skip_space();
    if (pos_ == s_.size()) fail("unexpected end of text");
    const char c = s_[pos_];
    if (c == '{' || c == '[') {
      if (depth >= memvec::kv::bonjson::kMaxDepth) fail("nesting deeper than 512");
      return c == '{' ? object(depth + 1) : array(depth + 1);
    }
    if (c == '"') return Value(string());
    if (literal("true")) return Value(true);
    if (literal("false")) return Value(false);
    if (literal("null")) return Value(nullptr);
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    fail("not a JSON value");
  }

  Value object(std::size_t depth) {
    ++pos_;  // '{'
    Object o;
    if (consume('}')) return Value(std::move(o));
    do {
      skip_space();
      if (pos_ == s_.size() || s_[pos_] != '"') fail("expected a string key");
      std::string key = string();
      expect(':');
      o.insert_or_assign(std::move(key), value(depth));
    } while (consume(','));
    expect('}');
    return Value(std::move(o));
  }

  Value array(std::size_t depth) {
    ++pos_;  // '['
    Array a;
    if (consume(']')) return Value(std::move(a));
    do a.push_back(value(depth));
    while (consume(','));
    expect(']');
    return Value(std::move(a));
  }

  unsigned hex4() {
    if (s_.size() - pos_ < 4) fail("a short \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<unsigned>(c - 'A' + 10);
      else
        fail("a bad \\u escape");
    }
    return v;
  }

  static void put_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string string() {
    ++pos_;  // '"'
    std::string out;
    for (;;) {
      if (pos_ == s_.size()) fail("an unterminated string");
      const char c = s_[pos_++];
      if (c == '"') break;
      if (static_cast<unsigned char>(c) < 0x20) fail("a control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ == s_.size()) fail("an unterminated escape");
      switch (const char e = s_[pos_++]) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xDC00 && cp <= 0xDFFF) fail("a lone low surrogate");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (!literal("\\u")) fail("a high surrogate without its pair");
            const unsigned low = hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail("a high surrogate without its pair");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          put_utf8(out, cp);
          break;
        }
        default:
          fail("an unknown escape");
      }
    }
    if (!memvec::kv::bonjson::is_valid_utf8(out)) fail("a string that is not UTF-8");
    return out;
  }

  Value number() {
    const std::size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    const auto digits = [&] {
      const std::size_t from = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    const std::size_t int_start = pos_;
    if (digits() == 0) fail("a number without digits");
    if (s_[int_start] == '0' && pos_ - int_start > 1) fail("a number with a leading zero");
    bool is_double = false;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      is_double = true;
      if (digits() == 0) fail("no digits after the decimal point");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      is_double = true;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (digits() == 0) fail("no digits in the exponent");
    }
    const char* first = s_.data() + start;
    const char* last = s_.data() + pos_;
    if (is_double) {
      double d = 0;
      const auto [end, ec] = std::from_chars(first, last, d);
      if (ec != std::errc() || end != last)
        fail("a number out of the double range (overflow or underflow to zero)");
      return Value(d);
    }
    std::int64_t i = 0;
    if (const auto [end, ec] = std::from_chars(first, last, i); ec == std::errc() && end == last)
      return Value(i);
    std::uint64_t u = 0;
    if (const auto [end, ec] = std::from_chars(first, last, u); ec == std::errc() && end == last)
      return Value(u);
    fail("an integer beyond int64/uint64 (write it with an exponent for a double)");
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace

Value parse_json(std::string_view text) { return Parser(text).document(); }

}  // namespace memvec_kv
