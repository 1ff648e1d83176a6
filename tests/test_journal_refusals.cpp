// KVJournal<B> over every backend, the first journal design's defects 8 to 10
// (docs/DURABILITY.md): opening never resizes or writes a file, valid,
// damaged or truncated; a second writer, in this process or another, gets
// errc::locked; each refused call reports its one exact errc and changes
// nothing.
#include "journal_fixture.hpp"

using namespace journal_fixture;

TEMPLATE_TEST_CASE(
    "journal: opening never resizes or writes a file, valid, damaged or truncated (first design "
    "defect "
    "8)",
    "[journal][defect]", MEMVEC_FILE_BACKENDS) {
  using J = kv::KVJournal<TestType>;
  test::TempDir dir;
  const auto p = dir / "j.mvkv";
  std::size_t b_off = 0, c_off = 0, used = 0;
  {
    auto j =
        J::create(TestType::open(p, {.mode = OpenMode::create_new, .initial_size = 64 * 1024}));
    j.set("a", 1);
    b_off = j.used_bytes();
    j.set("b", "two");
    c_off = j.used_bytes();
    j.set("c", Value::array({3}));
    used = j.used_bytes();
    j.close();
  }
  const auto size = fs::file_size(p);
  REQUIRE(size == 64 * 1024);
  const auto read_all = [&](OpenMode mode, std::size_t initial) {
    auto j = J::open(TestType::open(p, {.mode = mode, .initial_size = initial}));
    return contents(j);
  };
  const auto read_all_ooc = [&](OpenMode mode, std::size_t initial) {
    auto j = J::open_or_create(TestType::open(p, {.mode = mode, .initial_size = initial}));
    return contents(j);
  };
  const Model m{{"a", 1}, {"b", "two"}, {"c", Value::array({3})}};

  SECTION("a valid journal, whatever initial_size says") {
    const auto d = test::digest(p);
    for (const OpenMode mode :
         {OpenMode::open_or_create, OpenMode::open_existing, OpenMode::read_only}) {
      for (const std::size_t initial : {std::size_t{0}, std::size_t{4096}, std::size_t{1} << 20}) {
        INFO("mode " << static_cast<int>(mode) << " initial_size " << initial);
        CHECK(read_all(mode, initial) == m);
        CHECK(read_all_ooc(mode, initial) == m);
        CHECK(fs::file_size(p) == size);
        CHECK(test::digest(p) == d);
      }
    }
  }
  SECTION("a journal with a damaged record") {
    test::flip_byte(p, kDataOffset + b_off + kv::kRecordHeaderSize + 1);
    const auto d = test::digest(p);
    {
      auto j = J::open(TestType::open(p));
      CHECK(j.recovery().loss == DataLoss::partial);
      CHECK(diff(j, {{"a", 1}}) == "");
    }
    {
      auto j = J::open_or_create(TestType::open(p));
      CHECK(j.recovery().loss == DataLoss::partial);
    }
    CHECK(fs::file_size(p) == size);
    CHECK(test::digest(p) == d);
  }
  SECTION("a journal with a damaged header") {
    test::flip_byte(p, memvec::header_offset::kUserArea + 9);  // the generation
    const auto d = test::digest(p);
    CHECK(error_of([&] { (void)J::open(TestType::open(p)); }) == errc::corrupt_header);
    CHECK(error_of([&] { (void)J::open_or_create(TestType::open(p)); }) == errc::corrupt_header);
    CHECK(test::digest(p) == d);
  }
  SECTION("a journal cut into its header is truncated") {
    // 0 is judged in the test body (bad_magic); 100 cuts the header.
    const std::size_t cut = GENERATE(std::size_t{0}, std::size_t{100});
    INFO("truncated to " << cut);
    test::truncate_to(p, cut);
    const auto d = test::digest(p);
    if (cut == 0) {
      // An empty file is no memvec file at all (open_or_create would format
      // it: it is blank).
      CHECK(error_of([&] { (void)J::open(TestType::open(p)); }) == errc::bad_magic);
    } else {
      CHECK(error_of([&] { (void)J::open(TestType::open(p)); }) == errc::truncated);
      CHECK(error_of([&] { (void)J::open_or_create(TestType::open(p)); }) == errc::truncated);
      CHECK(error_of([&] {
              (void)J::open(TestType::open(p, {.mode = OpenMode::read_only}));
            }) == errc::truncated);
    }
    CHECK(fs::file_size(p) == cut);
    CHECK(test::digest(p) == d);
  }
  SECTION("a journal cut into its committed log opens to the records it holds, loss reported") {
    // A power cut under process_crash can keep a grown length word but not
    // the file's new size: the records still there are a valid prefix.
    const auto which = static_cast<std::size_t>(GENERATE(0, 1, 2));
    const std::size_t cut = kDataOffset + std::array<std::size_t, 3>{0, b_off, used - 1}[which];
    const std::size_t valid = std::array<std::size_t, 3>{0, b_off, c_off}[which];
    const Model want = std::array<Model, 3>{Model{}, Model{{"a", 1}},
                                            Model{{"a", 1}, {"b", "two"}}}[which];
    INFO("truncated to " << cut);
    test::truncate_to(p, cut);
    const auto d = test::digest(p);
    for (const OpenMode mode : {OpenMode::open_existing, OpenMode::read_only}) {
      auto j = J::open(TestType::open(p, {.mode = mode}));
      CHECK(diff(j, want) == "");
      CHECK(j.recovery().loss == (want.empty() ? DataLoss::total : DataLoss::partial));
      // Every committed byte past the valid prefix is counted, held or not.
      CHECK(j.recovery().bytes_dropped == used - valid);
      CHECK(j.recovery().first_bad_offset == valid);
      CHECK(j.recovery().records_dropped >= 1);
      CHECK(j.recovery().reason.find("short of the committed log") != std::string::npos);
    }
    CHECK(test::digest(p) == d);  // opening wrote nothing
    {
      auto j = J::open(TestType::open(p));
      j.set("d", 4);  // publishes the prefix's length, then appends
    }
    auto j = J::open(TestType::open(p));
    Model after = want;
    after.emplace("d", 4);
    CHECK(diff(j, after) == "");
    CHECK(j.recovery().loss == DataLoss::none);
  }
  SECTION("a journal cut only in its free room opens whole, with the room the file has") {
    // The capacity word can reach the disk before the file's new size
    // (process_crash): a short free room loses nothing.
    const auto which = static_cast<std::size_t>(GENERATE(0, 1, 2));
    const std::size_t cut =
        std::array<std::size_t, 3>{kDataOffset + used, 4096, 64 * 1024 - 1}[which];
    INFO("truncated to " << cut);
    test::truncate_to(p, cut);
    const auto d = test::digest(p);
    for (const OpenMode mode : {OpenMode::open_existing, OpenMode::read_only}) {
      auto j = J::open(TestType::open(p, {.mode = mode}));
      CHECK(diff(j, m) == "");
      CHECK(j.recovery().loss == DataLoss::none);
      CHECK(j.used_bytes() == used);
      CHECK(j.log().capacity() == cut - kDataOffset);
    }
    {
      auto j = J::open_or_create(TestType::open(p));
      CHECK(diff(j, m) == "");
      CHECK(j.recovery().loss == DataLoss::none);
      CHECK(j.log().capacity() == cut - kDataOffset);
    }
    CHECK(fs::file_size(p) == cut);
    CHECK(test::digest(p) == d);
  }
  SECTION("a journal file longer than its header says is never cut") {
    test::truncate_to(p, size + 3 * 4096 + 17);
    const auto d = test::digest(p);
    {
      auto j = J::open(TestType::open(p));
      CHECK(diff(j, m) == "");
      CHECK(j.recovery().loss == DataLoss::none);
    }
    CHECK(fs::file_size(p) == size + 3 * 4096 + 17);
    CHECK(test::digest(p) == d);
  }
}

