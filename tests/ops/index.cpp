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

TEST_CASE("index: gradcheck, with repeated indices accumulating", "[ops][index][gradcheck]") {
  ZENGEN_GRADCHECKED(index_select);
  ZENGEN_GRADCHECKED(index_add);
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

TEST_CASE("index: every dim of a 3-d tensor against a per-index loop, any dtype, threaded sizes",
          "[ops][index]") {
  manual_seed(32);
  // [6, 50, 300] = 90,000 elements: large enough for the kernels' threads.
  const Tensor x = rand64({6, 50, 300}, false);
  const std::vector<std::vector<std::int64_t>> picks{{5, 0, 5, 2}, {49, -1, 0, 7, 7, 7, 12}, {299, 0, 150, -300}};
  for (std::int64_t dim = 0; dim < 3; ++dim) {
    INFO("dim " << dim);
    const auto& p = picks[static_cast<std::size_t>(dim)];
    const std::int64_t size = x.size(dim);
    // The reference: one slice at a time.
    std::vector<Tensor> slices;
    for (std::int64_t v : p) slices.push_back(x.select(dim, v < 0 ? v + size : v).unsqueeze(dim));
    const Tensor expected = cat(slices, dim);
    for (DType dtype : {DType::Float64, DType::Float32, DType::Int64}) {
      INFO("dtype " << dtype);
      const Tensor got = index_select(x.to(dtype), dim, idx(p));
      REQUIRE(got.dtype() == dtype);
      require_values(got.to(DType::Float64), expected.shape(), expected.to(dtype).to(DType::Float64).to_vector<double>());
    }
    // A non-contiguous input (transposed) selects the same values.
    const Tensor t = x.transpose(0, 2).contiguous().transpose(0, 2);  // x's values, other strides
    REQUIRE_FALSE(t.is_contiguous());
    require_values(index_select(t, dim, idx(p)), expected.shape(), expected.to_vector<double>());

    // index_add: repeated indices add up; against one slice at a time.
    Shape source_shape = x.shape();
    source_shape[static_cast<std::size_t>(dim)] = static_cast<std::int64_t>(p.size());
    const Tensor source = rand64(source_shape, false);
    Tensor reference = x.clone();
    for (std::size_t i = 0; i < p.size(); ++i) {
      Tensor row = reference.select(dim, p[i] < 0 ? p[i] + size : p[i]);
      row.copy_(row + source.select(dim, static_cast<std::int64_t>(i)));
    }
    require_values(index_add(x, dim, idx(p), source), x.shape(), reference.to_vector<double>(), 1e-12);
    require_values(index_add(x, dim, idx(p), source.transpose(0, 2).contiguous().transpose(0, 2)), x.shape(),
                   reference.to_vector<double>(), 1e-12);
  }
  // Bool selects too (a mask's rows).
  const Tensor mask = gt(x, 0.5);
  require_values(index_select(mask, 1, idx({3, 1})).to(DType::Float64), {6, 2, 300},
                 cat({mask.select(1, 3).unsqueeze(1), mask.select(1, 1).unsqueeze(1)}, 1).to(DType::Float64).to_vector<double>());
  // No indices: an empty result, and index_add leaves x as it is.
  REQUIRE(index_select(x, 1, idx({})).shape() == Shape{6, 0, 300});
  require_values(index_add(x, 1, idx({}), zeros({6, 0, 300}, {.dtype = DType::Float64})), x.shape(),
                 x.to_vector<double>());
}
