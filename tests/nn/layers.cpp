// Layers: forward values against hand computations, PyTorch's default
// initialisation ranges, train/eval behaviour, and bad input.
#include <cmath>

#include "helpers.hpp"

using namespace zengen;
using zengen::testing::rand64;
using zengen::testing::require_close;
using zengen::testing::require_gradcheck;
using zengen::testing::require_values;

TEST_CASE("layers: Linear computes x W^T + b and starts in PyTorch's range", "[nn][layers]") {
  manual_seed(4);
  nn::Linear fc(3, 2);
  const double bound = 1.0 / std::sqrt(3.0);
  REQUIRE(max(abs(fc.weight)).item() <= bound);
  REQUIRE(max(abs(fc.bias)).item() <= bound);
  NoGradGuard no_grad;
  fc.weight.copy_(tensor({1, 2, 3, 4, 5, 6}, {2, 3}));
  fc.bias.copy_(tensor({0.5, -0.5}));
  // [1, 1, 1] -> [1+2+3+0.5, 4+5+6-0.5]
  require_values(fc.forward(ones({1, 3})), {1, 2}, {6.5, 14.5});
  require_values(fc.forward(ones({2, 5, 3})).select(1, 4), {2, 2}, {6.5, 14.5, 6.5, 14.5});
  REQUIRE_THROWS_WITH(fc.forward(ones({1, 4})), Catch::Contains("linear: input [1, 4] has 4 features but weight [2, 3] expects 3"));
  nn::Linear no_bias(3, 2, false);
  REQUIRE_FALSE(no_bias.bias.defined());
  REQUIRE(no_bias.parameters().size() == 1);
}

TEST_CASE("layers: initialisers have the documented statistics", "[nn][init]") {
  manual_seed(5);
  const Tensor w = empty({256, 512});
  nn::init::xavier_uniform_(w);
  const double xb = std::sqrt(6.0 / (256 + 512));
  REQUIRE(max(abs(w)).item() <= xb);
  REQUIRE(max(abs(w)).item() > 0.99 * xb);
  nn::init::kaiming_normal_(w, 0.0, nn::init::FanMode::FanIn, nn::init::Nonlinearity::ReLU);
  REQUIRE(std::sqrt(var(w).item()) == Approx(std::sqrt(2.0 / 512)).epsilon(0.02));
  nn::init::xavier_normal_(w, 2.0);
  REQUIRE(std::sqrt(var(w).item()) == Approx(2.0 * std::sqrt(2.0 / 768)).epsilon(0.02));
  nn::init::normal_(w, 0.0, 0.02);  // DCGAN
  REQUIRE(std::sqrt(var(w).item()) == Approx(0.02).epsilon(0.02));
  nn::init::kaiming_uniform_(w, 0.2);
  REQUIRE(max(abs(w)).item() <= std::sqrt(3.0) * nn::init::calculate_gain(nn::init::Nonlinearity::LeakyReLU, 0.2) /
                                    std::sqrt(512.0));
  REQUIRE(nn::init::calculate_gain(nn::init::Nonlinearity::Tanh) == Approx(5.0 / 3));
  const auto [fan_in, fan_out] = nn::init::fan_in_and_fan_out(empty({16, 8, 3, 3}));
  REQUIRE(fan_in == 72);
  REQUIRE(fan_out == 144);
  nn::init::zeros_(w);
  REQUIRE(max(abs(w)).item() == 0);
  REQUIRE_THROWS_AS(nn::init::xavier_uniform_(empty({5})), ShapeError);
}

