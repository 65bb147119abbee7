// Shared test helpers: random float64 inputs, gradcheck assertions, value
// comparison; the registry behind the op-coverage test is tests/op_registry.hpp.
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "op_registry.hpp"
#include "zengen/zengen.hpp"

namespace zengen::testing {

/// Random float64 leaf in [-1, 1) (uniform), requiring grad by default.
inline Tensor rand64(const Shape& shape, bool requires_grad = true) {
  Tensor t = rand(shape, {.dtype = DType::Float64}) * 2.0 - 1.0;
  t = t.detach();
  if (requires_grad) t.requires_grad_();
  return t;
}

/// Asserts gradcheck passes, printing the first mismatch otherwise. A pass
/// registers the ops whose nodes fn's graph holds, and the ops claimed by
/// ZENGEN_GRADCHECKED in scope (tests/op_registry.hpp).
inline void require_gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                              const std::vector<Tensor>& inputs, autograd::GradcheckOptions options = {}) {
  const auto result = autograd::gradcheck(fn, inputs, options);
  INFO(result.message);
  REQUIRE(result.ok);
  std::set<std::string> nodes;
  {
    autograd::GradModeGuard on(true);
    nodes = graph_node_names(fn(inputs));
  }
  gradchecks().passed(nodes);
}

/// Asserts t has `shape` and holds `expected` (row-major) within tol.
inline void require_values(const Tensor& t, const Shape& shape, const std::vector<double>& expected,
                           double tol = 1e-6) {
  REQUIRE(t.shape() == shape);
  const auto got = t.to_vector<double>();
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got[i] << ", expected " << expected[i]);
    if (std::isnan(expected[i]))
      REQUIRE(std::isnan(got[i]));
    else if (std::isinf(expected[i]))
      REQUIRE(got[i] == expected[i]);
    else
      REQUIRE(std::abs(got[i] - expected[i]) <= tol * (1.0 + std::abs(expected[i])));
  }
}

/// Asserts two tensors have the same shape and values within tol.
inline void require_close(const Tensor& a, const Tensor& b, double tol = 1e-6) {
  require_values(a, b.shape(), b.to_vector<double>(), tol);
}

}  // namespace zengen::testing
