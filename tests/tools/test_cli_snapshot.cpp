// memvec-kv export / import: snapshot streams (docs/FORMAT.md "Snapshot
// stream"). Round trips of every type a store holds (null is an erase, so
// not stored) through gzip, zstd and none, chosen by flag and by extension,
// into a journal and into a store, compared bit for bit (-0.0, subnormals);
// the documented example's exact bytes, checked against an independent
// construction; truncated, damaged and malformed snapshots refused with exit
// 1 and nothing imported (the target byte-identical, or not even created);
// --merge / --replace; stdin and stdout.
#include <catch2/catch.hpp>
#include <cfloat>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memvec/crc32c.hpp>
#include <memvec/kv.hpp>

#include "cli_runner.hpp"
#include "support.hpp"

namespace kv = memvec::kv;
using kv::Value;
using memvec::FileBackend;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

Value nested(int depth) {
  Value v = Value::object({{"leaf", "bottom"}});
  for (int i = 0; i < depth; ++i)
    v = (i % 2 == 0) ? Value(kv::Array{v, i}) : Value::object({{"in", v}});
  return v;
}

// Every kind of value a store holds, with their edge cases.
std::vector<std::pair<std::string, Value>> every_type() {
  std::string long_text;
  for (int i = 0; long_text.size() < (3u << 20); ++i)
    long_text += std::to_string(i) + " \xE2\x9C\x93 ";
  return {
      {"", "the empty key"},
      {"bool.false", false},
      {"bool.true", true},
      {"int.zero", 0},
      {"int.small", -100},
      {"int.min", std::numeric_limits<std::int64_t>::min()},
      {"int.max", std::numeric_limits<std::int64_t>::max()},
      {"uint.above_int64", std::uint64_t{9223372036854775808u}},
      {"uint.max", std::numeric_limits<std::uint64_t>::max()},
      {"double.neg_zero", -0.0},
      {"double.min_subnormal", std::numeric_limits<double>::denorm_min()},
      {"double.max_subnormal", 2.2250738585072009e-308},
      {"double.min_normal", DBL_MIN},
      {"double.max", DBL_MAX},
      {"double.lowest", -DBL_MAX},
      {"double.third", 1.0 / 3.0},
      {"double.one", 1.0},
      {"string.empty", ""},
      {"string.unicode", "h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80 \xF0\x9D\x84\x9E"},
      {"string.nul", std::string("a\0b", 3)},
      {"string.15", std::string(15, 's')},
      {"string.16", std::string(16, 's')},
      {"string.long", long_text},
      {"array.empty", kv::Array{}},
      {"array.mixed",
       Value::array({1, "two", 3.5, false, nullptr, Value::array({}), kv::Object{}})},
      {"object.empty", kv::Object{}},
      {"object.members", Value::object({{"b", 2}, {"a", Value::array({1})}, {"\xC3\xA9", -0.0}})},
      {"nested.deep", nested(200)},
      {"key \xE2\x9C\x93 unicode", 1},
  };
}

void check_holds_every_type(const kv::Index& index) {
  const auto expected = every_type();
  CHECK(index.size() == expected.size());
  for (const auto& [key, value] : expected) {
    INFO("key " << key);
    const auto it = index.find(key);
    REQUIRE(it != index.end());
    CHECK(cli::same(it->second, value));
  }
}

kv::Index journal_index(const std::filesystem::path& p) {
  return kv::MemMappedKVJournal::open(FileBackend::open(p, {memvec::OpenMode::read_only, 0}))
      .as_hashmap();
}

kv::Index store_index(const std::filesystem::path& dir) {
  return kv::DoubleBufferedMemMappedKV::open(dir / "store_a.kv", dir / "store_b.kv",
                                             {.read_only = true})
      .as_hashmap();
}

