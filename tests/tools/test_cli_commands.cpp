// memvec-kv, the commands on intact files: --help everywhere and the exit
// codes of usage errors; info, dump, get, set, erase, keys and compact on a
// journal, on a store (as A B and as a directory) and, where they apply, on
// a MemVec file; wrong kinds of files refused with exit 1 and a message that
// says what the file is; a writer's lock; the progress bar's switches.
// Every test drives the built binary (cli_runner.hpp) on files the library
// wrote, in its own temp directory (ctest runs tests in parallel).
#include <catch2/catch.hpp>
#include <cstdint>
#include <memvec/kv.hpp>
#include <memvec/memvec.hpp>

#include "../../tools/memvec-kv/json_parse.hpp"
#include "cli_runner.hpp"
#include "support.hpp"

namespace kv = memvec::kv;
using memvec::FileBackend;

namespace {

const std::vector<std::string> kCommands = {"info",  "dump", "verify",  "get",    "set",
                                            "erase", "keys", "compact", "export", "import"};

// The journal of docs/FORMAT.md's worked example: set a=1, set
// name="memvec", erase a. Records at log offsets 0, 14, 37; 51 bytes.
void write_example_journal(const std::filesystem::path& p) {
  auto j = kv::MemMappedKVJournal::create(FileBackend::open(p, {memvec::OpenMode::create_new, 0}));
  j.set("a", 1);
  j.set("name", "memvec");
  j.erase("a");
  j.close();
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("memvec-kv: --help on every subcommand, usage errors exit 2", "[cli]") {
  auto r = cli::run({"--help"});
  CHECK(r.code == 0);
  for (const auto& c : kCommands) CHECK(contains(r.out, "  " + c + " "));
  for (const auto& c : kCommands) {
    INFO(c);
    r = cli::run({c, "--help"});
    CHECK(r.code == 0);
    CHECK(contains(r.out, "usage: memvec-kv " + c));
    CHECK(contains(r.out, "Exit status:"));
    CHECK(contains(r.out, "TARGET"));
    CHECK(cli::run({c, "-h"}).code == 0);
    r = cli::run({c, "--no-such-option", "x"});
    CHECK(r.code == 2);
    CHECK(contains(r.err, "unknown option --no-such-option"));
    CHECK(cli::run({c}).code == 2);  // every command needs arguments
  }
  CHECK(cli::run({}).code == 2);
  r = cli::run({"frobnicate"});
  CHECK(r.code == 2);
  CHECK(contains(r.err, "unknown command 'frobnicate'"));
  CHECK(cli::run({"info", "a", "b", "c"}).code == 2);
  CHECK(cli::run({"get", "x"}).code == 2);
  CHECK(cli::run({"export", "--compress", "lz4", "x", "y"}).code == 2);
  CHECK(cli::run({"verify", "--json=yes", "x"}).code == 2);  // a flag takes no value
}

TEST_CASE("memvec-kv: info, dump and verify on an intact journal", "[cli]") {
  test::TempDir dir;
  const auto j = (dir / "j.kv").string();
  write_example_journal(j);

  auto r = cli::run({"info", j});
  REQUIRE(r.code == 0);
  CHECK(contains(r.out, "KV journal"));
  CHECK(contains(r.out, "generation:      1"));
  CHECK(contains(r.out, "log:             51 of 3840 bytes used"));
  CHECK(contains(r.out, "records:         3 (first: batch)"));
  CHECK(contains(r.out, "live keys:       1"));
  CHECK(contains(r.out, "high-water mark: 3072 bytes"));
  CHECK(contains(r.out, "recovery:        clean"));

  r = cli::run({"info", "--json", j});
  REQUIRE(r.code == 0);
  const kv::Value info = memvec_kv::parse_json(r.out);
  CHECK(info.find("kind")->as_string() == "journal");
  CHECK(info.find("log_bytes")->as_int() == 51);
  CHECK(info.find("log_capacity_bytes")->as_int() == 3840);
  CHECK(info.find("live_keys")->as_int() == 1);
  CHECK(info.find("records")->as_int() == 3);
  CHECK(info.find("damaged")->as_bool() == false);

  r = cli::run({"dump", j});
  REQUIRE(r.code == 0);
  CHECK(contains(r.out, "{\"a\":1}"));
  CHECK(contains(r.out, "{\"name\":\"memvec\"}"));
  CHECK(contains(r.out, "{\"a\":null}"));
  CHECK(contains(r.out, "3 records: 3 replayed on open"));

  r = cli::run({"dump", "--json", j});
  REQUIRE(r.code == 0);
  const kv::Value dump = memvec_kv::parse_json(r.out);
  const auto& records = dump.find("records")->as_array();
  REQUIRE(records.size() == 3);
  const std::int64_t offsets[] = {0, 14, 37};
  const std::int64_t sizes[] = {14, 23, 14};
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(records[i].find("offset")->as_int() == offsets[i]);
    CHECK(records[i].find("file_offset")->as_int() == 256 + offsets[i]);
    CHECK(records[i].find("size")->as_int() == sizes[i]);
    CHECK(records[i].find("checksum")->as_string() == "ok");
    CHECK(records[i].find("type")->as_string() == "batch");
  }
  CHECK(records[2].find("members")->as_array()[0].find("value")->is_null());  // the erase
  CHECK(dump.find("summary")->find("valid")->as_int() == 3);

  r = cli::run({"verify", j});
  CHECK(r.code == 0);
  CHECK(contains(r.out, "result:   OK"));
  r = cli::run({"verify", "-q", j});
  CHECK(r.code == 0);
  CHECK(r.out.empty());
}

TEST_CASE("memvec-kv: get, set, erase, keys on a journal; values keep their kind", "[cli]") {
  test::TempDir dir;
  const auto j = (dir / "new.kv").string();
  CHECK(cli::run({"set", j, "k", "1"}).code == 1);  // missing, no --create
  CHECK(!std::filesystem::exists(j));
  REQUIRE(cli::run({"set", "--create", j, "int", "-42"}).code == 0);
  const std::vector<std::pair<std::string, std::string>> values = {
      {"uint", "18446744073709551615"},
      {"neg0", "-0.0"},
      {"sub", "5e-324"},
      {"dbl", "1.5"},
      {"str", "\"h\\u00e9 \\ud83d\\ude00\""},
      {"arr", "[1,[true,null],{}]"},
      {"obj", "{\"b\":{\"c\":[]},\"a\":false}"}};
  for (const auto& [key, json] : values) REQUIRE(cli::run({"set", j, key, json}).code == 0);
  REQUIRE(cli::run({"set", "--string", j, "raw", "not json"}).code == 0);

  CHECK(cli::run({"get", j, "int"}).out == "-42\n");
  CHECK(cli::run({"get", j, "uint"}).out == "18446744073709551615\n");
  CHECK(cli::run({"get", j, "neg0"}).out == "-0.0\n");
  CHECK(cli::run({"get", j, "sub"}).out == "5e-324\n");
  CHECK(cli::run({"get", j, "str"}).out == "\"h\xC3\xA9 \xF0\x9F\x98\x80\"\n");
  CHECK(cli::run({"get", j, "obj"}).out == "{\"a\":false,\"b\":{\"c\":[]}}\n");
  CHECK(cli::run({"get", "--raw", j, "raw"}).out == "not json\n");

  // The library reads back exactly what the command line said.
  {
    auto journal =
        kv::MemMappedKVJournal::open(FileBackend::open(j, {memvec::OpenMode::read_only, 0}));
    CHECK(cli::same(*journal.get("uint"), kv::Value(UINT64_MAX)));
    CHECK(cli::same(*journal.get("neg0"), kv::Value(-0.0)));
    CHECK(cli::same(*journal.get("sub"), kv::Value(5e-324)));
    CHECK(journal.get("raw")->as_string() == "not json");
  }

  auto r = cli::run({"keys", j});
  CHECK(r.out == "arr\ndbl\nint\nneg0\nobj\nraw\nstr\nsub\nuint\n");
  CHECK(cli::run({"keys", "--prefix", "s", j}).out == "str\nsub\n");
  CHECK(cli::run({"keys", "--json", j}).out ==
        "[\"arr\",\"dbl\",\"int\",\"neg0\",\"obj\",\"raw\",\"str\",\"sub\",\"uint\"]\n");

  r = cli::run({"get", j, "absent"});
  CHECK(r.code == 1);
  CHECK(contains(r.err, "no key \"absent\""));
  const auto before = test::digest(j);
  CHECK(cli::run({"erase", j, "absent"}).code == 1);
  CHECK(test::digest(j) == before);  // nothing written
  CHECK(cli::run({"erase", "--missing-ok", j, "absent"}).code == 0);
  CHECK(cli::run({"erase", j, "int"}).code == 0);
  CHECK(cli::run({"get", j, "int"}).code == 1);

  r = cli::run({"set", j, "bad", "{oops"});
  CHECK(r.code == 2);
  CHECK(contains(r.err, "not JSON"));
  CHECK(cli::run({"set", j, "n", "null"}).code == 2);
  CHECK(cli::run({"set", j, "big", "18446744073709551616"}).code == 2);
  CHECK(cli::run({"set", j, "inf", "1e999"}).code == 2);
  CHECK(test::digest(j) != before);
}

TEST_CASE("memvec-kv: a store as A B and as a directory; compact", "[cli]") {
  test::TempDir dir;
  const auto a = dir / "store_a.kv";
  const auto b = dir / "store_b.kv";
  {
    auto store = kv::DoubleBufferedMemMappedKV::open(a, b);
    for (int i = 0; i < 50; ++i) store.set("key" + std::to_string(i), i);
    store.erase("key7");
    store.sync();
  }
  const std::string d = dir.path().string();
  auto r = cli::run({"info", a.string(), b.string()});
  REQUIRE(r.code == 0);
  CHECK(contains(r.out, "active:          A (generation 1)"));
  CHECK(contains(r.out, "live keys:       49"));
  CHECK(contains(r.out, "journal B (" + b.string() + "): spare (never held data)"));
  CHECK(cli::run({"info", d}).out == r.out);  // the directory names the same store

  CHECK(cli::run({"get", d, "key42"}).out == "42\n");
  CHECK(cli::run({"set", d, "new", "[1,2]"}).code == 0);
  CHECK(cli::run({"erase", a.string(), b.string(), "key0"}).code == 0);
  CHECK(cli::run({"keys", d, "--prefix", "new"}).out == "new\n");
  CHECK(cli::run({"verify", d}).code == 0);

  r = cli::run({"compact", d});
  REQUIRE(r.code == 0);
  CHECK(contains(r.out, "49 live keys, generation 1 -> 2"));
  r = cli::run({"info", "--json", d});
  REQUIRE(r.code == 0);
  const kv::Value info = memvec_kv::parse_json(r.out);
  CHECK(info.find("active")->as_string() == "B");
  CHECK(info.find("generation")->as_int() == 2);
  CHECK(info.find("live_keys")->as_int() == 49);
  const auto& journals = info.find("journals")->as_array();
  CHECK(journals[1].find("first_record_type")->as_string() == "snapshot");
  CHECK(cli::run({"dump", d}).code == 0);
  CHECK(cli::run({"verify", d}).code == 0);

  auto store = kv::DoubleBufferedMemMappedKV::open(a, b, {.read_only = true});
  CHECK(store.size() == 49);
  CHECK(store.get("new") == kv::Value::array({1, 2}));
  CHECK(!store.contains("key0"));
  CHECK(!store.contains("key7"));
}

TEST_CASE("memvec-kv: a store whose spare is blank (never formatted)", "[cli]") {
  test::TempDir dir;
  const auto a = dir / "a.kv";
  const auto b = dir / "b.kv";
  {
    auto j = kv::MemMappedKVJournal::create(FileBackend::open(a));
    j.set("k", "v");
    j.close();
  }
  test::write_file(b, std::vector<std::byte>(4096));  // zeros: what the store formats
  // Beside a written journal a blank B may be a newer journal wiped: the
  // store says so, and the tool refuses to answer as if nothing was lost.
  auto r = cli::run({"info", a.string(), b.string()});
  CHECK(r.code == 1);
  CHECK(contains(r.out, "active:          A (generation 1)"));
  CHECK(contains(r.out, "): blank spare (never formatted)"));
  CHECK(contains(r.err, "it is blank beside a written journal"));
  CHECK(cli::run({"verify", a.string(), b.string()}).code == 1);
  CHECK(cli::run({"dump", a.string(), b.string()}).code == 0);  // every record intact
  CHECK(cli::run({"get", a.string(), b.string(), "k"}).code == 1);
  CHECK(cli::run({"get", "--allow-damaged", a.string(), b.string(), "k"}).out == "\"v\"\n");
  // Beside an empty first journal (a creation a crash cut) a blank B is no loss.
  std::filesystem::remove(a);
  std::filesystem::remove(b);
  kv::MemMappedKVJournal::create(FileBackend::open(a)).close();
  test::write_file(b, std::vector<std::byte>(4096));
  r = cli::run({"info", a.string(), b.string()});
  CHECK(r.code == 0);
  CHECK(contains(r.out, "): blank spare (never formatted)"));
  CHECK(cli::run({"verify", a.string(), b.string()}).code == 0);
  CHECK(cli::run({"keys", a.string(), b.string()}).code == 0);
  // Alone, a blank file is no journal.
  r = cli::run({"info", b.string()});
  CHECK(r.code == 1);
  CHECK(contains(r.err, "a blank file"));
  // Two blank files are no store yet.
  r = cli::run({"keys", b.string(), b.string()});
  CHECK(r.code == 1);
  CHECK(contains(r.err, "both blank"));
}

TEST_CASE("memvec-kv: compact rewrites a journal as one snapshot record", "[cli]") {
  test::TempDir dir;
  const auto j = dir / "hot.kv";
  {
    auto journal = kv::MemMappedKVJournal::create(FileBackend::open(j));
    for (int i = 0; i < 2000; ++i) journal.set("k" + std::to_string(i % 10), std::string(100, 'x'));
    journal.close();
  }
  const auto before = std::filesystem::file_size(j);
  auto r = cli::run({"compact", j.string()});
  REQUIRE(r.code == 0);
  CHECK(contains(r.out, "10 live keys, generation 1 -> 2"));
  CHECK(std::filesystem::file_size(j) < before);
  r = cli::run({"dump", "--json", j.string()});
  REQUIRE(r.code == 0);
  const kv::Value dump = memvec_kv::parse_json(r.out);
  REQUIRE(dump.find("records")->as_array().size() == 1);
  CHECK(dump.find("records")->as_array()[0].find("type")->as_string() == "snapshot");
  CHECK(dump.find("generation")->as_int() == 2);
  CHECK(cli::run({"get", j.string(), "k3"}).out == "\"" + std::string(100, 'x') + "\"\n");
  // No temporary file is left beside it.
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), {}) == 1);
}

