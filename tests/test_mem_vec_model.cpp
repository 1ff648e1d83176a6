// Model-based test of MemVec<uint64_t, B>: 10,000 random operations per
// backend, each applied to the vector and to a std::vector<uint64_t> model,
// compared as they go (size after every step, every element every ~100 steps
// and after every reopen). On the persistent backends some steps close the
// vector and open it again from its bytes. A second run per capped backend
// keeps the vector near its backend's limit: every operation that does not fit
// must throw capacity_exceeded and change nothing.
//
// The seed is printed on failure; rerun one with `--rng-seed <n>`.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "backend_factory.hpp"
#include "memvec/memvec.hpp"
#include "support.hpp"

namespace {

using memvec::errc;
using U64 = std::uint64_t;

constexpr int kSteps = 10000;
constexpr int kFullCheckEvery = 100;
constexpr std::size_t kSoftMax = 4000;  // above this, no step grows the vector

enum Op : int {
  push_back,
  push_back_self,
  emplace_back,
  pop_back,
  insert_one,
  insert_one_self,
  insert_count,
  insert_range,
  insert_range_self,
  insert_init_list,
  erase_one,
  erase_range,
  resize_up,
  resize_down,
  reserve,
  shrink_to_fit,
  clear,
  assign_count,
  assign_range,
  assign_init_list,
  append,
  append_self,
  write_element,
  at_past_end,
  reopen,
  kOpCount
};

// clang-format off
constexpr const char* kOpNames[kOpCount] = {
    "push_back", "push_back_self", "emplace_back", "pop_back",
    "insert_one", "insert_one_self", "insert_count", "insert_range", "insert_range_self",
    "insert_init_list",
    "erase_one", "erase_range",
    "resize_up", "resize_down", "reserve", "shrink_to_fit", "clear",
    "assign_count", "assign_range", "assign_init_list",
    "append", "append_self",
    "write_element", "at_past_end",
    "reopen"};

// Relative frequencies (out of ~400): growing and shrinking steps balance
// around a couple of thousand elements; clear and assign are rare resets.
constexpr int kWeights[kOpCount] = {
    56, 16, 24, 28,          // push_back, push_back_self, emplace_back, pop_back
    24, 12, 16, 16, 12, 8,   // insert_one, _self, _count, _range, _range_self, _init_list
    28, 16,                  // erase_one, erase_range
    12, 12, 8, 8, 1,         // resize_up, resize_down, reserve, shrink_to_fit, clear
    2, 2, 1,                 // assign_count, assign_range, assign_init_list
    12, 8,                   // append, append_self
    20, 8,                   // write_element, at_past_end
    4,                       // reopen (persistent backends only)
};
// clang-format on

unsigned seed_for(unsigned salt) {
  const unsigned chosen = Catch::rngSeed();  // --rng-seed; 0 when not given
  return chosen != 0 ? chosen : 0x5EED0000u + salt;
}

template <class B>
class ModelRun {
 public:
  using Vec = memvec::MemVec<U64, B>;
  static constexpr bool kCanReopen = test::Factory<B>::persistent;

  // limit == 0: a backend with room to spare; otherwise capped at `limit`
  // bytes, and `fits` elements is the most it can hold.
  ModelRun(unsigned seed, std::size_t limit) : rng_(seed), limit_(limit) {
    if constexpr (test::Factory<B>::limited) {
      if (limit_ != 0) {
        v_.emplace(Vec::create(f_.make_limited(0, limit_)));
        fits_ = (limit_ - 256) / sizeof(U64);
        return;
      }
    }
    v_.emplace(Vec::create(f_.make(0)));
  }

  void run() {
    for (step_ = 0; step_ < kSteps; ++step_) {
      const Op op = pick_op();
      ops_[op]++;
      apply(op);
      if (v_->size() != model_.size())
        FAIL("step " << step_ << " (" << kOpNames[op] << "): size " << v_->size() << ", model "
                     << model_.size());
      if (v_->capacity() < v_->size())
        FAIL("step " << step_ << ": capacity " << v_->capacity() << " below size");
      if (step_ % kFullCheckEvery == 0 || op == reopen) check_all(op);
      max_size_seen_ = std::max(max_size_seen_, model_.size());
    }
    check_all(kOpCount);
    REQUIRE(v_->size() == model_.size());
  }

