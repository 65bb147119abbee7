// CUDA losses: fused forward (terms + deterministic block reduction) and
// fused backward, on the shared loss functors. See loss.hpp.
#include "loss.hpp"

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <type_traits>

#include "reduce.cuh"
#include "validate.hpp"
#include "kernels/loss_functors.hpp"

namespace zengen::cuda {

namespace f = zengen::functors;

namespace {

/// A functor's term with BCE's domain check: NaN (not an error) outside [0, 1].
template <typename F>
struct Checked {
  F fn;
  template <typename T>
  __device__ T term(T x, T t) const {
    if constexpr (std::is_same_v<F, f::BCELoss>) {
      if (!f::BCELoss::valid(x)) return T(NAN);
    }
    return fn(x, t);
  }
};

// ---- 128-bit packs ----
//
// Every element-wise loss kernel below is a template over V, the elements
// one thread loads from each operand at once: 16 / sizeof(T) (one 128-bit
// access) when every operand is 16-byte aligned, else 1. Contiguous
// tensors from the allocator are aligned; a narrowed view may not be.

template <int V, typename T>
__device__ __forceinline__ Pack<T, V> load(const T* p, std::int64_t pack) {
  return reinterpret_cast<const Pack<T, V>*>(p)[pack];
}
template <int V, typename T>
__device__ __forceinline__ void store(T* p, std::int64_t pack, const Pack<T, V>& v) {
  reinterpret_cast<Pack<T, V>*>(p)[pack] = v;
}

/// Runs body.template operator()<V>() with V = 16 / sizeof(T) when every
/// pointer given (null ones are skipped) is 16-byte aligned, else V = 1.
template <typename T, typename Body>
void with_pack_size(std::initializer_list<const void*> pointers, Body&& body) {
  bool aligned = true;
  for (const void* p : pointers) aligned = aligned && reinterpret_cast<std::uintptr_t>(p) % 16 == 0;
  if (aligned)
    body.template operator()<kPackSize<T>>();
  else
    body.template operator()<1>();
}

/// A reduction term made of V consecutive loss terms (a pack of each
/// operand; the last, partial pack element by element), summed in double:
/// the reduction then walks n / V terms. pair(a, b) is one element's term;
/// w, when given, weighs it.
template <int V, typename T, typename Pair>
struct PackedTerm {
  const T* a;
  const T* b;
  const T* w;  // null: weight 1
  std::int64_t n;
  Pair pair;
  __device__ double operator()(std::int64_t, std::int64_t p) const {
    double sum = 0.0;
    if ((p + 1) * V <= n) {
      const Pack<T, V> as = load<V>(a, p), bs = load<V>(b, p);
      if (w) {
        const Pack<T, V> ws = load<V>(w, p);
#pragma unroll
        for (int j = 0; j < V; ++j) sum += static_cast<double>(ws.v[j] * pair(as.v[j], bs.v[j]));
      } else {
#pragma unroll
        for (int j = 0; j < V; ++j) sum += static_cast<double>(pair(as.v[j], bs.v[j]));
      }
    } else {
      for (std::int64_t i = p * V; i < n; ++i) sum += static_cast<double>(w ? w[i] * pair(a[i], b[i]) : pair(a[i], b[i]));
    }
    return sum;
  }
};

template <typename F>
struct LossPair {  // a pointwise loss's term of (input, target)
  Checked<F> fn;
  template <typename T>
  __device__ T operator()(T x, T t) const { return fn.term(x, t); }
};

struct KLPair {  // the Gaussian KL's term of (mu, logvar)
  template <typename T>
  __device__ T operator()(T mu, T lv) const { return f::GaussianKL{}(mu, lv); }
};

/// out = scale * the sum of n terms, by the deterministic reduction over
/// packs of V terms.
template <typename T, typename Pair>
void reduce_pairs(int device, std::int64_t n, const T* a, const T* b, const T* w, Pair pair, T* out, double scale) {
  with_pack_size<T>({a, b, w}, [&]<int V>() {
    launch_reduce_rows(device, 1, (n + V - 1) / V, PackedTerm<V, T, Pair>{a, b, w, n, pair}, out, scale);
  });
}

template <int V, typename T, typename F>
__global__ void loss_terms(std::int64_t n, T* out, const T* x, const T* t, const T* w, Checked<F> fn) {
  const std::int64_t stride = std::int64_t{gridDim.x} * blockDim.x;
  const std::int64_t first = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x;
  for (std::int64_t p = first; p < n / V; p += stride) {
    const Pack<T, V> xs = load<V>(x, p), ts = load<V>(t, p);
    Pack<T, V> out_pack;
#pragma unroll
    for (int j = 0; j < V; ++j) out_pack.v[j] = fn.term(xs.v[j], ts.v[j]);
    if (w) {
      const Pack<T, V> ws = load<V>(w, p);
#pragma unroll
      for (int j = 0; j < V; ++j) out_pack.v[j] = ws.v[j] * out_pack.v[j];
    }
    store<V>(out, p, out_pack);
  }
  for (std::int64_t i = n / V * V + first; i < n; i += stride) {
    const T v = fn.term(x[i], t[i]);
    out[i] = w ? w[i] * v : v;
  }
}

/// c for element i: scale * g[i / per] (or g[0] when g is one value).
template <typename T>
struct Factor {
  const T* g;
  bool single;
  std::int64_t per;
  double scale;
  __device__ T operator()(std::int64_t i) const {
    return static_cast<T>(scale) * (single ? g[0] : g[i / per]);
  }
};

/// One element's gradients w.r.t. input and target: c(i) (times w[i]) times
/// the functor's derivatives.
template <typename T, typename F>
__device__ __forceinline__ void loss_grads(const Factor<T>& c, std::int64_t i, T x, T t, const T* w, T wi, F fn,
                                           T& dx, T& dt) {
  T factor = c(i);
  if (w) factor = factor * wi;
  dx = factor * fn.d_input(x, t);
  dt = factor * fn.d_target(x, t);
}

template <int V, typename T, typename F>
__global__ void loss_backward(std::int64_t n, T* gx, T* gt, Factor<T> c, const T* x, const T* t, const T* w, F fn) {
  const std::int64_t stride = std::int64_t{gridDim.x} * blockDim.x;
  const std::int64_t first = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x;
  for (std::int64_t p = first; p < n / V; p += stride) {
    const Pack<T, V> xs = load<V>(x, p), ts = load<V>(t, p);
    Pack<T, V> ws{};
    if (w) ws = load<V>(w, p);
    Pack<T, V> dx, dt;
#pragma unroll
    for (int j = 0; j < V; ++j) loss_grads(c, p * V + j, xs.v[j], ts.v[j], w, ws.v[j], fn, dx.v[j], dt.v[j]);
    if (gx) store<V>(gx, p, dx);
    if (gt) store<V>(gt, p, dt);
  }
  for (std::int64_t i = n / V * V + first; i < n; i += stride) {
    T dx, dt;
    loss_grads(c, i, x[i], t[i], w, w ? w[i] : T(0), fn, dx, dt);
    if (gx) gx[i] = dx;
    if (gt) gt[i] = dt;
  }
}

template <int V, typename T>
__global__ void kl_backward(std::int64_t n, T* gmu, T* glv, Factor<T> c, const T* mu, const T* lv) {
  const f::GaussianKL fn;
  const std::int64_t stride = std::int64_t{gridDim.x} * blockDim.x;
  const std::int64_t first = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x;
  for (std::int64_t p = first; p < n / V; p += stride) {
    const Pack<T, V> ms = load<V>(mu, p), ls = load<V>(lv, p);
    Pack<T, V> dmu, dlv;
#pragma unroll
    for (int j = 0; j < V; ++j) {
      const T factor = c(p * V + j);
      dmu.v[j] = factor * fn.d_mu(ms.v[j], ls.v[j]);
      dlv.v[j] = factor * fn.d_logvar(ms.v[j], ls.v[j]);
    }
    if (gmu) store<V>(gmu, p, dmu);
    if (glv) store<V>(glv, p, dlv);
  }
  for (std::int64_t i = n / V * V + first; i < n; i += stride) {
    const T factor = c(i);
    if (gmu) gmu[i] = factor * fn.d_mu(mu[i], lv[i]);
    if (glv) glv[i] = factor * fn.d_logvar(mu[i], lv[i]);
  }
}

/// Row m's KL terms (gaussian_kl without reduction: a row per output).
template <typename T>
struct KLTerm {
  const T* mu;
  const T* lv;
  std::int64_t R;
  __device__ T operator()(std::int64_t m, std::int64_t r) const {
    const std::int64_t i = m * R + r;
    return f::GaussianKL{}(mu[i], lv[i]);
  }
};

template <typename Body>
void with_functor(PointwiseLoss kind, Body&& body) {
  switch (kind) {
    case PointwiseLoss::MSE: return body(f::MSELoss{});
    case PointwiseLoss::L1: return body(f::L1Loss{});
    case PointwiseLoss::BCE: return body(f::BCELoss{});
    case PointwiseLoss::BCEWithLogits: return body(f::BCEWithLogitsLoss{});
  }
}

const char* name_of(PointwiseLoss kind) {
  switch (kind) {
    case PointwiseLoss::MSE: return "mse_loss";
    case PointwiseLoss::L1: return "l1_loss";
    case PointwiseLoss::BCE: return "binary_cross_entropy";
    case PointwiseLoss::BCEWithLogits: return "binary_cross_entropy_with_logits";
  }
  return "loss";
}

void check_input(const char* op, const TensorRef& x) {
  validate::operand(op, "input", x);
  validate::floating(op, "input", x);
  validate::contiguous(op, "input", x);
}

/// The incoming gradient: one value, or `expected` values.
void check_grad(const char* op, const TensorRef& g, const TensorRef& x, std::int64_t expected) {
  validate::same_kind(op, "grad_out", g, x);
  ZENGEN_CHECK(g.numel() == 1 || (g.numel() == expected && g.contiguous()), ShapeError, "cuda ", op,
               ": grad_out of shape ", g.shape_str(), " must hold one value or ", expected, " contiguous values");
}

/// Block r: row r's max, log-sum-exp and loss (to losses[r]).
template <typename T>
__global__ void cross_entropy_rows(std::int64_t K, const T* logits, const std::int64_t* target, T* lse, T* losses) {
  const std::int64_t r = blockIdx.x;
  const T* row = logits + r * K;
  const SoftmaxRow<T> stats = block_softmax_row(row, K);
  if (threadIdx.x == 0) {
    // In double, as the CPU: with large logits, max + log(sum) rounded to T
    // first would lose the loss's small difference.
    const double value = static_cast<double>(stats.max) + stats.log_sum_wide;
    lse[r] = static_cast<T>(value);
    losses[r] = static_cast<T>(value - static_cast<double>(row[target[r]]));
  }
}

template <typename T>
__global__ void cross_entropy_grad(std::int64_t total, std::int64_t K, T* gx, Factor<T> c, const T* logits,
                                   const std::int64_t* target, const T* lse) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < total;
       i += std::int64_t{gridDim.x} * blockDim.x) {
    const std::int64_t r = i / K, k = i - r * K;
    const T p = exp(logits[i] - lse[r]);
    gx[i] = c(i) * (k == target[r] ? p - T(1) : p);
  }
}

