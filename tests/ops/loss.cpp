// Losses: hand-computed values for every reduction, stability at the
// extremes (logits of +-1000, probabilities 0 and 1), gradcheck in float64,
// double backward, the fused and the composed gradients agreeing, large
// float32 inputs, and bad input.
#include <cmath>

#include "helpers.hpp"

using namespace zengen;
using zengen::testing::rand64;
using zengen::testing::require_close;
using zengen::testing::require_gradcheck;
using zengen::testing::require_values;

namespace {

Tensor f64(std::initializer_list<double> values, const Shape& shape) {
  return tensor(values, shape, {.dtype = DType::Float64});
}

constexpr Reduction kReductions[] = {Reduction::None, Reduction::Sum, Reduction::Mean};

const char* name(Reduction r) {
  return r == Reduction::None ? "None" : (r == Reduction::Sum ? "Sum" : "Mean");
}

/// A float64 leaf with values uniform in [low, high).
Tensor uniform64(const Shape& shape, double low, double high) {
  return (rand(shape, {.dtype = DType::Float64}) * (high - low) + low).detach().requires_grad_();
}

/// The gradient of fn(inputs) w.r.t. inputs[0], with create_graph so that it
/// is itself differentiable; grad mode is switched on because gradcheck
/// evaluates its function under NoGradGuard.
Tensor first_gradient(const std::function<Tensor(const std::vector<Tensor>&)>& fn, const std::vector<Tensor>& in) {
  autograd::GradModeGuard on(true);
  const Tensor out = fn(in);
  const Tensor seed = ones_like(out);
  return autograd::grad({out}, {in[0]}, {seed}, /*retain_graph=*/true, /*create_graph=*/true)[0];
}

}  // namespace

// ---------------------------------------------------------------- values

TEST_CASE("loss: mse_loss and l1_loss by hand", "[loss][ops]") {
  const Tensor x = f64({1, 2, 3, 4}, {2, 2});
  const Tensor t = f64({0, 2, 5, 3.5}, {2, 2});
  // x - t = [1, 0, -2, 0.5]
  // squared: [1, 0, 4, 0.25], sum 5.25, mean 5.25 / 4 = 1.3125
  require_values(mse_loss(x, t, Reduction::None), {2, 2}, {1, 0, 4, 0.25});
  require_values(mse_loss(x, t, Reduction::Sum), {}, {5.25});
  require_values(mse_loss(x, t), {}, {1.3125});
  // absolute: [1, 0, 2, 0.5], sum 3.5, mean 0.875
  require_values(l1_loss(x, t, Reduction::None), {2, 2}, {1, 0, 2, 0.5});
  require_values(l1_loss(x, t, Reduction::Sum), {}, {3.5});
  require_values(l1_loss(x, t), {}, {0.875});
  // float32 gives the same
  require_values(mse_loss(x.to(DType::Float32), t.to(DType::Float32)), {}, {1.3125});
  REQUIRE(mse_loss(x.to(DType::Float32), t.to(DType::Float32)).dtype() == DType::Float32);
}

TEST_CASE("loss: mse_loss and l1_loss gradients by hand", "[loss][ops]") {
  const Tensor x = f64({1, 2, 3, 4}, {2, 2}).requires_grad_();
  const Tensor t = f64({0, 2, 5, 3.5}, {2, 2}).requires_grad_();
  // d mean((x - t)^2) / dx = 2 (x - t) / 4 = [0.5, 0, -1, 0.25]; the target's is minus that
  mse_loss(x, t).backward();
  require_values(x.grad(), {2, 2}, {0.5, 0, -1, 0.25});
  require_values(t.grad(), {2, 2}, {-0.5, 0, 1, -0.25});
  x.zero_grad();
  // d sum |x - t| / dx = sign(x - t) = [1, 0, -1, 1] (0 at x == t, as PyTorch)
  l1_loss(x, t, Reduction::Sum).backward();
  require_values(x.grad(), {2, 2}, {1, 0, -1, 1});
}

