// KVJournal<B>, model-based: 10,000 random steps per backend against a
// std::map (sets, null sets, batches, erases, clears, reopens, writes that
// must be refused, reads of absent keys); a SpanBackend run fills its
// fixed buffer now and then.
//
// The model run's seed is printed on failure; rerun one with `--rng-seed <n>`.
#include "journal_fixture.hpp"

using namespace journal_fixture;

namespace {

constexpr int kModelSteps = 10000;
constexpr int kModelFullCheckEvery = 50;

unsigned model_seed(unsigned salt) {
  const unsigned chosen = Catch::rngSeed();  // --rng-seed; 0 when not given
  return chosen != 0 ? chosen + salt : 0x10C4A100u + salt;
}

class ValueGen {
 public:
  explicit ValueGen(std::uint64_t seed) : rng_(seed) {}

  std::uint64_t below(std::uint64_t n) { return rng_() % n; }
  bool chance(unsigned percent) { return below(100) < percent; }

  std::string utf8(std::size_t max_code_points) {
    std::string s;
    const std::size_t n = below(max_code_points + 1);
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t cp;
      switch (below(6)) {
        case 0:
          cp = static_cast<std::uint32_t>(below(0x80));
          break;  // NUL and controls too
        case 1:
          cp = static_cast<std::uint32_t>(0x80 + below(0x800 - 0x80));
          break;
        case 2:
          cp = static_cast<std::uint32_t>(0x800 + below(0x10000 - 0x800));
          if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
          break;
        case 3:
          cp = static_cast<std::uint32_t>(0x10000 + below(0x110000 - 0x10000));
          break;
        default:
          cp = static_cast<std::uint32_t>('a' + below(26));
          break;
      }
      append_utf8(s, cp);
    }
    return s;
  }

  Value value(int depth = 0) {
    switch (below(depth < 3 ? 11 : 8)) {
      case 0:
        return Value(chance(50));
      case 1:
        return Value(static_cast<std::int64_t>(below(401)) - 200);
      case 2: {
        static const std::int64_t kEdges[] = {std::numeric_limits<std::int64_t>::min(),
                                              std::numeric_limits<std::int64_t>::max(),
                                              -1,
                                              0,
                                              1,
                                              -129,
                                              128,
                                              65535,
                                              -32768,
                                              2147483648LL};
        return chance(50) ? Value(kEdges[below(std::size(kEdges))])
                          : Value(static_cast<std::int64_t>(rng_()));
      }
      case 3:
        return chance(30) ? Value(std::numeric_limits<std::uint64_t>::max())
                          : Value((std::uint64_t{1} << 63) | rng_());
      case 4: {
        double d;
        do d = bits_to_double(rng_());
        while (!std::isfinite(d));
        return chance(50)
                   ? Value(d)
                   : Value(static_cast<double>(static_cast<std::int64_t>(below(2000)) - 1000) / 8);
      }
      case 5:
        return Value(utf8(12));
      case 6: {
        const auto len = static_cast<std::size_t>(below(300));  // in order: the run is
        const auto c = static_cast<char>('a' + below(26));      // the same on every compiler
        return Value(std::string(len, c));
      }
      case 7:
        return Value(utf8(60));
      case 8: {
        Array a;
        for (std::uint64_t i = below(5); i > 0; --i)
          a.push_back(chance(10) ? Value() : value(depth + 1));
        return Value(std::move(a));
      }
      default: {
        Object o;
        for (std::uint64_t i = below(5); i > 0; --i)
          o[utf8(6)] = chance(10) ? Value() : value(depth + 1);
        return Value(std::move(o));
      }
    }
  }

 private:
  static void append_utf8(std::string& s, std::uint32_t cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::mt19937_64 rng_;
};

enum ModelOp : int {
  op_set,
  op_set_null,
  op_set_many,
  op_set_many_list,
  op_erase,
  op_clear,
  op_reopen,
  op_bad_write,
  op_get_absent,
  kModelOpCount
};
constexpr const char* kModelOpNames[kModelOpCount] = {
    "set",   "set null", "set_many",  "set_many (list)", "erase",
    "clear", "reopen",   "bad write", "get absent"};
// Out of 1000.
constexpr int kModelWeights[kModelOpCount] = {480, 40, 140, 40, 200, 4, 16, 40, 40};

template <class B>
class JournalModelRun {
 public:
  JournalModelRun(unsigned seed, std::size_t span_buffer) : gen_(seed) {
    for (int i = 0; i < 150; ++i) keys_.push_back("key-" + std::to_string(i));
    for (const std::string& k :
         {std::string(), kNul1, kNulMid, kNulEnd, std::string("\xF0\x9F\x98\x80"),
          std::string("\"q\\\""), std::string(1000, 'L'), std::string("\xC3\xA9")})
      keys_.push_back(k);
    for (int i = 0; i < 40; ++i) keys_.push_back(gen_.utf8(10));
    if constexpr (std::is_same_v<B, SpanBackend>)
      h_.create_capped(span_buffer, {}, memvec::page_size());
    else
      h_.create(0);
  }

