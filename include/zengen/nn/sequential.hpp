// Sequential: layers composed at run time, applied in order. Each layer is
// a ModuleBase with forward(Tensor) -> Tensor (the library's layers, your
// own modules, or another Sequential); it is stored type-erased, so a network
// of any depth is one type and compiles fast. A Linear (with a bias) or a
// BatchNorm followed by a ReLU or LeakyReLU runs with the activation fused
// into the layer's last pass.
//
//   nn::Sequential net(nn::Linear(784, 400), nn::ReLU(), nn::Linear(400, 10));
//   Tensor logits = net.forward(x);
//   std::cout << net.summary({1, 784});
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "zengen/nn/module.hpp"

namespace zengen::nn {

/// Layers run one after another, held type-erased, named "0", "1", ... or by name.
class Sequential : public ModuleBase {
 public:
  Sequential() : layers_(std::make_shared<std::vector<Layer>>()) {}
  template <typename... Ms>
    requires(sizeof...(Ms) > 0 && (TensorModule<Ms> && ...))
  explicit Sequential(Ms... modules) : Sequential() {
    (push_back(std::move(modules)), ...);
  }

  /// Appends a layer, named by its position ("0", "1", ...).
  template <typename M>
    requires TensorModule<M> && std::derived_from<M, ModuleBase>
  void push_back(M module) {
    push_back(std::to_string(layers_->size()), std::move(module));
  }
  template <typename M>
    requires TensorModule<M> && std::derived_from<M, ModuleBase>
  void push_back(std::string name, M module) {
    auto held = std::make_shared<M>(std::move(module));
    add_child(name, held);
    layers_->push_back({name, held, [held](const Tensor& x) { return Tensor(held->forward(x)); }});
  }

  Tensor forward(const Tensor& x) const;
  std::size_t size() const { return layers_->size(); }
  /// The i-th layer as its module.
  std::shared_ptr<ModuleBase> operator[](std::size_t i) const;
  /// The i-th layer as its concrete type (throws ValueError if it is not an M).
  template <typename M>
  M& at(std::size_t i) const {
    auto* m = dynamic_cast<M*>((*this)[i].get());
    ZENGEN_CHECK(m, ValueError, "Sequential::at: layer ", i, " (", (*this)[i]->describe(), ") is not of the type asked for");
    return *m;
  }
  /// A table of each layer with its output shape and parameter count, from
  /// a forward pass on zeros of input_shape (in eval mode, without grad).
  std::string summary(const Shape& input_shape, DType dtype = DType::Float32);
  std::string describe() const override { return "Sequential"; }

 private:
  struct Layer {
    std::string name;
    std::shared_ptr<ModuleBase> module;
    std::function<Tensor(const Tensor&)> forward;
  };
  std::shared_ptr<std::vector<Layer>> layers_;  // shared: copies are the same network
};

}  // namespace zengen::nn
