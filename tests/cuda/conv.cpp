// The CUDA convolution kernels (cuda/conv.hpp) against zengen's CPU
// convolution on the same data, and against cuDNN; then the conv2d and
// conv_transpose2d ops on CUDA tensors (forward and backward) against the
// same ops on the CPU, under each ZENGEN_CONV_BACKEND. Runs only with a GPU
// (see main.cpp).
//
// Tolerances. float32 kernels: max |got - ref| <= 1e-4 * max |ref| (the CPU
// and GPU sum in different orders; both are float32). TF32 kernels: each
// operand is rounded to 10 mantissa bits, a relative error of at most 2^-11
// (round to nearest; 2^-10 if a unit truncated), so each product is off by
// at most ~2^-10 (2^-9) of its size, and the sum by that much of the sum of
// |products|: per element |got - ref| <= (2^-9 + K 2^-24) * conv(|x|, |w|),
// where conv(|x|, |w|) is the same convolution of absolute values (computed
// on the CPU) and K the number of products per element. bfloat16 kernel: the
// same with 7 mantissa bits, rounded to nearest (2^-8 per operand), so
// (2^-7 + 2^-16 + K 2^-24) per product. A wrong index gives errors of the size of
// the values themselves, far above any of these bounds.
// Every output buffer is filled with NaN first, so an element a kernel never
// writes fails the comparison.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "conv.hpp"
#include "cpu/conv.hpp"
#include "op_registry.hpp"
#include "zengen/zengen.hpp"

namespace zg = zengen;
namespace zc = zengen::cuda;

