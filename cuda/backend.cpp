// libzengen_cuda.so's entry point: the table of cuda/backend.hpp, filled
// with this module's launchers. The only symbol libzengen looks up in the
// module (src/core/cuda_module.cpp); the overloaded launchers are picked by
// the member's type.
#include "backend.hpp"

#include "zengen/version.hpp"

namespace cuda = zengen::cuda;

extern "C" __attribute__((visibility("default"))) const cuda::Backend* zengen_cuda_backend_v1() {
  static const cuda::Backend table{
      .version = cuda::kBackendVersion,
      .size = sizeof(cuda::Backend),
      .zengen_version = ZENGEN_VERSION_STRING,
      // ---- runtime.hpp: devices, memory, copies, streams
      .device_count = &cuda::device_count,
      .no_device_reason = &cuda::no_device_reason,
      .allocate = &cuda::allocate,
      .deallocate = &cuda::deallocate,
      .allocator_stats = &cuda::allocator_stats,
      .empty_cache = &cuda::empty_cache,
      .copy_bytes = &cuda::copy,
      .synchronize = &cuda::synchronize,
      .stream_handle = &cuda::stream_handle,
      // ---- elementwise.hpp
      .copy = &cuda::copy,
      .fill = &cuda::fill,
      .binary = &cuda::binary,
      .unary = &cuda::unary,
      .scalar = &cuda::scalar,
      .pow = &cuda::pow,
      .clamp = &cuda::clamp,
      .compare = &cuda::compare,
      .where = &cuda::where,
      .activation = &cuda::activation,
      .leaky_relu = &cuda::leaky_relu,
      .leaky_relu_backward = &cuda::leaky_relu_backward,
      .bias_leaky_relu = &cuda::bias_leaky_relu,
      .sigmoid_backward = &cuda::sigmoid_backward,
      .tanh_backward = &cuda::tanh_backward,
      // ---- softmax.hpp, reduction.hpp, matmul.hpp, index.hpp
      .log_softmax = &cuda::log_softmax,
      .log_softmax_backward = &cuda::log_softmax_backward,
      .sum = &cuda::sum,
      .max = &cuda::max,
      .matmul = &cuda::matmul,
      .index_select = &cuda::index_select,
      .index_add_ = &cuda::index_add_,
      // ---- loss.hpp, normalization.hpp
      .pointwise_loss = &cuda::pointwise_loss,
      .pointwise_loss_backward = &cuda::pointwise_loss_backward,
      .gaussian_kl = &cuda::gaussian_kl,
      .gaussian_kl_backward = &cuda::gaussian_kl_backward,
      .cross_entropy = &cuda::cross_entropy,
      .cross_entropy_backward = &cuda::cross_entropy_backward,
      .batch_norm_forward = &cuda::batch_norm_forward,
      .batch_norm_backward = &cuda::batch_norm_backward,
      // ---- random.hpp
      .fill_uniform = &cuda::fill_uniform,
      .fill_normal = &cuda::fill_normal,
      .fill_randint = &cuda::fill_randint,
      .fill_bernoulli = &cuda::fill_bernoulli,
      .fill_bernoulli_scalar = &cuda::fill_bernoulli,
      // ---- optim.hpp
      .sgd_update = &cuda::sgd_update,
      .adam_update = &cuda::adam_update,
      .abs_pow_sum = &cuda::abs_pow_sum,
      .scale_in_place = &cuda::scale_in_place,
      .clamp_in_place = &cuda::clamp_in_place,
      // ---- conv.hpp
      .conv_kernel_name = &cuda::to_string,
      .conv_kernel_from_env = &cuda::conv_kernel_from_env,
      .cudnn_supports = &cuda::cudnn_supports,
      .conv_set_device = &cuda::conv_set_device,
      .conv2d_forward = &cuda::conv2d_forward,
      .conv2d_backward_data = &cuda::conv2d_backward_data,
      .conv2d_backward_weight = &cuda::conv2d_backward_weight,
      .conv_bias_grad = &cuda::conv_bias_grad,
  };
  return &table;
}
