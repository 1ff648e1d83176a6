// FileBackend and MappedFileBackend, locks: in this process and across
// processes (forked children report through their exit code), readers and
// writers, the two backends locking each other out, a lock dying with a
// SIGKILLed holder.
#include "file_backend_fixture.hpp"

using namespace file_backend_fixture;

// --- locks ---------------------------------------------------------------------------

TEMPLATE_TEST_CASE("file backends: a second writer in the same process gets locked", "",
                   FileBackend, MappedFileBackend) {
  test::TempDir dir;
  const auto p = dir / "f";
  const auto d0 = [&] {
    test::write_file(p, pattern(4096));
    return test::digest(p);
  }();
  {
    auto writer = TestType::open(p);
    CHECK(open_outcome<TestType>(p) == "locked");
    CHECK(open_outcome<TestType>(p, {.mode = OpenMode::open_existing}) == "locked");
    CHECK(open_outcome<TestType>(p, {.mode = OpenMode::read_only}) == "locked");
    // MemVec::open_or_create fails in the backend, before reading anything.
    CHECK(outcome([&] {
            (void)MemVec<std::uint64_t, TestType>::open_or_create(TestType::open(p));
          }) == "locked");
  }
  CHECK(test::digest(p) == d0);
  SECTION("after the writer is destroyed, a new writer succeeds") {
    CHECK(open_outcome<TestType>(p) == "ok");
  }
  SECTION("after the writer close()s, a new writer succeeds") {
    auto writer = TestType::open(p);
    writer.close();
    CHECK(open_outcome<TestType>(p) == "ok");
  }
}

TEMPLATE_TEST_CASE("file backends: two readers coexist and exclude a writer", "", FileBackend,
                   MappedFileBackend) {
  test::TempDir dir;
  const auto p = dir / "f";
  test::write_file(p, pattern(4096));
  {
    auto r1 = TestType::open(p, {.mode = OpenMode::read_only});
    auto r2 = TestType::open(p, {.mode = OpenMode::read_only});
    CHECK(r1.size() == 4096);
    CHECK(r2.size() == 4096);
    CHECK(open_outcome<TestType>(p) == "locked");
    CHECK(open_outcome<TestType>(p, {.mode = OpenMode::open_existing}) == "locked");
    CHECK(open_in_child<TestType>(p, OpenMode::read_only) == kChildOk);
    CHECK(open_in_child<TestType>(p, OpenMode::open_existing) == kLocked);
  }
  CHECK(open_outcome<TestType>(p) == "ok");
}

TEST_CASE("file backends: FileBackend and MappedFileBackend lock each other out") {
  test::TempDir dir;
  const auto p = dir / "f";
  {
    auto w = FileBackend::open(p, {.initial_size = 4096});
    CHECK(open_outcome<MappedFileBackend>(p) == "locked");
    CHECK(open_outcome<MappedFileBackend>(p, {.mode = OpenMode::read_only}) == "locked");
  }
  {
    auto w = MappedFileBackend::open(p);
    CHECK(open_outcome<FileBackend>(p) == "locked");
    CHECK(open_outcome<FileBackend>(p, {.mode = OpenMode::read_only}) == "locked");
  }
}

TEMPLATE_TEST_CASE("file backends: a writer in another process gets locked at once", "",
                   FileBackend, MappedFileBackend) {
  test::TempDir dir;
  const auto p = dir / "f";
  auto writer = TestType::open(p, {.initial_size = 4096});
  CHECK(open_in_child<TestType>(p, OpenMode::open_or_create) == kLocked);
  CHECK(open_in_child<TestType>(p, OpenMode::open_existing) == kLocked);
  CHECK(open_in_child<TestType>(p, OpenMode::read_only) == kLocked);
  writer.close();
  CHECK(open_in_child<TestType>(p, OpenMode::open_existing) == kChildOk);
}

TEMPLATE_TEST_CASE("file backends: the lock dies with the process that held it", "", FileBackend,
                   MappedFileBackend) {
  test::TempDir dir;
  const auto p = dir / "f";
  test::write_file(p, pattern(4096));
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(ready[0]);
    ::alarm(20);
    try {
      auto w = TestType::open(p);
      const char c = 'r';
      if (::write(ready[1], &c, 1) != 1) ::_exit(2);
      for (;;) ::pause();  // holds the lock until killed
    } catch (...) {
      ::_exit(3);
    }
  }
  ::close(ready[1]);
  char c = 0;
  REQUIRE(::read(ready[0], &c, 1) == 1);  // the child holds the lock now
  ::close(ready[0]);
  CHECK(open_outcome<TestType>(p) == "locked");
  CHECK(open_outcome<TestType>(p, {.mode = OpenMode::read_only}) == "locked");
  ::kill(pid, SIGKILL);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFSIGNALED(status));
  CHECK(open_outcome<TestType>(p) == "ok");
}
