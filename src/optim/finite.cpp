// Finiteness scans: one pass over a contiguous copy (a no-op when the tensor
// already is contiguous on the CPU), stopping at the first bad element.
#include "zengen/optim/finite.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "zengen/autograd/grad_mode.hpp"
#include "zengen/core/error.hpp"
#include "zengen/ops/elementwise.hpp"
#include "zengen/ops/reduction.hpp"

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

std::optional<std::string> first_non_finite_grad(const std::vector<std::pair<std::string, Tensor>>& named_params) {
  // Gradients on a GPU: first one flag per device, the sum of every g * 0
  // (0 when all are finite, NaN otherwise), so a healthy step reads one value
  // per device instead of copying every gradient to the host; the scan
  // below names the culprit only when a flag says there is one.
  NoGradGuard no_grad;
  std::vector<std::pair<Device, Tensor>> flags;
  for (const auto& [name, p] : named_params) {
    if (!p.defined()) continue;
    const Tensor g = p.grad();
    if (!g.defined() || !is_floating(g.dtype()) || g.device().is_cpu()) continue;
    const Tensor term = sum(g.detach() * 0.0).to(DType::Float64);
    auto it = std::find_if(flags.begin(), flags.end(), [&](const auto& f) { return f.first == g.device(); });
    if (it == flags.end()) flags.emplace_back(g.device(), term);
    else it->second = it->second + term;
  }
  bool devices_finite = true;
  for (const auto& [device, flag] : flags) devices_finite = devices_finite && std::isfinite(flag.item<double>());
  for (const auto& [name, p] : named_params) {
    if (!p.defined()) continue;
    const Tensor g = p.grad();
    if (devices_finite && g.defined() && !g.device().is_cpu()) continue;  // covered by its device's flag
    if (!all_finite(g)) return name;
  }
  return std::nullopt;
}

}  // namespace zengen::optim
