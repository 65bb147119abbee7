// TEMPORARY: placeholders until src/ops/reduction.cpp lands; each throws.
#include "zengen/ops/reduction.hpp"

namespace zengen {
namespace {
[[noreturn]] void todo(const char* op) { throw Error(std::string(op) + ": not implemented yet"); }
}  // namespace
Tensor sum(const Tensor&) { todo("sum"); }
Tensor sum(const Tensor&, const std::vector<std::int64_t>&, bool) { todo("sum"); }
Tensor mean(const Tensor&) { todo("mean"); }
Tensor mean(const Tensor&, const std::vector<std::int64_t>&, bool) { todo("mean"); }
Tensor var(const Tensor&, bool) { todo("var"); }
Tensor var(const Tensor&, const std::vector<std::int64_t>&, bool, bool) { todo("var"); }
Tensor max(const Tensor&) { todo("max"); }
MaxResult max(const Tensor&, std::int64_t, bool) { todo("max"); }
Tensor argmax(const Tensor&) { todo("argmax"); }
Tensor argmax(const Tensor&, std::int64_t, bool) { todo("argmax"); }
Tensor sum_to(const Tensor&, const Shape&) { todo("sum_to"); }
}  // namespace zengen