  void run() {
    for (step_ = 0; step_ < kModelSteps; ++step_) {
      const ModelOp op = pick();
      ++counts_[op];
      touched_.reset();
      apply(op);
      auto& j = h_.j();
      if (j.size() != model_.size())
        FAIL("step " << step_ << " (" << kModelOpNames[op] << "): size " << j.size() << ", model "
                     << model_.size());
      if (touched_) {
        const auto got = j.get(*touched_);
        const auto want = model_.find(*touched_);
        const bool same =
            want == model_.end() ? !got.has_value() : (got.has_value() && *got == want->second);
        if (!same)
          FAIL("step " << step_ << " (" << kModelOpNames[op] << "): key " << printable(*touched_)
                       << " reads " << (got ? shown(*got) : "nothing") << ", model "
                       << (want == model_.end() ? "nothing" : shown(want->second)));
      }
      if (op == op_reopen || step_ % kModelFullCheckEvery == 0) full_check(kModelOpNames[op]);
    }
    full_check("the end");
    h_.reopen();
    full_check("the final reopen");
    CHECK(h_.j().recovery().records_replayed == records_);
  }

  int count(ModelOp op) const { return counts_[op]; }
  int capacity_hits() const { return capacity_hits_; }

 private:
  ModelOp pick() {
    int r = static_cast<int>(gen_.below(1000));
    for (int i = 0; i < kModelOpCount; ++i) {
      if (r < kModelWeights[i]) return static_cast<ModelOp>(i);
      r -= kModelWeights[i];
    }
    return op_set;
  }

  const std::string& any_key() { return keys_[gen_.below(keys_.size())]; }
  // An existing key most of the time, so erases and overwrites hit.
  const std::string& some_key() {
    if (!model_.empty() && gen_.chance(60)) {
      auto it = model_.begin();
      std::advance(
          it, static_cast<std::ptrdiff_t>(gen_.below(std::min<std::size_t>(model_.size(), 64))));
      return it->first;
    }
    return any_key();
  }

  // Runs a write; on success applies `to_model` and counts the record. Only
  // the fixed buffer may run out of room: then nothing may have changed, and
  // the run goes on after a clear().
  template <class W, class M>
  void write(W&& w, M&& to_model) {
    auto& j = h_.j();
    const std::size_t used = j.used_bytes();
    const auto code = error_of(w);
    if (!code) {
      to_model();
      ++records_;
      return;
    }
    if (*code != errc::capacity_exceeded || !std::is_same_v<B, SpanBackend>)
      FAIL("step " << step_ << ": a valid write threw errc " << static_cast<int>(*code));
    ++capacity_hits_;
    CHECK(j.used_bytes() == used);
    full_check("a write that did not fit");
    j.clear();
    model_.clear();
    records_ = 0;
  }

