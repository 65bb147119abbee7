// Finiteness scans: one pass over a contiguous copy (a no-op when the tensor
// already is contiguous on the CPU), stopping at the first bad element.
#include "zengen/optim/finite.hpp"

#include <cmath>
#include <cstdint>

#include "zengen/autograd/grad_mode.hpp"
#include "zengen/core/error.hpp"

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
  for (const auto& [name, p] : named_params)
    if (p.defined() && !all_finite(p.grad())) return name;
  return std::nullopt;
}

}  // namespace zengen::optim
