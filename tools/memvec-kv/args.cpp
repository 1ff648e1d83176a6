// Args: the command-line parser (contract in args.hpp).
#include "args.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "errors.hpp"

namespace memvec_kv {

Args::Args(std::span<const std::string> words, std::span<const OptionSpec> spec) {
  bool options_done = false;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    // "-42" and "-0.5" are values (set k -42), not options.
    const bool negative_number = w.size() >= 2 && w[0] == '-' &&
                                 (std::isdigit(static_cast<unsigned char>(w[1])) || w[1] == '.');
    if (options_done || w == "-" || w.size() < 2 || w[0] != '-' || negative_number) {
      positional_.push_back(w);
      continue;
    }
    if (w == "--") {
      options_done = true;
      continue;
    }
    if (w == "-h" || w == "--help") {
      help_ = true;
      continue;
    }
    std::string name;
    if (w.rfind("--", 0) == 0) {
      name = w.substr(2);
    } else {
      const auto it = std::find_if(spec.begin(), spec.end(), [&](const OptionSpec& s) {
        return w.size() == 2 && s.short_name == w[1];
      });
      if (it == spec.end()) throw UsageError("unknown option " + w);
      name = it->name;
    }
    std::optional<std::string> inline_value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    const auto it =
        std::find_if(spec.begin(), spec.end(), [&](const OptionSpec& s) { return s.name == name; });
    if (it == spec.end()) throw UsageError("unknown option --" + name);
    Given g{name, std::nullopt};
    if (it->takes_value) {
      if (inline_value) {
        g.value = std::move(inline_value);
      } else if (i + 1 < words.size()) {
        g.value = words[++i];
      } else {
        throw UsageError("option --" + name + " needs a value");
      }
    } else if (inline_value) {
      throw UsageError("option --" + name + " takes no value");
    }
    given_.push_back(std::move(g));
  }
}

bool Args::flag(std::string_view name) const {
  return std::any_of(given_.begin(), given_.end(), [&](const Given& g) { return g.name == name; });
}

std::optional<std::string> Args::value(std::string_view name) const {
  // The last one given wins, as with most tools.
  for (auto it = given_.rbegin(); it != given_.rend(); ++it)
    if (it->name == name) return it->value;
  return std::nullopt;
}

std::optional<std::uint64_t> Args::size_value(std::string_view name) const {
  const std::optional<std::string> text = value(name);
  if (!text) return std::nullopt;
  std::uint64_t n = 0;
  const char* first = text->data();
  const char* last = first + text->size();
  const auto [end, ec] = std::from_chars(first, last, n);
  std::uint64_t scale = 1;
  if (end + 1 == last) {
    switch (*end) {
      case 'K':
      case 'k':
        scale = 1ull << 10;
        break;
      case 'M':
      case 'm':
        scale = 1ull << 20;
        break;
      case 'G':
      case 'g':
        scale = 1ull << 30;
        break;
      default:
        scale = 0;
    }
  } else if (end != last) {
    scale = 0;
  }
  if (ec != std::errc() || scale == 0 || n > UINT64_MAX / scale)
    throw UsageError("option --" + std::string(name) + ": not a size: " + *text);
  return n * scale;
}

void Args::expect_positional(std::size_t min, std::size_t max) const {
  const std::size_t n = positional_.size();
  if (n < min) throw UsageError("missing arguments");
  if (n > max) throw UsageError("too many arguments (" + positional_[max] + " ...)");
}

}  // namespace memvec_kv
