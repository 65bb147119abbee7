// No memory growth across training steps (issue 6): an MLP VAE (784-400-20,
// batch 128, Adam) runs 100 steps, then 900 more, and memory after 1,000
// steps must equal memory after 100; then a small DCGAN the same way (100
// steps, then 400: bytes in use and peak RSS) (each step also appends a row to a
// log kept in memory, as trainers do):
//
//   - the caching allocator's bytes in use, its peak and its cached bytes are
//     the same (exactly: the same tensors live between steps, and a steady
//     step reuses the same cached blocks);
//   - no block of a cached size (>= 16 KiB) is taken from the system after
//     step 100 (cache_misses unchanged): the cache serves every large buffer;
//   - the process's peak resident set (VmHWM in /proc/self/status) grows by
//     at most 1% or 2 MiB, whichever is larger (malloc's small-block arenas
//     may settle a little);
//   - and, as a check that the comparison can fail, a run that keeps every
//     step's loss tensor alive (with its graph) does grow past that bound.
//
// Not timed. Exit 0: pass, 1: fail (message on stderr), 77: skipped (no
// /proc/self/status on this system).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "zengen/zengen.hpp"

namespace zg = zengen;
namespace models = zengen::models;

namespace {

/// A field of /proc/self/status in KiB ("VmHWM:  123456 kB"), or -1.
long status_kib(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  return -1;
}

struct Snapshot {
  zg::AllocatorStats allocator;
  long peak_rss_kib;
};

Snapshot snapshot() { return {zg::cpu_allocator::stats(), status_kib("VmHWM")}; }

long rss_tolerance_kib(long peak_kib) { return std::max(2048L, peak_kib / 100); }

int failures = 0;

void expect(bool ok, const std::string& what) {
  std::fprintf(stderr, "%s %s\n", ok ? "ok:  " : "FAIL:", what.c_str());
  if (!ok) ++failures;
}

std::string kib(long v) { return std::to_string(v) + " KiB"; }
std::string bytes(std::size_t v) { return std::to_string(v) + " B"; }

/// An MLP VAE step loop; keep_losses holds every loss (and so its graph's
/// saved tensors) to show that the measurement sees real growth.
class Run {
 public:
  Run()
      : vae_(models::mlp_vae({.input = {1, 28, 28}, .hidden = 400, .latent = 20}), models::BernoulliLikelihood{},
             models::VAEOptions{.optimizer = {.lr = 1e-3}}),
        x_(zg::rand({128, 1, 28, 28})) {}
  // Each step also keeps a small row of figures, as a trainer's loss log
  // does: a long-lived allocation between the step's buffers (with malloc
  // serving blocks below 1 MiB, this pattern fragmented its heap and a
  // DCGAN trainer grew by 0.8 MB a step).
  void steps(int n) {
    for (int i = 0; i < n; ++i) {
      const auto stats = vae_.train_step(x_);
      log_.push_back({stats.loss, stats.reconstruction, stats.kl});
    }
  }
  void leaky_steps(int n, std::vector<zg::Tensor>& kept) {
    for (int i = 0; i < n; ++i) kept.push_back(vae_.loss(x_));
  }

 private:
  models::VAE<models::MLPEncoder, models::MLPDecoder> vae_;
  zg::Tensor x_;
  std::vector<std::vector<double>> log_;
};

/// The same for a small DCGAN (convolutions, BatchNorm, two optimizers,
/// EMA), the trainer dcgan_train's loop, log rows included.
class GanRun {
 public:
  GanRun()
      : gan_(models::dcgan_generator({.nz = 16, .ngf = 16, .size = 32, .channels = 1}),
             models::dcgan_discriminator({.ndf = 16, .size = 32, .channels = 1}), models::NonSaturatingLoss{},
             models::GANOptions{.ema_decay = 0.999, .ema_warmup = true}),
        real_(zg::rand({32, 1, 32, 32}) * 2.0 - 1.0) {}
  void steps(int n) {
    for (int i = 0; i < n; ++i) {
      const auto stats = gan_.train_step(real_);
      log_.push_back({stats.d_loss, stats.g_loss, stats.d_real, stats.d_fake});
    }
  }

