// Views and joins: shapes, shared storage, values, gradcheck, errors.
#include "helpers.hpp"

using namespace zengen;
using zengen::testing::rand64;
using zengen::testing::require_gradcheck;
using zengen::testing::require_values;

namespace {
Tensor iota64(const Shape& shape) { return arange(static_cast<double>(shape.numel()), {.dtype = DType::Float64}).reshape(shape); }
}  // namespace

TEST_CASE("view: reshape and view share storage when strides allow", "[ops][view]") {
  const Tensor x = iota64({2, 3, 4});
  const Tensor r = x.reshape({6, -1});
  REQUIRE(r.shape() == Shape{6, 4});
  REQUIRE(r.storage() == x.storage());
  REQUIRE(x.view({4, 6}).storage() == x.storage());
  REQUIRE(x.flatten().shape() == Shape{24});
  REQUIRE(x.flatten(1).shape() == Shape{2, 12});
  REQUIRE(x.flatten(0, 1).shape() == Shape{6, 4});
  REQUIRE(r.at({5, 3}) == 23);
  // A transposed tensor cannot be viewed flat; reshape copies.
  const Tensor t = x.transpose(1, 2);  // [2, 4, 3]
  REQUIRE_THROWS_AS(t.view({24}), ShapeError);
  const Tensor flat = t.reshape({24});
  REQUIRE(flat.storage() != x.storage());
  REQUIRE(flat.at({1}) == 4);  // t[0, 0, 1] = x[0, 1, 0]
  // but splitting a dim of a permuted tensor is still a view
  REQUIRE(t.view({2, 2, 2, 3}).storage() == x.storage());
  REQUIRE(scalar_tensor(5.0).reshape({1, 1}).shape() == Shape{1, 1});
}

TEST_CASE("view: permute, transpose, unsqueeze, squeeze, expand", "[ops][view]") {
  const Tensor x = iota64({2, 3, 4});
  const Tensor p = x.permute({2, 0, 1});
  REQUIRE(p.shape() == Shape{4, 2, 3});
  REQUIRE(p.strides() == Shape{1, 12, 4});
  REQUIRE(p.at({3, 1, 2}) == x.at({1, 2, 3}));
  REQUIRE(x.transpose(0, -1).shape() == Shape{4, 3, 2});
  REQUIRE(x.unsqueeze(1).shape() == Shape{2, 1, 3, 4});
  REQUIRE(x.unsqueeze(-1).shape() == Shape{2, 3, 4, 1});
  REQUIRE(x.unsqueeze(0).unsqueeze(3).squeeze().shape() == Shape{2, 3, 4});
  REQUIRE(x.unsqueeze(1).squeeze(1).shape() == Shape{2, 3, 4});
  REQUIRE(x.squeeze(0).shape() == Shape{2, 3, 4});  // size 2: unchanged
  const Tensor col = iota64({3, 1});
  const Tensor e = col.expand({2, 3, 4});
  REQUIRE(e.shape() == Shape{2, 3, 4});
  REQUIRE(e.strides() == Shape{0, 1, 0});
  REQUIRE(e.at({1, 2, 3}) == 2);
  REQUIRE(col.expand({-1, 5}).shape() == Shape{3, 5});
  REQUIRE(expand_as(col, x).shape() == x.shape());
}

TEST_CASE("view: narrow, slice and select", "[ops][view]") {
  const Tensor x = iota64({4, 5});
  require_values(x.narrow(1, 1, 2), {4, 2}, {1, 2, 6, 7, 11, 12, 16, 17});
  require_values(slice(x, 1, 0, 5, 2), {4, 3}, {0, 2, 4, 5, 7, 9, 10, 12, 14, 15, 17, 19});
  require_values(slice(x, 0, -2, 100), {2, 5}, {10, 11, 12, 13, 14, 15, 16, 17, 18, 19});
  REQUIRE(slice(x, 0, 3, 1).shape() == Shape{0, 5});
  require_values(x.select(0, -1), {5}, {15, 16, 17, 18, 19});
  require_values(x.select(1, 2), {4}, {2, 7, 12, 17});
  REQUIRE(x.select(1, 2).storage() == x.storage());
  // views write through to the base
  Tensor y = iota64({4, 5});
  y.narrow(0, 1, 1).fill_(-1);
  REQUIRE(y.at({1, 3}) == -1);
  REQUIRE(y.at({2, 3}) == 13);
}

TEST_CASE("view: cat and stack", "[ops][view]") {
  const Tensor a = iota64({2, 2}), b = iota64({2, 3}) + 10.0;
  require_values(cat({a, b}, 1), {2, 5}, {0, 1, 10, 11, 12, 2, 3, 13, 14, 15});
  require_values(cat({a, a}, 0), {4, 2}, {0, 1, 2, 3, 0, 1, 2, 3});
  require_values(cat({a.t(), a}, -1), {2, 4}, {0, 2, 0, 1, 1, 3, 2, 3});
  require_values(stack({a, a * 2.0}, 0), {2, 2, 2}, {0, 1, 2, 3, 0, 2, 4, 6});
  require_values(stack({a, a * 2.0}, 2), {2, 2, 2}, {0, 0, 1, 2, 2, 4, 3, 6});
}

TEST_CASE("view: contiguous copies only when needed", "[ops][view]") {
  const Tensor x = iota64({3, 4});
  REQUIRE(x.contiguous().is_same(x));
  const Tensor c = x.t().contiguous();
  REQUIRE(c.is_contiguous());
  REQUIRE(c.at({3, 2}) == 11);
}

