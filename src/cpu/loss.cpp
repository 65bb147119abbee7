#include "cpu/loss.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "cpu/loops.hpp"
#include "cpu/vecmath.hpp"
#include "kernels/loss_functors.hpp"

#if defined(ZENGEN_HAVE_LIBMVEC)
// glibc's libmvec has vector versions of these; declaring them SIMD-callable
// (as glibc's own headers do under -ffast-math, without its other effects)
// lets the `omp simd` loops below call them several elements at a time. The
// vector versions are accurate to 4 ulp (the scalar ones to 1).
extern "C" {
#pragma omp declare simd notinbranch
float expf(float) noexcept;
#pragma omp declare simd notinbranch
double exp(double) noexcept;
#pragma omp declare simd notinbranch
float logf(float) noexcept;
#pragma omp declare simd notinbranch
double log(double) noexcept;
#pragma omp declare simd notinbranch
float log1pf(float) noexcept;
#pragma omp declare simd notinbranch
double log1p(double) noexcept;
}
#endif

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {
namespace {

namespace f = zengen::functors;

/// Indices per block of a summation: the partial sums of fixed blocks are
/// combined in order, so a sum does not depend on how many threads ran.
constexpr std::int64_t kBlock = 16384;

/// Sum over [0, n) of body(begin, end, block) for blocks of `grain` indices.
/// `work` is the number of elements one index stands for (row length).
template <typename Body>
double blocked_sum(std::int64_t n, std::int64_t grain, std::int64_t work, Body&& body) {
  if (n <= 0) return 0.0;
  const std::int64_t blocks = (n + grain - 1) / grain;
  if (blocks == 1) return body(std::int64_t{0}, n, std::int64_t{0});
  std::vector<double> partial(static_cast<std::size_t>(blocks));
  const int threads = threads_for(n * work);
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
  for (std::int64_t b = 0; b < blocks; ++b) partial[b] = body(b * grain, std::min(n, (b + 1) * grain), b);
  double sum = 0.0;
  for (double p : partial) sum += p;
  return sum;
}

/// body(begin, end) over [0, n), split across threads when the work is large.
template <typename Body>
void parallel_range(std::int64_t n, std::int64_t work, Body&& body) {
  if (n <= 0) return;
  const int threads = threads_for(n * work);
  if (threads <= 1) {
    body(std::int64_t{0}, n);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    // Boundaries on 16-element multiples keep vector loops aligned.
    auto bound = [&](int i) { return std::min(n, (n * i / nt + 15) / 16 * 16); };
    body(bound(t), bound(t + 1));
  }
}

/// The sum in double of term(i) for i in [begin, end). The terms are
/// computed in T a chunk at a time (a loop that vectorises at T's width,
/// vector exp/log included) and then added in double.
template <typename T, typename Term>
double chunked_sum(std::int64_t begin, std::int64_t end, Term&& term) {
  constexpr std::int64_t kChunk = 512;
  alignas(64) T buf[kChunk];
  double acc = 0.0;
  for (std::int64_t c = begin; c < end; c += kChunk) {
    const std::int64_t m = std::min(kChunk, end - c);
#pragma omp simd
    for (std::int64_t j = 0; j < m; ++j) buf[j] = term(c + j);
#pragma omp simd reduction(+ : acc)
    for (std::int64_t j = 0; j < m; ++j) acc += static_cast<double>(buf[j]);
  }
  return acc;
}

/// Calls body.template operator()<flag>() with a compile-time copy of flag.
template <typename Body>
decltype(auto) with_flag(bool flag, Body&& body) {
  return flag ? body.template operator()<true>() : body.template operator()<false>();
}

template <typename Body>
decltype(auto) with_loss(PointwiseLoss kind, Body&& body) {
  switch (kind) {
    case PointwiseLoss::MSE: return body(f::MSELoss{});
    case PointwiseLoss::L1: return body(f::L1Loss{});
    case PointwiseLoss::BCE: return body(f::BCELoss{});
    case PointwiseLoss::BCEWithLogits: return body(f::BCEWithLogitsLoss{});
  }
  return body(f::MSELoss{});
}

template <typename T>
const T* ptr_or_null(const Tensor& t) {
  return t.defined() ? static_cast<const T*>(t.data_ptr()) : nullptr;
}
template <typename T>
T* mut_ptr_or_null(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.data_ptr()) : nullptr;
}

// ---- element-wise losses ----

// The first i in [begin, end) with an input F does not accept (-1: none).
template <typename F, typename T>
std::int64_t first_invalid(const T* x, std::int64_t begin, std::int64_t end) {
  for (std::int64_t i = begin; i < end; ++i)
    if (!F::valid(x[i])) return i;
  return -1;
}

template <typename T, bool kWeight, bool kOut, bool kCheck, typename F>
double pointwise_forward(F fn, std::int64_t n, const T* x, const T* t, const T* w, T* out, std::int64_t* bad) {
  std::vector<std::int64_t> first_bad;
  if constexpr (kCheck) first_bad.assign(static_cast<std::size_t>((n + kBlock - 1) / kBlock), -1);
  const double total = blocked_sum(n, kBlock, 1, [&](std::int64_t begin, std::int64_t end, std::int64_t block) {
    // float32 BCE as a sum: vecmath's vector code (compute-bound on its two
    // logs) checks the range in the same pass.
    if constexpr (std::is_same_v<T, float> && std::is_same_v<F, f::BCELoss> && !kWeight && !kOut) {
      bool out_of_range = false;
      const double sum = vecmath::bce_sum(x + begin, t + begin, end - begin, &out_of_range);
      if constexpr (kCheck)
        if (out_of_range) first_bad[static_cast<std::size_t>(block)] = first_invalid<F>(x, begin, end);
      return sum;
    }
    if constexpr (kCheck) {
      // The block is about to be read anyway: checking it first costs no
      // extra trip to memory. A vectorised pass says whether the block has
      // a bad element; only then is it searched for the first.
      int any_bad = 0;
#pragma omp simd reduction(| : any_bad)
      for (std::int64_t i = begin; i < end; ++i) any_bad |= F::valid(x[i]) ? 0 : 1;
      if (any_bad) first_bad[static_cast<std::size_t>(block)] = first_invalid<F>(x, begin, end);
    }
    if constexpr (kOut) {
#pragma omp simd
      for (std::int64_t i = begin; i < end; ++i) {
        T v = fn(x[i], t[i]);
        if constexpr (kWeight) v = v * w[i];
        out[i] = v;
      }
      return 0.0;
    } else {
      return chunked_sum<T>(begin, end, [&](std::int64_t i) {
        T v = fn(x[i], t[i]);
        if constexpr (kWeight) v = v * w[i];
        return v;
      });
    }
  });
  if constexpr (kCheck) {
    *bad = -1;
    for (auto b : first_bad)
      if (b >= 0) {
        *bad = b;
        break;
      }
  }
  return kOut ? 0.0 : total;
}

template <typename T, bool kWeight, bool kGradOut, bool kInput, bool kTarget, typename F>
void pointwise_backward(F fn, std::int64_t n, const T* x, const T* t, const T* w, const T* go, T scale, T* gx,
                        T* gt) {
  parallel_range(n, 1, [&](std::int64_t begin, std::int64_t end) {
#pragma omp simd
    for (std::int64_t i = begin; i < end; ++i) {
      T c = scale;
      if constexpr (kGradOut) c = scale * go[i];
      if constexpr (kWeight) c = c * w[i];
      if constexpr (kInput) gx[i] = c * fn.d_input(x[i], t[i]);
      if constexpr (kTarget) gt[i] = c * fn.d_target(x[i], t[i]);
    }
  });
}

// Rows x D view of a [..., D] tensor.
std::int64_t last_dim(const Tensor& x) { return x.dim() == 0 ? 1 : x.shape().back(); }
std::int64_t leading_rows(const Tensor& x) {
  std::int64_t rows = 1;
  for (std::int64_t d = 0; d + 1 < x.dim(); ++d) rows *= x.shape()[d];
  return rows;
}

}  // namespace

