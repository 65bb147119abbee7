// batch_norm_training: hand-computed values, the fused kernels against the
// op composition (mean, var and element-wise ops) in float32 and float64 on
// 2-d, 4-d and strided inputs with and without weight and bias, gradcheck
// and double backward in float64, the fused and the composed (create_graph)
// gradients agreeing, a large mean against cancellation, and bad input.
#include <cmath>

#include "helpers.hpp"

using namespace zengen;
using zengen::testing::rand64;
using zengen::testing::require_close;
using zengen::testing::require_gradcheck;
using zengen::testing::require_values;

namespace {

// The op written with ops, as the reference.
Tensor reference(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  std::vector<std::int64_t> dims{0};
  Shape shape{1, x.size(1)};
  for (std::int64_t d = 2; d < x.dim(); ++d) {
    dims.push_back(d);
    shape.push_back(1);
  }
  Tensor y = (x - mean(x, dims, true)) / sqrt(var(x, dims, false, true) + eps);
  if (weight.defined()) y = y * weight.reshape(shape);
  if (bias.defined()) y = y + bias.reshape(shape);
  return y;
}

}  // namespace

TEST_CASE("batch_norm_training: hand-computed values and statistics", "[ops][batchnorm]") {
  // channel 0: 1, 3 (mean 2, biased var 1); channel 1: 10, 14 (mean 12, var 4)
  const Tensor x = tensor({1, 10, 3, 14}, {2, 2});
  const BatchNormOutput r = batch_norm_training(x, tensor({2, 0.5}), tensor({0, 1}), 1e-5);
  const double s0 = 1.0 / std::sqrt(1.0 + 1e-5), s1 = 2.0 / std::sqrt(4.0 + 1e-5);
  require_values(r.output, {2, 2}, {-2 * s0, 1 - 0.5 * s1, 2 * s0, 1 + 0.5 * s1}, 1e-6);
  require_values(r.mean, {2}, {2, 12});
  require_values(r.var, {2}, {1, 4});
  REQUIRE_FALSE(r.mean.requires_grad());
}

TEST_CASE("batch_norm_training: the fused kernels match the composition", "[ops][batchnorm]") {
  manual_seed(41);
  for (DType dtype : {DType::Float32, DType::Float64}) {
    INFO(dtype);
    const double tol = dtype == DType::Float32 ? 2e-5 : 1e-12;
    const TensorOptions opts{.dtype = dtype};
    // 2-d, DCGAN-like 4-d (large enough for several threads), 3-d, a
    // permuted (non-contiguous) input, and small planes (walked batch by
    // batch over ranges of channels) with several threads, and one image.
    const std::vector<Tensor> inputs = {randn({7, 5}, opts) * 2.0 + 1.0,
                                        randn({16, 8, 12, 12}, opts) * 3.0 - 2.0,
                                        randn({3, 4, 9}, opts),
                                        randn({6, 5, 4, 3}, opts).permute({0, 3, 2, 1}),
                                        randn({64, 67, 4, 4}, opts) * 0.5 + 3.0,
                                        randn({1024, 65}, opts),
                                        randn({1, 6, 2, 3}, opts)};
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      INFO("input " << i << " " << inputs[i].shape());
      const Tensor x = inputs[i].detach().requires_grad_();
      const std::int64_t c = x.size(1);
      const Tensor w = (rand({c}, opts) + 0.5).detach().requires_grad_();
      const Tensor b = randn({c}, opts).detach().requires_grad_();
      for (int affine = 0; affine < 2; ++affine) {
        INFO("affine " << affine);
        const Tensor wi = affine ? w : Tensor(), bi = affine ? b : Tensor();
        const Tensor fused = batch_norm_training(x, wi, bi, 1e-5).output;
        const Tensor composed = reference(x, wi, bi, 1e-5);
        require_close(fused.detach(), composed.detach(), tol);
        const Tensor seed = randn(x.shape(), opts);
        std::vector<Tensor> wrt = {x};
        if (affine) wrt = {x, w, b};
        const auto gf = autograd::grad({fused}, wrt, {seed});
        const auto gc = autograd::grad({composed}, wrt, {seed});
        for (std::size_t k = 0; k < wrt.size(); ++k) {
          INFO("gradient " << k);
          require_close(gf[k], gc[k], tol * 10);
        }
      }
    }
  }
}

