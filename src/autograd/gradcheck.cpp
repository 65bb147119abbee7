#include "zengen/autograd/gradcheck.hpp"

#include <cmath>
#include <sstream>

#include "zengen/autograd/grad_mode.hpp"
#include "zengen/autograd/node.hpp"
#include "zengen/ops/factory.hpp"

namespace zengen::autograd {
namespace {

// Element k (row-major) of x as a one-element view sharing x's storage,
// detached: read and perturbed through it, on any device.
Tensor element_view(const Tensor& x, std::int64_t k) {
  Tensor e = x.detach();
  for (std::int64_t d = x.dim() - 1; d >= 0; --d) {
    e = e.narrow(d, k % x.shape()[d], 1);
    k /= x.shape()[d];
  }
  return e;
}

std::vector<double> evaluate(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                             const std::vector<Tensor>& inputs) {
  NoGradGuard no_grad;
  return fn(inputs).to_vector<double>();
}

}  // namespace

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, GradcheckOptions options) {
  std::vector<std::size_t> checked;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    ZENGEN_CHECK(inputs[i].dtype() == DType::Float64, DTypeError, "gradcheck: input ", i, " has dtype ",
                 inputs[i].dtype(), "; finite differences need float64");
    if (inputs[i].requires_grad()) checked.push_back(i);
  }
  ZENGEN_CHECK(!checked.empty(), ValueError, "gradcheck: no input requires grad");

  const Tensor out = fn(inputs);
  ZENGEN_CHECK(out.dtype() == DType::Float64, DTypeError, "gradcheck: output has dtype ", out.dtype());
  ZENGEN_CHECK(out.requires_grad(), ValueError, "gradcheck: the output does not require grad");
  const std::int64_t m = out.numel();

  // analytic[i][j * n_i + k] = d out_j / d input_i[k]
  std::vector<Tensor> diff_inputs;
  for (std::size_t i : checked) diff_inputs.push_back(inputs[i]);
  std::vector<std::vector<double>> analytic(checked.size());
  for (std::size_t c = 0; c < checked.size(); ++c)
    analytic[c].assign(static_cast<std::size_t>(m * inputs[checked[c]].numel()), 0.0);
  for (std::int64_t j = 0; j < m; ++j) {
    Tensor seed = zeros(out.shape(), {.dtype = DType::Float64});  // built on the CPU, then to out's device
    seed.data<double>()[j] = 1.0;
    if (!out.device().is_cpu()) seed = seed.to(out.device());
    const auto grads = grad({out}, diff_inputs, {seed}, /*retain_graph=*/true, false, /*allow_unused=*/true);
    for (std::size_t c = 0; c < checked.size(); ++c) {
      if (!grads[c].defined()) continue;
      ZENGEN_CHECK(grads[c].shape() == inputs[checked[c]].shape(), ShapeError, "gradcheck: gradient of input ",
                   checked[c], " has shape ", grads[c].shape(), ", expected ", inputs[checked[c]].shape());
      const auto row = grads[c].to_vector<double>();
      std::copy(row.begin(), row.end(), analytic[c].begin() + j * static_cast<std::int64_t>(row.size()));
    }
  }

  for (std::size_t c = 0; c < checked.size(); ++c) {
    const Tensor& x = inputs[checked[c]];
    const std::int64_t n = x.numel();
    for (std::int64_t k = 0; k < n; ++k) {
      const Tensor element = element_view(x, k);
      const double saved = element.item<double>();
      element.fill_(saved + options.eps);
      const auto plus = evaluate(fn, inputs);
      element.fill_(saved - options.eps);
      const auto minus = evaluate(fn, inputs);
      element.fill_(saved);
      for (std::int64_t j = 0; j < m; ++j) {
        const double numeric = (plus[j] - minus[j]) / (2 * options.eps);
        const double a = analytic[c][static_cast<std::size_t>(j * n + k)];
        if (!(std::abs(a - numeric) <= options.atol + options.rtol * std::abs(numeric))) {
          std::ostringstream os;
          os << "gradcheck: input " << checked[c] << " (shape " << x.shape() << "), element " << k
             << ", output element " << j << ": analytic " << a << " vs numeric " << numeric;
          return {false, os.str()};
        }
      }
    }
  }
  return {};
}

}  // namespace zengen::autograd
