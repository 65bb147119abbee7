// Optimizers, clipping and schedules: a few steps against hand-computed
// updates (PyTorch's rules), state saved and restored bit for bit, the
// schedules' closed forms, clipping values, bad input, and a small MLP that
// learns XOR.
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

#include "cpu/optim.hpp"
#include "helpers.hpp"

using namespace zengen;
using namespace zengen::optim;
using zengen::testing::require_values;

namespace {

Tensor param64(std::initializer_list<double> values) {
  return tensor(values, {.dtype = DType::Float64}).requires_grad_();
}

/// grad = w, from backward of 0.5 * sum(w^2).
void quadratic_backward(const Tensor& w) { (w * w * 0.5).sum().backward(); }

/// Runs `steps` steps of opt on the quadratic and returns w after each.
std::vector<std::vector<double>> run_quadratic(Optimizer& opt, const Tensor& w, int steps) {
  std::vector<std::vector<double>> path;
  for (int i = 0; i < steps; ++i) {
    opt.zero_grad();
    quadratic_backward(w);
    opt.step();
    path.push_back(w.to_vector<double>());
  }
  return path;
}

/// Bit-for-bit equality, reporting the first difference.
template <typename T>
void require_same(const std::vector<T>& got, const std::vector<T>& expected) {
  REQUIRE(got.size() == expected.size());
  std::size_t differ = 0, first = got.size();
  for (std::size_t i = 0; i < got.size(); ++i)
    if (!(got[i] == expected[i])) {
      if (!differ) first = i;
      ++differ;
    }
  INFO(differ << " elements differ; the first at " << first << ": "
              << (differ ? got[first] : T(0)) << " vs " << (differ ? expected[first] : T(0)));
  REQUIRE(differ == 0);
}

void require_path(const std::vector<std::vector<double>>& got, const std::vector<std::vector<double>>& expected,
                  double tol = 1e-12) {
  REQUIRE(got.size() == expected.size());
  for (std::size_t s = 0; s < got.size(); ++s)
    for (std::size_t i = 0; i < got[s].size(); ++i) {
      INFO("step " << s + 1 << ", element " << i << ": got " << got[s][i] << ", expected " << expected[s][i]);
      REQUIRE(std::abs(got[s][i] - expected[s][i]) <= tol * (1.0 + std::abs(expected[s][i])));
    }
}

}  // namespace

// ---------------------------------------------------------------- SGD

TEST_CASE("optim: SGD on a quadratic, plain and with weight decay", "[optim]") {
  // f(w) = 0.5 |w|^2, so g = w; lr 0.1: w <- w - 0.1 w = 0.9 w
  {
    const Tensor w = param64({1, -2});
    SGD opt({w}, {.lr = 0.1});
    require_path(run_quadratic(opt, w, 2), {{0.9, -1.8}, {0.81, -1.62}});
  }
  // weight decay 0.1: d = g + 0.1 w = 1.1 w; w <- w - 0.1 * 1.1 w = 0.89 w
  {
    const Tensor w = param64({1, -2});
    SGD opt({w}, {.lr = 0.1, .weight_decay = 0.1});
    require_path(run_quadratic(opt, w, 2), {{0.89, -1.78}, {0.7921, -1.5842}});
  }
}

TEST_CASE("optim: SGD with momentum, dampening and Nesterov", "[optim]") {
  // momentum 0.9, lr 0.1, g = w:
  //   1: buf = g = [1, -2]                                  w = [1, -2] - 0.1 [1, -2]      = [0.9, -1.8]
  //   2: buf = 0.9 [1, -2] + [0.9, -1.8] = [1.8, -3.6]       w = [0.9, -1.8] - 0.1 buf      = [0.72, -1.44]
  //   3: buf = 0.9 [1.8, -3.6] + [0.72, -1.44] = [2.34, -4.68] w = [0.72, -1.44] - 0.1 buf   = [0.486, -0.972]
  {
    const Tensor w = param64({1, -2});
    SGD opt({w}, {.lr = 0.1, .momentum = 0.9});
    require_path(run_quadratic(opt, w, 3), {{0.9, -1.8}, {0.72, -1.44}, {0.486, -0.972}});
  }
  // dampening 0.5 (the first step still sets buf = g):
  //   1: buf = [1, -2]; w = [0.9, -1.8]
  //   2: buf = 0.9 [1, -2] + 0.5 [0.9, -1.8] = [1.35, -2.7]; w = [0.9, -1.8] - 0.1 buf = [0.765, -1.53]
  {
    const Tensor w = param64({1, -2});
    SGD opt({w}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.5});
    require_path(run_quadratic(opt, w, 2), {{0.9, -1.8}, {0.765, -1.53}});
  }
  // Nesterov: d = g + 0.9 buf
  //   1: buf = [1, -2]; d = [1.9, -3.8]; w = [1, -2] - 0.1 d = [0.81, -1.62]
  //   2: g = [0.81, -1.62]; buf = 0.9 [1, -2] + g = [1.71, -3.42]; d = g + 0.9 buf = [2.349, -4.698];
  //      w = [0.81, -1.62] - 0.1 d = [0.5751, -1.1502]
  {
    const Tensor w = param64({1, -2});
    SGD opt({w}, {.lr = 0.1, .momentum = 0.9, .nesterov = true});
    require_path(run_quadratic(opt, w, 2), {{0.81, -1.62}, {0.5751, -1.1502}});
  }
}

