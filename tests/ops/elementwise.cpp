// Element-wise ops: values against plain loops, broadcasting, gradcheck
// (including broadcast and non-contiguous inputs), and bad input.
#include <cmath>

#include "helpers.hpp"

using namespace zengen;
using zengen::testing::rand64;
using zengen::testing::require_gradcheck;
using zengen::testing::require_values;

namespace {
// Reference: out[i] = f(a[i], b[i]) for same-shape inputs.
template <typename F>
std::vector<double> reference(const Tensor& a, const Tensor& b, F f) {
  const auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  std::vector<double> out(va.size());
  for (std::size_t i = 0; i < va.size(); ++i) out[i] = f(va[i], vb[i]);
  return out;
}
}  // namespace

TEST_CASE("elementwise: binary ops match a plain loop", "[ops][elementwise]") {
  manual_seed(1);
  const Tensor a = rand64({3, 4}, false), b = rand64({3, 4}, false) + 2.0;
  require_values(a + b, {3, 4}, reference(a, b, [](double x, double y) { return x + y; }));
  require_values(a - b, {3, 4}, reference(a, b, [](double x, double y) { return x - y; }));
  require_values(a * b, {3, 4}, reference(a, b, [](double x, double y) { return x * y; }));
  require_values(a / b, {3, 4}, reference(a, b, [](double x, double y) { return x / y; }));
  require_values(maximum(a, b - 2.0), {3, 4}, reference(a, b, [](double x, double y) { return std::max(x, y - 2); }));
  require_values(minimum(a, b - 2.0), {3, 4}, reference(a, b, [](double x, double y) { return std::min(x, y - 2); }));
}

TEST_CASE("elementwise: hand-computed values and scalars", "[ops][elementwise]") {
  const Tensor x = tensor({1, 4, 9}, {.dtype = DType::Float64});
  require_values(sqrt(x), {3}, {1, 2, 3});
  require_values(pow(x, 0.5), {3}, {1, 2, 3});
  require_values(pow(x, 2), {3}, {1, 16, 81});
  require_values(pow(x, -1), {3}, {1, 0.25, 1.0 / 9});
  require_values(pow(x, 1.5), {3}, {1, 8, 27});
  require_values(log(exp(x)), {3}, {1, 4, 9});
  require_values(-x, {3}, {-1, -4, -9});
  require_values(abs(x - 5.0), {3}, {4, 1, 4});
  require_values(square(x - 5.0), {3}, {16, 1, 16});
  require_values(clamp(x, 2, 5), {3}, {2, 4, 5});
  require_values(clamp_min(x, 5), {3}, {5, 5, 9});
  require_values(clamp_max(x, 5), {3}, {1, 4, 5});
  require_values(10.0 - x, {3}, {9, 6, 1});
  require_values(36.0 / x, {3}, {36, 9, 4});
  require_values(x / 2.0, {3}, {0.5, 2, 4.5});
  require_values(2.0 * x + 1.0, {3}, {3, 9, 19});
  require_values(log(tensor({0.0}, {.dtype = DType::Float64})), {1}, {-INFINITY});
}

TEST_CASE("elementwise: broadcasting follows NumPy", "[ops][elementwise]") {
  const Tensor col = tensor({1, 2, 3}, {3, 1}, {.dtype = DType::Float64});
  const Tensor row = tensor({10, 20}, {.dtype = DType::Float64});
  require_values(col + row, {3, 2}, {11, 21, 12, 22, 13, 23});
  require_values(row * col, {3, 2}, {10, 20, 20, 40, 30, 60});
  const Tensor s = scalar_tensor(2.0, {.dtype = DType::Float64});
  require_values(col - s, {3, 1}, {-1, 0, 1});
  // [2, 1, 3] with [4, 1] -> [2, 4, 3]
  const Tensor a = arange(6, {.dtype = DType::Float64}).reshape({2, 1, 3});
  const Tensor b = arange(4, {.dtype = DType::Float64}).reshape({4, 1});
  const Tensor c = a + b;
  REQUIRE(c.shape() == Shape{2, 4, 3});
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 3; ++k) REQUIRE(c.at({i, j, k}) == (i * 3 + k) + j);
}

