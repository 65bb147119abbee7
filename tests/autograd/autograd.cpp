// The autograd engine: accumulation, graph freeing, deep graphs, grad mode,
// detach, retain_grad, double backward, autograd::grad, gradcheck itself.
#include "helpers.hpp"

using namespace zengen;
using zengen::testing::rand64;
using zengen::testing::require_values;

TEST_CASE("autograd: gradients of a small expression", "[autograd]") {
  // f = sum(x * y + x^2) -> df/dx = y + 2x, df/dy = x
  const Tensor x = tensor({1, 2, 3}, {.dtype = DType::Float64}).requires_grad_();
  const Tensor y = tensor({4, 5, 6}, {.dtype = DType::Float64}).requires_grad_();
  const Tensor f = (x * y + x.pow(2)).sum();
  REQUIRE(f.item() == 4 + 10 + 18 + 1 + 4 + 9);
  f.backward();
  require_values(x.grad(), {3}, {6, 9, 12});
  require_values(y.grad(), {3}, {1, 2, 3});
  REQUIRE(x.is_leaf());
  REQUIRE_FALSE(f.is_leaf());
  REQUIRE(f.grad_fn()->name() == "sum");
}

TEST_CASE("autograd: gradients accumulate across backward calls until zero_grad", "[autograd]") {
  const Tensor x = tensor({1, 2}, {.dtype = DType::Float64}).requires_grad_();
  (x * 3.0).sum().backward();
  (x * x).sum().backward();
  require_values(x.grad(), {2}, {3 + 2, 3 + 4});
  x.zero_grad();
  REQUIRE_FALSE(x.grad().defined());
  (x * 2.0).sum().backward();
  require_values(x.grad(), {2}, {2, 2});
}

TEST_CASE("autograd: a tensor used twice sums both paths; shared gradients stay separate", "[autograd]") {
  const Tensor a = tensor({2.0}, {.dtype = DType::Float64}).requires_grad_();
  const Tensor b = tensor({3.0}, {.dtype = DType::Float64}).requires_grad_();
  const Tensor c = a + b;  // both receive the same gradient tensor
  (c * c).sum().backward();
  require_values(a.grad(), {1}, {10});
  require_values(b.grad(), {1}, {10});
  // Accumulating into a's gradient must not change b's.
  (a * 1.0).sum().backward();
  require_values(a.grad(), {1}, {11});
  require_values(b.grad(), {1}, {10});
}

TEST_CASE("autograd: a chain of 100,000 ops runs backward and is freed without recursion", "[autograd]") {
  const Tensor x = tensor({1.0}, {.dtype = DType::Float64}).requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = y * 1.0 + 0.0;
  y.sum().backward();
  require_values(x.grad(), {1}, {1.0});
  // Building another long chain and dropping it unused must not overflow the
  // stack either (destruction is iterative).
  {
    Tensor z = x;
    for (int i = 0; i < 100000; ++i) z = z + 1.0;
  }
  SUCCEED("no stack overflow");
}

TEST_CASE("autograd: backward on a non-scalar needs an explicit gradient", "[autograd][errors]") {
  const Tensor x = ones({2, 2}).requires_grad_();
  const Tensor y = x * 2.0;
  REQUIRE_THROWS_AS(y.backward(), ValueError);
  REQUIRE_THROWS_WITH(y.backward(), Catch::Contains("shape [2, 2] without a gradient"));
  REQUIRE_THROWS_AS(y.backward(ones({3})), ShapeError);
  y.backward(full({2, 2}, 0.5));
  require_values(x.grad(), {2, 2}, {1, 1, 1, 1});
}

TEST_CASE("autograd: backward twice needs retain_graph", "[autograd][errors]") {
  const Tensor x = ones({2}).requires_grad_();
  const Tensor y = (x * x).sum();
  y.backward(Tensor(), /*retain_graph=*/true);
  y.backward();  // the graph was retained, so this works once more
  require_values(x.grad(), {2}, {4, 4});
  REQUIRE_THROWS_AS(y.backward(), ValueError);
  REQUIRE_THROWS_WITH(y.backward(), Catch::Contains("already freed"));
}

TEST_CASE("autograd: backward on a tensor that does not require grad", "[autograd][errors]") {
  const Tensor x = ones({2});
  REQUIRE_THROWS_AS(x.sum().backward(), ValueError);
  REQUIRE_THROWS_AS(ones({2}, {.dtype = DType::Int64}).requires_grad_(), DTypeError);
}

TEST_CASE("autograd: NoGradGuard stops recording, per thread, and restores", "[autograd]") {
  const Tensor x = ones({2}).requires_grad_();
  {
    NoGradGuard guard;
    const Tensor y = x * 2.0;
    REQUIRE_FALSE(y.requires_grad());
    REQUIRE_FALSE(y.grad_fn());
    REQUIRE_FALSE(autograd::GradMode::is_enabled());
    {
      NoGradGuard nested;
    }
    REQUIRE_FALSE(autograd::GradMode::is_enabled());
  }
  REQUIRE(autograd::GradMode::is_enabled());
  REQUIRE((x * 2.0).requires_grad());
}

