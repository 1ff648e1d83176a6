// parse_json: JSON text (RFC 8259) to a memvec::kv::Value, for `set`.
//
// The library writes JSON (Value::to_json) but has no reader; the CLI needs
// one so that `memvec-kv set F k '{"a":[1,2.5]}'` stores what it says and
// what `get` prints reads back to the same Value. Numbers keep their kind:
// an integer literal is int64, or uint64 above INT64_MAX, and one beyond
// uint64 is an error (never a silently rounded double); a literal with a
// fraction or an exponent is a double (-0.0 and subnormals included; one
// that overflows or underflows to zero is an error). Duplicate object keys:
// the last wins, as in Value::object. Nesting is capped at the BONJSON
// encoder's depth.
#pragma once

#include <stdexcept>
#include <string_view>

#include <memvec/kv/value.hpp>

namespace memvec_kv {

struct JsonError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws JsonError naming the byte offset of the problem.
memvec::kv::Value parse_json(std::string_view text);

}  // namespace memvec_kv
