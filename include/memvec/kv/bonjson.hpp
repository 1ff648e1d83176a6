// BONJSON encoding of memvec::kv::Value — the value format of the KV journal.
//
// Follows the 2025-04-12 revision of BONJSON (kstenerud/bonjson at 20cc3d1;
// later revisions reassigned the type codes). Every byte of the format is
// named by a constant below, for docs to point to. Encoding is canonical:
// minimal-length integers (signed form preferred at equal size), the
// narrowest exact float (bfloat16, float32, float64), short strings for
// lengths <= 15, object members in key order (Object is a sorted map), so
// equal Values always encode to identical bytes.
//
// Decoding is strict about meaning and liberal about form:
//  - rejected (errc::corrupt_data, what() gives the offset of the offending
//    byte): truncation, trailing bytes (decode() only), reserved codes
//    (65-67, 90-98), big numbers (69, unsupported), NaN/infinity, invalid
//    UTF-8 (overlong forms, surrogates, > U+10FFFF, bad or missing
//    continuation bytes), chunked strings (length field continuation bit),
//    non-string object keys, duplicate object keys, a container end with no
//    open container, an object ending between key and value, nesting deeper
//    than kMaxDepth, a length field larger than the remaining input (checked
//    before allocating anything);
//  - accepted: non-minimal forms (5 as `78 05`, 1.0 as float64, a 3-byte
//    string under `68`, an over-long length field), object members in any
//    key order, U+0000 inside strings. Re-encoding such input gives the
//    canonical form, so encode(decode(b)) may differ from b (never in value).
// Integers in 0..INT64_MAX decode as int64 (Type::int64), larger ones as
// uint64; Value equality compares integers by value, so this never shows.
//
// Decoding is iterative (its stack is a heap vector bounded by kMaxDepth) and
// never reads outside the given span. Encoding recurses at most kMaxDepth
// levels and rejects deeper values.
//
// Encode errors (errc::invalid_argument): NaN/infinite doubles, strings or
// keys that are not valid UTF-8, nesting deeper than kMaxDepth. On any error
// the output buffer is restored to its size before the call.
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "memvec/kv/value.hpp"

namespace memvec::kv::bonjson {

// Type codes (the first byte of every value). Names follow the spec's table.
inline constexpr std::uint8_t kTypeSmallIntPositiveMax = 0x64;  // 00..64: 0..100
inline constexpr std::uint8_t kTypeReservedLowFirst = 0x65;     // 65..67: reserved
inline constexpr std::uint8_t kTypeReservedLowLast = 0x67;
inline constexpr std::uint8_t kTypeLongString = 0x68;  // length field, then bytes
inline constexpr std::uint8_t kTypeBigNumber = 0x69;   // unsupported: rejected
inline constexpr std::uint8_t kTypeBFloat16 = 0x6a;    // upper 2 bytes of a float32
inline constexpr std::uint8_t kTypeFloat32 = 0x6b;
inline constexpr std::uint8_t kTypeFloat64 = 0x6c;
inline constexpr std::uint8_t kTypeNull = 0x6d;
inline constexpr std::uint8_t kTypeFalse = 0x6e;
inline constexpr std::uint8_t kTypeTrue = 0x6f;
inline constexpr std::uint8_t kTypeUint = 0x70;         // 70..77: (code & 7) + 1 bytes
inline constexpr std::uint8_t kTypeSint = 0x78;         // 78..7f: (code & 7) + 1 bytes
inline constexpr std::uint8_t kTypeShortString = 0x80;  // 80..8f: length = code - 80
inline constexpr std::uint8_t kShortStringMaxLength = 15;
inline constexpr std::uint8_t kTypeReservedHighFirst = 0x90;  // 90..98: reserved
inline constexpr std::uint8_t kTypeReservedHighLast = 0x98;
inline constexpr std::uint8_t kTypeArrayStart = 0x99;
inline constexpr std::uint8_t kTypeObjectStart = 0x9a;
inline constexpr std::uint8_t kTypeContainerEnd = 0x9b;
inline constexpr std::uint8_t kTypeSmallIntNegativeMin = 0x9c;  // 9c..ff: -100..-1
inline constexpr std::int64_t kSmallIntMin = -100;
inline constexpr std::int64_t kSmallIntMax = 100;

// The deepest nesting encoded or decoded: a value with kMaxDepth containers
// open at once (e.g. 512 `99` then 512 `9b`) is fine, one more is rejected.
// Scalars have depth 0.
inline constexpr std::size_t kMaxDepth = 512;

// Appends the encoding of v to out.
void encode(const Value& v, std::string& out);
void encode(const Value& v, std::vector<std::byte>& out);
std::vector<std::byte> encode(const Value& v);

// The exact size encode(v) appends (it throws like encode for NaN/infinity
// and depth, but does not validate UTF-8).
std::size_t encoded_size(const Value& v);

// Decodes exactly one value filling all of `in`.
Value decode(std::span<const std::byte> in);
Value decode(std::string_view in);

// Decodes the one value at the start of `in` into out; returns the bytes it
// used. For records inside a larger buffer. On error, out is unchanged.
std::size_t decode_prefix(std::span<const std::byte> in, Value& out);

// A bare string value, for keys written outside a Value (journal records):
// the same bytes as encode(Value(s)), without building a Value. Throws like
// encode (invalid_argument when s is not UTF-8, out restored).
void encode_string(std::string_view s, std::string& out);
void encode_string(std::string_view s, std::vector<std::byte>& out);

// Decodes the string value at the start of `in` into out (any other value is
// corrupt_data); returns the bytes it used. On error, out is unchanged.
std::size_t decode_string_prefix(std::span<const std::byte> in, std::string& out);
// The same, with out viewing the string's bytes inside `in` (no copy).
std::size_t decode_string_prefix(std::span<const std::byte> in, std::string_view& out);

// Whether s is well-formed UTF-8 (what encode and decode require).
bool is_valid_utf8(std::string_view s) noexcept;

}  // namespace memvec::kv::bonjson