TEST_CASE("loss: binary_cross_entropy by hand", "[loss][ops]") {
  const Tensor p = f64({0.5, 0.9, 0.2, 1.0}, {4});
  const Tensor t = f64({1, 0, 0.25, 1}, {4});
  // p = 0.5, t = 1:    -log 0.5 = 0.6931471805599453
  // p = 0.9, t = 0:    -log 0.1 = 2.3025850929940455
  // p = 0.2, t = 0.25: -(0.25 log 0.2 + 0.75 log 0.8) = 0.40235947810852507 + 0.16735766348565728
  //                    = 0.5697171415941824
  // p = 1,   t = 1:    -(1 * log 1 + 0 * max(log 0, -100)) = 0
  // sum 3.5654494151481733, mean 0.8913623537870433
  require_values(binary_cross_entropy(p, t, Reduction::None), {4},
                 {0.6931471805599453, 2.3025850929940455, 0.5697171415941824, 0});
  require_values(binary_cross_entropy(p, t, Reduction::Sum), {}, {3.5654494151481733});
  require_values(binary_cross_entropy(p, t), {}, {0.8913623537870433});
  // weights multiply each term: 2 * 0.6931... + 0 * 2.3025... + 0.5 * 0.5697... + 3 * 0
  //   = 1.3862943611198906 + 0.2848585707970912 = 1.6711529319169818
  const Tensor w = f64({2, 0, 0.5, 3}, {4});
  require_values(binary_cross_entropy(p, t, Reduction::Sum, w), {}, {1.6711529319169818});
  // a weight broadcast over rows: [2, 2] probabilities, weight [2] = (1, 10)
  const Tensor p2 = p.reshape({2, 2}), t2 = t.reshape({2, 2});
  require_values(binary_cross_entropy(p2, t2, Reduction::None, f64({1, 10}, {2})), {2, 2},
                 {0.6931471805599453, 23.025850929940455, 0.5697171415941824, 0});
}

TEST_CASE("loss: binary_cross_entropy at probabilities 0 and 1 gives 100 per element", "[loss][ops]") {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    INFO(dtype);
    // Each log is clamped at -100 (PyTorch's rule): p = 0 with t = 1 and
    // p = 1 with t = 0 give 100, the matching pairs give 0.
    const Tensor p = tensor({0, 1, 0, 1}, {.dtype = dtype}).requires_grad_();
    const Tensor t = tensor({1, 0, 0, 1}, {.dtype = dtype});
    require_values(binary_cross_entropy(p, t, Reduction::None), {4}, {100, 100, 0, 0});
    require_values(binary_cross_entropy(p, t), {}, {50});
    // The gradient (p - t) / max(p (1 - p), 1e-12) / 4 is finite: -1e12 / 4, 1e12 / 4, 0, 0.
    binary_cross_entropy(p, t).backward();
    require_values(p.grad(), {4}, {-0.25e12, 0.25e12, 0, 0}, 1e-6);
  }
}

TEST_CASE("loss: binary_cross_entropy_with_logits by hand and at +-1000", "[loss][ops]") {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    INFO(dtype);
    const Tensor x = tensor({0, 2, -3, 1000, -1000}, {.dtype = dtype}).requires_grad_();
    const Tensor t = tensor({1, 0, 1, 1, 1}, {.dtype = dtype});
    // max(x, 0) - x t + log(1 + exp(-|x|)):
    //   x = 0,     t = 1: 0 - 0 + log 2                 = 0.6931471805599453
    //   x = 2,     t = 0: 2 - 0 + log1p(e^-2)           = 2 + 0.1269280110429725 = 2.1269280110429727
    //   x = -3,    t = 1: 0 + 3 + log1p(e^-3)           = 3 + 0.04858735157374206 = 3.048587351573742
    //   x = 1000,  t = 1: 1000 - 1000 + log1p(e^-1000)  = 0
    //   x = -1000, t = 1: 0 + 1000 + log1p(e^-1000)     = 1000
    // sum 1005.8686625431767, mean 201.17373250863534
    const double tol = dtype == DType::Float32 ? 1e-6 : 1e-12;
    require_values(binary_cross_entropy_with_logits(x, t, Reduction::None), {5},
                   {0.6931471805599453, 2.1269280110429727, 3.048587351573742, 0, 1000}, tol);
    require_values(binary_cross_entropy_with_logits(x, t, Reduction::Sum), {}, {1005.8686625431767}, tol);
    require_values(binary_cross_entropy_with_logits(x, t), {}, {201.17373250863534}, tol);
    // gradient (sigmoid(x) - t) / 5:
    //   sigmoid(0) - 1 = -0.5; sigmoid(2) = 0.8807970779778823; sigmoid(-3) - 1 = 0.04742587317756679 - 1;
    //   sigmoid(1000) - 1 = 0; sigmoid(-1000) - 1 = -1
    binary_cross_entropy_with_logits(x, t).backward();
    require_values(x.grad(), {5},
                   {-0.5 / 5, 0.8807970779778823 / 5, (0.04742587317756679 - 1) / 5, 0, -1.0 / 5}, tol);
  }
  // weights: 3 * 0.6931471805599453 + 0.5 * 2.1269280110429727 = 2.0794415416798357 + 1.0634640055214864
  const Tensor x = f64({0, 2}, {2}), t = f64({1, 0}, {2});
  require_values(binary_cross_entropy_with_logits(x, t, Reduction::Sum, f64({3, 0.5}, {2})), {},
                 {3.1429055472013221});
}

