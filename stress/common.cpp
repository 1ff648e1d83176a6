// memvec-stress: the shared pieces declared in common.hpp (trial ledger,
// workload, model helpers, scratch directories).
#include "common.hpp"

#include <algorithm>
#include <cstdio>
#include <system_error>

namespace stress {

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// --- Trial ---------------------------------------------------------------------------

void Trial::fail(std::string what) {
  // A broken invariant tends to break many checks at once: the first few
  // say it all.
  if (violations_.size() < 8) violations_.push_back(std::move(what));
}

void Trial::log(std::string line) {
  if (history_.size() < 4000)
    history_.push_back(std::move(line));
  else
    ++history_dropped_;
}

// --- workload ------------------------------------------------------------------------

const char* kind_name(Op::Kind k) noexcept {
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

namespace {

std::string key_for(Rng& rng, int key_space) {
  const std::string id = std::to_string(rng() % static_cast<std::uint64_t>(key_space));
  switch (rng() % 50) {
    case 0:
      return "";
    case 1:
      return "\xD0\xBA\xD0\xBB\xD1\x8E\xD1\x87-" + id;  // "ключ-": UTF-8 keys
    case 2:
      return std::string(60, 'x') + id;  // long keys
    default:
      return "k" + id;
  }
}

Value value_for(Rng& rng, std::uint64_t index, std::uint64_t slot, const Mix& mix) {
  const std::string tag = std::to_string(index) + "." + std::to_string(slot);
  switch (rng() % 9) {
    case 0:
      return Value(static_cast<std::int64_t>(index * 16 + slot) - 5000);
    case 1:
      return Value(static_cast<double>(index) + static_cast<double>(slot) / 16.0 + 0.25);
    case 2:
      return Value::object({{"call", Value(index)}, {"slot", Value(slot)}, {"tag", Value(tag)}});
    case 3:
      return Value::array({Value(index), Value(tag), Value(nullptr), Value(rng() % 2 == 0)});
    case 4:
    case 5: {
      std::string s(rng() % (mix.value_max + 1), ' ');
      for (char& c : s) c = static_cast<char>('a' + rng() % 26);
      return Value(s + "#" + tag);
    }
    default:
      return Value("v" + tag);
  }
}

}  // namespace

Op op_at(std::uint64_t seed, std::uint64_t index, const Mix& mix) {
  Rng rng(mix_seed(seed, index));
  Op op;
  const int total = mix.set + mix.erase + mix.set_many + mix.clear + mix.compact + mix.sync +
                    mix.reopen + mix.big;
  int r = static_cast<int>(rng() % static_cast<std::uint64_t>(total));
  if ((r -= mix.set) < 0) {
    op.items.emplace_back(key_for(rng, mix.key_space), value_for(rng, index, 0, mix));
  } else if ((r -= mix.big) < 0) {
    const std::size_t n = mix.big_min + rng() % (mix.big_max - mix.big_min + 1);
    op.items.emplace_back(
        key_for(rng, mix.key_space),
        Value(std::string(n, static_cast<char>('a' + rng() % 26)) + "#" + std::to_string(index)));
  } else if ((r -= mix.erase) < 0) {
    op.kind = Op::erase;
    op.items.emplace_back(key_for(rng, mix.key_space), Value());
  } else if ((r -= mix.set_many) < 0) {
    op.kind = Op::set_many;
    const std::size_t n = 1 + rng() % 7;
    for (std::size_t s = 0; s < n; ++s) {
      // Repeated keys (the last one wins) and nulls (erases) inside one batch.
      std::string k =
          (s > 0 && rng() % 5 == 0) ? op.items[rng() % s].first : key_for(rng, mix.key_space);
      op.items.emplace_back(std::move(k), rng() % 6 == 0 ? Value() : value_for(rng, index, s, mix));
    }
  } else if ((r -= mix.clear) < 0) {
    op.kind = Op::clear;
  } else if ((r -= mix.compact) < 0) {
    op.kind = Op::compact;
  } else if ((r -= mix.sync) < 0) {
    op.kind = Op::sync;
  } else {
    op.kind = Op::reopen;
  }
  return op;
}

namespace {
std::string brief(const std::string& s, std::size_t n = 40) {
  return s.size() <= n ? s : s.substr(0, n) + "...(" + std::to_string(s.size()) + " bytes)";
}
std::string quoted_key(const std::string& k) { return "\"" + brief(k, 24) + "\""; }
}  // namespace

std::string describe(const Op& op) {
  std::string s = kind_name(op.kind);
  for (std::size_t i = 0; i < op.items.size(); ++i) {
    const auto& [k, v] = op.items[i];
    s += (i == 0 ? " " : ", ") + quoted_key(k);
    if (op.kind != Op::erase) s += v.is_null() ? " (erase)" : " = " + brief(v.to_json());
  }
  return s;
}

void log_ops(Trial& trial, std::uint64_t seed, std::uint64_t first, std::uint64_t count,
             const Mix& mix, const char* label) {
  for (std::uint64_t i = first; i < first + count; ++i)
    trial.log(std::string(label) + " " + std::to_string(i) + ": " + describe(op_at(seed, i, mix)));
}

void apply(Index& m, const Op& op) {
  switch (op.kind) {
    case Op::set:
    case Op::erase:
    case Op::set_many:
      for (const auto& [k, v] : op.items) {
        if (v.is_null())
          m.erase(k);
        else
          m[k] = v;
      }
      break;
    case Op::clear:
      m.clear();
      break;
    default:
      break;
  }
}

void Written::add(const Op& op) {
  for (const auto& [k, v] : op.items)
    if (!v.is_null()) values_[k].push_back(v);
}

bool Written::has(const std::string& key, const Value& v) const {
  const auto it = values_.find(key);
  return it != values_.end() &&
         std::find(it->second.begin(), it->second.end(), v) != it->second.end();
}

std::string Written::strangers(const Index& got) const {
  std::string out;
  int n = 0;
  for (const auto& [k, v] : got)
    if (!has(k, v) && n++ < 4) out += " " + quoted_key(k) + " = " + brief(v.to_json()) + ";";
  return out;
}

std::string describe(const Index& index) {
  std::map<std::string, std::string> sorted;
  for (const auto& [k, v] : index) sorted.emplace(k, v.to_json());
  std::string s = "{";
  std::size_t n = 0;
  for (const auto& [k, v] : sorted) {
    if (++n > 8) {
      s += "...";
      break;
    }
    s += quoted_key(k) + ": " + brief(v, 24) + ", ";
  }
  return s + "} (" + std::to_string(index.size()) + " keys)";
}

std::string diff(const Index& got, const Index& want) {
  std::string out;
  int n = 0;
  for (const auto& [k, v] : want) {
    const auto it = got.find(k);
    if (it == got.end()) {
      if (n++ < 6) out += " lost " + quoted_key(k) + ";";
    } else if (!(it->second == v)) {
      if (n++ < 6)
        out += " " + quoted_key(k) + " = " + brief(it->second.to_json(), 24) + " instead of " +
               brief(v.to_json(), 24) + ";";
    }
  }
  for (const auto& [k, v] : got)
    if (!want.contains(k) && n++ < 6)
      out += " unexpected " + quoted_key(k) + " = " + brief(v.to_json(), 24) + ";";
  if (n > 6) out += " (" + std::to_string(n) + " differences)";
  return out.empty() ? " (equal)" : out;
}

// --- scratch ---------------------------------------------------------------------------

namespace {
std::filesystem::path& run_dir_ref() {
  static std::filesystem::path p;
  return p;
}
}  // namespace

const std::filesystem::path& run_dir() { return run_dir_ref(); }
void set_run_dir(std::filesystem::path p) { run_dir_ref() = std::move(p); }

ScratchDir::ScratchDir(const std::string& name) : path_(run_dir() / name) {
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace stress
