// End-to-end training steps, built from the library's own builders and
// model templates, exactly as a user's training loop runs them:
//
//   dcgan64   GAN<DCGANGenerator, DCGANDiscriminator> at 64x64x3, ngf = ndf = 64,
//             batch 64, non-saturating loss, Adam(2e-4, beta1 0.5) each: one
//             train_step = D on real + fake, then G through D
//   dcgan32   the same at 32x32x3 with ngf = ndf = 32
//   mlp_vae   VAE<MLPEncoder, MLPDecoder> 784-400-20, batch 128, Bernoulli
//             likelihood, Adam(1e-3)
//   conv_vae  VAE<ConvEncoder, ConvDecoder> on 1x28x28 (base 32, latent 16),
//             batch 128, Bernoulli, Adam(1e-3)
//
// The input batches are random (images in [-1, 1] for the GANs, grey values
// in [0, 1] for the VAEs): data loading is not part of the step. Each step is
// timed on its own (manual time); the counters give the median step time
// (median_ms) and its inverse (steps/s), which is what the issue compares
// with PyTorch (benchmarks/compare_pytorch.py runs the same steps), and per
// step: tensor buffers allocated (buffers/step), those that went to the
// system (sys_allocs/step: small ones always do), blocks of a cached size
// the caching allocator could not serve (cache_misses/step: 0 in a steady
// state), and C++ heap allocations (heap_allocs/step: graph nodes, shape
// vectors, ...); and the tensor memory live between steps (live_MiB:
// parameters, gradients, optimizer state, the batch).
//
//   OMP_NUM_THREADS=2 ./build/benchmarks/bench_train_step [--steps=N] [benchmark flags]
//
// --steps=N times N steps of every model (default: 10 for dcgan64, 40 for
// dcgan32 and conv_vae, 200 for mlp_vae), after 2 untimed warm-up steps.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <string>
#include <vector>

#include "bench_common.hpp"

namespace zg = zengen;
namespace models = zengen::models;

// ---- counting C++ heap allocations (this program only) ----

namespace {
std::atomic<std::size_t> heap_allocations{0};

void* counted_allocate(std::size_t bytes) {
  heap_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(bytes == 0 ? 1 : bytes)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t bytes) { return counted_allocate(bytes); }
void* operator new[](std::size_t bytes) { return counted_allocate(bytes); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

constexpr int kWarmupSteps = 2;

/// Times `steps` calls of `step` one by one and sets the counters described
/// at the top of this file.
void time_steps(benchmark::State& state, const std::function<void()>& step) {
  for (int i = 0; i < kWarmupSteps; ++i) step();
  std::vector<double> seconds;
  seconds.reserve(static_cast<std::size_t>(state.max_iterations));  // no allocation of ours inside the count
  const zg::AllocatorStats before = zg::cpu_allocator::stats();
  const std::size_t heap_before = heap_allocations.load();
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    step();
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    state.SetIterationTime(took.count());
    seconds.push_back(took.count());
  }
  const zg::AllocatorStats after = zg::cpu_allocator::stats();
  const double steps = static_cast<double>(seconds.size());
  std::nth_element(seconds.begin(), seconds.begin() + static_cast<std::ptrdiff_t>(seconds.size() / 2), seconds.end());
  const double median = seconds[seconds.size() / 2];
  auto per_step = [&](std::size_t a, std::size_t b) { return static_cast<double>(b - a) / steps; };
  state.counters["median_ms"] = median * 1e3;
  state.counters["steps/s"] = 1.0 / median;
  state.counters["buffers/step"] =
      per_step(before.system_allocations + before.cache_hits, after.system_allocations + after.cache_hits);
  state.counters["sys_allocs/step"] = per_step(before.system_allocations, after.system_allocations);
  state.counters["cache_misses/step"] = per_step(before.cache_misses, after.cache_misses);
  state.counters["heap_allocs/step"] = per_step(heap_before, heap_allocations.load());
  state.counters["live_MiB"] = static_cast<double>(after.bytes_in_use) / (1 << 20);
  state.counters["threads"] = omp_get_max_threads();
}

void dcgan_step(benchmark::State& state, std::int64_t size, std::int64_t width) {
  zg::manual_seed(5);
  auto gan = models::GAN(models::dcgan_generator({.nz = 100, .ngf = width, .size = size, .channels = 3}),
                         models::dcgan_discriminator({.ndf = width, .size = size, .channels = 3}),
                         models::NonSaturatingLoss{}, models::GANOptions{});
  const zg::Tensor real = zg::rand({64, 3, size, size}) * 2.0 - 1.0;
  time_steps(state, [&] { benchmark::DoNotOptimize(gan.train_step(real)); });
}

void mlp_vae_step(benchmark::State& state) {
  zg::manual_seed(6);
  models::VAE vae(models::mlp_vae({.input = {1, 28, 28}, .hidden = 400, .latent = 20}),
                  models::BernoulliLikelihood{}, models::VAEOptions{.optimizer = {.lr = 1e-3}});
  const zg::Tensor x = zg::rand({128, 1, 28, 28});
  time_steps(state, [&] { benchmark::DoNotOptimize(vae.train_step(x)); });
}

void conv_vae_step(benchmark::State& state) {
  zg::manual_seed(7);
  models::VAE vae(models::conv_vae({.channels = 1, .size = 28, .latent = 16, .base = 32}),
                  models::BernoulliLikelihood{}, models::VAEOptions{.optimizer = {.lr = 1e-3}});
  const zg::Tensor x = zg::rand({128, 1, 28, 28});
  time_steps(state, [&] { benchmark::DoNotOptimize(vae.train_step(x)); });
}

/// Removes --steps=N from argv (Google Benchmark rejects flags it does not
/// know) and returns N, or 0 when absent.
int take_steps_flag(int& argc, char** argv) {
  int steps = 0;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--steps=", 8) == 0) {
      steps = std::atoi(argv[i] + 8);
      if (steps < 1) {
        std::fprintf(stderr, "bench_train_step: --steps must be a positive integer, got '%s'\n", argv[i] + 8);
        std::exit(2);
      }
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  argv[argc] = nullptr;
  return steps;
}

}  // namespace

int main(int argc, char** argv) {
  const int steps = take_steps_flag(argc, argv);
  auto iterations = [&](int fallback) { return steps > 0 ? steps : fallback; };
  auto add = [](const char* name, auto fn, int n) {
    benchmark::RegisterBenchmark(name, fn)->Iterations(n)->UseManualTime()->Unit(benchmark::kMillisecond);
  };
  add("train_step/dcgan64", [](benchmark::State& s) { dcgan_step(s, 64, 64); }, iterations(10));
  add("train_step/dcgan32", [](benchmark::State& s) { dcgan_step(s, 32, 32); }, iterations(40));
  add("train_step/mlp_vae", mlp_vae_step, iterations(200));
  add("train_step/conv_vae", conv_vae_step, iterations(40));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
