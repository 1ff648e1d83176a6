// Args: one subcommand's command line, parsed against its table of options.
//
// GNU style: `--name value` or `--name=value`, a few one-letter aliases
// (`-q`), `-h` / `--help` everywhere,
// `--` ends the options, a lone `-` is a positional (stdin / stdout), and
// so is a negative number (`set F k -42`). The
// table is per command so that an option a command does not take is a usage
// error (exit 2) instead of being silently ignored.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace memvec_kv {

struct OptionSpec {
  constexpr OptionSpec(std::string_view n, bool value = false, char alias = 0) noexcept
      : name(n), takes_value(value), short_name(alias) {}
  std::string_view name;  // without the leading "--"
  bool takes_value;
  char short_name;  // e.g. 'q' for -q; 0 for none
};

class Args {
 public:
  // Throws UsageError for an unknown option or a missing value.
  Args(std::span<const std::string> words, std::span<const OptionSpec> spec);

  bool help() const noexcept { return help_; }
  bool flag(std::string_view name) const;
  std::optional<std::string> value(std::string_view name) const;
  // An unsigned integer option (decimal, optional K/M/G suffix for sizes).
  std::optional<std::uint64_t> size_value(std::string_view name) const;
  const std::vector<std::string>& positional() const noexcept { return positional_; }

  // Throws UsageError unless min <= positional().size() <= max.
  void expect_positional(std::size_t min, std::size_t max) const;

 private:
  struct Given {
    std::string name;
    std::optional<std::string> value;
  };
  std::vector<Given> given_;
  std::vector<std::string> positional_;
  bool help_ = false;
};

}  // namespace memvec_kv
