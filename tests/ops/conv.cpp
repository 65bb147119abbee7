// Convolutions: the fast CPU kernels against their plain-loop references,
// hand-computed values, output-size rules, the adjoint identity, gradcheck
// (first and second order), and bad arguments.
#include <sstream>

#include "cpu/conv.hpp"
#include "helpers.hpp"

using namespace zengen;
using zengen::testing::rand64;
using zengen::testing::require_close;
using zengen::testing::require_gradcheck;
using zengen::testing::require_values;

namespace {

using Index = std::int64_t;

// The conv2d geometry of input shape x, weight shape w.
cpu::ConvGeometry geometry(const Shape& x, const Shape& w, const Conv2dParams& p) {
  return {.batch = x[0],
          .in_channels = x[1],
          .in_h = x[2],
          .in_w = x[3],
          .out_channels = w[0],
          .kernel_h = w[2],
          .kernel_w = w[3],
          .out_h = conv_output_size(x[2], w[2], p.stride[0], p.padding[0], p.dilation[0]),
          .out_w = conv_output_size(x[3], w[3], p.stride[1], p.padding[1], p.dilation[1]),
          .stride_h = p.stride[0],
          .stride_w = p.stride[1],
          .pad_h = p.padding[0],
          .pad_w = p.padding[1],
          .dilation_h = p.dilation[0],
          .dilation_w = p.dilation[1]};
}

Tensor uniform(const Shape& shape, DType dtype) { return rand64(shape, false).to(dtype); }

// Sum of a * b over all elements, in double.
double dot(const Tensor& a, const Tensor& b) { return (a * b).sum().item(); }

// Largest |a - b| / (1 + |b|) over the elements (one assertion per tensor
// keeps the big grid below fast).
double max_error(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  const auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  double worst = 0;
  for (std::size_t i = 0; i < va.size(); ++i)
    worst = std::max(worst, std::abs(va[i] - vb[i]) / (1.0 + std::abs(vb[i])));
  return worst;
}

// Runs the three fast kernels (with the knobs `tuning`) and their
// references on one geometry and compares them.
void compare_with_reference(const cpu::ConvGeometry& g, DType dtype, double tol, const cpu::ConvTuning& tuning = {}) {
  const TensorOptions opts{.dtype = dtype};
  const Shape xs{g.batch, g.in_channels, g.in_h, g.in_w}, ws{g.out_channels, g.in_channels, g.kernel_h, g.kernel_w};
  const Shape ys{g.batch, g.out_channels, g.out_h, g.out_w};
  const Tensor x = uniform(xs, dtype), w = uniform(ws, dtype), b = uniform({g.out_channels}, dtype);
  const Tensor gy = uniform(ys, dtype), bx = uniform({g.in_channels}, dtype);

  Tensor fast = empty(ys, opts), ref = empty(ys, opts);
  cpu::conv2d_forward(fast, x, w, b, g, tuning);
  cpu::reference::conv2d_forward(ref, x, w, b, g);
  CHECK(max_error(fast, ref) <= tol);
  cpu::conv2d_forward(fast, x, w, Tensor(), g, tuning);
  cpu::reference::conv2d_forward(ref, x, w, Tensor(), g);
  CHECK(max_error(fast, ref) <= tol);

  Tensor fast_x = empty(xs, opts), ref_x = empty(xs, opts);
  cpu::conv2d_backward_data(fast_x, gy, w, Tensor(), g, tuning);
  cpu::reference::conv2d_backward_data(ref_x, gy, w, Tensor(), g);
  CHECK(max_error(fast_x, ref_x) <= tol);
  cpu::conv2d_backward_data(fast_x, gy, w, bx, g, tuning);
  cpu::reference::conv2d_backward_data(ref_x, gy, w, bx, g);
  CHECK(max_error(fast_x, ref_x) <= tol);

  Tensor fast_w = empty(ws, opts), ref_w = empty(ws, opts);
  cpu::conv2d_backward_weight(fast_w, x, gy, g, tuning);
  cpu::reference::conv2d_backward_weight(ref_w, x, gy, g);
  CHECK(max_error(fast_w, ref_w) <= tol);
}

std::string describe(const cpu::ConvGeometry& g) {
  std::ostringstream os;
  os << "x [" << g.batch << ", " << g.in_channels << ", " << g.in_h << ", " << g.in_w << "], w ["
     << g.out_channels << ", " << g.in_channels << ", " << g.kernel_h << ", " << g.kernel_w << "], out "
     << g.out_h << "x" << g.out_w << ", stride " << g.stride_h << "," << g.stride_w << ", pad " << g.pad_h << ","
     << g.pad_w << ", dilation " << g.dilation_h << "," << g.dilation_w;
  return os.str();
}

}  // namespace

