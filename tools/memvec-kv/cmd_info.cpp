// `memvec-kv info`: what a journal, a store or a MemVec file is and how full
// it is — format, versions, generation, sizes, usage, high-water mark,
// records and live keys — in text or --json. Exits 1 when it sees damage
// (with a pointer to `verify`, which says exactly where).
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

const char* byte_order(const HeaderView& h) {
  if (h.endianness == memvec::kEndianLittle) return "little-endian";
  if (h.endianness == memvec::kEndianBig) return "big-endian";
  return "unknown byte order";
}

const char* record_type_name(std::uint8_t t) {
  return t == kv::kRecordBatch ? "batch" : t == kv::kRecordSnapshot ? "snapshot" : "none";
}

std::string recovery_text(const JournalReport& r) {
  if (!r.open_error.empty()) return "does not open: " + r.open_error;
  if (!r.recovery) return "-";
  if (r.recovery->loss == kv::DataLoss::none) return "clean";
  return std::string(r.recovery->loss == kv::DataLoss::partial ? "partial" : "total") +
         " loss: " + r.recovery->reason;
}

Object journal_json(const JournalReport& r) {
  const HeaderView& h = r.file.header;
  Object o;
  o["path"] = r.file.path.string();
  o["kind"] = r.blank ? "blank" : "journal";
  if (r.blank) return o;
  o["header"] = r.file.header_problem.empty() ? Value("ok") : Value(r.file.header_problem);
  o["memvec_format_version"] = h.format_version;
  o["journal_format_version"] = h.journal_version;
  o["byte_order"] = byte_order(h);
  o["generation"] = h.generation;
  o["epoch"] = h.user_word ? Value(*h.user_word) : Value();
  o["created_unix_ns"] = h.created_unix_ns;
  o["file_bytes"] = h.file_size;
  o["log_bytes"] = r.file.log.size();
  o["log_capacity_bytes"] = r.file.capacity;
  o["missing_bytes"] = r.file.missing;
  o["high_water_mark_bytes"] = r.high_water_mark ? Value(*r.high_water_mark) : Value();
  o["records"] = r.walk.records;
  o["bad_records"] = r.walk.bad;
  o["first_record_type"] = record_type_name(r.first_type);
  o["live_keys"] = r.live_keys ? Value(*r.live_keys) : Value();
  o["recovery"] = recovery_text(r);
  o["damaged"] = r.damaged();
  return o;
}

void print_journal(const JournalReport& r, const std::string& indent) {
  const HeaderView& h = r.file.header;
  auto& out = std::cout;
  const auto row = [&](const char* name, const std::string& value) {
    out << indent << name << std::string(17 - std::string(name).size(), ' ') << value << "\n";
  };
  if (r.blank) {
    row("state:", "blank: a spare the store formats when it compacts into it");
    return;
  }
  if (!r.file.header_problem.empty()) {
    row("header:", "DAMAGED: " + r.file.header_problem);
    row("file size:", std::to_string(h.file_size) + " bytes");
    return;
  }
  row("format:", "MemVec v" + std::to_string(h.format_version) + " (" + byte_order(h) +
                     "), journal v" + std::to_string(h.journal_version));
  row("generation:", std::to_string(h.generation));
  row("epoch:", hex(h.user_word.value_or(0), 12));
  row("created:", utc_time(h.created_unix_ns));
  row("file size:", std::to_string(h.file_size) + " bytes (" + human_bytes(h.file_size) + ")");
  row("log:", std::to_string(r.file.log.size()) + " of " + std::to_string(r.file.capacity) +
                  " bytes used (" + percent(r.file.log.size(), r.file.capacity) + ")");
  if (r.file.missing > 0)
    row("missing:", std::to_string(r.file.missing) + " committed bytes past the end of the file");
  if (r.high_water_mark)
    row("high-water mark:", std::to_string(*r.high_water_mark) +
                                " bytes at ratio 0.8 (the default; not kept in the file)" +
                                (r.file.log.size() >= *r.high_water_mark ? ": reached" : ""));
  row("records:",
      std::to_string(r.walk.records) +
          (r.walk.records > 0 ? std::string(" (first: ") + record_type_name(r.first_type) + ")"
                              : "") +
          (r.walk.bad > 0 ? ", " + std::to_string(r.walk.bad) + " bad" : ""));
  row("live keys:", r.live_keys ? std::to_string(*r.live_keys) : "-");
  row("recovery:", recovery_text(r));
}

// stdout may go to a parser or a pager: the damage is said on stderr too.
void warn_damaged(const std::string& name, const std::string& what) {
  std::fprintf(stderr, "memvec-kv info: %s is damaged: %s (`memvec-kv verify` says where)\n",
               name.c_str(), what.c_str());
}

