// Shared by the journal fault-injection tests (test_journal_faults_*.cpp):
// a random workload (set, erase, set_many, clear, sync from a weighted mix)
// played on a std::map model or a journal, and small helpers (loss_name,
// describe, image_word, put_length, seconds_since).
#pragma once
#include <catch2/catch.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "backend_factory.hpp"
#include "fault_backend.hpp"
#include "memvec/kv.hpp"
#include "memvec/memvec.hpp"
namespace journal_faults {

using memvec::Durability;
using memvec::errc;
using memvec::errc_name;
using memvec::SpanBackend;
using memvec::kv::Array;
using memvec::kv::DataLoss;
using memvec::kv::Index;
using memvec::kv::JournalOptions;
using memvec::kv::KVJournal;
using memvec::kv::Object;
using memvec::kv::Value;
using test::CutMode;
using test::CutSpec;
using test::FaultBackend;
using test::FaultDisk;
using test::SizePolicy;

using Rng = std::mt19937_64;
using Item = std::pair<std::string, Value>;
using SpanJournal = KVJournal<SpanBackend>;
using FaultJournal = KVJournal<FaultBackend>;
inline constexpr std::size_t kDataOffset = SpanJournal::Log::kSpec.data_offset;

inline const char* loss_name(DataLoss l) {
  switch (l) {
    case DataLoss::none:
      return "none";
    case DataLoss::partial:
      return "partial";
    case DataLoss::total:
      return "total";
  }
  return "?";
}

inline std::string describe(const Index& index) {
  std::map<std::string, std::string> sorted;
  for (const auto& [k, v] : index) sorted.emplace(k, v.to_json());
  std::ostringstream os;
  os << "{";
  for (const auto& [k, v] : sorted) os << '"' << k << "\": " << v.substr(0, 40) << ", ";
  os << "} (" << index.size() << " keys)";
  return os.str();
}

// --- workload ------------------------------------------------------------------

struct Op {
  enum Kind { set, erase, set_many, clear, sync } kind = set;
  std::string key;
  Value value;
  std::vector<Item> items;
};

inline const char* kind_name(Op::Kind k) {
  switch (k) {
    case Op::set:
      return "set";
    case Op::erase:
      return "erase";
    case Op::set_many:
      return "set_many";
    case Op::clear:
      return "clear";
    case Op::sync:
      return "sync";
  }
  return "?";
}

struct Mix {
  int set = 55, erase = 15, set_many = 28, clear = 0, sync = 0;  // weights
  std::size_t big_max = 300;  // longest "big" string value
  int key_space = 60;
};

class Generator {
 public:
  Generator(std::uint64_t seed, Mix mix) : rng_(seed), mix_(mix) {}

  Op next() {
    Op op;
    const int total = mix_.set + mix_.erase + mix_.set_many + mix_.clear + mix_.sync;
    int r = static_cast<int>(rng_() % static_cast<std::uint64_t>(total));
    if ((r -= mix_.set) < 0) {
      op.kind = Op::set;
      op.key = key();
      op.value = value(0);
    } else if ((r -= mix_.erase) < 0) {
      op.kind = Op::erase;
      op.key = key();
    } else if ((r -= mix_.set_many) < 0) {
      op.kind = Op::set_many;
      const std::size_t n = 1 + rng_() % 6;
      for (std::size_t i = 0; i < n; ++i) {
        // Some repeated keys (the last one wins) and some nulls (erases).
        std::string k = (i > 0 && rng_() % 5 == 0) ? op.items[rng_() % i].first : key();
        op.items.emplace_back(std::move(k), rng_() % 6 == 0 ? Value() : value(0));
      }
    } else if ((r -= mix_.clear) < 0) {
      op.kind = Op::clear;
    } else {
      op.kind = Op::sync;
    }
    return op;
  }

 private:
  std::string text(std::size_t n) {
    static const char* const kPieces[] = {"a", "b", "z", "0", " ", "-", "\xC3\xA9", "\xE2\x82\xAC",
                                          "\xF0\x9F\x98\x80", "\"", "\\", "\n"};
    std::string s;
    while (s.size() < n) s += kPieces[rng_() % std::size(kPieces)];
    return s;
  }
  std::string key() {
    const auto id = std::to_string(rng_() % static_cast<std::uint64_t>(mix_.key_space));
    switch (rng_() % 40) {
      case 0:
        return "";
      case 1:
        return "\xD0\xBA\xD0\xBB\xD1\x8E\xD1\x87-" + id;  // "ключ-"
      case 2:
        return std::string(100, 'x') + id;
      default:
        return "k" + id;
    }
  }
  Value value(int depth) {
    switch (rng_() % 12) {
      case 0:
        return Value(static_cast<std::int64_t>(rng_() % 200) - 100);
      case 1:
        return Value(static_cast<std::int64_t>(rng_()));
      case 2:
        return Value(rng_() | (std::uint64_t{1} << 63));
      case 3:
        return Value(static_cast<double>(rng_() % 100000) / 8.0 - 5000.0);
      case 4:
        return Value(rng_() % 2 == 0);
      case 5:
        return Value(text(rng_() % mix_.big_max));
      case 6:
      case 7:
        if (depth < 2) {
          Array a;
          for (std::size_t i = rng_() % 5; i > 0; --i) a.push_back(value(depth + 1));
          return Value(std::move(a));
        }
        return Value(nullptr);  // a null inside a container is data, not an erase
      case 8:
        if (depth < 2) {
          Object o;
          for (std::size_t i = rng_() % 4; i > 0; --i) o[text(1 + rng_() % 6)] = value(depth + 1);
          return Value(std::move(o));
        }
        return Value("leaf");
      default:
        return Value(text(rng_() % 24));
    }
  }

  Rng rng_;
  Mix mix_;
};

inline void apply(Index& m, const std::string& key, const Value& v) {
  if (v.is_null())
    m.erase(key);
  else
    m[key] = v;
}

inline void apply(Index& m, const Op& op) {
  switch (op.kind) {
    case Op::set:
      apply(m, op.key, op.value);
      break;
    case Op::erase:
      m.erase(op.key);
      break;
    case Op::set_many:
      for (const auto& [k, v] : op.items) apply(m, k, v);
      break;
    case Op::clear:
      m.clear();
      break;
    case Op::sync:
      break;
  }
}

template <class B>
void apply(KVJournal<B>& j, const Op& op) {
  switch (op.kind) {
    case Op::set:
      j.set(op.key, op.value);
      break;
    case Op::erase:
      j.erase(op.key);
      break;
    case Op::set_many:
      j.set_many(op.items);
      break;
    case Op::clear:
      j.clear();
      break;
    case Op::sync:
      j.sync();
      break;
  }
}

// The header words of a MemVec image.
inline std::uint64_t image_word(std::span<const std::byte> image, std::size_t offset) {
  return memvec::detail::decode_word(memvec::detail::load_word_raw(image.data(), offset))
      .value_or(~std::uint64_t{0});
}

inline void put_length(std::span<std::byte> image, std::uint64_t length) {
  const std::uint64_t w = memvec::detail::encode_word(length);
  std::memcpy(image.data() + memvec::header_offset::kLengthWord, &w, sizeof w);
}

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace journal_faults
