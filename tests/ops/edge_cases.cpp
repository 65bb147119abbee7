// Edge cases checked against PyTorch 1.13 (issue 16): an empty slice has a
// zero gradient, max along a dim sends its gradient to the index it
// returns, and the rule for mean and var over too few elements (an error,
// where PyTorch gives NaN).
#include <catch2/catch.hpp>

#include <vector>

#include "zengen/zengen.hpp"

using namespace zengen;

namespace {
std::vector<double> values(const Tensor& t) { return t.to(DType::Float64).contiguous().to_vector<double>(); }
}  // namespace

TEST_CASE("slice that selects nothing: an empty view with a zero gradient", "[ops][view]") {
  // PyTorch: x[-7:-6:3] of 5 elements is empty; its gradient is zeros(5).
  const Tensor x = arange(5.0, {.dtype = DType::Float64}).requires_grad_();
  const Tensor y = slice(x, 0, -7, -6, 3);
  REQUIRE(y.shape() == Shape{0});
  sum(y).backward();
  REQUIRE(values(x.grad()) == std::vector<double>(5, 0.0));
  // Start past the end, and a 2-d case beside a non-empty slice.
  const Tensor m = ones({3, 4}, {.dtype = DType::Float64}).requires_grad_();
  const Tensor e = slice(m, 1, 3, 1);
  REQUIRE(e.shape() == Shape{3, 0});
  (sum(e) + sum(slice(m, 1, 1, 4, 2))).backward();
  REQUIRE(values(m.grad()) == std::vector<double>{0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1});
  // Twice differentiable: the gradient of the empty slice's embedding.
  const Tensor z = arange(5.0, {.dtype = DType::Float64}).requires_grad_();
  const Tensor g = autograd::grad({sum(slice(z, 0, 4, 2) * slice(z, 0, 4, 2))}, {z}, {}, true, true)[0];
  REQUIRE(values(g) == std::vector<double>(5, 0.0));
  REQUIRE(g.requires_grad());
  sum(g * g).backward();
  REQUIRE(values(z.grad()) == std::vector<double>(5, 0.0));
}

TEST_CASE("max along a dim: ties send the gradient to the returned index alone", "[ops][reduction]") {
  // PyTorch: torch.max(x, 0) of [1, 3, 3, 2] is (3, 1); x.grad = [0, 1, 0, 0].
  const Tensor x = tensor({1.0, 3.0, 3.0, 2.0}, {.dtype = DType::Float64}).requires_grad_();
  const MaxResult r = max(x, 0);
  REQUIRE(r.indices.item<std::int64_t>() == 1);
  r.values.backward();
  REQUIRE(values(x.grad()) == std::vector<double>{0, 1, 0, 0});
  // 2-d, both dims, keepdim, with a weighted upstream gradient.
  const Tensor m = tensor({5, 5, 1, 2, 2, 2}, {2, 3}, {.dtype = DType::Float64}).requires_grad_();
  const MaxResult rows = max(m, 1, true);
  REQUIRE(values(rows.indices) == std::vector<double>{0, 0});
  sum(rows.values * tensor({10.0, 20.0}, {2, 1}, {.dtype = DType::Float64})).backward();
  REQUIRE(values(m.grad()) == std::vector<double>{10, 0, 0, 20, 0, 0});
  const Tensor c = tensor({5, 5, 1, 5, 2, 2}, {2, 3}, {.dtype = DType::Float64}).requires_grad_();
  sum(max(c, 0).values).backward();
  REQUIRE(values(c.grad()) == std::vector<double>{1, 1, 0, 0, 0, 1});
  // The full reduction still shares among ties (as PyTorch's max() does).
  const Tensor f = tensor({1.0, 3.0, 3.0}, {.dtype = DType::Float64}).requires_grad_();
  max(f).backward();
  REQUIRE(values(f.grad()) == std::vector<double>{0, 0.5, 0.5});
}

TEST_CASE("mean over no element and var with a divisor of 0 are ValueErrors (PyTorch: NaN)", "[ops][reduction]") {
  REQUIRE_THROWS_AS(mean(zeros({0})), ValueError);
  REQUIRE_THROWS_WITH(mean(zeros({0})), "mean: reducing over zero elements (shape [0])");
  REQUIRE_THROWS_WITH(mean(zeros({2, 0}), {1}), Catch::Contains("zero elements (shape [2, 0])"));
  REQUIRE_THROWS_WITH(var(tensor({1.0})),
                      "var: 1 element(s) per reduction in shape [1] (the unbiased estimate needs at least 2)");
  REQUIRE_THROWS_AS(var(zeros({3, 1}), {1}), ValueError);
  REQUIRE(values(var(tensor({1.0}), false)) == std::vector<double>{0.0});
  REQUIRE_THROWS_AS(var(zeros({0}), false), ValueError);
}
