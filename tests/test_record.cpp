// The journal's record format, pinned byte for byte (docs/FORMAT.md, "KV
// journal"). Changing a byte here is a format change: bump
// kJournalFormatVersion in the same commit.
#include <catch2/catch.hpp>
#include <cstring>
#include <limits>
#include <vector>

#include "memvec/kv/bonjson.hpp"
#include "memvec/kv/record.hpp"
#include "memvec/kv/value_view.hpp"

using namespace memvec::kv;

namespace {

// set_many{"a": 1, "name": "memvec", "gone": null} sealed with seed(1, 0).
// clang-format off
constexpr std::uint8_t kGoldenRecord[] = {
    0x6F, 0x55, 0x5D, 0x78,  // crc32c of bytes [4, 32), seeded with record_seed(1, 0)
    0x17, 0x00, 0x00, 0x00,  // payload length 23
    0x01,                    // kRecordBatch
    0x9A,                    // object start
    0x81, 0x61, 0x01,        // "a": 1
    0x84, 0x6E, 0x61, 0x6D, 0x65, 0x86, 0x6D, 0x65, 0x6D, 0x76, 0x65, 0x63,  // "name": "memvec"
    0x84, 0x67, 0x6F, 0x6E, 0x65, 0x6D,  // "gone": null (an erase)
    0x9B};                               // container end
// clang-format on

std::span<const std::byte> golden() {
  return {reinterpret_cast<const std::byte*>(kGoldenRecord), sizeof kGoldenRecord};
}

}  // namespace

TEST_CASE("record: the seed is the CRC32C of generation and epoch as two little-endian u64") {
  CHECK(record_seed(1, 0) == 0xB07C9714u);
  CHECK(record_seed(2, 7) == 0x59DDF2E3u);
}

TEST_CASE("record: a batch record is pinned byte for byte") {
  RecordWriter w;
  w.begin(kRecordBatch);
  w.add("a", Value(1));
  w.add("name", Value("memvec"));
  w.add_erase("gone");
  const auto r = w.finish(record_seed(1, 0));
  REQUIRE(r.size() == sizeof kGoldenRecord);
  CHECK(std::memcmp(r.data(), kGoldenRecord, r.size()) == 0);
  CHECK(w.size() == sizeof kGoldenRecord);
  CHECK(kRecordHeaderSize == 9);
  CHECK(record_offset::kPayload == kRecordHeaderSize);
}

namespace {
// What `index` says `key` holds in `log`, decoded; null when absent.
Value value_at(std::span<const std::byte> log, const memvec::kv::detail::LogIndex& index,
               std::string_view key) {
  const std::size_t m = index.find(log.data(), key, Index::hash(key));
  if (m == memvec::kv::detail::LogIndex::kNone) return Value();
  std::string_view k;
  const std::size_t key_bytes = memvec::kv::detail::read_trusted_string(log.data() + m, k);
  return ValueView(log.subspan(m + key_bytes)).decode();
}
}  // namespace

TEST_CASE("record: the golden record replays under its seed and under no other") {
  memvec::kv::detail::LogIndex index;
  const ReplayResult ok = replay(golden(), record_seed(1, 0), index);
  CHECK(ok.recovery.loss == DataLoss::none);
  CHECK(ok.recovery.records_replayed == 1);
  CHECK(ok.valid_end == sizeof kGoldenRecord);
  CHECK(ok.first_type == kRecordBatch);
  CHECK(index.size() == 2);
  CHECK(value_at(golden(), index, "a") == Value(1));
  CHECK(value_at(golden(), index, "name") == Value("memvec"));
  CHECK(value_at(golden(), index, "gone").is_null());

  for (const auto& [gen, epoch] : {std::pair{1u, 1u}, std::pair{2u, 0u}}) {
    memvec::kv::detail::LogIndex other;
    const ReplayResult bad = replay(golden(), record_seed(gen, epoch), other);
    CHECK(bad.recovery.loss == DataLoss::total);
    CHECK(bad.recovery.bytes_dropped == sizeof kGoldenRecord);
    CHECK(bad.recovery.records_dropped == 1);
    CHECK(bad.valid_end == 0);
    CHECK(other.empty());
  }
}

TEST_CASE("record: a snapshot record is marked as the first record type") {
  RecordWriter w;
  w.begin(kRecordSnapshot);
  w.add("k", Value(true));
  const auto r = w.finish(record_seed(3, 9));
  const std::vector<std::byte> bytes(r.begin(), r.end());
  CHECK(static_cast<std::uint8_t>(bytes[record_offset::kType]) == kRecordSnapshot);
  memvec::kv::detail::LogIndex index;
  const ReplayResult res = replay(bytes, record_seed(3, 9), index);
  CHECK(res.first_type == kRecordSnapshot);
  CHECK(value_at(bytes, index, "k") == Value(true));
}

