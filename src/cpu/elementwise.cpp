#include "cpu/elementwise.hpp"

#include "cpu/loops.hpp"
#include "kernels/functors.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {

namespace f = zengen::functors;

void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  dispatch_floating(out.dtype(), "binary", [&]<typename T>() {
    switch (op) {
      case BinaryOp::Add: return map2<T, T, T>(out, f::Add{}, a, b);
      case BinaryOp::Sub: return map2<T, T, T>(out, f::Sub{}, a, b);
      case BinaryOp::Mul: return map2<T, T, T>(out, f::Mul{}, a, b);
      case BinaryOp::Div: return map2<T, T, T>(out, f::Div{}, a, b);
      case BinaryOp::Max: return map2<T, T, T>(out, f::Max{}, a, b);
      case BinaryOp::Min: return map2<T, T, T>(out, f::Min{}, a, b);
    }
  });
}

void unary(UnaryOp op, const Tensor& out, const Tensor& x) {
  dispatch_floating(out.dtype(), "unary", [&]<typename T>() {
    switch (op) {
      case UnaryOp::Neg: return map1<T, T>(out, f::Neg{}, x);
      case UnaryOp::Exp: return map1<T, T>(out, f::Exp{}, x);
      case UnaryOp::Log: return map1<T, T>(out, f::Log{}, x);
      case UnaryOp::Sqrt: return map1<T, T>(out, f::Sqrt{}, x);
      case UnaryOp::Abs: return map1<T, T>(out, f::Abs{}, x);
      case UnaryOp::Square: return map1<T, T>(out, f::Square{}, x);
    }
  });
}

void scalar(ScalarOp op, const Tensor& out, const Tensor& x, double s) {
  dispatch_floating(out.dtype(), "scalar", [&]<typename T>() {
    switch (op) {
      case ScalarOp::Add: return map1<T, T>(out, f::AddScalar{s}, x);
      case ScalarOp::Mul: return map1<T, T>(out, f::MulScalar{s}, x);
      case ScalarOp::RSub: return map1<T, T>(out, f::RSubScalar{s}, x);
      case ScalarOp::RDiv: return map1<T, T>(out, f::RDivScalar{s}, x);
    }
  });
}

void pow(const Tensor& out, const Tensor& x, double exponent) {
  dispatch_floating(out.dtype(), "pow", [&]<typename T>() { map1<T, T>(out, f::Pow{exponent}, x); });
}

void clamp(const Tensor& out, const Tensor& x, double low, double high) {
  dispatch_floating(out.dtype(), "clamp", [&]<typename T>() { map1<T, T>(out, f::Clamp{low, high}, x); });
}

void compare(CompareOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  dispatch_all(a.dtype(), [&]<typename T>() {
    switch (op) {
      case CompareOp::Eq: return map2<bool, T, T>(out, [](T p, T q) { return p == q; }, a, b);
      case CompareOp::Ne: return map2<bool, T, T>(out, [](T p, T q) { return p != q; }, a, b);
      case CompareOp::Lt: return map2<bool, T, T>(out, [](T p, T q) { return p < q; }, a, b);
      case CompareOp::Le: return map2<bool, T, T>(out, [](T p, T q) { return p <= q; }, a, b);
      case CompareOp::Gt: return map2<bool, T, T>(out, [](T p, T q) { return p > q; }, a, b);
      case CompareOp::Ge: return map2<bool, T, T>(out, [](T p, T q) { return p >= q; }, a, b);
    }
  });
}

void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) {
  dispatch_all(out.dtype(), [&]<typename T>() {
    map3<T, bool, T, T>(out, [](bool c, T p, T q) { return c ? p : q; }, cond, a, b);
  });
}

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
