// Vectorised float32 exp/log and activations: see vecmath.hpp.
#include "cpu/vecmath.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/functors.hpp"
#include "kernels/loss_functors.hpp"

// Compiled once per ISA level (src/cpu/isa.hpp): the vector code exists in
// the avx2 and avx512 builds.
#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#define ZENGEN_VECMATH_X86 1
#include <immintrin.h>
#endif

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS::vecmath {

namespace {

// The scalar fallback (and the definition the vector code follows).
template <typename F>
void scalar_map(const float* x, float* y, std::int64_t n, F f) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

#if ZENGEN_VECMATH_X86


inline __m256 splat(float v) { return _mm256_set1_ps(v); }

inline __m256 exp8(__m256 x) {
  // Past these, expf is inf (above 88.73) or rounds to 0 (below -103.98);
  // clamping keeps n in the range the two-step scale can express.
  const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, splat(-105.0f)), splat(89.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, splat(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, splat(0.693359375f), xc);
  r = _mm256_fnmadd_ps(n, splat(-2.12194440e-4f), r);
  // The degree-5 polynomial by Estrin's scheme (see log8).
  const __m256 r2 = _mm256_mul_ps(r, r);
  const __m256 q0 = _mm256_fmadd_ps(splat(1.6666665459e-1f), r, splat(5.0000001201e-1f));
  const __m256 q1 = _mm256_fmadd_ps(splat(8.3334519073e-3f), r, splat(4.1665795894e-2f));
  const __m256 q2 = _mm256_fmadd_ps(splat(1.9875691500e-4f), r, splat(1.3981999507e-3f));
  const __m256 p = _mm256_fmadd_ps(_mm256_fmadd_ps(q2, r2, q1), r2, q0);
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

// log for finite x > 0; x = 0 gives about -104 (below every floor the
// losses use) and other specials are log8's business.
inline __m256 log8_core(__m256 x) {
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
  // The degree-8 polynomial by Estrin's scheme (pairs, then pairs of
  // pairs): a dependency chain of four FMAs instead of Horner's eight, so
  // that the loops are not bound by FMA latency.
  const __m256 z2 = _mm256_mul_ps(z, z);
  const __m256 q0 = _mm256_fmadd_ps(splat(-2.4999993993e-1f), f, splat(3.3333331174e-1f));
  const __m256 q1 = _mm256_fmadd_ps(splat(-1.6668057665e-1f), f, splat(2.0000714765e-1f));
  const __m256 q2 = _mm256_fmadd_ps(splat(-1.2420140846e-1f), f, splat(1.4249322787e-1f));
  const __m256 q3 = _mm256_fmadd_ps(splat(-1.1514610310e-1f), f, splat(1.1676998740e-1f));
  const __m256 r0 = _mm256_fmadd_ps(q1, z, q0);
  const __m256 r1 = _mm256_fmadd_ps(q3, z, q2);
  const __m256 p = _mm256_fmadd_ps(_mm256_mul_ps(z2, z2), splat(7.0376836292e-2f), _mm256_fmadd_ps(r1, z2, r0));
  __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, f), z);
  y = _mm256_fmadd_ps(e, splat(-2.12194440e-4f), y);
  y = _mm256_fnmadd_ps(splat(0.5f), z, y);
  __m256 r = _mm256_add_ps(f, y);
  return _mm256_fmadd_ps(e, splat(0.693359375f), r);
}

inline __m256 log8(__m256 x) {
  __m256 r = log8_core(x);
  // Specials: log(0) = -inf, log(x < 0) = NaN, log(inf) = inf, NaN stays.
  const __m256 inf = splat(INFINITY);
  r = _mm256_blendv_ps(r, inf, _mm256_cmp_ps(x, inf, _CMP_EQ_OQ));
  r = _mm256_blendv_ps(r, splat(-INFINITY), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_EQ_OQ));
  r = _mm256_blendv_ps(r, splat(NAN), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
  return _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

inline __m256 abs8(__m256 x) { return _mm256_andnot_ps(splat(-0.0f), x); }

inline __m256 sigmoid8(__m256 x) {
  const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), abs8(x)));
  const __m256 numerator = _mm256_blendv_ps(e, splat(1.0f), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ));
  return _mm256_div_ps(numerator, _mm256_add_ps(splat(1.0f), e));
}