namespace {

struct Case {
  int batch, in_channels, out_channels, in_h, in_w, kernel_h, kernel_w;
  int stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
};

zc::ConvShape shape_of(const Case& c) {
  zc::ConvShape s;
  s.batch = c.batch;
  s.in_channels = c.in_channels;
  s.in_h = c.in_h;
  s.in_w = c.in_w;
  s.out_channels = c.out_channels;
  s.kernel_h = c.kernel_h;
  s.kernel_w = c.kernel_w;
  s.stride_h = c.stride_h;
  s.stride_w = c.stride_w;
  s.pad_h = c.pad_h;
  s.pad_w = c.pad_w;
  s.dilation_h = c.dilation_h;
  s.dilation_w = c.dilation_w;
  s.out_h = static_cast<int>(zg::conv_output_size(c.in_h, c.kernel_h, c.stride_h, c.pad_h, c.dilation_h));
  s.out_w = static_cast<int>(zg::conv_output_size(c.in_w, c.kernel_w, c.stride_w, c.pad_w, c.dilation_w));
  return s;
}

zg::cpu::ConvGeometry cpu_geometry(const zc::ConvShape& s) {
  return {.batch = s.batch, .in_channels = s.in_channels, .in_h = s.in_h, .in_w = s.in_w,
          .out_channels = s.out_channels, .kernel_h = s.kernel_h, .kernel_w = s.kernel_w, .out_h = s.out_h,
          .out_w = s.out_w, .stride_h = s.stride_h, .stride_w = s.stride_w, .pad_h = s.pad_h, .pad_w = s.pad_w,
          .dilation_h = s.dilation_h, .dilation_w = s.dilation_w};
}

std::string describe(const zc::ConvShape& s) {
  std::ostringstream os;
  os << "x [" << s.batch << ", " << s.in_channels << ", " << s.in_h << ", " << s.in_w << "], w [" << s.out_channels
     << ", " << s.in_channels << ", " << s.kernel_h << ", " << s.kernel_w << "], out " << s.out_h << "x" << s.out_w
     << ", stride " << s.stride_h << "," << s.stride_w << ", pad " << s.pad_h << "," << s.pad_w << ", dilation "
     << s.dilation_h << "," << s.dilation_w;
  return os.str();
}

// Odd shapes: sizes that are not multiples of any tile, batch 1, 3 channels,
// stride 1 and 2, padding 0, 1 and 2, dilation 2, a 1x1 kernel, and more
// output channels than one 128-wide tile.
const std::vector<Case>& odd_cases() {
  static const std::vector<Case> cases{
      // batch, C, O, H, W, kh, kw, sh, sw, ph, pw, dh, dw
      {1, 3, 5, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1},
      {2, 3, 17, 13, 11, 4, 4, 2, 2, 1, 1, 1, 1},
      {3, 5, 7, 9, 10, 3, 2, 2, 1, 2, 0, 1, 1},
      {1, 3, 6, 15, 12, 3, 3, 1, 2, 2, 2, 2, 2},
      {2, 4, 3, 12, 13, 3, 3, 2, 2, 1, 2, 2, 2},  // stride 2 with dilation 2: one backward-data phase has no taps
      {2, 7, 9, 6, 5, 1, 1, 1, 1, 0, 0, 1, 1},
      {5, 33, 130, 9, 7, 3, 3, 1, 1, 1, 1, 1, 1},
      {1, 3, 64, 33, 31, 4, 4, 2, 2, 1, 1, 1, 1},
  };
  return cases;
}

// The DCGAN discriminator's layers (the generator's transposed convolutions
// are their adjoints), at a small batch.
const std::vector<Case>& dcgan_cases() {
  static const std::vector<Case> cases{
      {4, 3, 64, 64, 64, 4, 4, 2, 2, 1, 1, 1, 1},
      {4, 64, 128, 32, 32, 4, 4, 2, 2, 1, 1, 1, 1},
      {4, 128, 256, 16, 16, 4, 4, 2, 2, 1, 1, 1, 1},
      {4, 256, 512, 8, 8, 4, 4, 2, 2, 1, 1, 1, 1},
  };
  return cases;
}

zg::Tensor uniform(const zg::Shape& shape) { return (zg::rand(shape) * 2.0 - 1.0).detach(); }
zg::Tensor device_copy(const zg::Tensor& t) { return t.to(zg::Device::cuda()).detach(); }
zg::Tensor device_nan(const zg::Shape& shape) {
  return device_copy(zg::full(shape, std::numeric_limits<double>::quiet_NaN()));
}
float* ptr(const zg::Tensor& t) { return t.data<float>(); }

// Per-product relative error allowed for inputs rounded by `kernel` (see
// the top): 0 for float32 kernels.
double rounding_bound(zc::ConvKernel kernel) {
  switch (kernel) {
    case zc::ConvKernel::TensorCore:
    case zc::ConvKernel::CudnnTensorCore: return std::ldexp(1.0, -9);
    case zc::ConvKernel::TensorCoreBf16: return std::ldexp(1.0, -7) + std::ldexp(1.0, -16);  // (1 + 2^-8)^2 - 1
    default: return 0;
  }
}

// Compares a device result with a CPU reference: the float32 bound, or (with
// `abs_ref` defined) the rounded-input bound described at the top, with
// `rounding` the per-product relative error (rounding_bound).
void require_close(const zg::Tensor& device_result, const zg::Tensor& ref, const zg::Tensor& abs_ref, int products,
                   const std::string& what, double rounding = 0) {
  INFO(what);
  const std::vector<float> got = device_result.to(zg::Device::cpu()).to_vector<float>();
  const std::vector<float> want = ref.to_vector<float>();
  REQUIRE(got.size() == want.size());
  double scale = 0;
  for (float v : want) scale = std::max(scale, std::fabs(static_cast<double>(v)));
  std::vector<float> bound;
  const bool rounded = abs_ref.defined();
  if (rounded) bound = abs_ref.to_vector<float>();
  const double rounded_factor = rounding + products * std::ldexp(1.0, -24);
  double worst = 0;
  std::size_t worst_at = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(got[i])) {
      INFO("element " << i << " is NaN: never written");
      REQUIRE_FALSE(std::isnan(got[i]));
    }
    const double error = std::fabs(static_cast<double>(got[i]) - want[i]);
    const double allowed = rounded ? rounded_factor * bound[i] + 1e-30 : 1e-4 * scale;
    if (error / allowed > worst) {
      worst = error / allowed;
      worst_at = i;
    }
  }
  INFO("worst element " << worst_at << ": got " << got[worst_at] << ", expected " << want[worst_at]
                        << " (error / allowed = " << worst << ")");
  REQUIRE(worst <= 1.0);
}

