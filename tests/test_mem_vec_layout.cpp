// MemVec<T, B>, what a vector adds to the std::vector surface: alignment
// (over-aligned elements, misaligned spans), odd-sized packed records, and
// type tags checked on open.
#include "mem_vec_fixture.hpp"

using namespace mem_vec_fixture;

// --- alignment and odd-sized records ----------------------------------------------------

TEMPLATE_TEST_CASE(
    "mem_vec: an alignas(64) element type is aligned on every backend and "
    "after growth",
    "[mem_vec][align]", MEMVEC_ALL_BACKENDS) {
  test::Factory<TestType> f;
  auto v = fresh<Wide>(f);
  CHECK(reinterpret_cast<std::uintptr_t>(v.data()) % 64 == 0);
  const std::size_t n = 3 * v.capacity() + 1;
  for (U64 i = 0; i < n; ++i) v.push_back(Wide{i, static_cast<std::uint32_t>(i)});
  CHECK(reinterpret_cast<std::uintptr_t>(v.data()) % 64 == 0);
  CHECK(v[100].id == 100);

  auto h = fresh<Huge>(f);  // past the header size: elements start at 512
  CHECK(reinterpret_cast<std::uintptr_t>(h.data()) % 512 == 0);
  for (U64 i = 0; i < 100; ++i) h.push_back(Huge{i});
  CHECK(reinterpret_cast<std::uintptr_t>(h.data()) % 512 == 0);
  CHECK(h[99].id == 99);
}

TEMPLATE_TEST_CASE("mem_vec: over-aligned elements stay aligned and intact after reopen",
                   "[mem_vec][align]", MEMVEC_PERSISTENT_BACKENDS) {
  test::Factory<TestType> f;
  {
    auto v = fresh<Wide>(f);
    for (U64 i = 0; i < 500; ++i) v.push_back(Wide{i, static_cast<std::uint32_t>(i * 3)});
  }
  auto v = memvec::MemVec<Wide, TestType>::open(f.reopen());
  CHECK(reinterpret_cast<std::uintptr_t>(v.data()) % 64 == 0);
  REQUIRE(v.size() == 500);
  bool ok = true;
  for (U64 i = 0; i < 500; ++i) ok = ok && v[i].id == i && v[i].small == i * 3;
  CHECK(ok);
}

TEST_CASE("mem_vec: a span not aligned for the element type is refused with invalid_argument",
          "[mem_vec][align]") {
  test::AlignedBuffer buf(64 * 1024);
  memvec::SpanBackend misaligned{std::span<std::byte>(buf).subspan(16)};
  CHECK(error_of([&] {
          (void)memvec::MemVec<Wide, memvec::SpanBackend>::create(std::move(misaligned));
        }) == errc::invalid_argument);
  CHECK(std::all_of(buf.begin(), buf.end(), [](std::byte b) { return b == std::byte{0}; }));
  // The same offset is fine for a type that needs less.
  auto v = memvec::MemVec<U64, memvec::SpanBackend>::create(
      memvec::SpanBackend{std::span<std::byte>(buf).subspan(16)});
  v.push_back(1);
  CHECK(v.back() == 1);
}

TEMPLATE_TEST_CASE("mem_vec: a 41-byte packed record round-trips", "[mem_vec]",
                   MEMVEC_ALL_BACKENDS) {
  using Vec = memvec::MemVec<Packed41, TestType>;
  test::Factory<TestType> f;
  std::vector<Packed41> model;
  {
    auto v = fresh<Packed41>(f);
    for (U64 i = 0; i < 2000; ++i) {
      v.push_back(packed(i));
      model.push_back(packed(i));
    }
    v.insert(v.begin() + 3, packed(77777));
    model.insert(model.begin() + 3, packed(77777));
    v.erase(v.begin() + 100, v.begin() + 110);
    model.erase(model.begin() + 100, model.begin() + 110);
    REQUIRE(v.size() == model.size());
    CHECK(std::memcmp(v.data(), model.data(), model.size() * sizeof(Packed41)) == 0);
  }
  if constexpr (test::Factory<TestType>::persistent) {
    auto v = Vec::open(f.reopen());
    REQUIRE(v.size() == model.size());
    CHECK(std::memcmp(v.data(), model.data(), model.size() * sizeof(Packed41)) == 0);
    // Packed members are copied out: Catch would bind a misaligned reference.
    const U64 got = v[3].id;
    const U64 want = packed(77777).id;
    CHECK(got == want);
  }
}

// --- type tags ----------------------------------------------------------------------------

TEMPLATE_TEST_CASE(
    "mem_vec: opening a vector of one tagged type as another throws "
    "type_mismatch and changes nothing",
    "[mem_vec][tag]", MEMVEC_PERSISTENT_BACKENDS) {
  static_assert(memvec::TypeTag<TaggedA>::value == 0xA11CE);
  static_assert(memvec::TypeTag<U64>::value == 0);
  test::Factory<TestType> f;
  {
    auto v = fresh<TaggedA>(f);
    for (U64 i = 0; i < 100; ++i) v.push_back(TaggedA{i});
  }
  const auto before = bytes_of(f);
  CHECK(error_of([&] { (void)memvec::MemVec<TaggedB, TestType>::open(f.reopen()); }) ==
        errc::type_mismatch);
  CHECK(error_of([&] { (void)memvec::MemVec<U64, TestType>::open(f.reopen()); }) ==
        errc::type_mismatch);  // same size, no tag
  CHECK(error_of([&] { (void)memvec::MemVec<TaggedB, TestType>::open_or_create(f.reopen()); }) ==
        errc::type_mismatch);  // never reformats a foreign vector
  CHECK(error_of([&] { (void)memvec::MemVec<std::uint32_t, TestType>::open(f.reopen()); }) ==
        errc::type_mismatch);
  CHECK(bytes_of(f) == before);

  auto v = memvec::MemVec<TaggedA, TestType>::open(f.reopen());
  REQUIRE(v.size() == 100);
  CHECK(v[42].value == 42);
}

TEMPLATE_TEST_CASE("mem_vec: a tag given as the third template argument is checked on open",
                   "[mem_vec][tag]", MEMVEC_PERSISTENT_BACKENDS) {
  test::Factory<TestType> f;
  {
    auto v = memvec::MemVec<U64, TestType, 7>::create(f.make(0));
    v.push_back(1);
  }
  CHECK(error_of([&] { (void)memvec::MemVec<U64, TestType, 8>::open(f.reopen()); }) ==
        errc::type_mismatch);
  auto v = memvec::MemVec<U64, TestType, 7>::open(f.reopen());
  CHECK(v.size() == 1);
}