template <typename T>
struct RowTerm {  // the reduction's term: row r's loss
  const T* losses;
  __device__ T operator()(std::int64_t, std::int64_t r) const { return losses[r]; }
};

/// logits [N, K] (floating, contiguous) and target [N] (int64, contiguous, same device).
void check_classes(const char* op, const TensorRef& logits, const TensorRef& target) {
  check_input(op, logits);
  ZENGEN_CHECK(logits.ndim == 2, ShapeError, "cuda ", op, ": logits must be [N, K], got ", logits.shape_str());
  validate::operand(op, "target", target);
  validate::same_device(op, logits, target, "target");
  validate::dtype_is(op, "target", target, DType::Int64);
  validate::contiguous(op, "target", target);
  ZENGEN_CHECK(target.ndim == 1 && target.sizes[0] == logits.sizes[0], ShapeError, "cuda ", op, ": target of shape ",
               target.shape_str(), " for logits ", logits.shape_str(), " (expected one class per row)");
  ZENGEN_CHECK(logits.sizes[0] < (std::int64_t{1} << 31), ShapeError, "cuda ", op, ": ", logits.sizes[0],
               " rows is too many for one launch");
}

/// A per-row operand: [N], contiguous, the logits' dtype and device.
void check_per_row(const char* op, const char* name, const TensorRef& t, const TensorRef& logits) {
  validate::companion(op, name, t, logits);
  ZENGEN_CHECK(t.numel() == logits.sizes[0], ShapeError, "cuda ", op, ": ", name, " of shape ", t.shape_str(),
               " for ", logits.sizes[0], " rows");
}

