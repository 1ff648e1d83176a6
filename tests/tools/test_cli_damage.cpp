// memvec-kv on damaged files: a flipped byte in a record, a damaged length
// field, a truncated log, a truncated header, a damaged header, CRC or
// commit word, a damaged store journal (active and standby). verify must
// exit 1 and name the record, its offsets and both CRCs; dump and info exit
// 1 too and say so on stderr; writes are refused until --force; reads
// (get, keys, export) are refused, saying what opening dropped, until
// --allow-damaged, which answers from what opening keeps with a warning. The damage is made with the test helpers' flip_byte and
// truncate_to on files the library wrote.
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <catch2/catch.hpp>
#include <cstring>
#include <memvec/crc32c.hpp>
#include <memvec/kv.hpp>
#include <memvec/memvec.hpp>

#include "../../tools/memvec-kv/json_parse.hpp"
#include "cli_runner.hpp"
#include "support.hpp"

namespace kv = memvec::kv;
using memvec::FileBackend;

namespace {

// Records at log offsets 0 (set a=1, 14 bytes), 14 (set name="memvec", 23
// bytes) and 37 (erase a, 14 bytes): docs/FORMAT.md's worked example.
constexpr std::size_t kRecord1 = 256 + 14;
constexpr std::size_t kRecord2 = 256 + 37;

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

TEST_CASE("memvec-kv verify: a flipped payload byte is named precisely", "[cli][damage]") {
  test::TempDir dir;
  const auto j = dir / "j.kv";
  write_example_journal(j);
  test::flip_byte(j, kRecord1 + 12);  // inside "memvec"

  auto r = cli::run({"verify", j.string()});
  CHECK(r.code == 1);
  CHECK(contains(r.out,
                 "DAMAGE    record 1 at log offset 14 (file offset 0x10e), 23 bytes: "
                 "a checksum mismatch (stored 0x"));
  CHECK(contains(r.out, ", computed 0x"));
  CHECK(contains(r.out, "dropped:  1 intact record after the damage"));
  CHECK(contains(r.out,
                 "opening:  keeps log bytes [0, 14), drops 37 bytes from log offset 14 "
                 "(partial loss)"));
  CHECK(contains(r.out, "result:   DAMAGED"));
  CHECK(cli::run({"verify", "-q", j.string()}).code == 1);

  r = cli::run({"verify", "--json", j.string()});
  CHECK(r.code == 1);
  const kv::Value v = memvec_kv::parse_json(r.out);
  CHECK(v.find("ok")->as_bool() == false);
  CHECK(v.find("first_bad_offset")->as_int() == 14);
  CHECK(v.find("kept_bytes")->as_int() == 14);
  CHECK(v.find("dropped_bytes")->as_int() == 37);
  REQUIRE(v.find("damage")->as_array().size() == 1);
  CHECK(v.find("damage")->as_array()[0].find("file_offset")->as_int() == 0x10e);

  r = cli::run({"dump", "--json", j.string()});
  CHECK(r.code == 1);
  const kv::Value d = memvec_kv::parse_json(r.out);
  const auto& recs = d.find("records")->as_array();
  REQUIRE(recs.size() == 3);
  CHECK(recs[0].find("checksum")->as_string() == "ok");
  CHECK(recs[1].find("checksum")->as_string() == "mismatch");
  CHECK(recs[1].find("stored_crc")->as_uint() != recs[1].find("computed_crc")->as_uint());
  CHECK(recs[2].find("checksum")->as_string() == "ok");
  CHECK(recs[2].find("after_damage")->as_bool());
  CHECK(contains(cli::run({"dump", j.string()}).out, "BAD: a checksum mismatch"));

  r = cli::run({"info", j.string()});
  CHECK(r.code == 1);
  CHECK(contains(r.out, "partial loss: a checksum mismatch in the record at log offset 14"));

  // Reads see what opening keeps (record 0 only) when asked to.
  CHECK(cli::run({"get", "--allow-damaged", j.string(), "a"}).out == "1\n");
  CHECK(cli::run({"get", "--allow-damaged", j.string(), "name"}).code == 1);
  // Writes would discard the damage for good: refused, file untouched.
  const auto before = test::digest(j);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"set", j.string(), "x", "1"},
        {"erase", j.string(), "a"},
        {"compact", j.string()}}) {
    r = cli::run(args);
    CHECK(r.code == 1);
    CHECK(contains(r.err, "opening found damage"));
    CHECK(contains(r.err, "--force"));
  }
  CHECK(test::digest(j) == before);
  CHECK(cli::run({"set", "--force", j.string(), "x", "1"}).code == 0);
  CHECK(cli::run({"verify", j.string()}).code == 0);
  CHECK(cli::run({"keys", j.string()}).out == "a\nx\n");
}

