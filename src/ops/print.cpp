// Tensor printing in PyTorch's style:
//   tensor([[1.0000, 2.5000],
//           [3.0000, 4.0000]], dtype=float64, requires_grad=true)
// In the ops layer, not core: a CUDA tensor is first copied to the host
// (to(), a kernel), and grad_fn is shown by its node's name (autograd).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "zengen/autograd/node.hpp"
#include "zengen/core/tensor.hpp"

namespace zengen {
namespace {

constexpr std::int64_t kSummarizeAbove = 1000;  // elements
constexpr std::int64_t kEdgeItems = 3;

struct Format {
  bool integral = true;  // every value is a whole number
  bool scientific = false;
  bool boolean = false;
  bool integer_dtype = false;
};

Format choose_format(const std::vector<double>& values, DType dtype) {
  Format f;
  f.boolean = dtype == DType::Bool;
  f.integer_dtype = dtype == DType::Int64;
  double max_abs = 0, min_abs = INFINITY;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    if (v != std::floor(v)) f.integral = false;
    const double a = std::abs(v);
    max_abs = std::max(max_abs, a);
    if (a > 0) min_abs = std::min(min_abs, a);
  }
  f.scientific = max_abs >= 1e8 || (!f.integral && min_abs < 1e-4) || (max_abs / min_abs > 1e5 && !f.integral);
  return f;
}

std::string format_value(double v, const Format& f) {
  if (f.boolean) return v != 0 ? "true" : "false";
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  if (f.integer_dtype)
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  else if (f.scientific)
    std::snprintf(buf, sizeof buf, "%.4e", v);
  else if (f.integral)
    std::snprintf(buf, sizeof buf, "%.0f.", v);
  else
    std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

// The indices shown along a dim of size n.
std::vector<std::int64_t> shown(std::int64_t n, bool summarize) {
  std::vector<std::int64_t> idx;
  if (!summarize || n <= 2 * kEdgeItems) {
    for (std::int64_t i = 0; i < n; ++i) idx.push_back(i);
  } else {
    for (std::int64_t i = 0; i < kEdgeItems; ++i) idx.push_back(i);
    idx.push_back(-1);  // the ellipsis
    for (std::int64_t i = n - kEdgeItems; i < n; ++i) idx.push_back(i);
  }
  return idx;
}

void print_dim(std::ostringstream& os, const Tensor& t, std::int64_t dim, std::int64_t offset,
               const std::vector<std::string>& cells, std::size_t& cell, std::size_t width, bool summarize,
               int indent) {
  const std::int64_t n = t.shape()[dim];
  os << '[';
  const auto idx = shown(n, summarize);
  for (std::size_t k = 0; k < idx.size(); ++k) {
    if (k) {
      os << ',';
      if (dim == t.dim() - 1) {
        os << ' ';
      } else {
        os << std::string(static_cast<std::size_t>(t.dim() - dim - 1), '\n') << std::string(indent + dim + 1, ' ');
      }
    }
    if (idx[k] < 0) {
      os << "...";
      continue;
    }
    if (dim == t.dim() - 1) {
      const std::string& s = cells[cell++];
      os << std::string(width - s.size(), ' ') << s;
    } else {
      print_dim(os, t, dim + 1, offset + idx[k] * t.strides()[dim], cells, cell, width, summarize, indent);
    }
  }
  os << ']';
}

// Values in the order print_dim visits them.
void collect(const Tensor& t, std::int64_t dim, std::vector<std::int64_t>& index, bool summarize,
             std::vector<double>& out) {
  if (dim == t.dim()) {
    out.push_back(dispatch_all(t.dtype(), [&]<typename T>() {
      std::int64_t off = 0;
      for (std::int64_t d = 0; d < t.dim(); ++d) off += index[d] * t.strides()[d];
      return static_cast<double>(static_cast<const T*>(t.data_ptr())[off]);
    }));
    return;
  }
  for (std::int64_t i : shown(t.shape()[dim], summarize)) {
    if (i < 0) continue;
    index[dim] = i;
    collect(t, dim + 1, index, summarize, out);
  }
}

}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  const Tensor t = device().is_cpu() ? *this : to(Device::cpu());
  const bool summarize = t.numel() > kSummarizeAbove;
  std::vector<std::int64_t> index(static_cast<std::size_t>(t.dim()), 0);
  std::vector<double> values;
  collect(t, 0, index, summarize, values);
  const Format f = choose_format(values, t.dtype());
  std::vector<std::string> cells;
  std::size_t width = 0;
  for (double v : values) {
    cells.push_back(format_value(v, f));
    width = std::max(width, cells.back().size());
  }

  std::ostringstream os;
  os << "tensor(";
  if (t.dim() == 0) {
    os << cells[0];
  } else if (t.numel() == 0) {
    os << "[], size=" << t.shape();
  } else {
    std::size_t cell = 0;
    print_dim(os, t, 0, 0, cells, cell, width, summarize, 7);
  }
  if (dtype() != DType::Float32 && !(dtype() == DType::Int64 && t.numel() > 0)) os << ", dtype=" << dtype();
  if (!device().is_cpu()) os << ", device='" << device() << "'";
  if (grad_fn())
    os << ", grad_fn=<" << grad_fn()->name() << ">";
  else if (requires_grad())
    os << ", requires_grad=true";
  os << ')';
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.str(); }

}  // namespace zengen