inline __m256 tanh8(__m256 x) {
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
inline __m256 log1p8(__m256 u) {
  const __m256 w = _mm256_add_ps(splat(1.0f), u);
  const __m256 error = _mm256_sub_ps(_mm256_sub_ps(w, splat(1.0f)), u);
  return _mm256_sub_ps(log8(w), _mm256_div_ps(error, w));
}

inline __m256 softplus8(__m256 x) {
  const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), abs8(x)));
  const __m256 positive = _mm256_max_ps(x, _mm256_setzero_ps());
  const __m256 y = _mm256_add_ps(positive, log1p8(e));
  return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

// y = f8(x) over n floats: whole vectors, then the tail through a padded
// buffer (so the vector code never reads or writes past the arrays).
#define ZENGEN_VECMATH_LOOP(NAME, F8)                                            \
  void NAME(const float* x, float* y, std::int64_t n) {              \
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

// ---- the BCE sum ----

// BCE's terms, eight at a time: -(t log p + (1 - t) log(1 - p)), each log
// floored at -100 (max(NaN, floor) is the floor, as in the scalar
// clamped_log).
inline __m256 bce8(__m256 p, __m256 t) {
  const __m256 floor = splat(static_cast<float>(functors::BCELoss::kLogFloor));
  const __m256 log_p = _mm256_max_ps(log8_core(p), floor);
  const __m256 log_q = _mm256_max_ps(log8_core(_mm256_sub_ps(splat(1.0f), p)), floor);
  // -(log q + t (log p - log q))
  return _mm256_sub_ps(_mm256_setzero_ps(), _mm256_fmadd_ps(t, _mm256_sub_ps(log_p, log_q), log_q));
}

// The terms are added in double, in two accumulators (one per half of the
// vector, so the additions do not form one long dependency chain); the
// range of p is checked in the same pass. The tail (n mod 8) goes through
// the scalar functor.
double bce_sum_avx2(const float* p, const float* t, std::int64_t n, bool* out_of_range) {
  __m256d lo = _mm256_setzero_pd(), hi = _mm256_setzero_pd();
  __m256 bad = _mm256_setzero_ps();
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 pv = _mm256_loadu_ps(p + i);
    // NOT (0 <= p <= 1): true for NaN as well.
    bad = _mm256_or_ps(bad, _mm256_cmp_ps(pv, _mm256_setzero_ps(), _CMP_NGE_UQ));
    bad = _mm256_or_ps(bad, _mm256_cmp_ps(pv, splat(1.0f), _CMP_NLE_UQ));
    const __m256 v = bce8(pv, _mm256_loadu_ps(t + i));
    lo = _mm256_add_pd(lo, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
    hi = _mm256_add_pd(hi, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
  }
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, _mm256_add_pd(lo, hi));
  double sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  bool any_bad = _mm256_movemask_ps(bad) != 0;
  for (; i < n; ++i) {
    any_bad |= !functors::BCELoss::valid(p[i]);
    sum += static_cast<double>(functors::BCELoss{}(p[i], t[i]));
  }
  *out_of_range = any_bad;
  return sum;
}

constexpr bool has_avx2_fma() { return true; }

#else

constexpr bool has_avx2_fma() { return false; }

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

double bce_sum(const float* p, const float* t, std::int64_t n, bool* out_of_range) {
#if ZENGEN_VECMATH_X86
  if (has_avx2_fma()) return bce_sum_avx2(p, t, n, out_of_range);
#endif
  double sum = 0.0;
  bool any_bad = false;
  for (std::int64_t i = 0; i < n; ++i) {
    any_bad |= !functors::BCELoss::valid(p[i]);
    sum += static_cast<double>(functors::BCELoss{}(p[i], t[i]));
  }
  *out_of_range = any_bad;
  return sum;
}
#undef ZENGEN_VECMATH_DISPATCH

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS::vecmath
