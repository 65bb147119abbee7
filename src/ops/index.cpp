#include "zengen/ops/index.hpp"

#include "ops/common.hpp"
#include "ops/kernels.hpp"
#include "zengen/ops/elementwise.hpp"
#include "zengen/ops/view.hpp"

namespace zengen {

using namespace ops_detail;
using autograd::record;

namespace {

// Index values (read on the host, wherever the index lives), checked against
// the size of the indexed dim.
std::vector<std::int64_t> checked_indices(const Tensor& index, std::int64_t size, const char* op) {
  check_defined(index, op);
  ZENGEN_CHECK(index.dtype() == DType::Int64, DTypeError, op, ": index must be int64, got ", index.dtype());
  ZENGEN_CHECK(index.dim() == 1, ShapeError, op, ": index must be 1-d, got shape ", index.shape());
  auto values = index.to_vector<std::int64_t>();
  for (std::size_t i = 0; i < values.size(); ++i)
    ZENGEN_CHECK(values[i] >= -size && values[i] < size, ValueError, op, ": index ", values[i], " at position ",
                 i, " is out of range for a dim of size ", size);
  for (auto& v : values)
    if (v < 0) v += size;
  return values;
}

}  // namespace

Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index) {
  check_defined(x, "index_select");
  ZENGEN_CHECK(x.dim() > 0, ShapeError, "index_select: cannot index a 0-d tensor");
  const std::int64_t d = wrap_dim(dim, x.dim(), "index_select");
  const auto idx = checked_indices(index, x.shape()[d], "index_select");
  Shape shape = x.shape();
  shape[d] = static_cast<std::int64_t>(idx.size());
  Tensor out = empty_as(x, shape);
  kernels::index_select(out, dense(x), d, idx);
  return record("index_select", out, {&x}, [d, index, in_shape = x.shape(), x_dtype = x.dtype(),
                                            x_device = x.device()](const Tensor& g) {
    const Tensor zero = Tensor::empty(in_shape, {.dtype = x_dtype, .device = x_device}).zero_();
    return Grads{index_add(zero, d, index, g)};
  });
}

Tensor index_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& source) {
  check_same(x, source, "index_add");
  const std::int64_t d = wrap_dim(dim, x.dim(), "index_add");
  const auto idx = checked_indices(index, x.shape()[d], "index_add");
  Shape expected = x.shape();
  expected[d] = static_cast<std::int64_t>(idx.size());
  ZENGEN_CHECK(source.shape() == expected, ShapeError, "index_add: source has shape ", source.shape(), ", expected ",
               expected, " for x ", x.shape(), " and ", idx.size(), " indices along dim ", dim);
  Tensor out = x.detach().clone();  // contiguous
  kernels::index_add_(out, d, idx, dense(source.detach()));
  return record("index_add", out, {&x, &source}, [d, index](const Tensor& g) {
    return Grads{g, index_select(g, d, index)};
  });
}

}  // namespace zengen