// docs/FORMAT.md's worked example: {"a": 1, "name": "memvec"}, 50 bytes.
const std::vector<std::uint8_t> kGolden = {
    0x89, 0x4d, 0x56, 0x53, 0x4e, 0x41, 0x50, 0x0a, 0x01, 0x00, 0x00, 0x00,  // header
    0x4b, 0x03, 0x00, 0x00, 0x00, 0x81, 0x61, 0x01,                          // "a": 1
    0x4b, 0x0c, 0x00, 0x00, 0x00, 0x84, 0x6e, 0x61, 0x6d, 0x65,              // "name":
    0x86, 0x6d, 0x65, 0x6d, 0x76, 0x65, 0x63,                                // "memvec"
    0x45, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,                    // end, count 2
    0x3e, 0x63, 0xda, 0x9d};                                                 // CRC32C 0x9DDA633E

std::vector<std::byte> bytes_of(const std::vector<std::uint8_t>& v) {
  std::vector<std::byte> b(v.size());
  std::memcpy(b.data(), v.data(), v.size());
  return b;
}

// Recomputes the trailer's CRC after a test edits a snapshot on purpose.
void reseal(std::vector<std::byte>& snap) {
  const std::uint32_t crc = memvec::crc32c(snap.data(), snap.size() - 4);
  for (int i = 0; i < 4; ++i) snap[snap.size() - 4 + i] = static_cast<std::byte>(crc >> (8 * i));
}

}  // namespace

TEST_CASE("memvec-kv export/import: every value type, gzip zstd none, journal and store",
          "[cli][snapshot]") {
  test::TempDir dir;
  const auto src = dir / "src";
  std::filesystem::create_directory(src);
  {
    auto store = kv::DoubleBufferedMemMappedKV::open(src / "store_a.kv", src / "store_b.kv");
    store.set_many(every_type());
    store.sync();
  }
  check_holds_every_type(store_index(src));

  const struct {
    std::string name;
    std::vector<std::string> flags;
    std::vector<std::uint8_t> magic;
  } modes[] = {
      {"snap.gz", {}, {0x1f, 0x8b}},
      {"snap.zst", {}, {0x28, 0xb5, 0x2f, 0xfd}},
      {"snap.mvsnap", {}, {0x89, 'M', 'V', 'S'}},
      {"flag-gzip.bin", {"--compress", "gzip"}, {0x1f, 0x8b}},
      {"flag-zstd.bin", {"--compress", "zstd"}, {0x28, 0xb5, 0x2f, 0xfd}},
      {"flag-none.gz", {"--compress", "none"}, {0x89, 'M', 'V', 'S'}},  // the flag wins
  };
  for (const auto& m : modes) {
    INFO(m.name);
    const auto out = dir / m.name;
    std::vector<std::string> args = {"export"};
    args.insert(args.end(), m.flags.begin(), m.flags.end());
    args.insert(args.end(), {src.string(), out.string()});
    auto r = cli::run(args);
    REQUIRE(r.code == 0);
    CHECK(contains(r.out, "exported 29 keys"));
    const auto bytes = test::read_file(out);
    REQUIRE(bytes.size() > m.magic.size());
    for (std::size_t i = 0; i < m.magic.size(); ++i)
      CHECK(static_cast<std::uint8_t>(bytes[i]) == m.magic[i]);

    // Into a new journal file, and into a new store in an empty directory.
    const auto journal = dir / (m.name + ".kv");
    r = cli::run({"import", out.string(), journal.string()});
    REQUIRE(r.code == 0);
    CHECK(contains(r.out, "imported 29 keys"));
    check_holds_every_type(journal_index(journal));
    const auto store = dir / (m.name + ".store");
    std::filesystem::create_directory(store);
    REQUIRE(cli::run({"import", out.string(), store.string()}).code == 0);
    check_holds_every_type(store_index(store));
    CHECK(cli::run({"verify", store.string()}).code == 0);
  }
  // One live set, one byte sequence: from the store and from a restored journal.
  REQUIRE(
      cli::run({"export", (dir / "snap.gz.kv").string(), (dir / "again.mvsnap").string()}).code ==
      0);
  CHECK(test::digest(dir / "again.mvsnap") == test::digest(dir / "snap.mvsnap"));
  CHECK(test::digest(dir / "flag-none.gz") == test::digest(dir / "snap.mvsnap"));
}

