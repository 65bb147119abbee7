// The graph: each differentiable op's output points at a Node that knows how
// to turn the gradient of that output into gradients of the op's inputs.
//
// Ops record themselves with autograd::record(name, output, inputs, fn):
// fn maps the output's gradient to one gradient per input (an undefined
// Tensor where an input gets none). Formulas are written with zengen ops, so
// that with create_graph the backward pass is itself differentiable.
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "zengen/core/tensor.hpp"

namespace zengen::autograd {

class Node;

/// Where an input's gradient goes: the node that produced the input, or the
/// leaf tensor that accumulates it.
struct Edge {
  std::shared_ptr<Node> node;          // set for non-leaf inputs
  std::shared_ptr<TensorImpl> leaf;    // set for leaves that require grad
  bool active() const { return node || leaf; }
};

/// One recorded op in the autograd graph: its backward function and the nodes of its inputs.
class Node {
 public:
  using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

  Node(std::string name, std::vector<Edge> edges, BackwardFn fn)
      : name_(std::move(name)), edges_(std::move(edges)), fn_(std::move(fn)) {}
  ~Node();  // releases its inputs' nodes without recursion
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const std::string& name() const { return name_; }
  const std::vector<Edge>& edges() const { return edges_; }
  bool released() const { return !fn_; }

  /// Gradients of the inputs (one per edge) from the output's gradient.
  std::vector<Tensor> apply(const Tensor& grad_output);
  /// Frees saved tensors; a later apply() throws.
  void release() { fn_ = nullptr; }

  /// The output whose gradient backward() stores because retain_grad() was
  /// called on it (non-leaf tensors keep no gradient otherwise).
  std::weak_ptr<TensorImpl> retained_output;

 private:
  std::string name_;
  std::vector<Edge> edges_;
  BackwardFn fn_;
};

/// True when grad mode is on and any of the inputs requires grad.
bool any_requires_grad(std::initializer_list<const Tensor*> inputs);

/// Makes `output` the result of a differentiable op: when grad mode is on
/// and some input requires grad, output.requires_grad becomes true and its
/// grad_fn a Node named `op` holding `fn`. Returns output.
Tensor record(const char* op, Tensor output, std::initializer_list<const Tensor*> inputs,
              Node::BackwardFn fn);
Tensor record(const char* op, Tensor output, const std::vector<Tensor>& inputs,
              Node::BackwardFn fn);

/// Runs backward from `root` (see Tensor::backward).
void backward(const Tensor& root, const Tensor& gradient, bool retain_graph, bool create_graph);

/// Gradients of `outputs` w.r.t. `inputs`, returned rather than accumulated
/// into .grad() (like torch.autograd.grad). Inputs that the outputs do not
/// depend on get an undefined Tensor unless allow_unused is false (throws).
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, bool retain_graph = false,
                         bool create_graph = false, bool allow_unused = false);

}  // namespace zengen::autograd
