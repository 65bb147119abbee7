#include "zengen/nn/init.hpp"

#include <cmath>

#include "zengen/autograd/grad_mode.hpp"

namespace zengen::nn::init {

double calculate_gain(Nonlinearity nonlinearity, double param) {
  switch (nonlinearity) {
    case Nonlinearity::Linear:
    case Nonlinearity::Sigmoid: return 1.0;
    case Nonlinearity::Tanh: return 5.0 / 3.0;
    case Nonlinearity::ReLU: return std::sqrt(2.0);
    case Nonlinearity::LeakyReLU: return std::sqrt(2.0 / (1.0 + param * param));
  }
  return 1.0;
}

std::pair<double, double> fan_in_and_fan_out(const Tensor& weight) {
  ZENGEN_CHECK(weight.dim() >= 2, ShapeError, "fan_in_and_fan_out: needs a weight of at least 2 dims, got ",
               weight.shape());
  double receptive = 1;
  for (std::int64_t d = 2; d < weight.dim(); ++d) receptive *= static_cast<double>(weight.size(d));
  // As PyTorch: dim 1 is the fan-in, dim 0 the fan-out (for a transposed
  // convolution's [in, out, k, k] weight that means fan_in = out * k * k).
  return {static_cast<double>(weight.size(1)) * receptive, static_cast<double>(weight.size(0)) * receptive};
}

void normal_(const Tensor& t, double mean, double std) {
  NoGradGuard no_grad;
  t.normal_(mean, std);
}
void uniform_(const Tensor& t, double low, double high) {
  NoGradGuard no_grad;
  t.uniform_(low, high);
}
void constant_(const Tensor& t, double value) {
  NoGradGuard no_grad;
  t.fill_(value);
}
void zeros_(const Tensor& t) { constant_(t, 0.0); }
void ones_(const Tensor& t) { constant_(t, 1.0); }

void xavier_uniform_(const Tensor& t, double gain) {
  const auto [fan_in, fan_out] = fan_in_and_fan_out(t);
  const double bound = gain * std::sqrt(6.0 / (fan_in + fan_out));
  uniform_(t, -bound, bound);
}

void xavier_normal_(const Tensor& t, double gain) {
  const auto [fan_in, fan_out] = fan_in_and_fan_out(t);
  normal_(t, 0.0, gain * std::sqrt(2.0 / (fan_in + fan_out)));
}

namespace {
double kaiming_std(const Tensor& t, double a, FanMode mode, Nonlinearity nonlinearity) {
  const auto [fan_in, fan_out] = fan_in_and_fan_out(t);
  const double fan = mode == FanMode::FanIn ? fan_in : fan_out;
  ZENGEN_CHECK(fan > 0, ValueError, "kaiming init: zero fan for a weight of shape ", t.shape());
  return calculate_gain(nonlinearity, a) / std::sqrt(fan);
}
}  // namespace

void kaiming_uniform_(const Tensor& t, double a, FanMode mode, Nonlinearity nonlinearity) {
  const double bound = std::sqrt(3.0) * kaiming_std(t, a, mode, nonlinearity);
  uniform_(t, -bound, bound);
}

void kaiming_normal_(const Tensor& t, double a, FanMode mode, Nonlinearity nonlinearity) {
  normal_(t, 0.0, kaiming_std(t, a, mode, nonlinearity));
}

}  // namespace zengen::nn::init
