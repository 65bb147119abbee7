// Activations: values against hand-computed numbers and plain loops,
// stability at +-100 and +-1000, gradients (first and second order) in
// float64 on contiguous and strided inputs, and bad input.
#include <cmath>
#include <limits>

#include "helpers.hpp"

using namespace zengen;
using zengen::testing::rand64;
using zengen::testing::require_close;
using zengen::testing::require_gradcheck;
using zengen::testing::require_values;

namespace {

// The same function applied element by element with plain std:: math.
template <typename F>
std::vector<double> apply(const Tensor& x, F f) {
  std::vector<double> out = x.to_vector<double>();
  for (double& v : out) v = f(v);
  return out;
}

// log_softmax along `dim` with a plain loop over an index, for comparison:
// for every position, the softmax group is the values differing only in dim.
std::vector<double> log_softmax_loop(const Tensor& x, std::int64_t dim) {
  const std::vector<double> v = x.to_vector<double>();
  const Shape& s = x.shape();
  std::int64_t inner = 1;
  for (std::int64_t d = dim + 1; d < s.ndim(); ++d) inner *= s[d];
  const std::int64_t n = s[dim];
  std::vector<double> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::int64_t pos = static_cast<std::int64_t>(i);
    const std::int64_t first = pos - (pos / inner % n) * inner;  // same group, index 0 along dim
    double mx = -std::numeric_limits<double>::infinity();
    for (std::int64_t j = 0; j < n; ++j) mx = std::max(mx, v[first + j * inner]);
    double sum = 0;
    for (std::int64_t j = 0; j < n; ++j) sum += std::exp(v[first + j * inner] - mx);
    out[i] = v[i] - mx - std::log(sum);
  }
  return out;
}

Tensor values64(std::initializer_list<double> v) { return tensor(v, {.dtype = DType::Float64}); }

// Rows of rand64 that stay clear of the kinks of relu / leaky_relu at 0, so
// central differences never straddle one.
Tensor away_from_zero(const Shape& shape) {
  Tensor x = rand64(shape, false);
  x = where(lt(abs(x), 0.05), x + 0.1, x).detach();
  return x.requires_grad_();
}

// The first derivative of sum(w * f(x)) w.r.t. x, built with create_graph, as
// a function gradcheck can differentiate again (second order of f).
template <typename F>
std::function<Tensor(const std::vector<Tensor>&)> first_derivative(F f) {
  return [f](const std::vector<Tensor>& in) {
    autograd::GradModeGuard on(true);  // gradcheck evaluates under NoGradGuard
    return autograd::grad({sum(mul(f(in[0]), in[1]))}, {in[0]}, {}, true, true)[0];
  };
}

}  // namespace

TEST_CASE("activation: values against hand-computed numbers", "[activation]") {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    DYNAMIC_SECTION("dtype " << dtype) {
      const double tol = dtype == DType::Float32 ? 1e-6 : 1e-14;
      const Tensor x = tensor({-2, -0.5, 0, 0.5, 2}, {.dtype = dtype});
      require_values(relu(x), {5}, {0, 0, 0, 0.5, 2}, tol);
      require_values(leaky_relu(x, 0.1), {5}, {-0.2, -0.05, 0, 0.5, 2}, tol);
      require_values(leaky_relu(x), {5}, {-0.02, -0.005, 0, 0.5, 2}, tol);  // default slope 0.01
      require_values(sigmoid(x), {5},
                     {0.11920292202211755, 0.3775406687981454, 0.5, 0.6224593312018546, 0.8807970779778823}, tol);
      require_values(tanh(x), {5},
                     {-0.9640275800758169, -0.46211715726000974, 0, 0.46211715726000974, 0.9640275800758169}, tol);
      require_values(softplus(x), {5},
                     {0.1269280110429725, 0.4740769841801067, 0.6931471805599453, 0.9740769841801067,
                      2.1269280110429727},
                     tol);
      require_values(log_softmax(tensor({1, 2, 3}, {.dtype = dtype})), {3},
                     {-2.4076059644443806, -1.4076059644443806, -0.4076059644443806}, tol);
      // Along dim 0 of a matrix: each column is one softmax.
      require_values(log_softmax(tensor({0, 1, 0, 1}, {2, 2}, {.dtype = dtype}), 0), {2, 2},
                     {-0.6931471805599453, -0.6931471805599453, -0.6931471805599453, -0.6931471805599453}, tol);
      require_values(leaky_relu_backward(tensor({1, 2, 3}, {.dtype = dtype}), tensor({-1, 0, 1}, {.dtype = dtype}), 0.5),
                     {3}, {0.5, 1.0, 3}, tol);
    }
  }
}

