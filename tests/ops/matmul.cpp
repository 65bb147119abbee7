// matmul: values against hand-computed numbers and the triple-loop reference
// (strided, transposed and broadcast operands; both dtypes; 1 and 2 threads),
// gradients in float64, NumPy's 1-d rules, empty shapes and bad input.
#include <omp.h>

#include "cpu/matmul.hpp"
#include "helpers.hpp"

using namespace zengen;
using zengen::testing::rand64;
using zengen::testing::require_close;
using zengen::testing::require_gradcheck;
using zengen::testing::require_values;

namespace {

// The reference product of two operands of at least 2 dims.
Tensor reference(const Tensor& a, const Tensor& b) {
  Shape shape = broadcast_shapes(Shape(a.shape().begin(), a.shape().end() - 2),
                                 Shape(b.shape().begin(), b.shape().end() - 2), "reference");
  shape.push_back(a.size(-2));
  shape.push_back(b.size(-1));
  Tensor out = empty(shape, {.dtype = a.dtype()});
  cpu::matmul_reference(out, a, b);
  return out;
}

Tensor random(const Shape& shape, DType dtype) { return rand(shape, {.dtype = dtype}) * 2.0 - 1.0; }

// Float32 sums of a few hundred products: relative error around 1e-6.
double tolerance(DType dtype) { return dtype == DType::Float32 ? 2e-5 : 1e-12; }

// Runs body with OpenMP limited to `threads`, restoring the previous limit.
template <typename F>
void with_threads(int threads, F body) {
  const int previous = omp_get_max_threads();
  omp_set_num_threads(threads);
  body();
  omp_set_num_threads(previous);
}

}  // namespace

TEST_CASE("matmul: 2-d product against hand-computed values", "[matmul]") {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    const Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, {.dtype = dtype});
    const Tensor b = tensor({7, 8, 9, 10, 11, 12}, {3, 2}, {.dtype = dtype});
    const Tensor c = matmul(a, b);
    CHECK(c.dtype() == dtype);
    require_values(c, {2, 2}, {58, 64, 139, 154});
    // The reference loop agrees on the same numbers.
    require_values(reference(a, b), {2, 2}, {58, 64, 139, 154});
    // Transposed operands: b^T a^T = (ab)^T.
    require_values(matmul(b.t(), a.t()), {2, 2}, {58, 139, 64, 154});
  }
}

TEST_CASE("matmul: matches the reference loop on contiguous, transposed and strided operands", "[matmul]") {
  manual_seed(1);
  for (DType dtype : {DType::Float32, DType::Float64}) {
    DYNAMIC_SECTION("dtype " << dtype) {
      // Sizes past Eigen's blocking (and odd, so no size is a multiple of a
      // vector width).
      const std::int64_t n = 131, k = 257, m = 67;
      const Tensor a = random({n, k}, dtype), b = random({k, m}, dtype);
      const Tensor at = random({k, n}, dtype).t(), bt = random({m, k}, dtype).t();  // column-major views
      require_close(matmul(a, b), reference(a, b), tolerance(dtype));
      require_close(matmul(at, b), reference(at, b), tolerance(dtype));
      require_close(matmul(a, bt), reference(a, bt), tolerance(dtype));
      require_close(matmul(at, bt), reference(at, bt), tolerance(dtype));
      // Row-major with a row stride larger than the row (a column slice).
      const Tensor wide = random({n, k + 9}, dtype).narrow(1, 4, k);
      require_close(matmul(wide, b), reference(wide, b), tolerance(dtype));
      // Neither layout: every other column, so the kernel must copy first.
      const Tensor every_other = slice(random({n, 2 * k}, dtype), 1, 0, 2 * k, 2);
      REQUIRE(every_other.stride(-1) == 2);
      require_close(matmul(every_other, b), reference(every_other, b), tolerance(dtype));
      // A broadcast (stride 0) matrix dim.
      const Tensor row = random({1, k}, dtype).expand({n, k});
      require_close(matmul(row, b), reference(row, b), tolerance(dtype));
    }
  }
}