namespace {

constexpr int kChildOtherException = 90;

template <class F>
int code_of(F&& f) {
  try {
    f();
    return 0;
  } catch (const memvec::Error& e) {
    return e.code().value();
  } catch (...) {
    return kChildOtherException;
  }
}

// Runs `body` (returning an exit code) in a forked child with a watchdog;
// returns its exit code, or 1000 + the signal that killed it.
template <class F>
int in_child(F&& body) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::alarm(20);
    int code = kChildOtherException;
    try {
      code = body();
    } catch (...) {
    }
    ::_exit(code);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

constexpr int kLocked = static_cast<int>(errc::locked);

}  // namespace

TEMPLATE_TEST_CASE(
    "journal: a second writer on the same journal file gets errc::locked (first design "
    "defect 9)",
    "[journal][defect]", MEMVEC_FILE_BACKENDS) {
  using J = kv::KVJournal<TestType>;
  test::TempDir dir;
  const auto p = dir / "j.mvkv";
  auto j = J::create(TestType::open(p, {.mode = OpenMode::create_new}));
  j.set("a", 1);
  const auto d = test::digest(p);

  SECTION("in this process") {
    CHECK(error_of([&] { (void)FileBackend::open(p); }) == errc::locked);
    CHECK(error_of([&] { (void)MappedFileBackend::open(p); }) == errc::locked);
    CHECK(error_of([&] { (void)J::open(TestType::open(p)); }) == errc::locked);
    CHECK(error_of([&] {
            (void)J::open_or_create(TestType::open(p, {.mode = OpenMode::open_existing}));
          }) == errc::locked);
    CHECK(error_of([&] { (void)TestType::open(p, {.mode = OpenMode::read_only}); }) ==
          errc::locked);
  }
  SECTION("in another process") {
    CHECK(in_child([&] { return code_of([&] { (void)FileBackend::open(p); }); }) == kLocked);
    CHECK(in_child([&] { return code_of([&] { (void)MappedFileBackend::open(p); }); }) == kLocked);
    CHECK(in_child([&] {
            return code_of([&] {
              auto other = kv::KVJournal<FileBackend>::open(FileBackend::open(p));
              other.set("intruder", 1);
            });
          }) == kLocked);
    CHECK(in_child([&] {
            return code_of([&] { (void)TestType::open(p, {.mode = OpenMode::read_only}); });
          }) == kLocked);
  }
  CHECK(test::digest(p) == d);
  CHECK(diff(j, {{"a", 1}}) == "");
  // Once the writer is gone, another process may write, and this one sees it.
  j.close();
  CHECK(in_child([&] {
          return code_of([&] {
            auto other = kv::KVJournal<FileBackend>::open(FileBackend::open(p));
            other.set("child", "was here");
            other.close();
          });
        }) == 0);
  auto again = J::open(TestType::open(p));
  CHECK(diff(again, {{"a", 1}, {"child", "was here"}}) == "");
}