TEST_CASE("activation: element-wise ops match plain loops on large strided inputs", "[activation]") {
  manual_seed(11);
  // Large enough to run multi-threaded; transposed so the loops see strides.
  const Tensor x = (randn({300, 400}, {.dtype = DType::Float64}) * 3.0).t();
  require_values(relu(x), x.shape(), apply(x, [](double v) { return v > 0 ? v : 0.0; }), 1e-15);
  require_values(leaky_relu(x, 0.2), x.shape(), apply(x, [](double v) { return v > 0 ? v : 0.2 * v; }), 1e-15);
  require_values(sigmoid(x), x.shape(), apply(x, [](double v) { return 1.0 / (1.0 + std::exp(-v)); }), 1e-14);
  require_values(tanh(x), x.shape(), apply(x, [](double v) { return std::tanh(v); }), 1e-14);
  require_values(softplus(x), x.shape(), apply(x, [](double v) { return std::log(1.0 + std::exp(v)); }), 1e-13);
  // Float32 agrees with float64 to float32 precision.
  const Tensor x32 = x.to(DType::Float32);
  require_close(sigmoid(x32).to(DType::Float64), sigmoid(x), 1e-6);
  require_close(softplus(x32).to(DType::Float64), softplus(x), 1e-6);
}

TEST_CASE("activation: log_softmax matches a plain loop along every dim", "[activation]") {
  manual_seed(12);
  for (DType dtype : {DType::Float32, DType::Float64}) {
    const double tol = dtype == DType::Float32 ? 1e-5 : 1e-12;
    // inner sizes 1, 600 (past one 512-column chunk) and 3*600.
    const Tensor x = randn({3, 4, 600}, {.dtype = dtype}) * 4.0;
    for (std::int64_t dim : {0, 1, 2}) {
      DYNAMIC_SECTION("dtype " << dtype << ", dim " << dim) {
        require_values(log_softmax(x, dim), x.shape(), log_softmax_loop(x, dim), tol);
        // Each softmax sums to 1.
        require_values(sum(exp(log_softmax(x, dim)), {dim}), sum(x, {dim}).shape(),
                       std::vector<double>(static_cast<std::size_t>(x.numel() / x.size(dim)), 1.0), tol * 10);
      }
    }
    // A permuted (non-contiguous) input, and a negative dim.
    const Tensor p = x.permute({2, 0, 1});
    require_values(log_softmax(p, -1), p.shape(), log_softmax_loop(p.contiguous(), 2), tol);
    require_values(log_softmax(p, 0), p.shape(), log_softmax_loop(p.contiguous(), 0), tol);
    // Many rows: the row-parallel path.
    const Tensor rows = randn({2000, 50}, {.dtype = dtype});
    require_values(log_softmax(rows), rows.shape(), log_softmax_loop(rows, 1), tol);
  }
  // 0-d: a softmax over one value.
  require_values(log_softmax(scalar_tensor(5.0)), {}, {0.0});
  REQUIRE(log_softmax(empty({0, 3})).shape() == Shape{0, 3});
}

