// anon_points: a million 3D points in anonymous memory, then some math.
//
// MemVec over AnonBackend is a std::vector whose storage is an anonymous
// mapping. No reserve() here on purpose: when the vector is full it doubles,
// and AnonBackend grows with mremap, which moves page tables instead of
// copying bytes (std::vector would allocate, copy and free). The elements are
// ordinary contiguous memory, so <algorithm>, ranges and std::span all work
// on them directly. Nothing is written to disk.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <span>

#include <memvec/memvec.hpp>

struct Point3D {
  double x, y, z;
};

namespace {

double distance(const Point3D& a, const Point3D& b) {
  return std::sqrt((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y) +
                   (a.z - b.z) * (a.z - b.z));
}

// Any function taking a span works on a MemVec (and on a std::vector).
Point3D centroid(std::span<const Point3D> pts) {
  const Point3D sum = std::accumulate(pts.begin(), pts.end(), Point3D{0, 0, 0},
                                      [](Point3D s, const Point3D& p) {
                                        return Point3D{s.x + p.x, s.y + p.y, s.z + p.z};
                                      });
  const double n = static_cast<double>(pts.size());
  return {sum.x / n, sum.y / n, sum.z / n};
}

}  // namespace

int main() {
  constexpr std::size_t kCount = 1'000'000;
  using Clock = std::chrono::steady_clock;

  // The default backend is AnonBackend: MemVec<Point3D> is MemVec<Point3D, AnonBackend>.
  auto points = memvec::MemVec<Point3D>::create(memvec::AnonBackend{});

  const auto t0 = Clock::now();
  std::size_t growths = 0, moves = 0;
  const Point3D* last_data = points.data();
  for (std::size_t i = 0; i < kCount; ++i) {
    const double t = static_cast<double>(i);
    const std::size_t cap = points.capacity();
    points.push_back({std::sin(t), std::cos(t), t / kCount});
    if (points.capacity() != cap) {
      ++growths;  // doubled: one mremap
      if (points.data() != last_data) ++moves;  // the kernel picked a new address
      last_data = points.data();
    }
  }
  const auto t1 = Clock::now();
  std::printf("pushed %zu points (%zu MiB) in %.1f ms without reserve()\n", points.size(),
              points.size() * sizeof(Point3D) >> 20,
              std::chrono::duration<double, std::milli>(t1 - t0).count());
  std::printf("capacity %zu: %zu growths by mremap, data() moved %zu times, no element copied\n",
              points.capacity(), growths, moves);

  // A std::span view: no copy, same memory. (Growth may move data(), so
  // take views after the pushes, as with std::vector.)
  std::span<const Point3D> view = points;
  const Point3D c = centroid(view);
  std::printf("centroid            = (%.6f, %.6f, %.6f)\n", c.x, c.y, c.z);

  // Ranges with a projection: the point farthest from the centroid.
  const auto far = std::ranges::max_element(
      view, {}, [&](const Point3D& p) { return distance(p, c); });
  std::printf("farthest point      = #%td at distance %.6f\n", far - view.begin(),
              distance(*far, c));

  // Range algorithms take the MemVec itself (its iterators are plain pointers).
  const auto upper = std::ranges::count_if(points, [](const Point3D& p) { return p.y > 0; });
  std::printf("points with y > 0   = %td (%.1f%%)\n", upper, 100.0 * upper / kCount);

  // Classic algorithms on a subspan, then sort a slice in place.
  std::span<Point3D> first_1000 = std::span<Point3D>(points).first(1000);
  std::ranges::sort(first_1000, {}, &Point3D::x);
  std::printf("first 1000 sorted by x: x from %.6f to %.6f\n", first_1000.front().x,
              first_1000.back().x);
  std::printf("is_sorted(first 1000 by x) = %s\n",
              std::ranges::is_sorted(first_1000, {}, &Point3D::x) ? "true" : "false");

  // shrink_to_fit hands whole unused pages back to the kernel (mremap again).
  points.shrink_to_fit();
  std::printf("after shrink_to_fit: capacity %zu for %zu points\n", points.capacity(),
              points.size());
  return 0;
}
