// DoubleBufferedKV<FileBackend>::open over files the caller brings: a store
// is two files or none, so a failed open leaves nothing it created behind;
// an existing journal adopted as a store's first file is no loss.
#include "store_fixture.hpp"

using namespace store_fixture;
using memvec::kv::MemMappedKVJournal;

namespace {

std::vector<std::byte> text_bytes(std::string_view s) {
  std::vector<std::byte> out(s.size());
  std::memcpy(out.data(), s.data(), s.size());
  return out;
}

void write_journal(const fs::path& p) {
  auto j = MemMappedKVJournal::create(FileBackend::open(p, {memvec::OpenMode::create_new, 0}));
  j.set("a", 1);
  j.set("b", "two");
  j.set("c", 3.5);
  j.close();
}

}  // namespace

TEST_CASE("store: a failed open leaves no file it created behind") {
  FilePair fx;
  const auto foreign = text_bytes("not a memvec file, but long enough to have a header's size "
                                  "if it were one: the open must refuse it and create nothing");

  SECTION("A foreign, B created by the call") {
    fx.put(0, foreign);
    CHECK_THROWS_AS(fx.open({}), memvec::Error);
    CHECK_FALSE(fs::exists(fx.path[1]));
    CHECK(fx.bytes(0) == foreign);
  }
  SECTION("A created by the call, B foreign") {
    fx.put(1, foreign);
    CHECK_THROWS_AS(fx.open({}), memvec::Error);
    CHECK_FALSE(fs::exists(fx.path[0]));
    CHECK(fx.bytes(1) == foreign);
  }
  SECTION("both created by the call, B's directory missing") {
    fx.path[1] = fx.dir / "missing" / "b.kv";
    CHECK_THROWS(fx.open({}));
    CHECK_FALSE(fs::exists(fx.path[0]));
  }
  SECTION("files that existed stay") {
    fx.put(0, foreign);
    fx.put(1, {});
    CHECK_THROWS_AS(fx.open({}), memvec::Error);
    CHECK(fs::exists(fx.path[1]));
    CHECK(fx.bytes(0) == foreign);
  }
}

TEST_CASE("store: a healthy journal adopted as a store's file beside a new one reports no loss") {
  for (int adopted = 0; adopted < 2; ++adopted) {
    INFO("the journal is file " << (adopted == 0 ? "A" : "B"));
    FilePair fx;
    write_journal(fx.path[adopted]);
    {
      auto s = fx.open({});
      CHECK(s->recovery().loss == DataLoss::none);
      CHECK(s->recovery().reason.empty());
      CHECK(s->active() == adopted);
      CHECK(s->get("a") == Value(1));
      CHECK(s->get("b") == Value("two"));
      CHECK(s->get("c") == Value(3.5));
      s->set("d", 4);  // formats the new file as the standby
    }
    auto s = fx.open({});
    CHECK(s->recovery().loss == DataLoss::none);
    CHECK(s->size() == 4);
    s->compact();  // the adopted journal hands over to the new one
    CHECK(s->active() == 1 - adopted);
    CHECK(s->get("d") == Value(4));
  }
}

TEST_CASE("store: get_or returns the value, or the fallback when the key is absent") {
  FilePair fx;
  auto s = fx.open({});
  s->set("timeout", 3);
  CHECK(s->get_or("timeout", 10).as_double() == 3.0);
  CHECK(s->get_or("retries", 5) == Value(5));
  CHECK_FALSE(s->contains("retries"));
}
