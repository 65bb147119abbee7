// The one list of zengen's public ops. Each entry is
// X(name, differentiable, cuda): `differentiable` ops must pass a gradcheck
// (tests/ops/, checked at run time by tests/ops/op_coverage.cpp), and ops
// with a CUDA path (`cuda`) must be compared with the CPU in tests/cuda/
// (tests/cuda/twin_coverage.cpp). An op declared in include/zengen/ops/
// belongs here; its overloads share one entry (the scalar forms of the
// arithmetic share add, sub, mul, div; eq/ne/lt/le/gt/ge are `compare`).
// Factories (zeros, rand, ...) are not ops: they have no gradient.
#pragma once

#define ZENGEN_OPS(X)                          \
  /* views and joins */                        \
  X(reshape, true, true)                       \
  X(view, true, true)                          \
  X(flatten, true, true)                       \
  X(permute, true, true)                       \
  X(transpose, true, true)                     \
  X(unsqueeze, true, true)                     \
  X(squeeze, true, true)                       \
  X(expand, true, true)                        \
  X(expand_as, true, true)                     \
  X(narrow, true, true)                        \
  X(slice, true, true)                         \
  X(select, true, true)                        \
  X(cat, true, true)                           \
  X(stack, true, true)                         \
  X(contiguous, true, true)                    \
  X(index_select, true, true)                  \
  X(index_add, true, true)                     \
  /* element-wise */                           \
  X(add, true, true)                           \
  X(sub, true, true)                           \
  X(rsub, true, true)                          \
  X(mul, true, true)                           \
  X(div, true, true)                           \
  X(rdiv, true, true)                          \
  X(neg, true, true)                           \
  X(exp, true, true)                           \
  X(log, true, true)                           \
  X(sqrt, true, true)                          \
  X(pow, true, true)                           \
  X(abs, true, true)                           \
  X(square, true, true)                        \
  X(clamp, true, true)                         \
  X(clamp_min, true, true)                     \
  X(clamp_max, true, true)                     \
  X(maximum, true, true)                       \
  X(minimum, true, true)                       \
  X(where, true, true)                         \
  X(compare, false, true)                      \
  /* reductions */                             \
  X(sum, true, true)                           \
  X(mean, true, true)                          \
  X(var, true, true)                           \
  X(var_all, true, true)                       \
  X(max, true, true)                           \
  X(argmax, false, true)                       \
  X(sum_to, true, true)                        \
  /* linear algebra */                         \
  X(matmul, true, true)                        \
  /* convolutions */                           \
  X(conv2d, true, true)                        \
  X(conv_transpose2d, true, true)              \
  /* activations */                            \
  X(relu, true, true)                          \
  X(leaky_relu, true, true)                    \
  X(leaky_relu_backward, true, true)           \
  X(bias_leaky_relu, true, true)               \
  X(sigmoid, true, true)                       \
  X(tanh, true, true)                          \
  X(softplus, true, true)                      \
  X(log_softmax, true, true)                   \
  /* normalisation */                          \
  X(batch_norm_training, true, true)           \
  /* losses */                                 \
  X(binary_cross_entropy, true, true)          \
  X(binary_cross_entropy_with_logits, true, true) \
  X(mse_loss, true, true)                      \
  X(l1_loss, true, true)                       \
  X(gaussian_kl, true, true)                   \
  X(cross_entropy, true, true)

namespace zengen::ops {

#define ZENGEN_COUNT_OP(name, differentiable, cuda) +1
inline constexpr int op_count = 0 ZENGEN_OPS(ZENGEN_COUNT_OP);
#undef ZENGEN_COUNT_OP

// The size of the list, beside it: adding or removing an op means changing
// this number in the same change, and so looking at the op's tests (its
// gradcheck, its CPU/CUDA twin), which the coverage tests then demand.
static_assert(op_count == 62, "an op was added to or removed from ZENGEN_OPS: update this count, "
                              "and give the op its gradcheck and CPU/CUDA twin tests");

/// One entry of ZENGEN_OPS at run time.
struct OpInfo {
  const char* name;
  bool differentiable;
  bool cuda;
};

#define ZENGEN_OP_INFO(name, differentiable, cuda) OpInfo{#name, differentiable, cuda},
inline constexpr OpInfo op_list[] = {ZENGEN_OPS(ZENGEN_OP_INFO)};
#undef ZENGEN_OP_INFO
static_assert(sizeof(op_list) / sizeof(op_list[0]) == op_count);

}  // namespace zengen::ops
