// The one list of zengen's ops. Each entry is X(name, differentiable): tests
// iterate over it to make sure every differentiable op has a gradcheck test
// (tests/ops/op_coverage.cpp), and, once the CUDA backend exists, a CPU/GPU
// twin test.
#pragma once

#define ZENGEN_OPS(X)            \
  /* views and joins */          \
  X(reshape, true)               \
  X(view, true)                  \
  X(flatten, true)               \
  X(permute, true)               \
  X(transpose, true)             \
  X(unsqueeze, true)             \
  X(squeeze, true)               \
  X(expand, true)                \
  X(narrow, true)                \
  X(slice, true)                 \
  X(select, true)                \
  X(cat, true)                   \
  X(stack, true)                 \
  X(contiguous, true)            \
  X(index_select, true)          \
  X(index_add, true)             \
  /* element-wise */             \
  X(add, true)                   \
  X(sub, true)                   \
  X(mul, true)                   \
  X(div, true)                   \
  X(neg, true)                   \
  X(exp, true)                   \
  X(log, true)                   \
  X(sqrt, true)                  \
  X(pow, true)                   \
  X(abs, true)                   \
  X(square, true)                \
  X(clamp, true)                 \
  X(maximum, true)               \
  X(minimum, true)               \
  X(where, true)                 \
  X(compare, false)              \
  /* reductions */               \
  X(sum, true)                   \
  X(mean, true)                  \
  X(var, true)                   \
  X(max, true)                   \
  X(argmax, false)               \
  X(sum_to, true)                \
  /* linear algebra */           \
  X(matmul, true)                \
  /* convolutions */             \
  X(conv2d, true)                \
  X(conv_transpose2d, true)      \
  /* activations */              \
  X(relu, true)                  \
  X(leaky_relu, true)            \
  X(bias_leaky_relu, true)       \
  X(sigmoid, true)               \
  X(tanh, true)                  \
  X(softplus, true)              \
  X(log_softmax, true)           \
  /* normalisation */            \
  X(batch_norm_training, true)   \
  /* losses */                   \
  X(binary_cross_entropy, true)  \
  X(binary_cross_entropy_with_logits, true) \
  X(mse_loss, true)              \
  X(l1_loss, true)               \
  X(gaussian_kl, true)           \
  X(cross_entropy, true)

namespace zengen::ops {
#define ZENGEN_COUNT_OP(name, differentiable) +1
inline constexpr int op_count = 0 ZENGEN_OPS(ZENGEN_COUNT_OP);
#undef ZENGEN_COUNT_OP
}  // namespace zengen::ops
