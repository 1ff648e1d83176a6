// FaultBackend (tests/fault_backend.hpp), the simulated disk the power-cut
// tests run on: syncs, dirty pages, each cut mode, growth and the durable
// size, images as new backends, sync hooks, limits and a moved-from backend.
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "backend_factory.hpp"
#include "fault_backend.hpp"
#include "memvec/memvec.hpp"
#include "support.hpp"

using memvec::errc;
using test::CutMode;
using test::FaultBackend;
using test::FaultDisk;
using test::SizePolicy;
TEST_CASE("fault backend: sync, dirty pages and cuts behave as documented") {
  const std::size_t page = memvec::page_size();
  FaultBackend b(2 * page);
  auto d = b.disk();
  REQUIRE(reinterpret_cast<std::uintptr_t>(b.data()) % 4096 == 0);
  CHECK(d->dirty_pages().empty());
  b.data()[10] = std::byte{1};
  b.data()[page + 10] = std::byte{2};
  CHECK(d->dirty_pages() == std::vector<std::size_t>{0, 1});
  CHECK(d->cut({CutMode::drop_unsynced})[10] == std::byte{0});
  CHECK(d->cut({CutMode::keep_all})[page + 10] == std::byte{2});
  b.sync(page + 5, 1);  // the covering page only
  CHECK(d->syncs() == 1);
  CHECK(d->dirty_pages() == std::vector<std::size_t>{0});
  // Torn: the head new, the tail old.
  b.data()[page - 1] = std::byte{3};
  const auto torn = d->cut_with({}, FaultDisk::TornPage{0, page / 2});
  CHECK(torn[10] == std::byte{1});
  CHECK(torn[page - 1] == std::byte{0});
  // Growth keeps bytes; the durable size follows only at a sync.
  const std::byte* before = b.data();
  b.resize(3 * page);
  (void)before;
  CHECK(b.data()[page + 10] == std::byte{2});
  CHECK(d->durable_size() == 2 * page);
  CHECK(d->cut({CutMode::keep_all}).size() == 2 * page);
  CHECK(d->cut({CutMode::keep_all, 0, SizePolicy::volatile_size}).size() == 3 * page);
  CHECK(d->dirty_pages() == std::vector<std::size_t>{0, 2});
  b.sync(0, 1);
  CHECK(d->durable_size() == 3 * page);
  CHECK(d->dirty_pages().empty());
  // A new backend from an image: volatile == durable.
  FaultBackend c(d->cut({CutMode::drop_unsynced}));
  CHECK(c.size() == 3 * page);
  CHECK(c.disk()->dirty_pages().empty());
  // Hooks see each sync before it lands, and may throw.
  int seen = 0;
  d->on_sync = [&](FaultDisk&, std::size_t, std::size_t) {
    ++seen;
    if (seen == 2) throw memvec::Error(errc::io_error, "injected");
  };
  b.data()[20] = std::byte{9};
  b.sync(0, 1);
  CHECK(seen == 1);
  b.data()[21] = std::byte{9};
  CHECK(test::error_of([&] { b.sync(0, 1); }) == errc::io_error);
  CHECK(d->dirty_pages() == std::vector<std::size_t>{0});
  // Limits.
  FaultBackend small(page, page);
  CHECK(test::error_of([&] { small.resize(2 * page); }) == errc::capacity_exceeded);
  CHECK(small.size() == page);
  FaultBackend moved = std::move(small);
  CHECK(small.size() == 0);  // NOLINT(bugprone-use-after-move): documented state
  CHECK(moved.size() == page);
}
