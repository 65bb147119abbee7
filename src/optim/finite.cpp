// Finiteness scans: one pass over a contiguous copy (a no-op when the tensor
// already is contiguous on the CPU), stopping at the first bad element.
#include "zengen/optim/finite.hpp"

#include <cmath>
#include <cstdint>

#include "zengen/autograd/grad_mode.hpp"
#include "zengen/core/error.hpp"
#include "zengen/ops/elementwise.hpp"
#include "zengen/ops/reduction.hpp"
#include "zengen/ops/view.hpp"

namespace zengen::optim {

namespace {

template <typename T>
bool scan(const Tensor& t) {
  const T* p = t.data<T>();
  const std::int64_t n = t.numel();
  for (std::int64_t i = 0; i < n; ++i)
    if (!std::isfinite(p[i])) return false;
  return true;
}

}  // namespace

bool all_finite(const Tensor& t) {
  if (!t.defined() || !is_floating(t.dtype())) return true;
  NoGradGuard no_grad;
  Tensor host = t.detach();
  if (!host.device().is_cpu()) host = host.to(Device::cpu());
  host = host.contiguous();
  switch (host.dtype()) {
    case DType::Float32: return scan<float>(host);
    default: return scan<double>(host);
  }
}

std::string describe_value(double value) {
  if (std::isnan(value)) return "NaN";  // whatever its sign bit ("-nan" would only confuse)
  if (std::isinf(value)) return value > 0 ? "Inf" : "-Inf";
  return detail::concat(value);
}

Tensor device_gradients_flag(const std::vector<std::pair<std::string, Tensor>>& named_params) {
  // The sum of every g * 0: 0 when all are finite, NaN otherwise (it cannot
  // overflow). Gradients on another GPU add their flag through a copy.
  NoGradGuard no_grad;
  Tensor flag;
  for (const auto& [name, p] : named_params) {
    if (!p.defined()) continue;
    const Tensor g = p.grad();
    if (!g.defined() || !is_floating(g.dtype()) || g.device().is_cpu()) continue;
    Tensor term = sum(g.detach() * 0.0).to(DType::Float64);
    if (!flag.defined()) {
      flag = term;
    } else {
      if (term.device() != flag.device()) term = term.to(flag.device());
      flag = flag + term;
    }
  }
  return flag;
}

std::optional<std::string> first_non_finite_grad(const std::vector<std::pair<std::string, Tensor>>& named_params,
                                                 bool device_grads_finite) {
  for (const auto& [name, p] : named_params) {
    if (!p.defined()) continue;
    const Tensor g = p.grad();
    if (device_grads_finite && g.defined() && !g.device().is_cpu()) continue;  // the flag covered it
    if (!all_finite(g)) return name;
  }
  return std::nullopt;
}

std::optional<std::string> first_non_finite_grad(const std::vector<std::pair<std::string, Tensor>>& named_params) {
  // Gradients on a GPU: first their flag, so a healthy step reads one value
  // instead of copying every gradient to the host; the scan names the
  // culprit only when the flag says there is one.
  const Tensor flag = device_gradients_flag(named_params);
  return first_non_finite_grad(named_params, !flag.defined() || std::isfinite(flag.item<double>()));
}

std::vector<double> read_scalars(const std::vector<Tensor>& scalars) {
  NoGradGuard no_grad;
  std::vector<double> values(scalars.size(), 0.0);
  // Per device, the scalars as float64 [k], then one copy.
  std::vector<bool> done(scalars.size(), false);
  for (std::size_t i = 0; i < scalars.size(); ++i) {
    if (done[i] || !scalars[i].defined()) continue;
    const Device device = scalars[i].device();
    std::vector<Tensor> parts;
    std::vector<std::size_t> where;
    for (std::size_t j = i; j < scalars.size(); ++j) {
      if (done[j] || !scalars[j].defined() || scalars[j].device() != device) continue;
      ZENGEN_CHECK(scalars[j].numel() == 1, ShapeError, "read_scalars: tensor ", j, " has shape ",
                   scalars[j].shape(), ", expected one element");
      parts.push_back(scalars[j].detach().reshape({1}).to(DType::Float64));
      where.push_back(j);
      done[j] = true;
    }
    const std::vector<double> got = cat(parts).to_vector<double>();
    for (std::size_t k = 0; k < where.size(); ++k) values[where[k]] = got[k];
  }
  return values;
}

}  // namespace zengen::optim