TEST_CASE("elementwise: non-contiguous inputs", "[ops][elementwise]") {
  const Tensor x = arange(12, {.dtype = DType::Float64}).reshape({3, 4});
  const Tensor t = x.t();  // [4, 3], strides [1, 4]
  REQUIRE_FALSE(t.is_contiguous());
  const Tensor y = t * 2.0 + t;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j) REQUIRE(y.at({i, j}) == 3.0 * (j * 4 + i));
  const Tensor sliced = slice(x, 1, 0, 4, 2);  // columns 0 and 2
  require_values(sliced + sliced, {3, 2}, {0, 4, 8, 12, 16, 20});
}

TEST_CASE("elementwise: large float32 tensors take the parallel path correctly", "[ops][elementwise]") {
  manual_seed(3);
  const Tensor a = randn({1 << 18}), b = randn({1 << 18});
  const Tensor c = a * b + a;
  const auto va = a.to_vector<float>(), vb = b.to_vector<float>(), vc = c.to_vector<float>();
  for (std::size_t i = 0; i < va.size(); ++i) {
    volatile float product = va[i] * vb[i];  // two roundings, as two ops do (no FMA)
    REQUIRE(vc[i] == product + va[i]);
  }
  // broadcast over a large outer dim, column vector inner
  const Tensor m = randn({512, 300}), bias = randn({300});
  const Tensor r = m + bias;
  const auto vm = m.to_vector<float>(), vbias = bias.to_vector<float>(), vr = r.to_vector<float>();
  for (std::size_t i = 0; i < vm.size(); ++i) REQUIRE(vr[i] == vm[i] + vbias[i % 300]);
}

TEST_CASE("elementwise: comparisons give Bool masks and where selects", "[ops][elementwise]") {
  const Tensor a = tensor({1, 2, 3, 4}), b = tensor({4, 2, 2, 1});
  const Tensor lt_mask = a < b;
  REQUIRE(lt_mask.dtype() == DType::Bool);
  require_values(lt_mask, {4}, {1, 0, 0, 0});
  require_values(a <= b, {4}, {1, 1, 0, 0});
  require_values(a > b, {4}, {0, 0, 1, 1});
  require_values(a >= b, {4}, {0, 1, 1, 1});
  require_values(eq(a, b), {4}, {0, 1, 0, 0});
  require_values(ne(a, b), {4}, {1, 0, 1, 1});
  require_values(a > 2.5, {4}, {0, 0, 1, 1});
  require_values(where(a > b, a, b), {4}, {4, 2, 3, 4});
  // a non-Bool condition counts non-zero as true
  require_values(where(tensor({0, 1, 0, 2}), a, b), {4}, {4, 2, 2, 4});
  REQUIRE_FALSE(lt_mask.requires_grad());
}

TEST_CASE("elementwise: NaN propagates through maximum, minimum and clamp", "[ops][elementwise]") {
  const Tensor a = tensor({NAN, 1.0}), b = tensor({0.0, NAN});
  REQUIRE(std::isnan(maximum(a, b).at<float>({0})));
  REQUIRE(std::isnan(minimum(a, b).at<float>({0})));
  REQUIRE(std::isnan(clamp(a, 0, 1).at<float>({0})));
}

TEST_CASE("elementwise: gradcheck of add, sub, mul, div with broadcasting", "[ops][elementwise][gradcheck]") {
  ZENGEN_GRADCHECKED(add);
  ZENGEN_GRADCHECKED(sub);
  ZENGEN_GRADCHECKED(mul);
  ZENGEN_GRADCHECKED(div);
  ZENGEN_GRADCHECKED(rsub);
  ZENGEN_GRADCHECKED(rdiv);
  manual_seed(7);
  const Tensor a = rand64({2, 3, 4}), b = rand64({3, 1}), d = rand64({4}) + 3.0;
  const Tensor d_leaf = d.detach().requires_grad_();
  require_gradcheck([](auto& in) { return in[0] + in[1]; }, {a, b});
  require_gradcheck([](auto& in) { return in[0] - in[1]; }, {a, b});
  require_gradcheck([](auto& in) { return in[0] * in[1]; }, {a, b});
  require_gradcheck([](auto& in) { return in[0] / in[1]; }, {a, d_leaf});
  require_gradcheck([](auto& in) { return 3.0 - in[0] * 2.0 + 1.5; }, {a});
  require_gradcheck([](auto& in) { return 2.0 / (in[0] + 3.0) - in[0] / 4.0; }, {a});
}

