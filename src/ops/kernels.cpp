// Routes each kernel call to the CPU kernel or the CUDA launcher of the
// output's device. See kernels.hpp.
#include "ops/kernels.hpp"

#include "cpu/copy.hpp"
#include "cpu/index.hpp"
#include "cpu/matmul.hpp"
#include "cpu/optim.hpp"
#include "cpu/random.hpp"
#include "cpu/reduction.hpp"
#include "zengen/autograd/grad_mode.hpp"
#include "zengen/ops/factory.hpp"

// cuda/backend.hpp: the CUDA module's table of launchers (plain C++, no CUDA
// header), loaded by src/core/cuda_module.cpp.
#include "backend.hpp"
#include "core/cuda_module.hpp"

namespace zengen::kernels {

namespace {

/// Every operand on the output's device (undefined ones are skipped).
void check_devices(const char* op, const Tensor& out, std::initializer_list<const Tensor*> operands) {
  for (const Tensor* t : operands)
    if (t->defined())
      ZENGEN_CHECK(t->device() == out.device(), DeviceError, op, ": an operand is on ", t->device(),
                   " but the result is on ", out.device(), "; move them to one device with .to(device)");
}

/// The launcher's view of a tensor; an undefined tensor gives a ref without data.
cuda::TensorRef ref(const Tensor& t) {
  cuda::TensorRef r;
  if (!t.defined()) return r;
  ZENGEN_CHECK(t.dim() <= cuda::kMaxDims, ShapeError, "CUDA kernels take at most ", cuda::kMaxDims,
               " dims, got shape ", t.shape());
  r.data = t.data_ptr();
  r.dtype = t.dtype();
  r.device = t.device().index;
  r.ndim = static_cast<int>(t.dim());
  for (int d = 0; d < r.ndim; ++d) {
    r.sizes[d] = t.shape()[d];
    r.strides[d] = t.strides()[d];
  }
  return r;
}

/// The CUDA module's launchers. A CUDA tensor exists only once the module
/// is loaded, so this does not fail in practice.
const cuda::Backend& gpu() { return cuda_module::get("CUDA kernel"); }

// With the output on a CUDA device, run the launcher call and return.
#define ZENGEN_ON_CUDA(out, ...)  \
  if ((out).device().is_cuda()) { \
    __VA_ARGS__;                  \
    return;                       \
  }

}  // namespace

void copy(const Tensor& dst, const Tensor& src) {
  check_devices("copy", dst, {&src});
  ZENGEN_ON_CUDA(dst, gpu().copy(ref(dst), ref(src)));
  cpu::copy(dst, src);
}

void fill(const Tensor& dst, double value) {
  ZENGEN_ON_CUDA(dst, gpu().fill(ref(dst), value));
  cpu::fill(dst, value);
}

void binary(cpu::BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  check_devices("binary", out, {&a, &b});
  ZENGEN_ON_CUDA(out, gpu().binary(op, ref(out), ref(a), ref(b)));
  cpu::binary(op, out, a, b);
}

void unary(cpu::UnaryOp op, const Tensor& out, const Tensor& x) {
  check_devices("unary", out, {&x});
  ZENGEN_ON_CUDA(out, gpu().unary(op, ref(out), ref(x)));
  cpu::unary(op, out, x);
}

void scalar(cpu::ScalarOp op, const Tensor& out, const Tensor& x, double s) {
  check_devices("scalar", out, {&x});
  ZENGEN_ON_CUDA(out, gpu().scalar(op, ref(out), ref(x), s));
  cpu::scalar(op, out, x, s);
}

void pow(const Tensor& out, const Tensor& x, double exponent) {
  check_devices("pow", out, {&x});
  ZENGEN_ON_CUDA(out, gpu().pow(ref(out), ref(x), exponent));
  cpu::pow(out, x, exponent);
}

void clamp(const Tensor& out, const Tensor& x, double low, double high) {
  check_devices("clamp", out, {&x});
  ZENGEN_ON_CUDA(out, gpu().clamp(ref(out), ref(x), low, high));
  cpu::clamp(out, x, low, high);
}

void compare(cpu::CompareOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  check_devices("compare", out, {&a, &b});
  ZENGEN_ON_CUDA(out, gpu().compare(op, ref(out), ref(a), ref(b)));
  cpu::compare(op, out, a, b);
}

void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) {
  check_devices("where", out, {&cond, &a, &b});
  ZENGEN_ON_CUDA(out, gpu().where(ref(out), ref(cond), ref(a), ref(b)));
  cpu::where(out, cond, a, b);
}