TEST_CASE("conv: fast kernels match the plain-loop references", "[ops][conv]") {
  manual_seed(1);
  // Three settings of the fast path: as shipped (these small calls run on
  // one thread); threads forced on; threads forced on with tiny column
  // blocks, so images are split into several blocks of output positions.
  const std::vector<cpu::ConvTuning> tunings{
      cpu::ConvTuning{}, {.parallel_min_flops = 0}, {.col_block_bytes = 64, .parallel_min_flops = 0}};
  std::vector<cpu::ConvGeometry> cases;
  for (Index stride : {1, 2})
    for (Index pad : {0, 1, 2})
      for (Index k : {1, 3, 4, 5})
        for (Index dil : {1, 2})
          for (const auto& [c, o] : std::vector<std::pair<Index, Index>>{{1, 3}, {3, 2}}) {
            const Shape ws{o, c, k, k};
            const Conv2dParams p{.stride = {stride, stride}, .padding = {pad, pad}, .dilation = {dil, dil}};
            if (dil * (k - 1) + 1 > 7 + 2 * pad) continue;  // kernel does not fit
            for (Index batch : {1, 2, 3})  // with 2 threads: inner, batch-parallel, inner
              cases.push_back(geometry(Shape{batch, c, 7, 9}, ws, p));
          }
  // Uneven shapes: rectangular kernel, strides and paddings per dim.
  cases.push_back(geometry({2, 3, 8, 5}, {4, 3, 2, 3}, {.stride = {2, 1}, .padding = {0, 2}, .dilation = {1, 2}}));
  cases.push_back(geometry({3, 2, 9, 6}, {2, 2, 3, 1}, {.stride = {3, 2}, .padding = {1, 0}, .dilation = {2, 1}}));
  // Restricted outputs (fewer rows/columns than the rule), as used by
  // conv_transpose2d with output_padding >= stride.
  cpu::ConvGeometry restricted = geometry({2, 2, 7, 8}, {3, 2, 2, 2}, {.dilation = {2, 2}});
  restricted.out_h -= 1;
  restricted.out_w -= 1;
  cases.push_back(restricted);
  // Pointwise (1x1, stride 1): the column matrix is the input itself.
  cases.push_back(geometry({2, 5, 3, 7}, {4, 5, 1, 1}, {}));
  // The window covers the whole input (one output position): each
  // direction is one GEMM over the batch.
  cases.push_back(geometry({3, 4, 4, 4}, {5, 4, 4, 4}, {}));
  cases.push_back(geometry({2, 3, 3, 5}, {7, 3, 3, 5}, {.stride = {2, 2}}));

  for (std::size_t t = 0; t < tunings.size(); ++t) {
    const auto& tuning = tunings[t];
    for (std::size_t i = 0; i < cases.size(); ++i) {
      // Each threaded call is a fork/join, which on a machine shared with
      // other processes (libgomp spins, then sleeps) can cost a scheduler
      // slice; so the threaded settings run on every 16th case of the grid
      // (which still varies stride, padding, kernel and batch) and on all
      // the special ones.
      if (t > 0 && i % 16 != 0 && i + 6 < cases.size()) continue;
      const auto& g = cases[i];
      INFO(describe(g) << ", block bytes " << tuning.col_block_bytes << ", min flops " << tuning.parallel_min_flops);
      compare_with_reference(g, DType::Float64, 1e-12, tuning);
      compare_with_reference(g, DType::Float32, 1e-5, tuning);
    }
  }
}