int info_memvec(const Target& t, bool json) {
  const Probe p = probe(t.a);
  const HeaderView& h = *p.header;
  auto fb = memvec::FileBackend::open(t.a, {memvec::OpenMode::read_only, 0});
  const std::string problem = validate_header_message({std::as_const(fb).data(), fb.size()}, h);
  const std::uint64_t length = h.length.value_or(0);
  const std::uint64_t capacity = h.capacity.value_or(0);
  std::string tag = hex(h.type_tag, 16);
  if (const std::string text = tag_text(h.type_tag); !text.empty()) tag += " \"" + text + "\"";
  if (json) {
    Object o;
    o["path"] = t.a.string();
    o["kind"] = "memvec";
    o["header"] = problem.empty() ? Value("ok") : Value(problem);
    o["format_version"] = h.format_version;
    o["byte_order"] = byte_order(h);
    o["elem_size"] = h.elem_size;
    o["elem_align"] = h.elem_align;
    o["type_tag"] = h.type_tag;
    o["data_offset"] = h.data_offset;
    o["length"] = h.length ? Value(length) : Value();
    o["capacity"] = h.capacity ? Value(capacity) : Value();
    o["user_word"] = h.user_word ? Value(*h.user_word) : Value();
    o["file_bytes"] = h.file_size;
    o["damaged"] = !problem.empty();
    std::cout << Value(std::move(o)).to_json() << "\n";
  } else {
    std::cout << t.a.string() << ": MemVec file\n";
    const auto row = [](const char* name, const std::string& value) {
      std::cout << "  " << name << std::string(14 - std::string(name).size(), ' ') << value << "\n";
    };
    row("format:", "MemVec v" + std::to_string(h.format_version) + " (" + byte_order(h) + ")");
    row("element:",
        std::to_string(h.elem_size) + " bytes, alignment " + std::to_string(h.elem_align));
    row("type tag:", h.type_tag == 0 ? tag + " (none)" : tag);
    row("data offset:", std::to_string(h.data_offset));
    row("length:", h.length ? std::to_string(length) + " elements (" +
                                  std::to_string(length * h.elem_size) + " bytes)"
                            : "word fails its check");
    row("capacity:",
        h.capacity ? std::to_string(capacity) + " elements (" + percent(length, capacity) + " used)"
                   : "word fails its check");
    row("user word:", h.user_word ? std::to_string(*h.user_word) : "fails its check");
    row("file size:", std::to_string(h.file_size) + " bytes (" + human_bytes(h.file_size) + ")");
    row("header:", problem.empty() ? "ok (elements carry no checksum)" : "DAMAGED: " + problem);
  }
  return problem.empty() ? kExitOk : kExitProblem;
}

int run_info(const Args& args) {
  args.expect_positional(1, 2);
  const Target t = resolve_target(args.positional(), Access::read, true, "info");
  const bool json = args.flag("json");
  const ProgressMode mode = progress_mode(args);
  if (t.kind == TargetKind::memvec) return info_memvec(t, json);
  if (t.kind == TargetKind::journal) {
    const JournalReport r = inspect_journal(t.a, mode);
    if (json) {
      std::cout << Value(journal_json(r)).to_json() << "\n";
    } else {
      std::cout << t.a.string() << ": KV journal\n";
      print_journal(r, "  ");
    }
    if (r.damaged()) warn_damaged(t.a.string(), recovery_text(r));
    return r.damaged() ? kExitProblem : kExitOk;
  }
  const StoreView s = inspect_store(t, mode);
  if (json) {
    Object o = store_json(s);
    kv::Array journals;
    for (const JournalReport& r : s.journals) journals.emplace_back(journal_json(r));
    o["journals"] = Value(std::move(journals));
    std::cout << Value(std::move(o)).to_json() << "\n";
  } else {
    print_store_summary(s);
    for (int i = 0; i < 2; ++i) {
      std::cout << "journal " << kJournalNames[i] << " (" << s.journals[i].file.path.string()
                << "): " << s.roles[i] << "\n";
      print_journal(s.journals[i], "  ");
    }
  }
  if (s.damaged()) {
    std::string what = s.open_error.empty() ? s.recovery : "does not open: " + s.open_error;
    for (int i = 0; i < 2; ++i)
      if (s.journals[i].damaged())
        what += std::string("; journal ") + kJournalNames[i] + ": " + recovery_text(s.journals[i]);
    warn_damaged(t.name(), what);
  }
  return s.damaged() ? kExitProblem : kExitOk;
}

constexpr OptionSpec kOptions[] = {{"json", false}, {"progress", false}, {"no-progress", false}};

}  // namespace

extern const Command kInfoCommand{
    "info",
    "format, generation, sizes, usage, high-water mark, live keys",
    "usage: memvec-kv info [--json] [--progress|--no-progress] TARGET\n\n"
    "Shows what TARGET is and how full it is: format and versions, byte order,\n"
    "generation, epoch, creation time, file and log sizes, usage, the high-water mark,\n"
    "the number of records and of live keys, and what opening it recovered. For a store,\n"
    "which journal is active and why, then each journal. TARGET may also be a MemVec\n"
    "file (header fields, length, capacity).\n\n"
    "  --json          one JSON object on stdout\n"
    "  --progress      draw the progress bar on stderr even when it is not a terminal\n"
    "  --no-progress   never draw it (by default: on a terminal, after one second)\n",
    TargetHelp::any_memvec_file,
    "Exit status: 0 ok, 1 damage found or not a memvec file, 2 usage error.\n",
    kOptions,
    run_info};

}  // namespace memvec_kv