TEST_CASE("memvec-kv export: the documented bytes, independent of the writer", "[cli][snapshot]") {
  test::TempDir dir;
  const auto j = dir / "example.kv";
  REQUIRE(cli::run({"set", "--create", j.string(), "name", "\"memvec\""}).code == 0);
  REQUIRE(cli::run({"set", j.string(), "a", "1"}).code == 0);
  REQUIRE(cli::run({"export", j.string(), (dir / "out.mvsnap").string()}).code == 0);
  CHECK(test::read_file(dir / "out.mvsnap") == bytes_of(kGolden));
  // The trailer is CRC32C of every byte before it, little-endian.
  CHECK(memvec::crc32c(kGolden.data(), kGolden.size() - 4) == 0x9DDA633Eu);
  // And the hand-built bytes import.
  test::write_file(dir / "golden.mvsnap", bytes_of(kGolden));
  REQUIRE(cli::run({"import", (dir / "golden.mvsnap").string(), (dir / "g.kv").string()}).code ==
          0);
  const kv::Index index = journal_index(dir / "g.kv");
  CHECK(index.size() == 2);
  CHECK(index.find("a")->second == Value(1));
  CHECK(index.find("name")->second == Value("memvec"));
}

TEST_CASE("memvec-kv import: truncated or damaged snapshots import nothing", "[cli][snapshot]") {
  test::TempDir dir;
  const auto src = dir / "src.kv";
  {
    auto j = kv::MemMappedKVJournal::create(FileBackend::open(src));
    for (int i = 0; i < 300; ++i)
      j.set("key" + std::to_string(1000 + i), "value " + std::to_string(i * 7919));
    j.close();
  }
  // An existing target, to be left byte-identical, and a missing one, to stay missing.
  const auto target = dir / "target.kv";
  REQUIRE(cli::run({"set", "--create", target.string(), "keep", "1"}).code == 0);
  const auto target_digest = test::digest(target);
  const auto missing = dir / "never.kv";

  const auto refused = [&](const std::filesystem::path& snap, const std::string& why) {
    INFO(why);
    auto r = cli::run({"import", "--replace", snap.string(), target.string()});
    CHECK(r.code == 1);
    CHECK(contains(r.err, "snapshot refused, nothing imported"));
    CHECK(test::digest(target) == target_digest);
    r = cli::run({"import", snap.string(), missing.string()});
    CHECK(r.code == 1);
    CHECK(!std::filesystem::exists(missing));
  };
  for (const std::string ext : {"mvsnap", "gz", "zst"}) {
    const auto snap = dir / ("s." + ext);
    REQUIRE(cli::run({"export", src.string(), snap.string()}).code == 0);
    const auto good = test::read_file(snap);
    const auto bad = dir / ("bad." + ext);
    for (const std::size_t cut : {std::size_t{0}, std::size_t{5}, std::size_t{13}, good.size() / 2,
                                  good.size() - 5, good.size() - 1}) {
      auto bytes = good;
      bytes.resize(cut);
      test::write_file(bad, bytes);
      refused(bad, ext + " cut at " + std::to_string(cut));
    }
    for (const std::size_t at : {good.size() / 3, good.size() / 2, good.size() - 2}) {
      test::write_file(bad, good);
      test::flip_byte(bad, at, 0x10);
      refused(bad, ext + " damaged at " + std::to_string(at));
    }
    auto longer = good;
    longer.push_back(std::byte{0});
    test::write_file(bad, longer);
    refused(bad, ext + " with a byte after its end");
  }
  // Truncated right after a whole entry: no end marker.
  auto bytes = bytes_of(kGolden);
  bytes.resize(20);
  test::write_file(dir / "cut.mvsnap", bytes);
  auto r = cli::run({"import", (dir / "cut.mvsnap").string(), missing.string()});
  CHECK(r.code == 1);
  CHECK(contains(r.err, "the stream ends inside the entries (no end marker)"));
}