TEST_CASE("conv: the threaded splits agree with the reference", "[ops][conv]") {
  manual_seed(2);
  const cpu::ConvTuning threaded{.parallel_min_flops = 0};
  // With 2 threads or more: batch 4 splits over images; batch 1 and 3 also
  // split each image (forward by positions, backward by channel groups).
  compare_with_reference(geometry({4, 8, 15, 13}, {16, 8, 3, 3}, {.stride = {2, 2}, .padding = {1, 1}}),
                         DType::Float32, 1e-5, threaded);
  compare_with_reference(geometry({1, 8, 21, 19}, {12, 8, 4, 4}, {.stride = {2, 2}, .padding = {1, 1}}),
                         DType::Float64, 1e-12, threaded);
  compare_with_reference(geometry({3, 5, 17, 11}, {6, 5, 4, 3}, {.stride = {2, 2}, .padding = {2, 1}}),
                         DType::Float64, 1e-12, threaded);
}

TEST_CASE("conv: float32 through either GEMM, with patches longer than one packed block", "[ops][conv]") {
  manual_seed(3);
  // 20 channels x 4x4 taps = 320 > KC = 256, so sgemm's beta path (bias,
  // accumulated gradients) runs over two slices; 18 output channels leave
  // edge tiles of the 6-row micro-kernel. The Eigen setting is the path of
  // CPUs without AVX2.
  for (cpu::GemmKernel kernel : {cpu::GemmKernel::Auto, cpu::GemmKernel::Eigen}) {
    INFO("gemm kernel " << cpu::gemm_kernel_name(kernel));
    const cpu::ConvTuning tuning{.gemm_kernel = kernel};
    compare_with_reference(geometry({2, 20, 12, 11}, {18, 20, 4, 4}, {.stride = {2, 2}, .padding = {1, 1}}),
                           DType::Float32, 1e-5, tuning);
    compare_with_reference(geometry({3, 7, 6, 6}, {33, 7, 3, 3}, {.padding = {1, 1}}), DType::Float32, 1e-5,
                           tuning);
  }
}

TEST_CASE("conv: float32 columns written straight into the GEMM's panels, on wide images", "[ops][conv]") {
  manual_seed(4);
  // Output rows of 16 values and more, so a panel of the packed GEMM (16 or
  // 32 columns) can lie within one output row, with strides 1, 2 and 3,
  // dilation, padding, rows longer than a panel, and an odd last panel;
  // alone and threaded (batch 1 then splits by positions and by channels).
  const std::vector<cpu::ConvGeometry> cases{
      geometry({2, 3, 5, 40}, {5, 3, 3, 3}, {.padding = {1, 1}}),
      geometry({3, 4, 6, 70}, {7, 4, 4, 4}, {.stride = {2, 2}, .padding = {1, 1}}),
      geometry({2, 2, 9, 50}, {3, 2, 3, 3}, {.stride = {1, 2}, .padding = {2, 0}, .dilation = {2, 2}}),
      geometry({1, 5, 7, 67}, {6, 5, 2, 5}, {.stride = {2, 3}, .padding = {0, 2}}),
      geometry({2, 3, 16, 33}, {4, 3, 4, 4}, {.stride = {2, 2}, .padding = {1, 1}}),
      // 8-wide output rows at stride 2 (the 8-value gather), grouped images.
      geometry({5, 4, 16, 16}, {6, 4, 4, 4}, {.stride = {2, 2}, .padding = {1, 1}}),
  };
  for (const cpu::ConvTuning& tuning : {cpu::ConvTuning{}, cpu::ConvTuning{.parallel_min_flops = 0}}) {
    for (const auto& g : cases) {
      INFO(describe(g) << ", min flops " << tuning.parallel_min_flops);
      compare_with_reference(g, DType::Float32, 1e-5, tuning);
    }
  }
}

TEST_CASE("conv: conv2d on hand-computed values", "[ops][conv]") {
  // x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]], w = [[1, 2], [3, 4]]:
  //   y00 = 1*1 + 2*2 + 4*3 + 5*4 = 37    y01 = 2*1 + 3*2 + 5*3 + 6*4 = 47
  //   y10 = 4*1 + 5*2 + 7*3 + 8*4 = 67    y11 = 5*1 + 6*2 + 8*3 + 9*4 = 77
  const TensorOptions f64{.dtype = DType::Float64};
  const Tensor x = tensor({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3}, f64);
  const Tensor w = tensor({1, 2, 3, 4}, {1, 1, 2, 2}, f64);
  require_values(conv2d(x, w), {1, 1, 2, 2}, {37, 47, 67, 77});
  require_values(conv2d(x, w, tensor({1}, f64)), {1, 1, 2, 2}, {38, 48, 68, 78});
  require_values(conv2d(x.to(DType::Float32), w.to(DType::Float32)), {1, 1, 2, 2}, {37, 47, 67, 77});
  // Padding 1, stride 2: windows over the zero-padded 5x5 start at rows and
  // columns -1 and 1; only the in-range taps count:
  //   y00 = x00*w11 = 4                  y01 = x01*w10 + x02*w11 = 6 + 12 = 18
  //   y10 = x10*w01 + x20*w11 = 8 + 28   y11 = 5 + 12 + 24 + 36 = 77
  require_values(conv2d(x, w, Tensor(), {.stride = {2, 2}, .padding = {1, 1}}), {1, 1, 2, 2}, {4, 18, 36, 77});
  // Dilation 2: the taps x00, x02, x20, x22 -> 1 + 6 + 21 + 36 = 64.
  require_values(conv2d(x, w, Tensor(), {.dilation = {2, 2}}), {1, 1, 1, 1}, {64});
}

