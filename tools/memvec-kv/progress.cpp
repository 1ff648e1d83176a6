// Progress: the bar itself (contract in progress.hpp).
#include "progress.hpp"

#include <unistd.h>

#include <cstdio>

#include "text_format.hpp"

namespace memvec_kv {

namespace {
constexpr auto kDelay = std::chrono::seconds(1);
constexpr auto kRedraw = std::chrono::milliseconds(100);
constexpr int kWidth = 30;
}  // namespace

Progress::Progress(ProgressMode mode, std::string label, std::uint64_t total, std::string unit)
    : mode_(mode),
      label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      tty_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()) {
  if (mode_ == ProgressMode::automatic && !tty_) mode_ = ProgressMode::off;
  if (mode_ == ProgressMode::forced) draw();
}

Progress::~Progress() {
  // An exception unwinding past the bar: end its line so the message that
  // follows starts on a fresh one.
  if (shown_) std::fputc('\n', stderr);
}

void Progress::tick() {
  const auto now = std::chrono::steady_clock::now();
  if (!shown_ && now - start_ < kDelay) return;
  if (shown_ && now - last_draw_ < kRedraw) return;
  draw();
}

void Progress::draw() {
  const double fraction = total_ == 0 ? 1.0
                                      : static_cast<double>(done_ > total_ ? total_ : done_) /
                                            static_cast<double>(total_);
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(kWidth, '.');
  const auto amount = [this](std::uint64_t n) {
    return unit_.empty() ? human_bytes(n) : std::to_string(n);
  };
  const std::string of =
      amount(done_) + " / " + amount(total_) + (unit_.empty() ? "" : " " + unit_);
  // "\r" rewrites the line; on a terminal "\033[K" also clears what a
  // longer previous line left.
  std::fprintf(stderr, "\r%s [%s] %3d%% %s%s", label_.c_str(), bar.c_str(),
               static_cast<int>(fraction * 100), of.c_str(), tty_ ? "\033[K" : "");
  std::fflush(stderr);
  shown_ = true;
  last_draw_ = std::chrono::steady_clock::now();
}

void Progress::finish() {
  if (!shown_) return;
  done_ = total_;
  draw();
  std::fputc('\n', stderr);
  std::fflush(stderr);
  shown_ = false;
}

}  // namespace memvec_kv
