// BatchNorm2d in training mode (batch statistics, running statistics
// updated, affine) on the activations of DCGAN's networks, forward and
// backward, in GB/s of the bytes each direction must touch, beside a plain
// copy of the same tensor (the bandwidth bar at that size: the small shapes
// fit in the caches, so each shape gets its own copy).
//
//   forward   reads x, writes y                  2 x 4 bytes per element
//   backward  reads grad and x, writes dx        3 x 4 bytes per element
//             (dweight, dbias: C values each, not counted)
//
// Each direction runs two ways: the nn::BatchNorm2d module as a training step
// runs it (the op composes mean, var and element-wise ops, with the graph
// recorded), and a fused plain loop written here (two passes per channel,
// OpenMP over channels): what a fused kernel would reach. PyTorch's figure for
// the same shapes comes from benchmarks/compare_pytorch.py.
//
// Then BatchNorm2d + LeakyReLU fused against the two modules in turn.
//
// Shapes (Args n, c, hw): the BatchNorm inputs of DCGAN-64 (ngf = ndf = 64)
// and DCGAN-32 (ngf = ndf = 32) at batch 64, and one layer at batch 1 and 256.
//
//   OMP_NUM_THREADS=2 ./build/benchmarks/bench_batch_norm
#include <cmath>
#include <vector>

#include "bench_common.hpp"

namespace zg = zengen;
using zengen::bench::kFloatBytes;

