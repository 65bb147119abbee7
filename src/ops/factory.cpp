#include "zengen/ops/factory.hpp"

#include <cmath>

#include "cpu/copy.hpp"
#include "cpu/random.hpp"
#include "ops/kernels.hpp"
#include "zengen/core/generator.hpp"
#include "zengen/ops/elementwise.hpp"
#include "zengen/ops/reduction.hpp"

namespace zengen {

Tensor empty(const Shape& shape, TensorOptions options) { return Tensor::empty(shape, options); }

Tensor full(const Shape& shape, double value, TensorOptions options) {
  const bool requires_grad = options.requires_grad;
  options.requires_grad = false;
  Tensor t = Tensor::empty(shape, options);
  kernels::fill(t, value);
  if (requires_grad) t.requires_grad_(true);
  return t;
}

Tensor zeros(const Shape& shape, TensorOptions options) { return full(shape, 0.0, options); }
Tensor ones(const Shape& shape, TensorOptions options) { return full(shape, 1.0, options); }
Tensor scalar_tensor(double value, TensorOptions options) { return full(Shape{}, value, options); }

Tensor empty_like(const Tensor& x) { return Tensor::empty(x.shape(), {.dtype = x.dtype(), .device = x.device()}); }
Tensor zeros_like(const Tensor& x) { return full(x.shape(), 0.0, {.dtype = x.dtype(), .device = x.device()}); }
Tensor ones_like(const Tensor& x) { return full(x.shape(), 1.0, {.dtype = x.dtype(), .device = x.device()}); }
Tensor full_like(const Tensor& x, double value) {
  return full(x.shape(), value, {.dtype = x.dtype(), .device = x.device()});
}

namespace {
// Builds a CPU tensor from computed values, then moves it where asked.
template <typename F>
Tensor generate(const Shape& shape, TensorOptions options, F value_at) {
  const bool requires_grad = options.requires_grad;
  Tensor t = Tensor::empty(shape, {.dtype = options.dtype});
  dispatch_all(options.dtype, [&]<typename T>() {
    T* p = t.data<T>();
    for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(value_at(i));
  });
  t = t.to(options.device);
  if (requires_grad) t.requires_grad_(true);
  return t;
}
}  // namespace

Tensor arange(double start, double end, double step, TensorOptions options) {
  ZENGEN_CHECK(step != 0, ValueError, "arange: step must be non-zero");
  ZENGEN_CHECK(std::isfinite(start) && std::isfinite(end), ValueError, "arange: start and end must be finite");
  const double count = std::ceil((end - start) / step);
  const auto n = static_cast<std::int64_t>(count > 0 ? count : 0);
  return generate(Shape{n}, options, [&](std::int64_t i) { return start + static_cast<double>(i) * step; });
}

Tensor arange(double end, TensorOptions options) { return arange(0.0, end, 1.0, options); }

Tensor linspace(double start, double end, std::int64_t steps, TensorOptions options) {
  ZENGEN_CHECK(steps >= 0, ValueError, "linspace: steps must be >= 0, got ", steps);
  const double delta = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  // The second half counts back from `end` so both ends are exact.
  return generate(Shape{steps}, options, [&](std::int64_t i) {
    return i < steps / 2 ? start + delta * static_cast<double>(i)
                         : end - delta * static_cast<double>(steps - 1 - i);
  });
}

template <typename T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, TensorOptions options) {
  ZENGEN_CHECK(static_cast<std::int64_t>(values.size()) == shape.numel(), ShapeError, "from_vector: ",
               values.size(), " values do not fill shape ", shape, " (", shape.numel(), " elements)");
  return generate(shape, options, [&](std::int64_t i) { return values[static_cast<std::size_t>(i)]; });
}
template Tensor from_vector<float>(const std::vector<float>&, const Shape&, TensorOptions);
template Tensor from_vector<double>(const std::vector<double>&, const Shape&, TensorOptions);
template Tensor from_vector<std::int64_t>(const std::vector<std::int64_t>&, const Shape&, TensorOptions);
template Tensor from_vector<int>(const std::vector<int>&, const Shape&, TensorOptions);