struct Operands {
  zg::Tensor x, w, gy, bias_o, bias_c;           // CPU
  zg::Tensor dx, dw, dgy, dbias_o, dbias_c;      // device copies
};

Operands make_operands(const zc::ConvShape& s) {
  Operands o;
  o.x = uniform({s.batch, s.in_channels, s.in_h, s.in_w});
  o.w = uniform({s.out_channels, s.in_channels, s.kernel_h, s.kernel_w});
  o.gy = uniform({s.batch, s.out_channels, s.out_h, s.out_w});
  o.bias_o = uniform({s.out_channels});
  o.bias_c = uniform({s.in_channels});
  o.dx = device_copy(o.x);
  o.dw = device_copy(o.w);
  o.dgy = device_copy(o.gy);
  o.dbias_o = device_copy(o.bias_o);
  o.dbias_c = device_copy(o.bias_c);
  return o;
}

// The three directions with `kernel` against the CPU kernels.
void check_against_cpu(const zc::ConvShape& s, zc::ConvKernel kernel) {
  INFO(describe(s) << ", kernel " << zc::to_string(kernel));
  const Operands o = make_operands(s);
  const auto g = cpu_geometry(s);
  const double rounding = rounding_bound(kernel);
  const bool tf32 = rounding > 0;  // inputs rounded: the per-element bound

  // forward + bias
  {
    zg::Tensor ref = zg::empty(o.gy.shape()), abs_ref;
    zg::cpu::conv2d_forward(ref, o.x, o.w, o.bias_o, g);
    if (tf32) {
      abs_ref = zg::empty(o.gy.shape());
      zg::cpu::conv2d_forward(abs_ref, zg::abs(o.x), zg::abs(o.w), zg::abs(o.bias_o), g);
    }
    const zg::Tensor out = device_nan(o.gy.shape());
    zc::conv2d_forward(s, ptr(out), ptr(o.dx), ptr(o.dw), ptr(o.dbias_o), kernel);
    require_close(out, ref, abs_ref, s.in_channels * s.kernel_h * s.kernel_w, "forward", rounding);
  }
  // backward-data, without and with the transposed convolution's bias
  for (bool bias : {false, true}) {
    const zg::Tensor b = bias ? o.bias_c : zg::Tensor();
    zg::Tensor ref = zg::empty(o.x.shape()), abs_ref;
    zg::cpu::conv2d_backward_data(ref, o.gy, o.w, b, g);
    if (tf32) {
      abs_ref = zg::empty(o.x.shape());
      zg::cpu::conv2d_backward_data(abs_ref, zg::abs(o.gy), zg::abs(o.w), bias ? zg::abs(b) : zg::Tensor(), g);
    }
    const zg::Tensor out = device_nan(o.x.shape());
    zc::conv2d_backward_data(s, ptr(out), ptr(o.dgy), ptr(o.dw), bias ? ptr(o.dbias_c) : nullptr, kernel);
    require_close(out, ref, abs_ref, s.out_channels * s.kernel_h * s.kernel_w,
                  bias ? "backward-data + bias" : "backward-data", rounding);
  }
  // backward-weight
  {
    zg::Tensor ref = zg::empty(o.w.shape()), abs_ref;
    zg::cpu::conv2d_backward_weight(ref, o.x, o.gy, g);
    if (tf32) {
      abs_ref = zg::empty(o.w.shape());
      zg::cpu::conv2d_backward_weight(abs_ref, zg::abs(o.x), zg::abs(o.gy), g);
    }
    const zg::Tensor out = device_nan(o.w.shape());
    zc::conv2d_backward_weight(s, ptr(out), ptr(o.dx), ptr(o.dgy), kernel);
    require_close(out, ref, abs_ref, s.batch * s.out_h * s.out_w, "backward-weight", rounding);
  }
}