TEST_CASE("batch_norm_training: no cancellation when the mean dwarfs the spread", "[ops][batchnorm]") {
  // float32 values 1e4 + N(0, 1e-2): E[x^2] - E[x]^2 would lose every digit.
  manual_seed(42);
  // 8x8 planes (walked channel by channel) and 2x2 ones (walked batch by batch).
  for (const std::int64_t side : {8, 2}) {
    INFO("planes " << side << "x" << side);
    const Tensor x = (randn({64, 3, side, side}) * 0.01 + 1e4).detach();
    const BatchNormOutput r = batch_norm_training(x, Tensor(), Tensor(), 1e-10);  // eps far below var (1e-4)
    const Tensor x64 = x.to(DType::Float64);
    require_values(r.var.to(DType::Float64), {3}, var(x64, {0, 2, 3}, false).to_vector<double>(), 1e-3);
    require_values(var(r.output.to(DType::Float64), {0, 2, 3}, false), {3}, {1, 1, 1}, 1e-3);
  }
}

TEST_CASE("batch_norm_training: gradcheck and double backward in float64", "[ops][batchnorm][gradcheck]") {
  ZENGEN_GRADCHECKED(batch_norm_training);
  manual_seed(43);
  const Tensor x = rand64({3, 2, 2, 2}), w = rand64({2}), b = rand64({2});
  require_gradcheck([](auto& in) { return batch_norm_training(in[0], in[1], in[2]).output; }, {x, w, b});
  require_gradcheck([](auto& in) { return batch_norm_training(in[0]).output; }, {rand64({5, 3})});
  const Tensor strided = rand64({2, 3, 4}).transpose(0, 2).detach().requires_grad_();  // [4, 3, 2], not contiguous
  require_gradcheck([](auto& in) { return batch_norm_training(in[0], in[1]).output; }, {strided, rand64({3})});
  // A gradient penalty through it: || d sum(y * v) / d x ||^2, differentiated w.r.t. x and weight.
  const Tensor v = rand64({3, 2, 2, 2}, false);
  require_gradcheck(
      [v](auto& in) {
        autograd::GradModeGuard on(true);  // gradcheck evaluates under NoGradGuard
        const Tensor y = batch_norm_training(in[0], in[1], in[2]).output;
        const Tensor g = autograd::grad({(y * v).sum()}, {in[0]}, {}, true, true)[0];
        return (g * g).sum();
      },
      {x, w, b});
}

TEST_CASE("batch_norm_training: the fused and the composed (create_graph) gradients agree", "[ops][batchnorm]") {
  manual_seed(44);
  const Tensor x = (randn({8, 4, 5, 5}) * 2.0).detach().requires_grad_();
  const Tensor w = (rand({4}) + 0.5).detach().requires_grad_(), b = randn({4}).detach().requires_grad_();
  const Tensor y = batch_norm_training(x, w, b).output;
  const Tensor seed = randn(y.shape());
  const auto fused = autograd::grad({y}, {x, w, b}, {seed}, true, false);
  const auto composed = autograd::grad({y}, {x, w, b}, {seed}, true, true);
  for (std::size_t k = 0; k < 3; ++k) require_close(fused[k], composed[k].detach(), 1e-4);
}

