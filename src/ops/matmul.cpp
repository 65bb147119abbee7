#include "zengen/ops/matmul.hpp"

#include <algorithm>

#include "cpu/matmul.hpp"
#include "ops/common.hpp"
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

// Both operands at least 2-d.
Tensor matmul_2d(const Tensor& a, const Tensor& b) {
  Shape shape = broadcast_batch(a, b);
  shape.push_back(a.size(-2));
  shape.push_back(b.size(-1));
  Tensor out = empty_as(a, shape);
  cpu::matmul(out, a, b);
  // dA = dC @ B^T and dB = A^T @ dC, summed over the batch dims the operand
  // was broadcast along. Written with matmul itself, so it differentiates again.
  return record("matmul", out, {&a, &b}, [a, b](const Tensor& g) {
    return Grads{a.requires_grad() ? sum_to(matmul(g, transpose(b, -1, -2)), a.shape()) : Tensor(),
                 b.requires_grad() ? sum_to(matmul(transpose(a, -1, -2), g), b.shape()) : Tensor()};
  });
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_pair(a, b, "matmul");
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