// ---------------------------------------------------------------- Adam, AdamW

TEST_CASE("optim: Adam on a quadratic", "[optim]") {
  // lr 0.1, betas (0.9, 0.999), eps 1e-8, g = w = [1, -2]:
  //   1: m = 0.1 g = [0.1, -0.2]; v = 0.001 g^2 = [0.001, 0.004]
  //      bias corrections 1 - 0.9 = 0.1 and 1 - 0.999 = 0.001; step size 0.1 / 0.1 = 1
  //      denom = sqrt(v) / sqrt(0.001) + eps = [1, 2] + 1e-8
  //      w = [1 - 0.1 / (1 + 1e-8), -2 + 0.2 / (2 + 1e-8)] = [0.900000001, -1.9000000005]
  //   2: g = [0.900000001, -1.9000000005]; m = 0.9 m + 0.1 g = [0.1800000001, -0.37000000005]
  //      v = 0.999 v + 0.001 g^2 = [0.001809000001..., 0.00760600000...]
  //      step size 0.1 / (1 - 0.81) = 0.5263157894736842; bias_correction2 = 1 - 0.998001 = 0.001999
  //      w = w - 0.5263... m / (sqrt(v / 0.001999) + 1e-8) = [0.8004122297123382, -1.8001664866210927]
  //   3: (likewise) [0.701586274504415, -1.7006233928121137]
  const Tensor w = param64({1, -2});
  Adam opt({w}, {.lr = 0.1});
  require_path(run_quadratic(opt, w, 3), {{0.900000001, -1.9000000005},
                                          {0.8004122297123382, -1.8001664866210927},
                                          {0.701586274504415, -1.7006233928121137}});
  // the state after three steps
  const auto state = opt.state_dict();
  REQUIRE(state.at("0.step").item<std::int64_t>() == 3);
  require_values(state.at("0.exp_avg"), {2}, {0.24204122306123377, -0.5130166487071092}, 1e-12);
  require_values(state.at("0.exp_avg_sq"), {2}, {0.0024478507392712793, 0.010838993381451839}, 1e-12);
}

TEST_CASE("optim: Adam's L2 weight decay and AdamW's decoupled weight decay", "[optim]") {
  // Adam, weight_decay 0.1, on f(w) = sum(w) (g = 1): the gradient becomes 1 + 0.1 w
  //   1: g' = [1.1, 0.8]; the first step moves each element by lr / (1 + eps / |g'|):
  //      w = [1 - 0.1 * 1.1 / (1.1 + 1e-8), -2 - 0.1 * 0.8 / (0.8 + 1e-8)] = [0.9000000009090909, -2.09999999875]
  //   2, 3: [0.8000248483897221, -2.1999652333159365], [0.7000913544362726, -2.29987200945141]
  {
    const Tensor w = param64({1, -2});
    Adam opt({w}, {.lr = 0.1, .weight_decay = 0.1});
    std::vector<std::vector<double>> path;
    for (int i = 0; i < 3; ++i) {
      opt.zero_grad();
      w.sum().backward();
      opt.step();
      path.push_back(w.to_vector<double>());
    }
    require_path(path, {{0.9000000009090909, -2.09999999875},
                        {0.8000248483897221, -2.1999652333159365},
                        {0.7000913544362726, -2.29987200945141}});
  }
  // AdamW, weight_decay 0.1, lr 0.1, on the quadratic (g = w, taken before the step):
  //   1: w = 0.99 w = [0.99, -1.98], then the Adam step of g = [1, -2] (as above, -0.1 * sign):
  //      [0.99 - 0.1 / (1 + 1e-8), -1.98 + 0.2 / (2 + 1e-8)] = [0.890000001, -1.8800000005]
  //   2, 3: [0.7815718569541611, -1.7614089510885826], [0.6751012231892008, -1.6443686843220089]
  {
    const Tensor w = param64({1, -2});
    AdamW opt({w}, {.lr = 0.1, .weight_decay = 0.1});
    require_path(run_quadratic(opt, w, 3), {{0.890000001, -1.8800000005},
                                            {0.7815718569541611, -1.7614089510885826},
                                            {0.6751012231892008, -1.6443686843220089}});
  }
  // AdamW's default weight decay is 0.01
  REQUIRE(AdamWOptions{}.weight_decay == 0.01);
  REQUIRE(AdamOptions{}.weight_decay == 0.0);
}

