// Shared by the DoubleBufferedKV<B> tests (test_store_*.cpp):
// the fixtures a store is opened (and reopened) over (two
// caller-owned buffers, two files, anonymous memory), a look at one journal's
// bytes (inspect), a header's creation time rewritten (set_created), and
// small helpers (describe, key_n, record_bytes, seconds_since).
#pragma once
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "backend_factory.hpp"
#include "fault_backend.hpp"
#include "memvec/crc32c.hpp"
#include "memvec/kv.hpp"
#include "memvec/memvec.hpp"
#include "crash_harness.hpp"
#include "support.hpp"

namespace store_fixture {

namespace fs = std::filesystem;
using memvec::AnonBackend;
using memvec::Durability;
using memvec::errc;
using memvec::FileBackend;
using memvec::kHeaderSize;
using memvec::SpanBackend;
using memvec::kv::Array;
using memvec::kv::choose_active;
using memvec::kv::DataLoss;
using memvec::kv::DoubleBufferedKV;
using memvec::kv::DoubleBufferedMemMappedKV;
using memvec::kv::Index;
using memvec::kv::JournalCandidate;
using memvec::kv::JournalMeta;
using memvec::kv::KVJournal;
using memvec::kv::Object;
using memvec::kv::RecordWriter;
using memvec::kv::snapshot_bytes;
using memvec::kv::standby_size;
using memvec::kv::StoreOptions;
using memvec::kv::Value;
using test::CutMode;
using test::CutSpec;
using test::error_of;
using test::FaultBackend;
using test::FaultDisk;
using test::SizePolicy;

using test::AckReader;
using test::ChildGuard;
using test::env_or;
using test::write_all;

using Rng = std::mt19937_64;
using Item = std::pair<std::string, Value>;
template <class B>
using Store = DoubleBufferedKV<B>;

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

inline std::string describe(const Index& index) {
  std::map<std::string, std::string> sorted;
  for (const auto& [k, v] : index) sorted.emplace(k, v.to_json());
  std::ostringstream os;
  os << "{";
  std::size_t n = 0;
  for (const auto& [k, v] : sorted) {
    if (++n > 12) {
      os << "...";
      break;
    }
    os << '"' << k.substr(0, 20) << "\": " << v.substr(0, 24) << ", ";
  }
  os << "} (" << index.size() << " keys)";
  return os.str();
}

inline std::string key_n(std::size_t i) {
  std::string s = std::to_string(i);
  return "key-" + std::string(s.size() < 4 ? 4 - s.size() : 0, '0') + s;
}

// Bytes of the one record set(key, value) writes.
inline std::size_t record_bytes(std::string_view key, const Value& value) {
  RecordWriter w;
  w.begin(memvec::kv::kRecordBatch);
  w.add(key, value);
  return w.finish(0).size();
}

// --- fixtures: two backends a store is opened (and reopened) over -----------------

// Two caller-owned buffers; reconstructing the store over them is what a
// program that kept the buffers would see after a restart.
struct SpanPair {
  static constexpr bool persistent = true;
  static constexpr bool file = false;
  static constexpr const char* name = "SpanBackend";
  explicit SpanPair(std::size_t bytes = 64 * 1024)
      : buf{test::AlignedBuffer(bytes), test::AlignedBuffer(bytes)} {}
  std::unique_ptr<Store<SpanBackend>> open(const StoreOptions& o) {
    return std::make_unique<Store<SpanBackend>>(SpanBackend(std::span<std::byte>(buf[0])),
                                                SpanBackend(std::span<std::byte>(buf[1])), o);
  }
  std::vector<std::byte> bytes(int i) const { return {buf[i].begin(), buf[i].end()}; }
  void put(int i, const std::vector<std::byte>& b) {
    std::copy(b.begin(), b.end(), buf[i].begin());
  }
  test::AlignedBuffer buf[2];
};

// Two files in a fresh directory, opened with DoubleBufferedMemMappedKV::open.
struct FilePair {
  static constexpr bool persistent = true;
  static constexpr bool file = true;
  static constexpr const char* name = "FileBackend";
  std::unique_ptr<Store<FileBackend>> open(const StoreOptions& o) {
    // new T(prvalue): guaranteed elision (the store is neither copyable nor movable).
    return std::unique_ptr<Store<FileBackend>>(
        new Store<FileBackend>(DoubleBufferedMemMappedKV::open(path[0], path[1], o)));
  }
  std::vector<std::byte> bytes(int i) const { return test::read_file(path[i]); }
  void put(int i, const std::vector<std::byte>& b) { test::write_file(path[i], b); }
  std::size_t file_size(int i) const { return fs::file_size(path[i]); }
  test::TempDir dir;
  fs::path path[2] = {dir / "a.kv", dir / "b.kv"};
};

// Anonymous memory: grows, but nothing survives the store.
struct AnonPair {
  static constexpr bool persistent = false;
  static constexpr bool file = false;
  static constexpr const char* name = "AnonBackend";
  std::unique_ptr<Store<AnonBackend>> open(const StoreOptions& o) {
    return std::make_unique<Store<AnonBackend>>(AnonBackend{}, AnonBackend{}, o);
  }
};

// The journal in one backend's bytes, opened on a copy.
struct Inspected {
  bool readable = false;
  JournalMeta meta;
  Index index;
  bool complete = false;
  std::string error;
};

inline Inspected inspect(const std::vector<std::byte>& bytes) {
  test::AlignedBuffer copy(bytes.begin(), bytes.end());
  Inspected out;
  try {
    auto j = KVJournal<SpanBackend>::open(SpanBackend(std::span<std::byte>(copy)));
    out.readable = true;
    out.meta = j.meta();
    out.index = j.as_hashmap();
    out.complete = j.starts_with_snapshot();
  } catch (const memvec::Error& e) {
    out.error = e.what();
  }
  return out;
}

// Rewrites the journal's creation time in a header and fixes the MemVec
// header CRC (CRC32C of [0, 44) and [72, 256), as src/header.cpp does).
inline void set_created(std::vector<std::byte>& h, std::uint64_t unix_ns) {
  namespace off = memvec::header_offset;
  std::memcpy(h.data() + off::kUserArea + 16, &unix_ns, sizeof unix_ns);
  const std::uint32_t head = memvec::crc32c(h.data(), off::kHeaderCrc);
  const std::uint32_t crc =
      memvec::crc32c(h.data() + off::kUserArea, kHeaderSize - off::kUserArea, head);
  std::memcpy(h.data() + off::kHeaderCrc, &crc, sizeof crc);
}

// One blank page: what a freshly created file of initial_size 4096 holds.
// (Not 0 bytes: FaultDisk::cut_with memcpy's from an empty durable image's
// null data(), which UBSan rejects.)
inline constexpr std::size_t kBlank = 4096;

}  // namespace store_fixture
