// libFuzzer target: MemVec<T, SpanBackend> opening arbitrary bytes. A file
// is untrusted input (a damaged disk, someone else's file), so for any bytes:
//  - open(), validate() and open_or_create() either throw memvec::Error or
//    open, and agree with each other; opening writes nothing, failed or not;
//  - an opened vector is consistent with its buffer (size() <= capacity(),
//    the capacity fits in the bytes, every element reads the bytes at its
//    place) and stays usable: a few push_back (each succeeds or throws
//    capacity_exceeded, vector unchanged) and an optional pop_back, then a
//    reopen that sees exactly the old elements plus what was pushed.
// Runs four ways per input: std::uint32_t open, std::byte open, uint32 open
// with keep_truncated (the journal's way) and uint32 open_or_create.
// Input: one flags byte, then the file. Flags: bits 0-1 repair the header
// (fuzz_util.hpp: word checks, CRC) so mutations get past the checksums,
// bits 3-5 the number of pushes, bit 6 a pop_back after them.
// Build and run: fuzz/run.sh [seconds].
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <vector>

#include "fuzz_util.hpp"
#include "memvec/error.hpp"
#include "memvec/mem_vec.hpp"
#include "memvec/span_backend.hpp"

namespace {

using memvec::errc;
using memvec::SpanBackend;

enum class Mode { open, keep_truncated, open_or_create };

template <class T>
T pattern(std::size_t i) {
  if constexpr (std::is_same_v<T, std::byte>)
    return static_cast<std::byte>(0xA0 + i);
  else
    return static_cast<T>(0xA5A50000u + i);
}

template <class T>
void exercise(const fuzz::Buffer& file, unsigned flags, Mode mode) {
  using Vec = memvec::MemVec<T, SpanBackend>;
  fuzz::Buffer buf(file.span());  // a fresh copy per way
  const std::string before = buf.snapshot();
  const bool keep = mode == Mode::keep_truncated;
  const memvec::VecOptions options{memvec::Durability::process_crash, {}, keep};
  const bool blank = memvec::detail::is_blank(buf.span());

  // validate() is open() without taking the backend: same verdict.
  std::optional<errc> verdict;
  try {
    SpanBackend probe(buf.span());
    (void)Vec::validate(probe, keep);
  } catch (const memvec::Error& e) {
    verdict = static_cast<errc>(e.code().value());
  }

  std::optional<Vec> v;
  try {
    v.emplace(mode == Mode::open_or_create ? Vec::open_or_create(SpanBackend(buf.span()), options)
                                           : Vec::open(SpanBackend(buf.span()), options));
  } catch (const memvec::Error& e) {
    FUZZ_CHECK(buf.equals(before));  // a failed open or create writes nothing
    if (mode != Mode::open_or_create || !blank)
      FUZZ_CHECK(verdict && e.code() == *verdict);
    else
      FUZZ_CHECK(e.code() == errc::capacity_exceeded);  // too small to format
    return;
  }
  const bool created = mode == Mode::open_or_create && blank;
  if (!created) {
    FUZZ_CHECK(!verdict);
    FUZZ_CHECK(buf.equals(before));  // opening never writes
  } else {
    FUZZ_CHECK(v->empty());
  }

  // Consistent with the buffer it lives in.
  FUZZ_CHECK(v->size() <= v->capacity());
  FUZZ_CHECK(Vec::kSpec.data_offset + v->capacity() * sizeof(T) <= buf.size());
  FUZZ_CHECK(reinterpret_cast<const std::byte*>(v->data()) == buf.span().data() + Vec::kSpec.data_offset);
  if (!keep) FUZZ_CHECK(v->missing_on_open() == 0);
  const std::size_t missing = v->missing_on_open();
  std::vector<T> expect;
  for (std::size_t i = 0; i < v->size(); ++i) {
    T raw;
    std::memcpy(&raw, buf.span().data() + Vec::kSpec.data_offset + i * sizeof(T), sizeof(T));
    FUZZ_CHECK((*v)[i] == raw && v->at(i) == raw);
    expect.push_back(raw);
  }
  try {
    (void)v->at(v->size());
    fuzz::die("at(size()) did not throw", __LINE__);
  } catch (const std::out_of_range&) {
    // As std::vector::at (include/memvec/error.hpp).
  }
  (void)v->user_word();
  (void)v->user_area();

  // Still usable: pushes succeed or fail whole.
  const std::size_t pushes = (flags >> 3) & 7;
  bool committed = false;
  for (std::size_t i = 0; i < pushes; ++i) {
    const std::size_t n = v->size();
    try {
      v->push_back(pattern<T>(i));
    } catch (const memvec::Error& e) {
      FUZZ_CHECK(e.code() == errc::capacity_exceeded);
      FUZZ_CHECK(v->size() == n);
      break;
    }
    FUZZ_CHECK(v->size() == n + 1 && v->back() == pattern<T>(i));
    FUZZ_CHECK(v->size() <= v->capacity());
    expect.push_back(pattern<T>(i));
    committed = true;
  }
  if ((flags & 0x40) && !v->empty()) {
    v->pop_back();
    expect.pop_back();
    committed = true;
  }
  FUZZ_CHECK(v->size() == expect.size());
  for (std::size_t i = 0; i < expect.size(); ++i) FUZZ_CHECK((*v)[i] == expect[i]);
  v.reset();

  // Reopen: exactly the elements pushed onto what it held. A truncated
  // vector's length word keeps counting the missing elements until a
  // commit publishes the held length.
  Vec again = Vec::open(SpanBackend(buf.span()), options);
  FUZZ_CHECK(again.size() == expect.size());
  FUZZ_CHECK(again.missing_on_open() == (committed ? 0 : missing));
  for (std::size_t i = 0; i < expect.size(); ++i) FUZZ_CHECK(again[i] == expect[i]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Reader in(data, size);
  const unsigned flags = in.u8();
  fuzz::Buffer file(in.rest());
  fuzz::repair(file.span(), flags & (fuzz::kFixWords | fuzz::kFixHeaderCrc));
  exercise<std::uint32_t>(file, flags, Mode::open);
  exercise<std::byte>(file, flags, Mode::open);
  exercise<std::uint32_t>(file, flags, Mode::keep_truncated);
  exercise<std::uint32_t>(file, flags, Mode::open_or_create);
  return 0;
}