TEST_CASE("optim: AMSGrad keeps the largest second moment", "[optim]") {
  // w = 0, gradients 1, 0, 0 (set by hand), lr 0.1:
  //   1: m = 0.1, v = 0.001; w = -0.1 / (1 + 1e-8) = -0.099999999 (both variants)
  //   2: m = 0.09, v = 0.999 * 0.001 = 0.000999 < vmax = 0.001
  //      Adam:    w -= (0.1 / 0.19) * 0.09 / (sqrt(0.000999 / 0.001999) + 1e-8) -> -0.16700582346581133
  //      AMSGrad: w -= (0.1 / 0.19) * 0.09 / (sqrt(0.001 / 0.001999) + 1e-8)    -> -0.16697231217413366
  //   3: Adam -0.21880151981676277, AMSGrad -0.21871621282963083
  for (bool amsgrad : {false, true}) {
    INFO("amsgrad " << amsgrad);
    const Tensor w = param64({0});
    Adam opt({w}, {.lr = 0.1, .amsgrad = amsgrad});
    std::vector<std::vector<double>> path;
    for (double g : {1.0, 0.0, 0.0}) {
      w.set_grad(tensor({g}, {.dtype = DType::Float64}));
      opt.step();
      path.push_back(w.to_vector<double>());
    }
    if (amsgrad)
      require_path(path, {{-0.09999999900000002}, {-0.16697231217413366}, {-0.21871621282963083}});
    else
      require_path(path, {{-0.09999999900000002}, {-0.16700582346581133}, {-0.21880151981676277}});
    REQUIRE(opt.state_dict().count("0.max_exp_avg_sq") == (amsgrad ? 1u : 0u));
  }
}

TEST_CASE("optim: float32 parameters follow the float64 path closely", "[optim]") {
  manual_seed(5);
  const Tensor w64 = randn({1000}, {.dtype = DType::Float64}).requires_grad_();
  const Tensor w32 = w64.detach().to(DType::Float32).requires_grad_();
  Adam a64({w64}, {.lr = 0.01, .amsgrad = true}), a32({w32}, {.lr = 0.01, .amsgrad = true});
  SGD s64({w64}, {.lr = 0.01, .momentum = 0.9, .nesterov = true}), s32({w32}, {.lr = 0.01, .momentum = 0.9, .nesterov = true});
  for (int i = 0; i < 5; ++i) {
    for (Optimizer* opt : std::vector<Optimizer*>{&a64, &a32, &s64, &s32}) {
      opt->zero_grad();
      quadratic_backward(opt->params(0)[0]);
      opt->step();
    }
  }
  REQUIRE(w32.dtype() == DType::Float32);
  zengen::testing::require_close(w32.to(DType::Float64), w64, 1e-5);
}

TEST_CASE("optim: the fused kernels give exactly what the plain reference loops give", "[optim]") {
  // The reference (src/cpu/optim.cpp, cpu::reference) walks one element at a
  // time through the same functors; the optimizers' vectorised, parallel,
  // strided kernels must agree with it bit for bit.
  manual_seed(17);
  for (DType dtype : {DType::Float32, DType::Float64}) {
    INFO(dtype);
    const std::int64_t n = (1 << 17) + 5;  // the parallel path, with a ragged tail
    const Tensor w = randn({n}, {.dtype = dtype}).requires_grad_();
    const Tensor p = w.detach().clone(), m = zeros({n}, {.dtype = dtype}), v = zeros({n}, {.dtype = dtype}),
                 vmax = zeros({n}, {.dtype = dtype});
    AdamW opt({w}, {.lr = 0.01, .weight_decay = 0.1, .amsgrad = true});
    for (int step = 1; step <= 3; ++step) {
      const Tensor g = randn({n}, {.dtype = dtype});
      w.set_grad(g);
      opt.step();
      cpu::reference::adam_update(p, g, m, v, vmax,
                                  optim::functors::AdamScalars::make(0.01, 0.9, 0.999, 1e-8, 0.1, true, step));
    }
    require_same(w.to_vector<double>(), p.to_vector<double>());
    const auto state = opt.state_dict();
    require_same(state.at("0.exp_avg").to_vector<double>(), m.to_vector<double>());
    require_same(state.at("0.exp_avg_sq").to_vector<double>(), v.to_vector<double>());
    require_same(state.at("0.max_exp_avg_sq").to_vector<double>(), vmax.to_vector<double>());

    // SGD with Nesterov momentum and weight decay on a transposed (strided) parameter
    const Tensor s = randn({300, 400}, {.dtype = dtype}).t().detach().requires_grad_();
    REQUIRE_FALSE(s.is_contiguous());
    const Tensor q = s.detach().clone(), buf = zeros({400, 300}, {.dtype = dtype});
    SGD sgd({s}, {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true});
    for (int step = 0; step < 3; ++step) {
      const Tensor g = randn({400, 300}, {.dtype = dtype});
      s.set_grad(g);
      sgd.step();
      cpu::reference::sgd_update(q, g, buf, {0.1, 0.9, 0.0, 0.01, true}, step == 0);
    }
    require_same(s.to_vector<double>(), q.to_vector<double>());
  }
}

