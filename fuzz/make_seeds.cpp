// Writes the starting seed corpora of the memvec fuzzers (not fuzz_bonjson):
//   fuzz_make_seeds <dir>  ->  <dir>/{mem_vec_open,journal_open,store_open,store_model}/seed-*
// Random bytes would almost never pass a magic number and a CRC, so these
// seeds are real files written by the library (vectors, journals, store
// pairs in the states worth starting from: empty, written, compacted,
// cleared, damaged, truncated) in each target's input format (see the
// comment at the top of each fuzz_*.cpp). The fuzzers grow the corpora from
// here; what fuzz/corpus/ holds is these seeds merged (-merge=1) with what
// the runs found. Output differs run to run (journal epochs are random,
// headers carry a timestamp); that does not matter to the fuzzers.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "memvec/kv/double_buffered.hpp"
#include "memvec/kv/journal.hpp"
#include "memvec/mem_vec.hpp"
#include "memvec/span_backend.hpp"

namespace {

namespace fs = std::filesystem;
namespace kv = memvec::kv;
using memvec::SpanBackend;
using Bytes = std::vector<std::uint8_t>;

fs::path g_root;

// An 8-aligned scratch buffer for the library to write into.
struct Scratch {
  explicit Scratch(std::size_t n) : words((n + 7) / 8, 0), size(n) {}
  std::span<std::byte> span() { return {reinterpret_cast<std::byte*>(words.data()), size}; }
  Bytes bytes(std::size_t n) const {
    const auto* p = reinterpret_cast<const std::uint8_t*>(words.data());
    return Bytes(p, p + std::min(n, size));
  }
  std::vector<std::uint64_t> words;
  std::size_t size;
};

void emit(const std::string& target, const std::string& name, const Bytes& bytes) {
  fs::create_directories(g_root / target);
  std::ofstream out(g_root / target / ("seed-" + name), std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes all;
  for (const Bytes& p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}

void mem_vec_seeds() {
  const auto with = [](std::uint8_t flags, const Bytes& file) { return cat({{flags}, file}); };
  emit("mem_vec_open", "empty", {0x18});
  emit("mem_vec_open", "blank", with(0x18, Bytes(256, 0)));
  for (std::size_t n : {0u, 3u, 60u}) {
    Scratch s(512);
    auto v = memvec::MemVec<std::uint32_t, SpanBackend>::create(SpanBackend(s.span()));
    for (std::uint32_t i = 0; i < n; ++i) v.push_back(i * 2654435761u);
    const std::string tag = "u32-" + std::to_string(n);
    emit("mem_vec_open", tag, with(0x18, s.bytes(512)));
    emit("mem_vec_open", tag + "-pop", with(0x48, s.bytes(512)));
    emit("mem_vec_open", tag + "-short", with(0x08, s.bytes(256 + 4 * n / 2)));  // truncated
  }
  {  // capacity word below the room: a push grows the vector inside the buffer
    Scratch s(300);
    auto v = memvec::MemVec<std::uint32_t, SpanBackend>::create(SpanBackend(s.span()));
    for (std::uint32_t i = 0; i < 11; ++i) v.push_back(i);
    Bytes file = s.bytes(300);
    file.resize(400, 0);
    emit("mem_vec_open", "u32-grow", with(0x38, file));
  }
  {
    Scratch s(320);
    const std::byte user[3] = {std::byte{1}, std::byte{2}, std::byte{3}};
    auto v = memvec::MemVec<std::byte, SpanBackend>::create(SpanBackend(s.span()), {.user_area = user});
    for (int i = 0; i < 10; ++i) v.push_back(std::byte(i));
    v.set_user_word(77);
    emit("mem_vec_open", "byte-10", with(0x10, s.bytes(320)));
    emit("mem_vec_open", "byte-10-repair", with(0x13, s.bytes(320)));
  }
}

// A journal with one value of every kind, an erase and a batch.
void fill(kv::KVJournal<SpanBackend>& j) {
  j.set("int", 42);
  j.set("neg", -123456789);
  j.set("big", std::uint64_t{1} << 63);
  j.set("pi", 3.14159);
  j.set("half", 0.5);
  j.set("yes", true);
  j.set("name", "memvec");
  j.set("long", std::string(40, 'x'));
  j.set("arr", kv::Value::array({1, "two", nullptr, 2.5}));
  j.set("obj", kv::Value::object({{"a", 1}, {"b", kv::Value::array({})}}));
  j.erase("half");
  j.set_many({{"m1", 1}, {"m2", "two"}, {"m1", nullptr}});
}

void journal_seeds() {
  using Journal = kv::KVJournal<SpanBackend>;
  const auto emit_j = [](const std::string& name, const Bytes& file) {
    for (std::uint8_t flags : {0x00, 0x08, 0x10, 0x18, 0x40, 0x27})
      emit("journal_open", name + "-" + std::to_string(flags), cat({{flags}, file}));
  };
  {
    Scratch s(512);
    (void)Journal::create(SpanBackend(s.span()));
    emit_j("empty", s.bytes(512));
  }
  Scratch s(1024);
  std::size_t used = 0;
  {
    Journal j = Journal::create(SpanBackend(s.span()));
    fill(j);
    used = 256 + j.used_bytes();
  }
  const Bytes full = s.bytes(1024);
  emit_j("values", full);
  emit_j("values-trim", s.bytes(used));
  emit_j("values-cut", s.bytes(used - 20));  // the backend lost the log's tail
  Bytes bad = full;
  bad[256 + 30] ^= 0x40;  // inside the second record: a partial loss
  emit_j("damaged", bad);
  bad = full;
  bad[256 + 9] ^= 0x01;  // the first record: a total loss
  emit_j("damaged-first", bad);
  {
    Scratch c(1024);
    Journal j = Journal::create(SpanBackend(c.span()));
    fill(j);
    j.clear();
    j.set("after", "clear");
    emit_j("cleared", c.bytes(512));
  }
  {  // a compacted journal: generation 2, a snapshot record first
    Scratch c(768);
    Journal j = Journal::create(SpanBackend(c.span()), {}, 2);
    kv::Index live;
    live.insert_or_assign("a", 1);
    live.insert_or_assign("b", "bee");
    j.write_snapshot(live);
    j.set("c", 3);
    emit_j("snapshot", c.bytes(768));
  }
  {  // nearly full: the next write does not fit
    Scratch c(512);
    Journal j = Journal::create(SpanBackend(c.span()));
    j.set("fill", std::string(200, 'f'));
    emit_j("full", c.bytes(512));
  }
}

void store_seeds() {
  const auto emit_s = [](const std::string& name, Scratch& a, Scratch& b, std::uint8_t flags) {
    const std::uint16_t split = static_cast<std::uint16_t>(a.size);
    emit("store_open", name,
         cat({{static_cast<std::uint8_t>(split), static_cast<std::uint8_t>(split >> 8), flags},
              a.bytes(a.size), b.bytes(b.size)}));
  };
  kv::StoreOptions o;
  o.initial_size = 512;
  o.max_size = 1024;
  o.compaction_room = 0;
  {
    Scratch a(512), b(512);
    emit_s("blank", a, b, 0x00);
  }
  for (int writes : {3, 40, 120}) {
    Scratch a(1024), b(1024);
    {
      kv::DoubleBufferedKV<SpanBackend> st(SpanBackend(a.span()), SpanBackend(b.span()), o);
      for (int i = 0; i < writes; ++i) st.set("key" + std::to_string(i % 12), i * 7);
      if (writes == 120) st.erase("key3");
    }
    const std::string tag = "writes-" + std::to_string(writes);
    emit_s(tag, a, b, 0x40);
    emit_s(tag + "-clear", a, b, 0xC0);
    emit_s(tag + "-repair", a, b, 0x47);
    Scratch da = a, db = b;  // the header of each, then the first record of each
    da.span()[100] ^= std::byte{1};
    emit_s(tag + "-bad-a", da, b, 0x00);
    db.span()[100] ^= std::byte{1};
    emit_s(tag + "-bad-both", da, db, 0x00);
    da = a;
    da.span()[260] ^= std::byte{1};
    emit_s(tag + "-bad-a-record", da, b, 0x00);
    db = b;
    db.span()[260] ^= std::byte{1};
    emit_s(tag + "-bad-b-record", a, db, 0x00);
  }
  {
    Scratch a(1024), b(1024);
    {
      kv::DoubleBufferedKV<SpanBackend> st(SpanBackend(a.span()), SpanBackend(b.span()), o);
      st.set("x", "y");
      st.clear();
      st.set("z", 1);
    }
    emit_s("cleared", a, b, 0x08);
  }
}

void model_seeds() {
  // Programs (fuzz_store_model.cpp): config byte, then opcodes 0-1 set
  // <key> <value>, 2 erase <key>, 3 set_many <n> (<key> <value>)*, 4 clear,
  // 5 compact, 6 sync, 7 reopen, 9 corrupt <which> <u16 pos> <mask>.
  Bytes sets = {0};
  for (std::uint8_t i = 0; i < 60; ++i) {
    const Bytes op = {0, i, 4, 6, 'a', 'b', 'c', 'd', 'e', static_cast<std::uint8_t>('a' + i % 26)};
    sets.insert(sets.end(), op.begin(), op.end());
  }
  emit("store_model", "sets", sets);
  emit("store_model", "sets-reopen", cat({sets, {7, 2, 3, 7}}));
  emit("store_model", "sets-corrupt-header", cat({sets, {9, 0, 0x30, 0x80, 0x10, 0, 1, 0}}));
  emit("store_model", "sets-corrupt-record", cat({sets, {9, 1, 0x10, 0x01, 0x04, 7}}));
  emit("store_model", "big-values",  // three 1536-byte values: one does not fit
       {0x08, 0, 1, 5, 0x00, 0x06, 1, 0, 2, 5, 0x00, 0x06, 2, 0, 3, 5, 0x00, 0x06, 3, 5, 7});
  emit("store_model", "batch-clear",
       {0x05, 3, 3, 1, 0, 7, 2, 4, 2, 'h', 'i', 1, 7, 0, 4, 7, 5, 6, 7, 0, 0xFC, 0, 0, 3, 6, 0, 0, 0, 0, 0, 0, 0xF8, 0x7F});
  std::mt19937 rng(12345);
  for (int i = 0; i < 8; ++i) {
    Bytes program(64 + rng() % 448);
    for (auto& b : program) b = static_cast<std::uint8_t>(rng());
    emit("store_model", "random-" + std::to_string(i), program);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  g_root = argv[1];
  mem_vec_seeds();
  journal_seeds();
  store_seeds();
  model_seeds();
  return 0;
}
