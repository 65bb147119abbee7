#include "zengen/ops/elementwise.hpp"

#include <limits>

#include "ops/common.hpp"
#include "ops/kernels.hpp"
#include "zengen/ops/factory.hpp"
#include "zengen/ops/reduction.hpp"

namespace zengen {

using namespace ops_detail;
using autograd::record;

namespace {

Tensor binary_forward(const char* op, cpu::BinaryOp kind, const Tensor& a, const Tensor& b) {
  check_same(a, b, op);
  Tensor out = empty_as(a, broadcast_shapes(a.shape(), b.shape(), op));
  kernels::binary(kind, out, a, b);
  return out;
}

Tensor unary_forward(const char* op, cpu::UnaryOp kind, const Tensor& x) {
  check_floating(x, op);
  Tensor out = empty_as(x, x.shape());
  kernels::unary(kind, out, x);
  return out;
}

Tensor scalar_forward(const char* op, cpu::ScalarOp kind, const Tensor& x, double s) {
  check_floating(x, op);
  Tensor out = empty_as(x, x.shape());
  kernels::scalar(kind, out, x, s);
  return out;
}

Tensor zero_like_scalar(const Tensor& x) { return scalar_tensor(0.0, {.dtype = x.dtype(), .device = x.device()}); }

// A mask (Bool) as 0/1 values of x's dtype.
Tensor as_values(const Tensor& mask, const Tensor& like) { return mask.to(like.dtype()); }

}  // namespace

// ---- binary ----

Tensor add(const Tensor& a, const Tensor& b) {
  return record("add", binary_forward("add", cpu::BinaryOp::Add, a, b), {&a, &b},
                [sa = a.shape(), sb = b.shape(), ra = a.requires_grad(), rb = b.requires_grad()](const Tensor& g) {
                  return Grads{ra ? sum_to(g, sa) : Tensor(), rb ? sum_to(g, sb) : Tensor()};
                });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  return record("sub", binary_forward("sub", cpu::BinaryOp::Sub, a, b), {&a, &b},
                [sa = a.shape(), sb = b.shape(), ra = a.requires_grad(), rb = b.requires_grad()](const Tensor& g) {
                  return Grads{ra ? sum_to(g, sa) : Tensor(), rb ? sum_to(neg(g), sb) : Tensor()};
                });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  return record("mul", binary_forward("mul", cpu::BinaryOp::Mul, a, b), {&a, &b},
                [a, b](const Tensor& g) {
                  return Grads{a.requires_grad() ? sum_to(mul(g, b), a.shape()) : Tensor(),
                               b.requires_grad() ? sum_to(mul(g, a), b.shape()) : Tensor()};
                });
}

Tensor div(const Tensor& a, const Tensor& b) {
  return record("div", binary_forward("div", cpu::BinaryOp::Div, a, b), {&a, &b},
                [a, b](const Tensor& g) {
                  Tensor ga, gb;
                  if (a.requires_grad()) ga = sum_to(div(g, b), a.shape());
                  if (b.requires_grad()) gb = sum_to(neg(div(mul(g, a), mul(b, b))), b.shape());
                  return Grads{ga, gb};
                });
}

namespace {
// Gradient of maximum/minimum: all of it to the winner, half each on ties.
Grads extremum_grads(const Tensor& g, const Tensor& a, const Tensor& b, bool is_max) {
  const Tensor a_wins = as_values(is_max ? gt(a, b) : lt(a, b), g);
  const Tensor tie = as_values(eq(a, b), g);
  const Tensor share_a = add(a_wins, mul(tie, 0.5));
  const Tensor share_b = rsub(add(a_wins, mul(tie, 0.5)), 1.0);
  return Grads{a.requires_grad() ? sum_to(mul(g, share_a), a.shape()) : Tensor(),
               b.requires_grad() ? sum_to(mul(g, share_b), b.shape()) : Tensor()};
}
}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) {
  return record("maximum", binary_forward("maximum", cpu::BinaryOp::Max, a, b), {&a, &b},
                [a, b](const Tensor& g) { return extremum_grads(g, a, b, true); });
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  return record("minimum", binary_forward("minimum", cpu::BinaryOp::Min, a, b), {&a, &b},
                [a, b](const Tensor& g) { return extremum_grads(g, a, b, false); });
}

// ---- scalar ----