TEST_CASE("memvec-kv verify: damaged framing, total loss, truncation", "[cli][damage]") {
  test::TempDir dir;
  const auto j = dir / "j.kv";

  SECTION("the first record's CRC: total loss") {
    write_example_journal(j);
    test::flip_byte(j, 256, 0x01);
    const auto r = cli::run({"verify", j.string()});
    CHECK(r.code == 1);
    CHECK(contains(r.out,
                   "record 0 at log offset 0 (file offset 0x100), 14 bytes: a checksum mismatch"));
    CHECK(contains(r.out, "(total loss)"));
  }
  SECTION("a length field past the committed end: nothing after it can be framed") {
    write_example_journal(j);
    test::flip_byte(j, kRecord1 + 4 + 3, 0x40);  // len's high byte
    const auto r = cli::run({"verify", j.string()});
    CHECK(r.code == 1);
    CHECK(contains(r.out,
                   "record 1 at log offset 14 (file offset 0x10e), 37 bytes: a record length "
                   "past the committed end; the walk cannot frame anything after it"));
    CHECK(cli::run({"dump", j.string()}).code == 1);
  }
  SECTION("an unknown record type under a valid CRC is still found") {
    write_example_journal(j);
    // Rewrite record 2's type and CRC as a writer bug would: valid CRC.
    auto bytes = test::read_file(j);
    bytes[kRecord2 + 8] = std::byte{7};
    const std::uint64_t epoch = *memvec::detail::decode_word(
        memvec::detail::load_word_raw(bytes.data(), memvec::header_offset::kUserWord));
    const std::uint32_t crc =
        memvec::crc32c(bytes.data() + kRecord2 + 4, 10, kv::record_seed(1, epoch));
    std::memcpy(bytes.data() + kRecord2, &crc, 4);
    test::write_file(j, bytes);
    const auto r = cli::run({"verify", j.string()});
    CHECK(r.code == 1);
    CHECK(contains(r.out,
                   "record 2 at log offset 37 (file offset 0x125), 14 bytes: an unknown record "
                   "type: type 7"));
  }
  SECTION("the file cut inside the committed log") {
    write_example_journal(j);
    test::truncate_to(j, 256 + 20);
    auto r = cli::run({"verify", j.string()});
    CHECK(r.code == 1);
    CHECK(contains(r.out, "the file ends 31 bytes before the committed end of the log"));
    CHECK(contains(r.out, "record 1 at log offset 14"));  // the torn record left in the file
    r = cli::run({"info", j.string()});
    CHECK(r.code == 1);
    CHECK(contains(r.out, "missing:         31 committed bytes past the end of the file"));
  }
  SECTION("the file cut inside the header") {
    write_example_journal(j);
    test::truncate_to(j, 200);
    const auto r = cli::run({"verify", j.string()});
    CHECK(r.code == 1);
    CHECK(contains(r.err, "a truncated memvec file (200 bytes"));
  }
}

