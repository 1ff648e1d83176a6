// Shared by the KVJournal<B> tests (test_journal_*.cpp): the
// Harness (one journal, its backend's storage, reopen and damage), the
// helpers that compare a journal's contents with a model, and the offsets of
// the journal's header fields (rewritten with reseal_header).
//
// Every test asserts one exact outcome: a call either must succeed or must
// throw one named errc, never "either" (first design defect 10).
//
// "Reopen" means: file backends close the journal and open the file again by
// path; SpanBackend opens the same buffer again; AnonBackend and HeapBackend
// (whose bytes die with them) open a new backend holding a copy of the old
// one's bytes. Damage is done to those stored bytes while the journal is
// closed. Cross-process cases fork; a child never runs Catch2 assertions: it
// reports through its exit code and leaves with _exit.
#pragma once
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "backend_factory.hpp"
#include "memvec/crc32c.hpp"
#include "memvec/kv.hpp"
#include "memvec/memvec.hpp"
#include "support.hpp"

namespace journal_fixture {

namespace fs = std::filesystem;
namespace kv = memvec::kv;
using kv::Array;
using kv::DataLoss;
using kv::JournalOptions;
using kv::Object;
using kv::Value;
using memvec::AnonBackend;
using memvec::errc;
using memvec::FileBackend;
using memvec::MappedFileBackend;
using memvec::OpenMode;
using memvec::SpanBackend;
using test::error_of;
using Model = std::map<std::string, Value>;
using Items = std::vector<std::pair<std::string, Value>>;

inline constexpr std::size_t kDataOffset = 256;  // the journal log's first byte in its backend

using test::reseal_header;
inline constexpr std::size_t kMetaGenerationAt = memvec::header_offset::kUserArea + 8;
inline constexpr std::size_t kMetaCreatedAt = memvec::header_offset::kUserArea + 16;
inline constexpr std::size_t kMetaVersionAt = memvec::header_offset::kUserArea + 0;

// --- the harness: one journal, its backend's storage, reopen and damage ------

template <class B>
class Harness {
 public:
  using J = kv::KVJournal<B>;
  using F = test::Factory<B>;
  static constexpr bool kFile = F::file;
  static constexpr bool kSpan = std::is_same_v<B, SpanBackend>;
  // Anon and Heap bytes die with the backend: a reopen copies them.
  static constexpr bool kCopies = !F::persistent;

  // A fresh journal on a fresh, growable backend of `initial` bytes.
  J& create(std::size_t initial = 0, JournalOptions options = {}) {
    options_ = options;
    limit_ = 0;
    j_.emplace(J::create(f_.make(initial), options));
    return *j_;
  }

  // A fresh journal that can never use more than `limit` backend bytes,
  // header included: a fixed buffer for SpanBackend and HeapBackend,
  // JournalOptions::max_size for the growable ones. The backend starts with
  // `initial` bytes (all of `limit` by default).
  J& create_capped(std::size_t limit, JournalOptions options = {}, std::size_t initial = 0) {
    if (initial == 0) initial = limit;
    limit_ = limit;
    if constexpr (F::limited) {
      options_ = options;
      j_.emplace(J::create(f_.make_limited(initial, limit), options));
    } else {
      options.max_size = limit;
      options_ = options;
      j_.emplace(J::create(f_.make(initial), options));
    }
    return *j_;
  }

  J& j() {
    REQUIRE(j_.has_value());
    return *j_;
  }
  bool is_open() const { return j_.has_value(); }
  const JournalOptions& options() const { return options_; }

  void close() {
    REQUIRE(j_.has_value());
    if constexpr (kCopies) {
      const B& b = j_->log().backend();
      saved_.assign(b.data(), b.data() + b.size());
    }
    if constexpr (requires(J & jj) { jj.close(); }) j_->close();
    j_.reset();
  }

  // Opens the stored bytes again (after close()).
  J& open() { return open_with(options_); }
  J& open_with(JournalOptions options) {
    REQUIRE_FALSE(j_.has_value());
    j_.emplace(J::open(backend_again(), options));
    return *j_;
  }
  J& reopen() {
    close();
    return open();
  }
  // open() that reports the errc it threw instead.
  std::optional<errc> try_open(JournalOptions options) {
    REQUIRE_FALSE(j_.has_value());
    return error_of([&] { j_.emplace(J::open(backend_again(), options)); });
  }

  // The bytes a reopen would see, header included (journal closed).
  std::vector<std::byte> stored() const {
    if constexpr (kFile) {
      return test::read_file(f_.path());
    } else if constexpr (kSpan) {
      const auto s = f_.buffer();
      return {s.begin(), s.end()};
    } else {
      return saved_;
    }
  }
  void store(const std::vector<std::byte>& bytes) {
    REQUIRE_FALSE(j_.has_value());
    if constexpr (kFile) {
      test::write_file(f_.path(), bytes);
    } else if constexpr (kSpan) {
      REQUIRE(bytes.size() == f_.buffers.back().size());
      std::copy(bytes.begin(), bytes.end(), f_.buffers.back().begin());
    } else {
      saved_ = bytes;
    }
  }
  // XORs one byte of the journal's log (an offset into the log, not the file).
  void damage_log(std::size_t log_offset, std::uint8_t mask = 0xFF) {
    auto bytes = stored();
    REQUIRE(kDataOffset + log_offset < bytes.size());
    bytes[kDataOffset + log_offset] ^= std::byte{mask};
    store(bytes);
  }