TEST_CASE("matmul: batch dims broadcast and permuted batches match the reference", "[matmul]") {
  manual_seed(2);
  for (DType dtype : {DType::Float32, DType::Float64}) {
    DYNAMIC_SECTION("dtype " << dtype) {
      const Tensor a = random({2, 1, 5, 7}, dtype), b = random({3, 7, 4}, dtype);
      const Tensor c = matmul(a, b);
      REQUIRE(c.shape() == Shape{2, 3, 5, 4});
      require_close(c, reference(a, b), tolerance(dtype));
      // Batch [i][j] really is a[i, 0] @ b[j].
      require_close(c.select(0, 1).select(0, 2), matmul(a.select(0, 1).select(0, 0), b.select(0, 2)),
                    tolerance(dtype));
      // A 2-d operand is shared by every batch of the other.
      const Tensor w = random({7, 6}, dtype);
      require_close(matmul(a, w), reference(a, w), tolerance(dtype));
      // Batch dims permuted to the middle: strided batches, transposed matrices.
      const Tensor p = random({5, 4, 3}, dtype).permute({1, 2, 0});  // [4, 3, 5], column-major matrices
      const Tensor q = random({4, 5, 2}, dtype);
      require_close(matmul(p, q), reference(p, q), tolerance(dtype));
      // Many small products (run in parallel over the batch) and a few large.
      const Tensor sa = random({300, 6, 9}, dtype), sb = random({300, 9, 5}, dtype);
      require_close(matmul(sa, sb), reference(sa, sb), tolerance(dtype));
      const Tensor la = random({9, 70, 80}, dtype), lb = random({80, 90}, dtype);
      require_close(matmul(la, lb), reference(la, lb), tolerance(dtype));
      // Batches of a that are not one evenly strided stack of rows (every
      // other batch; a row slice) must not be folded into one product.
      const Tensor gaps = slice(random({6, 5, 7}, dtype), 0, 0, 6, 2);
      require_close(matmul(gaps, w), reference(gaps, w), tolerance(dtype));
      const Tensor rows = random({3, 8, 7}, dtype).narrow(1, 2, 5);
      require_close(matmul(rows, w), reference(rows, w), tolerance(dtype));
    }
  }
}

TEST_CASE("matmul: one and two threads give the reference result", "[matmul]") {
  manual_seed(3);
  const Tensor a = random({300, 200}, DType::Float64), b = random({200, 250}, DType::Float64);
  const Tensor ba = random({16, 40, 50}, DType::Float64), bb = random({16, 50, 30}, DType::Float64);
  const Tensor expected = reference(a, b), batched = reference(ba, bb);
  for (int threads : {1, 2}) {
    DYNAMIC_SECTION(threads << " thread(s)") {
      with_threads(threads, [&] {
        require_close(matmul(a, b), expected, 1e-12);
        require_close(matmul(ba, bb), batched, 1e-12);
      });
    }
  }
}

TEST_CASE("matmul: 1-d operands follow NumPy", "[matmul]") {
  const Tensor m = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, {.dtype = DType::Float64});
  const Tensor v3 = tensor({1, 0, -1}, {.dtype = DType::Float64});
  const Tensor v2 = tensor({2, -1}, {.dtype = DType::Float64});
  // Matrix @ vector: the vector is a column; its dim is removed.
  require_values(matmul(m, v3), {2}, {-2, -2});
  // Vector @ matrix: the vector is a row.
  require_values(matmul(v2, m), {3}, {-2, -1, 0});
  // Vector @ vector: the dot product, 0-d.
  require_values(matmul(v3, tensor({4, 5, 6}, {.dtype = DType::Float64})), {}, {-2});
  // With batch dims on the other side.
  const Tensor batch = stack({m, m * 2.0});  // [2, 2, 3]
  require_values(matmul(batch, v3), {2, 2}, {-2, -2, -4, -4});
  require_values(matmul(v2, batch), {2, 3}, {-2, -1, 0, -4, -2, 0});
}

TEST_CASE("matmul: empty shapes", "[matmul]") {
  // k = 0: every element is an empty sum.
  const Tensor z = matmul(empty({3, 0}), empty({0, 4}));
  require_values(z, {3, 4}, std::vector<double>(12, 0.0));
  REQUIRE(matmul(empty({0, 5}), ones({5, 2})).shape() == Shape{0, 2});
  REQUIRE(matmul(ones({2, 5}), empty({5, 0})).shape() == Shape{2, 0});
  REQUIRE(matmul(empty({0, 2, 3}), ones({3, 4})).shape() == Shape{0, 2, 4});
  // Gradients of empty products: zeros of the operands' shapes.
  Tensor a = zeros({2, 3, 0}).requires_grad_(), b = zeros({0, 4}).requires_grad_();
  sum(matmul(a, b)).backward();
  REQUIRE(a.grad().shape() == Shape{2, 3, 0});
  require_values(b.grad(), {0, 4}, {});
}

