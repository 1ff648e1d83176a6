// FaultBackend: a fault-injecting Backend for power-loss tests, after
// LevelDB's fault-injection Env and SQLite's crash-test VFS.
//
// It keeps two byte images of one "file":
//   volatile  what the mapping holds: data()/size() (page-aligned memory);
//   durable   what the disk holds: only sync() moves bytes into it.
// sync(off, n) copies the page-aligned range covering [off, off+n) from
// volatile to durable, and the durable size follows the volatile size (as
// fdatasync records the file size). resize() changes only the volatile side
// (keeping every byte, zero-filling growth). "Durable" starts as the initial
// image.
//
// A simulated power cut (FaultDisk::cut) produces the bytes a reopen would
// see: the durable image plus, depending on the CutMode, none of the unsynced
// ("dirty": volatile differs from durable) pages, a random subset of them
// (writeback in any order, or a sync interrupted halfway), one of them torn
// (its first part new, the rest old, as with a sector-granular write), or all
// of them (what a process crash leaves: the page cache survives). The size
// of the image is the durable size by default; SizePolicy::volatile_size
// models a file whose size metadata reached the disk before the cut (the
// pages past the durable size then read as zeros unless written back).
//
// Every sync() first calls FaultDisk::on_sync (before anything is copied), so
// a test can take images "at sync point k": the moment the power died just
// before that sync completed. With mmap, writes cannot be intercepted, so the
// other cut moments are the returns of the calls under test. on_sync and
// on_resize may also throw (e.g. memvec::Error(errc::io_error)) to inject I/O
// failures; a throwing on_sync leaves durable untouched, a throwing on_resize
// leaves the backend as it was.
//
// Typical use:
//   test::FaultBackend be(4096);
//   auto disk = be.disk();                  // survives moving `be` away
//   auto j = KVJournal<test::FaultBackend>::create(std::move(be), opts);
//   disk->on_sync = [&](test::FaultDisk& d, std::size_t, std::size_t) {
//     images.push_back(d.cut({test::CutMode::random_subset, seed}));
//   };
//   ... workload ...
//   auto again = KVJournal<test::FaultBackend>::open(test::FaultBackend(images[k]));
//
// Thread-safety: none. Move-only; a moved-from backend has size() == 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "memvec/backend.hpp"

namespace test {

enum class CutMode : std::uint8_t {
  drop_unsynced,  // only the durable image
  random_subset,  // plus each dirty page with probability 1/2 (seeded)
  torn_page,      // plus one dirty page (seeded pick) torn: its head new, its tail old
  keep_all,       // plus every dirty page: a process crash, not a power cut
};

enum class SizePolicy : std::uint8_t {
  durable_size,   // the image has the durable size (default)
  volatile_size,  // the size metadata reached the disk; pages past the durable
                  // size are zero unless the mode writes them back
};

struct CutSpec {
  CutMode mode = CutMode::drop_unsynced;
  std::uint64_t seed = 0;
  SizePolicy size = SizePolicy::durable_size;
  // torn_page: bytes of the page that are new (the rest keeps its durable
  // bytes); 0 means half a page.
  std::size_t torn_at = 0;
};

const char* to_string(CutMode mode) noexcept;

// The shared state of a FaultBackend: stays alive as long as a handle does.
class FaultDisk {
 public:
  using SyncHook = std::function<void(FaultDisk&, std::size_t offset, std::size_t bytes)>;
  using ResizeHook = std::function<void(FaultDisk&, std::size_t new_size)>;

  FaultDisk(const FaultDisk&) = delete;
  FaultDisk& operator=(const FaultDisk&) = delete;
  ~FaultDisk();

  // --- the two images ------------------------------------------------------
  std::span<const std::byte> volatile_bytes() const noexcept { return {mem_, size_}; }
  std::span<const std::byte> durable_bytes() const noexcept { return durable_; }
  std::size_t size() const noexcept { return size_; }
  std::size_t durable_size() const noexcept { return durable_.size(); }
  std::size_t page() const noexcept { return page_; }

  // Pages (indexes) whose volatile bytes differ from the durable ones, plus
  // pages past the durable size; ascending.
  std::vector<std::size_t> dirty_pages() const;

  // --- power cuts ----------------------------------------------------------
  // The image a reopen would see after a power cut now.
  std::vector<std::byte> cut(const CutSpec& spec) const;
  // The durable image plus exactly the listed dirty pages written back, and
  // optionally one page torn (its first `torn_at` bytes new).
  struct TornPage {
    std::size_t page;
    std::size_t torn_at;
  };
  std::vector<std::byte> cut_with(std::span<const std::size_t> written_back,
                                  std::optional<TornPage> torn = std::nullopt,
                                  SizePolicy size = SizePolicy::durable_size) const;

  // --- counters and hooks --------------------------------------------------
  std::uint64_t syncs() const noexcept { return syncs_; }
  std::uint64_t resizes() const noexcept { return resizes_; }
  SyncHook on_sync;      // before each sync takes effect
  ResizeHook on_resize;  // before each resize takes effect

  // Makes everything durable at once (as a clean shutdown would), no hook.
  void sync_all();

 private:
  friend class FaultBackend;
  FaultDisk(std::span<const std::byte> image, std::size_t limit);
  void resize(std::size_t bytes);
  void sync(std::size_t offset, std::size_t bytes);

  std::byte* mem_ = nullptr;  // volatile, page-aligned
  std::size_t size_ = 0;
  std::vector<std::byte> durable_;
  std::size_t limit_;
  std::size_t page_;
  std::uint64_t syncs_ = 0;
  std::uint64_t resizes_ = 0;
};

class FaultBackend {
 public:
  FaultBackend() = default;
  // `bytes` zeros, durable as well; growth past `limit` throws
  // errc::capacity_exceeded.
  explicit FaultBackend(std::size_t bytes, std::size_t limit = SIZE_MAX);
  // A backend over a copy of `image` (e.g. a cut): volatile == durable == image.
  explicit FaultBackend(std::span<const std::byte> image, std::size_t limit = SIZE_MAX);

  FaultBackend(FaultBackend&&) noexcept = default;
  FaultBackend& operator=(FaultBackend&&) noexcept = default;
  FaultBackend(const FaultBackend&) = delete;
  FaultBackend& operator=(const FaultBackend&) = delete;

  std::byte* data() noexcept { return disk_ ? disk_->mem_ : nullptr; }
  const std::byte* data() const noexcept { return disk_ ? disk_->mem_ : nullptr; }
  std::size_t size() const noexcept { return disk_ ? disk_->size_ : 0; }
  void resize(std::size_t bytes);
  void sync(std::size_t offset, std::size_t bytes);
  bool writable() const noexcept { return disk_ != nullptr; }

  // The shared state, for inspection and cuts after the backend moved into a
  // container.
  const std::shared_ptr<FaultDisk>& disk() const noexcept { return disk_; }

 private:
  std::shared_ptr<FaultDisk> disk_;
};
static_assert(memvec::Backend<FaultBackend>);

}  // namespace test