void activation(cpu::Activation kind, const Tensor& out, const Tensor& x) {
  check_devices("activation", out, {&x});
  ZENGEN_ON_CUDA(out, gpu().activation(kind, ref(out), ref(x)));
  cpu::activation(kind, out, x);
}

void leaky_relu(const Tensor& out, const Tensor& x, double slope) {
  check_devices("leaky_relu", out, {&x});
  ZENGEN_ON_CUDA(out, gpu().leaky_relu(ref(out), ref(x), slope));
  cpu::leaky_relu(out, x, slope);
}

void leaky_relu_backward(const Tensor& out, const Tensor& grad, const Tensor& x, double slope) {
  check_devices("leaky_relu_backward", out, {&grad, &x});
  ZENGEN_ON_CUDA(out, gpu().leaky_relu_backward(ref(out), ref(grad), ref(x), slope));
  cpu::leaky_relu_backward(out, grad, x, slope);
}

void bias_leaky_relu(const Tensor& out, const Tensor& x, const Tensor& bias, std::int64_t dim, double slope) {
  check_devices("bias_leaky_relu", out, {&x, &bias});
  const Tensor xc = x.contiguous(), bc = bias.contiguous();
  ZENGEN_ON_CUDA(out, gpu().bias_leaky_relu(ref(out), ref(xc), ref(bc), static_cast<int>(dim), slope));
  cpu::bias_leaky_relu(out, xc, bc, dim, slope);
}

void sigmoid_backward(const Tensor& out, const Tensor& grad, const Tensor& y) {
  check_devices("sigmoid_backward", out, {&grad, &y});
  ZENGEN_ON_CUDA(out, gpu().sigmoid_backward(ref(out), ref(grad), ref(y)));
  cpu::sigmoid_backward(out, grad, y);
}

void tanh_backward(const Tensor& out, const Tensor& grad, const Tensor& y) {
  check_devices("tanh_backward", out, {&grad, &y});
  ZENGEN_ON_CUDA(out, gpu().tanh_backward(ref(out), ref(grad), ref(y)));
  cpu::tanh_backward(out, grad, y);
}

void log_softmax(const Tensor& out, const Tensor& x, std::int64_t dim) {
  check_devices("log_softmax", out, {&x});
  ZENGEN_ON_CUDA(out, gpu().log_softmax(ref(out), ref(x.contiguous()), dim));
  cpu::log_softmax(out, x, dim);
}

void log_softmax_backward(const Tensor& out, const Tensor& grad, const Tensor& y, std::int64_t dim) {
  check_devices("log_softmax_backward", out, {&grad, &y});
  ZENGEN_ON_CUDA(out, gpu().log_softmax_backward(ref(out), ref(grad.contiguous()), ref(y.contiguous()), dim));
  cpu::log_softmax_backward(out, grad, y, dim);
}

void sum(const Tensor& out, const Tensor& x, const std::vector<bool>& reduce) {
  check_devices("sum", out, {&x});
  if (out.device().is_cuda()) {
    bool flags[cuda::kMaxDims] = {};
    for (std::size_t d = 0; d < reduce.size() && d < static_cast<std::size_t>(cuda::kMaxDims); ++d)
      flags[d] = reduce[d];
    gpu().sum(ref(out), ref(x), flags);
    return;
  }
  cpu::sum(out, x, reduce);
}

void max(const Tensor& values, const Tensor& indices, const Tensor& x, std::int64_t dim) {
  check_devices("max", values, {&indices, &x});
  ZENGEN_ON_CUDA(values, gpu().max(ref(values), ref(indices), ref(x), static_cast<int>(dim)));
  cpu::max(values, indices, x, dim);
}