TEST_CASE("elementwise: gradcheck with non-contiguous inputs", "[ops][elementwise][gradcheck]") {
  manual_seed(8);
  const Tensor base = rand64({4, 3});
  const Tensor other = rand64({3, 4});
  // Transposed and sliced leaves: gradcheck perturbs through their strides.
  const Tensor t = base.detach().t().detach().requires_grad_();
  const Tensor s = slice(other.detach(), 1, 0, 4, 2).detach().requires_grad_();
  REQUIRE_FALSE(t.is_contiguous());
  REQUIRE_FALSE(s.is_contiguous());
  require_gradcheck([](auto& in) { return in[0] * in[0] + in[0]; }, {t});
  require_gradcheck([](auto& in) { return in[0] * in[1]; }, {narrow(t.detach(), 1, 0, 2).detach().requires_grad_(), s});
  // permuted inside the function
  require_gradcheck([](auto& in) { return exp(permute(in[0], {1, 0})) * in[1]; }, {base, other});
}

TEST_CASE("elementwise: gradcheck of unary ops", "[ops][elementwise][gradcheck]") {
  ZENGEN_GRADCHECKED(neg);
  ZENGEN_GRADCHECKED(exp);
  ZENGEN_GRADCHECKED(log);
  ZENGEN_GRADCHECKED(sqrt);
  ZENGEN_GRADCHECKED(pow);
  ZENGEN_GRADCHECKED(abs);
  ZENGEN_GRADCHECKED(square);
  manual_seed(9);
  const Tensor x = rand64({3, 4});
  const Tensor positive = (rand64({3, 4}, false) + 2.0).detach().requires_grad_();
  require_gradcheck([](auto& in) { return -in[0]; }, {x});
  require_gradcheck([](auto& in) { return exp(in[0]); }, {x});
  require_gradcheck([](auto& in) { return log(in[0]); }, {positive});
  require_gradcheck([](auto& in) { return sqrt(in[0]); }, {positive});
  require_gradcheck([](auto& in) { return square(in[0]); }, {x});
  for (double p : {2.0, 3.0, 0.5, -1.0, -2.5, 1.0, 0.0}) {
    INFO("exponent " << p);
    require_gradcheck([p](auto& in) { return pow(in[0], p); }, {positive});
  }
  // abs away from its kink at 0
  const Tensor away = (rand64({3, 4}, false) * 0.5 + where(rand64({3, 4}, false) > 0.0, full({3, 4}, 1.0, {.dtype = DType::Float64}),
                                                            full({3, 4}, -1.0, {.dtype = DType::Float64})))
                          .detach()
                          .requires_grad_();
  require_gradcheck([](auto& in) { return abs(in[0]); }, {away});
}

