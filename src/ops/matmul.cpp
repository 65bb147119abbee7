#include "zengen/ops/matmul.hpp"

#include <algorithm>

#include "ops/common.hpp"
#include "ops/kernels.hpp"
#include "zengen/ops/reduction.hpp"
#include "zengen/ops/view.hpp"

namespace zengen {

using namespace ops_detail;
using autograd::record;

namespace {

// The batch dims of a and b (all but the last two) broadcast together; the
// error names the full operand shapes, which is what the caller knows.
Shape broadcast_batch(const Tensor& a, const Tensor& b) {
  const Shape ba(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  const std::size_t n = std::max(ba.size(), bb.size());
  Shape out(std::vector<std::int64_t>(n, 1));
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t da = i < ba.size() ? ba[ba.size() - 1 - i] : 1;
    const std::int64_t db = i < bb.size() ? bb[bb.size() - 1 - i] : 1;
    ZENGEN_CHECK(da == db || da == 1 || db == 1, ShapeError, "matmul: batch dims of shapes ", a.shape(), " and ",
                 b.shape(), " cannot be broadcast together (", da, " vs ", db, ")");
    out[n - 1 - i] = da == 1 ? db : da;
  }
  return out;
}

// The gradient of a 2-d b shared by every batch of a (a linear layer on
// [..., k] inputs): all of a's rows against all of g's in one product,
// rather than a batch of products summed afterwards.
Tensor shared_weight_grad(const Tensor& a, const Tensor& g) {
  std::int64_t rows = 1;
  for (std::int64_t d = 0; d < a.dim() - 1; ++d) rows *= a.size(d);
  return matmul(transpose(reshape(a, {rows, a.size(-1)}), 0, 1), reshape(g, {rows, g.size(-1)}));
}

// Both operands at least 2-d.
Tensor matmul_2d(const Tensor& a, const Tensor& b) {
  Shape shape = broadcast_batch(a, b);
  shape.push_back(a.size(-2));
  shape.push_back(b.size(-1));
  Tensor out = empty_as(a, shape);
  kernels::matmul(out, a, b);
  // dA = dC @ B^T and dB = A^T @ dC, summed over the batch dims the operand
  // was broadcast along. Written with matmul itself, so it differentiates again.
  return record("matmul", out, {&a, &b}, [a, b](const Tensor& g) {
    Tensor ga, gb;
    if (a.requires_grad()) ga = sum_to(matmul(g, transpose(b, -1, -2)), a.shape());
    if (b.requires_grad()) gb = b.dim() == 2 && a.dim() > 2 ? shared_weight_grad(a, g)
                                                           : sum_to(matmul(transpose(a, -1, -2), g), b.shape());
    return Grads{ga, gb};
  });
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_same(a, b, "matmul");
  ZENGEN_CHECK(a.dim() >= 1 && b.dim() >= 1, ShapeError, "matmul: both operands need at least 1 dim, got shapes ",
               a.shape(), " and ", b.shape());
  const std::int64_t ka = a.size(-1), kb = b.dim() == 1 ? b.size(0) : b.size(-2);
  ZENGEN_CHECK(ka == kb, ShapeError, "matmul: shapes ", a.shape(), " and ", b.shape(), " cannot be multiplied (",
               ka, " != ", kb, ")");
  // NumPy's 1-d rules: a vector on the left is a row, on the right a column,
  // and that dim is removed from the result. Done with views so autograd
  // carries the gradient back through them unchanged.
  if (a.dim() == 1) return squeeze(matmul(unsqueeze(a, 0), b), b.dim() == 1 ? -1 : -2);
  if (b.dim() == 1) return squeeze(matmul_2d(a, unsqueeze(b, 1)), -1);
  return matmul_2d(a, b);
}

}  // namespace zengen