TEST_CASE("activation: stable and finite at +-100 and +-1000", "[activation]") {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    DYNAMIC_SECTION("dtype " << dtype) {
      const Tensor x = tensor({-1000, -100, 100, 1000}, {.dtype = dtype});
      // sigmoid(-100) = e^-100 / (1 + e^-100) = 3.72e-44: a float32 denormal,
      // so compare it in absolute terms there.
      const double tiny = std::exp(-100.0);
      const auto s = sigmoid(x).to_vector<double>();
      CHECK(s[0] == 0.0);
      CHECK(std::abs(s[1] - tiny) <= (dtype == DType::Float32 ? 1e-44 : 1e-56));
      CHECK(s[2] == 1.0);
      CHECK(s[3] == 1.0);
      const auto sp = softplus(x).to_vector<double>();
      CHECK(sp[0] == 0.0);
      CHECK(std::abs(sp[1] - tiny) <= (dtype == DType::Float32 ? 1e-44 : 1e-56));
      CHECK(sp[2] == 100.0);
      CHECK(sp[3] == 1000.0);
      require_values(tanh(x), {4}, {-1, -1, 1, 1}, 0.0);
      // log_softmax: the max is subtracted first, so nothing overflows.
      require_values(log_softmax(tensor({-1000, 1000, 100}, {.dtype = dtype})), {3}, {-2000, 0, -900}, 1e-7);
      require_values(log_softmax(tensor({1000, 1000}, {.dtype = dtype})), {2},
                     {-0.6931471805599453, -0.6931471805599453}, 1e-6);
      require_values(log_softmax(tensor({-1000, -1000, -100}, {.dtype = dtype})), {3}, {-900, -900, 0}, 1e-7);
      // Gradients there are finite too.
      for (auto f : {+[](const Tensor& t) { return sigmoid(t); }, +[](const Tensor& t) { return softplus(t); },
                     +[](const Tensor& t) { return tanh(t); }, +[](const Tensor& t) { return log_softmax(t); }}) {
        Tensor leaf = x.detach().requires_grad_();
        sum(mul(f(leaf), tensor({1, 2, 3, 4}, {.dtype = dtype}))).backward();
        for (double g : leaf.grad().to_vector<double>()) CHECK(std::isfinite(g));
      }
      // softplus'(x) = sigmoid(x): 0 and 1 at the ends.
      Tensor leaf = x.detach().requires_grad_();
      sum(softplus(leaf)).backward();
      require_values(leaf.grad(), {4}, {0, tiny, 1, 1}, 1e-12);
    }
  }
}

TEST_CASE("activation: NaN propagates", "[activation]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (DType dtype : {DType::Float32, DType::Float64}) {
    const Tensor x = tensor({nan, 1.0}, {.dtype = dtype});
    require_values(leaky_relu(x, 0.1), {2}, {nan, 1.0});
    require_values(sigmoid(x), {2}, {nan, 0.7310585786300049});
    require_values(tanh(x), {2}, {nan, 0.7615941559557649});
    require_values(softplus(x), {2}, {nan, 1.3132616875182228});
    require_values(log_softmax(x), {2}, {nan, nan});
  }
}

