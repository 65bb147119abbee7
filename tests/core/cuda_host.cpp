// The host side of the CUDA backend, checked on the CPU without a GPU: the
// element-wise geometry (broadcast + coalesced dims), the launchers' input
// validation, and (when the backend is built) that each launcher, called
// through the CUDA module's table as libzengen calls it, rejects bad input
// with a clear error before touching the device.
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "geometry.hpp"  // cuda/: plain C++
#include "validate.hpp"
#include "zengen/core/device.hpp"
#include "zengen/zengen.hpp"

#include <cstdlib>

#include "backend.hpp"           // cuda/: the module's table
#include "core/cuda_module.hpp"  // src/: its loader

namespace zc = zengen::cuda;
using zengen::DType;

namespace {
// A fake device pointer: validation never dereferences it.
void* fake() {
  alignas(64) static char bytes[64];
  return bytes;
}
zc::TensorRef ref(std::initializer_list<std::int64_t> sizes, DType dtype = DType::Float32) {
  return zc::contiguous_ref(fake(), dtype, sizes);
}
template <typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const zengen::Error& e) {
    return e.what();
  }
  return "(no error)";
}
/// The CUDA module's table: required to load when this build has CUDA
/// (the module is built beside libzengen), else nullptr.
const zc::Backend* module_or_skip() {
  const zc::Backend* b = zengen::cuda_module::find();
#ifdef ZENGEN_WITH_CUDA
  INFO("the CUDA module: " << zengen::cuda_module::load_error());
  REQUIRE(b != nullptr);
#endif
  return b;
}
}  // namespace

TEST_CASE("cuda geometry: contiguous operands coalesce to one dim", "[cuda][host]") {
  const auto out = ref({2, 3, 4}), a = ref({2, 3, 4}), b = ref({2, 3, 4});
  const zc::TensorRef* refs[] = {&out, &a, &b};
  const auto g = zc::make_geometry(refs);
  CHECK(g.ndim == 1);
  CHECK(g.sizes[0] == 24);
  CHECK(g.contiguous());
}

TEST_CASE("cuda geometry: a broadcast bias gets stride 0 and blocks the merge", "[cuda][host]") {
  const auto out = ref({8, 3, 5, 5}), x = ref({8, 3, 5, 5}), bias = ref({3, 1, 1});
  const zc::TensorRef* refs[] = {&out, &x, &bias};
  const auto g = zc::make_geometry(refs);
  REQUIRE(g.ndim == 3);  // [8][3][25]: H and W merge, N and C cannot
  CHECK(g.sizes[0] == 8);
  CHECK(g.sizes[1] == 3);
  CHECK(g.sizes[2] == 25);
  CHECK(g.strides[2][0] == 0);   // bias along N
  CHECK(g.strides[2][1] == 1);   // bias along C
  CHECK(g.strides[2][2] == 0);   // bias along H*W
  CHECK(g.strides[1][0] == 75);  // x along N
  CHECK_FALSE(g.contiguous());
}

TEST_CASE("cuda geometry: a transposed view keeps its strides; one element is one dim", "[cuda][host]") {
  auto out = ref({4, 6});
  auto xt = ref({6, 4});  // memory [6, 4] seen as [4, 6]: strides (1, 4)
  xt.sizes[0] = 4;
  xt.sizes[1] = 6;
  xt.strides[0] = 1;
  xt.strides[1] = 4;
  const zc::TensorRef* refs[] = {&out, &xt};
  const auto g = zc::make_geometry(refs);
  REQUIRE(g.ndim == 2);
  CHECK(g.strides[0][0] == 6);
  CHECK(g.strides[0][1] == 1);
  CHECK(g.strides[1][0] == 1);
  CHECK(g.strides[1][1] == 4);

  const auto one = ref({1, 1}), scalar = ref({});
  const zc::TensorRef* refs1[] = {&one, &scalar};
  const auto g1 = zc::make_geometry(refs1);
  CHECK(g1.ndim == 1);
  CHECK(g1.sizes[0] == 1);
  CHECK(g1.contiguous());
}

TEST_CASE("cuda geometry: ChannelWalk steps through planes and channels as a division would", "[cuda][host]") {
  for (std::int64_t channels : {1, 3, 5}) {
    for (std::int64_t inner : {1, 2, 3, 4, 7}) {
      const std::int64_t total = 3 * channels * inner;
      for (std::int64_t first = 0; first < total; ++first) {
        zc::ChannelWalk walk(first, channels, inner);
        for (std::int64_t i = first; i < std::min(first + 9, total); ++i) {
          INFO("channels " << channels << " inner " << inner << " first " << first << " element " << i);
          REQUIRE(walk.channel == (i / inner) % channels);
          walk.next();
        }
      }
    }
  }
}