TEST_CASE("optim: parameters without a gradient are skipped; groups have their own options", "[optim]") {
  const Tensor a = param64({1}), b = param64({1});
  Adam opt(std::vector<ParamGroup<AdamOptions>>{{{a}, {.lr = 0.1}}, {{b}, {.lr = 0.01}}});
  REQUIRE(opt.num_groups() == 2);
  REQUIRE(opt.lr() == 0.1);
  REQUIRE(opt.group_lr(1) == 0.01);
  a.set_grad(tensor({1.0}, {.dtype = DType::Float64}));
  opt.step();  // b has no gradient
  require_values(a, {1}, {0.900000001}, 1e-12);
  require_values(b, {1}, {1});
  REQUIRE(opt.state_dict().at("1.step").item<std::int64_t>() == 0);
  b.set_grad(tensor({1.0}, {.dtype = DType::Float64}));
  opt.step();  // b's first step, with its own lr: 1 - 0.01 / (1 + 1e-8)
  require_values(b, {1}, {0.9900000001}, 1e-12);
  opt.set_lr(0.5);
  REQUIRE(opt.group_lr(1) == 0.5);
  opt.zero_grad();
  REQUIRE_FALSE(a.grad().defined());
  REQUIRE_FALSE(b.grad().defined());
  REQUIRE(opt.parameters().size() == 2);
}

TEST_CASE("optim: strided parameters and broadcast gradients update correctly", "[optim]") {
  // a transposed leaf and an expanded (stride 0) gradient
  const Tensor base = arange(6, {.dtype = DType::Float64}).reshape({2, 3});
  const Tensor w = base.t().detach().requires_grad_();
  REQUIRE_FALSE(w.is_contiguous());
  SGD opt({w}, {.lr = 0.5, .momentum = 0.5});
  w.set_grad(expand(scalar_tensor(2.0, {.dtype = DType::Float64}), {3, 2}));
  opt.step();  // w - 0.5 * 2
  require_values(w, {3, 2}, {-1, 2, 0, 3, 1, 4});
  opt.step();  // buf = 0.5 * 2 + 2 = 3: w - 1.5
  require_values(w, {3, 2}, {-2.5, 0.5, -1.5, 1.5, -0.5, 2.5});
}

// ---------------------------------------------------------------- state

TEST_CASE("optim: state saved and restored continues bit for bit", "[optim]") {
  manual_seed(11);
  auto make_params = [] {
    return std::vector<Tensor>{randn({4, 3}).requires_grad_(), randn({5}, {.dtype = DType::Float64}).requires_grad_()};
  };
  auto step_with_grads = [](Optimizer& opt, int seed) {
    manual_seed(static_cast<std::uint64_t>(seed));
    for (const Tensor& p : opt.parameters()) p.set_grad(randn(p.shape(), {.dtype = p.dtype()}));
    opt.step();
  };
  auto check = [&](auto make_optimizer) {
    const auto first = make_params();
    auto opt = make_optimizer(first);
    for (int s = 0; s < 3; ++s) step_with_grads(*opt, 100 + s);
    const auto saved = opt->state_dict();
    // a fresh optimizer over copies of the parameters, loaded with the state
    std::vector<Tensor> second;
    for (const Tensor& p : first) second.push_back(p.detach().clone().requires_grad_());
    auto restored = make_optimizer(second);
    restored->load_state_dict(saved);
    for (int s = 0; s < 4; ++s) {
      step_with_grads(*opt, 200 + s);
      step_with_grads(*restored, 200 + s);
    }
    for (std::size_t i = 0; i < first.size(); ++i) {
      const auto a = first[i].to_vector<double>(), b = second[i].to_vector<double>();
      REQUIRE(a == b);  // bit for bit
    }
    const auto sa = opt->state_dict(), sb = restored->state_dict();
    REQUIRE(sa.size() == sb.size());
    for (const auto& [key, value] : sa) {
      INFO(key);
      REQUIRE(value.template to_vector<double>() == sb.at(key).template to_vector<double>());
    }
    // the saved dictionary is a copy: later steps did not change it
    REQUIRE(saved.at("0.step").template item<std::int64_t>() == 3);
    return saved;
  };
  const auto adam = check([](const std::vector<Tensor>& p) {
    return std::make_unique<Adam>(p, AdamOptions{.lr = 0.01, .weight_decay = 0.1, .amsgrad = true});
  });
  REQUIRE(adam.count("1.max_exp_avg_sq") == 1);
  REQUIRE(adam.count("groups.0.lr") == 1);
  check([](const std::vector<Tensor>& p) { return std::make_unique<AdamW>(p, AdamWOptions{.lr = 0.01}); });
  const auto sgd = check([](const std::vector<Tensor>& p) {
    return std::make_unique<SGD>(p, SGDOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true});
  });
  REQUIRE(sgd.count("0.momentum_buffer") == 1);
}