TEST_CASE("loss: gaussian_kl by hand", "[loss][ops]") {
  const double ln2 = std::log(2.0);
  const Tensor mu = f64({0, 1, 2, -1}, {2, 2});
  const Tensor logvar = tensor({0, 0, ln2, -ln2}, {2, 2}, {.dtype = DType::Float64});
  // term = -0.5 (1 + logvar - mu^2 - exp(logvar))
  // row 0: -0.5 (1 + 0 - 0 - 1) = 0;          -0.5 (1 + 0 - 1 - 1) = 0.5           -> 0.5
  // row 1: -0.5 (1 + ln2 - 4 - 2) = 2.5 - ln2/2; -0.5 (1 - ln2 - 1 - 0.5) = 0.25 + ln2/2 -> 2.75
  // sum 3.25; mean over the 2 rows 1.625
  require_values(gaussian_kl(mu, logvar, Reduction::None), {2}, {0.5, 2.75});
  require_values(gaussian_kl(mu, logvar, Reduction::Sum), {}, {3.25});
  require_values(gaussian_kl(mu, logvar), {}, {1.625});
  // gradients of the mean: d/dmu = mu / 2, d/dlogvar = 0.5 (exp(logvar) - 1) / 2
  const Tensor m = mu.detach().requires_grad_(), v = logvar.detach().requires_grad_();
  gaussian_kl(m, v).backward();
  require_values(m.grad(), {2, 2}, {0, 0.5, 1, -0.5});
  require_values(v.grad(), {2, 2}, {0, 0, 0.25, -0.125});
  // a batch of one row given as a vector [D] reduces to one value
  require_values(gaussian_kl(f64({0, 1}, {2}), f64({0, 0}, {2}), Reduction::None), {}, {0.5});
}

TEST_CASE("loss: cross_entropy by hand and with large logits", "[loss][ops]") {
  const Tensor logits = f64({0, 0, 0, 1, 2, 3}, {2, 3}).requires_grad_();
  const Tensor target = tensor({1, 2}, {.dtype = DType::Int64});
  // row 0: logsumexp(0, 0, 0) = log 3 = 1.0986122886681098; loss = log 3 - 0
  // row 1: logsumexp(1, 2, 3) = 3 + log(e^-2 + e^-1 + 1) = 3.4076059644443806; loss = that - 3
  // sum 1.5062182531124901; mean 0.7531091265562451
  require_values(cross_entropy(logits, target, Reduction::None), {2}, {1.0986122886681098, 0.4076059644443806});
  require_values(cross_entropy(logits, target, Reduction::Sum), {}, {1.5062182531124901});
  require_values(cross_entropy(logits, target), {}, {0.7531091265562451});
  // gradient of the mean: (softmax - onehot) / 2
  //   row 0: ([1/3, 1/3, 1/3] - [0, 1, 0]) / 2
  //   row 1: ([0.09003057317038043, 0.24472847105479759, 0.6652409557748217] - [0, 0, 1]) / 2
  cross_entropy(logits, target).backward();
  require_values(logits.grad(), {2, 3},
                 {1.0 / 6, -1.0 / 3, 1.0 / 6, 0.09003057317038043 / 2, 0.24472847105479759 / 2,
                  (0.6652409557748217 - 1) / 2});
  for (DType dtype : {DType::Float32, DType::Float64}) {
    INFO(dtype);
    // logsumexp(1000, 0) = 1000 + log(1 + e^-1000) = 1000: loss 0 for class 0;
    // logsumexp(-1000, 1000) = 1000: loss 1000 - (-1000) = 2000 for class 0.
    const Tensor big = tensor({1000, 0, -1000, 1000}, {2, 2}, {.dtype = dtype}).requires_grad_();
    const Tensor t0 = tensor({0, 0}, {.dtype = DType::Int64});
    require_values(cross_entropy(big, t0, Reduction::None), {2}, {0, 2000});
    cross_entropy(big, t0, Reduction::Sum).backward();
    require_values(big.grad(), {2, 2}, {0, 0, -1, 1});
  }
}