Tensor add(const Tensor& a, double s) {
  return record("add", scalar_forward("add", cpu::ScalarOp::Add, a, s), {&a},
                [](const Tensor& g) { return Grads{g}; });
}
Tensor sub(const Tensor& a, double s) { return add(a, -s); }
Tensor rsub(const Tensor& a, double s) {
  return record("rsub", scalar_forward("rsub", cpu::ScalarOp::RSub, a, s), {&a},
                [](const Tensor& g) { return Grads{neg(g)}; });
}
Tensor mul(const Tensor& a, double s) {
  return record("mul", scalar_forward("mul", cpu::ScalarOp::Mul, a, s), {&a},
                [s](const Tensor& g) { return Grads{mul(g, s)}; });
}
Tensor div(const Tensor& a, double s) { return mul(a, 1.0 / s); }
Tensor rdiv(const Tensor& a, double s) {
  return record("rdiv", scalar_forward("rdiv", cpu::ScalarOp::RDiv, a, s), {&a},
                [a, s](const Tensor& g) { return Grads{mul(div(g, mul(a, a)), -s)}; });
}

// ---- unary ----

Tensor neg(const Tensor& x) {
  return record("neg", unary_forward("neg", cpu::UnaryOp::Neg, x), {&x},
                [](const Tensor& g) { return Grads{neg(g)}; });
}

Tensor exp(const Tensor& x) {
  Tensor y = unary_forward("exp", cpu::UnaryOp::Exp, x);
  return record("exp", y, {&x}, [x, y = y.detach()](const Tensor& g) {
    return Grads{mul(g, recording() ? exp(x) : y)};
  });
}

Tensor log(const Tensor& x) {
  return record("log", unary_forward("log", cpu::UnaryOp::Log, x), {&x},
                [x](const Tensor& g) { return Grads{div(g, x)}; });
}

Tensor sqrt(const Tensor& x) {
  Tensor y = unary_forward("sqrt", cpu::UnaryOp::Sqrt, x);
  return record("sqrt", y, {&x}, [x, y = y.detach()](const Tensor& g) {
    return Grads{div(mul(g, 0.5), recording() ? sqrt(x) : y)};
  });
}

Tensor pow(const Tensor& x, double exponent) {
  check_floating(x, "pow");
  Tensor out = empty_as(x, x.shape());
  kernels::pow(out, x, exponent);
  return record("pow", out, {&x}, [x, exponent](const Tensor& g) {
    if (exponent == 0.0) return Grads{zeros_like(g)};
    if (exponent == 1.0) return Grads{g};
    if (exponent == 2.0) return Grads{mul(g, mul(x, 2.0))};
    return Grads{mul(g, mul(pow(x, exponent - 1.0), exponent))};
  });
}

Tensor abs(const Tensor& x) {
  return record("abs", unary_forward("abs", cpu::UnaryOp::Abs, x), {&x}, [x](const Tensor& g) {
    const Tensor sign = sub(as_values(gt(x, 0.0), g), as_values(lt(x, 0.0), g));
    return Grads{mul(g, sign)};
  });
}

Tensor square(const Tensor& x) {
  return record("square", unary_forward("square", cpu::UnaryOp::Square, x), {&x},
                [x](const Tensor& g) { return Grads{mul(g, mul(x, 2.0))}; });
}

Tensor clamp(const Tensor& x, double low, double high) {
  check_floating(x, "clamp");
  ZENGEN_CHECK(!(low > high), ValueError, "clamp: low (", low, ") is greater than high (", high, ")");
  Tensor out = empty_as(x, x.shape());
  kernels::clamp(out, x, low, high);
  return record("clamp", out, {&x}, [x, low, high](const Tensor& g) {
    const Tensor inside = mul(as_values(ge(x, low), g), as_values(le(x, high), g));
    return Grads{mul(g, inside)};
  });
}
Tensor clamp_min(const Tensor& x, double low) { return clamp(x, low, std::numeric_limits<double>::infinity()); }
Tensor clamp_max(const Tensor& x, double high) { return clamp(x, -std::numeric_limits<double>::infinity(), high); }

// ---- where and comparisons ----

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  check_defined(cond, "where");
  check_same(a, b, "where");
  ZENGEN_CHECK(cond.device() == a.device(), DeviceError, "where: condition is on ", cond.device(),
               " but the values are on ", a.device());
  const Tensor mask = cond.dtype() == DType::Bool ? cond : ne(cond, 0.0);
  const Shape shape = broadcast_shapes(broadcast_shapes(mask.shape(), a.shape(), "where"), b.shape(), "where");
  Tensor out = empty_as(a, shape);
  kernels::where(out, mask, a, b);
  return record("where", out, {&a, &b}, [mask, a, b](const Tensor& g) {
    const Tensor zero = zero_like_scalar(g);
    return Grads{a.requires_grad() ? sum_to(where(mask, g, zero), a.shape()) : Tensor(),
                 b.requires_grad() ? sum_to(where(mask, zero, g), b.shape()) : Tensor()};
  });
}

