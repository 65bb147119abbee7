// GCC 12.2 at -O2 with AVX-512 (x86-64-v4) stores a memcpy'd 32-byte
// constant whose upper half is zero, e.g. the doubles {1, 1, 0, 0}, as a
// broadcast of its low element: {1, 1, 1, 1}. (It took the constant's
// explicitly stored words for all of them; the upper zero words are
// implicit.) This is what broke two of zengen's tests on a Zen 4 built with
// -march=native. This program is compiled with the flags of zengen's avx512
// kernels (ZENGEN_AVX512_WORKAROUND_FLAGS among them) and checks that those
// flags give the right bytes. Exit 77 (skipped) on a CPU without AVX-512.
#include <cstdint>
#include <cstdio>
#include <cstring>

// Each constant is a local of its own function, copied out with memcpy:
// the shape (a vector<double> built from an initializer list) that the
// tests had.
#define ZENGEN_CONSTANT_COPY(name, type, n, ...)                                \
  __attribute__((noinline)) void copy_##name(type* dst) {                      \
    const type src[n] = {__VA_ARGS__};                                         \
    std::memcpy(dst, src, sizeof src);                                         \
  }                                                                            \
  bool check_##name() {                                                        \
    const type expected[n] = {__VA_ARGS__};                                    \
    type got[n];                                                               \
    copy_##name(got);                                                          \
    if (std::memcmp(got, expected, sizeof got) == 0) return true;              \
    std::printf("FAILED: " #type " {" #__VA_ARGS__ "} copied as something else\n"); \
    return false;                                                              \
  }

namespace {
ZENGEN_CONSTANT_COPY(d4, double, 4, 1.0, 1.0, 0.0, 0.0)
ZENGEN_CONSTANT_COPY(f8, float, 8, 1, 1, 1, 1, 0, 0, 0, 0)
ZENGEN_CONSTANT_COPY(d8, double, 8, 1, 1, 1, 1, 0, 0, 0, 0)
ZENGEN_CONSTANT_COPY(l4, std::int64_t, 4, 5, 5, 0, 0)
}  // namespace

int main() {
  if (!__builtin_cpu_supports("x86-64-v4")) {
    std::printf("this CPU has no AVX-512 (x86-64-v4): skipping\n");
    return 77;
  }
  const bool results[] = {check_d4(), check_f8(), check_d8(), check_l4()};
  int failed = 0;
  for (bool r : results) failed += r ? 0 : 1;
  const bool ok = failed == 0;
  std::printf("%d passed, %d failed\n", 4 - failed, failed);
  return ok ? 0 : 1;
}
