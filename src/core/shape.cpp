#include "zengen/core/shape.hpp"

#include <algorithm>

#include "zengen/core/error.hpp"

namespace zengen {

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const std::size_t n = std::max(a.size(), b.size());
  Shape out(std::vector<std::int64_t>(n, 1));
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    const std::int64_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    ZENGEN_CHECK(da == db || da == 1 || db == 1, ShapeError, op, ": shapes ", a, " and ", b,
                 " cannot be broadcast together (", da, " vs ", db, " in dim -", i + 1, ")");
    out[n - 1 - i] = da == 1 ? db : da;
  }
  return out;
}

std::int64_t wrap_dim(std::int64_t dim, std::int64_t ndim, const char* op) {
  const std::int64_t lo = ndim == 0 ? -1 : -ndim, hi = ndim == 0 ? 0 : ndim - 1;
  ZENGEN_CHECK(dim >= lo && dim <= hi, ValueError, op, ": dim ", dim, " is out of range for a tensor of ",
               ndim, " dims (expected ", lo, " to ", hi, ")");
  return dim < 0 ? dim + std::max<std::int64_t>(ndim, 1) : dim;
}

}  // namespace zengen
