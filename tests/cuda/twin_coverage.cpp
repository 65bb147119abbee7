// The CPU/CUDA twins of the ops the other files of tests/cuda/ do not
// compare (views and joins, the scalar and one-sided forms), so that every
// op of ZENGEN_OPS with a CUDA path is compared with the CPU in a run:
// `zengen_cuda_tests --twin-coverage` (CTest: cuda) fails naming any op
// whose comparison did not run and pass (tests/op_registry.hpp). Each test
// claims its ops with ZENGEN_TWIN_CHECKED; require_match registers them.
#include <catch2/catch.hpp>

#include <functional>
#include <vector>

#include "cuda_helpers.hpp"

using namespace zengen;
using namespace zengen::cuda_testing;

namespace {
// fn on the CPU inputs and on their GPU copies, compared (outputs drawn from
// NaN-filled memory, so an element a kernel forgets shows up).
void compare_op(const std::function<Tensor(const std::vector<Tensor>&)>& fn, const std::vector<Tensor>& inputs,
                double tol = 1e-5) {
  std::vector<Tensor> on_gpu;
  for (const Tensor& x : inputs) on_gpu.push_back(x.to(kGpu));
  const Tensor want = fn(inputs);
  poison(want.numel(), want.dtype());
  require_match(want, fn(on_gpu), tol);
}
}  // namespace

TEST_CASE("cuda twins: shape views, copied where the strides need it, match the CPU", "[cuda][view]") {
  ZENGEN_TWIN_CHECKED(reshape);
  ZENGEN_TWIN_CHECKED(view);
  ZENGEN_TWIN_CHECKED(flatten);
  ZENGEN_TWIN_CHECKED(permute);
  ZENGEN_TWIN_CHECKED(unsqueeze);
  ZENGEN_TWIN_CHECKED(squeeze);
  ZENGEN_TWIN_CHECKED(expand_as);
  const Tensor x = randf({5, 3, 67}), row = randf({67}), col = randf({5, 1, 1});
  compare_op([](auto& v) { return v[0].transpose(0, 2).reshape({-1, 5}); }, {x});  // a copy
  compare_op([](auto& v) { return v[0].reshape({15, 67}) * 2.0; }, {x});            // a view
  compare_op([](auto& v) { return v[0].view({3, 5, 67}) + 1.0; }, {x});
  compare_op([](auto& v) { return v[0].flatten(1).contiguous(); }, {x});
  compare_op([](auto& v) { return v[0].permute({2, 0, 1}).contiguous(); }, {x});
  compare_op([](auto& v) { return v[0].unsqueeze(0) * v[1].unsqueeze(1).unsqueeze(2); }, {row, randf({4})});
  compare_op([](auto& v) { return v[0].squeeze() + v[1]; }, {col, randf({5})});
  compare_op([](auto& v) { return v[0].squeeze(1) - 1.0; }, {randf({4, 1, 9})});
  compare_op([](auto& v) { return expand_as(v[0], v[1]) * v[1]; }, {col, x});
}

TEST_CASE("cuda twins: slice, select, cat and stack, forward and backward, match the CPU", "[cuda][view]") {
  ZENGEN_TWIN_CHECKED(slice);
  ZENGEN_TWIN_CHECKED(select);
  ZENGEN_TWIN_CHECKED(cat);
  ZENGEN_TWIN_CHECKED(stack);
  const Tensor x = randf({4, 129}), y = randf({4, 7});
  compare_op([](auto& v) { return slice(v[0], 1, 1, 129, 3) * 2.0; }, {x});
  compare_op([](auto& v) { return slice(v[0].t(), 0, -5, 200).contiguous(); }, {x});
  compare_op([](auto& v) { return v[0].select(1, 2) + v[0].select(0, -1).narrow(0, 0, 4); }, {x});
  compare_op([](auto& v) { return cat({v[0], v[1], v[0].narrow(1, 3, 2)}, 1); }, {x, y});
  compare_op([](auto& v) { return cat({v[0].t(), v[1].t()}, 0); }, {x, y});
  compare_op([](auto& v) { return stack({v[0], v[1] * 3.0}, 1); }, {y, randf({4, 7})});
  // The gradients scatter back through the views and joins.
  compare_op([](auto& v) {
    const Tensor t = v[0].detach().requires_grad_();
    const Tensor joined =
        cat({t.select(0, 1), slice(t, 0, 0, 4, 2).sum({0}), stack({t.select(1, 0), t.select(1, 5)}, 0).flatten()}, 0);
    (joined * v[1]).sum().backward();
    return t.grad();
  }, {x, randf({129 + 129 + 8})});
}

TEST_CASE("cuda twins: the scalar, one-sided and whole-tensor forms match the CPU", "[cuda][elementwise][reduction]") {
  ZENGEN_TWIN_CHECKED(rsub);
  ZENGEN_TWIN_CHECKED(clamp_min);
  ZENGEN_TWIN_CHECKED(clamp_max);
  ZENGEN_TWIN_CHECKED(var_all);
  ZENGEN_TWIN_CHECKED(sum_to);
  for (const Shape& s : {Shape{1}, Shape{1023}, Shape{64, 3, 17, 9}}) {
    INFO("shape " << s);
    const Tensor x = randf(s);
    compare_op([](auto& v) { return rsub(v[0], 3.0); }, {x});
    compare_op([](auto& v) { return 2.5 - v[0]; }, {x});
    compare_op([](auto& v) { return clamp_min(v[0], -0.25); }, {x});
    compare_op([](auto& v) { return clamp_max(v[0], 0.5); }, {x});
  }
  const Tensor m = randf({64, 3, 17, 9});
  compare_op([](auto& v) { return var_all(v[0], true); }, {m}, 1e-4);
  compare_op([](auto& v) { return var_all(v[0], false); }, {m}, 1e-4);
  compare_op([](auto& v) { return var(v[0]); }, {randf({300001})}, 1e-4);
  compare_op([](auto& v) { return sum_to(v[0], {3, 1, 9}); }, {m}, 1e-4);
  compare_op([](auto& v) { return sum_to(v[0], {}); }, {m}, 1e-4);
  compare_op([](auto& v) { return sum_to(v[0].transpose(0, 3), {9, 1, 1, 64}); }, {m}, 1e-4);
}