template <typename T>
T* typed(const TensorRef& r) {
  return r.data ? static_cast<T*>(r.data) : nullptr;
}

}  // namespace

void pointwise_loss(PointwiseLoss kind, const TensorRef& out, const TensorRef& x, const TensorRef& t,
                    const TensorRef& w, bool reduce, double scale) {
  const char* op = name_of(kind);
  check_input(op, x);
  validate::like(op, "target", t, x);
  if (w.data) validate::like(op, "weight", w, x);
  validate::same_kind(op, "output", out, x);
  if (reduce)
    ZENGEN_CHECK(out.numel() == 1, ShapeError, "cuda ", op, ": a reduced output holds one value, got shape ",
                 out.shape_str());
  else
    validate::like(op, "output", out, x);
  const std::int64_t n = x.numel();
  DeviceScope scope(x.device);
  dispatch_float(x.dtype, op, [&]<typename T>() {
    with_functor(kind, [&](auto fn) {
      const Checked<decltype(fn)> checked{fn};
      if (reduce) {
        reduce_pairs(x.device, n, typed<T>(x), typed<T>(t), typed<T>(w), LossPair<decltype(fn)>{checked},
                     static_cast<T*>(out.data), scale);
      } else if (n > 0) {
        with_pack_size<T>({x.data, t.data, w.data, out.data}, [&]<int V>() {
          loss_terms<V><<<blocks_for((n + V - 1) / V), kBlockThreads, 0, stream(x.device)>>>(
              n, typed<T>(out), typed<T>(x), typed<T>(t), typed<T>(w), checked);
        });
        ZENGEN_CUDA_CHECK(cudaGetLastError());
      }
    });
  });
}

