// Reductions over all elements or over given dims (negative dims count from
// the end); keepdim keeps reduced dims with size 1.
#pragma once

#include <concepts>
#include <cstdint>
#include <vector>

#include "zengen/core/tensor.hpp"

namespace zengen {

Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim = false);
/// Mean; over zero elements a ValueError (PyTorch gives NaN), by rule.
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim = false);
/// Variance over dims; unbiased divides by n - 1 (Bessel), else by n. A
/// divisor of 0 (unbiased with one element per reduction, or none) is a
/// ValueError (PyTorch gives NaN), by rule.
Tensor var(const Tensor& x, const std::vector<std::int64_t>& dims, bool unbiased = true,
           bool keepdim = false);
/// Variance of all elements. (The flag overload is a template so that
/// var(x, {1}) picks the dims overload rather than turning {1} into a bool.)
Tensor var_all(const Tensor& x, bool unbiased);
inline Tensor var(const Tensor& x) { return var_all(x, true); }
template <std::same_as<bool> Bool>
Tensor var(const Tensor& x, Bool unbiased) {
  return var_all(x, unbiased);
}
/// Largest element (a 0-d tensor); the gradient is shared among ties.
Tensor max(const Tensor& x);
/// Largest along dim and where it is (the first, on ties); the gradient
/// goes to that element alone, as in PyTorch's dim form.
struct MaxResult {
  Tensor values;   // differentiable
  Tensor indices;  // int64
};
MaxResult max(const Tensor& x, std::int64_t dim, bool keepdim = false);
Tensor argmax(const Tensor& x);  // flat index, int64 0-d
Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim = false);
/// Sums a broadcast result back to `shape` (the gradient of broadcasting).
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace zengen