  // Sanity of the run itself: the mix reached every operation it should.
  void check_coverage() const {
    for (int op = 0; op < kOpCount; ++op) {
      if (op == reopen && !kCanReopen) continue;
      INFO(kOpNames[op]);
      CHECK(ops_[op] > 0);
    }
    CHECK(max_size_seen_ > 1000);          // the vector grew past a few pages
    if (limit_ != 0) CHECK(refused_ > 0);  // and the cap was hit
  }

 private:
  std::size_t pick(std::size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }
  std::size_t pick_in(std::size_t lo, std::size_t hi) {  // [lo, hi]
    return std::uniform_int_distribution<std::size_t>(lo, hi)(rng_);
  }
  U64 value() { return rng_(); }
  std::vector<U64> values(std::size_t n) {
    std::vector<U64> out(n);
    for (auto& x : out) x = value();
    return out;
  }

  Op pick_op() {
    for (;;) {
      const auto op = static_cast<Op>(op_dist_(rng_));
      if (op == reopen && !kCanReopen) continue;
      if (grows(op) && model_.size() > kSoftMax) continue;
      return op;
    }
  }
  static bool grows(Op op) {
    switch (op) {
      case push_back:
      case push_back_self:
      case emplace_back:
      case insert_one:
      case insert_one_self:
      case insert_count:
      case insert_range:
      case insert_range_self:
      case insert_init_list:
      case resize_up:
      case reserve:
      case assign_count:
      case assign_range:
      case append:
      case append_self:
        return true;
      default:
        return false;
    }
  }

  // Runs `mutate` on the vector; if it does not fit a capped backend it must
  // throw capacity_exceeded, and then the model stays as it is. `need` is the
  // element count the call asks the backend to hold.
  template <class Mutate, class Model>
  void attempt(Op op, std::size_t need, Mutate&& mutate, Model&& model_step) {
    if (limit_ == 0) {
      mutate();
      model_step();
      return;
    }
    try {
      mutate();
    } catch (const memvec::Error& e) {
      if (e.code() != errc::capacity_exceeded)
        FAIL("step " << step_ << " (" << kOpNames[op] << "): " << e.what());
      if (need <= fits_)
        FAIL("step " << step_ << " (" << kOpNames[op] << "): refused " << need
                     << " elements, the backend holds " << fits_);
      ++refused_;
      check_all(op);  // a failed growth changed nothing
      return;
    }
    if (need > fits_)
      FAIL("step " << step_ << " (" << kOpNames[op] << "): " << need
                   << " elements fit a backend that holds " << fits_);
    model_step();
  }