double pointwise_loss(PointwiseLoss kind, const Tensor& out, const Tensor& input, const Tensor& target,
                      const Tensor& weight, std::int64_t* bad) {
  const std::int64_t n = input.numel();
  return dispatch_floating(input.dtype(), "loss", [&]<typename T>() -> double {
    return with_loss(kind, [&](auto fn) -> double {
      return with_flag(weight.defined(), [&]<bool kWeight>() -> double {
        return with_flag(out.defined(), [&]<bool kOut>() -> double {
          const T *x = ptr_or_null<T>(input), *t = ptr_or_null<T>(target), *w = ptr_or_null<T>(weight);
          T* o = mut_ptr_or_null<T>(out);
          if (kind == PointwiseLoss::BCE && bad)
            return pointwise_forward<T, kWeight, kOut, true>(f::BCELoss{}, n, x, t, w, o, bad);
          if (bad) *bad = -1;
          return pointwise_forward<T, kWeight, kOut, false>(fn, n, x, t, w, o, nullptr);
        });
      });
    });
  });
}

void pointwise_loss_backward(PointwiseLoss kind, const Tensor& grad_input, const Tensor& grad_target,
                             const Tensor& grad_out, double scale, const Tensor& input, const Tensor& target,
                             const Tensor& weight) {
  if (!grad_input.defined() && !grad_target.defined()) return;
  const std::int64_t n = input.numel();
  dispatch_floating(input.dtype(), "loss backward", [&]<typename T>() {
    with_loss(kind, [&](auto fn) {
      with_flag(weight.defined(), [&]<bool kWeight>() {
        with_flag(grad_out.defined(), [&]<bool kGradOut>() {
          with_flag(grad_input.defined(), [&]<bool kInput>() {
            with_flag(grad_target.defined(), [&]<bool kTarget>() {
              pointwise_backward<T, kWeight, kGradOut, kInput, kTarget>(
                  fn, n, ptr_or_null<T>(input), ptr_or_null<T>(target), ptr_or_null<T>(weight),
                  ptr_or_null<T>(grad_out), static_cast<T>(scale), mut_ptr_or_null<T>(grad_input),
                  mut_ptr_or_null<T>(grad_target));
            });
          });
        });
      });
    });
  });
}