TEST_CASE("memvec-kv verify: damaged headers", "[cli][damage]") {
  test::TempDir dir;
  const auto j = dir / "j.kv";
  write_example_journal(j);
  const auto pristine = test::read_file(j);
  const struct {
    std::size_t offset;
    const char* expect;
  } cases[] = {
      {0x50, "header checksum mismatch"},  // generation (user area)
      {0x2c, "header checksum mismatch"},  // the CRC itself
      {0x30, "length word fails its check"}, {0x38, "capacity word fails its check"},
      {0x40, "user word fails its check"},   {0x08, "format version 5, this build reads 1"},
  };
  for (const auto& c : cases) {
    INFO(c.offset);
    test::write_file(j, pristine);
    test::flip_byte(j, c.offset, 0x04);
    auto r = cli::run({"verify", j.string()});
    CHECK(r.code == 1);
    CHECK(contains(r.out, "header:   DAMAGED: "));
    CHECK(contains(r.out, c.offset == 0x08 ? "version_mismatch: " : "corrupt_header: "));
    CHECK(contains(r.out, c.expect));
    CHECK(cli::run({"dump", j.string()}).code == 1);
    CHECK(cli::run({"info", j.string()}).code == 1);
    r = cli::run({"get", j.string(), "name"});
    CHECK(r.code == 1);
    CHECK(!r.err.empty());
  }
  // The magic: no longer a memvec file at all.
  test::write_file(j, pristine);
  test::flip_byte(j, 1);
  auto r = cli::run({"verify", j.string()});
  CHECK(r.code == 1);
  CHECK(contains(r.err, "not a memvec file"));
  // A header wiped to zeros over the log: damage, not a blank file.
  auto wiped = pristine;
  std::fill(wiped.begin(), wiped.begin() + 256, std::byte{0});
  test::write_file(j, wiped);
  r = cli::run({"verify", j.string()});
  CHECK(r.code == 1);
  CHECK(contains(r.err, "header is zeroed while data follows it"));
  // A damaged MemVec header.
  const auto mv = dir / "v.mv";
  {
    auto v = memvec::MemVec<double, FileBackend>::create(FileBackend::open(mv));
    v.push_back(1.5);
    v.close();
  }
  CHECK(cli::run({"verify", mv.string()}).code == 0);
  test::flip_byte(mv, 0x10, 0x01);  // elem_size
  r = cli::run({"verify", mv.string()});
  CHECK(r.code == 1);
  CHECK(contains(r.out, "header:   DAMAGED: corrupt_header: "));
  CHECK(contains(r.out, "header checksum mismatch"));
}

TEST_CASE("memvec-kv verify: a store with a damaged journal", "[cli][damage]") {
  test::TempDir dir;
  const auto a = dir / "store_a.kv";
  const auto b = dir / "store_b.kv";
  {
    auto store = kv::DoubleBufferedMemMappedKV::open(a, b);
    store.set("x", 1);
    store.compact();  // B active (generation 2, one snapshot record), A the standby
    store.set("y", 2);
    store.sync();
  }
  const std::string d = dir.path().string();
  REQUIRE(cli::run({"verify", d}).code == 0);

  SECTION("the active journal's last record") {
    test::flip_byte(b, 256 + 24);  // past the 14-byte snapshot record: set("y", 2)'s payload
    auto r = cli::run({"verify", d});
    CHECK(r.code == 1);
    CHECK(contains(r.out, "journal B (" + b.string() + "): active"));
    CHECK(contains(r.out, "DAMAGE    record 1 at log offset 14 (file offset 0x10e)"));
    CHECK(contains(r.out, "recovery: a checksum mismatch in the record at log offset 14"));
    CHECK(contains(r.out, "result:     DAMAGED"));
    r = cli::run({"get", d, "x"});
    CHECK(r.code == 1);
    CHECK(r.out.empty());
    CHECK(contains(r.err, "is damaged: opening dropped 1 record"));
    CHECK(cli::run({"get", "--allow-damaged", d, "x"}).out == "1\n");
    const auto before = test::digest(b);
    CHECK(cli::run({"set", d, "z", "3"}).code == 1);
    CHECK(test::digest(b) == before);
  }
  SECTION("the standby journal: the store opens, verify still reports it") {
    test::flip_byte(a, 256 + 3);
    auto r = cli::run({"verify", d});
    CHECK(r.code == 1);
    CHECK(contains(r.out, "journal A (" + a.string() + "): standby (generation 1, older)"));
    CHECK(contains(r.out, "opens:    active B (generation 2), 2 live keys"));
    CHECK(cli::run({"keys", d}).out == "x\ny\n");
  }
  SECTION("both headers: the store does not open") {
    test::flip_byte(a, 0x50);
    test::flip_byte(b, 0x50);
    auto r = cli::run({"verify", d});
    CHECK(r.code == 1);
    CHECK(contains(r.out, "opens:    NO: corrupt_header"));
    CHECK(cli::run({"keys", d}).code == 1);
  }
}

