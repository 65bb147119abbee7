// index_select and index_add: values, repeated indices, gradcheck, errors.
#include "helpers.hpp"

using namespace zengen;
using zengen::testing::rand64;
using zengen::testing::require_gradcheck;
using zengen::testing::require_values;

namespace {
Tensor idx(std::vector<std::int64_t> v) { return from_vector(v, {static_cast<std::int64_t>(v.size())}); }
}  // namespace

TEST_CASE("index: index_select picks slices, index_add adds them back", "[ops][index]") {
  const Tensor x = arange(12, {.dtype = DType::Float64}).reshape({4, 3});
  require_values(index_select(x, 0, idx({2, 0, 2})), {3, 3}, {6, 7, 8, 0, 1, 2, 6, 7, 8});
  require_values(index_select(x, 1, idx({-1})), {4, 1}, {2, 5, 8, 11});
  const Tensor base = zeros({3, 2}, {.dtype = DType::Float64});
  const Tensor src = ones({4, 2}, {.dtype = DType::Float64});
  require_values(index_add(base, 0, idx({0, 2, 2, 0}), src), {3, 2}, {2, 2, 0, 0, 2, 2});
}

ZENGEN_GRADCHECKED(index_select);
ZENGEN_GRADCHECKED(index_add);
TEST_CASE("index: gradcheck, with repeated indices accumulating", "[ops][index][gradcheck]") {
  manual_seed(31);
  const Tensor x = rand64({4, 3}), s = rand64({3, 3});
  require_gradcheck([](auto& in) { return index_select(in[0], 0, idx({1, 3, 1})); }, {x});
  require_gradcheck([](auto& in) { return index_select(in[0].t(), 1, idx({0, 0, 2})); }, {x});
  require_gradcheck([](auto& in) { return index_add(in[0], 1, idx({2, 0, 2}), in[1]); }, {rand64({3, 3}), s});
  const Tensor w = ones({3, 2}, {.dtype = DType::Float64}).requires_grad_();
  index_select(w, 0, idx({1, 1, 2})).sum().backward();
  require_values(w.grad(), {3, 2}, {0, 0, 2, 2, 1, 1});
}

TEST_CASE("index: bad indices give clear errors", "[ops][index][errors]") {
  const Tensor x = zeros({4, 3});
  REQUIRE_THROWS_AS(index_select(x, 0, idx({4})), ValueError);
  REQUIRE_THROWS_WITH(index_select(x, 0, idx({0, 7})), Catch::Contains("index 7 at position 1 is out of range"));
  REQUIRE_THROWS_AS(index_select(x, 0, tensor({1.0})), DTypeError);
  REQUIRE_THROWS_AS(index_select(x, 0, idx({0, 1}).reshape({1, 2})), ShapeError);
  REQUIRE_THROWS_AS(index_add(x, 0, idx({0}), zeros({2, 3})), ShapeError);
}