namespace {
Tensor compare(const char* op, cpu::CompareOp kind, const Tensor& a, const Tensor& b) {
  check_defined(a, op);
  check_defined(b, op);
  ZENGEN_CHECK(a.dtype() == b.dtype(), DTypeError, op, ": dtypes differ (", a.dtype(), " and ", b.dtype(), ")");
  ZENGEN_CHECK(a.device() == b.device(), DeviceError, op, ": tensors are on different devices (", a.device(),
               " and ", b.device(), ")");
  Tensor out = Tensor::empty(broadcast_shapes(a.shape(), b.shape(), op), {.dtype = DType::Bool, .device = a.device()});
  kernels::compare(kind, out, a, b);
  return out;
}
Tensor scalar_like(const Tensor& a, double s) {
  check_defined(a, "compare");
  return scalar_tensor(s, {.dtype = a.dtype(), .device = a.device()});
}
}  // namespace

Tensor eq(const Tensor& a, const Tensor& b) { return compare("eq", cpu::CompareOp::Eq, a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return compare("ne", cpu::CompareOp::Ne, a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return compare("lt", cpu::CompareOp::Lt, a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return compare("le", cpu::CompareOp::Le, a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return compare("gt", cpu::CompareOp::Gt, a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return compare("ge", cpu::CompareOp::Ge, a, b); }
Tensor eq(const Tensor& a, double s) { return eq(a, scalar_like(a, s)); }
Tensor ne(const Tensor& a, double s) { return ne(a, scalar_like(a, s)); }
Tensor lt(const Tensor& a, double s) { return lt(a, scalar_like(a, s)); }
Tensor le(const Tensor& a, double s) { return le(a, scalar_like(a, s)); }
Tensor gt(const Tensor& a, double s) { return gt(a, scalar_like(a, s)); }
Tensor ge(const Tensor& a, double s) { return ge(a, scalar_like(a, s)); }

// ---- operators ----

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator+(const Tensor& a, double s) { return add(a, s); }
Tensor operator+(double s, const Tensor& a) { return add(a, s); }
Tensor operator-(const Tensor& a, double s) { return sub(a, s); }
Tensor operator-(double s, const Tensor& a) { return rsub(a, s); }
Tensor operator*(const Tensor& a, double s) { return mul(a, s); }
Tensor operator*(double s, const Tensor& a) { return mul(a, s); }
Tensor operator/(const Tensor& a, double s) { return div(a, s); }
Tensor operator/(double s, const Tensor& a) { return rdiv(a, s); }
Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }
Tensor operator<(const Tensor& a, double s) { return lt(a, s); }
Tensor operator<=(const Tensor& a, double s) { return le(a, s); }
Tensor operator>(const Tensor& a, double s) { return gt(a, s); }
Tensor operator>=(const Tensor& a, double s) { return ge(a, s); }

// ---- in place (not recorded) ----

namespace {
void check_in_place(const Tensor& a, const char* op) {
  check_floating(a, op);
  ZENGEN_CHECK(!(a.requires_grad() && autograd::GradMode::is_enabled()), ValueError, op,
               ": in-place update of a tensor that requires grad while grad mode is on; wrap it in "
               "NoGradGuard (as optimizers do)");
}
}  // namespace

Tensor& add_(Tensor& a, const Tensor& b, double alpha) {
  check_in_place(a, "add_");
  check_same(a, b, "add_");
  ZENGEN_CHECK(broadcast_shapes(a.shape(), b.shape(), "add_") == a.shape(), ShapeError, "add_: shape ", b.shape(),
               " cannot be broadcast to ", a.shape());
  if (alpha == 1.0) {
    kernels::binary(cpu::BinaryOp::Add, a, a, b);
  } else {
    Tensor scaled = empty_as(b, b.shape());
    kernels::scalar(cpu::ScalarOp::Mul, scaled, b, alpha);
    kernels::binary(cpu::BinaryOp::Add, a, a, scaled);
  }
  return a;
}

Tensor& mul_(Tensor& a, double s) {
  check_in_place(a, "mul_");
  kernels::scalar(cpu::ScalarOp::Mul, a, a, s);
  return a;
}

}  // namespace zengen
