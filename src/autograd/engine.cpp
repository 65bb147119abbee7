// The backward pass: an iterative topological order over the graph (no
// recursion, so 100,000-op chains work), gradient accumulation, freeing.
#include <algorithm>
#include <unordered_map>
#include <vector>

#include "zengen/autograd/grad_mode.hpp"
#include "zengen/autograd/node.hpp"
#include "zengen/ops/elementwise.hpp"
#include "zengen/ops/factory.hpp"
#include "autograd/release.hpp"

namespace zengen::autograd {

namespace {
thread_local bool grad_mode_enabled = true;
}

bool GradMode::is_enabled() { return grad_mode_enabled; }
void GradMode::set_enabled(bool enabled) { grad_mode_enabled = enabled; }

// ---- releasing long graphs without recursion ----
namespace detail {
namespace {
thread_local std::vector<std::shared_ptr<Node>> pending_release;
thread_local bool releasing = false;
}  // namespace

void defer_release(std::shared_ptr<Node> node) {
  if (!node) return;
  pending_release.push_back(std::move(node));
  if (releasing) return;  // the outer call drains the list
  releasing = true;
  while (!pending_release.empty()) {
    std::shared_ptr<Node> next = std::move(pending_release.back());
    pending_release.pop_back();
    next.reset();  // may push more nodes, never recurses deeply
  }
  releasing = false;
}
}  // namespace detail

Node::~Node() {
  fn_ = nullptr;  // saved tensors go first; their grad_fns are deferred
  for (auto& e : edges_) detail::defer_release(std::move(e.node));
}

std::vector<Tensor> Node::apply(const Tensor& grad_output) {
  ZENGEN_CHECK(fn_, ValueError, "backward: the graph through '", name_,
               "' was already freed by an earlier backward(); call backward(gradient, "
               "/*retain_graph=*/true) the first time to go through it twice");
  std::vector<Tensor> grads = fn_(grad_output);
  ZENGEN_CHECK(grads.size() == edges_.size(), Error, "internal: backward of '", name_, "' returned ",
               grads.size(), " gradients for ", edges_.size(), " inputs");
  return grads;
}

bool any_requires_grad(std::initializer_list<const Tensor*> inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

namespace {
Edge edge_of(const Tensor& t) {
  if (!t.defined() || !t.requires_grad()) return {};
  if (t.grad_fn()) return {t.grad_fn(), nullptr};
  return {nullptr, t.impl_ptr()};
}

Tensor record_edges(const char* op, Tensor output, std::vector<Edge> edges, Node::BackwardFn fn) {
  TensorImpl* impl = output.impl();
  impl->requires_grad = true;
  impl->grad_fn = std::make_shared<Node>(op, std::move(edges), std::move(fn));
  return output;
}
}  // namespace

Tensor record(const char* op, Tensor output, std::initializer_list<const Tensor*> inputs,
              Node::BackwardFn fn) {
  if (!any_requires_grad(inputs)) return output;
  std::vector<Edge> edges;
  edges.reserve(inputs.size());
  for (const Tensor* t : inputs) edges.push_back(edge_of(*t));
  return record_edges(op, std::move(output), std::move(edges), std::move(fn));
}

Tensor record(const char* op, Tensor output, const std::vector<Tensor>& inputs, Node::BackwardFn fn) {
  bool any = false;
  if (GradMode::is_enabled())
    for (const Tensor& t : inputs) any = any || (t.defined() && t.requires_grad());
  if (!any) return output;
  std::vector<Edge> edges;
  edges.reserve(inputs.size());
  for (const Tensor& t : inputs) edges.push_back(edge_of(t));
  return record_edges(op, std::move(output), std::move(edges), std::move(fn));
}

namespace {

// Adds g into the slot; the first gradient is stored as it is (ops never
// modify their inputs, so sharing is safe until a leaf accumulates).
void accumulate(Tensor& slot, Tensor g) {
  if (!slot.defined())
    slot = std::move(g);
  else
    slot = slot + g;
}

// Adds a finished gradient into a tensor's .grad(). The stored gradient is
// owned by the leaf (cloned: it may be a view, such as sum's stride-0
// expand, or shared with another leaf), so a later in-place accumulation
// cannot touch another tensor's memory, except under create_graph when it
// is part of a graph (it requires grad): it is then kept as it is and
// accumulated out of place.
void accumulate_into(TensorImpl& target, const Tensor& g, bool create_graph) {
  Tensor incoming = create_graph ? g : g.detach();
  if (!target.grad) {
    Tensor owned = create_graph && incoming.requires_grad() ? incoming : incoming.clone();
    target.grad = owned.impl_ptr();
    return;
  }
  Tensor current(target.grad);
  if (create_graph || current.requires_grad()) {
    target.grad = (current + incoming).impl_ptr();
  } else {
    add_(current, incoming);
  }
}

struct Task {
  Tensor root;
  Tensor gradient;
};

// Runs the graph from several roots. With `capture`, gradients reaching the
// given leaves or nodes are returned instead of accumulated.
void run_backward(const std::vector<Task>& roots, bool retain_graph, bool create_graph,
                  const std::unordered_map<const void*, std::size_t>* capture,
                  std::vector<Tensor>* captured) {
  // 1. Collect the nodes reachable from the roots and count, for each, how
  //    many edges lead into it (its consumers still to run).
  std::unordered_map<Node*, int> dependencies;
  std::vector<Node*> stack;
  for (const Task& t : roots)
    if (Node* n = t.root.grad_fn().get(); n && !dependencies.count(n)) {
      dependencies[n] = 0;
      stack.push_back(n);
    }
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (const Edge& e : n->edges()) {
      if (!e.node) continue;
      auto [it, inserted] = dependencies.try_emplace(e.node.get(), 0);
      ++it->second;
      if (inserted) stack.push_back(e.node.get());
    }
  }

  // 2. Seed the roots' gradients, then run nodes whose consumers are done.
  std::unordered_map<Node*, Tensor> grads;
  auto deliver_leaf = [&](const std::shared_ptr<TensorImpl>& leaf, const Tensor& g) {
    if (capture) {
      auto it = capture->find(leaf.get());
      if (it != capture->end()) accumulate((*captured)[it->second], g);
      return;
    }
    accumulate_into(*leaf, g, create_graph);
  };
  std::vector<Node*> ready;
  for (const Task& t : roots) {
    if (Node* n = t.root.grad_fn().get()) {
      accumulate(grads[n], t.gradient);
    } else {
      deliver_leaf(t.root.impl_ptr(), t.gradient);
    }
  }
  for (auto& [n, count] : dependencies)
    if (count == 0) ready.push_back(n);

  GradModeGuard mode(create_graph);
  while (!ready.empty()) {
    Node* n = ready.back();
    ready.pop_back();
    Tensor g = std::move(grads[n]);
    grads.erase(n);
    if (capture) {
      auto it = capture->find(n);
      if (it != capture->end()) accumulate((*captured)[it->second], g);
    } else if (auto out = n->retained_output.lock(); out && g.defined()) {
      accumulate_into(*out, g, create_graph);
    }
    std::vector<Tensor> input_grads;
    if (g.defined()) input_grads = n->apply(g);
    if (!retain_graph && !create_graph) n->release();
    for (std::size_t i = 0; i < n->edges().size(); ++i) {
      const Edge& e = n->edges()[i];
      const bool has_grad = i < input_grads.size() && input_grads[i].defined();
      if (e.node) {
        if (has_grad) accumulate(grads[e.node.get()], std::move(input_grads[i]));
        if (--dependencies[e.node.get()] == 0) ready.push_back(e.node.get());
      } else if (e.leaf && has_grad) {
        deliver_leaf(e.leaf, input_grads[i]);
      }
    }
  }
}

Tensor default_gradient(const Tensor& root, const Tensor& gradient, const char* op) {
  if (gradient.defined()) {
    ZENGEN_CHECK(gradient.shape() == root.shape(), ShapeError, op, ": gradient has shape ",
                 gradient.shape(), " but the tensor has shape ", root.shape());
    ZENGEN_CHECK(gradient.dtype() == root.dtype(), DTypeError, op, ": gradient has dtype ",
                 gradient.dtype(), " but the tensor has dtype ", root.dtype());
    ZENGEN_CHECK(gradient.device() == root.device(), DeviceError, op, ": gradient is on ", gradient.device(),
                 " but the tensor is on ", root.device());
    return gradient;
  }
  ZENGEN_CHECK(root.numel() == 1, ValueError, op, ": called on a tensor of shape ", root.shape(),
               " without a gradient; backward() without one needs a single-element tensor "
               "(reduce it first, e.g. with sum() or mean())");
  return ones(root.shape(), {.dtype = root.dtype(), .device = root.device()});
}

}  // namespace

void backward(const Tensor& root, const Tensor& gradient, bool retain_graph, bool create_graph) {
  ZENGEN_CHECK(root.defined(), ValueError, "backward: called on an undefined tensor");
  ZENGEN_CHECK(root.requires_grad(), ValueError,
               "backward: the tensor does not require grad and has no grad_fn (no input of the "
               "computation had requires_grad set, or it ran under NoGradGuard)");
  Tensor g = default_gradient(root, gradient, "backward");
  run_backward({{root, g}}, retain_graph, create_graph, nullptr, nullptr);
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool retain_graph, bool create_graph,
                         bool allow_unused) {
  ZENGEN_CHECK(grad_outputs.empty() || grad_outputs.size() == outputs.size(), ValueError,
               "autograd::grad: got ", grad_outputs.size(), " grad_outputs for ", outputs.size(), " outputs");
  std::vector<Task> roots;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    ZENGEN_CHECK(outputs[i].requires_grad(), ValueError, "autograd::grad: output ", i,
                 " does not require grad");
    roots.push_back({outputs[i], default_gradient(outputs[i], grad_outputs.empty() ? Tensor() : grad_outputs[i],
                                                  "autograd::grad")});
  }
  std::unordered_map<const void*, std::size_t> capture;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    ZENGEN_CHECK(inputs[i].requires_grad(), ValueError, "autograd::grad: input ", i,
                 " does not require grad");
    capture[inputs[i].grad_fn() ? static_cast<const void*>(inputs[i].grad_fn().get())
                                : static_cast<const void*>(inputs[i].impl())] = i;
  }
  std::vector<Tensor> result(inputs.size());
  run_backward(roots, retain_graph, create_graph, &capture, &result);
  for (std::size_t i = 0; i < result.size(); ++i)
    ZENGEN_CHECK(allow_unused || result[i].defined(), ValueError, "autograd::grad: input ", i,
                 " was not used to compute the outputs (pass allow_unused=true to get an undefined "
                 "gradient for it)");
  return result;
}

}  // namespace zengen::autograd