TEST_CASE("view: gradcheck of shape views", "[ops][view][gradcheck]") {
  ZENGEN_GRADCHECKED(reshape);
  ZENGEN_GRADCHECKED(view);
  ZENGEN_GRADCHECKED(flatten);
  ZENGEN_GRADCHECKED(permute);
  ZENGEN_GRADCHECKED(transpose);
  ZENGEN_GRADCHECKED(unsqueeze);
  ZENGEN_GRADCHECKED(squeeze);
  ZENGEN_GRADCHECKED(expand);
  ZENGEN_GRADCHECKED(expand_as);
  ZENGEN_GRADCHECKED(contiguous);
  manual_seed(11);
  const Tensor x = rand64({2, 3, 4});
  const Tensor w = rand64({24});  // weights make each output element distinct
  require_gradcheck([&](auto& in) { return in[0].reshape({4, 6}) * w.detach().reshape({4, 6}); }, {x});
  require_gradcheck([&](auto& in) { return in[0].transpose(0, 2).reshape({-1}) * w.detach(); }, {x});
  require_gradcheck([](auto& in) { return in[0].view({6, 4}); }, {x});
  require_gradcheck([](auto& in) { return in[0].flatten(1) * 2.0; }, {x});
  require_gradcheck([](auto& in) { return in[0].permute({1, 2, 0}) * in[0].permute({1, 2, 0}); }, {x});
  require_gradcheck([](auto& in) { return in[0].transpose(1, 2).contiguous(); }, {x});
  require_gradcheck([](auto& in) { return in[0].unsqueeze(1).squeeze(1) * in[0]; }, {x});
  require_gradcheck([](auto& in) { return in[0].unsqueeze(0).squeeze(); }, {x});
  const Tensor col = rand64({3, 1});
  require_gradcheck([](auto& in) { return in[0].expand({2, 3, 4}) * in[1]; }, {col, x});
  require_gradcheck([](auto& in) { return expand_as(in[0], in[1]) * in[1]; }, {col, x});
}

TEST_CASE("view: gradcheck of narrow, slice, select, cat, stack", "[ops][view][gradcheck]") {
  ZENGEN_GRADCHECKED(narrow);
  ZENGEN_GRADCHECKED(slice);
  ZENGEN_GRADCHECKED(select);
  ZENGEN_GRADCHECKED(cat);
  ZENGEN_GRADCHECKED(stack);
  manual_seed(12);
  const Tensor x = rand64({4, 5}), y = rand64({4, 2});
  require_gradcheck([](auto& in) { return in[0].narrow(1, 1, 3); }, {x});
  require_gradcheck([](auto& in) { return slice(in[0], 1, 0, 5, 2) * 3.0; }, {x});
  require_gradcheck([](auto& in) { return slice(in[0].t(), 0, 1, 4, 2); }, {x});
  require_gradcheck([](auto& in) { return in[0].select(0, 2) * 2.0; }, {x});
  require_gradcheck([](auto& in) { return in[0].select(1, -1); }, {x});
  require_gradcheck([](auto& in) { return cat({in[0], in[1], in[0].narrow(1, 0, 1)}, 1); }, {x, y});
  require_gradcheck([](auto& in) { return stack({in[0].narrow(1, 0, 2), in[1]}, 1); }, {x, y});
}

TEST_CASE("view: bad input gives clear errors", "[ops][view][errors]") {
  const Tensor x = zeros({2, 3});
  REQUIRE_THROWS_WITH(x.reshape({4, 2}), Catch::Contains("reshape: shape [4, 2] is invalid for a tensor of shape [2, 3]"));
  REQUIRE_THROWS_AS(x.reshape({-1, -1}), ShapeError);
  REQUIRE_THROWS_AS(x.reshape({-1, 4}), ShapeError);
  REQUIRE_THROWS_AS(x.permute({0, 0}), ValueError);
  REQUIRE_THROWS_AS(x.permute({0}), ShapeError);
  REQUIRE_THROWS_AS(x.transpose(0, 2), ValueError);
  REQUIRE_THROWS_WITH(x.transpose(0, 2), Catch::Contains("dim 2 is out of range"));
  REQUIRE_THROWS_AS(x.expand({4, 3}), ShapeError);
  REQUIRE_THROWS_AS(x.expand({3}), ShapeError);
  REQUIRE_THROWS_AS(x.narrow(1, 2, 2), ValueError);
  REQUIRE_THROWS_AS(x.select(0, 2), ValueError);
  REQUIRE_THROWS_AS(x.select(0, -3), ValueError);
  REQUIRE_THROWS_AS(slice(x, 1, 0, 2, 0), ValueError);
  REQUIRE_THROWS_AS(cat({x, zeros({3, 3})}, 1), ShapeError);
  REQUIRE_THROWS_WITH(cat({x, zeros({3, 3})}, 1), Catch::Contains("cat: tensor 1 has shape [3, 3]"));
  REQUIRE_THROWS_AS(cat({x, zeros({2, 3}, {.dtype = DType::Float64})}), DTypeError);
  REQUIRE_THROWS_AS(cat({}), ValueError);
  REQUIRE_THROWS_AS(stack({x, zeros({3, 2})}), ShapeError);
  REQUIRE_THROWS_AS(x.flatten(1, 0), ValueError);
}