TEST_CASE("optim: load_state_dict restores the learning rate and rejects bad entries", "[optim]") {
  const Tensor w = param64({1, 2});
  Adam opt({w}, {.lr = 0.1});
  auto state = opt.state_dict();
  state["groups.0.lr"] = scalar_tensor(0.025, {.dtype = DType::Float64});
  opt.load_state_dict(state);
  REQUIRE(opt.lr() == 0.025);

  auto missing = state;
  missing.erase("0.exp_avg");
  REQUIRE_THROWS_AS(opt.load_state_dict(missing), ValueError);
  REQUIRE_THROWS_WITH(opt.load_state_dict(missing), Catch::Contains("Adam::load_state_dict: missing entry '0.exp_avg'"));
  auto extra = state;
  extra["0.momentum_buffer"] = zeros({2}, {.dtype = DType::Float64});
  REQUIRE_THROWS_WITH(opt.load_state_dict(extra), Catch::Contains("unexpected entry '0.momentum_buffer'"));
  auto wrong_shape = state;
  wrong_shape["0.exp_avg_sq"] = zeros({3}, {.dtype = DType::Float64});
  REQUIRE_THROWS_AS(opt.load_state_dict(wrong_shape), ShapeError);
  REQUIRE_THROWS_WITH(opt.load_state_dict(wrong_shape),
                      Catch::Contains("entry '0.exp_avg_sq' has shape [3] but parameter 0 has shape [2]"));
  auto wrong_dtype = state;
  wrong_dtype["0.exp_avg"] = zeros({2});
  REQUIRE_THROWS_AS(opt.load_state_dict(wrong_dtype), DTypeError);
  auto bad_step = state;
  bad_step["0.step"] = scalar_tensor(1.0, {.dtype = DType::Float64});
  REQUIRE_THROWS_AS(opt.load_state_dict(bad_step), DTypeError);
  // Nothing changed by the failed loads.
  REQUIRE(opt.lr() == 0.025);
  // An SGD state does not load into Adam.
  SGD sgd({param64({1, 2})}, {.lr = 0.1, .momentum = 0.5});
  REQUIRE_THROWS_AS(opt.load_state_dict(sgd.state_dict()), ValueError);
}

// ---------------------------------------------------------------- errors

