// The members of Tensor that walk the autograd graph: backward(),
// retain_grad(), and TensorImpl's destructor, which hands its grad_fn to the
// iterative release (src/autograd/release.hpp) so a long chain of nodes is
// freed without recursion. Declared with the class
// (include/zengen/core/tensor.hpp), defined by the autograd engine.
#include "autograd/release.hpp"
#include "zengen/autograd/node.hpp"
#include "zengen/core/tensor.hpp"

namespace zengen {

TensorImpl::~TensorImpl() { autograd::detail::defer_release(std::move(grad_fn)); }

const Tensor& Tensor::retain_grad() const {
  if (!is_leaf()) grad_fn()->retained_output = impl_;
  return *this;
}

void Tensor::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const {
  autograd::backward(*this, gradient, retain_graph, create_graph);
}

}  // namespace zengen