TEST_CASE("cuda validation: shapes, dtypes, devices and layouts are named in the error", "[cuda][host]") {
  const auto out = ref({4, 3});
  const auto bad = ref({5});
  std::string m = message_of([&] { zc::validate::elementwise("add", out, {&bad}); });
  CHECK(m.find("cuda add") != std::string::npos);
  CHECK(m.find("[5]") != std::string::npos);
  CHECK(m.find("[4, 3]") != std::string::npos);
  CHECK_THROWS_AS(zc::validate::elementwise("add", out, {&bad}), zengen::ShapeError);

  const auto row = ref({3});
  CHECK_NOTHROW(zc::validate::elementwise("add", out, {&row}));

  auto other_device = ref({4, 3});
  other_device.device = 1;
  CHECK_THROWS_AS(zc::validate::elementwise("mul", out, {&other_device}), zengen::DeviceError);

  const auto ints = ref({4, 3}, DType::Int64);
  m = message_of([&] { zc::validate::floating("sum", "input", ints); });
  CHECK(m.find("int64") != std::string::npos);
  CHECK_THROWS_AS(zc::validate::floating("sum", "input", ints), zengen::DTypeError);

  auto strided = ref({4, 3});
  strided.strides[0] = 1;
  strided.strides[1] = 4;
  CHECK_THROWS_AS(zc::validate::contiguous("adam", "param", strided), zengen::ValueError);

  zc::TensorRef no_data = ref({2});
  no_data.data = nullptr;
  CHECK_THROWS_AS(zc::validate::operand("copy", "input", no_data), zengen::ValueError);
  zc::TensorRef empty = ref({0, 3});
  empty.data = nullptr;
  CHECK_NOTHROW(zc::validate::operand("copy", "input", empty));

  zc::TensorRef deep;
  deep.data = fake();
  deep.ndim = zc::kMaxDims + 1;
  CHECK_THROWS_AS(zc::validate::operand("copy", "input", deep), zengen::ShapeError);
}