TEST_CASE("conv: conv_transpose2d on hand-computed values", "[ops][conv]") {
  // Each input element scatters input * w into the output at its position
  // times the stride. x = [[1, 2], [3, 4]], w = [[1, 2], [3, 4]], stride 1:
  //   1*w at (0,0), 2*w at (0,1), 3*w at (1,0), 4*w at (1,1), summed:
  //   [[1, 2+2, 4], [3+3, 4+6+6+4, 8+8], [9, 12+12, 16]]
  const TensorOptions f64{.dtype = DType::Float64};
  const Tensor x = tensor({1, 2, 3, 4}, {1, 1, 2, 2}, f64);
  const Tensor w = tensor({1, 2, 3, 4}, {1, 1, 2, 2}, f64);
  require_values(conv_transpose2d(x, w), {1, 1, 3, 3}, {1, 4, 4, 6, 20, 16, 9, 24, 16});
  // Stride 2: the copies no longer overlap; output_padding 1 adds a zero row and column.
  require_values(conv_transpose2d(x, w, Tensor(), {.stride = {2, 2}}), {1, 1, 4, 4},
                 {1, 2, 2, 4, 3, 4, 6, 8, 3, 6, 4, 8, 9, 12, 12, 16});
  require_values(conv_transpose2d(x, w, tensor({10}, f64), {.stride = {2, 2}, .output_padding = {1, 1}}),
                 {1, 1, 5, 5}, {11, 12, 12, 14, 10, 13, 14, 16, 18, 10, 13, 16, 14, 18, 10,
                                19, 22, 22, 26, 10, 10, 10, 10, 10, 10});
  // Padding 1 crops one row/column from each side of the stride-1 result.
  require_values(conv_transpose2d(x, w, Tensor(), {.padding = {1, 1}}), {1, 1, 1, 1}, {20});
}

TEST_CASE("conv: output size rules", "[ops][conv]") {
  REQUIRE(conv_output_size(32, 4, 2, 1, 1) == 16);
  REQUIRE(conv_output_size(7, 3, 2, 0, 1) == 3);
  REQUIRE(conv_output_size(9, 3, 1, 0, 2) == 5);
  REQUIRE(conv_output_size(8, 3, 3, 1, 1) == 3);
  REQUIRE(conv_output_size(2, 5, 1, 0, 1) == -2);  // does not fit
  REQUIRE(conv_output_size(2, 5, 2, 0, 1) == -1);  // floor, not truncation
  REQUIRE(conv_transpose_output_size(16, 4, 2, 1, 1, 0) == 32);
  REQUIRE(conv_transpose_output_size(3, 3, 2, 1, 1, 1) == 6);
  REQUIRE(conv_transpose_output_size(4, 2, 1, 0, 2, 1) == 7);  // output_padding < dilation
  REQUIRE(conv_transpose_output_size(5, 3, 1, 0, 1, 0) == 7);
  // conv2d undoes the size change: every H with output_padding = the remainder.
  for (Index h = 1; h < 12; ++h)
    for (Index s : {1, 2, 3}) {
      const Index o = conv_output_size(h + 2, 3, s, 1, 1);
      const Index op = (h + 2 + 2 - 2 - 1) % s;
      REQUIRE(conv_transpose_output_size(o, 3, s, 1, 1, op) == h + 2);
    }
  REQUIRE_THROWS_AS(conv_output_size(8, 3, 0, 0, 1), ValueError);
  REQUIRE_THROWS_AS(conv_output_size(8, 0, 1, 0, 1), ValueError);
  REQUIRE_THROWS_AS(conv_transpose_output_size(8, 3, 2, 0, 1, 2), ValueError);

  const Tensor x = zeros({2, 3, 5, 7});
  REQUIRE(conv_transpose2d(x, zeros({3, 4, 3, 2}), Tensor(),
                           {.stride = {2, 3}, .padding = {1, 0}, .output_padding = {1, 2}})
              .shape() == Shape{2, 4, 10, 22});
  REQUIRE(conv2d(x, zeros({6, 3, 3, 2}), zeros({6}), {.stride = {2, 3}, .padding = {1, 0}, .dilation = {1, 2}})
              .shape() == Shape{2, 6, 3, 2});
}