TEST_CASE("layers: BatchNorm normalises in training and uses running stats in eval", "[nn][layers]") {
  nn::BatchNorm1d bn(2, {.momentum = 0.5});
  // channel 0: 1, 3 (mean 2, biased var 1); channel 1: 10, 10 (mean 10, var 0)
  const Tensor x = tensor({1, 10, 3, 10}, {2, 2});
  const Tensor y = bn.forward(x);
  const double s = 1.0 / std::sqrt(1.0 + 1e-5);
  require_values(y, {2, 2}, {-s, 0, s, 0}, 1e-5);
  // running = 0.5 * initial + 0.5 * batch (unbiased var: 2 and 0)
  require_values(bn.running_mean, {2}, {1, 5});
  require_values(bn.running_var, {2}, {0.5 + 1.0, 0.5});
  REQUIRE(bn.num_batches_tracked.item() == 1);
  bn.eval();
  const Tensor z = bn.forward(tensor({1, 5}, {1, 2}));
  require_values(z, {1, 2}, {0, 0}, 1e-5);
  REQUIRE(bn.num_batches_tracked.item() == 1);
  REQUIRE_THROWS_AS(bn.forward(zeros({2, 3})), ShapeError);
  nn::BatchNorm2d bn2(3);
  REQUIRE_THROWS_AS(bn2.forward(zeros({2, 3})), ShapeError);
  manual_seed(6);
  const Tensor images = randn({4, 3, 5, 5}) * 3.0 + 2.0;
  const Tensor out = bn2.forward(images);
  require_values(out.mean({0, 2, 3}), {3}, {0, 0, 0}, 1e-5);
  require_values(var(out, {0, 2, 3}, false), {3}, {1, 1, 1}, 1e-4);
}

TEST_CASE("layers: batch_norm gradients (gradcheck through the composition)", "[nn][layers][gradcheck]") {
  manual_seed(7);
  const Tensor x = rand64({3, 2, 2, 2}), w = rand64({2}), b = rand64({2});
  require_gradcheck([](auto& in) { return nn::functional::batch_norm(in[0], Tensor(), Tensor(), in[1], in[2], true); },
                    {x, w, b});
}

TEST_CASE("layers: Dropout scales kept elements and is the identity in eval", "[nn][layers]") {
  manual_seed(8);
  nn::Dropout drop(0.25);
  const Tensor x = ones({100000});
  const Tensor y = drop.forward(x);
  const auto v = y.to_vector<float>();
  std::size_t zeros_seen = 0;
  for (float e : v) {
    REQUIRE((e == 0.0f || std::abs(e - 1.0f / 0.75f) < 1e-6));
    zeros_seen += e == 0.0f;
  }
  REQUIRE(std::abs(static_cast<double>(zeros_seen) / v.size() - 0.25) < 0.01);
  drop.eval();
  REQUIRE(drop.forward(x).is_same(x));
  REQUIRE_THROWS_AS(nn::Dropout(1.5), ValueError);
}

TEST_CASE("layers: shape layers, Upsample and Embedding", "[nn][layers]") {
  const Tensor x = arange(8).reshape({2, 4});
  REQUIRE(nn::Unflatten(1, {2, 2}).forward(x).shape() == Shape{2, 2, 2});
  REQUIRE(nn::Reshape({1, 2, 2}).forward(x).shape() == Shape{2, 1, 2, 2});
  REQUIRE(nn::Flatten().forward(zeros({2, 3, 4, 5})).shape() == Shape{2, 60});
  REQUIRE_THROWS_AS(nn::Unflatten(1, {3, 3}).forward(x), ShapeError);
  const Tensor img = tensor({1, 2, 3, 4}, {1, 1, 2, 2});
  require_values(nn::Upsample(2).forward(img), {1, 1, 4, 4}, {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
  nn::Embedding emb(10, 3);
  const Tensor ids = from_vector(std::vector<std::int64_t>{1, 7, 1, 0}, {2, 2});
  const Tensor e = emb.forward(ids);
  REQUIRE(e.shape() == Shape{2, 2, 3});
  require_close(e.select(0, 0).select(0, 0), emb.weight.select(0, 1));
  e.sum().backward();
  require_values(emb.weight.grad().select(0, 1), {3}, {2, 2, 2});
  require_values(emb.weight.grad().select(0, 2), {3}, {0, 0, 0});
  REQUIRE_THROWS_AS(emb.forward(from_vector(std::vector<std::int64_t>{10}, {1})), ValueError);
}

TEST_CASE("layers: Upsample gradient sums each block", "[nn][layers][gradcheck]") {
  manual_seed(9);
  require_gradcheck([](auto& in) { return nn::functional::upsample_nearest(in[0], 2); }, {rand64({1, 2, 2, 3})});
}
