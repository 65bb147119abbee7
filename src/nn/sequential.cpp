#include "zengen/nn/sequential.hpp"

#include <cstdio>
#include <sstream>

#include "zengen/autograd/grad_mode.hpp"
#include "zengen/ops/factory.hpp"

namespace zengen::nn {

Tensor Sequential::forward(const Tensor& x) const {
  Tensor y = x;
  for (const Layer& layer : *layers_) y = layer.forward(y);
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
  Tensor y = zeros(input_shape, {.dtype = dtype});
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
