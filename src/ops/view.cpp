#include "zengen/ops/view.hpp"

#include <algorithm>
#include <numeric>

#include "ops/common.hpp"
#include "ops/kernels.hpp"
#include "zengen/ops/factory.hpp"
#include "zengen/ops/reduction.hpp"

namespace zengen {

using namespace ops_detail;
using autograd::record;

namespace {

// A tensor sharing x's storage with new geometry (not recorded).
Tensor make_view(const Tensor& x, Shape shape, Shape strides, std::int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = x.storage();
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->offset = offset;
  impl->dtype = x.dtype();
  return Tensor(std::move(impl));
}

// Resolves one -1 and checks the element count.
Shape infer_shape(const Tensor& x, const Shape& shape, const char* op) {
  Shape out = shape;
  std::int64_t known = 1, infer_at = -1;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      ZENGEN_CHECK(infer_at < 0, ShapeError, op, ": only one dim can be -1 in ", shape);
      infer_at = static_cast<std::int64_t>(i);
    } else {
      ZENGEN_CHECK(out[i] >= 0, ShapeError, op, ": invalid size ", out[i], " in ", shape);
      known *= out[i];
    }
  }
  if (infer_at >= 0) {
    ZENGEN_CHECK(known > 0 && x.numel() % known == 0, ShapeError, op, ": shape ", shape,
                 " is invalid for a tensor of shape ", x.shape(), " (", x.numel(), " elements)");
    out[static_cast<std::size_t>(infer_at)] = x.numel() / known;
  }
  ZENGEN_CHECK(out.numel() == x.numel(), ShapeError, op, ": shape ", shape, " is invalid for a tensor of shape ",
               x.shape(), " (", x.numel(), " elements)");
  return out;
}