// ---- Gaussian KL ----

double gaussian_kl(const Tensor& out, const Tensor& mu, const Tensor& logvar) {
  const std::int64_t d = last_dim(mu), rows = leading_rows(mu), n = mu.numel();
  return dispatch_floating(mu.dtype(), "gaussian_kl", [&]<typename T>() -> double {
    const f::GaussianKL fn;
    const T* m = static_cast<const T*>(mu.data_ptr());
    const T* v = static_cast<const T*>(logvar.data_ptr());
    if (out.defined()) {
      T* o = static_cast<T*>(out.data_ptr());
      parallel_range(rows, d, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t r = begin; r < end; ++r) {
          const T *mr = m + r * d, *vr = v + r * d;
          o[r] = static_cast<T>(chunked_sum<T>(0, d, [&](std::int64_t j) { return fn(mr[j], vr[j]); }));
        }
      });
      return 0.0;
    }
    return blocked_sum(n, kBlock, 1, [&](std::int64_t begin, std::int64_t end, std::int64_t) {
      return chunked_sum<T>(begin, end, [&](std::int64_t i) { return fn(m[i], v[i]); });
    });
  });
}

void gaussian_kl_backward(const Tensor& grad_mu, const Tensor& grad_logvar, const Tensor& grad_out, double scale,
                          const Tensor& mu, const Tensor& logvar) {
  if (!grad_mu.defined() && !grad_logvar.defined()) return;
  const std::int64_t d = last_dim(mu), rows = leading_rows(mu), n = mu.numel();
  dispatch_floating(mu.dtype(), "gaussian_kl backward", [&]<typename T>() {
    const f::GaussianKL fn;
    const T* m = static_cast<const T*>(mu.data_ptr());
    const T* v = static_cast<const T*>(logvar.data_ptr());
    T* gm = mut_ptr_or_null<T>(grad_mu);
    T* gv = mut_ptr_or_null<T>(grad_logvar);
    const T s = static_cast<T>(scale);
    // One row of d elements with the factor c.
    auto run = [&](std::int64_t begin, std::int64_t end, T c) {
      if (gm && gv) {
#pragma omp simd
        for (std::int64_t i = begin; i < end; ++i) {
          gm[i] = c * fn.d_mu(m[i], v[i]);
          gv[i] = c * fn.d_logvar(m[i], v[i]);
        }
      } else if (gm) {
#pragma omp simd
        for (std::int64_t i = begin; i < end; ++i) gm[i] = c * fn.d_mu(m[i], v[i]);
      } else {
#pragma omp simd
        for (std::int64_t i = begin; i < end; ++i) gv[i] = c * fn.d_logvar(m[i], v[i]);
      }
    };
    if (!grad_out.defined()) {
      parallel_range(n, 1, [&](std::int64_t begin, std::int64_t end) { run(begin, end, s); });
      return;
    }
    const T* go = static_cast<const T*>(grad_out.data_ptr());
    parallel_range(rows, d, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t r = begin; r < end; ++r) run(r * d, (r + 1) * d, s * go[r]);
    });
  });
}

