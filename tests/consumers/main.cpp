// A tiny program that uses an installed memvec: proof that a user's build
// finds the headers and the library (find_package, pkg-config or Meson).
#include <cstdio>
#include <memvec/memvec.hpp>

int main() {
  auto v = memvec::MemVec<int>::create(memvec::AnonBackend{});
  for (int i = 0; i < 1000; ++i) v.push_back(i);
  long sum = 0;
  for (int x : v) sum += x;
  if (sum != 999L * 1000 / 2) return 1;
  std::printf("consumer: MemVec of %zu ints, sum %ld\n", v.size(), sum);
  return 0;
}
