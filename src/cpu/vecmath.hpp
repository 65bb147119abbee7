// Internal: vectorised float32 exp and log, the activations built on them
// (sigmoid, tanh, softplus) over contiguous arrays, and the sum of BCE's
// terms.
//
// In the avx2 and avx512 levels' builds (src/cpu/isa.hpp), with AVX2 + FMA,
// eight lanes at a time:
//   exp   Cody-Waite reduction x = n ln2 + r (ln2 split in a high part with
//         few bits and a low part, so n ln2_hi is exact), a degree-6
//         polynomial for e^r on |r| <= ln2 / 2 (Cephes' expf coefficients,
//         evaluated with FMA), then the scale 2^n applied as two halves so
//         that results in the subnormal range round once. Within 1 ulp of
//         the correctly rounded result (tests/ops/vecmath.cpp sweeps every
//         256th float).
//   log   x = m 2^e with m in [sqrt(1/2), sqrt(2)); log(m) by Cephes'
//         degree-8 polynomial in m - 1; subnormal inputs are scaled by 2^23
//         first.
//   IEEE specials follow std::exp / std::log: NaN in, NaN out; exp(+inf) =
//   inf, exp(-inf) = 0; log(0) = -inf, log(x < 0) = NaN, log(inf) = inf.
// In the baseline build the same functions run the scalar std:: versions.
//
// The activations use the same numerically safe forms as the functors in
// src/kernels/functors.hpp: sigmoid from exp(-|x|), softplus as
// max(x, 0) + log1p(exp(-|x|)), tanh by a polynomial for |x| < 0.625 (no
// cancellation near 0) and (1 - e) / (1 + e) with e = exp(-2|x|) beyond.
#pragma once

#include <cstdint>

#include "cpu/isa.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS::vecmath {

/// Whether the vector code runs here (AVX2 + FMA); else the scalar fallback.
bool vectorised();

/// y[i] = f(x[i]) for i < n; x and y may be the same array. One thread.
void exp(const float* x, float* y, std::int64_t n);
void log(const float* x, float* y, std::int64_t n);
void sigmoid(const float* x, float* y, std::int64_t n);
void tanh(const float* x, float* y, std::int64_t n);
void softplus(const float* x, float* y, std::int64_t n);

/// The sum over i < n, in double, of BCELoss(p[i], t[i]) (float32 terms,
/// each log floored at -100, computed eight at a time with the log above:
/// BCE's forward is compute-bound on its two logs); sets *out_of_range when
/// some p[i] is outside [0, 1] or NaN. One thread.
double bce_sum(const float* p, const float* t, std::int64_t n, bool* out_of_range);

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS::vecmath
