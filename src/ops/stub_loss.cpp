// TEMPORARY: placeholders until src/ops/loss.cpp lands; each throws.
#include "zengen/ops/loss.hpp"

namespace zengen {
namespace {
[[noreturn]] void todo(const char* op) { throw Error(std::string(op) + ": not implemented yet"); }
}  // namespace
Tensor binary_cross_entropy(const Tensor&, const Tensor&, Reduction, const Tensor&) { todo("binary_cross_entropy"); }
Tensor binary_cross_entropy_with_logits(const Tensor&, const Tensor&, Reduction, const Tensor&) {
  todo("binary_cross_entropy_with_logits");
}
Tensor mse_loss(const Tensor&, const Tensor&, Reduction) { todo("mse_loss"); }
Tensor l1_loss(const Tensor&, const Tensor&, Reduction) { todo("l1_loss"); }
Tensor gaussian_kl(const Tensor&, const Tensor&, Reduction) { todo("gaussian_kl"); }
Tensor cross_entropy(const Tensor&, const Tensor&, Reduction) { todo("cross_entropy"); }
}  // namespace zengen