TEST_CASE("optim: bad parameters and options give clear errors", "[optim][errors]") {
  const Tensor leaf = ones({2}).requires_grad_();
  REQUIRE_THROWS_AS(SGD({leaf * 2.0}), ValueError);
  REQUIRE_THROWS_WITH(SGD({leaf * 2.0}), Catch::Contains("SGD: parameter 0 of shape [2] is not a leaf tensor") &&
                                             Catch::Contains("computed by 'mul'"));
  REQUIRE_THROWS_WITH(Adam({leaf, ones({3})}), Catch::Contains("Adam: parameter 1 of shape [3] does not require grad"));
  REQUIRE_THROWS_WITH(Adam({leaf, leaf}), Catch::Contains("Adam: parameter 1 appears more than once"));
  REQUIRE_THROWS_WITH(Adam(std::vector<Tensor>{}), Catch::Contains("Adam: got an empty parameter list"));
  REQUIRE_THROWS_AS(SGD({zeros({2}, {.dtype = DType::Int64})}), DTypeError);
  REQUIRE_THROWS_WITH(SGD({leaf}, {.lr = -0.1}), Catch::Contains("SGD: lr must be >= 0, got -0.1"));
  REQUIRE_THROWS_WITH(Adam({leaf}, {.lr = -1}), Catch::Contains("Adam: lr must be >= 0"));
  REQUIRE_THROWS_WITH(AdamW({leaf}, {.lr = -1}), Catch::Contains("AdamW: lr must be >= 0"));
  REQUIRE_THROWS_WITH(Adam({leaf}, {.beta1 = 1.0}), Catch::Contains("Adam: beta1 must be in [0, 1)"));
  REQUIRE_THROWS_WITH(Adam({leaf}, {.beta2 = -0.1}), Catch::Contains("beta2 must be in [0, 1)"));
  REQUIRE_THROWS_WITH(Adam({leaf}, {.eps = -1e-8}), Catch::Contains("eps must be >= 0"));
  REQUIRE_THROWS_WITH(SGD({leaf}, {.lr = 0.1, .nesterov = true}), Catch::Contains("nesterov momentum needs momentum > 0"));
  REQUIRE_THROWS_WITH(SGD({leaf}, {.lr = 0.1, .momentum = -0.5}), Catch::Contains("momentum must be >= 0"));
  SGD sgd({leaf}, {.lr = 0.1});
  REQUIRE_THROWS_WITH(sgd.set_lr(-1.0), Catch::Contains("SGD: lr must be >= 0, got -1"));
  REQUIRE_THROWS_AS(sgd.set_lr(NAN), ValueError);
  REQUIRE_THROWS_WITH(sgd.group_lr(3), Catch::Contains("SGD: no parameter group 3"));
  // a gradient of another dtype (set_grad itself refuses other shapes)
  leaf.set_grad(ones({2}, {.dtype = DType::Float64}));
  REQUIRE_THROWS_AS(sgd.step(), DTypeError);
  REQUIRE_THROWS_WITH(sgd.step(), Catch::Contains("SGD: the gradient of parameter 0 has dtype float64"));
}

// ---------------------------------------------------------------- clipping

TEST_CASE("optim: clip_grad_norm_ for the 2-, 1- and infinity norms", "[optim]") {
  auto make = [] {
    const Tensor a = param64({0, 0}), b = param64({0}), c = param64({0});
    a.set_grad(tensor({3, 4}, {.dtype = DType::Float64}));
    b.set_grad(tensor({-12}, {.dtype = DType::Float64}));
    return std::vector<Tensor>{a, b, c};  // c has no gradient
  };
  {
    // total 2-norm sqrt(9 + 16 + 144) = 13; max_norm 6.5: coef = 6.5 / (13 + 1e-6)
    const auto ps = make();
    REQUIRE(clip_grad_norm_(ps, 6.5) == Approx(13.0).epsilon(1e-15));
    const double coef = 6.5 / (13.0 + 1e-6);
    require_values(ps[0].grad(), {2}, {3 * coef, 4 * coef}, 1e-15);
    require_values(ps[1].grad(), {1}, {-12 * coef}, 1e-15);
    REQUIRE_FALSE(ps[2].grad().defined());
  }
  {
    // under the limit: unchanged, and the norm is still returned
    const auto ps = make();
    REQUIRE(clip_grad_norm_(ps, 20.0) == Approx(13.0).epsilon(1e-15));
    require_values(ps[0].grad(), {2}, {3, 4}, 0);
  }
  {
    // infinity norm: max |g| = 12; max_norm 6: coef = 6 / (12 + 1e-6)
    const auto ps = make();
    REQUIRE(clip_grad_norm_(ps, 6.0, INFINITY) == 12.0);
    const double coef = 6.0 / (12.0 + 1e-6);
    require_values(ps[0].grad(), {2}, {3 * coef, 4 * coef}, 1e-15);
  }
  {
    // 1-norm: 3 + 4 + 12 = 19
    const auto ps = make();
    REQUIRE(clip_grad_norm_(ps, 100.0, 1.0) == Approx(19.0).epsilon(1e-15));
    // 3-norm: (27 + 64 + 1728)^(1/3) = 1819^(1/3)
    REQUIRE(clip_grad_norm_(make(), 100.0, 3.0) == Approx(std::cbrt(1819.0)).epsilon(1e-14));
  }
  {
    // float32, large enough for the parallel path: 2^18 elements of 0.5 have norm 0.5 * 2^9 = 256
    const Tensor big = zeros({1 << 18}).requires_grad_();
    big.set_grad(full({1 << 18}, 0.5));
    REQUIRE(clip_grad_norm_({big}, 1.0) == Approx(256.0).epsilon(1e-12));
    REQUIRE(big.grad().at<float>({12345}) == Approx(0.5 / 256.0).epsilon(1e-6));
  }
  {
    // a broadcast (stride 0) gradient is replaced by a copy, not scaled repeatedly
    const Tensor w = zeros({4}).requires_grad_();
    w.set_grad(expand(scalar_tensor(2.0), {4}));
    REQUIRE(clip_grad_norm_({w}, 2.0) == Approx(4.0).epsilon(1e-7));
    require_values(w.grad(), {4}, {1, 1, 1, 1}, 1e-6);
  }
  REQUIRE(clip_grad_norm_({param64({1})}, 1.0) == 0.0);  // no gradients at all
  const Tensor bad = param64({0});
  bad.set_grad(tensor({NAN}, {.dtype = DType::Float64}));
  REQUIRE_THROWS_WITH(clip_grad_norm_({bad}, 1.0, 2.0, true), Catch::Contains("clip_grad_norm_: the total norm"));
  REQUIRE_THROWS_WITH(clip_grad_norm_(make(), -1.0), Catch::Contains("max_norm must be >= 0"));
  REQUIRE_THROWS_WITH(clip_grad_norm_(make(), 1.0, 0.0), Catch::Contains("norm_type must be > 0 or infinity"));
}