TEST_CASE("activation: gradcheck", "[activation][gradcheck]") {
  ZENGEN_GRADCHECKED(relu);
  ZENGEN_GRADCHECKED(leaky_relu);
  ZENGEN_GRADCHECKED(sigmoid);
  ZENGEN_GRADCHECKED(tanh);
  ZENGEN_GRADCHECKED(softplus);
  ZENGEN_GRADCHECKED(log_softmax);
  manual_seed(13);
  using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
  const std::vector<std::pair<const char*, Fn>> ops = {
      {"relu", [](const std::vector<Tensor>& in) { return relu(in[0]); }},
      {"leaky_relu", [](const std::vector<Tensor>& in) { return leaky_relu(in[0], 0.2); }},
      {"sigmoid", [](const std::vector<Tensor>& in) { return sigmoid(in[0] * 4.0); }},
      {"tanh", [](const std::vector<Tensor>& in) { return tanh(in[0] * 2.0); }},
      {"softplus", [](const std::vector<Tensor>& in) { return softplus(in[0] * 4.0); }},
      {"log_softmax", [](const std::vector<Tensor>& in) { return log_softmax(in[0] * 3.0); }},
      {"log_softmax dim 0", [](const std::vector<Tensor>& in) { return log_softmax(in[0] * 3.0, 0); }},
      {"log_softmax dim 1", [](const std::vector<Tensor>& in) { return log_softmax(in[0], 1); }},
  };
  for (const auto& [name, fn] : ops) {
    DYNAMIC_SECTION(name) {
      require_gradcheck(fn, {away_from_zero({2, 3, 4})});
      // Non-contiguous inputs: transposed, permuted, sliced.
      require_gradcheck([&](const std::vector<Tensor>& in) { return fn({in[0].transpose(0, 2)}); },
                        {away_from_zero({4, 3, 2})});
      require_gradcheck([&](const std::vector<Tensor>& in) { return fn({in[0].permute({1, 2, 0})}); },
                        {away_from_zero({4, 2, 3})});
      require_gradcheck([&](const std::vector<Tensor>& in) { return fn({slice(in[0], 2, 1, 9, 2)}); },
                        {away_from_zero({2, 3, 9})});
    }
  }
}

TEST_CASE("activation: leaky_relu_backward is an op with its own gradient", "[activation][gradcheck]") {
  ZENGEN_GRADCHECKED(leaky_relu_backward);
  manual_seed(14);
  const Tensor x = away_from_zero({3, 4}).detach();
  // Linear in grad: its gradient w.r.t. grad is leaky_relu_backward again.
  require_gradcheck([&](const std::vector<Tensor>& in) { return leaky_relu_backward(in[0], x, 0.3); },
                    {rand64({3, 4})});
  // x gets no gradient (zero almost everywhere), which gradcheck also confirms.
  require_gradcheck([](const std::vector<Tensor>& in) { return leaky_relu_backward(in[0], in[1], 0.3); },
                    {rand64({3, 4}), away_from_zero({3, 4})});
  REQUIRE_THROWS_AS(leaky_relu_backward(ones({2, 3}), ones({3, 2}), 0.1), ShapeError);
  REQUIRE_THROWS_AS(leaky_relu_backward(ones({2}), ones({2}, {.dtype = DType::Float64}), 0.1), DTypeError);
}

TEST_CASE("activation: double backward of leaky_relu through autograd::grad", "[activation][gradcheck]") {
  // f = sum(leaky_relu(x)^2): f' = 2 y y' and f'' = 2 y'^2, with y' = 1 or slope.
  const double slope = 0.2;
  Tensor x = values64({-1.5, -0.25, 0.5, 2.0}).requires_grad_();
  const Tensor first = autograd::grad({sum(square(leaky_relu(x, slope)))}, {x}, {}, true, true)[0];
  REQUIRE(first.requires_grad());
  require_values(first, {4}, {2 * 0.04 * -1.5, 2 * 0.04 * -0.25, 1.0, 4.0}, 1e-14);
  const Tensor second = autograd::grad({sum(first)}, {x})[0];
  require_values(second, {4}, {0.08, 0.08, 2.0, 2.0}, 1e-14);
  // relu: the second derivative of sum(relu(x)^2) is 2 on the positive side, 0 elsewhere.
  Tensor r = values64({-1, 3}).requires_grad_();
  const Tensor rfirst = autograd::grad({sum(square(relu(r)))}, {r}, {}, true, true)[0];
  require_values(autograd::grad({sum(rfirst)}, {r})[0], {2}, {0, 2}, 1e-14);
}