// ---------------------------------------------------------------- gradients

TEST_CASE("loss: gradcheck of mse_loss and l1_loss for every reduction", "[loss][ops][gradcheck]") {
  ZENGEN_GRADCHECKED(mse_loss);
  ZENGEN_GRADCHECKED(l1_loss);
  manual_seed(21);
  const Tensor x = rand64({3, 4});
  const Tensor t = rand64({3, 4});
  // l1 away from its kink: |x - t| >= 0.25
  const Tensor away = (x.detach() + where(rand64({3, 4}, false) > 0.0, full({3, 4}, 0.5, {.dtype = DType::Float64}),
                                          full({3, 4}, -0.5, {.dtype = DType::Float64})) +
                       rand64({3, 4}, false) * 0.25)
                          .detach()
                          .requires_grad_();
  for (Reduction r : kReductions) {
    INFO(name(r));
    require_gradcheck([r](auto& in) { return mse_loss(in[0], in[1], r); }, {x, t});
    require_gradcheck([r](auto& in) { return l1_loss(in[0], in[1], r); }, {x, away});
  }
  // non-contiguous input and target
  const Tensor xt = rand64({4, 3}).detach().t().detach().requires_grad_();
  REQUIRE_FALSE(xt.is_contiguous());
  require_gradcheck([](auto& in) { return mse_loss(in[0], in[1], Reduction::Mean); }, {xt, t});
  require_gradcheck([](auto& in) { return mse_loss(in[1], in[0], Reduction::None); }, {xt, t});
}

TEST_CASE("loss: gradcheck of the binary cross-entropies for every reduction, with weights", "[loss][ops][gradcheck]") {
  ZENGEN_GRADCHECKED(binary_cross_entropy);
  ZENGEN_GRADCHECKED(binary_cross_entropy_with_logits);
  manual_seed(22);
  const Tensor p = uniform64({3, 4}, 0.05, 0.95);
  const Tensor t = uniform64({3, 4}, 0.0, 1.0);
  const Tensor logits = uniform64({3, 4}, -4.0, 4.0);
  const Tensor w = uniform64({3, 4}, 0.5, 2.0);
  const Tensor w_row = uniform64({4}, 0.5, 2.0);
  for (Reduction r : kReductions) {
    INFO(name(r));
    require_gradcheck([r](auto& in) { return binary_cross_entropy(in[0], in[1], r); }, {p, t});
    require_gradcheck([r](auto& in) { return binary_cross_entropy(in[0], in[1], r, in[2]); }, {p, t, w});
    require_gradcheck([r](auto& in) { return binary_cross_entropy(in[0], in[1], r, in[2]); }, {p, t, w_row});
    require_gradcheck([r](auto& in) { return binary_cross_entropy_with_logits(in[0], in[1], r); }, {logits, t});
    require_gradcheck([r](auto& in) { return binary_cross_entropy_with_logits(in[0], in[1], r, in[2]); },
                      {logits, t, w_row});
  }
}

TEST_CASE("loss: gradcheck of gaussian_kl for every reduction", "[loss][ops][gradcheck]") {
  ZENGEN_GRADCHECKED(gaussian_kl);
  manual_seed(23);
  const Tensor mu = rand64({3, 5});
  const Tensor logvar = rand64({3, 5});
  for (Reduction r : kReductions) {
    INFO(name(r));
    require_gradcheck([r](auto& in) { return gaussian_kl(in[0], in[1], r); }, {mu, logvar});
  }
  // more leading dims: [2, 3, 4] sums over the last dim, None gives [2, 3]
  require_gradcheck([](auto& in) { return gaussian_kl(in[0], in[1], Reduction::None); },
                    {rand64({2, 3, 4}), rand64({2, 3, 4})});
  REQUIRE(gaussian_kl(rand64({2, 3, 4}), rand64({2, 3, 4}), Reduction::None).shape() == Shape{2, 3});
}

