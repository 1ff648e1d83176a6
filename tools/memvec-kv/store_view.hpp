// StoreView: a double-buffered store seen from outside — each journal's
// report (journal_file.hpp), the role each plays (active, standby, an
// unfinished compaction, a spare), and what the library makes of the pair
// when it opens them read-only (active journal, live keys, recovery).
//
// The roles follow the store's own rule (store_policy.hpp, choose_active):
// the newest complete generation is active, never the newest file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <memvec/kv/value.hpp>

#include "journal_file.hpp"
#include "target.hpp"

namespace memvec_kv {

inline constexpr const char* kJournalNames[2] = {"A", "B"};

struct StoreView {
  Target target;
  std::vector<JournalReport> journals;  // A, B
  std::string roles[2];
  int active = -1;  // as the library opened it; -1 if it did not
  std::optional<std::size_t> live_keys;
  std::uint64_t generation = 0;
  std::string recovery;    // the store's recovery report
  bool lost = false;       // that report says data was lost (what get and keys refuse)
  std::string open_error;  // when the library refused to open the pair
  bool damaged() const;
};

StoreView inspect_store(const Target& target, ProgressMode mode);
memvec::kv::Object store_json(const StoreView& s);
void print_store_summary(const StoreView& s);

}  // namespace memvec_kv