  const fs::path& path() const requires(kFile) { return f_.path(); }
  F& factory() { return f_; }

 private:
  B backend_again() {
    if constexpr (F::persistent) {
      return f_.reopen();
    } else {
      B b = [&] {
        if constexpr (std::is_same_v<B, test::HeapBackend>)
          return test::HeapBackend(saved_.size(), limit_ == 0 ? SIZE_MAX : limit_);
        else
          return B(saved_.size());
      }();
      if (!saved_.empty()) std::memcpy(b.data(), saved_.data(), saved_.size());
      return b;
    }
  }

  F f_;
  std::optional<J> j_;
  JournalOptions options_;
  std::size_t limit_ = 0;
  std::vector<std::byte> saved_;
};

// The journal's backend bytes as they are now (the journal stays open).
template <class J>
std::vector<std::byte> live_bytes(const J& j) {
  const auto& b = j.log().backend();
  return {b.data(), b.data() + b.size()};
}

// --- contents ------------------------------------------------------------------

inline std::string printable(std::string_view s) {
  std::ostringstream os;
  os << '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '"' && c != '\\') {
      os << c;
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      os << "\\x" << kHex[u >> 4] << kHex[u & 15];
    }
  }
  os << '"';
  if (s.size() > 60) return os.str().substr(0, 60) + "...(" + std::to_string(s.size()) + " bytes)";
  return os.str();
}

inline std::string shown(const Value& v) {
  std::string s = v.to_json();
  return s.size() > 80 ? s.substr(0, 80) + "..." : s;
}

// "" when the journal holds exactly `m` and every read agrees (get, find,
// contains, size, empty, as_hashmap); otherwise the first differences.
template <class J>
std::string diff(const J& j, const Model& m) {
  std::ostringstream os;
  int shown_count = 0;
  const auto note = [&](const std::string& s) {
    if (shown_count++ < 8) os << s << "; ";
  };
  if (j.size() != m.size())
    note("size " + std::to_string(j.size()) + ", model " + std::to_string(m.size()));
  if (j.empty() != m.empty()) note("empty() disagrees");
  const auto map = j.as_hashmap();
  if (map.size() != m.size()) note("as_hashmap().size() " + std::to_string(map.size()));
  for (const auto& [k, v] : m) {
    const auto got = j.find(k);
    if (got == nullptr) {
      note("missing " + printable(k));
      continue;
    }
    if (!(*got == v)) note("key " + printable(k) + " holds " + shown(*got) + ", model " + shown(v));
    if (!j.contains(k)) note("contains(" + printable(k) + ") is false");
    const auto g = j.get(k);
    if (!g || !(*g == v)) note("get(" + printable(k) + ") differs");
    const auto it = map.find(k);
    if (it == map.end() || !(it->second == v))
      note("as_hashmap() differs at " + printable(k));
  }
  for (const auto& [k, v] : j.as_hashmap())
    if (m.find(k) == m.end()) note("extra key " + printable(k) + " = " + shown(v));
  if (shown_count > 8) os << "(" << shown_count << " differences)";
  return os.str();
}

template <class J>
Model contents(const J& j) {
  Model m;
  for (const auto& [k, v] : j.as_hashmap()) m.emplace(k, v);
  return m;
}

// The record a set(key, value) appends, byte for byte in size.
inline std::size_t record_size(std::string_view key, const Value& v) {
  kv::RecordWriter w;
  w.begin(kv::kRecordBatch);
  w.add(key, v);
  return w.finish(0).size();
}

// A key and a string value whose set() record is exactly `bytes` long.
inline std::pair<std::string, Value> record_of_size(std::size_t bytes) {
  for (std::size_t key_len = 1; key_len <= 16; ++key_len) {
    const std::string key(key_len, 'f');
    const std::size_t empty = record_size(key, Value(""));
    if (bytes < empty) break;
    for (std::size_t len = bytes - empty + 1; len-- > 0;) {
      const std::size_t got = record_size(key, Value(std::string(len, 'x')));
      if (got == bytes) return {key, Value(std::string(len, 'x'))};
      if (got < bytes) break;
    }
  }
  FAIL("no set() record of exactly " << bytes << " bytes");
  return {};
}

inline double bits_to_double(std::uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}
inline std::uint64_t double_bits(double d) {
  std::uint64_t u;
  std::memcpy(&u, &d, sizeof u);
  return u;
}

// A value nested `depth` containers deep (arrays and objects alternating).
inline Value nested(int depth) {
  Value v("leaf");
  for (int i = 0; i < depth; ++i)
    v = i % 2 == 0 ? Value::array({v, i}) : Value::object({{"d" + std::to_string(i), v}});
  return v;
}

inline const std::string kNul1("\0", 1);
inline const std::string kNulMid("a\0b", 3);
inline const std::string kNulEnd("key\0", 4);

}  // namespace journal_fixture