  void apply(Op op) {
    Vec& v = *v_;
    auto& m = model_;
    const std::size_t n = m.size();
    switch (op) {
      case push_back: {
        const U64 x = value();
        attempt(
            op, n + 1, [&] { v.push_back(x); }, [&] { m.push_back(x); });
        break;
      }
      case push_back_self: {
        if (n == 0) return;
        const std::size_t i = pick(n);
        attempt(
            op, n + 1, [&] { v.push_back(v[i]); }, [&] { m.push_back(m[i]); });
        break;
      }
      case emplace_back: {
        const U64 x = value();
        attempt(
            op, n + 1,
            [&] {
              U64& r = v.emplace_back(x);
              if (r != x || &r != &v.back()) FAIL("emplace_back returned the wrong element");
            },
            [&] { m.push_back(x); });
        break;
      }
      case pop_back: {
        if (n == 0) {
          const auto err = test::error_of([&] { v.pop_back(); });
          if (err != errc::out_of_range)
            FAIL("pop_back on an empty vector did not throw out_of_range");
          return;
        }
        v.pop_back();
        m.pop_back();
        break;
      }
      case insert_one: {
        const std::size_t at = pick(n + 1);
        const U64 x = value();
        attempt(
            op, n + 1,
            [&] {
              const auto it = v.insert(v.begin() + at, x);
              if (it != v.begin() + at) FAIL("insert returned the wrong position");
            },
            [&] { m.insert(m.begin() + at, x); });
        break;
      }
      case insert_one_self: {
        if (n == 0) return;
        const std::size_t at = pick(n + 1);
        const std::size_t src = pick(n);
        attempt(
            op, n + 1, [&] { v.insert(v.begin() + at, v[src]); },
            [&] {
              const U64 x = m[src];
              m.insert(m.begin() + at, x);
            });
        break;
      }
      case insert_count: {
        const std::size_t at = pick(n + 1);
        const std::size_t count = pick(40);
        const bool self = n > 0 && pick(2) == 0;
        const std::size_t src = self ? pick(n) : 0;
        const U64 x = value();
        attempt(
            op, n + count, [&] { v.insert(v.begin() + at, count, self ? v[src] : x); },
            [&] {
              const U64 y = self ? m[src] : x;
              m.insert(m.begin() + at, count, y);
            });
        break;
      }
      case insert_range: {
        const std::size_t at = pick(n + 1);
        const auto items = values(pick(200));
        attempt(
            op, n + items.size(), [&] { v.insert(v.begin() + at, items.begin(), items.end()); },
            [&] { m.insert(m.begin() + at, items.begin(), items.end()); });
        break;
      }
      case insert_range_self: {
        if (n == 0) return;
        const std::size_t a = pick(n);
        const std::size_t b = pick_in(a, std::min(n, a + 200));
        const std::size_t at = pick(n + 1);
        attempt(
            op, n + (b - a), [&] { v.insert(v.begin() + at, v.begin() + a, v.begin() + b); },
            [&] {
              const std::vector<U64> copy(m.begin() + a, m.begin() + b);
              m.insert(m.begin() + at, copy.begin(), copy.end());
            });
        break;
      }
      case insert_init_list: {
        const std::size_t at = pick(n + 1);
        const U64 x = value(), y = value(), z = value();
        attempt(
            op, n + 3,
            [&] {
              v.insert(v.begin() + at, {x, y, z});
            },
            [&] {
              m.insert(m.begin() + at, {x, y, z});
            });
        break;
      }
      case erase_one: {
        if (n == 0) return;
        const std::size_t at = pick(n);
        const auto it = v.erase(v.begin() + at);
        if (it != v.begin() + at) FAIL("erase returned the wrong position");
        m.erase(m.begin() + at);
        break;
      }
      case erase_range: {
        const std::size_t a = pick(n + 1);
        const std::size_t b = pick_in(a, std::min(n, a + 300));
        v.erase(v.begin() + a, v.begin() + b);
        m.erase(m.begin() + a, m.begin() + b);
        break;
      }
      case resize_up: {
        const std::size_t to = n + pick(300);
        if (pick(2) == 0) {
          const U64 x = value();
          attempt(
              op, to, [&] { v.resize(to, x); }, [&] { m.resize(to, x); });
        } else {
          attempt(
              op, to, [&] { v.resize(to); }, [&] { m.resize(to); });
        }
        break;
      }
      case resize_down: {
        const std::size_t to = n - pick(std::min<std::size_t>(n, 400) + 1);
        v.resize(to);
        m.resize(to);
        break;
      }
      case reserve: {
        const std::size_t want = pick(n + 600);
        const std::size_t cap = v.capacity();
        const std::size_t need = want > cap ? want : 0;
        attempt(
            op, need, [&] { v.reserve(want); },
            [&] {
              if (v.capacity() < want)
                FAIL("reserve(" << want << ") left capacity " << v.capacity());
              if (want <= cap && v.capacity() != cap) FAIL("a no-op reserve changed the capacity");
            });
        break;
      }
      case shrink_to_fit: {
        v.shrink_to_fit();
        if (v.capacity() < n) FAIL("shrink_to_fit dropped elements");
        break;
      }
      case clear: {
        const std::size_t cap = v.capacity();
        v.clear();
        m.clear();
        if (v.capacity() != cap) FAIL("clear changed the capacity");
        break;
      }
      case assign_count: {
        const std::size_t count = pick(3000);
        const bool self = n > 0 && pick(2) == 0;
        const std::size_t src = self ? pick(n) : 0;
        const U64 x = value();
        attempt(
            op, count, [&] { v.assign(count, self ? v[src] : x); },
            [&] {
              const U64 y = self ? m[src] : x;
              m.assign(count, y);
            });
        break;
      }
      case assign_range: {
        if (n > 0 && pick(2) == 0) {  // a sub-range of the vector itself
          const std::size_t a = pick(n);
          const std::size_t b = pick_in(a, n);
          attempt(
              op, b - a, [&] { v.assign(v.begin() + a, v.begin() + b); },
              [&] { m = std::vector<U64>(m.begin() + a, m.begin() + b); });
        } else {
          const auto items = values(pick(3000));
          attempt(
              op, items.size(), [&] { v.assign(items.begin(), items.end()); }, [&] { m = items; });
        }
        break;
      }
      case assign_init_list: {
        const U64 x = value(), y = value();
        attempt(
            op, 2,
            [&] {
              v.assign({x, y});
            },
            [&] {
              m.assign({x, y});
            });
        break;
      }
      case append: {
        const auto items = values(pick(240));
        attempt(
            op, n + items.size(), [&] { v.append(items); },
            [&] { m.insert(m.end(), items.begin(), items.end()); });
        break;
      }
      case append_self: {
        const std::size_t a = pick(n + 1);
        const std::size_t b = pick_in(a, std::min(n, a + 150));
        attempt(
            op, n + (b - a), [&] { v.append(v.span().subspan(a, b - a)); },
            [&] {
              const std::vector<U64> copy(m.begin() + a, m.begin() + b);
              m.insert(m.end(), copy.begin(), copy.end());
            });
        break;
      }
      case write_element: {
        if (n == 0) return;
        const std::size_t i = pick(n);
        const U64 x = value();
        if (pick(2) == 0)
          v[i] = x;
        else
          v.at(i) = x;
        m[i] = x;
        break;
      }
      case at_past_end: {
        bool thrown = false;
        try {
          (void)v.at(n + pick(3));
        } catch (const std::out_of_range&) {
          thrown = true;
        }
        if (!thrown) FAIL("at() past the end did not throw std::out_of_range");
        break;
      }
      case reopen: {
        if constexpr (kCanReopen) {
          const std::size_t cap = v.capacity();
          if constexpr (test::Factory<B>::file) v.close();  // unlocks; reports close errors
          v_.reset();
          v_.emplace(Vec::open(f_.reopen()));
          if (v_->capacity() != cap)
            FAIL("reopen changed the capacity from " << cap << " to " << v_->capacity());
        }
        break;
      }
      case kOpCount:
        break;
    }
  }

