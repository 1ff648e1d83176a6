// Writing and reading snapshot streams (format: snapshot_format.hpp and
// docs/FORMAT.md "Snapshot stream"). Both work on plain std::streams; the
// caller wraps them in compression (compression.hpp).
//
// The reader reads and checks the whole stream — every entry, the count,
// the CRC, and that nothing follows — before it returns a single entry, so
// `import` applies all of a snapshot or nothing of it.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <memvec/kv/value.hpp>

namespace memvec_kv {

// A snapshot that cannot be read: damaged, truncated, not a snapshot.
struct SnapshotError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class SnapshotWriter {
 public:
  // Writes the header.
  explicit SnapshotWriter(std::ostream& out);
  // Keys must come in strictly increasing byte order, values not null.
  // Throws memvec::Error(invalid_argument) for what BONJSON cannot encode.
  void add(std::string_view key, const memvec::kv::Value& value);
  // Writes the end marker, the count and the CRC.
  void finish();
  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t bytes() const noexcept { return bytes_; }

 private:
  void put(const void* data, std::size_t size);
  std::ostream& out_;
  std::uint32_t crc_ = 0;
  std::uint64_t count_ = 0;
  std::uint64_t bytes_ = 0;
  std::string last_key_;
  std::string buf_;
};

struct Snapshot {
  std::uint16_t version = 0;
  std::uint64_t bytes = 0;                                         // of the uncompressed stream
  std::vector<std::pair<std::string, memvec::kv::Value>> entries;  // in stream order
};

// Throws SnapshotError naming the stream offset of the problem.
// `tick` is called after each entry (progress).
Snapshot read_snapshot(std::istream& in, const std::function<void()>& tick = {});

}  // namespace memvec_kv