TEST_CASE("activation: second-order gradcheck of every activation", "[activation][gradcheck]") {
  manual_seed(15);
  using Act = Tensor (*)(const Tensor&);
  const std::vector<std::pair<const char*, Act>> ops = {
      {"relu", [](const Tensor& t) { return relu(t); }},
      {"leaky_relu", [](const Tensor& t) { return leaky_relu(square(t), 0.2) + leaky_relu(t, 0.2) * t; }},
      {"sigmoid", [](const Tensor& t) { return sigmoid(t * 3.0); }},
      {"tanh", [](const Tensor& t) { return tanh(t * 2.0); }},
      {"softplus", [](const Tensor& t) { return softplus(t * 3.0); }},
      {"log_softmax", [](const Tensor& t) { return log_softmax(t * 2.0, 1); }},
      {"log_softmax dim 0", [](const Tensor& t) { return log_softmax(t, 0); }},
  };
  for (const auto& [name, f] : ops) {
    DYNAMIC_SECTION(name) {
      // With create_graph the backward formulas are recomputed with ops; they
      // must give the same first derivative as the fused kernels (gradcheck
      // below only checks that derivative's own derivative).
      const Tensor x = away_from_zero({3, 4}), w = rand64({3, 4}, false);
      const Tensor fused = autograd::grad({sum(mul(f(x), w))}, {x})[0];
      const Tensor recorded = autograd::grad({sum(mul(f(x), w))}, {x}, {}, true, true)[0];
      require_close(recorded, fused, 1e-14);
      // Weights w make the second derivative non-trivial for log_softmax,
      // whose plain sum has zero gradient.
      require_gradcheck(first_derivative(f), {away_from_zero({3, 4}), rand64({3, 4})});
      // A transposed input goes through the same formulas.
      require_gradcheck(first_derivative([f](const Tensor& t) { return f(t.t()); }),
                        {away_from_zero({4, 3}), rand64({3, 4})});
    }
  }
}

TEST_CASE("activation: bad input", "[activation]") {
  const Tensor ints = ones({3}, {.dtype = DType::Int64});
  REQUIRE_THROWS_AS(relu(ints), DTypeError);
  REQUIRE_THROWS_AS(leaky_relu(ints), DTypeError);
  REQUIRE_THROWS_AS(sigmoid(ints), DTypeError);
  REQUIRE_THROWS_AS(tanh(ints), DTypeError);
  REQUIRE_THROWS_AS(softplus(ints), DTypeError);
  REQUIRE_THROWS_AS(log_softmax(ints), DTypeError);
  REQUIRE_THROWS_WITH(log_softmax(ones({2, 3}), 2),
                      "log_softmax: dim 2 is out of range for a tensor of 2 dims (expected -2 to 1)");
  REQUIRE_THROWS_AS(log_softmax(ones({2, 3}), -3), ValueError);
  REQUIRE_THROWS_AS(relu(Tensor()), ValueError);
}

TEST_CASE("activation: relu passes NaN through, as PyTorch does", "[ops][activation]") {
  const Tensor y = relu(tensor({NAN, -1.0, 2.0}));
  REQUIRE(std::isnan(y.at({0})));
  REQUIRE(y.at({1}) == 0.0);
  REQUIRE(y.at({2}) == 2.0);
}