TEST_CASE("matmul: gradcheck", "[matmul][gradcheck]") {
  ZENGEN_GRADCHECKED(matmul);
  manual_seed(4);
  auto mm = [](const std::vector<Tensor>& in) { return matmul(in[0], in[1]); };
  SECTION("2-d") { require_gradcheck(mm, {rand64({3, 4}), rand64({4, 5})}); }
  SECTION("broadcast batch dims: both operands summed back to their shapes") {
    require_gradcheck(mm, {rand64({2, 1, 3, 4}), rand64({3, 4, 2})});
    require_gradcheck(mm, {rand64({3, 4}), rand64({2, 4, 5})});
    require_gradcheck(mm, {rand64({2, 3, 4}), rand64({4, 2})});
    // The shared 2-d weight's gradient is one product over all rows; also
    // when a is not contiguous.
    require_gradcheck(mm, {rand64({2, 3, 2, 4}), rand64({4, 3})});
    auto permuted_rows = [](const std::vector<Tensor>& in) { return matmul(in[0].transpose(0, 1), in[1]); };
    require_gradcheck(permuted_rows, {rand64({3, 2, 4}), rand64({4, 3})});
  }
  SECTION("1-d operands") {
    require_gradcheck(mm, {rand64({4}), rand64({4, 3})});
    require_gradcheck(mm, {rand64({3, 4}), rand64({4})});
    require_gradcheck(mm, {rand64({4}), rand64({4})});
    require_gradcheck(mm, {rand64({4}), rand64({2, 4, 3})});
    require_gradcheck(mm, {rand64({2, 3, 4}), rand64({4})});
  }
  SECTION("non-contiguous: transposed, permuted and sliced inputs") {
    auto transposed = [](const std::vector<Tensor>& in) { return matmul(in[0].t(), in[1].t()); };
    require_gradcheck(transposed, {rand64({4, 3}), rand64({5, 4})});
    auto permuted = [](const std::vector<Tensor>& in) { return matmul(in[0].permute({2, 0, 1}), in[1]); };
    require_gradcheck(permuted, {rand64({3, 4, 2}), rand64({2, 4, 3})});
    auto sliced = [](const std::vector<Tensor>& in) {
      return matmul(slice(in[0], 1, 0, 6, 2), in[1].narrow(0, 1, 3));
    };
    require_gradcheck(sliced, {rand64({2, 6}), rand64({5, 4})});
  }
  SECTION("one operand without grad") {
    const Tensor fixed = rand64({4, 5}, false);
    require_gradcheck([&](const std::vector<Tensor>& in) { return matmul(in[0], fixed); }, {rand64({3, 4})});
  }
}

TEST_CASE("matmul: double backward", "[matmul][gradcheck]") {
  manual_seed(5);
  // The gradient w.r.t. a, as a function of (a, b), is itself differentiable
  // in b: it is g @ b^T with g = 2 (a @ b).
  auto grad_a = [](const std::vector<Tensor>& in) {
    autograd::GradModeGuard on(true);
    const Tensor c = matmul(in[0], in[1]);
    return autograd::grad({sum(square(c))}, {in[0]}, {}, true, true)[0];
  };
  require_gradcheck(grad_a, {rand64({3, 4}), rand64({4, 2})});
  require_gradcheck(grad_a, {rand64({2, 3, 4}), rand64({4, 2})});
}

TEST_CASE("matmul: bad input", "[matmul]") {
  REQUIRE_THROWS_WITH(matmul(ones({3, 4}), ones({5, 6})), "matmul: shapes [3, 4] and [5, 6] cannot be multiplied (4 != 5)");
  REQUIRE_THROWS_AS(matmul(ones({3, 4}), ones({5, 6})), ShapeError);
  REQUIRE_THROWS_WITH(matmul(ones({3}), ones({4})), "matmul: shapes [3] and [4] cannot be multiplied (3 != 4)");
  REQUIRE_THROWS_WITH(matmul(ones({2, 3}), ones({2})), "matmul: shapes [2, 3] and [2] cannot be multiplied (3 != 2)");
  REQUIRE_THROWS_WITH(matmul(ones({2, 3, 4}), ones({3, 4, 5})),
                      "matmul: batch dims of shapes [2, 3, 4] and [3, 4, 5] cannot be broadcast together (2 vs 3)");
  REQUIRE_THROWS_AS(matmul(ones({2, 3, 4}), ones({3, 4, 5})), ShapeError);
  // 0-d operands have no matrix dims.
  REQUIRE_THROWS_AS(matmul(scalar_tensor(2.0), ones({3})), ShapeError);
  REQUIRE_THROWS_AS(matmul(ones({3}), scalar_tensor(2.0)), ShapeError);
  // Dtypes must match and be floating.
  REQUIRE_THROWS_AS(matmul(ones({2, 2}), ones({2, 2}, {.dtype = DType::Float64})), DTypeError);
  REQUIRE_THROWS_AS(matmul(ones({2, 2}, {.dtype = DType::Int64}), ones({2, 2}, {.dtype = DType::Int64})),
                    DTypeError);
  REQUIRE_THROWS_AS(matmul(Tensor(), ones({2, 2})), ValueError);
}