// zengen's float32 kernel against cuDNN's FP32 one on the device, same data.
void check_against_cudnn(const zc::ConvShape& s) {
  INFO(describe(s));
  const Operands o = make_operands(s);
  const auto run_both = [&](const zg::Shape& shape, const char* what, auto&& launch) {
    const zg::Tensor ours = device_nan(shape), theirs = device_nan(shape);
    launch(ours, zc::ConvKernel::Simt);
    launch(theirs, zc::ConvKernel::Cudnn);
    require_close(ours, theirs.to(zg::Device::cpu()), zg::Tensor(), 0, what);
  };
  run_both(o.gy.shape(), "forward vs cuDNN", [&](const zg::Tensor& out, zc::ConvKernel k) {
    zc::conv2d_forward(s, ptr(out), ptr(o.dx), ptr(o.dw), ptr(o.dbias_o), k);
  });
  run_both(o.x.shape(), "backward-data vs cuDNN", [&](const zg::Tensor& out, zc::ConvKernel k) {
    zc::conv2d_backward_data(s, ptr(out), ptr(o.dgy), ptr(o.dw), nullptr, k);
  });
  run_both(o.w.shape(), "backward-weight vs cuDNN", [&](const zg::Tensor& out, zc::ConvKernel k) {
    zc::conv2d_backward_weight(s, ptr(out), ptr(o.dx), ptr(o.dgy), k);
  });
}

// Sets ZENGEN_CONV_BACKEND for a scope.
struct BackendScope {
  explicit BackendScope(const char* name) { setenv("ZENGEN_CONV_BACKEND", name, 1); }
  ~BackendScope() { unsetenv("ZENGEN_CONV_BACKEND"); }
};

}  // namespace

TEST_CASE("cuda conv: the float32 kernels match the CPU convolution on odd shapes", "[cuda][conv]") {
  zg::manual_seed(11);
  for (const Case& c : odd_cases()) check_against_cpu(shape_of(c), zc::ConvKernel::Simt);
}

TEST_CASE("cuda conv: the TF32 tensor-core kernels match the CPU convolution within the TF32 bound",
          "[cuda][conv][tf32]") {
  zg::manual_seed(12);
  for (const Case& c : odd_cases()) check_against_cpu(shape_of(c), zc::ConvKernel::TensorCore);
}

TEST_CASE("cuda conv: the bfloat16 tensor-core kernels match the CPU convolution within the bfloat16 bound",
          "[cuda][conv][bf16]") {
  zg::manual_seed(18);
  for (const Case& c : odd_cases()) check_against_cpu(shape_of(c), zc::ConvKernel::TensorCoreBf16);
}

TEST_CASE("cuda conv: the bfloat16 kernels give the float32 result on inputs that are bfloat16 values",
          "[cuda][conv][bf16]") {
  // Inputs that are bfloat16 values already: rounding changes nothing, and
  // products of two bfloat16 values are exact in float32, so the kernel must
  // give the float32 result (the float32 bound, far tighter than the
  // bfloat16 one): an accumulator of less than float32, or a conversion that
  // loses more than bfloat16 does, fails.
  zg::manual_seed(19);
  const zc::ConvShape s = shape_of(odd_cases()[6]);
  INFO(describe(s));
  const auto to_bf16 = [](const zg::Tensor& t) {
    std::vector<float> v = t.to_vector<float>();
    for (float& f : v) {
      std::uint32_t u;
      std::memcpy(&u, &f, sizeof u);
      u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;  // round to nearest even, 8 significant bits
      std::memcpy(&f, &u, sizeof u);
    }
    return zg::from_vector(v, t.shape());
  };
  const zg::Tensor x = to_bf16(uniform({s.batch, s.in_channels, s.in_h, s.in_w}));
  const zg::Tensor w = to_bf16(uniform({s.out_channels, s.in_channels, s.kernel_h, s.kernel_w}));
  zg::Tensor ref = zg::empty({s.batch, s.out_channels, s.out_h, s.out_w});
  zg::cpu::conv2d_forward(ref, x, w, zg::Tensor(), cpu_geometry(s));
  const zg::Tensor out = device_nan(ref.shape());
  zc::conv2d_forward(s, ptr(out), ptr(device_copy(x)), ptr(device_copy(w)), nullptr, zc::ConvKernel::TensorCoreBf16);
  require_close(out, ref, zg::Tensor(), 0, "forward of bfloat16-exact inputs");
}