TEST_CASE("cuda launchers reject bad input before touching the device", "[cuda][host]") {
  const zc::Backend* module = module_or_skip();
  if (module == nullptr) return;  // a build without CUDA
  const zc::Backend& gpu = *module;
  const auto out = ref({4, 3}), a = ref({4, 3}), wrong = ref({4, 2});
  CHECK_THROWS_AS(gpu.binary(zc::BinaryOp::Add, out, a, wrong), zengen::ShapeError);
  const auto d = ref({4, 3}, DType::Float64);
  CHECK_THROWS_AS(gpu.binary(zc::BinaryOp::Mul, out, a, d), zengen::DTypeError);
  const auto mask = ref({4, 3}, DType::Float32);
  CHECK_THROWS_AS(gpu.where(out, mask, a, a), zengen::DTypeError);  // the condition must be Bool
  const auto bool_out = ref({4, 3}, DType::Bool);
  CHECK_THROWS_AS(gpu.compare(zc::CompareOp::Lt, bool_out, a, d), zengen::DTypeError);

  // matmul: inner dims must agree, the output must fit.
  const auto m1 = ref({2, 3}), m2 = ref({4, 5}), mo = ref({2, 5});
  std::string m = message_of([&] { gpu.matmul(mo, m1, m2); });
  CHECK(m.find("cuda matmul") != std::string::npos);
  CHECK(m.find("[2, 3]") != std::string::npos);

  // sum: the output must hold one value per kept position.
  const bool reduce[] = {true, false};
  const auto sum_out = ref({5});
  CHECK_THROWS_AS(gpu.sum(sum_out, a, reduce), zengen::ShapeError);

  // losses: target shape, reduced output size.
  const zc::TensorRef none;
  m = message_of([&] { gpu.pointwise_loss(zc::PointwiseLoss::MSE, ref({}), a, wrong, none, true, 1.0); });
  CHECK(m.find("mse_loss") != std::string::npos);
  CHECK(m.find("target") != std::string::npos);
  CHECK_THROWS_AS(gpu.pointwise_loss(zc::PointwiseLoss::BCE, ref({2}), a, a, none, true, 1.0), zengen::ShapeError);
  CHECK_THROWS_AS(gpu.gaussian_kl(ref({5}), a, a, false, 1.0), zengen::ShapeError);  // 4 rows, not 5

  // optimizers: state must match the parameter.
  const zengen::optim::functors::AdamScalars s;
  CHECK_THROWS_AS(gpu.adam_update(a, a, a, wrong, none, s), zengen::ShapeError);

  // batch_norm: per-channel operands of C values, the input's dtype, eps > 0.
  const auto channels = ref({3}), x = ref({4, 3, 5}), y = ref({4, 3, 5});
  const std::optional<double> plain;  // no fused activation
  m = message_of([&] { gpu.batch_norm_forward(y, channels, channels, ref({2}), x, none, none, 1e-5, plain); });
  CHECK(m.find("batch_norm") != std::string::npos);
  CHECK(m.find("invstd") != std::string::npos);
  CHECK(m.find("3 channels") != std::string::npos);
  CHECK_THROWS_AS(
      gpu.batch_norm_forward(y, channels, channels, channels, x, ref({3}, DType::Float64), none, 1e-5, plain),
      zengen::DTypeError);
  CHECK_THROWS_AS(gpu.batch_norm_forward(y, channels, channels, channels, x, none, none, 0.0, plain),
                  zengen::ValueError);
  CHECK_THROWS_AS(gpu.batch_norm_forward(y, channels, channels, channels, ref({4}), none, none, 1e-5, plain),
                  zengen::ShapeError);  // [N] has no channels
  CHECK_THROWS_AS(
      gpu.batch_norm_backward(ref({4, 3, 4}), none, none, y, x, none, none, channels, channels, plain),
      zengen::ShapeError);  // grad_input must have the input's shape
  CHECK_THROWS_AS(gpu.batch_norm_forward(y, channels, channels, channels, x, none, none, 1e-5, -0.2),
                  zengen::ValueError);  // a fused leaky_relu needs slope >= 0

  // cross_entropy: [N, K] logits, one int64 target per row, per-row lse.
  const auto logits = ref({4, 3}), targets = ref({4}, DType::Int64), lse = ref({4});
  CHECK_THROWS_AS(gpu.cross_entropy(ref({}), lse, logits, ref({4}), true, 1.0), zengen::DTypeError);
  m = message_of([&] { gpu.cross_entropy(ref({}), lse, logits, ref({5}, DType::Int64), true, 1.0); });
  CHECK(m.find("cross_entropy") != std::string::npos);
  CHECK(m.find("one class per row") != std::string::npos);
  CHECK_THROWS_AS(gpu.cross_entropy(ref({2}), lse, logits, targets, true, 1.0), zengen::ShapeError);
  CHECK_THROWS_AS(gpu.cross_entropy(ref({4}), ref({3}), logits, targets, false, 1.0), zengen::ShapeError);
  CHECK_THROWS_AS(gpu.cross_entropy_backward(ref({4, 3}), ref({3}), 1.0, logits, targets, lse), zengen::ShapeError);

  // index_select / index_add_: a 1-d int64 index, rows of the right shape, a dim in range.
  const auto table = ref({5, 3}), rows = ref({2, 3}), index = ref({2}, DType::Int64);
  CHECK_THROWS_AS(gpu.index_select(rows, table, 0, ref({2})), zengen::DTypeError);
  m = message_of([&] { gpu.index_select(ref({3, 3}), table, 0, index); });
  CHECK(m.find("index_select") != std::string::npos);
  CHECK(m.find("[3, 3]") != std::string::npos);
  CHECK_THROWS_AS(gpu.index_select(rows, table, 2, index), zengen::ValueError);
  CHECK_THROWS_AS(gpu.index_select(rows, table, 0, ref({1, 2}, DType::Int64)), zengen::ShapeError);
  CHECK_THROWS_AS(gpu.index_add_(table, 0, index, ref({3, 3})), zengen::ShapeError);
  CHECK_THROWS_AS(gpu.index_add_(ref({5, 3}, DType::Int64), 0, index, ref({2, 3}, DType::Int64)),
                  zengen::DTypeError);

  // log_softmax: alike operands, a dim in range; bias_leaky_relu: one bias per channel.
  CHECK_THROWS_AS(gpu.log_softmax(wrong, a, 1), zengen::ShapeError);
  m = message_of([&] { gpu.log_softmax(out, a, 2); });
  CHECK(m.find("log_softmax") != std::string::npos);
  CHECK(m.find("out of range") != std::string::npos);
  CHECK_THROWS_AS(gpu.log_softmax_backward(out, wrong, a, 1), zengen::ShapeError);
  m = message_of([&] { gpu.bias_leaky_relu(out, a, ref({4}), 1, 0.2); });
  CHECK(m.find("bias_leaky_relu") != std::string::npos);
  CHECK(m.find("expected 3 values") != std::string::npos);
  CHECK_THROWS_AS(gpu.bias_leaky_relu(out, a, ref({3}, DType::Float64), 1, 0.2), zengen::DTypeError);

  // samplers: bernoulli's probabilities like the output, randint's range.
  m = message_of([&] { gpu.fill_bernoulli(a, wrong, 1, 0); });
  CHECK(m.find("bernoulli") != std::string::npos);
  CHECK(m.find("probabilities") != std::string::npos);
  CHECK_THROWS_AS(gpu.fill_bernoulli_scalar(ref({4, 3}, DType::Int64), 0.5, 1, 0), zengen::DTypeError);
  CHECK_THROWS_AS(gpu.fill_randint(a, 1, 0, 3, 3), zengen::ValueError);
}