void pointwise_loss_backward(PointwiseLoss kind, const TensorRef& grad_x, const TensorRef& grad_t,
                             const TensorRef& grad_out, double scale, const TensorRef& x, const TensorRef& t,
                             const TensorRef& w) {
  const char* op = name_of(kind);
  check_input(op, x);
  validate::like(op, "target", t, x);
  if (w.data) validate::like(op, "weight", w, x);
  if (grad_x.data) validate::like(op, "grad_input", grad_x, x);
  if (grad_t.data) validate::like(op, "grad_target", grad_t, x);
  const std::int64_t n = x.numel();
  check_grad(op, grad_out, x, n);
  if (n == 0 || (!grad_x.data && !grad_t.data)) return;
  DeviceScope scope(x.device);
  dispatch_float(x.dtype, op, [&]<typename T>() {
    const Factor<T> c{typed<T>(grad_out), grad_out.numel() == 1, 1, scale};
    with_functor(kind, [&](auto fn) {
      with_pack_size<T>({x.data, t.data, w.data, grad_x.data, grad_t.data}, [&]<int V>() {
        loss_backward<V><<<blocks_for((n + V - 1) / V), kBlockThreads, 0, stream(x.device)>>>(
            n, typed<T>(grad_x), typed<T>(grad_t), c, typed<T>(x), typed<T>(t), typed<T>(w), fn);
      });
      ZENGEN_CUDA_CHECK(cudaGetLastError());
    });
  });
}

void gaussian_kl(const TensorRef& out, const TensorRef& mu, const TensorRef& logvar, bool reduce, double scale) {
  const char* op = "gaussian_kl";
  check_input(op, mu);
  validate::like(op, "logvar", logvar, mu);
  ZENGEN_CHECK(mu.ndim >= 1, ShapeError, "cuda gaussian_kl: expected [..., D] inputs, got a 0-d tensor");
  const std::int64_t D = mu.sizes[mu.ndim - 1];
  std::int64_t rows = 1;  // the leading dims (rows of D == 0 terms sum to 0)
  for (int d = 0; d + 1 < mu.ndim; ++d) rows *= mu.sizes[d];
  validate::companion(op, "output", out, mu);
  ZENGEN_CHECK(out.numel() == (reduce ? 1 : rows), ShapeError, "cuda gaussian_kl: output of shape ", out.shape_str(),
               reduce ? " for a reduced result (expected one value)" : " for per-row results");
  dispatch_float(mu.dtype, op, [&]<typename T>() {
    if (reduce)  // one row of rows * D terms
      reduce_pairs(mu.device, rows * D, typed<T>(mu), typed<T>(logvar), static_cast<const T*>(nullptr), KLPair{},
                   static_cast<T*>(out.data), scale);
    else
      launch_reduce_rows(mu.device, rows, D, KLTerm<T>{typed<T>(mu), typed<T>(logvar), D}, static_cast<T*>(out.data),
                         1.0);
  });
}