TEST_CASE("cuda conv: the DCGAN layers match the CPU convolution", "[cuda][conv][dcgan]") {
  zg::manual_seed(13);
  for (const Case& c : dcgan_cases()) {
    check_against_cpu(shape_of(c), zc::ConvKernel::Simt);
    check_against_cpu(shape_of(c), zc::ConvKernel::TensorCore);
    check_against_cpu(shape_of(c), zc::ConvKernel::TensorCoreBf16);
  }
}

TEST_CASE("cuda conv: cuDNN (the oracle) matches the CPU, and zengen's kernels match cuDNN", "[cuda][conv][cudnn]") {
  INFO("this build has no cuDNN: configure where cudnn.h and libcudnn are found (or set CUDNN_ROOT)");
  REQUIRE(zc::cudnn_built());
  zg::manual_seed(14);
  std::vector<Case> cases = odd_cases();
  cases.insert(cases.end(), dcgan_cases().begin(), dcgan_cases().end());
  for (const Case& c : cases) {
    check_against_cpu(shape_of(c), zc::ConvKernel::Cudnn);
    check_against_cudnn(shape_of(c));
  }
  check_against_cpu(shape_of(dcgan_cases()[1]), zc::ConvKernel::CudnnTensorCore);
}

TEST_CASE("cuda conv: deterministic weight gradients give the same bits on every run", "[cuda][conv][deterministic]") {
  zg::manual_seed(17);
  // The DCGAN's first layer: K = 4 images x 32 x 32 positions, split many ways.
  const zc::ConvShape s = shape_of(dcgan_cases()[0]);
  INFO(describe(s));
  const Operands o = make_operands(s);
  zg::Tensor ref = zg::empty(o.w.shape());
  zg::cpu::conv2d_backward_weight(ref, o.x, o.gy, cpu_geometry(s));
  std::vector<zc::ConvKernel> kernels{zc::ConvKernel::Simt, zc::ConvKernel::TensorCore,
                                      zc::ConvKernel::TensorCoreBf16};
  if (zc::cudnn_built()) kernels.push_back(zc::ConvKernel::Cudnn);
  for (zc::ConvKernel kernel : kernels) {
    INFO(zc::to_string(kernel));
    std::vector<std::vector<float>> runs;
    for (int run = 0; run < 3; ++run) {
      const zg::Tensor out = device_nan(o.w.shape());
      zc::conv2d_backward_weight(s, ptr(out), ptr(o.dx), ptr(o.dgy), kernel, nullptr, /*deterministic=*/true);
      if (rounding_bound(kernel) == 0) require_close(out, ref, zg::Tensor(), 0, "deterministic backward-weight");
      runs.push_back(out.to(zg::Device::cpu()).to_vector<float>());
    }
    REQUIRE(runs[1] == runs[0]);
    REQUIRE(runs[2] == runs[0]);
  }
  // Through the ops and autograd, under zengen::set_deterministic.
  const zg::DeterministicGuard on(true);
  const zg::Tensor x = o.x.to(zg::Device::cuda()), w = o.w.to(zg::Device::cuda()).requires_grad_();
  std::vector<float> first;
  for (int run = 0; run < 2; ++run) {
    w.zero_grad();
    zg::sum(zg::square(zg::conv2d(x, w, zg::Tensor(), {.stride = {2, 2}, .padding = {1, 1}}))).backward();
    const std::vector<float> grad = w.grad().to(zg::Device::cpu()).to_vector<float>();
    if (run == 0) first = grad;
    else REQUIRE(grad == first);
  }
}