void matmul(const Tensor& out, const Tensor& a, const Tensor& b) {
  check_devices("matmul", out, {&a, &b});
  ZENGEN_ON_CUDA(out, gpu().matmul(ref(out), ref(a), ref(b)));
  cpu::matmul(out, a, b);
}

void cuda_pointwise_loss(cpu::PointwiseLoss kind, const Tensor& out, const Tensor& x, const Tensor& t,
                         const Tensor& w, bool reduce, double scale) {
  check_devices("loss", out, {&x, &t, &w});
  gpu().pointwise_loss(kind, ref(out), ref(x), ref(t), ref(w), reduce, scale);
}
void cuda_pointwise_loss_backward(cpu::PointwiseLoss kind, const Tensor& gx, const Tensor& gt, const Tensor& grad_out,
                                  double scale, const Tensor& x, const Tensor& t, const Tensor& w) {
  check_devices("loss backward", x, {&gx, &gt, &grad_out, &t, &w});
  gpu().pointwise_loss_backward(kind, ref(gx), ref(gt), ref(grad_out), scale, ref(x), ref(t),
                                ref(w));
}
void cuda_gaussian_kl(const Tensor& out, const Tensor& mu, const Tensor& logvar, bool reduce, double scale) {
  check_devices("gaussian_kl", out, {&mu, &logvar});
  gpu().gaussian_kl(ref(out), ref(mu), ref(logvar), reduce, scale);
}
void cuda_gaussian_kl_backward(const Tensor& gmu, const Tensor& glv, const Tensor& grad_out, double scale,
                               const Tensor& mu, const Tensor& logvar) {
  check_devices("gaussian_kl backward", mu, {&gmu, &glv, &grad_out, &logvar});
  gpu().gaussian_kl_backward(ref(gmu), ref(glv), ref(grad_out), scale, ref(mu), ref(logvar));
}
void cuda_cross_entropy(const Tensor& out, const Tensor& lse, const Tensor& logits, const Tensor& target, bool reduce,
                        double scale) {
  check_devices("cross_entropy", logits, {&out, &lse, &target});
  gpu().cross_entropy(ref(out), ref(lse), ref(logits), ref(target), reduce, scale);
}
void cuda_cross_entropy_backward(const Tensor& grad_logits, const Tensor& grad_out, double scale,
                                 const Tensor& logits, const Tensor& target, const Tensor& lse) {
  check_devices("cross_entropy backward", logits, {&grad_logits, &grad_out, &target, &lse});
  gpu().cross_entropy_backward(ref(grad_logits), ref(grad_out), scale, ref(logits), ref(target), ref(lse));
}
void cuda_batch_norm_forward(const Tensor& y, const Tensor& mean, const Tensor& var, const Tensor& invstd,
                             const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                             std::optional<double> leaky_slope) {
  check_devices("batch_norm", x, {&y, &mean, &var, &invstd, &weight, &bias});
  gpu().batch_norm_forward(ref(y), ref(mean), ref(var), ref(invstd), ref(x), ref(weight), ref(bias), eps, leaky_slope);
}
void cuda_batch_norm_backward(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& gy, const Tensor& x,
                              const Tensor& weight, const Tensor& bias, const Tensor& mean, const Tensor& invstd,
                              std::optional<double> leaky_slope) {
  check_devices("batch_norm backward", x, {&gx, &gw, &gb, &gy, &weight, &bias, &mean, &invstd});
  gpu().batch_norm_backward(ref(gx), ref(gw), ref(gb), ref(gy), ref(x), ref(weight), ref(bias), ref(mean),
                            ref(invstd), leaky_slope);
}

namespace {
// The checked, wrapped indices on `device`, for a CUDA launcher.
Tensor device_index(const std::vector<std::int64_t>& idx, Device device) {
  NoGradGuard no_grad;
  return from_vector(idx, {static_cast<std::int64_t>(idx.size())}).to(device);
}
}  // namespace

