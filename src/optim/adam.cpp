#include "zengen/optim/adam.hpp"

#include "ops/kernels.hpp"
#include "zengen/autograd/grad_mode.hpp"
#include "zengen/ops/factory.hpp"

namespace zengen::optim {

namespace {

/// State made before the parameters moved (module.to(device) after the
/// optimizer was built) follows them to their device on the next step.
void follow_param(std::map<std::string, Tensor>& buffers, const Tensor& p) {
  for (auto& [name, buffer] : buffers)
    if (buffer.defined() && buffer.device() != p.device()) buffer = buffer.to(p.device());
}

template <typename Options>
std::vector<ParamGroup<Options>> one_group(std::vector<Tensor> params, const Options& options) {
  std::vector<ParamGroup<Options>> groups;
  groups.push_back({std::move(params), options});
  return groups;
}

// Adam and AdamW share everything but where the weight decay goes.
template <typename Options>
void check_and_init(const char* name, const std::vector<ParamGroup<Options>>& groups,
                    std::vector<std::map<std::string, Tensor>*> buffers) {
  std::size_t index = 0;
  for (const auto& group : groups) {
    const Options& o = group.options;
    ZENGEN_CHECK(o.lr >= 0.0, ValueError, name, ": lr must be >= 0, got ", o.lr);
    ZENGEN_CHECK(o.eps >= 0.0, ValueError, name, ": eps must be >= 0, got ", o.eps);
    ZENGEN_CHECK(o.beta1 >= 0.0 && o.beta1 < 1.0, ValueError, name, ": beta1 must be in [0, 1), got ", o.beta1);
    ZENGEN_CHECK(o.beta2 >= 0.0 && o.beta2 < 1.0, ValueError, name, ": beta2 must be in [0, 1), got ", o.beta2);
    ZENGEN_CHECK(o.weight_decay >= 0.0, ValueError, name, ": weight_decay must be >= 0, got ", o.weight_decay);
    for (const Tensor& p : group.params) {
      auto& b = *buffers[index++];
      const TensorOptions like{.dtype = p.dtype(), .device = p.device()};
      b["exp_avg"] = zeros(p.shape(), like);
      b["exp_avg_sq"] = zeros(p.shape(), like);
      if (o.amsgrad) b["max_exp_avg_sq"] = zeros(p.shape(), like);
    }
  }
}

template <typename Options, typename State, typename GradFn>
void adam_step(const std::vector<ParamGroup<Options>>& groups, std::vector<State>& state, bool decoupled,
               GradFn checked_grad) {
  NoGradGuard no_grad;
  std::size_t index = 0;
  for (const auto& group : groups) {
    const Options& o = group.options;
    for (const Tensor& p : group.params) {
      State& s = state[index];
      const Tensor g = checked_grad(p, index++);
      if (!g.defined()) continue;
      ++s.step;
      const auto scalars =
          functors::AdamScalars::make(o.lr, o.beta1, o.beta2, o.eps, o.weight_decay, decoupled, s.step);
      follow_param(s.buffers, p);
      kernels::adam_update(p, g, s.buffers.at("exp_avg"), s.buffers.at("exp_avg_sq"),
                           o.amsgrad ? s.buffers.at("max_exp_avg_sq") : Tensor(), scalars);
    }
  }
}

}  // namespace

Adam::Adam(std::vector<Tensor> params, AdamOptions options) : Adam(one_group(std::move(params), options)) {}

Adam::Adam(std::vector<ParamGroup<AdamOptions>> groups) : GroupedOptimizer("Adam", std::move(groups)) {
  std::vector<std::map<std::string, Tensor>*> buffers;
  for (auto& s : state_) buffers.push_back(&s.buffers);
  check_and_init("Adam", groups_, buffers);
}

void Adam::step() {
  adam_step(groups_, state_, /*decoupled=*/false,
            [this](const Tensor& p, std::size_t i) { return checked_grad(p, i); });
}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions options) : AdamW(one_group(std::move(params), options)) {}

AdamW::AdamW(std::vector<ParamGroup<AdamWOptions>> groups) : GroupedOptimizer("AdamW", std::move(groups)) {
  std::vector<std::map<std::string, Tensor>*> buffers;
  for (auto& s : state_) buffers.push_back(&s.buffers);
  check_and_init("AdamW", groups_, buffers);
}

void AdamW::step() {
  adam_step(groups_, state_, /*decoupled=*/true,
            [this](const Tensor& p, std::size_t i) { return checked_grad(p, i); });
}

}  // namespace zengen::optim