TEST_CASE("conv: conv_transpose2d is the adjoint of conv2d", "[ops][conv]") {
  manual_seed(3);
  struct Case {
    Shape x, w;
    Conv2dParams p;
  };
  const std::vector<Case> cases{
      {{2, 3, 7, 9}, {4, 3, 3, 3}, {}},
      {{1, 2, 8, 7}, {3, 2, 4, 4}, {.stride = {2, 2}, .padding = {1, 1}}},
      {{2, 1, 9, 6}, {2, 1, 3, 2}, {.stride = {3, 2}, .padding = {2, 0}, .dilation = {1, 2}}},
      {{1, 3, 6, 6}, {2, 3, 1, 1}, {.stride = {2, 2}}},
  };
  for (const auto& c : cases) {
    INFO("x " << c.x << ", w " << c.w);
    const Tensor x = rand64(c.x, false), w = rand64(c.w, false);
    const Tensor y = rand64(conv2d(x, w, Tensor(), c.p).shape(), false);
    Conv2dParams p = c.p;
    for (int d = 0; d < 2; ++d)  // the output padding that gives back x's size
      p.output_padding[d] = c.x[2 + d] - conv_transpose_output_size(y.size(2 + d), c.w[2 + d], p.stride[d],
                                                                    p.padding[d], p.dilation[d], 0);
    const Tensor xt = conv_transpose2d(y, w, Tensor(), p);
    REQUIRE(xt.shape() == c.x);
    REQUIRE(dot(conv2d(x, w, Tensor(), c.p), y) == Approx(dot(x, xt)).epsilon(1e-12));
  }
  // output_padding >= stride (allowed below the dilation): the transposed
  // convolution is the adjoint of conv2d restricted to the first rows/columns.
  const Conv2dParams p{.dilation = {2, 2}, .output_padding = {1, 1}};
  const Tensor y = rand64({1, 2, 4, 5}, false), w = rand64({2, 3, 2, 2}, false);
  const Tensor z = rand64(conv_transpose2d(y, w, Tensor(), p).shape(), false);
  REQUIRE(z.shape() == Shape{1, 3, 7, 8});
  const Tensor cz = conv2d(z, w, Tensor(), p);  // [1, 2, 5, 6]: one row and column more than y
  REQUIRE(dot(conv_transpose2d(y, w, Tensor(), p), z) ==
          Approx(dot(y, cz.narrow(2, 0, 4).narrow(3, 0, 5))).epsilon(1e-12));
}

TEST_CASE("conv: non-contiguous inputs", "[ops][conv]") {
  manual_seed(4);
  const Conv2dParams p{.stride = {2, 1}, .padding = {1, 2}};
  const Tensor nhwc = rand64({2, 7, 9, 3}, false);
  const Tensor x = nhwc.permute({0, 3, 1, 2});  // [2, 3, 7, 9], channels last in memory
  const Tensor wide = rand64({4, 3, 3, 6}, false);
  const Tensor w = slice(wide, 3, 0, 6, 2);  // [4, 3, 3, 3], every other column
  const Tensor b = rand64({8}, false).narrow(0, 2, 4);
  REQUIRE_FALSE(x.is_contiguous());
  REQUIRE_FALSE(w.is_contiguous());
  require_close(conv2d(x, w, b, p), conv2d(x.contiguous(), w.contiguous(), b.contiguous(), p), 1e-12);
  const Tensor wt = rand64({3, 5, 2, 4}, false).transpose(2, 3).contiguous().transpose(2, 3);  // [3, 5, 2, 4]
  REQUIRE_FALSE(wt.is_contiguous());
  require_close(conv_transpose2d(x, wt, Tensor(), p), conv_transpose2d(x.contiguous(), wt.contiguous(), Tensor(), p),
                1e-12);
  // and the kernels see them through the reference too
  const cpu::ConvGeometry g = geometry(x.shape(), w.shape(), p);
  Tensor ref = empty({2, 4, g.out_h, g.out_w}, {.dtype = DType::Float64});
  cpu::reference::conv2d_forward(ref, x.contiguous(), w.contiguous(), b.contiguous(), g);
  require_close(conv2d(x, w, b, p), ref, 1e-12);
}

