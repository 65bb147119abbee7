#include "zengen/ops/reduction.hpp"

#include <algorithm>

#include "ops/common.hpp"
#include "ops/kernels.hpp"
#include "zengen/ops/elementwise.hpp"
#include "zengen/ops/factory.hpp"
#include "zengen/ops/view.hpp"

namespace zengen {

using namespace ops_detail;
using autograd::record;

namespace {

// Which dims a reduction over `dims` touches (all of them when dims is empty
// is NOT implied: callers pass every dim explicitly for a full reduction).
std::vector<bool> reduce_mask(const Tensor& x, const std::vector<std::int64_t>& dims, const char* op) {
  std::vector<bool> mask(static_cast<std::size_t>(x.dim()), false);
  for (auto d : dims) {
    const auto w = static_cast<std::size_t>(wrap_dim(d, x.dim(), op));
    if (x.dim() == 0) continue;  // dim 0 / -1 of a scalar: nothing to reduce
    ZENGEN_CHECK(!mask[w], ValueError, op, ": dim ", d, " appears more than once");
    mask[w] = true;
  }
  return mask;
}

Shape reduced_shape(const Tensor& x, const std::vector<bool>& mask, bool keepdim) {
  Shape s;
  for (std::int64_t d = 0; d < x.dim(); ++d) {
    if (!mask[d])
      s.push_back(x.shape()[d]);
    else if (keepdim)
      s.push_back(1);
  }
  return s;
}

std::vector<std::int64_t> all_dims(const Tensor& x) {
  std::vector<std::int64_t> dims;
  for (std::int64_t d = 0; d < x.dim(); ++d) dims.push_back(d);
  return dims;
}

std::int64_t reduced_count(const Tensor& x, const std::vector<bool>& mask) {
  std::int64_t n = 1;
  for (std::int64_t d = 0; d < x.dim(); ++d)
    if (mask[d]) n *= x.shape()[d];
  return n;
}

// g of a reduced shape, broadcast back over x's shape.
Tensor expand_back(const Tensor& g, const Tensor& x, const std::vector<bool>& mask) {
  return expand(reshape(g, reduced_shape(x, mask, true)), x.shape());
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  check_floating(x, "sum");
  const auto mask = reduce_mask(x, dims, "sum");
  Tensor out = empty_as(x, reduced_shape(x, mask, keepdim));
  kernels::sum(out, x, mask);
  return record("sum", out, {&x}, [x, mask](const Tensor& g) { return Grads{expand_back(g, x, mask)}; });
}

Tensor sum(const Tensor& x) {
  check_defined(x, "sum");
  return sum(x, all_dims(x), false);
}

Tensor mean(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  check_floating(x, "mean");
  const auto n = reduced_count(x, reduce_mask(x, dims, "mean"));
  ZENGEN_CHECK(n > 0, ValueError, "mean: reducing over zero elements (shape ", x.shape(), ")");
  return mul(sum(x, dims, keepdim), 1.0 / static_cast<double>(n));
}

Tensor mean(const Tensor& x) {
  check_defined(x, "mean");
  return mean(x, all_dims(x), false);
}

Tensor var(const Tensor& x, const std::vector<std::int64_t>& dims, bool unbiased, bool keepdim) {
  check_floating(x, "var");
  const auto n = reduced_count(x, reduce_mask(x, dims, "var"));
  const std::int64_t divisor = n - (unbiased ? 1 : 0);
  ZENGEN_CHECK(divisor > 0, ValueError, "var: ", n, " element(s) per reduction in shape ", x.shape(),
               unbiased ? " (the unbiased estimate needs at least 2)" : "");
  // Two passes (mean, then squared deviations): stable, and autograd derives
  // the gradient 2 (x - mean) / divisor from the pieces.
  const Tensor deviation = sub(x, mean(x, dims, /*keepdim=*/true));
  return mul(sum(mul(deviation, deviation), dims, keepdim), 1.0 / static_cast<double>(divisor));
}

Tensor var_all(const Tensor& x, bool unbiased) {
  check_defined(x, "var");
  return var(x, all_dims(x), unbiased, false);
}

namespace {
// Gradient of max along a dim: all of it to the element whose index max
// returns (the first of tied ones), as PyTorch's dim form does.
Tensor max_backward(const Tensor& g, const Tensor& x, const Tensor& indices_keepdim, std::int64_t dim) {
  if (x.dim() == 0) return g;
  std::vector<std::int64_t> along(static_cast<std::size_t>(x.dim()), 1);
  along[static_cast<std::size_t>(dim)] = x.shape()[dim];
  const Tensor positions =
      reshape(arange(static_cast<double>(x.shape()[dim]), {.dtype = DType::Int64, .device = x.device()}), Shape(along));
  return mul(eq(positions, indices_keepdim).to(x.dtype()), g);
}
}  // namespace

Tensor max(const Tensor& x) {
  check_floating(x, "max");
  ZENGEN_CHECK(x.numel() > 0, ValueError, "max: empty tensor of shape ", x.shape());
  const Tensor flat = reshape(x.detach(), {x.numel()});
  Tensor values = empty_as(x, Shape{});
  Tensor indices = Tensor::empty(Shape{}, {.dtype = DType::Int64, .device = x.device()});
  kernels::max(values, indices, flat, 0);
  return record("max", values, {&x}, [x, v = values.detach()](const Tensor& g) {
    const Tensor mask = eq(x, v).to(x.dtype());
    return Grads{mul(div(mask, sum(mask)), g)};
  });
}

MaxResult max(const Tensor& x, std::int64_t dim, bool keepdim) {
  check_floating(x, "max");
  const std::int64_t d = wrap_dim(dim, x.dim(), "max");
  ZENGEN_CHECK(x.dim() == 0 || x.shape()[d] > 0, ValueError, "max: dim ", dim, " of shape ", x.shape(), " is empty");
  std::vector<bool> mask(static_cast<std::size_t>(x.dim()), false);
  if (x.dim() > 0) mask[d] = true;
  Tensor values = empty_as(x, reduced_shape(x, mask, keepdim));
  Tensor indices = Tensor::empty(values.shape(), {.dtype = DType::Int64, .device = x.device()});
  kernels::max(values, indices, x, d);
  values = record("max", values, {&x}, [x, mask, indices, d](const Tensor& g) {
    const Tensor i_keep = reshape(indices, reduced_shape(x, mask, true));
    return Grads{max_backward(expand_back(g, x, mask), x, i_keep, d)};
  });
  return {values, indices};
}

Tensor argmax(const Tensor& x) {
  check_floating(x, "argmax");
  ZENGEN_CHECK(x.numel() > 0, ValueError, "argmax: empty tensor of shape ", x.shape());
  NoGradGuard no_grad;
  return max(reshape(x, {x.numel()}), 0, false).indices;
}

Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim) {
  NoGradGuard no_grad;
  return max(x, dim, keepdim).indices;
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  check_defined(x, "sum_to");
  if (x.shape() == shape) return x;
  ZENGEN_CHECK(shape.ndim() <= x.dim(), ShapeError, "sum_to: cannot sum shape ", x.shape(), " to ", shape);
  const std::int64_t lead = x.dim() - shape.ndim();
  std::vector<std::int64_t> dims;
  for (std::int64_t d = 0; d < x.dim(); ++d) {
    if (d < lead) {
      dims.push_back(d);
      continue;
    }
    const std::int64_t target = shape[d - lead];
    ZENGEN_CHECK(target == x.shape()[d] || target == 1, ShapeError, "sum_to: cannot sum shape ", x.shape(), " to ",
                 shape, " (dim ", d, ": ", x.shape()[d], " vs ", target, ")");
    if (target == 1 && x.shape()[d] != 1) dims.push_back(d);
  }
  return reshape(sum(x, dims, /*keepdim=*/true), shape);
}

}  // namespace zengen