TEST_CASE("loss: gradcheck of cross_entropy for every reduction", "[loss][ops][gradcheck]") {
  ZENGEN_GRADCHECKED(cross_entropy);
  manual_seed(24);
  const Tensor logits = uniform64({4, 5}, -3.0, 3.0);
  const Tensor target = tensor({4, 0, 2, 2}, {.dtype = DType::Int64});
  for (Reduction r : kReductions) {
    INFO(name(r));
    require_gradcheck([&target, r](auto& in) { return cross_entropy(in[0], target, r); }, {logits});
  }
  // non-contiguous logits
  const Tensor lt = uniform64({5, 4}, -3.0, 3.0).detach().t().detach().requires_grad_();
  require_gradcheck([&target](auto& in) { return cross_entropy(in[0], target); }, {lt});
}

TEST_CASE("loss: gradients reach a leaf through None followed by other ops", "[loss][ops]") {
  manual_seed(25);
  const Tensor x = rand64({3, 4}), t = rand64({3, 4});
  const Tensor scale = rand64({3, 4}, false);
  // dense incoming gradient (scale) and an expanded one (from sum)
  require_gradcheck([&scale](auto& in) { return (mse_loss(in[0], in[1], Reduction::None) * scale).sum(); }, {x, t});
  require_gradcheck([](auto& in) { return mse_loss(in[0], in[1], Reduction::None).sum(); }, {x, t});
  require_gradcheck([](auto& in) { return gaussian_kl(in[0], in[1], Reduction::None).mean() * 3.0; }, {x, t});
}

TEST_CASE("loss: double backward (gradient penalties) through mse, bce-with-logits, bce, gaussian_kl, cross_entropy",
          "[loss][ops][gradcheck]") {
  manual_seed(26);
  const Tensor x = rand64({2, 3}), t = rand64({2, 3});
  const Tensor p = uniform64({2, 3}, 0.1, 0.9), w = uniform64({3}, 0.5, 2.0);
  for (Reduction r : kReductions) {
    INFO(name(r));
    auto mse = [r](const std::vector<Tensor>& in) { return mse_loss(in[0], in[1], r); };
    require_gradcheck([mse](auto& in) { return first_gradient(mse, in); }, {x, t});
    auto logits = [r](const std::vector<Tensor>& in) { return binary_cross_entropy_with_logits(in[0], in[1], r, in[2]); };
    require_gradcheck([logits](auto& in) { return first_gradient(logits, in); }, {x, t, w});
    auto bce = [r](const std::vector<Tensor>& in) { return binary_cross_entropy(in[0], in[1], r); };
    require_gradcheck([bce](auto& in) { return first_gradient(bce, in); }, {p, t});
    auto kl = [r](const std::vector<Tensor>& in) { return gaussian_kl(in[0], in[1], r); };
    require_gradcheck([kl](auto& in) { return first_gradient(kl, in); }, {x, t});
    // the gradient w.r.t. logvar: put logvar first
    auto kl_logvar = [r](const std::vector<Tensor>& in) { return gaussian_kl(in[1], in[0], r); };
    require_gradcheck([kl_logvar](auto& in) { return first_gradient(kl_logvar, in); }, {t, x});
    const Tensor target = tensor({2, 0}, {.dtype = DType::Int64});
    auto ce = [r, target](const std::vector<Tensor>& in) { return cross_entropy(in[0], target, r); };
    require_gradcheck([ce](auto& in) { return first_gradient(ce, in); }, {x});
  }
  // A gradient penalty in the shape WGAN-GP uses: || d loss / d x ||^2 as a
  // loss of its own, differentiated w.r.t. x.
  const Tensor y = rand64({2, 3});
  require_gradcheck(
      [](auto& in) {
        autograd::GradModeGuard on(true);  // gradcheck evaluates under NoGradGuard
        const Tensor g = autograd::grad({mse_loss(in[0], in[1])}, {in[0]}, {}, true, true)[0];
        return (g * g).sum();
      },
      {x, y});
}

