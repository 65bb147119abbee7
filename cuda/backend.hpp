// The CUDA backend as the CPU library sees it: one table of function
// pointers, filled by cuda/backend.cpp inside libzengen_cuda.so and handed
// out by its one entry point, zengen_cuda_backend_v1(). libzengen never
// links the CUDA module: src/core/cuda_module.cpp dlopen()s it on the first
// CUDA request and reads this table (checking version, size and zengen's
// version), so a program that never asks for a GPU loads nothing of CUDA.
//
// Each member has the signature of the launcher of cuda/<family>.hpp it
// points to (decltype of that function; default arguments do not survive,
// so callers pass every argument). Plain C++, no CUDA header.
//
// Changing the table (a member added, removed, reordered or retyped) means
// bumping kBackendVersion; the entry point's name carries it, so a module
// and a libzengen of different table versions refuse each other clearly.
#pragma once

#include <cstddef>
#include <cstdint>

#include "conv.hpp"
#include "elementwise.hpp"
#include "index.hpp"
#include "loss.hpp"
#include "matmul.hpp"
#include "normalization.hpp"
#include "optim.hpp"
#include "random.hpp"
#include "reduction.hpp"
#include "runtime.hpp"
#include "softmax.hpp"

namespace zengen::cuda {

inline constexpr int kBackendVersion = 1;
/// The entry point's name, for dlsym.
inline constexpr const char* kBackendEntryPoint = "zengen_cuda_backend_v1";

struct Backend {
  int version;                 ///< kBackendVersion of the module's build
  std::size_t size;            ///< sizeof(Backend) of the module's build
  const char* zengen_version;  ///< ZENGEN_VERSION_STRING of the module's build

  // ---- runtime.hpp: devices, memory, copies, streams
  decltype(&cuda::device_count) device_count;
  decltype(&cuda::no_device_reason) no_device_reason;
  decltype(&cuda::allocate) allocate;
  decltype(&cuda::deallocate) deallocate;
  decltype(&cuda::allocator_stats) allocator_stats;
  decltype(&cuda::empty_cache) empty_cache;
  void (*copy_bytes)(void* dst, const void* src, std::size_t bytes, int kind, int device);
  decltype(&cuda::synchronize) synchronize;
  decltype(&cuda::stream_handle) stream_handle;

  // ---- elementwise.hpp
  void (*copy)(const TensorRef& dst, const TensorRef& src);
  decltype(&cuda::fill) fill;
  decltype(&cuda::binary) binary;
  decltype(&cuda::unary) unary;
  decltype(&cuda::scalar) scalar;
  decltype(&cuda::pow) pow;
  decltype(&cuda::clamp) clamp;
  decltype(&cuda::compare) compare;
  decltype(&cuda::where) where;
  decltype(&cuda::activation) activation;
  decltype(&cuda::leaky_relu) leaky_relu;
  decltype(&cuda::leaky_relu_backward) leaky_relu_backward;
  decltype(&cuda::bias_leaky_relu) bias_leaky_relu;
  decltype(&cuda::sigmoid_backward) sigmoid_backward;
  decltype(&cuda::tanh_backward) tanh_backward;

  // ---- softmax.hpp, reduction.hpp, matmul.hpp, index.hpp
  decltype(&cuda::log_softmax) log_softmax;
  decltype(&cuda::log_softmax_backward) log_softmax_backward;
  decltype(&cuda::sum) sum;
  decltype(&cuda::max) max;
  decltype(&cuda::matmul) matmul;
  decltype(&cuda::index_select) index_select;
  decltype(&cuda::index_add_) index_add_;

  // ---- loss.hpp, normalization.hpp
  decltype(&cuda::pointwise_loss) pointwise_loss;
  decltype(&cuda::pointwise_loss_backward) pointwise_loss_backward;
  decltype(&cuda::gaussian_kl) gaussian_kl;
  decltype(&cuda::gaussian_kl_backward) gaussian_kl_backward;
  decltype(&cuda::cross_entropy) cross_entropy;
  decltype(&cuda::cross_entropy_backward) cross_entropy_backward;
  decltype(&cuda::batch_norm_forward) batch_norm_forward;
  decltype(&cuda::batch_norm_backward) batch_norm_backward;

  // ---- random.hpp
  decltype(&cuda::fill_uniform) fill_uniform;
  decltype(&cuda::fill_normal) fill_normal;
  decltype(&cuda::fill_randint) fill_randint;
  void (*fill_bernoulli)(const TensorRef& out, const TensorRef& p, std::uint64_t seed, std::uint64_t block);
  void (*fill_bernoulli_scalar)(const TensorRef& out, double p, std::uint64_t seed, std::uint64_t block);

  // ---- optim.hpp
  decltype(&cuda::sgd_update) sgd_update;
  decltype(&cuda::adam_update) adam_update;
  decltype(&cuda::abs_pow_sum) abs_pow_sum;
  decltype(&cuda::scale_in_place) scale_in_place;
  decltype(&cuda::clamp_in_place) clamp_in_place;

  // ---- conv.hpp
  decltype(&cuda::to_string) conv_kernel_name;
  decltype(&cuda::conv_kernel_from_env) conv_kernel_from_env;
  decltype(&cuda::cudnn_supports) cudnn_supports;
  decltype(&cuda::conv_set_device) conv_set_device;
  decltype(&cuda::conv2d_forward) conv2d_forward;
  decltype(&cuda::conv2d_backward_data) conv2d_backward_data;
  decltype(&cuda::conv2d_backward_weight) conv2d_backward_weight;
  decltype(&cuda::conv_bias_grad) conv_bias_grad;
};

}  // namespace zengen::cuda

/// The module's one entry point (extern "C": looked up by name with dlsym):
/// its table, valid for the life of the process.
extern "C" const zengen::cuda::Backend* zengen_cuda_backend_v1();
