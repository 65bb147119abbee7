// Initialisers: fill a tensor in place (not recorded by autograd) from the
// global generator. The layers' defaults match PyTorch's, so results are
// comparable; DCGAN's normal(0, 0.02) is normal_(w, 0, 0.02).
#pragma once

#include <string_view>
#include <utility>

#include "zengen/core/tensor.hpp"

namespace zengen::nn::init {

enum class FanMode { FanIn, FanOut };
enum class Nonlinearity { Linear, Sigmoid, Tanh, ReLU, LeakyReLU };

/// The recommended gain for a nonlinearity (LeakyReLU uses `param` as slope):
/// 1, 1, 5/3, sqrt(2), sqrt(2 / (1 + slope^2)).
double calculate_gain(Nonlinearity nonlinearity, double param = 0.01);
/// (fan_in, fan_out) of a weight: [out, in] for Linear; [out, in, kH, kW]
/// for convolutions (receptive field counted in both). Needs >= 2 dims.
std::pair<double, double> fan_in_and_fan_out(const Tensor& weight);

void normal_(const Tensor& t, double mean = 0.0, double std = 1.0);
void uniform_(const Tensor& t, double low = 0.0, double high = 1.0);
void constant_(const Tensor& t, double value);
void zeros_(const Tensor& t);
void ones_(const Tensor& t);
/// U(-b, b) with b = gain sqrt(6 / (fan_in + fan_out)).
void xavier_uniform_(const Tensor& t, double gain = 1.0);
/// N(0, s^2) with s = gain sqrt(2 / (fan_in + fan_out)).
void xavier_normal_(const Tensor& t, double gain = 1.0);
/// U(-b, b) with b = gain(nonlinearity, a) sqrt(3 / fan).
void kaiming_uniform_(const Tensor& t, double a = 0.0, FanMode mode = FanMode::FanIn,
                      Nonlinearity nonlinearity = Nonlinearity::LeakyReLU);
/// N(0, s^2) with s = gain(nonlinearity, a) / sqrt(fan).
void kaiming_normal_(const Tensor& t, double a = 0.0, FanMode mode = FanMode::FanIn,
                     Nonlinearity nonlinearity = Nonlinearity::LeakyReLU);

}  // namespace zengen::nn::init