TEST_CASE("cuda conv: the bias gradient kernel sums over batch and positions", "[cuda][conv]") {
  zg::manual_seed(15);
  const zg::Tensor g = uniform({3, 5, 7, 9});
  const zg::Tensor out = device_nan({5}), device_g = device_copy(g);
  zc::conv_bias_grad(ptr(out), ptr(device_g), 3, 5, 63);
  require_close(out, g.sum({0, 2, 3}), zg::Tensor(), 0, "bias gradient");
}

TEST_CASE("cuda conv: conv2d and conv_transpose2d on CUDA tensors match the CPU ops, forward and backward",
          "[cuda][conv][ops]") {
  ZENGEN_TWIN_CHECKED(conv2d);
  ZENGEN_TWIN_CHECKED(conv_transpose2d);
  zg::manual_seed(16);
  struct OpCase {
    zg::Shape x, w;
    zg::Conv2dParams params;
  };
  const std::vector<OpCase> conv_cases{
      {{2, 3, 11, 9}, {5, 3, 3, 3}, {.stride = {2, 1}, .padding = {1, 2}, .dilation = {1, 2}}},
      {{4, 64, 16, 16}, {128, 64, 4, 4}, {.stride = {2, 2}, .padding = {1, 1}}},
  };
  const std::vector<OpCase> transposed_cases{
      {{2, 5, 6, 7}, {5, 3, 4, 4}, {.stride = {2, 2}, .padding = {1, 1}, .output_padding = {1, 0}}},
      {{4, 128, 8, 8}, {128, 64, 4, 4}, {.stride = {2, 2}, .padding = {1, 1}}},
      // output_padding >= stride (dilation 3): a restricted output, zengen's kernels under every backend
      {{1, 2, 5, 5}, {2, 3, 3, 3}, {.stride = {1, 1}, .padding = {0, 0}, .dilation = {3, 3}, .output_padding = {2, 1}}},
  };
  for (const char* backend : {"zengen", "zengen-tf32", "zengen-bf16", "cudnn", "cudnn-tf32"}) {
    if (std::string(backend).rfind("cudnn", 0) == 0 && !zc::cudnn_built()) continue;  // the oracle test fails then
    const BackendScope scope(backend);
    const bool tf32 = std::string(backend).find("tf32") != std::string::npos;
    const bool bf16 = std::string(backend).find("bf16") != std::string::npos;
    // The rounded-input runs are compared loosely here (their exact bounds
    // are checked on the raw kernels above): 1% (TF32) or 4% (bfloat16) of
    // the largest value.
    const double tol = bf16 ? 4e-2 : tf32 ? 1e-2 : 1e-4;
    for (bool transposed : {false, true}) {
      for (const OpCase& c : transposed ? transposed_cases : conv_cases) {
        INFO("backend " << backend << (transposed ? ", conv_transpose2d x " : ", conv2d x ") << c.x << ", w " << c.w);
        const zg::Tensor x = uniform(c.x), w = uniform(c.w) * 0.2, b = uniform({c.w[transposed ? 1 : 0]});
        const auto op = [&](const zg::Tensor& xx, const zg::Tensor& ww, const zg::Tensor& bb) {
          return transposed ? zg::conv_transpose2d(xx, ww, bb, c.params) : zg::conv2d(xx, ww, bb, c.params);
        };
        const zg::Tensor cx = x.clone().requires_grad_(), cw = w.clone().requires_grad_(),
                         cb = b.clone().requires_grad_();
        const zg::Tensor gx = device_copy(x).requires_grad_(), gw = device_copy(w).requires_grad_(),
                         gb = device_copy(b).requires_grad_();
        const zg::Tensor cpu_out = op(cx, cw, cb);
        const zg::Tensor gpu_out = op(gx, gw, gb);
        REQUIRE(gpu_out.device() == zg::Device::cuda(0));
        REQUIRE(gpu_out.shape() == cpu_out.shape());
        const zg::Tensor seed = uniform(cpu_out.shape());
        cpu_out.backward(seed);
        gpu_out.backward(device_copy(seed));
        const auto close = [&](const zg::Tensor& got, const zg::Tensor& want, const char* what) {
          INFO(what);
          const auto g = got.to(zg::Device::cpu()).to_vector<double>(), r = want.to_vector<double>();
          REQUIRE(g.size() == r.size());
          double scale = 0, worst = 0;
          for (double v : r) scale = std::max(scale, std::fabs(v));
          for (std::size_t i = 0; i < g.size(); ++i) worst = std::max(worst, std::fabs(g[i] - r[i]));
          INFO("max error " << worst << ", max |value| " << scale);
          REQUIRE(worst <= tol * scale);
          zg::testing::twin_checks().passed();
        };
        close(gpu_out.detach(), cpu_out.detach(), "output");
        close(gx.grad(), cx.grad(), "input gradient");
        close(gw.grad(), cw.grad(), "weight gradient");
        close(gb.grad(), cb.grad(), "bias gradient");
      }
    }
  }
}

