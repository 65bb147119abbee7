// Shared test helpers: random float64 inputs, gradcheck assertions, value
// comparison, and the registry behind the op-coverage test.
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "zengen/zengen.hpp"

namespace zengen::testing {

/// Random float64 leaf in [-1, 1) (uniform), requiring grad by default.
inline Tensor rand64(const Shape& shape, bool requires_grad = true) {
  Tensor t = rand(shape, {.dtype = DType::Float64}) * 2.0 - 1.0;
  t = t.detach();
  if (requires_grad) t.requires_grad_();
  return t;
}

/// Asserts gradcheck passes, printing the first mismatch otherwise.
inline void require_gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                              const std::vector<Tensor>& inputs, autograd::GradcheckOptions options = {}) {
  const auto result = autograd::gradcheck(fn, inputs, options);
  INFO(result.message);
  REQUIRE(result.ok);
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

/// Ops with a gradcheck test, registered by ZENGEN_GRADCHECKED(op) in the
/// test files; tests/ops/op_coverage.cpp checks it against ZENGEN_OPS.
inline std::set<std::string>& gradchecked_ops() {
  static std::set<std::string> ops;
  return ops;
}
struct RegisterGradchecked {
  explicit RegisterGradchecked(const char* op) { gradchecked_ops().insert(op); }
};

}  // namespace zengen::testing

#define ZENGEN_GRADCHECKED_CAT2(a, b) a##b
#define ZENGEN_GRADCHECKED_CAT(a, b) ZENGEN_GRADCHECKED_CAT2(a, b)
/// Declares, next to an op's gradcheck test, that the op has one. Only valid
/// at namespace scope (inside a test body it would register only once that
/// test ran), which the namespace block enforces.
#define ZENGEN_GRADCHECKED(op)                                                                  \
  namespace {                                                                                   \
  const ::zengen::testing::RegisterGradchecked ZENGEN_GRADCHECKED_CAT(zengen_gradchecked_,      \
                                                                      __LINE__)(#op);           \
  }                                                                                             \
  static_assert(true, "require a semicolon")