Tensor tensor(std::initializer_list<double> values, TensorOptions options) {
  return from_vector(std::vector<double>(values), Shape{static_cast<std::int64_t>(values.size())}, options);
}
Tensor tensor(std::initializer_list<double> values, const Shape& shape, TensorOptions options) {
  return from_vector(std::vector<double>(values), shape, options);
}

namespace {
// Samples on the target device: every sampler gives the same numbers on the
// CPU and CUDA (element i depends only on the seed, the call's first counter
// block and i). A call takes `blocks` counter blocks of the global generator.
template <typename Sampler>
Tensor sample(const Shape& shape, TensorOptions options, std::uint64_t blocks, Sampler sampler) {
  Tensor t = Tensor::empty(shape, {.dtype = options.dtype, .device = options.device});
  Generator& gen = default_generator();
  const std::uint64_t block = gen.advance(blocks);
  sampler(t, gen.state().seed, block);
  if (options.requires_grad) t.requires_grad_(true);
  return t;
}

// Uniform, normal and bernoulli samples use 4 elements per block in float32,
// 2 in float64.
std::uint64_t float_blocks(const Shape& shape, DType dtype) { return cpu::random_blocks(shape.numel(), dtype); }
}  // namespace

Tensor randn(const Shape& shape, TensorOptions options) {
  return sample(shape, options, float_blocks(shape, options.dtype),
                [](const Tensor& t, std::uint64_t seed, std::uint64_t block) {
                  kernels::fill_normal(t, seed, block, 0.0, 1.0);
                });
}

Tensor rand(const Shape& shape, TensorOptions options) {
  return sample(shape, options, float_blocks(shape, options.dtype),
                [](const Tensor& t, std::uint64_t seed, std::uint64_t block) {
                  kernels::fill_uniform(t, seed, block, 0.0, 1.0);
                });
}

Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, TensorOptions options) {
  ZENGEN_CHECK(low < high, ValueError, "randint: low (", low, ") must be less than high (", high, ")");
  return sample(shape, options, cpu::random_blocks(shape.numel(), kRandintPerBlock),
                [&](const Tensor& t, std::uint64_t seed, std::uint64_t block) {
                  kernels::fill_randint(t, seed, block, low, high);
                });
}

Tensor bernoulli(const Tensor& p) {
  ZENGEN_CHECK(is_floating(p.dtype()), DTypeError, "bernoulli: probabilities must be floating, got ", p.dtype());
  const Tensor probs = p.detach().contiguous();
  if (probs.numel() > 0) {
    // The largest of p and of -p (NaN wins in max, and fails both tests).
    const double high = max(probs).item(), neg_low = max(neg(probs)).item();
    ZENGEN_CHECK(-neg_low >= 0.0 && high <= 1.0, ValueError, "bernoulli: probabilities must lie in [0, 1], got "
                 "values in [", -neg_low, ", ", high, "]");
  }
  return sample(p.shape(), {.dtype = p.dtype(), .device = p.device()}, float_blocks(p.shape(), p.dtype()),
                [&](const Tensor& t, std::uint64_t seed, std::uint64_t block) {
                  kernels::fill_bernoulli(t, probs, seed, block);
                });
}

Tensor bernoulli(const Shape& shape, double p, TensorOptions options) {
  ZENGEN_CHECK(p >= 0.0 && p <= 1.0, ValueError, "bernoulli: p must lie in [0, 1], got ", p);
  ZENGEN_CHECK(is_floating(options.dtype), DTypeError, "bernoulli: the result must be floating, got ", options.dtype);
  return sample(shape, options, float_blocks(shape, options.dtype),
                [&](const Tensor& t, std::uint64_t seed, std::uint64_t block) {
                  kernels::fill_bernoulli(t, p, seed, block);
                });
}

Tensor randn_like(const Tensor& x) { return randn(x.shape(), {.dtype = x.dtype(), .device = x.device()}); }
Tensor rand_like(const Tensor& x) { return rand(x.shape(), {.dtype = x.dtype(), .device = x.device()}); }

}  // namespace zengen
