#include "zengen/optim/clip.hpp"

#include <cmath>

#include "ops/kernels.hpp"
#include "zengen/autograd/grad_mode.hpp"

namespace zengen::optim {

namespace {

/// The gradients to clip, each checked; a gradient whose elements overlap in
/// memory (a broadcast view) is first replaced by a contiguous copy, so that
/// an in-place change touches each element once.
std::vector<Tensor> writable_grads(const std::vector<Tensor>& params, const char* op) {
  std::vector<Tensor> grads;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    ZENGEN_CHECK(p.defined(), ValueError, op, ": parameter ", i, " is an undefined tensor");
    Tensor g = p.grad();
    if (!g.defined()) continue;
    ZENGEN_CHECK(is_floating(g.dtype()), DTypeError, op, ": the gradient of parameter ", i, " has dtype ", g.dtype());
    bool overlapping = false;
    for (std::int64_t d = 0; d < g.dim(); ++d) overlapping = overlapping || (g.stride(d) == 0 && g.size(d) > 1);
    if (overlapping) {
      g = g.detach().contiguous();
      p.set_grad(g);
    }
    grads.push_back(g);
  }
  return grads;
}

}  // namespace

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  const char* op = "clip_grad_norm_";
  ZENGEN_CHECK(max_norm >= 0.0, ValueError, op, ": max_norm must be >= 0, got ", max_norm);
  ZENGEN_CHECK(norm_type > 0.0, ValueError, op, ": norm_type must be > 0 or infinity, got ", norm_type);
  NoGradGuard no_grad;
  const std::vector<Tensor> grads = writable_grads(params, op);
  if (grads.empty()) return 0.0;
  const bool inf = std::isinf(norm_type);
  double total = 0.0;
  for (const Tensor& g : grads) {
    const double part = kernels::abs_pow_sum(g, norm_type);
    total = inf ? (part > total || part != part ? part : total) : total + part;
  }
  if (!inf) total = norm_type == 2.0 ? std::sqrt(total) : (norm_type == 1.0 ? total : std::pow(total, 1.0 / norm_type));
  ZENGEN_CHECK(!error_if_nonfinite || std::isfinite(total), ValueError, op, ": the total norm of order ", norm_type,
               " of the gradients is ", total, "; they cannot be clipped");
  const double coef = max_norm / (total + 1e-6);
  // PyTorch multiplies by min(coef, 1); multiplying by 1 changes nothing, and
  // a NaN coefficient (a NaN norm) still reaches the gradients, as there.
  if (!(coef >= 1.0))
    for (const Tensor& g : grads) kernels::scale_in_place(g, coef);
  return total;
}

void clip_grad_value_(const std::vector<Tensor>& params, double clip) {
  const char* op = "clip_grad_value_";
  ZENGEN_CHECK(clip >= 0.0, ValueError, op, ": clip must be >= 0, got ", clip);
  NoGradGuard no_grad;
  for (const Tensor& g : writable_grads(params, op)) kernels::clamp_in_place(g, clip);
}

}  // namespace zengen::optim
