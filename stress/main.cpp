// memvec-stress: long-running crash, power-cut and corruption campaigns
// against memvec's durability claims (docs/DURABILITY.md), issue 5. The
// unit tests check each claim at fixed seeds in seconds; this program runs
// the same kinds of checks at random, for as long as it is given, and
// prints what it takes to replay anything it finds.
//
// Seeds: every trial derives its own seed from the run seed, its campaign
// and its index, so a run is replayed by its seed and one trial by its own
// seed with --trial-only (the seed picks the trial's variant: seed % 3 for
// --kill and --corrupt, seed % 4 for --power-cut). Campaigns share the time
// budget: the next trial always goes to the campaign that has used the least
// time so far. Exit status: 0 no violation, 1 a violation (or a crash, or a
// trial that threw), 2 bad usage, 130 interrupted.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <system_error>

#include "common.hpp"

namespace {

using stress::hex;
using Clock = std::chrono::steady_clock;

struct Campaign {
  Campaign(const char* f, void (*r)(stress::Trial&), std::uint64_t v)
      : flag(f), run(r), variants(v) {}
  const char* flag;  // also its name in the table
  void (*run)(stress::Trial&);
  std::uint64_t variants;
  std::uint64_t requested = 0;  // 0: not run; UINT64_MAX: until the time is up
  std::uint64_t done = 0, checks = 0, violations = 0, failed_trials = 0;
  double seconds = 0;
  std::map<std::string, std::uint64_t> per_variant, counters;
  std::map<std::string, std::uint64_t> kinds;  // violations by variant and message head
};

Campaign g_campaigns[] = {{"kill", stress::run_kill_trial, 3},
                          {"power-cut", stress::run_power_cut_trial, 4},
                          {"corrupt", stress::run_corrupt_trial, 3}};

volatile sig_atomic_t g_stop = 0;
char g_current[1024] =
    "memvec-stress: crashed outside any trial\n";  // what the crash handler prints

constexpr unsigned kTrialLimit = 300;  // seconds: a trial running longer has hung

// A crash (or a hung trial: SIGALRM) is a violation too: say which trial,
// with async-signal-safe calls only, and exit 1. The trial's files are left
// in the run's temp dir for inspection.
extern "C" void on_crash(int sig) {
  const char head[] = "\nmemvec-stress: VIOLATION: signal ";
  const char hung[] = " (a trial ran for over 300 s: hung?)";
  char num[8];
  int n = 0;
  for (int s = sig; s > 0 && n < 7; s /= 10) num[n++] = static_cast<char>('0' + s % 10);
  (void)!::write(2, head, sizeof head - 1);
  while (n > 0) (void)!::write(2, &num[--n], 1);
  if (sig == SIGALRM) (void)!::write(2, hung, sizeof hung - 1);
  (void)!::write(2, " ", 1);
  (void)!::write(2, g_current, std::strlen(g_current));
  ::_exit(1);
}
extern "C" void on_stop(int) { g_stop = 1; }

void install_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_crash;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGALRM})
    ::sigaction(sig, &sa, nullptr);
  sa.sa_handler = on_stop;
  for (int sig : {SIGINT, SIGTERM}) ::sigaction(sig, &sa, nullptr);
}

std::uint64_t trial_seed(std::uint64_t run_seed, std::size_t campaign, std::uint64_t index,
                         std::uint64_t variants) {
  // The variant rotates with the index and is recoverable from the seed.
  const std::uint64_t d = stress::mix_seed(run_seed ^ stress::mix(campaign + 1), index) >> 2;
  return d / variants * variants + index % variants;
}

std::string replay_command(const Campaign& c, std::uint64_t seed) {
  return std::string("memvec-stress --") + c.flag + " 1 --seed " + hex(seed) + " --trial-only";
}

void print_trial(const Campaign& c, std::uint64_t index, const stress::Trial& t, bool full) {
  std::printf("%s %s trial %llu (%s), trial seed %s\n",
              t.failed() ? "VIOLATION in" : "passed:", c.flag,
              static_cast<unsigned long long>(index), t.variant().c_str(), hex(t.seed()).c_str());
  for (const auto& v : t.violations()) std::printf("  - %s\n", v.c_str());
  std::printf("  replay: %s\n", replay_command(c, t.seed()).c_str());
  if (!full) return;
  std::printf("  history (%zu lines%s):\n", t.history().size(),
              t.history_dropped()
                  ? (", " + std::to_string(t.history_dropped()) + " more dropped").c_str()
                  : "");
  for (const auto& line : t.history()) std::printf("    %s\n", line.c_str());
  std::fflush(stdout);
}

