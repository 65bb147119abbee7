// The optimizer base: parameter groups (each with its own options, such as
// the learning rate), per-parameter state, step(), zero_grad(), and a state
// dictionary that saves and restores that state exactly.
//
// Parameters must be leaf tensors that require grad (floating, on the CPU
// until the CUDA kernels exist). step() runs under NoGradGuard and updates
// them in place; a parameter whose grad() is undefined is skipped (its step
// count does not advance), as in PyTorch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "zengen/core/tensor.hpp"

namespace zengen::optim {

/// Some parameters and the options they are updated with.
template <typename Options>
struct ParamGroup {
  std::vector<Tensor> params;
  Options options;
};

/// The base of the optimizers: step(), zero_grad(), learning rates and state_dict().
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// One update of every parameter that has a gradient.
  virtual void step() = 0;
  /// Drops every parameter's gradient (the next backward starts afresh).
  void zero_grad();

  /// "SGD", "Adam", "AdamW": names the optimizer in error messages.
  const std::string& name() const { return name_; }
  virtual std::size_t num_groups() const = 0;
  virtual const std::vector<Tensor>& params(std::size_t group) const = 0;
  /// Every parameter, group after group (the order state_dict numbers them in).
  std::vector<Tensor> parameters() const;

  virtual double group_lr(std::size_t group) const = 0;
  /// Throws ValueError for a negative (or NaN) learning rate.
  virtual void set_group_lr(std::size_t group, double lr) = 0;
  /// The learning rate of the first group.
  double lr() const { return group_lr(0); }
  /// Sets the learning rate of every group.
  void set_lr(double lr);

  /// The state as named tensors (copies): for parameter i (numbered over all
  /// groups), "i.step" (int64, 0-d: the updates it has had) and its buffers,
  /// e.g. "i.exp_avg", "i.exp_avg_sq", "i.max_exp_avg_sq" (Adam with
  /// amsgrad), "i.momentum_buffer" (SGD with momentum); and "groups.g.lr"
  /// (float64, 0-d) for each group.
  std::map<std::string, Tensor> state_dict() const;
  /// Restores a state_dict() of an optimizer of the same kind over
  /// parameters of the same shapes and dtypes, built with the same options.
  /// Everything is checked before anything changes; a missing, unexpected or
  /// mismatched entry throws (ValueError, ShapeError or DTypeError) naming it.
  void load_state_dict(const std::map<std::string, Tensor>& state);

 protected:
  explicit Optimizer(std::string name) : name_(std::move(name)) {}

  /// Per-parameter state, in parameters() order.
  struct State {
    std::int64_t step = 0;
    std::map<std::string, Tensor> buffers;
  };
  std::vector<State> state_;

  /// Checks the parameters of a new optimizer: defined, floating, CPU,
  /// leaves that require grad, none twice, at least one.
  void check_params(const std::vector<std::vector<Tensor>>& groups) const;
  /// Throws ValueError naming the optimizer unless value >= 0 (not NaN).
  void check_non_negative(double value, const char* what) const;
  /// The gradient of parameter `index`, checked against it; undefined when
  /// the parameter has none.
  Tensor checked_grad(const Tensor& param, std::size_t index) const;

 private:
  std::string name_;
};

/// An optimizer whose groups carry options of type Options (with a field
/// `lr`).
template <typename Options>
class GroupedOptimizer : public Optimizer {
 public:
  std::size_t num_groups() const override { return groups_.size(); }
  const std::vector<Tensor>& params(std::size_t group) const override { return at(group).params; }
  double group_lr(std::size_t group) const override { return at(group).options.lr; }
  void set_group_lr(std::size_t group, double lr) override {
    check_non_negative(lr, "lr");
    groups_[index_of(group)].options.lr = lr;
  }
  const Options& options(std::size_t group = 0) const { return at(group).options; }
  const std::vector<ParamGroup<Options>>& groups() const { return groups_; }

 protected:
  GroupedOptimizer(std::string name, std::vector<ParamGroup<Options>> groups)
      : Optimizer(std::move(name)), groups_(std::move(groups)) {
    std::vector<std::vector<Tensor>> params;
    for (const auto& g : groups_) params.push_back(g.params);
    check_params(params);
    std::size_t count = 0;
    for (const auto& g : groups_) count += g.params.size();
    state_.resize(count);
  }

  std::vector<ParamGroup<Options>> groups_;

 private:
  std::size_t index_of(std::size_t group) const {
    ZENGEN_CHECK(group < groups_.size(), ValueError, name(), ": no parameter group ", group, " (it has ",
                 groups_.size(), ")");
    return group;
  }
  const ParamGroup<Options>& at(std::size_t group) const { return groups_[index_of(group)]; }
};

}  // namespace zengen::optim
