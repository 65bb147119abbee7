// Factories: new tensors filled with constants, ranges, given values or
// random numbers from the global seeded generator (see core/generator.hpp).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "zengen/core/tensor.hpp"

namespace zengen {

Tensor empty(const Shape& shape, TensorOptions options = {});
Tensor zeros(const Shape& shape, TensorOptions options = {});
Tensor ones(const Shape& shape, TensorOptions options = {});
Tensor full(const Shape& shape, double value, TensorOptions options = {});
/// A 0-d tensor holding one value.
Tensor scalar_tensor(double value, TensorOptions options = {});
/// Like x: same shape, dtype and device (requires_grad false).
Tensor empty_like(const Tensor& x);
Tensor zeros_like(const Tensor& x);
Tensor ones_like(const Tensor& x);
Tensor full_like(const Tensor& x, double value);

/// [start, end) in steps of `step`: numel = ceil((end - start) / step).
Tensor arange(double start, double end, double step = 1.0, TensorOptions options = {});
Tensor arange(double end, TensorOptions options = {});
/// `steps` evenly spaced values from start to end inclusive.
Tensor linspace(double start, double end, std::int64_t steps, TensorOptions options = {});

/// A tensor of the given shape holding `values` in row-major order (their
/// count must equal the shape's numel). The dtype defaults from T.
template <typename T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, TensorOptions options);
template <typename T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape) {
  return from_vector(values, shape, TensorOptions{.dtype = dtype_of<T>});
}
/// 1-d tensor from a list: tensor({1.0, 2.0}), or with a shape:
/// tensor({1, 2, 3, 4}, {2, 2}). Float32 unless options say otherwise.
Tensor tensor(std::initializer_list<double> values, TensorOptions options = {});
Tensor tensor(std::initializer_list<double> values, const Shape& shape, TensorOptions options = {});

/// Standard normal samples.
Tensor randn(const Shape& shape, TensorOptions options = {});
/// Uniform samples in [0, 1).
Tensor rand(const Shape& shape, TensorOptions options = {});
/// Uniform integers in [low, high); int64 unless options say otherwise.
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape,
               TensorOptions options = {.dtype = DType::Int64});
/// 1 with probability p (elementwise, p a tensor of probabilities), else 0;
/// the result has p's dtype.
Tensor bernoulli(const Tensor& p);
/// 1 with probability p, else 0, in the given shape.
Tensor bernoulli(const Shape& shape, double p, TensorOptions options = {});
Tensor randn_like(const Tensor& x);
Tensor rand_like(const Tensor& x);

}  // namespace zengen
