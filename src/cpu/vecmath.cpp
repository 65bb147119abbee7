// Vectorised float32 exp/log and activations: see vecmath.hpp.
#include "cpu/vecmath.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "zengen/ops/functors.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ZENGEN_VECMATH_X86 1
#include <immintrin.h>
#endif

namespace zengen::cpu::vecmath {

namespace {

// The scalar fallback (and the definition the vector code follows).
template <typename F>
void scalar_map(const float* x, float* y, std::int64_t n, F f) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

#if ZENGEN_VECMATH_X86

#define ZENGEN_AVX2 __attribute__((target("avx2,fma")))

ZENGEN_AVX2 inline __m256 splat(float v) { return _mm256_set1_ps(v); }

ZENGEN_AVX2 inline __m256 exp8(__m256 x) {
  // Past these, expf is inf (above 88.73) or rounds to 0 (below -103.98);
  // clamping keeps n in the range the two-step scale can express.
  const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, splat(-105.0f)), splat(89.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, splat(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, splat(0.693359375f), xc);
  r = _mm256_fnmadd_ps(n, splat(-2.12194440e-4f), r);
  __m256 p = splat(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, splat(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, splat(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, splat(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, splat(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, splat(5.0000001201e-1f));
  const __m256 r2 = _mm256_mul_ps(r, r);
  __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, r2, r), splat(1.0f));
  // 2^n as 2^(n/2) 2^(n - n/2): each factor is a normal float, and the
  // first product is exact, so a subnormal result is rounded only once.
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m256i n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  y = _mm256_mul_ps(y, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23)));
  y = _mm256_mul_ps(y, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23)));
  return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));  // NaN stays NaN
}

ZENGEN_AVX2 inline __m256 log8(__m256 x) {
  // Subnormal inputs: scale into the normal range, remember 23 in e.
  const __m256 tiny = _mm256_cmp_ps(x, splat(1.17549435e-38f), _CMP_LT_OQ);
  const __m256 xs = _mm256_blendv_ps(x, _mm256_mul_ps(x, splat(8388608.0f)), tiny);
  const __m256i bits = _mm256_castps_si256(xs);
  // x = m 2^e with m in [0.5, 1).
  __m256 e = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(126)));
  e = _mm256_sub_ps(e, _mm256_and_ps(tiny, splat(23.0f)));
  __m256 m = _mm256_castsi256_ps(
      _mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x007fffff)), _mm256_set1_epi32(0x3f000000)));
  // m in [sqrt(1/2), sqrt(2)): below sqrt(1/2) take 2m and e - 1.
  const __m256 low = _mm256_cmp_ps(m, splat(0.707106781186547524f), _CMP_LT_OQ);
  e = _mm256_sub_ps(e, _mm256_and_ps(low, splat(1.0f)));
  const __m256 f = _mm256_sub_ps(_mm256_add_ps(m, _mm256_and_ps(low, m)), splat(1.0f));
  const __m256 z = _mm256_mul_ps(f, f);
  __m256 p = splat(7.0376836292e-2f);
  p = _mm256_fmadd_ps(p, f, splat(-1.1514610310e-1f));
  p = _mm256_fmadd_ps(p, f, splat(1.1676998740e-1f));
  p = _mm256_fmadd_ps(p, f, splat(-1.2420140846e-1f));
  p = _mm256_fmadd_ps(p, f, splat(1.4249322787e-1f));
  p = _mm256_fmadd_ps(p, f, splat(-1.6668057665e-1f));
  p = _mm256_fmadd_ps(p, f, splat(2.0000714765e-1f));
  p = _mm256_fmadd_ps(p, f, splat(-2.4999993993e-1f));
  p = _mm256_fmadd_ps(p, f, splat(3.3333331174e-1f));
  __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, f), z);
  y = _mm256_fmadd_ps(e, splat(-2.12194440e-4f), y);
  y = _mm256_fnmadd_ps(splat(0.5f), z, y);
  __m256 r = _mm256_add_ps(f, y);
  r = _mm256_fmadd_ps(e, splat(0.693359375f), r);
  // Specials: log(0) = -inf, log(x < 0) = NaN, log(inf) = inf, NaN stays.
  const __m256 inf = splat(INFINITY);
  r = _mm256_blendv_ps(r, inf, _mm256_cmp_ps(x, inf, _CMP_EQ_OQ));
  r = _mm256_blendv_ps(r, splat(-INFINITY), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_EQ_OQ));
  r = _mm256_blendv_ps(r, splat(NAN), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
  return _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

ZENGEN_AVX2 inline __m256 abs8(__m256 x) { return _mm256_andnot_ps(splat(-0.0f), x); }

ZENGEN_AVX2 inline __m256 sigmoid8(__m256 x) {
  const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), abs8(x)));
  const __m256 numerator = _mm256_blendv_ps(e, splat(1.0f), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ));
  return _mm256_div_ps(numerator, _mm256_add_ps(splat(1.0f), e));
}