// A violation's kind, for the summary: its message up to the details
// (the first ": " or " ("), numbers folded into "N".
std::string kind_of(const std::string& message) {
  std::string out;
  for (const char ch : message.substr(0, std::min(message.find(": "), message.find(" (")))) {
    if (ch < '0' || ch > '9')
      out += ch;
    else if (out.empty() || out.back() != 'N')
      out += 'N';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// One trial of campaign `ci`, recorded in its totals; prints it if it failed.
bool run_one(std::size_t ci, std::uint64_t index, std::uint64_t seed, bool verbose) {
  Campaign& c = g_campaigns[ci];
  const auto t0 = Clock::now();
  bool failed = false;
  {
    stress::ScratchDir dir(std::string(c.flag) + "-" + std::to_string(index));
    std::snprintf(g_current, sizeof g_current,
                  "in %s trial %llu, trial seed %s; files in %s\n  replay: %s\n", c.flag,
                  static_cast<unsigned long long>(index), hex(seed).c_str(), dir.path().c_str(),
                  replay_command(c, seed).c_str());
    stress::Trial t(seed, dir.path());
    ::alarm(kTrialLimit);
    try {
      c.run(t);
    } catch (const std::exception& e) {
      t.fail(std::string("the trial threw: ") + e.what());
    } catch (...) {
      t.fail("the trial threw something that is not a std::exception");
    }
    ::alarm(0);
    c.checks += t.checks();
    c.violations += t.violations().size();
    ++c.per_variant[t.variant()];
    for (const auto& [k, v] : t.counters()) c.counters[k] += v;
    for (const auto& v : t.violations()) ++c.kinds[t.variant() + ": " + kind_of(v)];
    failed = t.failed();
    if (failed) ++c.failed_trials;
    if (failed || verbose) print_trial(c, index, t, verbose || c.failed_trials <= 5);
  }
  ++c.done;
  c.seconds += std::chrono::duration<double>(Clock::now() - t0).count();
  return !failed;
}

void print_summary(std::uint64_t run_seed, double elapsed, bool timed_out) {
  std::printf("\n%-10s %10s %12s %11s %9s\n", "campaign", "trials", "checks", "violations",
              "seconds");
  std::uint64_t trials = 0, checks = 0, violations = 0;
  for (const Campaign& c : g_campaigns) {
    if (c.requested == 0) continue;
    std::printf("%-10s %10llu %12llu %11llu %9.1f\n", c.flag,
                static_cast<unsigned long long>(c.done), static_cast<unsigned long long>(c.checks),
                static_cast<unsigned long long>(c.violations), c.seconds);
    trials += c.done, checks += c.checks, violations += c.violations;
  }
  std::printf("%-10s %10llu %12llu %11llu %9.1f\n", "total",
              static_cast<unsigned long long>(trials), static_cast<unsigned long long>(checks),
              static_cast<unsigned long long>(violations), elapsed);
  bool unbounded = false;
  for (const Campaign& c : g_campaigns) unbounded |= c.requested == UINT64_MAX;
  std::printf("run seed %s%s\n", hex(run_seed).c_str(),
              g_stop                    ? " (interrupted)"
              : timed_out && !unbounded ? " (--seconds ran out before every requested trial ran)"
                                        : "");
  for (const Campaign& c : g_campaigns) {
    if (c.requested == 0 || c.done == 0) continue;
    std::printf("%s:", c.flag);
    for (const auto& [k, v] : c.per_variant)
      std::printf(" %s %llu;", k.c_str(), static_cast<unsigned long long>(v));
    std::printf("\n");
    for (const auto& [k, v] : c.counters)
      std::printf("  %s: %llu\n", k.c_str(), static_cast<unsigned long long>(v));
    for (const auto& [k, v] : c.kinds)
      std::printf("  VIOLATIONS %s: %llu\n", k.c_str(), static_cast<unsigned long long>(v));
  }
}

int usage(FILE* out, int status) {
  std::fprintf(
      out,
      "usage: memvec-stress [--kill N] [--power-cut N] [--corrupt N] [--seconds S]\n"
      "                     [--seed X [--trial-only]] [--verbose] [--help]\n"
      "  --kill N       N fork + SIGKILL trials (MemVec pushes, journal writes, store writes)\n"
      "  --power-cut N  N simulated power cuts (journal and store, power_loss and process_crash)\n"
      "  --corrupt N    N trials of flipped bytes, zeroed pages and truncations of real files\n"
      "  --seconds S    stop after S seconds; alone, runs every campaign until then\n"
      "  --seed X       the run seed (decimal or 0x hex; random by default)\n"
      "  --trial-only   X is a trial seed: replay that one trial of the one campaign given\n"
      "  --verbose      print every trial with its history\n"
      "Exit status: 0 no violation, 1 a violation, 2 bad usage, 130 interrupted (SIGINT or\n"
      "SIGTERM: the trial under way finishes, then the table is printed). Progress goes to\n"
      "stderr (every second on a terminal, every 10 s otherwise); temp files to a fresh\n"
      "directory under $TMPDIR or /tmp, removed at the end.\n");
  return status;
}

bool parse_u64(const char* s, std::uint64_t& out) {
  if (s == nullptr || *s == '\0' || *s == '-') return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtoull(s, &end, 0);
  return errno == 0 && *end == '\0';
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t seconds = 0, run_seed = 0;
  bool have_seed = false, trial_only = false, verbose = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    std::uint64_t n = 0;
    if (a == "--help" || a == "-h") return usage(stdout, 0);
    if (a == "--trial-only") {
      trial_only = true;
    } else if (a == "--verbose") {
      verbose = true;
    } else if (a == "--seconds" || a == "--seed" || a == "--kill" || a == "--power-cut" ||
               a == "--corrupt") {
      if (!parse_u64(value, n)) {
        std::fprintf(stderr, "memvec-stress: %s needs a number\n", a.c_str());
        return usage(stderr, 2);
      }
      ++i;
      if (a == "--seconds")
        seconds = n;
      else if (a == "--seed")
        run_seed = n, have_seed = true;
      else
        for (Campaign& c : g_campaigns)
          if (a == std::string("--") + c.flag) c.requested = n;
    } else {
      std::fprintf(stderr, "memvec-stress: unknown argument '%s'\n", a.c_str());
      return usage(stderr, 2);
    }
  }
  const auto chosen = std::count_if(std::begin(g_campaigns), std::end(g_campaigns),
                                    [](const Campaign& c) { return c.requested > 0; });
  if (trial_only && (!have_seed || chosen != 1)) {
    std::fprintf(stderr, "memvec-stress: --trial-only needs --seed and exactly one campaign\n");
    return usage(stderr, 2);
  }
  if (chosen == 0 && seconds == 0) return usage(stderr, 2);
  if (chosen == 0)
    for (Campaign& c : g_campaigns) c.requested = UINT64_MAX;
  if (!have_seed) run_seed = (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();

  install_handlers();
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/memvec-stress-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::perror("memvec-stress: mkdtemp");
    return 1;
  }
  stress::set_run_dir(tmpl);

  const auto start = Clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  bool ok = true, cut_short = false;
  if (trial_only) {
    for (std::size_t ci = 0; ci < std::size(g_campaigns); ++ci)
      if (g_campaigns[ci].requested > 0) ok = run_one(ci, 0, run_seed, true);
  } else {
    std::printf("memvec-stress: run seed %s, temp dir %s\n", hex(run_seed).c_str(), tmpl.c_str());
    std::fflush(stdout);
    const bool tty = ::isatty(2) != 0;
    double next_progress = 1;
    for (;;) {
      std::size_t pick = std::size(g_campaigns);
      for (std::size_t ci = 0; ci < std::size(g_campaigns); ++ci) {
        const Campaign& c = g_campaigns[ci];
        if (c.done < c.requested &&
            (pick == std::size(g_campaigns) || c.seconds < g_campaigns[pick].seconds))
          pick = ci;
      }
      if (pick == std::size(g_campaigns)) break;
      if (g_stop || (seconds > 0 && elapsed() >= static_cast<double>(seconds))) {
        cut_short = true;
        break;
      }
      Campaign& c = g_campaigns[pick];
      ok &= run_one(pick, c.done, trial_seed(run_seed, pick, c.done, c.variants), verbose);
      if (elapsed() >= next_progress) {
        std::string line = "memvec-stress: " + std::to_string(static_cast<int>(elapsed())) + " s:";
        std::uint64_t violations = 0;
        for (const Campaign& k : g_campaigns) {
          if (k.requested == 0) continue;
          line += " " + std::string(k.flag) + " " + std::to_string(k.done);
          if (k.requested != UINT64_MAX) line += "/" + std::to_string(k.requested);
          violations += k.violations;
        }
        line += ", violations " + std::to_string(violations);
        std::fprintf(stderr, tty ? "\r%s\033[K" : "%s\n", line.c_str());
        next_progress = elapsed() + (tty ? 1.0 : 10.0);
      }
    }
    if (tty && next_progress > 1) std::fprintf(stderr, "\n");
  }
  print_summary(run_seed, elapsed(), cut_short);
  std::error_code ec;
  std::filesystem::remove_all(tmpl, ec);
  return !ok ? 1 : g_stop ? 130 : 0;
}