TEST_CASE("memvec-kv import: malformed snapshots with a valid CRC are refused", "[cli][snapshot]") {
  test::TempDir dir;
  const auto snap = dir / "x.mvsnap";
  const auto target = dir / "t.kv";
  const auto refused = [&](std::vector<std::byte> b, const std::string& expect) {
    INFO(expect);
    reseal(b);
    test::write_file(snap, b);
    const auto r = cli::run({"import", snap.string(), target.string()});
    CHECK(r.code == 1);
    CHECK(contains(r.err, expect));
    CHECK(!std::filesystem::exists(target));
  };
  const auto golden = bytes_of(kGolden);
  auto b = golden;
  b[8] = std::byte{2};
  refused(b, "snapshot version 2, this build reads 1 at stream offset 8");
  b = golden;
  b[10] = std::byte{1};
  refused(b, "unknown flags 1 at stream offset 10");
  b = golden;
  b[38] = std::byte{3};
  refused(b, "the trailer counts 3 entries, the stream holds 2");
  b = golden;
  b[19] = std::byte{0x6d};  // "a": null
  refused(b, "a null value (a snapshot holds no deletions) at stream offset 12");
  b = golden;
  b[18] = std::byte{'z'};  // "a" -> "z": then "name" comes after "z"
  refused(b, "a key out of order or repeated at stream offset 20");
  b = golden;
  b[12] = std::byte{0x4c};
  refused(b, "an unknown entry tag 76 at stream offset 12");
  b = golden;
  b[0] = std::byte{0x88};
  refused(b, "not a memvec snapshot");
}

TEST_CASE("memvec-kv import: --merge, --replace, stdin and stdout", "[cli][snapshot]") {
  test::TempDir dir;
  const auto golden = dir / "g.mvsnap";
  test::write_file(golden, bytes_of(kGolden));
  const auto t = dir / "t.kv";
  REQUIRE(cli::run({"set", "--create", t.string(), "a", "0"}).code == 0);
  REQUIRE(cli::run({"set", t.string(), "old", "true"}).code == 0);
  const auto before = test::digest(t);
  auto r = cli::run({"import", golden.string(), t.string()});
  CHECK(r.code == 1);
  CHECK(contains(r.err, "holds 2 keys: pass --merge"));
  CHECK(test::digest(t) == before);
  CHECK(cli::run({"import", "--merge", "--replace", golden.string(), t.string()}).code == 2);
  r = cli::run({"export", t.string(), t.string()});  // would rename a snapshot over it
  CHECK(r.code == 2);
  CHECK(contains(r.err, "itself"));
  CHECK(test::digest(t) == before);

  REQUIRE(cli::run({"import", "--merge", golden.string(), t.string()}).code == 0);
  CHECK(cli::run({"keys", t.string()}).out == "a\nname\nold\n");
  CHECK(cli::run({"get", t.string(), "a"}).out == "1\n");
  REQUIRE(cli::run({"set", t.string(), "a", "5"}).code == 0);
  r = cli::run({"import", "--replace", golden.string(), t.string()});
  REQUIRE(r.code == 0);
  CHECK(contains(r.out, "erased the 1 key it lacks"));
  CHECK(cli::run({"keys", t.string()}).out == "a\nname\n");
  CHECK(cli::run({"get", t.string(), "a"}).out == "1\n");

  // stdout, then stdin (compression sniffed from the stream's first byte).
  r = cli::run({"export", "--compress", "zstd", t.string(), "-"});
  REQUIRE(r.code == 0);
  CHECK(r.out.compare(0, 4, "\x28\xb5\x2f\xfd") == 0);
  std::vector<std::byte> piped(r.out.size());
  std::memcpy(piped.data(), r.out.data(), r.out.size());
  test::write_file(dir / "piped", piped);
  r = cli::run({"import", "--progress", "-", (dir / "from-stdin.kv").string()}, dir / "piped");
  REQUIRE(r.code == 0);
  CHECK(contains(r.out, "(zstd, snapshot v1, 50 B)"));
  CHECK(cli::run({"export", (dir / "from-stdin.kv").string(), "-"}).out ==
        std::string(reinterpret_cast<const char*>(kGolden.data()), kGolden.size()));
  r = cli::run({"import", "--progress", golden.string(), (dir / "p.kv").string()});
  CHECK(contains(r.err, "importing ["));
}