TEST_CASE("cli: get, keys and export on a damaged journal report the damage and exit non-zero",
          "[cli][damage]") {
  test::TempDir dir;
  const auto j = dir / "j.kv";
  {
    auto journal =
        kv::MemMappedKVJournal::create(FileBackend::open(j, {memvec::OpenMode::create_new, 0}));
    journal.set("price", 1);
    journal.set("price", 2);  // the record the flip damages
    journal.set("stock", 3);
    journal.set("name", "x");
    journal.close();
  }
  test::flip_byte(j, 256 + 18 + 12);  // the second record's payload (each is 18 bytes)
  const auto before = test::digest(j);
  const auto out = dir / "out.snap";
  const std::string dropped = "is damaged: opening dropped 3 records";
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"get", j.string(), "price"},
        {"keys", j.string()},
        {"keys", "--json", j.string()},
        {"export", j.string(), out.string()}}) {
    INFO(args[0]);
    const auto r = cli::run(args);
    CHECK(r.code == 1);
    CHECK(r.out.empty());  // no rolled-back answer
    CHECK(contains(r.err, j.string() + " " + dropped));
    CHECK(contains(r.err, "a checksum mismatch in the record at log offset 18"));
    CHECK(contains(r.err, "--allow-damaged"));
  }
  CHECK_FALSE(std::filesystem::exists(out));
  // The diagnostic commands exit 1 and say so on stderr too.
  for (const char* command : {"info", "dump"}) {
    INFO(command);
    const auto r = cli::run({command, j.string()});
    CHECK(r.code == 1);
    CHECK(contains(r.err, "memvec-kv " + std::string(command) + ": " + j.string() +
                              " is damaged: "));
  }
  // --allow-damaged answers from what opening kept, still warning.
  auto r = cli::run({"get", "--allow-damaged", j.string(), "price"});
  CHECK(r.code == 0);
  CHECK(r.out == "1\n");
  CHECK(contains(r.err, "warning: " + j.string() + " " + dropped));
  r = cli::run({"keys", "--allow-damaged", j.string()});
  CHECK(r.code == 0);
  CHECK(r.out == "price\n");
  CHECK(contains(r.err, "warning: "));
  r = cli::run({"export", "--allow-damaged", j.string(), out.string()});
  CHECK(r.code == 0);
  CHECK(contains(r.err, "warning: "));
  CHECK(std::filesystem::exists(out));
  CHECK(test::digest(j) == before);  // reading wrote nothing
}

TEST_CASE("memvec-kv: a FIFO is refused at once by every reading command, never opened", "[cli]") {
  // Opening a FIFO for reading blocks until a writer comes: the tool hung
  // on `info` and every other command. Nothing writes this one.
  test::TempDir dir;
  const auto fifo = dir.path() / "pipe";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  for (const std::vector<std::string>& args : {std::vector<std::string>{"info", fifo.string()},
                                             {"get", fifo.string(), "k"},
                                             {"keys", fifo.string()},
                                             {"dump", fifo.string()},
                                             {"verify", fifo.string()}}) {
    INFO(args[0]);
    const cli::Result r = cli::run(args);
    CHECK(r.code != 0);
    CHECK(r.err.find("not a regular file") != std::string::npos);
  }
}

TEST_CASE("memvec-kv: info tells a zero-filled file from one whose zeroed header hides data",
          "[cli]") {
  // Read in blocks, a word at a time: the whole file is read (nothing else
  // says where data ends), and data far past the header is found.
  test::TempDir dir;
  const auto blank = dir.path() / "blank";
  const auto wiped = dir.path() / "wiped";
  {
    std::ofstream(blank, std::ios::binary) << std::string(3 << 20, '\0');
    std::string bytes(3 << 20, '\0');
    bytes[(3 << 20) - 5] = 'x';
    std::ofstream(wiped, std::ios::binary) << bytes;
  }
  const cli::Result b = cli::run({"info", blank.string()});
  CHECK(b.err.find("a blank file") != std::string::npos);
  const cli::Result w = cli::run({"info", wiped.string()});
  CHECK(w.err.find("zeroed while data follows") != std::string::npos);
  CHECK(w.code != 0);
}
