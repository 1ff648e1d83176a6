// `memvec-kv verify`: checks every checksum — the header's CRC and commit
// words, every record's CRC32C, type and payload — and reports each problem
// precisely (which record, log and file offset, stored and computed CRC) and
// what opening would keep and drop. Exit 1 on any damage; -q for the exit
// status alone, --json for machines.
#include <iostream>

#include <memvec/kv.hpp>

#include "command.hpp"
#include "errors.hpp"
#include "journal_file.hpp"
#include "store_view.hpp"
#include "target.hpp"
#include "text_format.hpp"

namespace memvec_kv {
namespace {

namespace kv = memvec::kv;
using kv::Object;
using kv::Value;

std::string where(const RecordInfo& r) {
  return "record " + std::to_string(r.number) + " at log offset " + std::to_string(r.offset) +
         " (file offset " + hex(r.offset + memvec::kHeaderSize, 1) + "), " +
         std::to_string(r.size) + " bytes";
}

std::string problem_text(const RecordInfo& r) {
  std::string s = status_text(r.status);
  if (r.status == RecordStatus::checksum_mismatch)
    s += " (stored " + hex(r.stored_crc) + ", computed " + hex(r.computed_crc) + ")";
  if (!r.why.empty()) s += ": " + r.why;
  if (r.status == RecordStatus::partial_header || r.status == RecordStatus::length_past_end)
    s += "; the walk cannot frame anything after it";
  return s;
}

Value journal_json(const JournalReport& r) {
  Object o;
  o["path"] = r.file.path.string();
  o["kind"] = r.blank ? "blank" : "journal";
  o["ok"] = !r.damaged();
  if (r.blank) return Value(std::move(o));
  o["header"] = r.file.header_problem.empty() ? Value("ok") : Value(r.file.header_problem);
  o["log_bytes"] = r.file.log.size();
  o["missing_bytes"] = r.file.missing;
  o["records"] = r.walk.records;
  o["valid_records"] = r.walk.valid;
  o["bad_records"] = r.walk.bad;
  o["first_bad_offset"] = r.walk.first_bad ? Value(*r.walk.first_bad) : Value();
  o["kept_bytes"] = r.walk.valid_end;
  o["dropped_bytes"] = r.file.log.size() - r.walk.valid_end;
  kv::Array bad;
  for (const RecordInfo& rec : r.bad)
    bad.push_back(Value::object({{"number", rec.number},
                                 {"offset", rec.offset},
                                 {"file_offset", rec.offset + memvec::kHeaderSize},
                                 {"size", rec.size},
                                 {"problem", problem_text(rec)}}));
  o["damage"] = Value(std::move(bad));
  o["open_error"] = r.open_error.empty() ? Value() : Value(r.open_error);
  return Value(std::move(o));
}

void print_journal(const JournalReport& r, const std::string& title) {
  auto& out = std::cout;
  out << title << "\n";
  if (r.blank) {
    out << "  result:   OK (blank: nothing to check)\n";
    return;
  }
  if (!r.file.header_problem.empty()) {
    out << "  header:   DAMAGED: " << r.file.header_problem << "\n"
        << "            (the records cannot be checked without a valid header)\n"
        << "  result:   DAMAGED\n";
    return;
  }
  out << "  header:   ok (CRC " << hex(r.file.header.header_crc) << ", commit words, journal v"
      << r.file.header.journal_version << ", generation " << r.file.header.generation << ")\n";
  for (const RecordInfo& rec : r.bad)
    out << "  DAMAGE    " << where(rec) << ": " << problem_text(rec)
        << (rec.after_damage ? " (after the first damage)" : "") << "\n";
  if (r.walk.bad > r.bad.size())
    out << "  ...       " << r.walk.bad - r.bad.size() << " more bad records not listed\n";
  if (!r.dropped.empty())
    out << "  dropped:  " << plural(r.walk.records - r.walk.valid - r.walk.bad, "intact record")
        << " after the damage, which opening drops (first: " << where(r.dropped.front()) << ")\n";
  if (r.file.missing > 0)
    out << "  DAMAGE    the file ends " << r.file.missing
        << " bytes before the committed end of the log (truncated)\n";
  out << "  records:  " << r.walk.valid << " intact";
  if (r.walk.first_bad) out << " before the damage, of " << r.walk.records << " framed";
  out << "; " << r.file.log.size() << " log bytes committed\n";
  if (r.walk.first_bad)
    out << "  opening:  keeps log bytes [0, " << r.walk.valid_end << "), drops "
        << r.file.log.size() - r.walk.valid_end << " bytes from log offset " << *r.walk.first_bad
        << (r.walk.valid == 0 ? " (total loss)" : " (partial loss)") << "\n";
  if (!r.open_error.empty()) out << "  opening:  FAILS: " << r.open_error << "\n";
  out << "  result:   " << (r.damaged() ? "DAMAGED" : "OK") << "\n";
}

int verify_memvec(const Target& t, bool json, bool quiet) {
  const Probe p = probe(t.a);
  auto fb = memvec::FileBackend::open(t.a, {memvec::OpenMode::read_only, 0});
  const std::string problem =
      validate_header_message({std::as_const(fb).data(), fb.size()}, *p.header);
  if (json) {
    std::cout << Value::object({{"path", t.a.string()},
                                {"kind", "memvec"},
                                {"ok", problem.empty()},
                                {"header", problem.empty() ? Value("ok") : Value(problem)}})
                     .to_json()
              << "\n";
  } else if (!quiet) {
    std::cout << "verify " << t.a.string() << ": MemVec file\n"
              << "  header:   " << (problem.empty() ? "ok" : "DAMAGED: " + problem) << "\n"
              << "  elements: not checked (MemVec elements carry no checksum)\n"
              << "  result:   " << (problem.empty() ? "OK" : "DAMAGED") << "\n";
  }
  return problem.empty() ? kExitOk : kExitProblem;
}

int run_verify(const Args& args) {
  args.expect_positional(1, 2);
  const Target t = resolve_target(args.positional(), Access::read, true, "verify");
  const bool json = args.flag("json");
  const bool quiet = args.flag("quiet");
  const ProgressMode mode = progress_mode(args);
  if (t.kind == TargetKind::memvec) return verify_memvec(t, json, quiet);
  if (t.kind == TargetKind::journal) {
    const JournalReport r = inspect_journal(t.a, mode);
    if (json)
      std::cout << journal_json(r).to_json() << "\n";
    else if (!quiet)
      print_journal(r, "verify " + t.a.string() + ": KV journal");
    return r.damaged() ? kExitProblem : kExitOk;
  }
  const StoreView s = inspect_store(t, mode);
  if (json) {
    Object o = store_json(s);
    o["ok"] = !s.damaged();
    o["journals"] = Value::array({journal_json(s.journals[0]), journal_json(s.journals[1])});
    std::cout << Value(std::move(o)).to_json() << "\n";
  } else if (!quiet) {
    std::cout << "verify " << t.name() << "\n";
    if (s.open_error.empty())
      std::cout << "  opens:    active " << kJournalNames[s.active] << " (generation "
                << s.generation << "), " << plural(*s.live_keys, "live key")
                << "; recovery: " << s.recovery << "\n";
    else
      std::cout << "  opens:    NO: " << s.open_error << "\n";
    for (int i = 0; i < 2; ++i)
      print_journal(s.journals[static_cast<std::size_t>(i)],
                    std::string("journal ") + kJournalNames[i] + " (" +
                        s.journals[static_cast<std::size_t>(i)].file.path.string() +
                        "): " + s.roles[i]);
    std::cout << "result:     " << (s.damaged() ? "DAMAGED" : "OK") << "\n";
  }
  return s.damaged() ? kExitProblem : kExitOk;
}

constexpr OptionSpec kOptions[] = {
    {"json", false}, {"quiet", false, 'q'}, {"progress", false}, {"no-progress", false}};

}  // namespace

extern const Command kVerifyCommand{
    "verify",
    "check every checksum; exit 1 and a precise report on damage",
    "usage: memvec-kv verify [--json|-q|--quiet] [--progress|--no-progress] TARGET\n\n"
    "Checks every checksum of TARGET: the header (CRC32C, the three self-checking\n"
    "commit words, versions, byte order, that the file holds every committed byte),\n"
    "then every record of the committed log (CRC32C seeded with the journal's\n"
    "generation and epoch, record type, payload decoding) — the checks opening makes,\n"
    "in its order. Each damaged record is named with its number, log and file offsets,\n"
    "size, stored and computed CRC; then what opening keeps and drops. For a store,\n"
    "both journals and whether the pair opens. For a MemVec file, its header (MemVec\n"
    "elements carry no checksum). Nothing is written.\n\n"
    "  --json          one JSON object on stdout\n"
    "  -q, --quiet     no output: the exit status alone\n"
    "  --progress      draw the progress bar on stderr even when it is not a terminal\n"
    "  --no-progress   never draw it\n",
    TargetHelp::any_memvec_file,
    "Exit status: 0 intact, 1 damage found (or not a memvec file), 2 usage error.\n",
    kOptions,
    run_verify};

}  // namespace memvec_kv