TEST_CASE("memvec-kv: wrong kinds of files are refused with what they are", "[cli]") {
  test::TempDir dir;
  const auto mv = dir / "points.mv";
  {
    auto v = memvec::MemVec<std::uint32_t, FileBackend>::create(FileBackend::open(mv));
    v.push_back(7);
    v.push_back(42);
    v.close();
  }
  const auto j = dir / "j.kv";
  write_example_journal(j);
  const auto text = dir / "notes.txt";
  test::write_file(text, {std::byte{'h'}, std::byte{'i'}, std::byte{'\n'}});
  const auto empty = dir / "empty";
  test::write_file(empty, {});
  const auto shorty = dir / "short";
  auto head = test::read_file(j);
  head.resize(100);
  test::write_file(shorty, head);
  std::filesystem::create_directory(dir / "nostore");

  // info and verify read MemVec files; the KV commands refuse them.
  auto r = cli::run({"info", mv.string()});
  CHECK(r.code == 0);
  CHECK(contains(r.out, "MemVec file"));
  CHECK(contains(r.out, "length:       2 elements (8 bytes)"));
  CHECK(cli::run({"verify", mv.string()}).code == 0);
  for (const std::string c : {"dump", "keys", "compact"}) {
    r = cli::run({c, mv.string()});
    CHECK(r.code == 1);
    CHECK(contains(r.err, "is a MemVec file (elements of 4 bytes"));
    CHECK(contains(r.err, "not a KV journal"));
  }
  CHECK(cli::run({"get", mv.string(), "k"}).code == 1);
  CHECK(cli::run({"import", j.string(), mv.string()}).code == 1);

  const std::pair<std::filesystem::path, std::string> cases[] = {
      {text, "not a memvec file"},
      {empty, "an empty file"},
      {shorty, "a truncated memvec file (100 bytes"},
      {dir / "missing", "missing (no such file)"},
      {dir / "nostore", "a directory without a store"}};
  for (const auto& [path, what] : cases) {
    INFO(path);
    for (const std::string c : {"info", "verify", "dump", "keys"}) {
      r = cli::run({c, path.string()});
      CHECK(r.code == 1);
      CHECK(contains(r.err, what));
    }
  }
  // A store whose second path is no journal.
  r = cli::run({"info", j.string(), mv.string()});
  CHECK(r.code == 1);
  CHECK(contains(r.err, "is a MemVec file"));
  r = cli::run({"keys", j.string(), text.string()});
  CHECK(r.code == 1);
  CHECK(contains(r.err, "not a memvec file"));
}