namespace {

constexpr double kEps = 1e-5;

struct Activation {
  std::int64_t n, c, hw;
  explicit Activation(const benchmark::State& state) : n(state.range(0)), c(state.range(1)), hw(state.range(2)) {}
  zg::Shape shape() const { return {n, c, hw, hw}; }
  double elements() const { return static_cast<double>(n * c * hw * hw); }
};

void BM_copy_activation(benchmark::State& state) {
  const Activation a(state);
  zg::manual_seed(4);
  const zg::Tensor src = zg::randn(a.shape()), dst = zg::zeros(a.shape());
  const float* s = src.data<float>();
  float* d = dst.data<float>();
  const auto count = static_cast<std::int64_t>(a.elements());
  for (auto _ : state) {
#pragma omp parallel for simd schedule(static)
    for (std::int64_t i = 0; i < count; ++i) d[i] = s[i];
    benchmark::ClobberMemory();
  }
  zengen::bench::set_bandwidth(state, 2 * kFloatBytes * a.elements());
}

void BM_batch_norm_forward(benchmark::State& state) {
  const Activation a(state);
  zg::manual_seed(4);
  zg::nn::BatchNorm2d bn(a.c);
  const zg::Tensor x = zg::randn(a.shape()).requires_grad_();
  for (auto _ : state) benchmark::DoNotOptimize(bn.forward(x));
  zengen::bench::set_bandwidth(state, 2 * kFloatBytes * a.elements());
}

void BM_batch_norm_backward(benchmark::State& state) {
  const Activation a(state);
  zg::manual_seed(4);
  zg::nn::BatchNorm2d bn(a.c);
  const zg::Tensor x = zg::randn(a.shape()).requires_grad_();
  const zg::Tensor grad = zg::randn(a.shape());
  const zg::Tensor y = bn.forward(x);
  for (auto _ : state)
    benchmark::DoNotOptimize(zg::autograd::grad({y}, {x, bn.weight, bn.bias}, {grad}, /*retain_graph=*/true));
  zengen::bench::set_bandwidth(state, 3 * kFloatBytes * a.elements());
}

// ---- BatchNorm2d + LeakyReLU(0.2), as DCGAN's discriminator runs them ----
//
// Fused (forward_activated: what nn::Sequential runs for the pair) against
// the two modules one after the other, both charged BatchNorm's bytes alone,
// so the GB/s ratio is what the fusion saves.

void BM_batch_norm_leaky_relu_forward_fused(benchmark::State& state) {
  const Activation a(state);
  zg::manual_seed(4);
  zg::nn::BatchNorm2d bn(a.c);
  const zg::Tensor x = zg::randn(a.shape()).requires_grad_();
  for (auto _ : state) benchmark::DoNotOptimize(bn.forward_activated(x, 0.2));
  zengen::bench::set_bandwidth(state, 2 * kFloatBytes * a.elements());
}

void BM_batch_norm_leaky_relu_forward_two_ops(benchmark::State& state) {
  const Activation a(state);
  zg::manual_seed(4);
  zg::nn::BatchNorm2d bn(a.c);
  const zg::nn::LeakyReLU act(0.2);
  const zg::Tensor x = zg::randn(a.shape()).requires_grad_();
  for (auto _ : state) benchmark::DoNotOptimize(act.forward(bn.forward(x)));
  zengen::bench::set_bandwidth(state, 2 * kFloatBytes * a.elements());
}

void BM_batch_norm_leaky_relu_backward_fused(benchmark::State& state) {
  const Activation a(state);
  zg::manual_seed(4);
  zg::nn::BatchNorm2d bn(a.c);
  const zg::Tensor x = zg::randn(a.shape()).requires_grad_(), grad = zg::randn(a.shape());
  const zg::Tensor y = bn.forward_activated(x, 0.2);
  for (auto _ : state)
    benchmark::DoNotOptimize(zg::autograd::grad({y}, {x, bn.weight, bn.bias}, {grad}, /*retain_graph=*/true));
  zengen::bench::set_bandwidth(state, 3 * kFloatBytes * a.elements());
}

void BM_batch_norm_leaky_relu_backward_two_ops(benchmark::State& state) {
  const Activation a(state);
  zg::manual_seed(4);
  zg::nn::BatchNorm2d bn(a.c);
  const zg::Tensor x = zg::randn(a.shape()).requires_grad_(), grad = zg::randn(a.shape());
  const zg::Tensor y = zg::leaky_relu(bn.forward(x), 0.2);
  for (auto _ : state)
    benchmark::DoNotOptimize(zg::autograd::grad({y}, {x, bn.weight, bn.bias}, {grad}, /*retain_graph=*/true));
  zengen::bench::set_bandwidth(state, 3 * kFloatBytes * a.elements());
}

// ---- the fused plain loops ----

struct LoopOperands {
  std::int64_t n, c, plane;
  zg::Tensor x, grad, out, weight, bias;
  std::vector<float> mean, invstd;
  explicit LoopOperands(const Activation& a)
      : n(a.n), c(a.c), plane(a.hw * a.hw), mean(a.c), invstd(a.c) {
    zg::manual_seed(4);
    x = zg::randn(a.shape());
    grad = zg::randn(a.shape());
    out = zg::zeros(a.shape());
    weight = zg::ones({a.c});
    bias = zg::zeros({a.c});
  }
  const float* channel(const zg::Tensor& t, std::int64_t i, std::int64_t ch) const {
    return t.data<float>() + (i * c + ch) * plane;
  }
  float* channel_out(std::int64_t i, std::int64_t ch) const { return out.data<float>() + (i * c + ch) * plane; }
};

// Per channel: mean and biased variance in one pass (double sums), then
// y = (x - mean) * invstd * weight + bias.
void batch_norm_forward_loop(LoopOperands& o) {
  const float* w = o.weight.data<float>();
  const float* b = o.bias.data<float>();
  const double count = static_cast<double>(o.n * o.plane);
#pragma omp parallel for schedule(static)
  for (std::int64_t ch = 0; ch < o.c; ++ch) {
    double sum = 0, sum_sq = 0;
    for (std::int64_t i = 0; i < o.n; ++i) {
      const float* x = o.channel(o.x, i, ch);
      for (std::int64_t k = 0; k < o.plane; ++k) {
        sum += x[k];
        sum_sq += static_cast<double>(x[k]) * x[k];
      }
    }
    const double mean = sum / count;
    const double var = std::max(sum_sq / count - mean * mean, 0.0);
    o.mean[ch] = static_cast<float>(mean);
    o.invstd[ch] = static_cast<float>(1.0 / std::sqrt(var + kEps));
    const float scale = o.invstd[ch] * w[ch], shift = b[ch] - o.mean[ch] * scale;
    for (std::int64_t i = 0; i < o.n; ++i) {
      const float* x = o.channel(o.x, i, ch);
      float* y = o.channel_out(i, ch);
#pragma omp simd
      for (std::int64_t k = 0; k < o.plane; ++k) y[k] = x[k] * scale + shift;
    }
  }
}

// Per channel: sum(g) and sum(g * xhat), then
// dx = weight * invstd * (g - sum(g) / m - xhat * sum(g * xhat) / m).
void batch_norm_backward_loop(LoopOperands& o) {
  const float* w = o.weight.data<float>();
  const double count = static_cast<double>(o.n * o.plane);
#pragma omp parallel for schedule(static)
  for (std::int64_t ch = 0; ch < o.c; ++ch) {
    const float mean = o.mean[ch], invstd = o.invstd[ch];
    double sum_g = 0, sum_g_xhat = 0;
    for (std::int64_t i = 0; i < o.n; ++i) {
      const float* x = o.channel(o.x, i, ch);
      const float* g = o.channel(o.grad, i, ch);
      for (std::int64_t k = 0; k < o.plane; ++k) {
        sum_g += g[k];
        sum_g_xhat += static_cast<double>(g[k]) * (x[k] - mean) * invstd;
      }
    }
    const auto mean_g = static_cast<float>(sum_g / count), mean_g_xhat = static_cast<float>(sum_g_xhat / count);
    const float scale = w[ch] * invstd;
    for (std::int64_t i = 0; i < o.n; ++i) {
      const float* x = o.channel(o.x, i, ch);
      const float* g = o.channel(o.grad, i, ch);
      float* dx = o.channel_out(i, ch);
#pragma omp simd
      for (std::int64_t k = 0; k < o.plane; ++k)
        dx[k] = scale * (g[k] - mean_g - (x[k] - mean) * invstd * mean_g_xhat);
    }
  }
}

void BM_batch_norm_forward_loop(benchmark::State& state) {
  const Activation a(state);
  LoopOperands o(a);
  for (auto _ : state) {
    batch_norm_forward_loop(o);
    benchmark::ClobberMemory();
  }
  zengen::bench::set_bandwidth(state, 2 * kFloatBytes * a.elements());
}

void BM_batch_norm_backward_loop(benchmark::State& state) {
  const Activation a(state);
  LoopOperands o(a);
  batch_norm_forward_loop(o);  // the statistics the backward reads
  for (auto _ : state) {
    batch_norm_backward_loop(o);
    benchmark::ClobberMemory();
  }
  zengen::bench::set_bandwidth(state, 3 * kFloatBytes * a.elements());
}

// n, c, hw: DCGAN-64 at batch 64 (G's 512@4 ... 64@32; D's 128@16 ... 512@4),
// DCGAN-32 at batch 64 (128@4, 64@8, 32@16), then batch 1 and 256 at 128@16.
void shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "c", "hw"});
  for (auto [c, hw] : {std::pair{512, 4}, {256, 8}, {128, 16}, {64, 32}}) b->Args({64, c, hw});
  for (auto [c, hw] : {std::pair{128, 4}, {64, 8}, {32, 16}}) b->Args({64, c, hw});
  b->Args({1, 128, 16});
  b->Args({256, 128, 16});
  b->UseRealTime()->Unit(benchmark::kMicrosecond);
}

// DCGAN-64's discriminator at batch 64 (128@16, 256@8, 512@4) and one larger map.
void fused_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "c", "hw"});
  for (auto [c, hw] : {std::pair{64, 32}, {128, 16}, {256, 8}, {512, 4}}) b->Args({64, c, hw});
  b->UseRealTime()->Unit(benchmark::kMicrosecond);
}

}  // namespace

BENCHMARK(BM_copy_activation)->Apply(shapes);
BENCHMARK(BM_batch_norm_forward)->Apply(shapes);
BENCHMARK(BM_batch_norm_forward_loop)->Apply(shapes);
BENCHMARK(BM_batch_norm_backward)->Apply(shapes);
BENCHMARK(BM_batch_norm_backward_loop)->Apply(shapes);
BENCHMARK(BM_batch_norm_leaky_relu_forward_fused)->Apply(fused_shapes);
BENCHMARK(BM_batch_norm_leaky_relu_forward_two_ops)->Apply(fused_shapes);
BENCHMARK(BM_batch_norm_leaky_relu_backward_fused)->Apply(fused_shapes);
BENCHMARK(BM_batch_norm_leaky_relu_backward_two_ops)->Apply(fused_shapes);

BENCHMARK_MAIN();