TEST_CASE("autograd: detach cuts the graph but shares storage", "[autograd]") {
  const Tensor x = tensor({1, 2}, {.dtype = DType::Float64}).requires_grad_();
  const Tensor y = x * 3.0;
  const Tensor d = y.detach();
  REQUIRE_FALSE(d.requires_grad());
  REQUIRE(d.storage() == y.storage());
  (y * d).sum().backward();  // d is a constant: dy/dx * d = 3 * d
  require_values(x.grad(), {2}, {9, 18});
}

TEST_CASE("autograd: retain_grad keeps a non-leaf gradient", "[autograd]") {
  const Tensor x = tensor({1, 2}, {.dtype = DType::Float64}).requires_grad_();
  Tensor h = x * 2.0;
  h.retain_grad();
  (h * h).sum().backward();
  require_values(h.grad(), {2}, {4, 8});
  require_values(x.grad(), {2}, {8, 16});
}

TEST_CASE("autograd: a gradient stored under create_graph is the leaf's own, so a later backward adds into it",
          "[autograd]") {
  // sum's gradient is a stride-0 expand of one value, and a + b hands the
  // same gradient to both leaves: stored as it is, the next backward's
  // in-place accumulation would add every element into that one value and
  // into the other leaf's gradient too.
  const Tensor a = tensor({1.0, 2.0, 3.0}, {.dtype = DType::Float64}).requires_grad_();
  const Tensor b = tensor({4.0, 5.0, 6.0}, {.dtype = DType::Float64}).requires_grad_();
  (a + b).sum().backward(Tensor(), false, /*create_graph=*/true);
  require_values(a.grad(), {3}, {1, 1, 1});
  (a * 2.0).sum().backward();
  require_values(a.grad(), {3}, {3, 3, 3});
  require_values(b.grad(), {3}, {1, 1, 1});
}

TEST_CASE("autograd: create_graph gives differentiable gradients (double backward)", "[autograd]") {
  // f = x^3 -> f' = 3x^2 -> f'' = 6x
  const Tensor x = tensor({2.0, -1.0}, {.dtype = DType::Float64}).requires_grad_();
  const Tensor f = x.pow(3).sum();
  const auto g = autograd::grad({f}, {x}, {}, true, /*create_graph=*/true);
  require_values(g[0], {2}, {12, 3});
  REQUIRE(g[0].requires_grad());
  g[0].sum().backward();
  require_values(x.grad(), {2}, {12, -6});

  // Through exp and a saved output: d2/dx2 exp(x) = exp(x)
  const Tensor z = tensor({0.5}, {.dtype = DType::Float64}).requires_grad_();
  const auto gz = autograd::grad({exp(z).sum()}, {z}, {}, true, true);
  const auto gzz = autograd::grad({gz[0].sum()}, {z});
  require_values(gzz[0], {1}, {std::exp(0.5)});
}

TEST_CASE("autograd: autograd::grad returns gradients without touching .grad()", "[autograd]") {
  const Tensor x = tensor({1, 2}, {.dtype = DType::Float64}).requires_grad_();
  const Tensor unused = tensor({1.0}, {.dtype = DType::Float64}).requires_grad_();
  const Tensor y = (x * x).sum();
  const auto g = autograd::grad({y}, {x}, {}, /*retain_graph=*/true);
  require_values(g[0], {2}, {2, 4});
  REQUIRE_FALSE(x.grad().defined());
  REQUIRE_THROWS_AS(autograd::grad({y}, {x, unused}, {}, true), ValueError);
  const auto g2 = autograd::grad({y}, {x, unused}, {}, true, false, /*allow_unused=*/true);
  REQUIRE_FALSE(g2[1].defined());
}

TEST_CASE("autograd: to(dtype) and clone pass gradients through", "[autograd]") {
  const Tensor x = tensor({1, 2}).requires_grad_();  // float32
  const Tensor y = x.to(DType::Float64).clone();
  REQUIRE(y.dtype() == DType::Float64);
  (y * y).sum().backward();
  REQUIRE(x.grad().dtype() == DType::Float32);
  require_values(x.grad(), {2}, {2, 4});
}

TEST_CASE("autograd: gradcheck catches a wrong gradient", "[autograd][gradcheck]") {
  // An op with a deliberately wrong backward: gradcheck must say so.
  auto wrong_square = [](const Tensor& x) {
    Tensor out = (x * x).detach();
    return autograd::record("wrong_square", out, {&x},
                            [x](const Tensor& g) { return std::vector<Tensor>{g * x * 3.0}; });
  };
  const Tensor x = rand64({3});
  const auto result = autograd::gradcheck([&](auto& in) { return wrong_square(in[0]); }, {x});
  REQUIRE_FALSE(result.ok);
  REQUIRE_THAT(result.message, Catch::Contains("analytic"));
  REQUIRE(autograd::gradcheck([](auto& in) { return in[0] * in[0]; }, {x}).ok);
  REQUIRE_THROWS_AS(autograd::gradcheck([](auto& in) { return in[0]; }, {ones({2}).requires_grad_()}), DTypeError);
}
