// The random number generator: Philox4x32-10, counter-based. A value is a
// pure function of (seed, offset, element index), so the CPU and GPU give the
// same numbers for the same seed, and generation parallelises freely.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

#include "zengen/core/host_device.hpp"

namespace zengen {

/// Philox4x32 with 10 rounds (Salmon et al., SC'11): 4 random 32-bit words
/// from a 128-bit counter and a 64-bit key.
ZENGEN_HOST_DEVICE void philox4x32_10(std::uint32_t counter[4], std::uint32_t key0, std::uint32_t key1,
                                      std::uint32_t out[4]) {
  constexpr std::uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr std::uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  std::uint32_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = static_cast<std::uint64_t>(kMul0) * c0;
    const std::uint64_t p1 = static_cast<std::uint64_t>(kMul1) * c2;
    const std::uint32_t hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
    const std::uint32_t hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
    c0 = hi1 ^ c1 ^ key0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ key1;
    c3 = lo0;
    key0 += kWeyl0;
    key1 += kWeyl1;
  }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

/// The state of a generator: the seed (the key) and how many 128-bit blocks
/// have been used (the counter's start for the next call). Saving and
/// restoring it reproduces a run exactly.
struct GeneratorState {
  std::uint64_t seed = 0;
  std::uint64_t offset = 0;
  bool operator==(const GeneratorState&) const = default;
};

/// A Philox4x32-10 counter-based random generator: a seed and a counter; the same seed gives the same numbers on the CPU and the GPU.
class Generator {
 public:
  explicit Generator(std::uint64_t seed = 0) : state_{seed, 0} {}
  void manual_seed(std::uint64_t seed) { state_ = {seed, 0}; }
  GeneratorState state() const { return state_; }
  void set_state(GeneratorState s) { state_ = s; }
  /// Reserves `blocks` counter blocks and returns the first one's index.
  std::uint64_t advance(std::uint64_t blocks) {
    const std::uint64_t start = state_.offset;
    state_.offset += blocks;
    return start;
  }

 private:
  GeneratorState state_;
};

/// The process-wide generator every random factory uses.
Generator& default_generator();
/// Seeds the default generator (and so every later random factory).
void manual_seed(std::uint64_t seed);

/// The 4 words of block `block` for `seed`: the building block of every
/// sampler (counter = block as 2x32 bits, 0, 0; key = seed).
ZENGEN_HOST_DEVICE void philox_block(std::uint64_t seed, std::uint64_t block, std::uint32_t out[4]) {
  std::uint32_t counter[4] = {static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32), 0u, 0u};
  philox4x32_10(counter, static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32), out);
}

/// Uniform float in [0, 1) from 24 random bits; double from 53.
ZENGEN_HOST_DEVICE float uniform_float(std::uint32_t u) { return static_cast<float>(u >> 8) * 0x1.0p-24f; }
ZENGEN_HOST_DEVICE double uniform_double(std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t bits = (static_cast<std::uint64_t>(hi) << 21) ^ (static_cast<std::uint64_t>(lo) >> 11);
  return static_cast<double>(bits & ((1ull << 53) - 1)) * 0x1.0p-53;
}

/// Element i of a uniform [0, 1) sample whose call starts at counter block
/// `block`: float32 takes one 32-bit word per element (4 per block), float64
/// two (2 per block). The CPU and CUDA samplers both call this, so they give
/// the same numbers for the same seed.
template <typename T>
ZENGEN_HOST_DEVICE T philox_uniform(std::uint64_t seed, std::uint64_t block, std::int64_t i) {
  std::uint32_t w[4];
  if constexpr (sizeof(T) == 4) {
    philox_block(seed, block + static_cast<std::uint64_t>(i / 4), w);
    return uniform_float(w[i % 4]);
  } else {
    philox_block(seed, block + static_cast<std::uint64_t>(i / 2), w);
    const int lane = static_cast<int>(i % 2) * 2;
    return uniform_double(w[lane], w[lane + 1]);
  }
}

/// Element i of a uniform integer sample in [low, low + span): two 32-bit
/// words (64 bits) per element, so 2 elements per block whatever the dtype,
/// reduced modulo span (the bias is below span / 2^64).
inline constexpr int kRandintPerBlock = 2;
ZENGEN_HOST_DEVICE std::int64_t philox_randint(std::uint64_t seed, std::uint64_t block, std::int64_t i,
                                               std::int64_t low, std::uint64_t span) {
  std::uint32_t w[4];
  philox_block(seed, block + static_cast<std::uint64_t>(i / kRandintPerBlock), w);
  const int lane = static_cast<int>(i % kRandintPerBlock) * 2;
  const std::uint64_t bits = (static_cast<std::uint64_t>(w[lane]) << 32) | w[lane + 1];
  return low + static_cast<std::int64_t>(bits % span);
}

/// Element i of a standard normal sample (Box-Muller on pairs): float32
/// element i takes words (2j, 2j+1) of its block with j = (i % 4) / 2 and
/// the cosine (even i) or sine (odd i) branch; float64 element i takes all
/// four words of block i / 2. log/sqrt/sin/cos differ between libm and
/// CUDA by a few ulp, so the CUDA normals match the CPU's to that, not bit
/// for bit (the uniforms do match bit for bit).
template <typename T>
ZENGEN_HOST_DEVICE T philox_normal(std::uint64_t seed, std::uint64_t block, std::int64_t i) {
  std::uint32_t w[4];
  T u1, u2;
  if constexpr (sizeof(T) == 4) {
    philox_block(seed, block + static_cast<std::uint64_t>(i / 4), w);
    const int pair = static_cast<int>(i % 4) / 2 * 2;
    u1 = uniform_float(w[pair]);
    u2 = uniform_float(w[pair + 1]);
  } else {
    philox_block(seed, block + static_cast<std::uint64_t>(i / 2), w);
    u1 = uniform_double(w[0], w[1]);
    u2 = uniform_double(w[2], w[3]);
  }
  // 1 - u1 lies in (0, 1], so the log is finite.
  const T radius = std::sqrt(T(-2) * std::log(T(1) - u1));
  const T angle = T(2) * static_cast<T>(3.141592653589793238462643383279502884) * u2;
  return (i % 2 == 0) ? radius * std::cos(angle) : radius * std::sin(angle);
}

}  // namespace zengen
