// `memvec-kv dump`: every record of a journal (or of both journals of a
// store) with its log and file offsets, size, type, stored and computed
// checksum, status, and members; --json for machines. Exits 1 when a record
// or a header is damaged.
//
// JSON is streamed record by record (one record object per line inside the
// "records" array), so dumping a large journal needs no more memory than
// its largest record.
#include <cstdio>
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

constexpr std::size_t kTextPayloadWidth = 100;
// One format for the column titles and the rows, so they line up.
constexpr const char* kTitleFormat = "  %6s %10s  %11s %8s  %-9s %-10s  %s\n";
constexpr const char* kRowFormat = "  %6llu %10llu  %11s %8llu  %-9s %-10s  ";

std::string type_name(std::uint8_t t) {
  if (t == kv::kRecordBatch) return "batch";
  if (t == kv::kRecordSnapshot) return "snapshot";
  return "type " + std::to_string(t);
}

bool crc_checked(const RecordInfo& r) {
  return r.status != RecordStatus::partial_header && r.status != RecordStatus::length_past_end;
}

// The members as one JSON object in record order; a null value is an erase.
std::string members_text(const RecordInfo& r) {
  std::string s = "{";
  for (const auto& [key, value] : r.members) {
    if (s.size() > 1) s += ",";
    s += json_string(key) + ":" + value.to_json();
  }
  return s + "}";
}

Value record_json(const RecordInfo& r) {
  Object o;
  o["number"] = r.number;
  o["offset"] = r.offset;
  o["file_offset"] = r.offset + memvec::kHeaderSize;
  o["size"] = r.size;
  o["payload_bytes"] = r.payload_len;
  o["type"] = crc_checked(r) ? Value(type_name(r.type)) : Value();
  o["stored_crc"] = crc_checked(r) ? Value(r.stored_crc) : Value();
  o["computed_crc"] = crc_checked(r) ? Value(r.computed_crc) : Value();
  o["checksum"] = !crc_checked(r)                  ? "not checked"
                  : r.stored_crc == r.computed_crc ? "ok"
                                                   : "mismatch";
  o["status"] = status_text(r.status);
  if (!r.why.empty()) o["why"] = r.why;
  o["after_damage"] = r.after_damage;
  kv::Array members;
  for (const auto& [key, value] : r.members)
    members.push_back(Value::object({{"key", key}, {"value", value}}));
  o["members"] = Value(std::move(members));
  return Value(std::move(o));
}

void print_record(const RecordInfo& r, bool full) {
  char head[128];
  std::snprintf(
      head, sizeof head, kRowFormat, static_cast<unsigned long long>(r.number),
      static_cast<unsigned long long>(r.offset), hex(r.offset + memvec::kHeaderSize, 6).c_str(),
      static_cast<unsigned long long>(r.size), crc_checked(r) ? type_name(r.type).c_str() : "-",
      crc_checked(r) ? hex(r.stored_crc).c_str() : "-");
  std::string status;
  if (r.status != RecordStatus::ok) {
    status = std::string("BAD: ") + status_text(r.status);
    if (r.status == RecordStatus::checksum_mismatch)
      status += " (computed " + hex(r.computed_crc) + ")";
    if (!r.why.empty()) status += ": " + r.why;
    if (r.after_damage) status += "; after the damage";
  } else {
    status = r.after_damage ? "ok, but after the damage: dropped on open  " : "ok  ";
    std::string payload = members_text(r);
    if (!full && payload.size() > kTextPayloadWidth)
      payload = payload.substr(0, kTextPayloadWidth) + "...";
    status += payload;
  }
  std::cout << head << status << "\n";
}

