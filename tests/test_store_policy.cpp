// DoubleBufferedKV<B>, policy units (docs/DURABILITY.md): choose_active
// (generation order only; a torn compaction, an unreadable journal and a
// generation-0 spare are never chosen), torn_compaction, standby_size
// (hysteresis, powers of two, clamps, 0 past max_size) and validate().
#include "store_fixture.hpp"

using namespace store_fixture;

TEST_CASE("store: choose_active takes the higher generation when both journals are complete") {
  CHECK(choose_active({true, 5, true}, {true, 6, true}) == 1);
  CHECK(choose_active({true, 6, true}, {true, 5, true}) == 0);
  CHECK(choose_active({true, 1, true}, {true, 2, true}) == 1);
  CHECK(choose_active({true, 1000001, true}, {true, 1000000, true}) == 0);
  const std::uint64_t big = std::numeric_limits<std::uint64_t>::max();
  CHECK(choose_active({true, big - 1, true}, {true, big, true}) == 1);
}

TEST_CASE("store: choose_active never takes a newer journal whose compaction was torn") {
  // The newer generation has no snapshot record: a crash tore its
  // compaction. The older, complete one is the store.
  CHECK(choose_active({true, 5, true}, {true, 6, false}) == 0);
  CHECK(choose_active({true, 6, false}, {true, 5, true}) == 1);
  CHECK(choose_active({true, 1, true}, {true, 2, false}) == 0);
}

TEST_CASE("store: choose_active takes the other journal when one is unreadable") {
  // Whatever generation an unreadable header might claim.
  CHECK(choose_active({false, 9, true}, {true, 3, true}) == 1);
  CHECK(choose_active({true, 3, true}, {false, 9, true}) == 0);
  CHECK(choose_active({false, 0, false}, {true, 7, true}) == 1);
}

TEST_CASE("store: choose_active never takes a generation-0 spare") {
  CHECK(choose_active({true, 0, true}, {true, 1, true}) == 1);
  CHECK(choose_active({true, 1, true}, {true, 0, true}) == 0);
  CHECK(choose_active({true, 0, true}, {true, 0, true}) == -1);
  CHECK(choose_active({true, 0, true}, {false, 4, true}) == -1);
}

TEST_CASE("store: choose_active returns -1 when neither journal can be active") {
  CHECK(choose_active({}, {}) == -1);
  CHECK(choose_active({false, 3, true}, {false, 4, true}) == -1);
  CHECK(choose_active({true, 3, false}, {true, 4, false}) == -1);
  CHECK(choose_active({true, 3, false}, {false, 4, true}) == -1);
}

TEST_CASE("store: choose_active over every small combination follows generation order only") {
  int cases = 0;
  for (int ra = 0; ra < 2; ++ra)
    for (int ca = 0; ca < 2; ++ca)
      for (std::uint64_t ga = 0; ga < 4; ++ga)
        for (int rb = 0; rb < 2; ++rb)
          for (int cb = 0; cb < 2; ++cb)
            for (std::uint64_t gb = 0; gb < 4; ++gb) {
              const JournalCandidate a{ra == 1, ga, ca == 1}, b{rb == 1, gb, cb == 1};
              const bool ea = a.readable && a.complete && a.generation > 0;
              const bool eb = b.readable && b.complete && b.generation > 0;
              const int got = choose_active(a, b);
              INFO("a {" << ra << "," << ga << "," << ca << "} b {" << rb << "," << gb << "," << cb
                         << "}");
              if (!ea && !eb) {
                CHECK(got == -1);
              } else if (ea && eb) {
                CHECK(got == (gb > ga ? 1 : 0));
              } else {
                CHECK(got == (ea ? 0 : 1));
              }
              // Symmetric: swapping the journals swaps the answer.
              const int swapped = choose_active(b, a);
              CHECK(swapped == (got < 0 ? -1 : (ea && eb && ga == gb) ? 0 : 1 - got));
              ++cases;
            }
  CHECK(cases == 256);
}

