// Internal to the convolution kernels: the hand-written AVX2 gathers of
// col2im (conv_im2col.hpp) and of the panel writers (conv_panels.cpp).
// Compiled once per ISA level (cpu/isa.hpp): they exist where the level's
// build has AVX2 (the avx2 and avx512 builds), and ZENGEN_CONV_X86 says so.
#pragma once

#include "cpu/isa.hpp"

#if defined(__x86_64__) && defined(__AVX2__)
#define ZENGEN_CONV_X86 1
#include <immintrin.h>
#endif

#if ZENGEN_CONV_X86

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS::conv_detail {

// col2im at stride 2: d[2 t] += a[t], d[2 t + 1] += b[t] for t < 8 (taps j
// and j + 1 of one output row), the two rows interleaved in registers.
// Short runs (8-wide output rows) are most of a small layer's col2im, and
// the compiler's loop spends them in its prologue and epilogue.
inline void add_pairs8(float* __restrict d, const float* __restrict a, const float* __restrict b) {
  const __m256 va = _mm256_loadu_ps(a), vb = _mm256_loadu_ps(b);
  const __m256 lo = _mm256_unpacklo_ps(va, vb), hi = _mm256_unpackhi_ps(va, vb);  // a0 b0 a1 b1 | a4 b4 a5 b5
  _mm256_storeu_ps(d, _mm256_add_ps(_mm256_loadu_ps(d), _mm256_permute2f128_ps(lo, hi, 0x20)));
  _mm256_storeu_ps(d + 8, _mm256_add_ps(_mm256_loadu_ps(d + 8), _mm256_permute2f128_ps(lo, hi, 0x31)));
}
// The same for t < 4.
inline void add_pairs4(float* __restrict d, const float* __restrict a, const float* __restrict b) {
  const __m128 va = _mm_loadu_ps(a), vb = _mm_loadu_ps(b);
  _mm_storeu_ps(d, _mm_add_ps(_mm_loadu_ps(d), _mm_unpacklo_ps(va, vb)));
  _mm_storeu_ps(d + 4, _mm_add_ps(_mm_loadu_ps(d + 4), _mm_unpackhi_ps(va, vb)));
}

// d[t] = s[2 t] for t < 16: four loads and two even-lane shuffles (the
// compiler's version was 16 scalar loads and inserts, the panel writer's
// main cost). The last load is masked to s[24..30]: s[31] may lie past the
// end of the input. Called only where the packed GEMM is AVX2 or AVX-512,
// so the CPU has AVX2.
inline void gather16_stride2(float* __restrict d, const float* __restrict s) {
  const __m256i first7 = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, -1, 0);
  const __m256 a = _mm256_loadu_ps(s), b = _mm256_loadu_ps(s + 8), c = _mm256_loadu_ps(s + 16);
  const __m256 e = _mm256_maskload_ps(s + 24, first7);
  // shuffle 0x88 takes lanes 0 and 2 of each operand per 128-bit half:
  // [a0 a2 b0 b2 | a4 a6 b4 b6]; the permute puts the halves in order.
  const __m256 ab = _mm256_shuffle_ps(a, b, 0x88), ce = _mm256_shuffle_ps(c, e, 0x88);
  _mm256_storeu_ps(d, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(ab), 0xD8)));
  _mm256_storeu_ps(d + 8, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(ce), 0xD8)));
}

// The same for 8 values and for 4 (the runs of 8- and 4-wide output rows).
inline void gather8_stride2(float* __restrict d, const float* __restrict s) {
  const __m256i first7 = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, -1, 0);
  const __m256 a = _mm256_loadu_ps(s), b = _mm256_maskload_ps(s + 8, first7);
  const __m256 ab = _mm256_shuffle_ps(a, b, 0x88);
  _mm256_storeu_ps(d, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(ab), 0xD8)));
}
inline void gather4_stride2(float* __restrict d, const float* __restrict s) {
  const __m256i first7 = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, -1, 0);
  const __m256 a = _mm256_maskload_ps(s, first7);
  const __m256 aa = _mm256_shuffle_ps(a, a, 0x88);  // [a0 a2 a0 a2 | a4 a6 a4 a6]
  _mm_storeu_ps(d, _mm256_castps256_ps128(_mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(aa), 0xD8))));
}

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS::conv_detail

#endif  // ZENGEN_CONV_X86