// Dumps one journal; returns whether it is damaged.
bool dump_journal(const std::filesystem::path& path, bool json, bool full, ProgressMode mode) {
  const JournalFile f = open_journal_file(path);
  const HeaderView& h = f.header;
  if (json) {
    Object head;
    head["path"] = path.string();
    head["kind"] = "journal";
    head["header"] = f.header_problem.empty() ? Value("ok") : Value(f.header_problem);
    head["generation"] = h.generation;
    head["epoch"] = h.user_word ? Value(*h.user_word) : Value();
    head["seed"] = f.seed;
    head["log_bytes"] = f.log.size();
    head["missing_bytes"] = f.missing;
    std::string text = Value(std::move(head)).to_json();
    text.pop_back();  // the object stays open for "records"
    std::cout << text << ",\"records\":[";
  } else {
    std::cout << "journal " << path.string() << ": ";
    if (!f.header_problem.empty()) {
      std::cout << "header DAMAGED: " << f.header_problem << "\n";
      std::fprintf(stderr, "memvec-kv dump: %s is damaged: header: %s\n", path.string().c_str(),
                   f.header_problem.c_str());
      return true;
    }
    std::cout << "generation " << h.generation << ", epoch " << hex(h.user_word.value_or(0), 12)
              << ", record seed " << hex(f.seed) << ", " << f.log.size()
              << " log bytes committed\n";
    char titles[128];
    std::snprintf(titles, sizeof titles, kTitleFormat, "record", "log offset", "file offset",
                  "size", "type", "crc", "status");
    std::cout << titles;
  }
  bool first = true;
  Progress progress(mode, "dumping " + path.filename().string(), f.log.size());
  const WalkSummary s = walk_log(
      f.log, f.seed, true,
      [&](const RecordInfo& r) {
        if (!json) return print_record(r, full);
        std::cout << (first ? "\n" : ",\n") << record_json(r).to_json();
        first = false;
      },
      &progress);
  progress.finish();
  const bool damaged = !f.header_problem.empty() || s.bad > 0 || f.missing > 0;
  // stdout may go to a parser or a pager: the damage is said on stderr too.
  if (damaged) {
    std::string what = f.header_problem.empty() ? "" : "header: " + f.header_problem + "; ";
    what += plural(s.bad, "bad record");
    if (s.first_bad)
      what += ", opening drops the " + plural(f.log.size() - s.valid_end, "log byte") +
              " from offset " + std::to_string(*s.first_bad);
    if (f.missing > 0) what += "; " + plural(f.missing, "committed byte") + " missing";
    std::fprintf(stderr, "memvec-kv dump: %s is damaged: %s\n", path.string().c_str(), what.c_str());
  }
  if (json) {
    Object sum;
    sum["records"] = s.records;
    sum["valid"] = s.valid;
    sum["bad"] = s.bad;
    sum["first_bad_offset"] = s.first_bad ? Value(*s.first_bad) : Value();
    sum["valid_end"] = s.valid_end;
    sum["unframed_bytes"] = s.unframed;
    sum["damaged"] = damaged;
    std::cout << "\n],\"summary\":" << Value(std::move(sum)).to_json() << "}";
    return damaged;
  }
  std::cout << plural(s.records, "record") << ": " << s.valid << " replayed on open";
  if (s.first_bad)
    std::cout << ", " << s.bad << " bad; opening keeps log bytes [0, " << s.valid_end
              << ") and drops the " << f.log.size() - s.valid_end << " from offset "
              << *s.first_bad;
  if (f.missing > 0)
    std::cout << "; " << f.missing << " committed bytes missing past the file's end";
  std::cout << "\n";
  return damaged;
}

int run_dump(const Args& args) {
  args.expect_positional(1, 2);
  const Target t = resolve_target(args.positional(), Access::read, false, "dump");
  const bool json = args.flag("json");
  const bool full = args.flag("full");
  const ProgressMode mode = progress_mode(args);
  bool damaged = false;
  if (t.kind == TargetKind::journal) {
    damaged = dump_journal(t.a, json, full, mode);
    if (json) std::cout << "\n";
  } else {
    if (json) std::cout << "{\"kind\":\"store\",\"journals\":[";
    const std::filesystem::path paths[2] = {t.a, t.b};
    for (int i = 0; i < 2; ++i) {
      if (json)
        std::cout << (i == 0 ? "\n" : ",\n");
      else
        std::cout << (i == 0 ? "" : "\n") << "[" << kJournalNames[i] << "] ";
      if (probe(paths[i]).kind == FileKind::blank) {  // a store's spare: no records
        if (json) std::cout << Value::object({{"path", paths[i].string()}, {"kind", "blank"}}).to_json();
        else std::cout << "journal " << paths[i].string() << ": blank spare, no records\n";
        continue;
      }
      damaged |= dump_journal(paths[i], json, full, mode);
    }
    if (json) std::cout << "\n]}\n";
  }
  return damaged ? kExitProblem : kExitOk;
}

constexpr OptionSpec kOptions[] = {
    {"json", false}, {"full", false}, {"progress", false}, {"no-progress", false}};

}  // namespace

extern const Command kDumpCommand{
    "dump",
    "every record: offset, size, type, checksum status, members",
    "usage: memvec-kv dump [--json] [--full] [--progress|--no-progress] TARGET\n\n"
    "Lists every record of the committed log of a journal (of both journals, for a\n"
    "store): record number, log offset (from the end of the 256-byte header), file\n"
    "offset, size (9-byte frame header + payload), type (batch or snapshot), the stored\n"
    "CRC32C and whether it matches, and the members it writes ({\"key\": value}; a null\n"
    "value is an erase). Past a damaged record the walk goes on while the length\n"
    "fields still frame records; those are marked: opening drops them.\n\n"
    "  --json          one JSON document on stdout (records streamed, one per line)\n"
    "  --full          do not shorten long payloads in the text listing\n"
    "  --progress      draw the progress bar on stderr even when it is not a terminal\n"
    "  --no-progress   never draw it\n",
    TargetHelp::journal_or_store,
    "Exit status: 0 every record intact, 1 damage found (or not a journal), 2 usage error.\n",
    kOptions,
    run_dump};

}  // namespace memvec_kv
