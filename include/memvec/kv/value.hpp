// memvec::kv::Value — the JSON-shaped value stored by the KV journal.
//
// A Value is one of: null, bool, int64, uint64, double, string, array, object.
// It is a plain value type (copyable, movable, compared with ==) that owns its
// children. Strings are byte strings meant to hold UTF-8; the Value itself does
// not check them, BONJSON encoding does (bonjson.hpp).
//
// Construction: Value() and Value(nullptr) are null (a null const char*
// throws); Value(true); Value(42)
// (any integer type: signed -> int64, unsigned -> uint64; char, wchar_t and
// charN_t are rejected at compile time because Value('a') is almost always a
// bug; int8_t/uint8_t are integers); Value(3.5) (float or double); Value("x"),
// Value(std::string), Value(std::string_view); Value(Array), Value(Object).
//
// Containers are built with named factories, never with a braced list on
// Value itself: `Value::array({1, "a", nullptr})`,
// `Value::object({{"k", 1}, {"n", Value::array({2, 3})}})`. Value has no
// initializer_list constructor on purpose: that avoids nlohmann::json's
// classic ambiguities (is `{"k", 1}` a pair or a two-element array? does
// `Value{x}` copy x or wrap it in an array?). A nested container therefore
// says what it is. Value::object keeps the last of duplicate keys.
//
// Object = std::map<std::string, Value, std::less<>>: keys iterate in byte
// order, so to_json() and BONJSON encodings of equal objects are identical
// (deterministic records; the journal can compare encodings) and lookups take
// a std::string_view without allocating.
//
// Integers: type() tells the stored form (int64 or uint64), but the integer
// predicates and accessors go by mathematical value: is_int() means "fits in
// int64" (so as_int() succeeds), is_uint() means "fits in uint64". Equality
// also compares integers by value: Value(int64_t{65535}) ==
// Value(uint64_t{65535}), Value(-1) != Value(UINT64_MAX). An integer never
// equals a double (Value(1) != Value(1.0)), matching the encoding, which
// keeps them apart. Doubles compare with IEEE ==, so 0.0 == -0.0.
//
// Errors: as_*() throw memvec::Error(errc::invalid_argument) when the value is
// not of (or, for integers, not representable in) the requested type.
// Thread-safety: like std::string — concurrent const use is safe.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace memvec::kv {

class Value;
using Array = std::vector<Value>;
using Object = std::map<std::string, Value, std::less<>>;

// The stored alternative; the order is the variant's index order.
enum class Type : std::uint8_t { null, boolean, int64, uint64, float64, string, array, object };

// "null", "bool", "int64", ... for messages.
const char* type_name(Type t) noexcept;

namespace detail {
// Character types are integral but a Value('a') is a bug, not the number 97.
// signed/unsigned char stay integers: they are int8_t/uint8_t.
template <class T>
inline constexpr bool kIsCharType =
    std::is_same_v<T, char> || std::is_same_v<T, wchar_t> || std::is_same_v<T, char8_t> ||
    std::is_same_v<T, char16_t> || std::is_same_v<T, char32_t>;

template <class T>
concept Integer = std::integral<T> && !std::is_same_v<T, bool> && !kIsCharType<T>;
}  // namespace detail

class Value {
 public:
  // --- construction --------------------------------------------------------
  Value() noexcept = default;
  Value(std::nullptr_t) noexcept {}
  // Moves are noexcept so that std::vector<Value> moves, never copies.
  Value(const Value& other) = default;
  Value(Value&& other) noexcept = default;
  Value& operator=(const Value& other) = default;
  Value& operator=(Value&& other) noexcept = default;
  ~Value() = default;

  // A template so that only a real bool binds: pointers and integers would
  // otherwise convert to bool silently.
  template <class T>
  requires std::same_as<T, bool> Value(T b)
  noexcept : v_(std::in_place_type<bool>, b) {}

