// DoubleBufferedKV<B>, processes: a second writer process gets errc::locked;
// a read_only open sees the same content and refuses every write
// (the first design's defect 9).
#include "store_fixture.hpp"

using namespace store_fixture;

namespace {

// Runs `open` in a forked child; returns the errc it threw as an exit code
// (0: it opened, 100: another exception).
template <class F>
int errc_in_child(F&& open) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::alarm(30);
    try {
      open();
      ::_exit(0);
    } catch (const memvec::Error& e) {
      for (int c = 1; c <= static_cast<int>(errc::corrupt_data); ++c)
        if (e.code() == static_cast<errc>(c)) ::_exit(c);
      ::_exit(100);
    } catch (...) {
      ::_exit(100);
    }
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

}  // namespace

TEST_CASE(
    "store: a second writer process gets errc::locked; a read_only open sees the same "
    "content and refuses every write with errc::read_only (first design defect 9)") {
  FilePair fx;
  const StoreOptions o{.initial_size = 4096, .compaction_room = 0};
  StoreOptions ro = o;
  ro.read_only = true;
  auto s = fx.open(o);
  for (int i = 0; i < 50; ++i) s->set(key_n(i), Value(i));
  s->compact();  // both files hold journals
  s->set("last", Value("word"));
  const int locked = static_cast<int>(errc::locked);
  CHECK(errc_in_child([&] { DoubleBufferedMemMappedKV::open(fx.path[0], fx.path[1], o); }) ==
        locked);
  CHECK(errc_in_child([&] { DoubleBufferedMemMappedKV::open(fx.path[0], fx.path[1], ro); }) ==
        locked);
  // Swapped paths are the same files: locked as well.
  CHECK(errc_in_child([&] { DoubleBufferedMemMappedKV::open(fx.path[1], fx.path[0], o); }) ==
        locked);
  CHECK(error_of([&] { fx.open(o); }) == errc::locked);
  // The writer was not disturbed.
  s->set("still", Value(true));
  const Index model = s->as_hashmap();
  const int active = s->active();
  const std::uint64_t gen = s->generation();
  s.reset();

  const std::uint64_t digest[2] = {test::digest(fx.path[0]), test::digest(fx.path[1])};
  {
    auto r = fx.open(ro);
    auto r2 = fx.open(ro);  // readers share
    CHECK(r->as_hashmap() == model);
    CHECK(r2->as_hashmap() == model);
    CHECK(r->active() == active);
    CHECK(r->generation() == gen);
    CHECK(r->size() == model.size());
    CHECK(r->get("last") == Value("word"));
    CHECK(r->contains(key_n(3)));
    CHECK(*r->find(key_n(4)) == Value(4));
    // A writer in another process waits for the readers to leave.
    CHECK(errc_in_child([&] { DoubleBufferedMemMappedKV::open(fx.path[0], fx.path[1], o); }) ==
          locked);
    // Every write is refused, the ones that would compact or grow included.
    CHECK(error_of([&] { r->set("x", Value(1)); }) == errc::read_only);
    CHECK(error_of([&] { r->set(key_n(3), Value(1)); }) == errc::read_only);
    CHECK(error_of([&] { r->erase(key_n(3)); }) == errc::read_only);
    CHECK(error_of([&] {
            r->set_many({{"x", Value(1)}, {key_n(5), Value()}});
          }) == errc::read_only);
    CHECK(error_of([&] { r->set("huge", Value(std::string(1 << 20, 'h'))); }) == errc::read_only);
    CHECK(error_of([&] { r->clear(); }) == errc::read_only);
    CHECK(error_of([&] { r->compact(); }) == errc::read_only);
    // Nothing changed, and reads still work after the refusals.
    CHECK(r->as_hashmap() == model);
    CHECK(r->active() == active);
    CHECK(r->switch_count() == 0);
    CHECK(error_of([&] { r->set("y", Value(2)); }) == errc::read_only);
  }
  CHECK(test::digest(fx.path[0]) == digest[0]);
  CHECK(test::digest(fx.path[1]) == digest[1]);
  auto w = fx.open(o);
  CHECK(w->as_hashmap() == model);
  w->set("after", Value(1));
  CHECK(w->get("after") == Value(1));
}