TEST_CASE("record: the trusted value walk measures every encoded value exactly as the decoder") {
  // Compaction copies members by this measure: one byte off and a snapshot
  // would carry a torn value.
  std::vector<Value> values = {Value(), Value(true), Value(false), Value(0), Value(100), Value(-100),
                               Value(101), Value(-101), Value(std::int64_t{1} << 40),
                               Value(std::numeric_limits<std::int64_t>::min()),
                               Value(std::numeric_limits<std::uint64_t>::max()), Value(1.5),
                               Value(0.1), Value(3.0e300), Value(""), Value(std::string(15, 'a')),
                               Value(std::string(16, 'b')), Value(std::string(70'000, 'c')),
                               Value::array({}), Value::object({})};
  values.push_back(Value::array({Value(1), Value("two"), Value::object({{"k", Value::array({})}})}));
  values.push_back(Value::object({{"name", "memvec"}, {"n", Value::array({1.25, -7, nullptr})}}));
  for (const Value& v : values) {
    INFO(v.to_json().substr(0, 80));
    std::vector<std::byte> bytes = memvec::kv::bonjson::encode(v);
    const std::size_t size = bytes.size();
    bytes.resize(size + 8, std::byte{0x6d});  // what follows in a log: never counted
    CHECK(memvec::kv::detail::trusted_value_size(bytes.data()) == size);
  }
}

namespace {
// A log of a small batch {"x": 1, "gone": 2} and then one big record of
// `n` members ("k<i>": i, then "x": 2 and an erase of "gone"), with
// `poison` bytes inserted halfway through the big record's members.
std::vector<std::byte> small_then_big(std::uint32_t seed, std::size_t n,
                                      std::span<const std::byte> poison = {}) {
  RecordWriter w;
  w.begin(kRecordBatch);
  w.add("x", Value(1));
  w.add("gone", Value(2));
  const auto first = w.finish(seed);
  std::vector<std::byte> log(first.begin(), first.end());
  w.begin(kRecordSnapshot);
  for (std::size_t i = 0; i < n; ++i) {
    if (i == n / 2 && !poison.empty()) w.add_encoded(poison);
    w.add("k" + std::to_string(i), Value(static_cast<std::int64_t>(i)));
  }
  w.add("x", Value(2));
  w.add_erase("gone");
  const auto big = w.finish(seed);
  log.insert(log.end(), big.begin(), big.end());
  return log;
}
}  // namespace

TEST_CASE("record: a big record applies whole, after the records before it, or not at all") {
  const std::uint32_t seed = record_seed(4, 2);
  constexpr std::size_t kMembers = 20'000;  // a payload far past the streamed size
  const std::vector<std::byte> log = small_then_big(seed, kMembers);
  memvec::kv::detail::LogIndex index;
  const ReplayResult ok = replay(log, seed, index);
  CHECK(ok.recovery.loss == DataLoss::none);
  CHECK(ok.recovery.records_replayed == 2);
  CHECK(ok.valid_end == log.size());
  CHECK(index.size() == kMembers + 1);
  CHECK(value_at(log, index, "x") == Value(2));
  CHECK(value_at(log, index, "gone").is_null());
  CHECK(value_at(log, index, "k0") == Value(0));
  CHECK(value_at(log, index, "k19999") == Value(19'999));

  // A container end among the members: the checksum holds (it was sealed
  // so), the payload does not parse. Nothing of it may apply.
  const std::byte end_code{static_cast<std::uint8_t>(memvec::kv::bonjson::kTypeContainerEnd)};
  const std::vector<std::byte> bad = small_then_big(seed, kMembers, {&end_code, 1});
  memvec::kv::detail::LogIndex partial;
  const ReplayResult r = replay(bad, seed, partial);
  CHECK(r.recovery.loss == DataLoss::partial);
  CHECK(r.recovery.records_replayed == 1);
  CHECK(r.recovery.records_dropped == 1);
  CHECK(r.valid_end == bad.size() - r.recovery.bytes_dropped);
  CHECK(partial.size() == 2);
  CHECK(value_at(bad, partial, "x") == Value(1));
  CHECK(value_at(bad, partial, "gone") == Value(2));
  CHECK(value_at(bad, partial, "k0").is_null());
}