  void check_all(int op) {
    const Vec& v = *v_;
    if (v.size() != model_.size())
      FAIL("step " << step_ << " (" << (op < kOpCount ? kOpNames[op] : "end") << "): size "
                   << v.size() << ", model " << model_.size());
    const auto bad = std::mismatch(v.begin(), v.end(), model_.begin());
    if (bad.first != v.end())
      FAIL("step " << step_ << " (" << (op < kOpCount ? kOpNames[op] : "end") << "): element "
                   << (bad.first - v.begin()) << " is " << *bad.first << ", model " << *bad.second);
  }

  test::Factory<B> f_;
  std::optional<Vec> v_;
  std::vector<U64> model_;
  std::mt19937_64 rng_;
  std::discrete_distribution<int> op_dist_{std::begin(kWeights), std::end(kWeights)};
  std::size_t limit_ = 0;
  std::size_t fits_ = 0;
  int step_ = 0;
  int ops_[kOpCount] = {};
  std::size_t max_size_seen_ = 0;
  std::size_t refused_ = 0;
};

template <class B>
void run_model(unsigned salt, std::size_t limit = 0) {
  const unsigned seed = seed_for(salt);
  INFO("seed " << seed << " (rerun with --rng-seed " << seed << ")");
  ModelRun<B> run(seed, limit);
  run.run();
  run.check_coverage();
}

}  // namespace

TEST_CASE("mem_vec_model: 10,000 random operations on AnonBackend match std::vector",
          "[mem_vec][model]") {
  run_model<memvec::AnonBackend>(1);
}

TEST_CASE("mem_vec_model: 10,000 random operations and reopens on FileBackend match std::vector",
          "[mem_vec][model]") {
  run_model<memvec::FileBackend>(2);
}

TEST_CASE(
    "mem_vec_model: 10,000 random operations and reopens on MappedFileBackend match "
    "std::vector",
    "[mem_vec][model]") {
  run_model<memvec::MappedFileBackend>(3);
}

TEST_CASE("mem_vec_model: 10,000 random operations and reopens on SpanBackend match std::vector",
          "[mem_vec][model]") {
  run_model<memvec::SpanBackend>(4);  // a 4 MiB buffer: never full
}

TEST_CASE(
    "mem_vec_model: 10,000 random operations on a user-written HeapBackend match "
    "std::vector",
    "[mem_vec][model]") {
  run_model<test::HeapBackend>(5);
}

// Capped at ~3000 elements while the mix pushes toward 4000: many steps do
// not fit, and each must throw capacity_exceeded with nothing changed.
TEST_CASE(
    "mem_vec_model: on a full SpanBackend every step that does not fit throws "
    "capacity_exceeded and changes nothing",
    "[mem_vec][model]") {
  run_model<memvec::SpanBackend>(6, 256 + 8 * 3000 + 100);
}

TEST_CASE(
    "mem_vec_model: on a capped HeapBackend every step that does not fit throws "
    "capacity_exceeded and changes nothing",
    "[mem_vec][model]") {
  run_model<test::HeapBackend>(7, 256 + 8 * 3000 + 100);
}
