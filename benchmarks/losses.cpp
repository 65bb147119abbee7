// Loss forward (mean reduction) and backward on 16M float32 elements, in
// GB/s of operand bytes read + written, beside plain copies of 16M float32
// (BM_copy_memcpy, BM_copy_openmp).
// Forward reads input and target (2 x 4 bytes per element; gaussian_kl: mu
// and logvar; cross_entropy: the [16384, 1024] logits, the int64 targets
// are negligible). Backward reads the same and writes the input's gradient
// (3 x 4; gaussian_kl writes both gradients: 4 x 4; cross_entropy reads the
// logits and writes their gradient: 2 x 4). The backward is timed alone
// (autograd::grad on a retained graph).
//
//   ./build/benchmarks/bench_losses --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include "bench_common.hpp"

namespace zg = zengen;
using zengen::bench::kElements;
using zengen::bench::kFloatBytes;

namespace {

enum class Kind { MSE, L1, BCE, BCEWithLogits, GaussianKL, CrossEntropy };

constexpr std::int64_t kClasses = 1024;

struct Inputs {
  zg::Tensor a, b;      // input/target, mu/logvar, or logits (a) alone
  zg::Tensor labels;    // cross_entropy
};

Inputs make_inputs(Kind kind) {
  zg::manual_seed(2);
  Inputs in;
  switch (kind) {
    case Kind::BCE:
      in.a = zg::rand({kElements}) * 0.98 + 0.01;
      in.b = zg::rand({kElements});
      break;
    case Kind::GaussianKL:
      in.a = zg::randn({kElements / kClasses, kClasses});
      in.b = zg::randn({kElements / kClasses, kClasses});
      break;
    case Kind::CrossEntropy:
      in.a = zg::randn({kElements / kClasses, kClasses});
      in.labels = zg::randint(0, kClasses, {kElements / kClasses});
      break;
    default:
      in.a = zg::randn({kElements});
      in.b = zg::randn({kElements});
  }
  in.a = in.a.detach().requires_grad_();
  if (kind == Kind::GaussianKL) in.b = in.b.detach().requires_grad_();
  return in;
}

zg::Tensor loss(Kind kind, const Inputs& in) {
  switch (kind) {
    case Kind::MSE: return zg::mse_loss(in.a, in.b);
    case Kind::L1: return zg::l1_loss(in.a, in.b);
    case Kind::BCE: return zg::binary_cross_entropy(in.a, in.b);
    case Kind::BCEWithLogits: return zg::binary_cross_entropy_with_logits(in.a, in.b);
    case Kind::GaussianKL: return zg::gaussian_kl(in.a, in.b);
    case Kind::CrossEntropy: return zg::cross_entropy(in.a, in.labels);
  }
  return {};
}

double forward_streams(Kind kind) { return kind == Kind::CrossEntropy ? 1 : 2; }
double backward_streams(Kind kind) {
  return kind == Kind::CrossEntropy ? 2 : (kind == Kind::GaussianKL ? 4 : 3);
}

void BM_forward(benchmark::State& state, Kind kind) {
  const Inputs in = make_inputs(kind);
  zg::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(loss(kind, in));
  zengen::bench::set_bandwidth(state, forward_streams(kind) * kFloatBytes * kElements);
}

void BM_backward(benchmark::State& state, Kind kind) {
  const Inputs in = make_inputs(kind);
  const zg::Tensor out = loss(kind, in);
  std::vector<zg::Tensor> wrt = {in.a};
  if (kind == Kind::GaussianKL) wrt.push_back(in.b);
  for (auto _ : state) benchmark::DoNotOptimize(zg::autograd::grad({out}, wrt, {}, /*retain_graph=*/true));
  zengen::bench::set_bandwidth(state, backward_streams(kind) * kFloatBytes * kElements);
}

}  // namespace

BENCHMARK(zengen::bench::BM_copy_memcpy)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(zengen::bench::BM_copy_openmp)->UseRealTime()->Unit(benchmark::kMillisecond);
#define ZENGEN_LOSS_BENCH(name, kind)                                                                   \
  BENCHMARK_CAPTURE(BM_forward, name, kind)->UseRealTime()->Unit(benchmark::kMillisecond);  \
  BENCHMARK_CAPTURE(BM_backward, name, kind)->UseRealTime()->Unit(benchmark::kMillisecond);
ZENGEN_LOSS_BENCH(mse_loss, Kind::MSE)
ZENGEN_LOSS_BENCH(l1_loss, Kind::L1)
ZENGEN_LOSS_BENCH(binary_cross_entropy, Kind::BCE)
ZENGEN_LOSS_BENCH(binary_cross_entropy_with_logits, Kind::BCEWithLogits)
ZENGEN_LOSS_BENCH(gaussian_kl, Kind::GaussianKL)
ZENGEN_LOSS_BENCH(cross_entropy, Kind::CrossEntropy)

BENCHMARK_MAIN();
