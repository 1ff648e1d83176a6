// DoubleBufferedKV<B>, model-based: random set/set_many/erase/clear/compact/
// reopen steps against a std::map model, with reopens.
#include "store_workload.hpp"

using namespace store_fixture;

namespace {

// Bytes of the record a set or set_many writes (duplicates counted: at
// least the real size).
std::size_t op_record_bytes(const Op& op) {
  RecordWriter w;
  w.begin(memvec::kv::kRecordBatch);
  if (op.kind == Op::set) w.add(op.key, op.value);
  for (const auto& [k, v] : op.items) w.add(k, v);
  return w.finish(0).size();
}

template <class Fx>
void model_run(Fx& fx, std::uint64_t seed, int steps) {
  const StoreOptions o{.initial_size = 2048, .max_size = 65536, .high_water_mark_ratio = 0.6, .compaction_room = 0};
  Mix mix;
  mix.set = 500;
  mix.erase = 150;
  mix.set_many = 150;
  mix.clear = 5;
  mix.compact = 30;
  mix.reopen = 20;
  mix.big = 3;  // 20-70 KB: some fit by growing, some cannot fit at all
  mix.key_space = 80;
  mix.value_max = 120;
  mix.big_min = 20000;
  mix.big_max = 70000;
  Generator gen(seed, mix);
  auto s = fx.open(o);
  Index model;
  std::uint64_t switches = 0;
  int reopens = 0, refused = 0, checks = 0;
  const auto full_check = [&](const char* when) {
    INFO(when);
    REQUIRE(s->size() == model.size());
    REQUIRE(s->empty() == model.empty());
    REQUIRE(s->as_hashmap() == model);
    ++checks;
  };
  for (int step = 0; step < steps; ++step) {
    const Op op = gen.next();
    INFO(Fx::name << " seed " << seed << " step " << step << " " << kind_name(op.kind) << " '"
                  << op.key << "'");
    if (op.kind == Op::reopen) {
      const int active = s->active();
      const std::uint64_t gen_before = s->generation();
      switches += s->switch_count();
      s.reset();
      s = fx.open(o);
      ++reopens;
      REQUIRE(s->active() == active);
      REQUIRE(s->generation() == gen_before);
      REQUIRE(s->recovery().loss == DataLoss::none);
      full_check("after reopen");
      continue;
    }
    const std::uint64_t gen_before = s->generation();
    const int active_before = s->active();
    const std::uint64_t sw = s->switch_count();
    const auto err = error_of([&] { play(*s, op); });
    if (err) {
      // Only a live set that cannot fit at max_size is refused, and then
      // nothing changed.
      REQUIRE(err == errc::capacity_exceeded);
      CHECK(snapshot_bytes(model) + op_record_bytes(op) > 65536 - kHeaderSize);
      ++refused;
      full_check("after a refused write");
      continue;
    }
    play(model, op);
    // Switches move the generation by one each and alternate the roles.
    const std::uint64_t d = s->switch_count() - sw;
    REQUIRE(s->generation() == gen_before + d);
    REQUIRE(s->active() == (d % 2 == 0 ? active_before : 1 - active_before));
    if (op.kind == Op::compact || op.kind == Op::clear) REQUIRE(d >= 1);
    // The keys the call touched, always; everything, every 25 steps.
    const auto check_key = [&](const std::string& k) {
      const auto it = model.find(k);
      REQUIRE(s->contains(k) == (it != model.end()));
      if (it != model.end()) REQUIRE(s->get(k) == it->second);
    };
    if (!op.key.empty() || op.kind == Op::set || op.kind == Op::erase) check_key(op.key);
    for (const auto& [k, v] : op.items) check_key(k);
    if (step % 25 == 0) full_check("periodic");
  }
  switches += s->switch_count();
  s.reset();
  s = fx.open(o);
  full_check("final reopen");
  CHECK(switches > 100);
  CHECK(reopens > 10);
  WARN("model (" << Fx::name << ", seed " << seed << "): " << steps << " steps, " << switches
                 << " switches, " << reopens << " reopens, " << refused
                 << " writes refused with capacity_exceeded (nothing changed), " << checks
                 << " full comparisons");
}

}  // namespace

TEMPLATE_TEST_CASE(
    "store: random set/set_many/erase/clear/compact/reopen steps match a std::map model", "[store]",
    SpanPair, FilePair) {
  TestType fx;
  model_run(fx, 4242, 6000);
}