TEST_CASE("cuda conv: bad arguments give clear errors", "[cuda][conv]") {
  zc::ConvShape s = shape_of({1, 3, 4, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1});
  const zg::Tensor x = device_nan({1, 3, 8, 8}), w = device_nan({4, 3, 3, 3}), y = device_nan({1, 4, 8, 8});
  std::vector<float> host(1 * 3 * 8 * 8);
  // a host pointer where device memory is expected
  CHECK_THROWS_AS(zc::conv2d_forward(s, ptr(y), host.data(), ptr(w), nullptr), zg::DeviceError);
  CHECK_THROWS_WITH(zc::conv2d_forward(s, ptr(y), host.data(), ptr(w), nullptr),
                    Catch::Contains("conv2d_forward") && Catch::Contains("input") && Catch::Contains("device"));
  // an output larger than the size rule
  zc::ConvShape big = s;
  big.out_h = 9;
  CHECK_THROWS_AS(zc::conv2d_forward(big, ptr(y), ptr(x), ptr(w), nullptr), zg::ShapeError);
  CHECK_THROWS_WITH(zc::conv2d_backward_weight(big, ptr(w), ptr(x), ptr(y)),
                    Catch::Contains("backward_weight") && Catch::Contains("[1, 3, 8, 8]"));
  zc::ConvShape bad = s;
  bad.stride_h = 0;
  CHECK_THROWS_AS(zc::conv2d_backward_data(bad, ptr(x), ptr(y), ptr(w), nullptr), zg::ShapeError);
  // the ops: float64 on the GPU, an unknown backend name
  const zg::Tensor x64 = zg::full({1, 3, 8, 8}, 1.0, {.dtype = zg::DType::Float64}).to(zg::Device::cuda());
  const zg::Tensor w64 = zg::full({4, 3, 3, 3}, 1.0, {.dtype = zg::DType::Float64}).to(zg::Device::cuda());
  CHECK_THROWS_AS(zg::conv2d(x64, w64), zg::DTypeError);
  CHECK_THROWS_WITH(zg::conv2d(x64, w64), Catch::Contains("conv2d") && Catch::Contains("float32"));
  {
    const BackendScope scope("cudnn-fp16");
    CHECK_THROWS_AS(zg::conv2d(x, w), zg::ValueError);
    CHECK_THROWS_WITH(zg::conv2d(x, w), Catch::Contains("ZENGEN_CONV_BACKEND"));
  }
  // mixed devices
  CHECK_THROWS_AS(zg::conv2d(x, w.to(zg::Device::cpu())), zg::DeviceError);
}