TEST_CASE("conv: conv2d gradcheck", "[ops][conv][gradcheck]") {
  ZENGEN_GRADCHECKED(conv2d);
  manual_seed(5);
  {
    const Conv2dParams p{.stride = {2, 1}, .padding = {1, 0}, .dilation = {1, 2}};
    require_gradcheck([&](auto& in) { return conv2d(in[0], in[1], in[2], p); },
                      {rand64({2, 2, 5, 6}), rand64({3, 2, 3, 2}), rand64({3})});
  }
  {
    // (6 + 2 - 2 - 1) % 2 = 1: the input gradient needs output_padding 1.
    const Conv2dParams p{.stride = {2, 2}, .padding = {1, 1}};
    require_gradcheck([&](auto& in) { return conv2d(in[0], in[1], Tensor(), p); },
                      {rand64({1, 2, 6, 7}), rand64({2, 2, 3, 3})});
  }
  // Non-contiguous input; only the weight requires grad; batch 1, one channel.
  require_gradcheck([](auto& in) { return conv2d(in[0].permute({0, 3, 1, 2}), in[1], in[2]); },
                    {rand64({2, 4, 5, 3}), rand64({2, 3, 2, 2}), rand64({2})});
  require_gradcheck([](auto& in) { return conv2d(in[0], in[1]); }, {rand64({1, 1, 5, 5}, false), rand64({1, 1, 3, 3})});
}

TEST_CASE("conv: conv_transpose2d gradcheck", "[ops][conv][gradcheck]") {
  ZENGEN_GRADCHECKED(conv_transpose2d);
  manual_seed(6);
  {
    const Conv2dParams p{.stride = {2, 2}, .padding = {1, 0}, .dilation = {1, 2}, .output_padding = {1, 0}};
    require_gradcheck([&](auto& in) { return conv_transpose2d(in[0], in[1], in[2], p); },
                      {rand64({2, 3, 3, 4}), rand64({3, 2, 3, 2}), rand64({2})});
  }
  {
    // output_padding >= stride (allowed as it is below the dilation).
    const Conv2dParams p{.dilation = {2, 2}, .output_padding = {1, 1}};
    require_gradcheck([&](auto& in) { return conv_transpose2d(in[0], in[1], in[2], p); },
                      {rand64({1, 2, 3, 4}), rand64({2, 3, 2, 2}), rand64({3})});
  }
  require_gradcheck([](auto& in) { return conv_transpose2d(in[0].transpose(2, 3), in[1], Tensor(), {.stride = {3, 2}}); },
                    {rand64({1, 2, 3, 2}), rand64({2, 1, 3, 3})});
}

namespace {
// The first-order gradients of sum(f(in)^2) w.r.t. every input, as one flat
// tensor built with create_graph: its gradcheck checks second derivatives.
Tensor gradients_of(const std::function<Tensor(const std::vector<Tensor>&)>& f, const std::vector<Tensor>& in) {
  autograd::GradModeGuard on(true);  // gradcheck evaluates under NoGradGuard
  const Tensor y = f(in);
  const auto grads = autograd::grad({(y * y).sum()}, in, {}, /*retain_graph=*/true, /*create_graph=*/true);
  std::vector<Tensor> flat;
  for (const auto& g : grads) flat.push_back(g.flatten());
  return cat(flat, 0);
}
}  // namespace

