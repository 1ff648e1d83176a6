// StoreView (contract in store_view.hpp).
#include "store_view.hpp"

#include <iostream>

#include <memvec/kv.hpp>

#include "text_format.hpp"

namespace memvec_kv {

namespace kv = memvec::kv;

bool StoreView::damaged() const {
  if (!open_error.empty() || lost) return true;
  for (const JournalReport& r : journals)
    if (r.damaged()) return true;
  return false;
}

StoreView inspect_store(const Target& target, ProgressMode mode) {
  StoreView s{target, {}, {}, -1, std::nullopt, 0, {}, false, {}};
  for (const auto& path : {target.a, target.b}) {
    if (probe(path).kind == FileKind::blank) {
      JournalReport blank;
      blank.file.path = path;
      blank.blank = true;
      s.journals.push_back(std::move(blank));
    } else {
      s.journals.push_back(inspect_journal(path, mode));
    }
  }
  try {
    kv::StoreOptions options;
    options.read_only = true;
    const auto store = kv::DoubleBufferedMemMappedKV::open(target.a, target.b, options);
    s.active = store.active();
    s.live_keys = store.size();
    s.generation = store.generation();
    const kv::Recovery rec = store.recovery();
    s.recovery = rec.loss == kv::DataLoss::none && rec.reason.empty() ? "clean" : rec.reason;
    s.lost = rec.loss != kv::DataLoss::none;
  } catch (const std::system_error& e) {
    s.open_error = error_text(e);
  }
  kv::JournalCandidate cand[2];
  for (int i = 0; i < 2; ++i) {
    const JournalReport& r = s.journals[static_cast<std::size_t>(i)];
    cand[i].readable = !r.blank && r.file.header_problem.empty() && r.open_error.empty();
    cand[i].generation = r.blank ? 0 : r.file.header.generation;
    cand[i].complete = cand[i].generation == 1 || r.first_type == kv::kRecordSnapshot;
  }
  const int chosen = s.active >= 0 ? s.active : kv::choose_active(cand[0], cand[1]);
  for (int i = 0; i < 2; ++i) {
    std::string& role = s.roles[i];
    const std::uint64_t gen = cand[i].generation;
    if (s.journals[static_cast<std::size_t>(i)].blank)
      role = "blank spare (never formatted)";
    else if (!cand[i].readable)
      role = "unreadable";
    else if (i == chosen)
      role = "active";
    else if (gen == 0)
      role = "spare (never held data)";
    else if (chosen >= 0 && gen > cand[chosen].generation)
      role = "an unfinished compaction (generation " + std::to_string(gen) + ", ignored)";
    else
      role = "standby (generation " + std::to_string(gen) + ", older)";
  }
  return s;
}

kv::Object store_json(const StoreView& s) {
  kv::Object o;
  o["kind"] = "store";
  o["path_a"] = s.target.a.string();
  o["path_b"] = s.target.b.string();
  o["active"] = s.active >= 0 ? kv::Value(kJournalNames[s.active]) : kv::Value();
  o["generation"] = s.generation;
  o["live_keys"] = s.live_keys ? kv::Value(*s.live_keys) : kv::Value();
  o["recovery"] = s.recovery;
  o["open_error"] = s.open_error.empty() ? kv::Value() : kv::Value(s.open_error);
  o["roles"] = kv::Value::array({s.roles[0], s.roles[1]});
  o["damaged"] = s.damaged();
  return o;
}

void print_store_summary(const StoreView& s) {
  std::cout << s.target.name() << "\n";
  if (!s.open_error.empty()) {
    std::cout << "  does not open:   " << s.open_error << "\n";
    return;
  }
  std::cout << "  active:          " << kJournalNames[s.active] << " (generation " << s.generation
            << ")\n"
            << "  live keys:       " << *s.live_keys << "\n"
            << "  recovery:        " << s.recovery << "\n";
}

}  // namespace memvec_kv
