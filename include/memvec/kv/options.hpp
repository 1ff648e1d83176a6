// Options of the KV layers: plain structs, every field defaulted.
//
// Validation happens where they are used (KVJournal::open..., the store's
// constructors): a bad option throws errc::invalid_argument naming the field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "memvec/backend.hpp"

namespace memvec::kv {

struct JournalOptions {
  // usage_ratio() at or above this sets high_water_mark_triggered(). In (0, 1].
  double high_water_mark_ratio = 0.8;
  // Total backend bytes (header included) a growable journal may reach; a
  // write that would need more throws errc::capacity_exceeded, journal
  // unchanged. The default leaves the limit to the backend (a SpanBackend
  // never grows; a file grows until the disk is full, which is an error too).
  std::size_t max_size = std::numeric_limits<std::size_t>::max();
  Durability durability = Durability::process_crash;
};

struct StoreOptions {
  std::size_t initial_size = 64 * 1024;  // bytes per journal when created
  std::size_t max_size = 1ull << 30;     // bytes a journal may grow to
  double high_water_mark_ratio = 0.8;
  // A compaction leaves room for at least this many bytes of fresh writes
  // below the high-water mark (within max_size); 0 (the default) sizes the
  // standby from the live set alone, so files keep initial_size while the
  // disk keeps up. Each compaction's journal is flushed once (off the
  // writer's thread for files under process_crash): when compactions
  // outrun those flushes, the store doubles this room for itself, and the
  // files grow instead of thrashing.
  std::size_t compaction_room = 0;
  Durability durability = Durability::process_crash;
  // DoubleBufferedKV<FileBackend>::open only: open both files read-only
  // (shared locks; every write throws errc::read_only).
  bool read_only = false;
};

namespace detail {
// The ratio as parts per million, validated: (0, 1] or errc::invalid_argument.
std::uint32_t ratio_ppm(double ratio, const char* field);
// floor(bytes * ppm / 1e6) in integer arithmetic: exact at any size (the
// first journal design computed it in f32, off by whole pages past 16 MiB).
std::size_t apply_ppm(std::size_t bytes, std::uint32_t ppm) noexcept;
}  // namespace detail

}  // namespace memvec::kv