TEST_CASE("cuda conv: ZENGEN_CONV_BACKEND names each kernel; cuDNN is not asked for empty dims", "[cuda][host]") {
  const zc::Backend* module = module_or_skip();
  if (module == nullptr) return;  // a build without CUDA
  const zc::Backend& gpu = *module;
  const char* saved = std::getenv("ZENGEN_CONV_BACKEND");
  const std::string previous = saved ? saved : "";
  for (zc::ConvKernel k : {zc::ConvKernel::Simt, zc::ConvKernel::TensorCore, zc::ConvKernel::TensorCoreBf16,
                           zc::ConvKernel::Cudnn, zc::ConvKernel::CudnnTensorCore}) {
    setenv("ZENGEN_CONV_BACKEND", gpu.conv_kernel_name(k), 1);
    CHECK(gpu.conv_kernel_from_env() == k);
  }
  CHECK(std::string(gpu.conv_kernel_name(zc::ConvKernel::TensorCoreBf16)) == "zengen-bf16");
  setenv("ZENGEN_CONV_BACKEND", "", 1);
  CHECK(gpu.conv_kernel_from_env() == zc::ConvKernel::Simt);
  setenv("ZENGEN_CONV_BACKEND", "cudnn-fp16", 1);
  const std::string m = message_of([&] { (void)gpu.conv_kernel_from_env(); });
  CHECK(m.find("cudnn-fp16") != std::string::npos);
  CHECK(m.find("zengen-bf16") != std::string::npos);
  if (saved) setenv("ZENGEN_CONV_BACKEND", previous.c_str(), 1);
  else unsetenv("ZENGEN_CONV_BACKEND");

  // A DCGAN layer: the size rule's output, nothing empty.
  zc::ConvShape s;
  s.batch = 2;
  s.in_channels = 3;
  s.in_h = s.in_w = 8;
  s.out_channels = 4;
  s.kernel_h = s.kernel_w = 4;
  s.stride_h = s.stride_w = 2;
  s.pad_h = s.pad_w = 1;
  s.dilation_h = s.dilation_w = 1;
  s.out_h = s.out_w = 4;
  CHECK(gpu.cudnn_supports(s));
  zc::ConvShape restricted = s;
  restricted.out_h = 3;
  CHECK_FALSE(gpu.cudnn_supports(restricted));
  // Empty dims: cuDNN's descriptors refuse them, zengen's kernels take them.
  for (int zc::ConvShape::*dim : {&zc::ConvShape::batch, &zc::ConvShape::in_channels, &zc::ConvShape::out_channels}) {
    zc::ConvShape empty = s;
    empty.*dim = 0;
    CHECK_FALSE(gpu.cudnn_supports(empty));
  }
  zc::ConvShape no_rows = s;  // conv_transpose2d of a 0-high input: grad_input rows exist, output rows none
  no_rows.out_h = 0;
  no_rows.in_h = 1;
  CHECK_FALSE(gpu.cudnn_supports(no_rows));
}

TEST_CASE("cuda: without a device, moving a tensor to CUDA is a clear DeviceError", "[cuda][host]") {
  if (zengen::Device::cuda_device_count() > 0) return;  // tests/cuda covers the device
  const zengen::Tensor x = zengen::ones({2, 2});
  const std::string m = message_of([&] { (void)x.to(zengen::Device::cuda()); });
  CHECK(m.find("to(cuda:0)") != std::string::npos);
  CHECK_THROWS_AS(x.to(zengen::Device::cuda()), zengen::DeviceError);
  CHECK(zengen::Device::best() == zengen::Device::cpu());
}