TEST_CASE(
    "store: standby_size leaves room for the live set and max(live set, compaction_room) more "
    "below the high-water mark") {
  // Hysteresis: a compaction into a journal of standby_size(need) bytes is
  // followed by at least max(need, compaction_room) bytes of fresh writes
  // before the high-water mark, so a live set near half the file cannot
  // thrash (MMKV's lesson) and a tiny hot set does not sync every few writes.
  std::size_t checked = 0;
  Rng rng(7);
  for (const double ratio : {0.05, 0.1, 0.4, 0.5, 0.8, 0.999, 1.0}) {
    for (const std::size_t initial :
         {std::size_t{0}, std::size_t{1024}, std::size_t{4096}, std::size_t{8192}}) {
      for (const std::size_t max : {std::size_t{8192}, std::size_t{65536}, std::size_t{1} << 20,
                                    std::size_t{1} << 30, std::size_t{100000}})
      for (const std::size_t room : {std::size_t{0}, std::size_t{3000}, std::size_t{65536}}) {
        if (initial > max) continue;
        const StoreOptions o{.initial_size = initial,
                             .max_size = max,
                             .high_water_mark_ratio = ratio,
                             .compaction_room = room};
        const std::size_t fresh_room = std::min(room, max - kHeaderSize);
        REQUIRE_NOTHROW(memvec::kv::validate(o));
        const std::uint32_t ppm = memvec::kv::detail::ratio_ppm(ratio, "");
        std::vector<std::size_t> needs = {0,
                                          1,
                                          2,
                                          100,
                                          1000,
                                          1500,
                                          4000,
                                          max / 4,
                                          max / 2,
                                          max - kHeaderSize - 1,
                                          max - kHeaderSize,
                                          max - kHeaderSize + 1,
                                          max,
                                          max + 1};
        for (int k = 0; k < 60; ++k) needs.push_back(rng() % (max + 64));
        std::sort(needs.begin(), needs.end());
        std::size_t previous = 0;
        for (const std::size_t need : needs) {
          const std::size_t r = standby_size(need, o);
          INFO("ratio " << ratio << " initial " << initial << " max " << max << " room " << room
                        << " need " << need << " -> " << r);
          ++checked;
          if (need > max - kHeaderSize) {
            CHECK(r == 0);  // cannot fit even at max_size
            continue;
          }
          CHECK(r >= std::max<std::size_t>(initial, kHeaderSize + need));
          CHECK(r <= max);
          CHECK(r >= previous);  // monotone in need
          previous = r;
          const bool clamped_up = r == initial;
          const bool clamped_down = r == max;
          CHECK((std::has_single_bit(r) || clamped_up || clamped_down));
          // The high-water mark of a journal in r bytes (its log starts past
          // the 256-byte header) leaves `fresh` bytes after the snapshot.
          const std::size_t fresh = std::max(need, fresh_room);
          const std::size_t hwm = memvec::kv::detail::apply_ppm(r - kHeaderSize, ppm);
          if (!clamped_down) {
            CHECK(hwm >= need + fresh);
            CHECK(static_cast<double>(r) >=
                  static_cast<double>(need + fresh) / ratio + kHeaderSize - 1);
          }
          // Never oversized: half of it would not have had that room.
          if (!clamped_up && !clamped_down && r / 2 >= kHeaderSize)
            CHECK(memvec::kv::detail::apply_ppm(r / 2 - kHeaderSize, ppm) <= need + fresh);
        }
      }
    }
  }
  // A few exact values.
  const StoreOptions hot{.initial_size = 8192, .compaction_room = 0};
  CHECK(standby_size(0, hot) == 8192);
  CHECK(standby_size(1500, hot) == 8192);  // 1500 * 2 / 0.8 fits 8 KiB
  const StoreOptions hot_default{.initial_size = 8192};
  CHECK(standby_size(1500, hot_default) == 8192);  // compaction_room 0 by default: files keep their size
  const StoreOptions hot_room{.initial_size = 8192, .compaction_room = 65536};
  CHECK(standby_size(1500, hot_room) == 131072);  // 256 + (1500 + 65536) / 0.8 + 1 -> 128 KiB
  const StoreOptions half{.initial_size = 4096,
                          .max_size = 1 << 20,
                          .high_water_mark_ratio = 0.5,
                          .compaction_room = 0};
  CHECK(standby_size(5000, half) == 32768);  // 256 + 4 * 5000 + 1 -> 32 KiB
  CHECK(standby_size((1 << 20) - 256, half) == (1 << 20));
  CHECK(standby_size((1 << 20) - 255, half) == 0);
  WARN("standby_size: " << checked << " (need, options) cases checked");
}

TEST_CASE("store: torn_compaction: only a newer journal with nothing committed is a torn "
          "compaction; committed bytes that are no snapshot are damage") {
  using memvec::kv::torn_compaction;
  CHECK(torn_compaction(0));
  CHECK_FALSE(torn_compaction(11));  // an empty snapshot's size: synced before its commit
  CHECK_FALSE(torn_compaction(500));
  CHECK(snapshot_bytes(Index{}) == 11);  // 9-byte frame header, object start and end
}

TEST_CASE("store: validate() and the store refuse bad options with errc::invalid_argument") {
  const auto nan = std::numeric_limits<double>::quiet_NaN();
  const auto inf = std::numeric_limits<double>::infinity();
  struct Bad {
    StoreOptions o;
    const char* field;
  };
  const Bad bad[] = {
      {{.high_water_mark_ratio = 0.0}, "high_water_mark_ratio"},
      {{.high_water_mark_ratio = -0.5}, "high_water_mark_ratio"},
      {{.high_water_mark_ratio = 1.0000001}, "high_water_mark_ratio"},
      {{.high_water_mark_ratio = nan}, "high_water_mark_ratio"},
      {{.high_water_mark_ratio = inf}, "high_water_mark_ratio"},
      {{.initial_size = 8192, .max_size = 4096}, "initial_size"},
      {{.initial_size = 0, .max_size = 256}, "max_size"},
      {{.initial_size = 0, .max_size = 100}, "max_size"},
      {{.initial_size = 0, .max_size = 0}, "max_size"},
  };
  for (const Bad& b : bad) {
    INFO("field " << b.field << " ratio " << b.o.high_water_mark_ratio << " initial "
                  << b.o.initial_size << " max " << b.o.max_size);
    try {
      memvec::kv::validate(b.o);
      FAIL("validate accepted it");
    } catch (const memvec::Error& e) {
      CHECK(e.code() == errc::invalid_argument);
      CHECK(std::string(e.what()).find(b.field) != std::string::npos);
    }
    // The store refuses them before touching a byte of its backends.
    SpanPair fx(4096);
    CHECK(error_of([&] { fx.open(b.o); }) == errc::invalid_argument);
    for (const auto& buf : fx.buf)
      CHECK(std::all_of(buf.begin(), buf.end(), [](std::byte x) { return x == std::byte{0}; }));
  }
  CHECK_NOTHROW(memvec::kv::validate(StoreOptions{}));
  CHECK_NOTHROW(
      memvec::kv::validate({.initial_size = 0, .max_size = 257, .high_water_mark_ratio = 1.0}));
  CHECK_NOTHROW(memvec::kv::validate(
      {.initial_size = 4096, .max_size = 4096, .high_water_mark_ratio = 1e-6}));
}