TEST_CASE("loss: the fused backward and the composed (create_graph) backward agree", "[loss][ops]") {
  manual_seed(27);
  for (DType dtype : {DType::Float32, DType::Float64}) {
    INFO(dtype);
    const double tol = dtype == DType::Float32 ? 1e-5 : 1e-12;
    const Tensor x = (rand({4, 6}, {.dtype = dtype}) * 4.0 - 2.0).detach().requires_grad_();
    const Tensor p = (rand({4, 6}, {.dtype = dtype}) * 0.9 + 0.05).detach().requires_grad_();
    const Tensor t = rand({4, 6}, {.dtype = dtype}).detach().requires_grad_();
    const Tensor w = (rand({6}, {.dtype = dtype}) + 0.5).detach().requires_grad_();
    const Tensor labels = tensor({5, 0, 3, 3}, {.dtype = DType::Int64});
    const std::vector<std::function<Tensor(Reduction)>> losses = {
        [&](Reduction r) { return mse_loss(x, t, r); },
        [&](Reduction r) { return l1_loss(x, t, r); },
        [&](Reduction r) { return binary_cross_entropy(p, t, r, w); },
        [&](Reduction r) { return binary_cross_entropy_with_logits(x, t, r, w); },
        [&](Reduction r) { return gaussian_kl(x, t, r); },
        [&](Reduction r) { return cross_entropy(x, labels, r); },
    };
    for (std::size_t i = 0; i < losses.size(); ++i)
      for (Reduction r : kReductions) {
        INFO("loss " << i << ", reduction " << name(r));
        const Tensor out = losses[i](r);
        const Tensor seed = rand(out.shape(), {.dtype = dtype});
        std::vector<Tensor> inputs = {x, t};
        if (i == 2) inputs = {p, t, w};
        if (i == 3) inputs = {x, t, w};
        if (i == 5) inputs = {x};
        const auto fused = autograd::grad({out}, inputs, {seed}, true, false);
        const auto composed = autograd::grad({out}, inputs, {seed}, true, true);
        for (std::size_t k = 0; k < inputs.size(); ++k) require_close(fused[k], composed[k].detach(), tol);
      }
  }
}

TEST_CASE("loss: large float32 inputs take the parallel path and match a double reference", "[loss][ops]") {
  manual_seed(28);
  const std::int64_t n = (1 << 18) + 37;
  const Tensor x = randn({n}), t = randn({n});
  const auto vx = x.to_vector<double>(), vt = t.to_vector<double>();
  double ref = 0.0;
  for (std::int64_t i = 0; i < n; ++i) ref += (vx[i] - vt[i]) * (vx[i] - vt[i]);
  // the float32 terms are summed in double: close to the double reference
  REQUIRE(std::abs(mse_loss(x, t, Reduction::Sum).item() - ref) <= 1e-6 * ref);
  REQUIRE(std::abs(mse_loss(x, t).item() - ref / n) <= 1e-6 * ref / n);
  // the per-element values and gradients of the parallel path match those of small calls (to rounding:
  // with glibc's vector exp/log, an element may take the vector or the scalar function depending on
  // where it falls in its loop)
  const Tensor xl = x.detach().requires_grad_();
  const Tensor per = binary_cross_entropy_with_logits(xl, t, Reduction::None);
  per.sum().backward();
  const Tensor head = xl.narrow(0, n - 100, 100).detach().requires_grad_();
  const Tensor head_t = t.narrow(0, n - 100, 100);
  binary_cross_entropy_with_logits(head, head_t, Reduction::None).sum().backward();
  require_close(per.narrow(0, n - 100, 100), binary_cross_entropy_with_logits(head, head_t, Reduction::None), 1e-6);
  require_close(xl.grad().narrow(0, n - 100, 100), head.grad(), 1e-6);
  // a large cross-entropy batch (parallel over rows)
  const Tensor logits = randn({4096, 100});
  const Tensor labels = randint(0, 100, {4096});
  const Tensor rows = cross_entropy(logits, labels, Reduction::None);
  REQUIRE(std::abs(cross_entropy(logits, labels).item() - rows.to(DType::Float64).mean().item()) <= 1e-5);
}

TEST_CASE("loss: empty inputs", "[loss][ops]") {
  const Tensor x = zeros({0, 3}), t = zeros({0, 3});
  REQUIRE(mse_loss(x, t, Reduction::None).shape() == Shape{0, 3});
  REQUIRE(mse_loss(x, t, Reduction::Sum).item() == 0.0);
  REQUIRE(std::isnan(mse_loss(x, t).item()));  // the mean of nothing, as PyTorch
  REQUIRE(gaussian_kl(x, t, Reduction::None).shape() == Shape{0});
}

// ---------------------------------------------------------------- bad input

