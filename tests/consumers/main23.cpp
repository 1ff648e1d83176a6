// A C++23 program (std::expected) on an installed memvec: memvec asks for
// C++20 as a minimum and must never lower the user's standard (a -std=c++20
// in memvec.pc, placed after the user's -std=c++23, once did).
#include <cstdio>
#include <expected>
#include <memvec/kv.hpp>
#include <memvec/memvec.hpp>
#include <string>

static std::expected<double, std::string> timeout(const memvec::kv::Value& v) {
  if (!v.is_number()) return std::unexpected("timeout is not a number");
  return v.as_double();
}

int main() {
  auto v = memvec::MemVec<int>::create(memvec::AnonBackend{});
  for (int i = 0; i < 10; ++i) v.push_back(i);
  const auto t = timeout(memvec::kv::Value(3));
  if (!t || *t != 3.0 || v.size() != 10) return 1;
  std::printf("consumer (__cplusplus %ld): std::expected and memvec, timeout %.1f\n",
              static_cast<long>(__cplusplus), *t);
  return 0;
}
