// Tour, layer 2: the KV journal over a file. The region between the tour
// markers is the README's snippet, verbatim (tests/test_readme.cpp checks
// it). The rest checks what the snippet promises: a reopen replays the
// records (each checked against its CRC32C) into the same keys.
#include <cstdlib>
#include <iostream>

#include <memvec/kv.hpp>

#include "scratch_dir.hpp"

int main() try {
  const tour::ScratchDir dir("memvec-tour-journal");
  {
    // tour:begin
    using namespace memvec::kv;
    auto journal = MemMappedKVJournal::open_or_create(memvec::FileBackend::open("app.kv"));
    journal.set("user", Value::object({{"name", "Alice"}, {"id", 12345}}));
    journal.set_many({{"a", 1}, {"b", 2}, {"user", nullptr}});  // one atomic record; null erases
    if (auto a = journal.get("a")) std::cout << "a = " << *a << '\n';
    std::cout << journal.get_or("timeout", 30).as_double() << " s\n";  // absent: the fallback
    if (journal.recovery().loss != DataLoss::none) { /* opening found damage: reported */ }
    // tour:end
  }
  using namespace memvec::kv;
  const auto journal = MemMappedKVJournal::open(memvec::FileBackend::open("app.kv"));
  const Recovery& r = journal.recovery();
  const bool ok = journal.get_or("timeout", 30).as_double() == 30.0 && journal.size() == 2 &&
                  journal.get("a") == Value(1) && journal.get("b") == Value(2) &&
                  !journal.contains("user") && r.loss == DataLoss::none &&
                  r.records_replayed == 2;
  std::cout << (ok ? "ok" : "FAILED: the reopened journal differs") << '\n';
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
} catch (const std::exception& e) {
  std::cerr << "tour journal: " << e.what() << '\n';
  return EXIT_FAILURE;
}