void gaussian_kl_backward(const TensorRef& grad_mu, const TensorRef& grad_logvar, const TensorRef& grad_out,
                          double scale, const TensorRef& mu, const TensorRef& logvar) {
  const char* op = "gaussian_kl";
  check_input(op, mu);
  validate::like(op, "logvar", logvar, mu);
  if (grad_mu.data) validate::like(op, "grad_mu", grad_mu, mu);
  if (grad_logvar.data) validate::like(op, "grad_logvar", grad_logvar, mu);
  ZENGEN_CHECK(mu.ndim >= 1, ShapeError, "cuda gaussian_kl: expected [..., D] inputs, got a 0-d tensor");
  const std::int64_t n = mu.numel(), D = mu.sizes[mu.ndim - 1];
  check_grad(op, grad_out, mu, D == 0 ? 0 : n / D);  // (n == 0 returns below)
  if (n == 0 || (!grad_mu.data && !grad_logvar.data)) return;
  DeviceScope scope(mu.device);
  dispatch_float(mu.dtype, op, [&]<typename T>() {
    const Factor<T> c{typed<T>(grad_out), grad_out.numel() == 1, D, scale};
    with_pack_size<T>({mu.data, logvar.data, grad_mu.data, grad_logvar.data}, [&]<int V>() {
      kl_backward<V><<<blocks_for((n + V - 1) / V), kBlockThreads, 0, stream(mu.device)>>>(
          n, typed<T>(grad_mu), typed<T>(grad_logvar), c, typed<T>(mu), typed<T>(logvar));
    });
    ZENGEN_CUDA_CHECK(cudaGetLastError());
  });
}

void cross_entropy(const TensorRef& out, const TensorRef& lse, const TensorRef& logits, const TensorRef& target,
                   bool reduce, double scale) {
  const char* op = "cross_entropy";
  check_classes(op, logits, target);
  check_per_row(op, "lse", lse, logits);
  validate::same_kind(op, "output", out, logits);
  const std::int64_t N = logits.sizes[0], K = logits.sizes[1];
  if (reduce)
    ZENGEN_CHECK(out.numel() == 1, ShapeError, "cuda ", op, ": a reduced output holds one value, got shape ",
                 out.shape_str());
  else
    check_per_row(op, "output", out, logits);
  ZENGEN_CHECK(K > 0 || N == 0, ShapeError, "cuda ", op, ": logits ", logits.shape_str(), " have no classes");
  DeviceScope scope(logits.device);
  cudaStream_t st = stream(logits.device);
  dispatch_float(logits.dtype, op, [&]<typename T>() {
    if (N == 0) {
      if (reduce) launch_reduce_rows(logits.device, 1, 0, RowTerm<T>{nullptr}, static_cast<T*>(out.data), scale);
      return;
    }
    const std::size_t loss_bytes = static_cast<std::size_t>(N) * sizeof(T);
    T* losses = reduce ? static_cast<T*>(allocate(loss_bytes, logits.device)) : static_cast<T*>(out.data);
    cross_entropy_rows<T><<<static_cast<unsigned>(N), kBlockThreads, 0, st>>>(
        K, static_cast<const T*>(logits.data), static_cast<const std::int64_t*>(target.data),
        static_cast<T*>(lse.data), losses);
    ZENGEN_CUDA_CHECK(cudaGetLastError());
    if (reduce) {
      launch_reduce_rows(logits.device, 1, N, RowTerm<T>{losses}, static_cast<T*>(out.data), scale);
      deallocate(losses, loss_bytes, logits.device);  // reused only by later work on this stream
    }
  });
}

void cross_entropy_backward(const TensorRef& grad_logits, const TensorRef& grad_out, double scale,
                            const TensorRef& logits, const TensorRef& target, const TensorRef& lse) {
  const char* op = "cross_entropy";
  check_classes(op, logits, target);
  check_per_row(op, "lse", lse, logits);
  validate::like(op, "grad_logits", grad_logits, logits);
  const std::int64_t N = logits.sizes[0], K = logits.sizes[1], total = N * K;
  check_grad(op, grad_out, logits, N);
  if (total == 0) return;
  DeviceScope scope(logits.device);
  dispatch_float(logits.dtype, op, [&]<typename T>() {
    const Factor<T> c{typed<T>(grad_out), grad_out.numel() == 1, K, scale};
    cross_entropy_grad<T><<<blocks_for(total), kBlockThreads, 0, stream(logits.device)>>>(
        total, K, static_cast<T*>(grad_logits.data), c, static_cast<const T*>(logits.data),
        static_cast<const std::int64_t*>(target.data), static_cast<const T*>(lse.data));
    ZENGEN_CUDA_CHECK(cudaGetLastError());
  });
}

}  // namespace zengen::cuda