  void apply(ModelOp op) {
    auto& j = h_.j();
    switch (op) {
      case op_set: {
        const std::string k = some_key();
        Value v = gen_.value();
        touched_ = k;
        write([&] { j.set(k, v); }, [&] { model_set(k, v); });
        break;
      }
      case op_set_null: {
        const std::string k = some_key();
        touched_ = k;
        write([&] { j.set(k, nullptr); }, [&] { model_.erase(k); });
        break;
      }
      case op_set_many: {
        Items items;
        for (std::uint64_t n = 1 + gen_.below(8); n > 0; --n) {
          std::string k = some_key();
          Value v = gen_.chance(25) ? Value() : gen_.value();
          items.emplace_back(std::move(k), std::move(v));
        }
        if (gen_.chance(50))
          items.push_back({items.front().first, gen_.chance(30) ? Value() : gen_.value()});
        touched_ = items[gen_.below(items.size())].first;
        write([&] { j.set_many(items); },
              [&] {
                for (const auto& [k, v] : items) model_set(k, v);
              });
        break;
      }
      case op_set_many_list: {
        const std::string a = some_key();
        const std::string b = some_key();
        const Value va = gen_.value();
        const Value vb = gen_.chance(50) ? Value() : gen_.value();
        const Value va2 = gen_.chance(30) ? Value() : gen_.value();
        touched_ = a;
        write(
            [&] {
              j.set_many({{a, va}, {b, vb}, {a, va2}});
            },
            [&] {
              model_set(a, va);
              model_set(b, vb);
              model_set(a, va2);
            });
        break;
      }
      case op_erase: {
        const std::string k = some_key();
        touched_ = k;
        write([&] { j.erase(k); }, [&] { model_.erase(k); });
        break;
      }
      case op_clear:
        j.clear();
        model_.clear();
        records_ = 0;
        break;
      case op_reopen: {
        h_.reopen();
        const auto& rec = h_.j().recovery();
        if (rec.loss != DataLoss::none || rec.records_replayed != records_)
          FAIL("step " << step_ << ": reopen replayed " << rec.records_replayed << " of "
                       << records_ << " records, loss " << static_cast<int>(rec.loss) << ": "
                       << rec.reason);
        break;
      }
      case op_bad_write: {
        const std::string k = some_key();
        touched_ = k;
        const std::size_t used = j.used_bytes();
        std::optional<errc> code;
        switch (gen_.below(4)) {
          case 0:
            code = error_of([&] { j.set(k, std::numeric_limits<double>::quiet_NaN()); });
            break;
          case 1:
            code = error_of([&] { j.set(k + "\xFF", 1); });
            break;
          case 2:
            code = error_of([&] { j.set_many({{k, nullptr}, {"\xED\xA0\x80", 1}}); });
            break;
          default:
            code = error_of([&] {
              j.set(k, Value::array(
                           {1, Value::object({{"x", std::numeric_limits<double>::infinity()}})}));
            });
            break;
        }
        if (code != errc::invalid_argument || j.used_bytes() != used)
          FAIL("step " << step_ << ": a bad write gave errc "
                       << (code ? static_cast<int>(*code) : 0) << ", used bytes " << used << " -> "
                       << j.used_bytes());
        break;
      }
      case op_get_absent: {
        std::string k = "absent-" + std::to_string(gen_.below(1000));
        if (j.find(k) != nullptr || j.contains(k) || j.get(k).has_value())
          FAIL("step " << step_ << ": absent key " << k << " found");
        break;
      }
      case kModelOpCount:
        break;
    }
  }

  void model_set(const std::string& k, const Value& v) {
    if (v.is_null())
      model_.erase(k);
    else
      model_[k] = v;
  }

  void full_check(const char* when) {
    const std::string d = diff(h_.j(), model_);
    if (!d.empty()) FAIL("step " << step_ << ", after " << when << ": " << d);
  }

  ValueGen gen_;
  Harness<B> h_;
  Model model_;
  std::vector<std::string> keys_;
  std::optional<std::string> touched_;
  std::uint64_t records_ = 0;
  int step_ = 0;
  int counts_[kModelOpCount] = {};
  int capacity_hits_ = 0;
};

template <class B>
unsigned backend_salt() {
  if constexpr (std::is_same_v<B, AnonBackend>) return 1;
  if constexpr (std::is_same_v<B, FileBackend>) return 2;
  if constexpr (std::is_same_v<B, SpanBackend>) return 3;
  if constexpr (std::is_same_v<B, MappedFileBackend>) return 4;
  return 5;
}

}  // namespace

TEMPLATE_TEST_CASE(
    "journal: 10,000 random writes, erases, clears and reopens match a std::map model",
    "[journal][model]", MEMVEC_ALL_BACKENDS) {
  const unsigned seed = model_seed(backend_salt<TestType>());
  INFO("seed " << seed << " (rerun with --rng-seed " << seed - backend_salt<TestType>() << ")");
  // SpanBackend: a fixed buffer of 7 pages (not a power of two) that the
  // run fills now and then; the other backends grow.
  JournalModelRun<TestType> run(seed, 7 * memvec::page_size());
  run.run();
  INFO("reopens " << run.count(op_reopen) << ", clears " << run.count(op_clear) << ", batches "
                  << run.count(op_set_many) + run.count(op_set_many_list) << ", full buffer "
                  << run.capacity_hits());
  CHECK(run.count(op_reopen) > 50);
  CHECK(run.count(op_clear) > 10);
  if constexpr (std::is_same_v<TestType, SpanBackend>) CHECK(run.capacity_hits() > 0);
}
