#include "zengen/nn/sequential.hpp"

#include <cstdio>
#include <optional>
#include <sstream>
#include <typeinfo>

#include "zengen/autograd/grad_mode.hpp"
#include "zengen/nn/functional.hpp"
#include "zengen/nn/layers.hpp"
#include "zengen/ops/activation.hpp"
#include "zengen/ops/factory.hpp"

namespace zengen::nn {

namespace {
// Runs `layer` and the activation after it as one fused op where they can
// be: a Linear with a bias then a ReLU or LeakyReLU (bias_leaky_relu: the
// matmul, then one pass for the bias and the activation), or a
// BatchNorm1d/2d then a ReLU or LeakyReLU (the activation fused into batch
// norm's passes).
// Slopes must be >= 0. The same values as the two layers one after the
// other, with a pass over the output fewer. Exact types only: a subclass may
// have its own forward. nullopt: not such a pair.
std::optional<Tensor> run_fused_pair(const ModuleBase& layer, const ModuleBase& next, const Tensor& x) {
  const bool relu = typeid(next) == typeid(ReLU);
  if (!relu && typeid(next) != typeid(LeakyReLU)) return std::nullopt;
  const double slope = relu ? 0.0 : static_cast<const LeakyReLU&>(next).negative_slope;
  if (slope < 0.0) return std::nullopt;
  if (typeid(layer) == typeid(Linear)) {
    const auto& linear = static_cast<const Linear&>(layer);
    if (linear.bias.defined())
      return bias_leaky_relu(functional::linear(x, linear.weight, Tensor()), linear.bias, slope, -1);
  }
  if (typeid(layer) == typeid(BatchNorm1d) || typeid(layer) == typeid(BatchNorm2d))
    return static_cast<const BatchNorm&>(layer).forward_activated(x, slope);
  return std::nullopt;
}
}  // namespace

Tensor Sequential::forward(const Tensor& x) const {
  Tensor y = x;
  const std::vector<Layer>& layers = *layers_;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (i + 1 < layers.size()) {
      if (std::optional<Tensor> fused = run_fused_pair(*layers[i].module, *layers[i + 1].module, y)) {
        y = *fused;
        ++i;
        continue;
      }
    }
    y = layers[i].forward(y);
  }
  return y;
}

std::shared_ptr<ModuleBase> Sequential::operator[](std::size_t i) const {
  ZENGEN_CHECK(i < layers_->size(), ValueError, "Sequential: index ", i, " is out of range for ", layers_->size(),
               " layers");
  return (*layers_)[i].module;
}

namespace {
// Puts a module in eval mode for a scope, then restores its mode.
class EvalScope {
 public:
  explicit EvalScope(ModuleBase& m) : module_(m), was_training_(m.is_training()) { m.eval(); }
  ~EvalScope() { module_.train(was_training_); }
  EvalScope(const EvalScope&) = delete;
  EvalScope& operator=(const EvalScope&) = delete;

 private:
  ModuleBase& module_;
  bool was_training_;
};
}  // namespace

std::string Sequential::summary(const Shape& input_shape, DType dtype) {
  EvalScope eval_mode(*this);
  NoGradGuard no_grad;
  std::ostringstream os;
  char line[256];
  std::snprintf(line, sizeof line, "%-4s %-52s %-22s %12s\n", "#", "layer", "output shape", "parameters");
  os << line << std::string(92, '-') << "\n";
  // On the layers' device (a moved model's first parameter tells).
  const auto params = parameters();
  const Device device = params.empty() ? Device::cpu() : params.front().device();
  Tensor y = zeros(input_shape, {.dtype = dtype, .device = device});
  std::int64_t total = 0;
  for (const Layer& layer : *layers_) {
    y = layer.forward(y);
    const std::int64_t n = layer.module->num_parameters();
    total += n;
    std::snprintf(line, sizeof line, "%-4s %-52s %-22s %12lld\n", layer.name.c_str(),
                  layer.module->describe().substr(0, 52).c_str(), y.shape().str().c_str(), static_cast<long long>(n));
    os << line;
  }
  os << std::string(92, '-') << "\n";
  std::snprintf(line, sizeof line, "input %s -> output %s, %lld parameters\n", input_shape.str().c_str(),
                y.shape().str().c_str(), static_cast<long long>(total));
  os << line;
  return os.str();
}

}  // namespace zengen::nn