TEST_CASE("batch_norm_training: a fused ReLU or LeakyReLU gives the two ops' values and gradients",
          "[ops][batchnorm]") {
  manual_seed(45);
  for (DType dtype : {DType::Float32, DType::Float64}) {
    INFO(dtype);
    const TensorOptions opts{.dtype = dtype};
    // Planes of one value (BatchNorm1d), 4 (walked batch by batch), 81
    // (walked channel by channel), and a DCGAN-sized one for the threads.
    const std::vector<Tensor> inputs = {randn({64, 7}, opts), randn({16, 130, 2, 2}, opts) * 2.0 + 1.0,
                                        randn({4, 3, 9, 9}, opts), randn({16, 64, 16, 16}, opts)};
    for (const Tensor& input : inputs) {
      for (double slope : {0.2, 0.0}) {
        for (int affine = 0; affine < 2; ++affine) {
          INFO("input " << input.shape() << " slope " << slope << " affine " << affine);
          const std::int64_t c = input.size(1);
          const Tensor x = input.detach().requires_grad_();
          const Tensor w = affine ? (rand({c}, opts) + 0.5).detach().requires_grad_() : Tensor();
          const Tensor b = affine ? randn({c}, opts).detach().requires_grad_() : Tensor();
          const BatchNormOutput fused = batch_norm_training(x, w, b, 1e-5, slope);
          const BatchNormOutput plain = batch_norm_training(x, w, b, 1e-5);
          const Tensor two_ops = slope == 0.0 ? relu(plain.output) : leaky_relu(plain.output, slope);
          // The same arithmetic in the same order: the same bits.
          REQUIRE(fused.output.to_vector<double>() == two_ops.to_vector<double>());
          REQUIRE(fused.mean.to_vector<double>() == plain.mean.to_vector<double>());
          std::vector<Tensor> wrt = {x};
          if (affine) wrt = {x, w, b};
          const Tensor seed = randn(x.shape(), opts);
          const auto gf = autograd::grad({fused.output}, wrt, {seed});
          const auto gp = autograd::grad({two_ops}, wrt, {seed});
          for (std::size_t k = 0; k < wrt.size(); ++k) {
            INFO("gradient " << k);
            require_close(gf[k], gp[k], dtype == DType::Float32 ? 1e-5 : 1e-12);
          }
        }
      }
    }
  }
  REQUIRE_THROWS_AS(batch_norm_training(randn({4, 3}), Tensor(), Tensor(), 1e-5, -0.1), ValueError);
}

TEST_CASE("batch_norm_training: a fused LeakyReLU's gradcheck and double backward in float64",
          "[ops][batchnorm][gradcheck]") {
  // Values of each channel +-(1 + u/2), half of each sign, so the normalised
  // output stays far from the kink at 0 (weight > 0.5, bias within 0.05).
  manual_seed(46);
  const Tensor u = rand64({6, 2, 2, 2}, false);
  const Tensor signs = tensor({1, -1, 1, -1, 1, -1, 1, -1}, {1, 2, 2, 2}, {.dtype = DType::Float64});
  const Tensor x = ((u * 0.5 + 1.0) * signs).detach().requires_grad_();
  const Tensor w = (rand64({2}, false) + 0.5).detach().requires_grad_();
  const Tensor b = ((rand64({2}, false) - 0.5) * 0.1).detach().requires_grad_();
  for (double slope : {0.2, 0.0}) {
    INFO("slope " << slope);
    require_gradcheck([slope](auto& in) { return batch_norm_training(in[0], in[1], in[2], 1e-5, slope).output; },
                      {x, w, b});
  }
  const Tensor v = rand64({6, 2, 2, 2}, false);
  require_gradcheck(
      [v](auto& in) {
        autograd::GradModeGuard on(true);  // gradcheck evaluates under NoGradGuard
        const Tensor y = batch_norm_training(in[0], in[1], in[2], 1e-5, 0.2).output;
        const Tensor g = autograd::grad({(y * v).sum()}, {in[0]}, {}, true, true)[0];
        return (g * g).sum();
      },
      {x, w, b});
}

TEST_CASE("batch_norm_training: bad input names the op", "[ops][batchnorm][errors]") {
  auto message_of = [](auto&& call) {
    try {
      call();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no exception)");
  };
  REQUIRE_THROWS_AS(batch_norm_training(zeros({4})), ShapeError);
  REQUIRE_THROWS_AS(batch_norm_training(zeros({4, 3}), zeros({2})), ShapeError);
  REQUIRE_THROWS_AS(batch_norm_training(zeros({1, 3})), ValueError);  // one value per channel
  REQUIRE_THROWS_AS(batch_norm_training(zeros({4, 3}, {.dtype = DType::Int64})), DTypeError);
  REQUIRE_THROWS_AS(batch_norm_training(zeros({4, 3}), zeros({3}, {.dtype = DType::Float64})), DTypeError);
  REQUIRE_THROWS_AS(batch_norm_training(zeros({4, 3}), Tensor(), Tensor(), 0.0), ValueError);
  CHECK_THAT(message_of([] { batch_norm_training(zeros({4, 3}), zeros({2})); }),
             Catch::Contains("batch_norm_training") && Catch::Contains("[4, 3]"));
}
