// Tour, layer 3: the double-buffered store over two files. The region
// between the tour markers is the README's snippet, verbatim
// (tests/test_readme.cpp checks it). The rest checks what the snippet
// promises: the threads' writes all landed, the compaction switched
// journals, and a reopen takes the newer journal with every key.
#include <cstdlib>
#include <iostream>
#include <thread>

#include <memvec/kv.hpp>

#include "scratch_dir.hpp"

int main() try {
  const tour::ScratchDir dir("memvec-tour-store");
  {
    // tour:begin
    using namespace memvec::kv;
    auto store = DoubleBufferedMemMappedKV::open("a.kv", "b.kv");
    std::jthread writer([&] { for (int i = 1; i <= 1000; ++i) store.set("hot", i); });
    std::jthread reader([&] { while (store.get("hot") != Value(1000)) std::this_thread::yield(); });
    store.compact();  // live set -> standby, then the switch (writes do it at 80% usage)
    // tour:end
    writer.join();
    reader.join();
    if (store.switch_count() == 0) {
      std::cout << "FAILED: compact() did not switch journals\n";
      return EXIT_FAILURE;
    }
  }
  using namespace memvec::kv;
  const auto store = DoubleBufferedMemMappedKV::open("a.kv", "b.kv");
  const bool ok = store.size() == 1 && store.get("hot") == Value(1000) &&
                  store.generation() >= 2 && store.recovery().loss == DataLoss::none;
  std::cout << "reopened: journal " << "AB"[store.active()] << " active, generation "
            << store.generation() << "; " << (ok ? "ok" : "FAILED") << '\n';
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
} catch (const std::exception& e) {
  std::cerr << "tour store: " << e.what() << '\n';
  return EXIT_FAILURE;
}