// Strides that let x be viewed with `shape`, if any: each run of old dims
// that is contiguous in memory can be split into new dims freely.
bool view_strides(const Tensor& x, const Shape& shape, Shape& strides) {
  strides = Shape(std::vector<std::int64_t>(shape.size(), 0));
  if (x.numel() == 0 || shape.empty() || x.dim() == 0) {
    strides = contiguous_strides(shape);
    return true;
  }
  const Shape& old_shape = x.shape();
  const Shape& old_strides = x.strides();
  std::int64_t view_d = shape.ndim() - 1;
  std::int64_t chunk_base_stride = old_strides.empty() ? 1 : old_strides.back();
  std::int64_t tensor_numel = 1, view_numel = 1;
  for (std::int64_t d = old_shape.ndim() - 1; d >= 0; --d) {
    tensor_numel *= old_shape[d];
    // At the start of a contiguous chunk of old dims: lay new dims over it.
    if (d == 0 || (old_shape[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        strides[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return false;
      if (d > 0) {
        chunk_base_stride = old_strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1;
}

Tensor view_unchecked(const Tensor& x, const Shape& shape, const Shape& strides, const char* op) {
  Tensor out = make_view(x, shape, strides, x.offset());
  return record(op, out, {&x}, [in_shape = x.shape()](const Tensor& g) { return Grads{reshape(g, in_shape)}; });
}

// The end of a slice of n elements from start by step (start itself when
// n is 0: an empty slice selects nothing, wherever it starts).
std::int64_t slice_end(std::int64_t start, std::int64_t n, std::int64_t step) {
  return n > 0 ? start + (n - 1) * step + 1 : start;
}

// Places g (the gradient of a slice) into zeros of the full shape. An op of
// its own so the backward of a slice stays differentiable. An empty slice
// has a zero gradient.
Tensor embed_slice(const Tensor& g, const Shape& full_shape, std::int64_t dim, std::int64_t start, std::int64_t step) {
  Tensor out = zeros(full_shape, {.dtype = g.dtype(), .device = g.device()});
  const std::int64_t n = g.shape()[dim];
  if (n > 0) slice(out.detach(), dim, start, slice_end(start, n, step), step).copy_(g);
  return record("embed_slice", out, {&g}, [dim, start, step, n](const Tensor& gg) {
    return Grads{slice(gg, dim, start, slice_end(start, n, step), step)};
  });
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape) {
  check_defined(x, "reshape");
  const Shape target = infer_shape(x, shape, "reshape");
  Shape strides;
  if (view_strides(x, target, strides)) return view_unchecked(x, target, strides, "reshape");
  return view_unchecked(contiguous(x), target, contiguous_strides(target), "reshape");
}

Tensor view(const Tensor& x, const Shape& shape) {
  check_defined(x, "view");
  const Shape target = infer_shape(x, shape, "view");
  Shape strides;
  ZENGEN_CHECK(view_strides(x, target, strides), ShapeError, "view: a tensor of shape ", x.shape(),
               " and strides ", x.strides(), " cannot be viewed as ", shape,
               " without copying; use reshape (which copies when needed)");
  return view_unchecked(x, target, strides, "view");
}

Tensor flatten(const Tensor& x, std::int64_t start_dim, std::int64_t end_dim) {
  check_defined(x, "flatten");
  if (x.dim() == 0) return reshape(x, {1});
  const std::int64_t s = wrap_dim(start_dim, x.dim(), "flatten"), e = wrap_dim(end_dim, x.dim(), "flatten");
  ZENGEN_CHECK(s <= e, ValueError, "flatten: start_dim ", start_dim, " comes after end_dim ", end_dim);
  Shape shape;
  for (std::int64_t d = 0; d < s; ++d) shape.push_back(x.shape()[d]);
  std::int64_t merged = 1;
  for (std::int64_t d = s; d <= e; ++d) merged *= x.shape()[d];
  shape.push_back(merged);
  for (std::int64_t d = e + 1; d < x.dim(); ++d) shape.push_back(x.shape()[d]);
  return reshape(x, shape);
}

Tensor permute(const Tensor& x, const std::vector<std::int64_t>& dims) {
  check_defined(x, "permute");
  ZENGEN_CHECK(static_cast<std::int64_t>(dims.size()) == x.dim(), ShapeError, "permute: got ", dims.size(),
               " dims for a tensor of shape ", x.shape());
  std::vector<std::int64_t> order, inverse(dims.size());
  std::vector<bool> seen(dims.size(), false);
  Shape shape, strides;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    const auto d = wrap_dim(dims[i], x.dim(), "permute");
    ZENGEN_CHECK(!seen[d], ValueError, "permute: dim ", dims[i], " repeated in the order");
    seen[d] = true;
    inverse[d] = static_cast<std::int64_t>(i);
    shape.push_back(x.shape()[d]);
    strides.push_back(x.strides()[d]);
  }
  Tensor out = make_view(x, shape, strides, x.offset());
  return record("permute", out, {&x}, [inverse](const Tensor& g) { return Grads{permute(g, inverse)}; });
}

Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1) {
  check_defined(x, "transpose");
  std::vector<std::int64_t> order(static_cast<std::size_t>(x.dim()));
  std::iota(order.begin(), order.end(), 0);
  if (x.dim() == 0) return permute(x, {});
  std::swap(order[wrap_dim(dim0, x.dim(), "transpose")], order[wrap_dim(dim1, x.dim(), "transpose")]);
  return permute(x, order);
}

Tensor unsqueeze(const Tensor& x, std::int64_t dim) {
  check_defined(x, "unsqueeze");
  const std::int64_t d = wrap_dim(dim, x.dim() + 1, "unsqueeze");
  Shape shape = x.shape(), strides = x.strides();
  const std::int64_t stride = d < x.dim() ? x.shape()[d] * x.strides()[d] : 1;
  shape.insert(static_cast<std::size_t>(d), 1);
  strides.insert(static_cast<std::size_t>(d), stride);
  return view_unchecked(x, shape, strides, "unsqueeze");
}

Tensor squeeze(const Tensor& x, std::optional<std::int64_t> dim) {
  check_defined(x, "squeeze");
  Shape shape, strides;
  const std::int64_t only = dim ? wrap_dim(*dim, x.dim(), "squeeze") : -1;
  for (std::int64_t d = 0; d < x.dim(); ++d) {
    const bool drop = x.shape()[d] == 1 && (!dim || d == only);
    if (drop) continue;
    shape.push_back(x.shape()[d]);
    strides.push_back(x.strides()[d]);
  }
  return view_unchecked(x, shape, strides, "squeeze");
}

Tensor expand(const Tensor& x, const Shape& shape) {
  check_defined(x, "expand");
  ZENGEN_CHECK(shape.ndim() >= x.dim(), ShapeError, "expand: cannot expand shape ", x.shape(), " to ", shape,
               " (fewer dims)");
  const std::int64_t lead = shape.ndim() - x.dim();
  Shape out_shape = shape, strides(std::vector<std::int64_t>(shape.size(), 0));
  for (std::int64_t d = 0; d < shape.ndim(); ++d) {
    if (d < lead) {
      ZENGEN_CHECK(shape[d] >= 0, ShapeError, "expand: invalid size ", shape[d], " for a new dim in ", shape);
      continue;
    }
    const std::int64_t have = x.shape()[d - lead];
    if (shape[d] == -1 || shape[d] == have) {
      out_shape[d] = have;
      strides[d] = x.strides()[d - lead];
    } else {
      ZENGEN_CHECK(have == 1, ShapeError, "expand: cannot expand shape ", x.shape(), " to ", shape, " (dim ", d,
                   ": size ", have, " is not 1)");
      strides[d] = 0;
    }
  }
  if (out_shape == x.shape()) return x;
  Tensor out = make_view(x, out_shape, strides, x.offset());
  return record("expand", out, {&x}, [in_shape = x.shape()](const Tensor& g) { return Grads{sum_to(g, in_shape)}; });
}

Tensor expand_as(const Tensor& x, const Tensor& other) { return expand(x, other.shape()); }

Tensor slice(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step) {
  check_defined(x, "slice");
  ZENGEN_CHECK(x.dim() > 0, ShapeError, "slice: cannot slice a 0-d tensor");
  ZENGEN_CHECK(step > 0, ValueError, "slice: step must be positive, got ", step);
  const std::int64_t d = wrap_dim(dim, x.dim(), "slice");
  const std::int64_t n = x.shape()[d];
  auto clamp_index = [n](std::int64_t i) { return std::clamp<std::int64_t>(i < 0 ? i + n : i, 0, n); };
  const std::int64_t s = clamp_index(start), e = std::max(clamp_index(end), s);
  const std::int64_t length = (e - s + step - 1) / step;
  Shape shape = x.shape(), strides = x.strides();
  shape[d] = length;
  strides[d] = x.strides()[d] * step;
  Tensor out = make_view(x, shape, strides, x.offset() + s * x.strides()[d]);
  return record("slice", out, {&x}, [full = x.shape(), d, s, step](const Tensor& g) {
    return Grads{embed_slice(g, full, d, s, step)};
  });
}

Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length) {
  check_defined(x, "narrow");
  ZENGEN_CHECK(x.dim() > 0, ShapeError, "narrow: cannot narrow a 0-d tensor");
  const std::int64_t d = wrap_dim(dim, x.dim(), "narrow");
  const std::int64_t n = x.shape()[d];
  const std::int64_t s = start < 0 ? start + n : start;
  ZENGEN_CHECK(s >= 0 && length >= 0 && s + length <= n, ValueError, "narrow: start ", start, " and length ",
               length, " exceed dim ", dim, " of size ", n, " (shape ", x.shape(), ")");
  return slice(x, d, s, s + length, 1);
}

Tensor select(const Tensor& x, std::int64_t dim, std::int64_t index) {
  check_defined(x, "select");
  ZENGEN_CHECK(x.dim() > 0, ShapeError, "select: cannot select from a 0-d tensor");
  const std::int64_t d = wrap_dim(dim, x.dim(), "select");
  const std::int64_t n = x.shape()[d];
  ZENGEN_CHECK(index >= -n && index < n, ValueError, "select: index ", index, " is out of range for dim ", dim,
               " of size ", n, " (shape ", x.shape(), ")");
  const std::int64_t i = index < 0 ? index + n : index;
  return squeeze(narrow(x, d, i, 1), d);
}

Tensor cat(const std::vector<Tensor>& xs, std::int64_t dim) {
  ZENGEN_CHECK(!xs.empty(), ValueError, "cat: needs at least one tensor");
  const Tensor& first = xs[0];
  check_defined(first, "cat");
  ZENGEN_CHECK(first.dim() > 0, ShapeError, "cat: cannot concatenate 0-d tensors (use stack)");
  const std::int64_t d = wrap_dim(dim, first.dim(), "cat");
  Shape shape = first.shape();
  shape[d] = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const Tensor& x = xs[i];
    check_defined(x, "cat");
    ZENGEN_CHECK(x.dtype() == first.dtype(), DTypeError, "cat: tensor ", i, " has dtype ", x.dtype(),
                 ", tensor 0 has ", first.dtype());
    ZENGEN_CHECK(x.device() == first.device(), DeviceError, "cat: tensor ", i, " is on ", x.device(),
                 ", tensor 0 on ", first.device());
    bool fits = x.dim() == first.dim();
    for (std::int64_t k = 0; fits && k < x.dim(); ++k) fits = k == d || x.shape()[k] == first.shape()[k];
    ZENGEN_CHECK(fits, ShapeError, "cat: tensor ", i, " has shape ", x.shape(), ", which does not match tensor 0's ",
                 first.shape(), " outside dim ", dim);
    shape[d] += x.shape()[d];
  }
  Tensor out = empty_as(first, shape);
  std::vector<std::int64_t> sizes;
  std::int64_t at = 0;
  for (const Tensor& x : xs) {
    Shape window_strides = out.strides();
    Shape window_shape = out.shape();
    window_shape[d] = x.shape()[d];
    kernels::copy(make_view(out, window_shape, window_strides, at * out.strides()[d]), x);
    sizes.push_back(x.shape()[d]);
    at += x.shape()[d];
  }
  return record("cat", out, xs, [d, sizes](const Tensor& g) {
    Grads grads;
    std::int64_t offset = 0;
    for (auto n : sizes) {
      grads.push_back(narrow(g, d, offset, n));
      offset += n;
    }
    return grads;
  });
}

Tensor stack(const std::vector<Tensor>& xs, std::int64_t dim) {
  ZENGEN_CHECK(!xs.empty(), ValueError, "stack: needs at least one tensor");
  check_defined(xs[0], "stack");
  const std::int64_t d = wrap_dim(dim, xs[0].dim() + 1, "stack");
  std::vector<Tensor> expanded;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    check_defined(xs[i], "stack");
    ZENGEN_CHECK(xs[i].shape() == xs[0].shape(), ShapeError, "stack: tensor ", i, " has shape ", xs[i].shape(),
                 ", tensor 0 has ", xs[0].shape(), " (all must be equal)");
    expanded.push_back(unsqueeze(xs[i], d));
  }
  return cat(expanded, d);
}

Tensor contiguous(const Tensor& x) {
  check_defined(x, "contiguous");
  if (x.is_contiguous()) return x;
  Tensor out = Tensor::empty(x.shape(), {.dtype = x.dtype(), .device = x.device()});
  out.copy_(x);
  return record("contiguous", out, {&x}, [](const Tensor& g) { return Grads{g}; });
}

}  // namespace zengen
