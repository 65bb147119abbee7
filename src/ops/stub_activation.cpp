// TEMPORARY: placeholders until src/ops/activation.cpp lands; each throws.
#include "zengen/ops/activation.hpp"

namespace zengen {
namespace {
[[noreturn]] void todo(const char* op) { throw Error(std::string(op) + ": not implemented yet"); }
}  // namespace
Tensor relu(const Tensor&) { todo("relu"); }
Tensor leaky_relu(const Tensor&, double) { todo("leaky_relu"); }
Tensor sigmoid(const Tensor&) { todo("sigmoid"); }
Tensor tanh(const Tensor&) { todo("tanh"); }
Tensor softplus(const Tensor&) { todo("softplus"); }
Tensor log_softmax(const Tensor&, std::int64_t) { todo("log_softmax"); }
Tensor leaky_relu_backward(const Tensor&, const Tensor&, double) { todo("leaky_relu_backward"); }
}  // namespace zengen