TEST_CASE("activation: bias_leaky_relu is leaky_relu(x + bias) along dim, in one pass", "[activation]") {
  manual_seed(31);
  struct Case {
    Shape shape;
    std::int64_t dim;
  };
  // A Linear's rows (dim -1), conv planes (dim 1), a middle dim, one big
  // enough for the threaded loops.
  for (const Case& c : {Case{{5, 7}, -1}, Case{{5, 7}, 0}, Case{{3}, 0}, Case{{2, 3, 4, 5}, 1},
                        Case{{2, 3, 4, 5}, 2}, Case{{16, 8, 32, 33}, 1}, Case{{300, 257}, 1}}) {
    for (DType dt : {DType::Float32, DType::Float64}) {
      INFO("shape " << c.shape << " dim " << c.dim << " " << dt);
      const std::int64_t d = c.dim < 0 ? c.dim + c.shape.ndim() : c.dim;
      const Tensor x = randn(c.shape, {.dtype = dt}), bias = randn({c.shape[d]}, {.dtype = dt});
      Shape along(std::vector<std::int64_t>(c.shape.size(), 1));
      along[d] = c.shape[d];
      // The composition rounds x + bias, then scales: the fused op must give
      // the same bits.
      const Tensor want = leaky_relu(x + bias.reshape(along), 0.2);
      const Tensor got = bias_leaky_relu(x, bias, 0.2, c.dim);
      REQUIRE(got.shape() == c.shape);
      REQUIRE(got.to_vector<double>() == want.to_vector<double>());
    }
  }
  // A strided input, slope 0: relu's own bits (+0 below zero, not -0).
  const Tensor m = randn({6, 9}), b = randn({6});
  const auto fused = bias_leaky_relu(m.t(), b, 0.0, 1).to_vector<float>(), plain = relu(m.t() + b).to_vector<float>();
  for (std::size_t i = 0; i < fused.size(); ++i) REQUIRE(std::signbit(fused[i]) == std::signbit(plain[i]));
  REQUIRE(fused == plain);
  require_values(bias_leaky_relu(tensor({-1, 0.5, 2, -4}, {2, 2}), tensor({0.5, -1}), 0.1, 1), {2, 2},
                 {-0.05, -0.05, 2.5, -0.5}, 1e-7);

  REQUIRE_THROWS_AS(bias_leaky_relu(ones({2, 3}), ones({2}), 0.1, 1), ShapeError);
  REQUIRE_THROWS_AS(bias_leaky_relu(ones({2, 3}), ones({3, 1}), 0.1, 1), ShapeError);
  REQUIRE_THROWS_AS(bias_leaky_relu(ones({2, 3}), ones({3}), -0.1, 1), ValueError);
  REQUIRE_THROWS_AS(bias_leaky_relu(ones({2, 3}), ones({3}, {.dtype = DType::Float64}), 0.1, 1), DTypeError);
  REQUIRE_THROWS_AS(bias_leaky_relu(ones({2, 3}), ones({3}), 0.1, 2), ValueError);
}

TEST_CASE("activation: bias_leaky_relu gradients w.r.t. x and bias, first and second order", "[activation][gradcheck]") {
  ZENGEN_GRADCHECKED(bias_leaky_relu);
  manual_seed(32);
  // x + bias must stay clear of the kink at 0: x away from zero, bias small.
  const auto small_bias = [](std::int64_t n) { return (rand64({n}, false) * 0.02).detach().requires_grad_(); };
  for (double slope : {0.2, 0.0}) {
    INFO("slope " << slope);
    require_gradcheck([slope](const std::vector<Tensor>& in) { return bias_leaky_relu(in[0], in[1], slope, 1); },
                      {away_from_zero({2, 3, 4}), small_bias(3)});
    require_gradcheck([slope](const std::vector<Tensor>& in) { return bias_leaky_relu(in[0], in[1], slope, -1); },
                      {away_from_zero({5, 4}), small_bias(4)});
    require_gradcheck(
        [slope](const std::vector<Tensor>& in) { return bias_leaky_relu(in[0].transpose(0, 1), in[1], slope, 0); },
        {away_from_zero({4, 3}), small_bias(3)});
  }
  // Second order: the first derivative w.r.t. x, built with create_graph, is
  // linear in the incoming weights.
  const Tensor bias = (rand64({3}, false) * 0.02).detach();
  require_gradcheck(first_derivative([&](const Tensor& x) { return bias_leaky_relu(x, bias, 0.3, 1); }),
                    {away_from_zero({2, 3, 2}), rand64({2, 3, 2})});
}
