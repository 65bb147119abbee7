// zengen's demo: fits a small neural network to y = sin(x) with autograd and
// plain gradient descent, printing the loss as it falls.
//
//   model: y_hat = tanh(x W1 + b1) W2 + b2     (1 -> 16 -> 1)
//   loss:  mean((y_hat - y)^2) over 128 points in [-pi, pi]
#include <zengen/zengen.hpp>

#include <cmath>
#include <cstdio>
#include <exception>
#include <numbers>
#include <vector>

namespace zg = zengen;

// Trains the model; returns the process's exit status (0 when the loss fell).
int train() {
  zg::manual_seed(0);  // same initial weights, same run, every time
  constexpr std::int64_t kPoints = 128, kHidden = 16, kSteps = 2000;
  constexpr double kLearningRate = 0.05;

  // Synthetic data: x evenly spaced in [-pi, pi], y = sin(x), as [N, 1] columns.
  std::vector<float> xs(kPoints), ys(kPoints);
  for (std::int64_t i = 0; i < kPoints; ++i) {
    xs[i] = static_cast<float>(-std::numbers::pi + 2.0 * std::numbers::pi * i / (kPoints - 1));
    ys[i] = std::sin(xs[i]);
  }
  const auto x = zg::from_vector(xs, {kPoints, 1});
  const auto y = zg::from_vector(ys, {kPoints, 1});

  // Parameters: leaves that require grad. W2 starts at N(0, 1/kHidden).
  auto w1 = zg::randn({1, kHidden});
  auto b1 = zg::zeros({kHidden});
  auto w2 = zg::randn({kHidden, 1});
  zg::mul_(w2, 1.0 / std::sqrt(static_cast<double>(kHidden)));
  auto b2 = zg::zeros({1});
  std::vector<zg::Tensor> params = {w1, b1, w2, b2};
  for (auto& p : params) p.requires_grad_();

  double first_loss = 0.0, loss_value = 0.0;
  for (std::int64_t step = 0; step <= kSteps; ++step) {
    // Forward: the graph is recorded as the ops run.
    const auto hidden = zg::tanh(zg::add(zg::matmul(x, w1), b1));
    const auto pred = zg::add(zg::matmul(hidden, w2), b2);
    const auto loss = zg::mean(zg::pow(zg::sub(pred, y), 2.0));
    loss_value = loss.item<double>();
    if (step == 0) first_loss = loss_value;
    if (step % 200 == 0) std::printf("step %5lld  loss %.6f\n", static_cast<long long>(step), loss_value);
    if (step == kSteps) break;  // report the loss of the final weights, no update

    // Backward fills p.grad() for every parameter.
    loss.backward();

    // Gradient-descent update p -= lr * grad, outside the graph.
    zg::NoGradGuard no_grad;
    for (auto& p : params) {
      zg::add_(p, p.grad(), -kLearningRate);
      p.zero_grad();
    }
  }
  std::printf("final: loss %.6f after %lld steps (started at %.6f)\n", loss_value,
              static_cast<long long>(kSteps), first_loss);
  return loss_value < first_loss ? 0 : 1;
}

int main() {
  try {
    return train();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zengen_demo: error: %s\n", e.what());
    return 1;
  }
}