TEST_CASE("optim: clip_grad_value_", "[optim]") {
  const Tensor a = param64({0, 0, 0}), b = param64({0});
  a.set_grad(tensor({3, -0.5, 4}, {.dtype = DType::Float64}));
  b.set_grad(tensor({-12}, {.dtype = DType::Float64}));
  clip_grad_value_({a, b}, 3.5);
  require_values(a.grad(), {3}, {3, -0.5, 3.5});
  require_values(b.grad(), {1}, {-3.5});
  REQUIRE_THROWS_WITH(clip_grad_value_({a}, -1.0), Catch::Contains("clip_grad_value_: clip must be >= 0"));
}

// ---------------------------------------------------------------- schedules

namespace {
/// lr() of the schedule and of the optimizer after t = 0, 1, ..., n - 1 steps.
template <typename S>
std::vector<double> lr_sequence(S& schedule, Optimizer& opt, int n) {
  std::vector<double> out;
  for (int t = 0; t < n; ++t) {
    REQUIRE(opt.lr() == schedule.lr());
    out.push_back(opt.lr());
    schedule.step();
  }
  return out;
}
void require_sequence(const std::vector<double>& got, const std::vector<double>& expected) {
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("t = " << i << ": got " << got[i] << ", expected " << expected[i]);
    REQUIRE(std::abs(got[i] - expected[i]) <= 1e-15 * (1 + std::abs(expected[i])));
  }
}
}  // namespace

TEST_CASE("optim: StepLR, ExponentialLR, CosineAnnealingLR and LinearWarmup follow their closed forms", "[optim]") {
  const Tensor w = param64({1});
  {
    SGD opt({w}, {.lr = 1.0});
    StepLR s(opt, 2, 0.5);  // 1 * 0.5^floor(t / 2)
    require_sequence(lr_sequence(s, opt, 6), {1, 1, 0.5, 0.5, 0.25, 0.25});
    REQUIRE(s.last_step() == 6);
  }
  {
    SGD opt({w}, {.lr = 1.0});
    ExponentialLR s(opt, 0.9);  // 0.9^t
    require_sequence(lr_sequence(s, opt, 4), {1, 0.9, 0.81, 0.9 * 0.9 * 0.9});
  }
  {
    SGD opt({w}, {.lr = 1.0});
    CosineAnnealingLR s(opt, 4, 0.1);  // 0.1 + 0.9 (1 + cos(pi t / 4)) / 2
    // t = 1: 0.1 + 0.9 * (1 + 0.7071067811865476) / 2 = 0.8681980515339464
    // t = 2: 0.1 + 0.9 * 0.5 = 0.55; t = 3: 0.1 + 0.9 * (1 - 0.7071...) / 2 = 0.2318019484660536
    // t = 4: 0.1; t = 5: back up, 0.2318...
    require_sequence(lr_sequence(s, opt, 6), {1, 0.8681980515339464, 0.55, 0.2318019484660536, 0.1, 0.2318019484660536});
  }
  {
    SGD opt({w}, {.lr = 1.0});
    LinearWarmup s(opt, 4, 0.2);  // 0.2 + 0.8 min(t, 4) / 4
    require_sequence(lr_sequence(s, opt, 6), {0.2, 0.4, 0.6, 0.8, 1, 1});
  }
  {
    // warmup for 2 steps from 0.5, then a cosine over 4 steps from t = 2
    SGD opt({w}, {.lr = 2.0});
    LinearWarmup s(opt, 2, 0.5, CosineAnnealingLR(opt, 4));
    // t = 0: 2 * 0.5 = 1; t = 1: 2 * 0.75 = 1.5; t = 2: cosine at 0 = 2;
    // t = 3: 2 (1 + cos(pi / 4)) / 2 = 1.7071067811865475; t = 4: 1; t = 6: 0
    require_sequence(lr_sequence(s, opt, 7), {1, 1.5, 2, 1.7071067811865475, 1, 2 * 0.1464466094067262, 0});
    s.set_last_step(2);
    REQUIRE(opt.lr() == 2.0);
  }
  {
    // each group from its own base rate; the update uses the scheduled rate
    const Tensor a = param64({1}), b = param64({1});
    SGD opt(std::vector<ParamGroup<SGDOptions>>{{{a}, {.lr = 1.0}}, {{b}, {.lr = 0.1}}});
    StepLR s(opt, 1, 0.5);
    s.step();
    REQUIRE(s.lrs() == std::vector<double>{0.5, 0.05});
    a.set_grad(tensor({1.0}, {.dtype = DType::Float64}));
    b.set_grad(tensor({1.0}, {.dtype = DType::Float64}));
    opt.step();
    require_values(a, {1}, {0.5});
    require_values(b, {1}, {0.95});
  }
  SGD opt({w}, {.lr = 1.0});
  REQUIRE_THROWS_WITH(StepLR(opt, 0), Catch::Contains("StepLR: step_size must be > 0"));
  REQUIRE_THROWS_WITH(CosineAnnealingLR(opt, 0), Catch::Contains("CosineAnnealingLR: T_max must be > 0"));
  REQUIRE_THROWS_WITH(LinearWarmup(opt, 10, 0.0), Catch::Contains("LinearWarmup: start_factor must be in (0, 1]"));
  REQUIRE_THROWS_WITH(LinearWarmup(opt, 0, 0.5), Catch::Contains("warmup_steps must be > 0"));
  SGD other({param64({1})}, {.lr = 1.0});
  REQUIRE_THROWS_WITH(LinearWarmup(opt, 2, 0.5, StepLR(other, 1)), Catch::Contains("made on another optimizer"));
}