// Every refusal below names one errc, and every success is a success: none
// of these tests accepts "either" (the first design's tests often did).
TEST_CASE(
    "journal: each refused call reports its one exact errc and changes nothing (first design "
    "defect 10)",
    "[journal][defect]") {
  using J = kv::KVJournal<FileBackend>;
  test::TempDir dir;
  const auto journal_file = dir / "journal";
  {
    auto j = J::create(FileBackend::open(journal_file, {.mode = OpenMode::create_new}));
    j.set("a", 1);
    j.close();
  }
  const auto copy_of_journal = [&](const std::string& name) {
    const auto p = dir / name;
    fs::copy_file(journal_file, p);
    return p;
  };
  const auto open_file = [](const fs::path& p) {
    return [p] { (void)J::open(FileBackend::open(p)); };
  };
  const auto ooc_file = [](const fs::path& p) {
    return [p] { (void)J::open_or_create(FileBackend::open(p)); };
  };

  struct Case {
    std::string what;
    fs::path file;
    std::function<void()> call;
    std::optional<errc> code;
  };
  std::vector<Case> cases;

  const auto zeros = dir / "zeros";
  test::write_file(zeros, std::vector<std::byte>(8192));
  cases.push_back({"open() of a zero-filled file", zeros, open_file(zeros), errc::bad_magic});
  const auto text = dir / "text";
  {
    const std::string s = "key=value\nnot a journal at all, just some text that is long enough\n";
    std::vector<std::byte> b(4096, std::byte{' '});
    std::memcpy(b.data(), s.data(), s.size());
    test::write_file(text, b);
  }
  cases.push_back({"open() of a text file", text, open_file(text), errc::bad_magic});
  cases.push_back({"open_or_create() of a text file", text, ooc_file(text), errc::bad_magic});
  const auto bytes_vec = dir / "bytes";
  {
    auto v = memvec::MemVec<std::byte, FileBackend>::create(FileBackend::open(bytes_vec));
    v.push_back(std::byte{1});
  }
  cases.push_back(
      {"open() of a MemVec<std::byte>", bytes_vec, open_file(bytes_vec), errc::type_mismatch});
  cases.push_back({"open_or_create() of a MemVec<std::byte>", bytes_vec, ooc_file(bytes_vec),
                   errc::type_mismatch});
  const auto u64_vec = dir / "u64";
  {
    auto v = memvec::MemVec<std::uint64_t, FileBackend>::create(FileBackend::open(u64_vec));
    v.push_back(7);
  }
  cases.push_back(
      {"open() of a MemVec<uint64_t>", u64_vec, open_file(u64_vec), errc::type_mismatch});
  const auto bad_header = copy_of_journal("bad-header");
  test::flip_byte(bad_header, memvec::header_offset::kUserArea + 20, 0x01);
  cases.push_back({"open() with a flipped header byte", bad_header, open_file(bad_header),
                   errc::corrupt_header});
  const auto short_file = copy_of_journal("short");
  test::truncate_to(short_file, 200);
  cases.push_back(
      {"open() of a 200-byte file", short_file, open_file(short_file), errc::truncated});
  const auto future = copy_of_journal("future");
  {
    auto b = test::read_file(future);
    const std::uint16_t v = kv::kJournalFormatVersion + 1;
    std::memcpy(b.data() + kMetaVersionAt, &v, 2);
    reseal_header(b);
    test::write_file(future, b);
  }
  cases.push_back(
      {"open() of a newer journal format", future, open_file(future), errc::version_mismatch});
  const auto ratio_file = copy_of_journal("ratio");
  cases.push_back({"open() with a high-water ratio of 0", ratio_file,
                   [p = ratio_file] {
                     JournalOptions o;
                     o.high_water_mark_ratio = 0;
                     (void)J::open(FileBackend::open(p), o);
                   },
                   errc::invalid_argument});
  const auto ro_file = copy_of_journal("read-only");
  cases.push_back({"set() through a read-only backend", ro_file,
                   [p = ro_file] {
                     auto j = J::open(FileBackend::open(p, {.mode = OpenMode::read_only}));
                     j.set("b", 2);
                   },
                   errc::read_only});
  const auto full_file = copy_of_journal("full");
  cases.push_back({"set() past max_size", full_file,
                   [p = full_file] {
                     JournalOptions o;
                     o.max_size = fs::file_size(p);
                     auto j = J::open(FileBackend::open(p), o);
                     j.set("big", std::string(o.max_size, 'x'));
                   },
                   errc::capacity_exceeded});
  const auto bad_key_file = copy_of_journal("bad-key");
  cases.push_back({"set() of a key that is not UTF-8", bad_key_file,
                   [p = bad_key_file] {
                     auto j = J::open(FileBackend::open(p));
                     j.set("\xC3", 2);
                   },
                   errc::invalid_argument});
  const auto ok_file = copy_of_journal("ok");
  cases.push_back({"open() of a valid journal", ok_file, open_file(ok_file), std::nullopt});
  cases.push_back(
      {"open_or_create() of a valid journal", ok_file, ooc_file(ok_file), std::nullopt});
  cases.push_back({"read-only open() of a valid journal", ok_file,
                   [p = ok_file] {
                     auto j = J::open(FileBackend::open(p, {.mode = OpenMode::read_only}));
                     if (j.get("a") != Value(1)) throw std::runtime_error("wrong contents");
                   },
                   std::nullopt});

  for (const auto& c : cases) {
    INFO(c.what);
    const auto d = test::digest(c.file);
    CHECK(error_of(c.call) == c.code);
    CHECK(test::digest(c.file) == d);
  }
  // The journal's own refusals name the file too, as MemVec's do.
  try {
    open_file(future)();
    FAIL("a newer journal format opened");
  } catch (const memvec::Error& e) {
    CHECK(std::string(e.what()).find(future.string()) != std::string::npos);
  }
  // Held open by a writer: the second one is refused.
  auto writer = J::open(FileBackend::open(ok_file));
  CHECK(error_of(open_file(ok_file)) == errc::locked);
}
