// Modules: the building blocks of networks.
//
// A module owns named parameters (trained), buffers (saved but not trained,
// like BatchNorm's running statistics) and child modules. ModuleBase gives
// any user struct that derives from it the bookkeeping: register what you
// own in the constructor, write forward(), and parameters(), state_dict(),
// train()/eval(), to(device) and zero_grad() work on the whole tree.
//
// Modules have handle semantics: copying one shares its parameters, buffers,
// children and train/eval flag (as copying a Tensor shares its storage), so a
// module can be registered, stored in a Sequential and held by a model at the
// same time and stay one module.
#pragma once

#include <concepts>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "zengen/core/tensor.hpp"

namespace zengen::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

/// The base of every module: parameters, buffers and child modules by name, and what works on the whole tree (see the file's summary).
class ModuleBase {
 public:
  ModuleBase();
  virtual ~ModuleBase() = default;

  /// Parameters in registration order, children's after their parent's own,
  /// named with dots: "main.3.weight".
  NamedTensors named_parameters(bool recurse = true) const;
  std::vector<Tensor> parameters(bool recurse = true) const;
  NamedTensors named_buffers(bool recurse = true) const;
  std::vector<std::pair<std::string, std::shared_ptr<ModuleBase>>> named_children() const;

  /// Parameters and buffers by name (what a checkpoint holds).
  std::map<std::string, Tensor> state_dict() const;
  /// Copies values in by name. Strict: every entry must match a parameter or
  /// buffer and every parameter/buffer must be present. Shapes and dtypes
  /// must match (values are converted to the module's dtype only when
  /// allow_dtype_conversion). Throws ShapeError/DTypeError naming the entry,
  /// or one ValueError listing the missing and the unexpected entries (the
  /// first five of each, and how many more).
  void load_state_dict(const std::map<std::string, Tensor>& state, bool strict = true,
                       bool allow_dtype_conversion = false);

  /// Training mode (the default) vs evaluation mode, for this module and all
  /// its children (BatchNorm and Dropout behave differently).
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const;

  /// Moves every parameter and buffer, in place (handles stay valid).
  void to(Device device);
  /// Converts every floating parameter and buffer, in place.
  void to(DType dtype);
  /// Drops every parameter's gradient.
  void zero_grad();
  std::int64_t num_parameters() const;

  /// One line describing this module, e.g. "Linear(in=784, out=400, bias=true)".
  virtual std::string describe() const { return "Module"; }
  /// The module tree, one line per module, indented.
  std::string str() const;

 protected:
  /// Registers a parameter (it gets requires_grad) and returns the handle to
  /// keep as a member.
  Tensor register_parameter(std::string name, Tensor value);
  Tensor register_buffer(std::string name, Tensor value);
  /// Registers a child module (shared, not copied deeply) and returns it.
  template <typename M>
    requires std::derived_from<M, ModuleBase>
  M register_module(std::string name, M module) {
    add_child(std::move(name), std::make_shared<M>(module));
    return module;
  }
  template <typename M>
    requires std::derived_from<M, ModuleBase>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> module) {
    add_child(std::move(name), module);
    return module;
  }
  void add_child(std::string name, std::shared_ptr<ModuleBase> child);

 private:
  struct State;
  std::shared_ptr<State> state_;
};

/// What every module offers (ModuleBase provides it all).
template <typename M>
concept Module = requires(M& m, const M& cm, Device device) {
  { cm.parameters() } -> std::convertible_to<std::vector<Tensor>>;
  { cm.named_parameters() } -> std::convertible_to<NamedTensors>;
  { cm.state_dict() } -> std::convertible_to<std::map<std::string, Tensor>>;
  m.train(true);
  m.eval();
  m.to(device);
  m.zero_grad();
};

/// A module whose forward maps one tensor to one tensor (what Sequential holds).
template <typename M>
concept TensorModule = Module<M> && requires(M& m, const Tensor& x) {
  { m.forward(x) } -> std::convertible_to<Tensor>;
};

}  // namespace zengen::nn