// ---- cross-entropy ----

double cross_entropy(const Tensor& out, const Tensor& lse, const Tensor& logits, const Tensor& target) {
  const std::int64_t n = logits.shape()[0], k = logits.shape()[1];
  return dispatch_floating(logits.dtype(), "cross_entropy", [&]<typename T>() -> double {
    const f::CrossEntropy fn;
    const T* x = static_cast<const T*>(logits.data_ptr());
    const std::int64_t* t = static_cast<const std::int64_t*>(target.data_ptr());
    T* l = static_cast<T*>(lse.data_ptr());
    T* o = mut_ptr_or_null<T>(out);
    const std::int64_t grain = std::max<std::int64_t>(1, kBlock / std::max<std::int64_t>(k, 1));
    const double total = blocked_sum(n, grain, k, [&](std::int64_t begin, std::int64_t end, std::int64_t) {
      double acc = 0.0;
      for (std::int64_t r = begin; r < end; ++r) {
        const T* xr = x + r * k;
        T m = xr[0];
#pragma omp simd reduction(max : m)
        for (std::int64_t j = 1; j < k; ++j) m = xr[j] > m ? xr[j] : m;
        const double s = chunked_sum<T>(0, k, [&](std::int64_t j) { return std::exp(xr[j] - m); });
        const double row_lse = static_cast<double>(m) + std::log(s);
        l[r] = static_cast<T>(row_lse);
        const double loss = fn(row_lse, static_cast<double>(xr[t[r]]));
        if (o)
          o[r] = static_cast<T>(loss);
        else
          acc += loss;
      }
      return acc;
    });
    return o ? 0.0 : total;
  });
}

void cross_entropy_backward(const Tensor& grad_logits, const Tensor& grad_out, double scale, const Tensor& logits,
                            const Tensor& target, const Tensor& lse) {
  const std::int64_t n = logits.shape()[0], k = logits.shape()[1];
  dispatch_floating(logits.dtype(), "cross_entropy backward", [&]<typename T>() {
    const f::CrossEntropy fn;
    const T* x = static_cast<const T*>(logits.data_ptr());
    const std::int64_t* t = static_cast<const std::int64_t*>(target.data_ptr());
    const T* l = static_cast<const T*>(lse.data_ptr());
    const T* go = ptr_or_null<T>(grad_out);
    T* g = static_cast<T*>(grad_logits.data_ptr());
    const T s = static_cast<T>(scale);
    parallel_range(n, k, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t r = begin; r < end; ++r) {
        const T c = go ? s * go[r] : s;
        const T lr = l[r];
        const T* xr = x + r * k;
        T* gr = g + r * k;
#pragma omp simd
        for (std::int64_t j = 0; j < k; ++j) gr[j] = c * fn.d_logit(xr[j], lr, false);
        gr[t[r]] = c * fn.d_logit(xr[t[r]], lr, true);
      }
    });
  });
}

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
