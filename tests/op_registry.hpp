// What the coverage tests check against the op list (ZENGEN_OPS,
// include/zengen/ops/op_list.hpp): which ops passed a check of a kind
// (a gradcheck; a CPU/CUDA twin comparison) in this run of the program.
//
// An op is registered only by a check that ran and passed:
// - a claim, ZENGEN_GRADCHECKED(op) / ZENGEN_TWIN_CHECKED(op) written inside
//   a test body, covers `op` when the scope it is in ends normally after at
//   least one check of its kind passed there (tests/helpers.hpp's
//   require_gradcheck, tests/cuda/cuda_helpers.hpp's require_match);
// - every gradcheck that passes also registers the ops whose nodes its
//   graph holds (autograd::record's names: "add", "leaky_relu_backward"...);
//   ops that record under other names (mean is a sum and a mul, clamp_min a
//   clamp) are covered by their claims.
// A claim outside a test body (at namespace scope) would end after the run,
// too late to count, so its op shows up as missing.
//
// The test programs' mains report the coverage after the run when asked
// (--op-coverage, --twin-coverage): every op of the list that needs the
// kind of check and got none is named, and the program fails.
#pragma once

#include <cstdio>
#include <exception>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "zengen/zengen.hpp"

namespace zengen::testing {

/// True when `name` is an op of ZENGEN_OPS (claims are checked at compile time).
consteval bool is_listed_op(std::string_view name) {
  for (const ops::OpInfo& op : ops::op_list)
    if (name == op.name) return true;
  return false;
}

class Claim;

/// The ops that passed one kind of check in this run.
class CheckRegistry {
 public:
  explicit CheckRegistry(const char* kind) : kind_(kind) {}

  /// A check of this kind passed; `nodes`: the node names of its graph.
  void passed(const std::set<std::string>& nodes = {});

  /// The ops of the list for which `needed(op)` holds and no check passed.
  template <typename Needed>
  std::vector<std::string> missing(Needed needed) const {
    std::vector<std::string> out;
    for (const ops::OpInfo& op : ops::op_list)
      if (needed(op) && !covered_.count(op.name)) out.push_back(op.name);
    return out;
  }

  /// Prints the missing ops (or that none is) and returns how many there are.
  template <typename Needed>
  int report(Needed needed) const;

 private:
  friend class Claim;
  const char* kind_;
  std::set<std::string> covered_;  // ops with a passing check
  std::vector<Claim*> open_;       // claims in scope (one thread: Catch2's)
};

/// ZENGEN_GRADCHECKED / ZENGEN_TWIN_CHECKED: covers `op` once the scope
/// ends normally after a check of its kind passed in it.
class Claim {
 public:
  Claim(CheckRegistry& registry, const char* op)
      : registry_(registry), op_(op), uncaught_(std::uncaught_exceptions()) {
    registry_.open_.push_back(this);
  }
  Claim(const Claim&) = delete;
  Claim& operator=(const Claim&) = delete;
  ~Claim() {
    std::erase(registry_.open_, this);
    if (passes_ > 0 && std::uncaught_exceptions() <= uncaught_)  // a check passed, and none failed after it
      registry_.covered_.insert(op_);
  }

 private:
  friend class CheckRegistry;
  CheckRegistry& registry_;
  std::string op_;
  int uncaught_;
  int passes_ = 0;
};

inline void CheckRegistry::passed(const std::set<std::string>& nodes) {
  for (const ops::OpInfo& op : ops::op_list)
    if (nodes.count(op.name)) covered_.insert(op.name);
  for (Claim* c : open_) ++c->passes_;
}

template <typename Needed>
int CheckRegistry::report(Needed needed) const {
  const std::vector<std::string> ops = missing(needed);
  if (ops.empty()) {
    std::printf("every op of ZENGEN_OPS that needs one passed a %s in this run\n", kind_);
    return 0;
  }
  std::printf("ops of ZENGEN_OPS (include/zengen/ops/op_list.hpp) without a passing %s in this run:", kind_);
  for (const std::string& op : ops) std::printf(" %s", op.c_str());
  std::printf("\n");
  return static_cast<int>(ops.size());
}

/// The gradchecks that passed (tests/helpers.hpp's require_gradcheck).
inline CheckRegistry& gradchecks() {
  static CheckRegistry registry("gradcheck");
  return registry;
}

/// The CPU/CUDA comparisons that passed (tests/cuda/cuda_helpers.hpp's require_match).
inline CheckRegistry& twin_checks() {
  static CheckRegistry registry("CPU/CUDA twin comparison");
  return registry;
}

/// The names of the nodes of t's graph (iteratively: graphs can be long).
inline std::set<std::string> graph_node_names(const Tensor& t) {
  std::set<std::string> names;
  std::set<const autograd::Node*> seen;
  std::vector<const autograd::Node*> todo;
  if (t.defined() && t.grad_fn()) todo.push_back(t.grad_fn().get());
  while (!todo.empty()) {
    const autograd::Node* n = todo.back();
    todo.pop_back();
    if (!seen.insert(n).second) continue;
    names.insert(n->name());
    for (const autograd::Edge& e : n->edges())
      if (e.node) todo.push_back(e.node.get());
  }
  return names;
}

}  // namespace zengen::testing

#define ZENGEN_CLAIM_CAT2(a, b) a##b
#define ZENGEN_CLAIM_CAT(a, b) ZENGEN_CLAIM_CAT2(a, b)
#define ZENGEN_CLAIM(registry, op)                                                                   \
  static_assert(::zengen::testing::is_listed_op(#op), #op " is not an op of ZENGEN_OPS");           \
  const ::zengen::testing::Claim ZENGEN_CLAIM_CAT(zengen_claim_, __LINE__)(registry, #op)

/// Inside a test body, before (or among) the gradchecks of `op`: they cover it.
#define ZENGEN_GRADCHECKED(op) ZENGEN_CLAIM(::zengen::testing::gradchecks(), op)
/// Inside a test body of tests/cuda/, before the comparisons of `op`'s CPU and CUDA results.
#define ZENGEN_TWIN_CHECKED(op) ZENGEN_CLAIM(::zengen::testing::twin_checks(), op)
