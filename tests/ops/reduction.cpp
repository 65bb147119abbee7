// Reductions: values against plain loops, keepdim, every dim combination,
// non-contiguous inputs, gradcheck, errors.
#include <cmath>

#include "helpers.hpp"

using namespace zengen;
using zengen::testing::rand64;
using zengen::testing::require_gradcheck;
using zengen::testing::require_values;

namespace {
// Reference sum of a [A, B, C] tensor over a subset of dims (keepdim).
std::vector<double> reference_sum(const Tensor& x, bool r0, bool r1, bool r2) {
  const auto A = x.size(0), B = x.size(1), C = x.size(2);
  const auto oa = r0 ? 1 : A, ob = r1 ? 1 : B, oc = r2 ? 1 : C;
  std::vector<double> out(static_cast<std::size_t>(oa * ob * oc), 0.0);
  for (std::int64_t i = 0; i < A; ++i)
    for (std::int64_t j = 0; j < B; ++j)
      for (std::int64_t k = 0; k < C; ++k)
        out[static_cast<std::size_t>(((r0 ? 0 : i) * ob + (r1 ? 0 : j)) * oc + (r2 ? 0 : k))] += x.at({i, j, k});
  return out;
}
}  // namespace

TEST_CASE("reduction: sum over every combination of dims matches a plain loop", "[ops][reduction]") {
  manual_seed(21);
  const Tensor base = rand64({3, 4, 5}, false);
  for (const Tensor& x : {base, base.permute({0, 2, 1}).contiguous().permute({0, 2, 1})}) {
    for (int mask = 1; mask < 8; ++mask) {
      std::vector<std::int64_t> dims;
      Shape keep_shape;
      for (int d = 0; d < 3; ++d) {
        if (mask & (1 << d)) dims.push_back(d);
        keep_shape.push_back(mask & (1 << d) ? 1 : x.size(d));
      }
      INFO("mask " << mask);
      require_values(sum(x, dims, true), keep_shape, reference_sum(x, mask & 1, mask & 2, mask & 4), 1e-12);
    }
  }
}

TEST_CASE("reduction: hand-computed sum, mean, var, max, argmax", "[ops][reduction]") {
  const Tensor x = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, {.dtype = DType::Float64});
  require_values(x.sum(), {}, {21});
  require_values(x.sum({0}), {3}, {5, 7, 9});
  require_values(x.sum({-1}, true), {2, 1}, {6, 15});
  require_values(x.mean(), {}, {3.5});
  require_values(x.mean({1}), {2}, {2, 5});
  require_values(var(x), {}, {3.5});
  require_values(var(x, false), {}, {17.5 / 6});
  require_values(var(x, {1}), {2}, {1, 1});
  require_values(var(x, {0}, false, true), {1, 3}, {2.25, 2.25, 2.25});
  require_values(max(x), {}, {6});
  const auto [values, indices] = max(x, 0);
  require_values(values, {3}, {4, 5, 6});
  REQUIRE(indices.dtype() == DType::Int64);
  require_values(indices, {3}, {1, 1, 1});
  require_values(argmax(x), {}, {5});
  require_values(argmax(x, 1, true), {2, 1}, {2, 2});
  // first index wins on ties; NaN wins over numbers
  require_values(argmax(tensor({1, 3, 3, 2})), {}, {1});
  require_values(max(tensor({1, NAN, 3})), {}, {NAN});
}

TEST_CASE("reduction: large float32 sums are accurate and parallel-safe", "[ops][reduction]") {
  const std::int64_t n = 1 << 22;
  const Tensor x = full({n}, 0.1f);
  REQUIRE(std::abs(x.sum().item() - 0.1 * n) < 1e-3 * 0.1 * n);
  const Tensor m = ones({300, 5000});
  require_values(m.sum({0}).narrow(0, 0, 3), {3}, {300, 300, 300});
  require_values(m.sum({1}).narrow(0, 0, 3), {3}, {5000, 5000, 5000});
  REQUIRE(m.sum({1}).shape() == Shape{300});
}

TEST_CASE("reduction: sum_to reverses broadcasting", "[ops][reduction]") {
  const Tensor g = ones({2, 3, 4}, {.dtype = DType::Float64});
  require_values(sum_to(g, {3, 1}), {3, 1}, {8, 8, 8});
  require_values(sum_to(g, {4}), {4}, {6, 6, 6, 6});
  require_values(sum_to(g, {}), {}, {24});
  REQUIRE(sum_to(g, {2, 3, 4}).is_same(g));
  REQUIRE_THROWS_AS(sum_to(g, {3, 2}), ShapeError);
}

TEST_CASE("reduction: gradcheck", "[ops][reduction][gradcheck]") {
  ZENGEN_GRADCHECKED(sum);
  ZENGEN_GRADCHECKED(mean);
  ZENGEN_GRADCHECKED(var);
  ZENGEN_GRADCHECKED(var_all);
  ZENGEN_GRADCHECKED(max);
  ZENGEN_GRADCHECKED(sum_to);
  manual_seed(22);
  const Tensor x = rand64({3, 4, 2});
  require_gradcheck([](auto& in) { return in[0].sum(); }, {x});
  require_gradcheck([](auto& in) { return in[0].sum({0, 2}); }, {x});
  require_gradcheck([](auto& in) { return in[0].sum({1}, true) * in[0]; }, {x});
  require_gradcheck([](auto& in) { return in[0].permute({2, 0, 1}).sum({2}); }, {x});
  require_gradcheck([](auto& in) { return in[0].mean({1}); }, {x});
  require_gradcheck([](auto& in) { return in[0].mean(); }, {x});
  require_gradcheck([](auto& in) { return var(in[0], {0, 1}); }, {x});
  require_gradcheck([](auto& in) { return var(in[0], {2}, false, true); }, {x});
  require_gradcheck([](auto& in) { return var(in[0]); }, {x});
  require_gradcheck([](auto& in) { return var_all(in[0], false); }, {x});
  require_gradcheck([](auto& in) { return max(in[0]); }, {x});
  require_gradcheck([](auto& in) { return max(in[0], 1).values; }, {x});
  require_gradcheck([](auto& in) { return max(in[0].t(), 0, true).values; }, {rand64({4, 3})});
  require_gradcheck([](auto& in) { return sum_to(in[0], {4, 1}); }, {x});
}

TEST_CASE("reduction: max shares its gradient among ties", "[ops][reduction]") {
  const Tensor x = tensor({1.0, 3.0, 3.0}, {.dtype = DType::Float64}).requires_grad_();
  max(x).backward();
  require_values(x.grad(), {3}, {0, 0.5, 0.5});
}

TEST_CASE("reduction: bad input gives clear errors", "[ops][reduction][errors]") {
  const Tensor x = zeros({2, 3});
  REQUIRE_THROWS_AS(x.sum({2}), ValueError);
  REQUIRE_THROWS_WITH(x.sum({2}), Catch::Contains("sum: dim 2 is out of range"));
  REQUIRE_THROWS_AS(x.sum({1, -1}), ValueError);
  REQUIRE_THROWS_AS(var(zeros({1})), ValueError);
  REQUIRE_THROWS_AS(max(zeros({0})), ValueError);
  REQUIRE_THROWS_AS(argmax(zeros({2, 0}), 1), ValueError);
  REQUIRE_THROWS_AS(sum(zeros({2}, {.dtype = DType::Int64})), DTypeError);
  REQUIRE_THROWS_AS(mean(zeros({0})), ValueError);
}