  // Constructed in place, never emplaced after a default: emplace would
  // destroy "any" alternative first, which is slower and trips g++ 12's
  // -Wmaybe-uninitialized.
  template <detail::Integer T>
  Value(T i) noexcept
      : v_(std::in_place_type<std::conditional_t<std::is_signed_v<T>, std::int64_t, std::uint64_t>>,
           i) {}
  template <class T>
  requires detail::kIsCharType<T> Value(T)
  = delete;  // Value('a'): say Value("a") or Value(int{'a'})

  template <class T>
  requires std::same_as<T, double> || std::same_as<T, float> Value(T d)
  noexcept : v_(std::in_place_type<double>, d) {}

  // A null pointer throws errc::invalid_argument: it is almost always a
  // lookup that failed (set(k, getenv("UNSET"))), and making it a null Value
  // would silently erase the key. Say Value() or nullptr to erase.
  Value(const char* s);
  Value(std::string s) noexcept : v_(std::in_place_type<std::string>, std::move(s)) {}
  Value(std::string_view s) : v_(std::in_place_type<std::string>, s) {}
  Value(Array a) noexcept : v_(std::in_place_type<Array>, std::move(a)) {}
  Value(Object o) noexcept : v_(std::in_place_type<Object>, std::move(o)) {}

  static Value array(std::initializer_list<Value> items = {}) { return Value(Array(items)); }
  // Later duplicates replace earlier ones (as assignment in sequence would).
  static Value object(std::initializer_list<std::pair<std::string, Value>> members = {});

  // --- inspection ------------------------------------------------------------
  Type type() const noexcept { return static_cast<Type>(v_.index()); }

  bool is_null() const noexcept { return type() == Type::null; }
  bool is_bool() const noexcept { return type() == Type::boolean; }
  // By value: true when as_int()/as_uint() would succeed.
  bool is_int() const noexcept {
    const auto* u = std::get_if<std::uint64_t>(&v_);
    return type() == Type::int64 || (u != nullptr && *u <= INT64_MAX);
  }
  bool is_uint() const noexcept {
    const auto* i = std::get_if<std::int64_t>(&v_);
    return type() == Type::uint64 || (i != nullptr && *i >= 0);
  }
  bool is_integer() const noexcept { return type() == Type::int64 || type() == Type::uint64; }
  bool is_double() const noexcept { return type() == Type::float64; }
  bool is_number() const noexcept { return is_integer() || is_double(); }
  bool is_string() const noexcept { return type() == Type::string; }
  bool is_array() const noexcept { return type() == Type::array; }
  bool is_object() const noexcept { return type() == Type::object; }

  // --- access (throw errc::invalid_argument on a type mismatch) ---------------
  bool as_bool() const;
  std::int64_t as_int() const;    // an uint64 <= INT64_MAX too
  std::uint64_t as_uint() const;  // a non-negative int64 too
  // A double, or an integer that converts exactly (3 reads as 3.0, as a
  // config's `timeout: 3` should); an integer a double cannot hold exactly
  // (2^53 + 1) throws rather than read back as a different number.
  double as_double() const;
  const std::string& as_string() const;
  std::string& as_string();
  const Array& as_array() const;
  Array& as_array();
  const Object& as_object() const;
  Object& as_object();

  // The member `key` of an object, or nullptr when absent or not an object.
  const Value* find(std::string_view key) const noexcept;

  // Compact JSON: integers as plain decimals; doubles in the shortest form
  // that reads back exactly, with ".0" added when it would otherwise read as
  // an integer; non-finite doubles (only a caller can make one; encode
  // refuses them) as null, like JSON.stringify. Strings are escaped (", \,
  // control characters as \n... or \u00XX); other bytes, UTF-8 or not, are
  // copied through.
  std::string to_json() const;

  friend bool operator==(const Value& a, const Value& b) noexcept;

 private:
  using Storage = std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double,
                               std::string, Array, Object>;
  Storage v_;
};

// Writes to_json() (for test diagnostics and logging).
std::ostream& operator<<(std::ostream& os, const Value& v);

}  // namespace memvec::kv