void index_select(const Tensor& out, const Tensor& x, std::int64_t dim, const std::vector<std::int64_t>& idx) {
  check_devices("index_select", out, {&x});
  ZENGEN_ON_CUDA(out, gpu().index_select(ref(out), ref(x), static_cast<int>(dim), ref(device_index(idx, out.device()))));
  cpu::index_select(out, x, dim, idx);
}

void index_add_(const Tensor& out, std::int64_t dim, const std::vector<std::int64_t>& idx, const Tensor& source) {
  check_devices("index_add", out, {&source});
  ZENGEN_ON_CUDA(out, gpu().index_add_(ref(out), static_cast<int>(dim), ref(device_index(idx, out.device())), ref(source)));
  cpu::index_add_(out, dim, idx, source);
}

void fill_uniform(const Tensor& out, std::uint64_t seed, std::uint64_t block, double low, double high) {
  ZENGEN_ON_CUDA(out, gpu().fill_uniform(ref(out), seed, block, low, high));
  cpu::fill_uniform(out, seed, block, low, high);
}

void fill_normal(const Tensor& out, std::uint64_t seed, std::uint64_t block, double mean, double std) {
  ZENGEN_ON_CUDA(out, gpu().fill_normal(ref(out), seed, block, mean, std));
  cpu::fill_normal(out, seed, block, mean, std);
}

void fill_randint(const Tensor& out, std::uint64_t seed, std::uint64_t block, std::int64_t low, std::int64_t high) {
  ZENGEN_ON_CUDA(out, gpu().fill_randint(ref(out), seed, block, low, high));
  cpu::fill_randint(out, seed, block, low, high);
}

void fill_bernoulli(const Tensor& out, const Tensor& p, std::uint64_t seed, std::uint64_t block) {
  ZENGEN_ON_CUDA(out, gpu().fill_bernoulli(ref(out), ref(p), seed, block));
  cpu::fill_bernoulli(out, p, seed, block);
}

void fill_bernoulli(const Tensor& out, double p, std::uint64_t seed, std::uint64_t block) {
  ZENGEN_ON_CUDA(out, gpu().fill_bernoulli_scalar(ref(out), p, seed, block));
  cpu::fill_bernoulli(out, p, seed, block);
}

namespace {
/// A CUDA operand as the fused kernels take it: contiguous (a copy of a
/// strided or broadcast gradient; parameters and state are contiguous).
Tensor dense(const Tensor& t) { return !t.defined() || t.is_contiguous() ? t : t.contiguous(); }
}  // namespace

void sgd_update(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer,
                const optim::functors::SGDScalars& scalars, bool first) {
  check_devices("SGD", param, {&grad, &momentum_buffer});
  ZENGEN_ON_CUDA(param, gpu().sgd_update(ref(param), ref(dense(grad)), ref(momentum_buffer), scalars, first));
  cpu::sgd_update(param, grad, momentum_buffer, scalars, first);
}

void adam_update(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                 const Tensor& max_exp_avg_sq, const optim::functors::AdamScalars& scalars) {
  check_devices("Adam", param, {&grad, &exp_avg, &exp_avg_sq, &max_exp_avg_sq});
  ZENGEN_ON_CUDA(param, gpu().adam_update(ref(param), ref(dense(grad)), ref(exp_avg), ref(exp_avg_sq),
                                          ref(max_exp_avg_sq), scalars));
  cpu::adam_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, scalars);
}

double abs_pow_sum(const Tensor& g, double p) {
  if (g.device().is_cuda()) return gpu().abs_pow_sum(ref(dense(g)), p);
  return cpu::abs_pow_sum(g, p);
}

void scale_in_place(const Tensor& g, double coef) {
  ZENGEN_ON_CUDA(g, gpu().scale_in_place(ref(g), coef));
  cpu::scale_in_place(g, coef);
}

void clamp_in_place(const Tensor& g, double clip) {
  ZENGEN_ON_CUDA(g, gpu().clamp_in_place(ref(g), clip));
  cpu::clamp_in_place(g, clip);
}

}  // namespace zengen::kernels