 private:
  models::GAN<models::DCGANGenerator, models::DCGANDiscriminator, models::NonSaturatingLoss> gan_;
  zg::Tensor real_;
  std::vector<std::vector<double>> log_;
};

}  // namespace

int main() {
  if (status_kib("VmHWM") < 0) {
    std::puts("no VmHWM in /proc/self/status: skipping");
    return 77;
  }
  zg::manual_seed(11);
  Run run;
  run.steps(100);
  const Snapshot at100 = snapshot();
  run.steps(900);
  const Snapshot at1000 = snapshot();

  const auto& a = at100.allocator;
  const auto& b = at1000.allocator;
  expect(b.bytes_in_use == a.bytes_in_use,
         "bytes in use between steps: " + bytes(a.bytes_in_use) + " after 100 steps, " + bytes(b.bytes_in_use) +
             " after 1000");
  expect(b.peak_bytes_in_use == a.peak_bytes_in_use,
         "peak bytes in use: " + bytes(a.peak_bytes_in_use) + " after 100 steps, " + bytes(b.peak_bytes_in_use) +
             " after 1000");
  expect(b.bytes_cached == a.bytes_cached,
         "bytes cached: " + bytes(a.bytes_cached) + " after 100 steps, " + bytes(b.bytes_cached) + " after 1000");
  expect(b.cache_misses == a.cache_misses,
         "large blocks taken from the system in steps 101-1000: " + std::to_string(b.cache_misses - a.cache_misses));
  expect(b.cache_hits > a.cache_hits, "the steps do use the cache (" + std::to_string(b.cache_hits - a.cache_hits) +
                                          " hits in steps 101-1000)");
  const long tolerance = rss_tolerance_kib(at100.peak_rss_kib);
  expect(at1000.peak_rss_kib - at100.peak_rss_kib <= tolerance,
         "peak RSS (VmHWM): " + kib(at100.peak_rss_kib) + " after 100 steps, " + kib(at1000.peak_rss_kib) +
             " after 1000 (tolerance " + kib(tolerance) + ")");

  {
    GanRun gan;
    gan.steps(100);
    const Snapshot g100 = snapshot();
    gan.steps(900);
    const Snapshot g1000 = snapshot();
    expect(g1000.allocator.bytes_in_use == g100.allocator.bytes_in_use,
           "DCGAN: bytes in use between steps: " + bytes(g100.allocator.bytes_in_use) + " after 100 steps, " +
               bytes(g1000.allocator.bytes_in_use) + " after 1000");
    const long gan_tolerance = rss_tolerance_kib(g100.peak_rss_kib);
    expect(g1000.peak_rss_kib - g100.peak_rss_kib <= gan_tolerance,
           "DCGAN: peak RSS (VmHWM): " + kib(g100.peak_rss_kib) + " after 100 steps, " + kib(g1000.peak_rss_kib) +
               " after 1000 (tolerance " + kib(gan_tolerance) + ")");
  }

  // The same measurement on a loop that does leak (every loss kept with its
  // graph: ~0.9 MB of saved activations per step) must see the growth.
  {
    std::vector<zg::Tensor> kept;
    const long before = status_kib("VmHWM");
    run.leaky_steps(100, kept);
    const long after = status_kib("VmHWM");
    const long leak_tolerance = rss_tolerance_kib(before);
    expect(after - before > leak_tolerance, "a loop that keeps 100 graphs alive grows peak RSS by " +
                                                kib(after - before) + " (more than the tolerance " +
                                                kib(leak_tolerance) + ")");
  }

  if (failures) {
    std::fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  return 0;
}