TEST_CASE("conv: double backward (gradients of gradients)", "[ops][conv][gradcheck]") {
  manual_seed(7);
  {
    const Conv2dParams p{.stride = {2, 1}, .padding = {1, 1}, .dilation = {1, 2}};
    require_gradcheck(
        [&](auto& in) { return gradients_of([&](auto& v) { return conv2d(v[0], v[1], v[2], p); }, in); },
        {rand64({2, 2, 5, 5}), rand64({2, 2, 2, 2}), rand64({2})});
  }
  {
    const Conv2dParams p{.stride = {2, 2}, .padding = {1, 0}, .output_padding = {1, 1}};
    require_gradcheck(
        [&](auto& in) { return gradients_of([&](auto& v) { return conv_transpose2d(v[0], v[1], v[2], p); }, in); },
        {rand64({1, 2, 3, 3}), rand64({2, 2, 3, 2}), rand64({2})});
  }
  {
    const Conv2dParams p{.dilation = {2, 2}, .output_padding = {1, 1}};
    require_gradcheck(
        [&](auto& in) { return gradients_of([&](auto& v) { return conv_transpose2d(v[0], v[1], Tensor(), p); }, in); },
        {rand64({1, 1, 3, 3}), rand64({1, 2, 2, 2})});
  }
}

TEST_CASE("conv: only the inputs that require grad get one", "[ops][conv]") {
  manual_seed(8);
  const Tensor x = rand64({1, 2, 5, 5}, false), w = rand64({3, 2, 3, 3}), b = rand64({3}, false);
  conv2d(x, w, b).sum().backward();
  REQUIRE(w.grad().defined());
  REQUIRE_FALSE(x.grad().defined());
  REQUIRE_FALSE(b.grad().defined());
  // The bias gradient is the output gradient summed over N, H, W.
  const Tensor x2 = rand64({2, 2, 4, 4}, false), b2 = rand64({3});
  conv_transpose2d(x2, rand64({2, 3, 3, 3}, false), b2).sum().backward();
  require_values(b2.grad(), {3}, {72, 72, 72});  // 2 images x 6 x 6 positions
}

TEST_CASE("conv: empty batches and channels", "[ops][conv]") {
  const TensorOptions f64{.dtype = DType::Float64};
  // No images: empty outputs and gradients of the right shapes.
  const Tensor x = zeros({0, 3, 8, 8}, f64).requires_grad_(), w = ones({4, 3, 3, 3}, f64).requires_grad_();
  const Tensor y = conv2d(x, w, Tensor(), {.stride = {2, 2}});
  REQUIRE(y.shape() == Shape{0, 4, 3, 3});
  y.sum().backward();
  REQUIRE(x.grad().shape() == x.shape());
  require_values(w.grad(), w.shape(), std::vector<double>(108, 0.0));
  REQUIRE(conv_transpose2d(zeros({0, 4, 3, 3}, f64), w).shape() == Shape{0, 3, 5, 5});
  // No input channels: the output is the bias.
  require_values(conv2d(zeros({1, 0, 3, 3}, f64), zeros({2, 0, 2, 2}, f64), tensor({1, 2}, f64)), {1, 2, 2, 2},
                 {1, 1, 1, 1, 2, 2, 2, 2});
  require_values(conv_transpose2d(zeros({1, 0, 2, 2}, f64), zeros({0, 1, 2, 2}, f64), tensor({5}, f64)),
                 {1, 1, 3, 3}, std::vector<double>(9, 5.0));
}