TEST_CASE("loss: bad input gives clear errors", "[loss][ops][errors]") {
  const Tensor a = zeros({2, 3});
  REQUIRE_THROWS_AS(mse_loss(a, zeros({3, 2})), ShapeError);
  REQUIRE_THROWS_WITH(mse_loss(a, zeros({3, 2})),
                      Catch::Contains("mse_loss: input has shape [2, 3] but target has shape [3, 2]"));
  // a target that would broadcast is still refused
  REQUIRE_THROWS_WITH(l1_loss(a, zeros({3})), Catch::Contains("l1_loss: input has shape [2, 3] but target has shape [3]"));
  REQUIRE_THROWS_AS(mse_loss(a, zeros({2, 3}, {.dtype = DType::Float64})), DTypeError);
  REQUIRE_THROWS_WITH(mse_loss(a, zeros({2, 3}, {.dtype = DType::Float64})), Catch::Contains("float32 and float64"));
  REQUIRE_THROWS_AS(mse_loss(Tensor(), a), ValueError);
  REQUIRE_THROWS_AS(l1_loss(zeros({2}, {.dtype = DType::Int64}), zeros({2}, {.dtype = DType::Int64})), DTypeError);

  // probabilities outside [0, 1] (NaN included)
  REQUIRE_THROWS_AS(binary_cross_entropy(tensor({0.5, 1.5}), tensor({1, 0})), ValueError);
  REQUIRE_THROWS_WITH(binary_cross_entropy(tensor({0.5, 1.5}), tensor({1, 0})),
                      Catch::Contains("binary_cross_entropy: input must hold probabilities in [0, 1], but element 1") &&
                          Catch::Contains("is 1.5"));
  REQUIRE_THROWS_AS(binary_cross_entropy(tensor({-0.1}), tensor({1})), ValueError);
  REQUIRE_THROWS_AS(binary_cross_entropy(tensor({NAN}), tensor({1})), ValueError);
  REQUIRE_THROWS_WITH(binary_cross_entropy(tensor({0.5, 0.5}), tensor({1, 0}), Reduction::Mean, ones({3})),
                      Catch::Contains("binary_cross_entropy: weight of shape [3] cannot be broadcast to the input's "
                                      "shape [2]"));
  REQUIRE_THROWS_AS(binary_cross_entropy_with_logits(a, a, Reduction::Mean, ones({2, 3}, {.dtype = DType::Float64})),
                    DTypeError);

  // gaussian_kl
  REQUIRE_THROWS_WITH(gaussian_kl(zeros({2, 3}), zeros({2, 4})),
                      Catch::Contains("gaussian_kl: mu has shape [2, 3] but logvar has shape [2, 4]"));
  REQUIRE_THROWS_AS(gaussian_kl(scalar_tensor(0.0), scalar_tensor(0.0)), ShapeError);

  // cross_entropy
  const Tensor logits = zeros({2, 3});
  REQUIRE_THROWS_AS(cross_entropy(logits, tensor({0, 5}, {.dtype = DType::Int64})), ValueError);
  REQUIRE_THROWS_WITH(cross_entropy(logits, tensor({0, 5}, {.dtype = DType::Int64})),
                      Catch::Contains("cross_entropy: target 5 at position 1 is out of range for 3 classes"));
  REQUIRE_THROWS_WITH(cross_entropy(logits, tensor({-1, 0}, {.dtype = DType::Int64})),
                      Catch::Contains("target -1 at position 0 is out of range"));
  REQUIRE_THROWS_AS(cross_entropy(logits, tensor({0, 1})), DTypeError);
  REQUIRE_THROWS_WITH(cross_entropy(logits, tensor({0, 1})), Catch::Contains("target must hold int64 class indices"));
  REQUIRE_THROWS_AS(cross_entropy(logits, tensor({0, 1, 2}, {.dtype = DType::Int64})), ShapeError);
  REQUIRE_THROWS_WITH(cross_entropy(logits, tensor({0, 1, 2}, {.dtype = DType::Int64})),
                      Catch::Contains("target has shape [3] but logits of shape [2, 3] need one class index per row"));
  REQUIRE_THROWS_WITH(cross_entropy(zeros({2, 3, 4}), tensor({0, 1}, {.dtype = DType::Int64})),
                      Catch::Contains("cross_entropy: expected logits of shape [N, K]"));
}
