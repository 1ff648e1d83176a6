// Tour, layer 1: MemVec over a file. The region between the tour markers is
// the README's snippet, verbatim (tests/test_readme.cpp checks it). The rest
// checks what the snippet promises: a reopen finds the element, typed.
#include <cstdlib>
#include <iostream>

#include <memvec/memvec.hpp>

#include "scratch_dir.hpp"

int main() try {
  const tour::ScratchDir dir("memvec-tour-mem_vec");
  // tour:begin
  struct Point { double x, y, z; };
  auto points = memvec::MemVec<Point, memvec::FileBackend>::open_or_create(
      memvec::FileBackend::open("points.mv"));
  points.push_back({1, 2, 3});  // in the file once push_back returns: survives SIGKILL
  for (const Point& p : points) std::cout << p.x << ' ' << p.y << ' ' << p.z << '\n';
  points.sync();                // and now it survives power loss too
  // tour:end
  points.close();

  // Reopened: open() checks magic, version, sizeof/alignof(Point), checksum.
  const auto again = memvec::MemVec<Point, memvec::FileBackend>::open(
      memvec::FileBackend::open("points.mv", {.mode = memvec::OpenMode::read_only}));
  const bool ok = again.size() == 1 && again[0].x == 1 && again[0].y == 2 && again[0].z == 3;
  std::cout << (ok ? "ok" : "FAILED: the reopened vector differs") << '\n';
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
} catch (const std::exception& e) {
  std::cerr << "tour mem_vec: " << e.what() << '\n';
  return EXIT_FAILURE;
}
