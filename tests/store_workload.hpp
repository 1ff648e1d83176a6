// A random store workload for the DoubleBufferedKV<B> tests
// (test_store_*.cpp): operations (set, erase, set_many, clear, compact, sync,
// reopen) drawn from a weighted mix, played on a std::map model or a store.
#pragma once

#include "store_fixture.hpp"

namespace store_fixture {

struct Op {
  enum Kind { set, erase, set_many, clear, compact, sync, reopen } kind = set;
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
    case Op::compact:
      return "compact";
    case Op::sync:
      return "sync";
    case Op::reopen:
      return "reopen";
  }
  return "?";
}

struct Mix {
  int set = 60, erase = 15, set_many = 15, clear = 1, compact = 3, sync = 0, reopen = 0;
  int big = 0;  // a set of a big string value (big_min..big_max bytes)
  int key_space = 40;
  std::size_t value_max = 200;
  std::size_t big_min = 4000, big_max = 9000;
};

class Generator {
 public:
  Generator(std::uint64_t seed, Mix mix) : rng_(seed), mix_(mix) {}

  Op next() {
    Op op;
    const int total = mix_.set + mix_.erase + mix_.set_many + mix_.clear + mix_.compact +
                      mix_.sync + mix_.reopen + mix_.big;
    int r = static_cast<int>(rng_() % static_cast<std::uint64_t>(total));
    if ((r -= mix_.set) < 0) {
      op.key = key();
      op.value = value(0);
    } else if ((r -= mix_.big) < 0) {
      op.key = key();
      const std::size_t n = mix_.big_min + rng_() % (mix_.big_max - mix_.big_min + 1);
      op.value = Value(std::string(n, static_cast<char>('a' + rng_() % 26)));
    } else if ((r -= mix_.erase) < 0) {
      op.kind = Op::erase;
      op.key = key();
    } else if ((r -= mix_.set_many) < 0) {
      op.kind = Op::set_many;
      const std::size_t n = 1 + rng_() % 6;
      for (std::size_t i = 0; i < n; ++i) {
        std::string k = (i > 0 && rng_() % 5 == 0) ? op.items[rng_() % i].first : key();
        op.items.emplace_back(std::move(k), rng_() % 6 == 0 ? Value() : value(0));
      }
    } else if ((r -= mix_.clear) < 0) {
      op.kind = Op::clear;
    } else if ((r -= mix_.compact) < 0) {
      op.kind = Op::compact;
    } else if ((r -= mix_.sync) < 0) {
      op.kind = Op::sync;
    } else {
      op.kind = Op::reopen;
    }
    return op;
  }

 private:
  std::string key() {
    const auto id = std::to_string(rng_() % static_cast<std::uint64_t>(mix_.key_space));
    switch (rng_() % 50) {
      case 0:
        return "";
      case 1:
        return "\xD0\xBA\xD0\xBB\xD1\x8E\xD1\x87-" + id;  // "ключ-"
      case 2:
        return std::string(60, 'x') + id;
      default:
        return "k" + id;
    }
  }
  Value value(int depth) {
    switch (rng_() % 10) {
      case 0:
        return Value(static_cast<std::int64_t>(rng_() % 2000) - 1000);
      case 1:
        return Value(static_cast<std::int64_t>(rng_()));
      case 2:
        return Value(static_cast<double>(rng_() % 100000) / 8.0);
      case 3:
        return Value(rng_() % 2 == 0);
      case 4:
        if (depth == 0) {
          Array a;
          for (std::size_t i = rng_() % 4; i > 0; --i) a.push_back(value(1));
          return Value(std::move(a));
        }
        return Value(nullptr);  // a null inside an array is data
      case 5:
        if (depth == 0) {
          Object o;
          for (std::size_t i = rng_() % 3; i > 0; --i)
            o["f" + std::to_string(rng_() % 9)] = value(1);
          return Value(std::move(o));
        }
        return Value("leaf");
      default: {
        std::string s(rng_() % (mix_.value_max + 1), ' ');
        for (char& c : s) c = static_cast<char>('a' + rng_() % 26);
        return Value(std::move(s));
      }
    }
  }

  Rng rng_;
  Mix mix_;
};

inline void play(Index& m, const std::string& key, const Value& v) {
  if (v.is_null())
    m.erase(key);
  else
    m[key] = v;
}

inline void play(Index& m, const Op& op) {
  switch (op.kind) {
    case Op::set:
      play(m, op.key, op.value);
      break;
    case Op::erase:
      m.erase(op.key);
      break;
    case Op::set_many:
      for (const auto& [k, v] : op.items) play(m, k, v);
      break;
    case Op::clear:
      m.clear();
      break;
    default:
      break;
  }
}

template <class B>
void play(Store<B>& s, const Op& op) {
  switch (op.kind) {
    case Op::set:
      s.set(op.key, op.value);
      break;
    case Op::erase:
      s.erase(op.key);
      break;
    case Op::set_many:
      s.set_many(op.items);
      break;
    case Op::clear:
      s.clear();
      break;
    case Op::compact:
      s.compact();
      break;
    case Op::sync:
      s.sync();
      break;
    case Op::reopen:
      break;  // the caller's
  }
}

}  // namespace store_fixture
