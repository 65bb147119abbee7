#include "zengen/optim/optimizer.hpp"

#include <cmath>
#include <set>

#include "zengen/autograd/node.hpp"
#include "zengen/ops/factory.hpp"

namespace zengen::optim {

void Optimizer::zero_grad() {
  for (std::size_t g = 0; g < num_groups(); ++g)
    for (const Tensor& p : params(g)) p.zero_grad();
}

std::vector<Tensor> Optimizer::parameters() const {
  std::vector<Tensor> all;
  for (std::size_t g = 0; g < num_groups(); ++g)
    for (const Tensor& p : params(g)) all.push_back(p);
  return all;
}

void Optimizer::set_lr(double lr) {
  check_non_negative(lr, "lr");
  for (std::size_t g = 0; g < num_groups(); ++g) set_group_lr(g, lr);
}

void Optimizer::check_non_negative(double value, const char* what) const {
  ZENGEN_CHECK(value >= 0.0, ValueError, name_, ": ", what, " must be >= 0, got ", value);
}

void Optimizer::check_params(const std::vector<std::vector<Tensor>>& groups) const {
  std::set<const TensorImpl*> seen;
  std::size_t index = 0;
  for (std::size_t g = 0; g < groups.size(); ++g)
    for (const Tensor& p : groups[g]) {
      ZENGEN_CHECK(p.defined(), ValueError, name_, ": parameter ", index, " (group ", g, ") is an undefined tensor");
      ZENGEN_CHECK(is_floating(p.dtype()), DTypeError, name_, ": parameter ", index, " has dtype ", p.dtype(),
                   "; parameters must be float32 or float64");
      ZENGEN_CHECK(p.is_leaf(), ValueError, name_, ": parameter ", index, " of shape ", p.shape(),
                   " is not a leaf tensor (it was computed by '", p.grad_fn()->name(),
                   "'); optimizers update leaves: pass x.detach().requires_grad_() or the module's parameters");
      ZENGEN_CHECK(p.requires_grad(), ValueError, name_, ": parameter ", index, " of shape ", p.shape(),
                   " does not require grad, so it would never get a gradient; call requires_grad_() on it");
      ZENGEN_CHECK(seen.insert(p.impl()).second, ValueError, name_, ": parameter ", index,
                   " appears more than once (parameters must be distinct, also across groups)");
      ++index;
    }
  ZENGEN_CHECK(index > 0, ValueError, name_, ": got an empty parameter list");
}

Tensor Optimizer::checked_grad(const Tensor& param, std::size_t index) const {
  Tensor g = param.grad();
  if (!g.defined()) return g;
  ZENGEN_CHECK(g.shape() == param.shape(), ShapeError, name_, ": the gradient of parameter ", index, " has shape ",
               g.shape(), " but the parameter has shape ", param.shape());
  ZENGEN_CHECK(g.dtype() == param.dtype(), DTypeError, name_, ": the gradient of parameter ", index, " has dtype ",
               g.dtype(), " but the parameter has dtype ", param.dtype());
  ZENGEN_CHECK(g.device() == param.device(), DeviceError, name_, ": the gradient of parameter ", index, " is on ",
               g.device(), " but the parameter is on ", param.device());
  return g;
}

// ---- state ----

namespace {
std::string group_key(std::size_t g) { return "groups." + std::to_string(g) + ".lr"; }
std::string param_key(std::size_t i, const std::string& what) { return std::to_string(i) + "." + what; }
}  // namespace

std::map<std::string, Tensor> Optimizer::state_dict() const {
  std::map<std::string, Tensor> out;
  for (std::size_t i = 0; i < state_.size(); ++i) {
    out[param_key(i, "step")] = scalar_tensor(static_cast<double>(state_[i].step), {.dtype = DType::Int64});
    for (const auto& [name, buffer] : state_[i].buffers) out[param_key(i, name)] = buffer.detach().clone();
  }
  for (std::size_t g = 0; g < num_groups(); ++g)
    out[group_key(g)] = scalar_tensor(group_lr(g), {.dtype = DType::Float64});
  return out;
}

void Optimizer::load_state_dict(const std::map<std::string, Tensor>& state) {
  const std::string op = name_ + "::load_state_dict";
  // Every entry this optimizer expects, checked before anything changes.
  std::set<std::string> expected;
  auto find = [&](const std::string& key) -> const Tensor& {
    expected.insert(key);
    auto it = state.find(key);
    ZENGEN_CHECK(it != state.end(), ValueError, op, ": missing entry '", key,
                 "' (was the state saved by an optimizer with other parameters or options?)");
    ZENGEN_CHECK(it->second.defined(), ValueError, op, ": entry '", key, "' is an undefined tensor");
    return it->second;
  };
  auto check_scalar = [&](const Tensor& t, const std::string& key, DType dtype) {
    ZENGEN_CHECK(t.dtype() == dtype, DTypeError, op, ": entry '", key, "' has dtype ", t.dtype(), ", expected ", dtype);
    ZENGEN_CHECK(t.numel() == 1, ShapeError, op, ": entry '", key, "' has shape ", t.shape(),
                 ", expected a single value");
  };
  const std::vector<Tensor> params = parameters();
  std::vector<std::int64_t> steps(state_.size());
  for (std::size_t i = 0; i < state_.size(); ++i) {
    const std::string key = param_key(i, "step");
    const Tensor& step = find(key);
    check_scalar(step, key, DType::Int64);
    steps[i] = step.item<std::int64_t>();
    ZENGEN_CHECK(steps[i] >= 0, ValueError, op, ": entry '", key, "' is negative (", steps[i], ")");
    for (const auto& [name, buffer] : state_[i].buffers) {
      const std::string bkey = param_key(i, name);
      const Tensor& saved = find(bkey);
      ZENGEN_CHECK(saved.shape() == params[i].shape(), ShapeError, op, ": entry '", bkey, "' has shape ", saved.shape(),
                   " but parameter ", i, " has shape ", params[i].shape());
      ZENGEN_CHECK(saved.dtype() == buffer.dtype(), DTypeError, op, ": entry '", bkey, "' has dtype ", saved.dtype(),
                   " but parameter ", i, " has dtype ", buffer.dtype());
    }
  }
  std::vector<double> lrs(num_groups());
  for (std::size_t g = 0; g < num_groups(); ++g) {
    const std::string key = group_key(g);
    const Tensor& lr = find(key);
    check_scalar(lr, key, DType::Float64);
    lrs[g] = lr.item<double>();
    ZENGEN_CHECK(lrs[g] >= 0.0, ValueError, op, ": entry '", key, "' is not a valid learning rate (", lrs[g], ")");
  }
  for (const auto& [key, value] : state)
    ZENGEN_CHECK(expected.count(key), ValueError, op, ": unexpected entry '", key,
                 "' (was the state saved by an optimizer with other parameters or options?)");
  // All checked: copy.
  for (std::size_t i = 0; i < state_.size(); ++i) {
    state_[i].step = steps[i];
    for (auto& [name, buffer] : state_[i].buffers) buffer.copy_(state.at(param_key(i, name)));
  }
  for (std::size_t g = 0; g < num_groups(); ++g) set_group_lr(g, lrs[g]);
}

}  // namespace zengen::optim
