// A ThreadSanitizer user: this program is built with -fsanitize=thread and
// linked against an installed memvec built without it. Threads share one
// DoubleBufferedKV, writing and reading; the store's lock must be visible to
// TSan (inline in the headers, so instrumented here), or every access it
// orders is reported as a race. run.sh runs it with
// TSAN_OPTIONS="halt_on_error=1 exitcode=66": any report fails the test.
#include <cstdio>
#include <filesystem>
#include <memvec/kv.hpp>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

static int run(const fs::path& dir) {
  using memvec::kv::Value;
  memvec::kv::StoreOptions options;
  options.initial_size = 4096;  // small: the writers switch journals often
  auto store = memvec::kv::DoubleBufferedMemMappedKV::open(dir / "tsan_a.kv", dir / "tsan_b.kv",
                                                           options);
  constexpr int kWriters = 2, kReaders = 2, kWrites = 300;
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w)
    threads.emplace_back([&store, w] {
      for (int i = 0; i < kWrites; ++i)
        store.set("k" + std::to_string(w) + "_" + std::to_string(i % 20), i);
    });
  long seen = 0;
  std::vector<long> counts(kReaders);
  for (int r = 0; r < kReaders; ++r)
    threads.emplace_back([&store, &counts, r] {
      for (int i = 0; i < kWrites; ++i) {
        if (store.get("k0_" + std::to_string(i % 20))) ++counts[r];
        counts[r] += static_cast<long>(store.size() > 0);
        (void)store.get_or("absent", 0);
      }
    });
  for (auto& t : threads) t.join();
  for (long c : counts) seen += c;
  if (store.size() != 40 || store.get("k1_19") != Value(kWrites - 1)) return 1;
  std::printf("consumer (ThreadSanitizer): %d threads, %zu keys, %ld reads hit, %llu switches\n",
              kWriters + kReaders, store.size(), seen,
              static_cast<unsigned long long>(store.switch_count()));
  return 0;
}

int main(int argc, char** argv) {
  const fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path();
  fs::remove(dir / "tsan_a.kv");
  fs::remove(dir / "tsan_b.kv");
  const int rc = run(dir);
  fs::remove(dir / "tsan_a.kv");
  fs::remove(dir / "tsan_b.kv");
  return rc;
}