TEST_CASE("memvec-kv: a running writer's lock is reported, not waited on", "[cli]") {
  test::TempDir dir;
  const auto j = dir / "busy.kv";
  auto writer = kv::MemMappedKVJournal::create(FileBackend::open(j));
  writer.set("k", 1);
  for (const std::string c : {"info", "get", "set"}) {
    std::vector<std::string> args = {c, j.string()};
    if (c != "info") args.push_back("k");
    if (c == "set") args.push_back("2");
    const auto r = cli::run(args);
    CHECK(r.code == 1);
    CHECK(contains(r.err, "locked"));
  }
}

TEST_CASE("memvec-kv: the progress bar only when asked or on a terminal", "[cli]") {
  test::TempDir dir;
  const auto j = (dir / "j.kv").string();
  write_example_journal(j);
  // stderr is a file here: no bar unless --progress.
  auto r = cli::run({"verify", j});
  CHECK(r.err.empty());
  r = cli::run({"verify", "--progress", j});
  CHECK(r.code == 0);
  CHECK(contains(r.err, "walking j.kv ["));
  CHECK(contains(r.err, "100%"));
  r = cli::run({"export", "--progress", j, (dir / "s.mvsnap").string()});
  CHECK(contains(r.err, "exporting ["));
  CHECK(contains(r.err, "1 / 1 keys"));
  CHECK(cli::run({"dump", "--no-progress", j}).err.empty());
}
