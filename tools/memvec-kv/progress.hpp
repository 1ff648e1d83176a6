// Progress: a one-line progress bar on stderr for long walks over big files.
//
// Shown only where a person can see it and only when it is worth it: in
// auto mode, when stderr is a terminal and the work has already taken more
// than a second (so small files never flicker a bar); --progress forces it
// from the start, even into a pipe or a file (scripts and tests). The bar
// never goes to stdout, which carries the command's output.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace memvec_kv {

enum class ProgressMode { automatic, forced, off };

class Progress {
 public:
  // `unit` names what is counted ("keys"); empty counts bytes (KiB, MiB).
  Progress(ProgressMode mode, std::string label, std::uint64_t total, std::string unit = {});
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Cheap enough to call per record: looks at the clock every few thousand
  // calls, redraws at most ten times a second.
  void update(std::uint64_t done) {
    done_ = done;
    if (mode_ != ProgressMode::off && (++calls_ & 0x3FF) == 0) tick();
  }
  // Draws 100% (when the bar was shown) and ends its line.
  void finish();

 private:
  void tick();
  void draw();

  ProgressMode mode_;
  std::string label_;
  std::uint64_t total_;
  std::string unit_;
  std::uint64_t done_ = 0;
  std::uint64_t calls_ = 0;
  bool shown_ = false;
  bool tty_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace memvec_kv