ZENGEN_AVX2 inline __m256 tanh8(__m256 x) {
  const __m256 ax = abs8(x);
  // Small |x|: x + x z P(z), z = x^2 (Cephes' tanhf), no cancellation.
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 p = splat(-5.70498872745e-3f);
  p = _mm256_fmadd_ps(p, z, splat(2.06390887954e-2f));
  p = _mm256_fmadd_ps(p, z, splat(-5.37397155531e-2f));
  p = _mm256_fmadd_ps(p, z, splat(1.33314422036e-1f));
  p = _mm256_fmadd_ps(p, z, splat(-3.33332819422e-1f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
  // Large |x|: (1 - e) / (1 + e), e = exp(-2|x|), with x's sign.
  const __m256 e = exp8(_mm256_mul_ps(splat(-2.0f), ax));
  __m256 large = _mm256_div_ps(_mm256_sub_ps(splat(1.0f), e), _mm256_add_ps(splat(1.0f), e));
  large = _mm256_or_ps(large, _mm256_and_ps(x, splat(-0.0f)));
  return _mm256_blendv_ps(large, small, _mm256_cmp_ps(ax, splat(0.625f), _CMP_LT_OQ));
}

// log1p(u) for u >= 0 from log: with w = 1 + u (rounded), log(w) misses
// the rounding error (w - 1) - u, which is corrected to first order.
ZENGEN_AVX2 inline __m256 log1p8(__m256 u) {
  const __m256 w = _mm256_add_ps(splat(1.0f), u);
  const __m256 error = _mm256_sub_ps(_mm256_sub_ps(w, splat(1.0f)), u);
  return _mm256_sub_ps(log8(w), _mm256_div_ps(error, w));
}

ZENGEN_AVX2 inline __m256 softplus8(__m256 x) {
  const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), abs8(x)));
  const __m256 positive = _mm256_max_ps(x, _mm256_setzero_ps());
  const __m256 y = _mm256_add_ps(positive, log1p8(e));
  return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

// y = f8(x) over n floats: whole vectors, then the tail through a padded
// buffer (so the vector code never reads or writes past the arrays).
#define ZENGEN_VECMATH_LOOP(NAME, F8)                                            \
  ZENGEN_AVX2 void NAME(const float* x, float* y, std::int64_t n) {              \
    std::int64_t i = 0;                                                          \
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, F8(_mm256_loadu_ps(x + i))); \
    if (i < n) {                                                                 \
      alignas(32) float buffer[8] = {};                                          \
      const auto rest = static_cast<std::size_t>(n - i);                         \
      std::memcpy(buffer, x + i, rest * sizeof(float));                          \
      _mm256_store_ps(buffer, F8(_mm256_load_ps(buffer)));                       \
      std::memcpy(y + i, buffer, rest * sizeof(float));                          \
    }                                                                            \
  }

ZENGEN_VECMATH_LOOP(exp_avx2, exp8)
ZENGEN_VECMATH_LOOP(log_avx2, log8)
ZENGEN_VECMATH_LOOP(sigmoid_avx2, sigmoid8)
ZENGEN_VECMATH_LOOP(tanh_avx2, tanh8)
ZENGEN_VECMATH_LOOP(softplus_avx2, softplus8)

#undef ZENGEN_VECMATH_LOOP

bool has_avx2_fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

#else

bool has_avx2_fma() { return false; }

#endif  // ZENGEN_VECMATH_X86

}  // namespace

bool vectorised() { return has_avx2_fma(); }

#if ZENGEN_VECMATH_X86
#define ZENGEN_VECMATH_DISPATCH(vector_call) \
  if (has_avx2_fma()) {                      \
    vector_call;                             \
    return;                                  \
  }
#else
#define ZENGEN_VECMATH_DISPATCH(vector_call)
#endif

void exp(const float* x, float* y, std::int64_t n) {
  ZENGEN_VECMATH_DISPATCH(exp_avx2(x, y, n))
  scalar_map(x, y, n, [](float v) { return std::exp(v); });
}

void log(const float* x, float* y, std::int64_t n) {
  ZENGEN_VECMATH_DISPATCH(log_avx2(x, y, n))
  scalar_map(x, y, n, [](float v) { return std::log(v); });
}

void sigmoid(const float* x, float* y, std::int64_t n) {
  ZENGEN_VECMATH_DISPATCH(sigmoid_avx2(x, y, n))
  scalar_map(x, y, n, functors::Sigmoid{});
}

void tanh(const float* x, float* y, std::int64_t n) {
  ZENGEN_VECMATH_DISPATCH(tanh_avx2(x, y, n))
  scalar_map(x, y, n, functors::Tanh{});
}

void softplus(const float* x, float* y, std::int64_t n) {
  ZENGEN_VECMATH_DISPATCH(softplus_avx2(x, y, n))
  scalar_map(x, y, n, functors::Softplus{});
}

#undef ZENGEN_VECMATH_DISPATCH

}  // namespace zengen::cpu::vecmath