TEST_CASE("conv: bad arguments", "[ops][conv]") {
  const Tensor x = zeros({2, 3, 8, 8});
  REQUIRE_THROWS_AS(conv2d(x, zeros({4, 5, 3, 3})), ShapeError);
  REQUIRE_THROWS_WITH(conv2d(x, zeros({4, 5, 3, 3})),
                      "conv2d: input [2, 3, 8, 8] has 3 channels but weight [4, 5, 3, 3] expects 5");
  REQUIRE_THROWS_WITH(conv_transpose2d(x, zeros({4, 5, 3, 3})),
                      "conv_transpose2d: input [2, 3, 8, 8] has 3 channels but weight [4, 5, 3, 3] expects 4");
  REQUIRE_THROWS_AS(conv2d(zeros({3, 8, 8}), zeros({4, 3, 3, 3})), ShapeError);
  REQUIRE_THROWS_WITH(conv2d(zeros({3, 8, 8}), zeros({4, 3, 3, 3})),
                      Catch::Contains("conv2d: expected a 4-d input [N, C, H, W], got [3, 8, 8]"));
  REQUIRE_THROWS_WITH(conv2d(x, zeros({4, 3, 3})), Catch::Contains("expected a 4-d weight [O, C, kH, kW]"));
  // kernel larger than the padded input
  REQUIRE_THROWS_AS(conv2d(zeros({1, 1, 3, 3}), zeros({1, 1, 5, 5})), ShapeError);
  REQUIRE_THROWS_WITH(conv2d(zeros({1, 1, 3, 3}), zeros({1, 1, 5, 5})),
                      Catch::Contains("conv2d: kernel 5x5 is larger than the padded input 3x3"));
  REQUIRE_NOTHROW(conv2d(zeros({1, 1, 3, 3}), zeros({1, 1, 5, 5}), Tensor(), {.padding = {1, 1}}));
  REQUIRE_THROWS_WITH(conv2d(zeros({1, 1, 5, 5}), zeros({1, 1, 3, 3}), Tensor(), {.dilation = {3, 3}}),
                      Catch::Contains("kernel 3x3 (dilated by [3, 3]) is larger than the padded input 5x5"));
  // stride, dilation, padding, output_padding
  REQUIRE_THROWS_AS(conv2d(x, zeros({4, 3, 3, 3}), Tensor(), {.stride = {0, 1}}), ValueError);
  REQUIRE_THROWS_WITH(conv2d(x, zeros({4, 3, 3, 3}), Tensor(), {.stride = {0, 1}}),
                      Catch::Contains("conv2d: stride must be positive, got [0, 1]"));
  REQUIRE_THROWS_WITH(conv2d(x, zeros({4, 3, 3, 3}), Tensor(), {.dilation = {1, -1}}),
                      Catch::Contains("conv2d: dilation must be positive"));
  REQUIRE_THROWS_WITH(conv2d(x, zeros({4, 3, 3, 3}), Tensor(), {.padding = {-1, 0}}),
                      Catch::Contains("conv2d: padding must be non-negative"));
  REQUIRE_THROWS_AS(conv_transpose2d(x, zeros({3, 4, 3, 3}), Tensor(), {.stride = {2, 2}, .output_padding = {2, 2}}),
                    ValueError);
  REQUIRE_THROWS_WITH(
      conv_transpose2d(x, zeros({3, 4, 3, 3}), Tensor(), {.stride = {2, 2}, .output_padding = {2, 2}}),
      Catch::Contains("conv_transpose2d: output_padding [2, 2] must be smaller than the stride [2, 2] or the "
                      "dilation [1, 1]"));
  REQUIRE_NOTHROW(conv_transpose2d(x, zeros({3, 4, 3, 3}), Tensor(), {.dilation = {3, 3}, .output_padding = {2, 2}}));
  REQUIRE_THROWS_WITH(conv_transpose2d(zeros({1, 1, 1, 1}), zeros({1, 1, 1, 1}), Tensor(), {.padding = {1, 1}}),
                      Catch::Contains("conv_transpose2d: the output would be [1, 1, -1, -1]"));
  // bias
  REQUIRE_THROWS_AS(conv2d(x, zeros({4, 3, 3, 3}), zeros({5})), ShapeError);
  REQUIRE_THROWS_WITH(conv2d(x, zeros({4, 3, 3, 3}), zeros({5})),
                      "conv2d: bias [5] does not match weight [4, 3, 3, 3]: expected [4]");
  REQUIRE_THROWS_WITH(conv_transpose2d(x, zeros({3, 4, 3, 3}), zeros({3})),
                      "conv_transpose2d: bias [3] does not match weight [3, 4, 3, 3]: expected [4]");
  // dtype and undefined tensors
  const Tensor w64 = zeros({4, 3, 3, 3}, {.dtype = DType::Float64});
  REQUIRE_THROWS_AS(conv2d(x, w64), DTypeError);
  REQUIRE_THROWS_WITH(conv2d(x, w64), Catch::Contains("conv2d: dtypes differ (float32 and float64)"));
  REQUIRE_THROWS_AS(conv2d(x.to(DType::Float64), w64, zeros({4})), DTypeError);
  REQUIRE_THROWS_AS(conv2d(zeros({2, 3, 8, 8}, {.dtype = DType::Int64}), zeros({4, 3, 3, 3}, {.dtype = DType::Int64})),
                    DTypeError);
  REQUIRE_THROWS_AS(conv2d(Tensor(), w64), ValueError);
  REQUIRE_THROWS_AS(conv_transpose2d(x, Tensor()), ValueError);
}