// ---------------------------------------------------------------- end to end

TEST_CASE("optim: a small MLP learns XOR with Adam", "[optim][xor]") {
  manual_seed(3);
  const Tensor x = tensor({0, 0, 0, 1, 1, 0, 1, 1}, {4, 2});
  const Tensor y = tensor({0, 1, 1, 0}, {4, 1});
  const Tensor w1 = (randn({2, 8}) * 0.7).detach().requires_grad_();
  const Tensor b1 = zeros({8}).requires_grad_();
  const Tensor w2 = (randn({8, 1}) * 0.7).detach().requires_grad_();
  const Tensor b2 = zeros({1}).requires_grad_();
  Adam opt({w1, b1, w2, b2}, {.lr = 0.05});
  auto forward = [&] { return matmul(tanh(matmul(x, w1) + b1), w2) + b2; };  // logits [4, 1]
  double loss = 0.0;
  for (int i = 0; i < 500; ++i) {
    opt.zero_grad();
    const Tensor l = binary_cross_entropy_with_logits(forward(), y);
    l.backward();
    opt.step();
    loss = l.item();
  }
  INFO("final loss " << loss);
  REQUIRE(loss < 0.05);
  const auto p = sigmoid(forward()).to_vector<double>();
  REQUIRE(p[0] < 0.1);
  REQUIRE(p[1] > 0.9);
  REQUIRE(p[2] > 0.9);
  REQUIRE(p[3] < 0.1);
}

TEST_CASE("optim: the finiteness check names the first bad gradient; scalars are read in one go", "[optim]") {
  const Tensor a = param64({1.0, 2.0}), b = param64({3.0});
  const Tensor no_grad_yet = param64({5.0});
  const std::vector<std::pair<std::string, Tensor>> named{{"a", a}, {"none", no_grad_yet}, {"b", b}};
  (a * 2.0).sum().backward();
  (b * 3.0).sum().backward();
  CHECK_FALSE(first_non_finite_grad(named).has_value());
  // All on the CPU: no device flag, and the scan does the work.
  CHECK_FALSE(device_gradients_flag(named).defined());
  b.grad().fill_(std::numeric_limits<double>::infinity());
  REQUIRE(first_non_finite_grad(named) == std::optional<std::string>("b"));
  REQUIRE(first_non_finite_grad(named, /*device_grads_finite=*/true) == std::optional<std::string>("b"));
  a.grad().fill_(std::numeric_limits<double>::quiet_NaN());
  REQUIRE(first_non_finite_grad(named) == std::optional<std::string>("a"));

  const auto v = read_scalars({tensor({2.5}), Tensor(), scalar_tensor(-1.0, {.dtype = DType::Float64}),
                               full({1, 1}, 7.0, {.dtype = DType::Int64})});
  REQUIRE(v == std::vector<double>{2.5, 0.0, -1.0, 7.0});
  CHECK_THROWS_AS(read_scalars({tensor({1.0, 2.0})}), ShapeError);
}