TEST_CASE("elementwise: gradcheck of clamp, maximum, minimum, where", "[ops][elementwise][gradcheck]") {
  ZENGEN_GRADCHECKED(clamp);
  ZENGEN_GRADCHECKED(clamp_min);
  ZENGEN_GRADCHECKED(clamp_max);
  ZENGEN_GRADCHECKED(maximum);
  ZENGEN_GRADCHECKED(minimum);
  ZENGEN_GRADCHECKED(where);
  // Values kept away from the kinks (clamp bounds, ties).
  const Tensor x = tensor({-2.0, -0.3, 0.2, 0.7, 1.9, 3.0}, {2, 3}, {.dtype = DType::Float64}).requires_grad_();
  const Tensor y = tensor({-1.0, 0.4, -0.6, 1.5, 1.0, 2.5}, {2, 3}, {.dtype = DType::Float64}).requires_grad_();
  const Tensor row = tensor({0.1, -0.5, 2.0}, {.dtype = DType::Float64}).requires_grad_();
  require_gradcheck([](auto& in) { return clamp(in[0], -0.5, 1.0); }, {x});
  require_gradcheck([](auto& in) { return clamp_min(in[0], -0.5); }, {x});
  require_gradcheck([](auto& in) { return clamp_max(in[0], 1.0); }, {x});
  require_gradcheck([](auto& in) { return maximum(in[0], in[1]); }, {x, y});
  require_gradcheck([](auto& in) { return minimum(in[0], in[1]); }, {x, y});
  require_gradcheck([](auto& in) { return maximum(in[0], in[1]); }, {x, row});
  const Tensor cond = tensor({1, 0, 1}) > 0.5;
  require_gradcheck([&](auto& in) { return where(cond, in[0], in[1]); }, {x, row});
}

TEST_CASE("elementwise: gradients at kinks follow the documented rule", "[ops][elementwise]") {
  const Tensor a = tensor({1.0, 2.0}, {.dtype = DType::Float64}).requires_grad_();
  const Tensor b = tensor({1.0, 3.0}, {.dtype = DType::Float64}).requires_grad_();
  maximum(a, b).sum().backward();
  require_values(a.grad(), {2}, {0.5, 0.0});  // tie: half each
  require_values(b.grad(), {2}, {0.5, 1.0});
  const Tensor x = tensor({-1.0, 0.0, 1.0, 2.0}, {.dtype = DType::Float64}).requires_grad_();
  clamp(x, 0.0, 1.0).sum().backward();
  require_values(x.grad(), {4}, {0, 1, 1, 0});  // bounds included, as PyTorch
  const Tensor z = tensor({-1.0, 0.0, 1.0}, {.dtype = DType::Float64}).requires_grad_();
  abs(z).sum().backward();
  require_values(z.grad(), {3}, {-1, 0, 1});
}

TEST_CASE("elementwise: bad input gives clear errors", "[ops][elementwise][errors]") {
  const Tensor a = zeros({2, 3}), b = zeros({4});
  REQUIRE_THROWS_AS(a + b, ShapeError);
  REQUIRE_THROWS_WITH(a + b, Catch::Contains("add: shapes [2, 3] and [4] cannot be broadcast"));
  REQUIRE_THROWS_WITH(a * zeros({3, 3}), Catch::Contains("mul: shapes [2, 3] and [3, 3]"));
  REQUIRE_THROWS_AS(a + zeros({2, 3}, {.dtype = DType::Float64}), DTypeError);
  REQUIRE_THROWS_WITH(a + zeros({2, 3}, {.dtype = DType::Float64}), Catch::Contains("float32 and float64"));
  REQUIRE_THROWS_AS(exp(zeros({2}, {.dtype = DType::Int64})), DTypeError);
  REQUIRE_THROWS_AS(exp(Tensor()), ValueError);
  REQUIRE_THROWS_AS(clamp(a, 2, 1), ValueError);
  REQUIRE_THROWS_AS(eq(a, zeros({2, 3}, {.dtype = DType::Int64})), DTypeError);
}

TEST_CASE("elementwise: in-place add_ and mul_ are refused on grad-requiring tensors", "[ops][elementwise]") {
  Tensor w = ones({3}).requires_grad_();
  REQUIRE_THROWS_AS(add_(w, ones({3})), ValueError);
  {
    NoGradGuard guard;
    add_(w, full({3}, 2.0), -0.5);
    mul_(w, 4.0);
  }
  require_values(w, {3}, {0, 0, 0});
  Tensor v = ones({2, 3});
  add_(v, tensor({1, 2, 3}));  // broadcast row
  require_values(v, {2, 3}, {2, 3, 4, 2, 3, 4});
  REQUIRE_THROWS_AS(add_(v, ones({3, 3})), ShapeError);
}
