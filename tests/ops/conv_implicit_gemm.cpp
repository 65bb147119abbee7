// The CUDA convolution kernels' index math and tiling, run on the CPU.
//
// 1. The index math (cuda/conv_index.hpp): each direction's implicit-GEMM
//    problem is multiplied out by a naive loop over tiles (padded to tile
//    sizes, split over K) and compared with the CPU reference convolution:
//    which element A(m, k), B(k, n) and C(m, n) are, the zero padding of
//    partial tiles, and that the stride phases of backward-data write every
//    input element exactly once.
// 2. The blocks (cuda/conv_block.hpp): the float32 kernel's own pieces (the
//    tile loader, the per-thread register block and epilogue) and the
//    launchers' plan (tile size, K split, grid), run for all 256 threads of
//    every block in turn, barrier by barrier, with shared memory filled with
//    NaN wherever the kernel must not read (so a tile element no thread
//    loads poisons the result). The tensor-core kernels' loaders (BK = 16)
//    run the same way: TF32's float32 tiles, and bfloat16's, rounded to
//    nearest even as the GPU's conversion does, into rows of their own
//    padding (checked against the CPU convolution of rounded operands);
//    their wmma multiply is only checked on a GPU.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <sstream>
#include <vector>

#include "conv_block.hpp"
#include "conv_index.hpp"
#include "cpu/conv.hpp"
#include "helpers.hpp"

using namespace zengen;
namespace gemm = zengen::cuda::conv_gemm;

namespace {

struct Case {
  int batch, in_channels, out_channels, in_h, in_w, kernel_h, kernel_w;
  int stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
  int out_h_cut = 0;  // > 0: restrict the output rows (conv_transpose2d with output_padding >= stride)
};

gemm::Geometry geometry(const Case& c) {
  gemm::Geometry g;
  g.batch = c.batch;
  g.in_channels = c.in_channels;
  g.in_h = c.in_h;
  g.in_w = c.in_w;
  g.out_channels = c.out_channels;
  g.kernel_h = c.kernel_h;
  g.kernel_w = c.kernel_w;
  g.stride_h = c.stride_h;
  g.stride_w = c.stride_w;
  g.pad_h = c.pad_h;
  g.pad_w = c.pad_w;
  g.dilation_h = c.dilation_h;
  g.dilation_w = c.dilation_w;
  g.out_h = static_cast<int>(conv_output_size(c.in_h, c.kernel_h, c.stride_h, c.pad_h, c.dilation_h));
  g.out_w = static_cast<int>(conv_output_size(c.in_w, c.kernel_w, c.stride_w, c.pad_w, c.dilation_w));
  if (c.out_h_cut > 0) g.out_h -= c.out_h_cut;
  return g;
}

cpu::ConvGeometry cpu_geometry(const gemm::Geometry& g) {
  return {.batch = g.batch, .in_channels = g.in_channels, .in_h = g.in_h, .in_w = g.in_w,
          .out_channels = g.out_channels, .kernel_h = g.kernel_h, .kernel_w = g.kernel_w, .out_h = g.out_h,
          .out_w = g.out_w, .stride_h = g.stride_h, .stride_w = g.stride_w, .pad_h = g.pad_h, .pad_w = g.pad_w,
          .dilation_h = g.dilation_h, .dilation_w = g.dilation_w};
}

std::string describe(const Case& c) {
  std::ostringstream os;
  os << "x [" << c.batch << ", " << c.in_channels << ", " << c.in_h << ", " << c.in_w << "], O " << c.out_channels
     << ", kernel " << c.kernel_h << "x" << c.kernel_w << ", stride " << c.stride_h << "," << c.stride_w << ", pad "
     << c.pad_h << "," << c.pad_w << ", dilation " << c.dilation_h << "," << c.dilation_w << ", out rows cut "
     << c.out_h_cut;
  return os.str();
}

int round_up(int x, int tile) { return (x + tile - 1) / tile * tile; }

// C = A B for one problem, the way the kernels walk it: tiles of
// tile_m x tile_n, K in chunks of k_split (rounded to tile_k), every index up
// to the tile edge visited; the padding part must contribute exactly 0.
// Writes (or, with accumulate, adds) C into `out`, counting the writes.
template <typename Problem>
void emulate(const Problem& p, float* out, std::vector<int>& writes, int tile_m, int tile_n, int tile_k, int k_split,
             bool accumulate) {
  const int m_end = round_up(p.M, tile_m), n_end = round_up(p.N, tile_n);
  const int k_chunk = round_up(std::max(k_split, 1), tile_k);
  const int splits = std::max(1, (p.K + k_chunk - 1) / k_chunk);
  for (int split = 0; split < splits; ++split) {
    const int k_begin = split * k_chunk;
    const int k_stop = std::min(p.K, k_begin + k_chunk);  // the split's own end, as the launcher passes it
    const int k_tiles_end = k_begin + round_up(std::max(k_stop - k_begin, 0), tile_k);
    for (int m = 0; m < m_end; ++m)
      for (int n = 0; n < n_end; ++n) {
        const auto column = p.column(n);
        double acc = 0;
        for (int k = k_begin; k < k_tiles_end; ++k) {
          const int kk = k < k_stop ? k : p.K;  // the kernels mask k past the split's end like this
          const float a = p.a(m, kk), b = p.b(p.row(kk), column);
          if (m >= p.M || kk >= p.K) REQUIRE(a == 0.0f);
          if (n >= p.N || kk >= p.K) REQUIRE(b == 0.0f);
          acc += static_cast<double>(a) * b;
        }
        if (m >= p.M || n >= p.N) continue;
        const int index = p.out_row(m) + p.out_column(n);
        REQUIRE(index >= 0);
        REQUIRE(static_cast<std::size_t>(index) < writes.size());
        if (accumulate) {
          out[index] += static_cast<float>(acc);
        } else {
          out[index] = static_cast<float>(acc) + p.bias_of(m);
          ++writes[static_cast<std::size_t>(index)];
        }
      }
  }
}

void require_match(const std::vector<float>& got, const Tensor& expected) {
  const auto ref = expected.to_vector<double>();
  REQUIRE(got.size() == ref.size());
  double scale = 1e-30;
  for (double r : ref) scale = std::max(scale, std::abs(r));
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got[i] << ", expected " << ref[i]);
    REQUIRE(std::abs(got[i] - ref[i]) <= 1e-5 * scale);
  }
}

void check_case(const Case& c, int tile_m, int tile_n, int tile_k, int k_split) {
  INFO(describe(c) << ", tiles " << tile_m << "x" << tile_n << "x" << tile_k << ", k split " << k_split);
  const gemm::Geometry g = geometry(c);
  const cpu::ConvGeometry cg = cpu_geometry(g);
  const Shape xs{g.batch, g.in_channels, g.in_h, g.in_w}, ws{g.out_channels, g.in_channels, g.kernel_h, g.kernel_w};
  const Shape ys{g.batch, g.out_channels, g.out_h, g.out_w};
  const Tensor x = rand(xs) - 0.5, w = rand(ws) - 0.5, gy = rand(ys) - 0.5;
  const Tensor bias_o = rand({g.out_channels}), bias_c = rand({g.in_channels});
  const float nan = std::numeric_limits<float>::quiet_NaN();

  // forward (+ bias)
  {
    std::vector<float> out(static_cast<std::size_t>(ys.numel()), nan);
    std::vector<int> writes(out.size(), 0);
    const auto p = gemm::forward_problem(g, x.data<float>(), w.data<float>(), bias_o.data<float>(), out.data());
    emulate(p, out.data(), writes, tile_m, tile_n, tile_k, p.K, false);
    for (int count : writes) REQUIRE(count == 1);
    Tensor ref = empty(ys);
    cpu::reference::conv2d_forward(ref, x, w, bias_o, cg);
    require_match(out, ref);
  }
  // backward-data, phase by phase (+ the transposed convolution's bias)
  {
    std::vector<float> out(static_cast<std::size_t>(xs.numel()), nan);
    std::vector<int> writes(out.size(), 0);
    for (int rh = 0; rh < g.stride_h; ++rh)
      for (int rw = 0; rw < g.stride_w; ++rw) {
        const auto p = gemm::backward_data_phase(g, gy.data<float>(), w.data<float>(), bias_c.data<float>(),
                                                 out.data(), rh, rw);
        if (p.N == 0) continue;  // a phase with no inputs: the launcher skips it
        emulate(p, out.data(), writes, tile_m, tile_n, tile_k, p.K, false);
      }
    for (int count : writes) REQUIRE(count == 1);
    Tensor ref = empty(xs);
    cpu::reference::conv2d_backward_data(ref, gy, w, bias_c, cg);
    require_match(out, ref);
  }
  // backward-weight, split over K into a zeroed output
  {
    std::vector<float> out(static_cast<std::size_t>(ws.numel()), 0.0f);
    std::vector<int> writes(out.size(), 0);
    const auto p = gemm::backward_weight_problem(g, x.data<float>(), gy.data<float>(), out.data());
    emulate(p, out.data(), writes, tile_m, tile_n, tile_k, k_split, true);
    Tensor ref = empty(ws);
    cpu::reference::conv2d_backward_weight(ref, x, gy, cg);
    require_match(out, ref);
  }
}

}  // namespace

TEST_CASE("conv implicit GEMM: the CUDA kernels' index math matches the CPU convolution", "[ops][conv][cuda-index]") {
  manual_seed(7);
  const std::vector<Case> cases{
      // batch, C, O, H, W, kh, kw, sh, sw, ph, pw, dh, dw
      {1, 3, 5, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1},
      {2, 3, 4, 9, 8, 4, 4, 2, 2, 1, 1, 1, 1},     // DCGAN-like: kernel 4, stride 2, pad 1
      {1, 2, 3, 10, 11, 3, 2, 2, 3, 2, 0, 1, 1},   // mixed strides, padding 2 and 0
      {2, 3, 2, 11, 9, 3, 3, 1, 2, 2, 1, 2, 2},    // dilation 2
      {1, 2, 2, 13, 12, 3, 3, 2, 2, 1, 2, 3, 2},   // dilation 3 on stride 2: gcd 1, phases share taps
      {1, 2, 2, 12, 12, 2, 3, 3, 2, 0, 1, 2, 2},   // stride 3, dilation 2; stride 2, dilation 2 (one phase empty)
      {2, 5, 3, 6, 5, 1, 1, 1, 1, 0, 0, 1, 1},     // 1x1
      {1, 3, 4, 5, 5, 5, 5, 1, 1, 2, 2, 1, 1},     // kernel as large as the input
      {1, 2, 3, 9, 9, 3, 3, 2, 2, 1, 1, 3, 3, 1},  // restricted output rows (out_h below the size rule)
  };
  for (const Case& c : cases) {
    check_case(c, 8, 8, 4, 7);      // tiles smaller than the problem; odd K split
    check_case(c, 16, 32, 8, 1000);  // tiles larger than the problem
  }
}

TEST_CASE("conv implicit GEMM: backward-data phases and their taps", "[ops][conv][cuda-index]") {
  // kernel 4, stride 2, dilation 1: phase 0 uses taps 0 and 2, phase 1 taps 1 and 3.
  auto t0 = gemm::phase_taps(4, 2, 1, 0), t1 = gemm::phase_taps(4, 2, 1, 1);
  CHECK((t0.first == 0 && t0.step == 2 && t0.count == 2));
  CHECK((t1.first == 1 && t1.step == 2 && t1.count == 2));
  // stride 2, dilation 2: every tap lands on phase 0; phase 1 has none.
  auto d0 = gemm::phase_taps(3, 2, 2, 0), d1 = gemm::phase_taps(3, 2, 2, 1);
  CHECK((d0.first == 0 && d0.step == 1 && d0.count == 3));
  CHECK(d1.count == 0);
  // stride 3, dilation 2, kernel 5: i * 2 % 3 == 1 for i = 2, 5, ...: only 2 below 5.
  auto s = gemm::phase_taps(5, 3, 2, 1);
  CHECK((s.first == 2 && s.step == 3 && s.count == 1));
  // inputs of size 7, stride 2, padding 1: phase 0 holds h with (h + 1) even: 1, 3, 5.
  auto in0 = gemm::phase_inputs(7, 2, 1, 0), in1 = gemm::phase_inputs(7, 2, 1, 1);
  CHECK((in0.first == 1 && in0.count == 3));
  CHECK((in1.first == 0 && in1.count == 4));
  // size 1 with stride 3, padding 0: phase 1 and 2 are empty.
  CHECK(gemm::phase_inputs(1, 3, 0, 1).count == 0);
  CHECK(gemm::phase_inputs(1, 3, 0, 0).count == 1);
}

namespace {

// ---- 2. the blocks, thread by thread ----

// bfloat16 as the GPU's float-to-bfloat16 conversion makes it: float32's top
// 16 bits after rounding to nearest even (a NaN stays a NaN).
struct HostBf16 {
  std::uint16_t bits = 0;
  HostBf16() = default;
  explicit HostBf16(float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    bits = std::isnan(f) ? std::uint16_t{0x7fc0} : static_cast<std::uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
  }
  explicit operator float() const {
    const std::uint32_t u = std::uint32_t{bits} << 16;
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
  }
};

// Whose tile loader a run emulates: the float32 kernel's (BK = 8), or a
// tensor-core kernel's (BK = 16) with float32 (TF32) or bfloat16 tiles.
enum class LoaderKind { Float32, Tf32, Bf16 };

const char* name_of(LoaderKind kind) {
  return kind == LoaderKind::Float32 ? "float32 kernel" : kind == LoaderKind::Tf32 ? "TF32 loader" : "bf16 loader";
}

// One launch over `plan`'s grid, as the GPU would run it between barriers:
// the loader of BK-deep tiles stores into shared rows of element type S
// padded as the kernel pads them, and the float32 kernel's register block
// (implicit_gemm_simt<BM, BN, BK, TM, TN, kAtomic>) multiplies what the
// tiles hold; the blocks of split z write split_stride * z floats further on
// (the deterministic weight gradient's slices), as the kernels offset `out`.
template <int BM, int BN, int BK, int TM, int TN, bool kAtomic, class S, int kAPadding, int kBPadding, class Problem>
void run_blocks(const Problem& p, float* out, const gemm::GemmPlan& plan, std::int64_t split_stride) {
  using Loader = gemm::TileLoader<Problem, BM, BN, BK>;
  using Thread = gemm::SimtThread<BM, BN, BK, TM, TN>;
  constexpr int kAStride = BM + kAPadding, kBStride = BN + kBPadding;  // the loader's rows
  constexpr int kFloatAStride = BM + gemm::kAPad;                      // the register block's rows
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<S> a_smem(2 * BK * kAStride), b_smem(2 * BK * kBStride);
  std::vector<float> a_float(BK * kFloatAStride, nan), b_float(BK * BN);
  const auto As = [&](int buf) { return reinterpret_cast<S(*)[kAStride]>(a_smem.data() + buf * BK * kAStride); };
  const auto Bs = [&](int buf) { return reinterpret_cast<S(*)[kBStride]>(b_smem.data() + buf * BK * kBStride); };
  const auto poison = [&](int buf) {
    // The padding columns are never read: NaN too.
    std::fill_n(a_smem.data() + buf * BK * kAStride, BK * kAStride, static_cast<S>(nan));
    std::fill_n(b_smem.data() + buf * BK * kBStride, BK * kBStride, static_cast<S>(nan));
  };
  // What the multiply reads of buffer `buf`, as float32.
  const auto tiles_as_float = [&](int buf) {
    for (int k = 0; k < BK; ++k) {
      for (int m = 0; m < BM; ++m) a_float[k * kFloatAStride + m] = static_cast<float>(As(buf)[k][m]);
      for (int n = 0; n < BN; ++n) b_float[k * BN + n] = static_cast<float>(Bs(buf)[k][n]);
    }
  };
  const auto a_tile = reinterpret_cast<const float(*)[kFloatAStride]>(a_float.data());
  const auto b_tile = reinterpret_cast<const float(*)[BN]>(b_float.data());
  for (int bz = 0; bz < plan.grid_z; ++bz)
    for (int by = 0; by < plan.grid_y; ++by)
      for (int bx = 0; bx < plan.grid_x; ++bx) {
        poison(0);
        poison(1);
        const int m0 = by * BM, n0 = bx * BN;
        const gemm::SplitRange split = gemm::split_range(p.K, plan.k_per_split, bz, BK);
        std::vector<Loader> loaders;
        std::vector<Thread> threads;
        loaders.reserve(gemm::kGemmThreads);
        threads.reserve(gemm::kGemmThreads);
        for (int t = 0; t < gemm::kGemmThreads; ++t) {
          loaders.emplace_back(p, m0, n0, split.end, t);
          threads.emplace_back(t);
        }
        if (split.tiles > 0)
          for (auto& l : loaders) {
            l.load(p, split.begin);
            l.store(As(0), Bs(0));
          }
        // __syncthreads()
        for (int kt = 0; kt < split.tiles; ++kt) {
          const int buf = kt & 1;
          const bool more = kt + 1 < split.tiles;
          if (more)
            for (auto& l : loaders) l.load(p, split.begin + (kt + 1) * BK);
          tiles_as_float(buf);
          for (auto& t : threads) t.multiply(a_tile, b_tile);
          poison(buf);  // read for the last time in this iteration
          if (more)
            for (auto& l : loaders) l.store(As(buf ^ 1), Bs(buf ^ 1));
          // __syncthreads()
        }
        for (auto& t : threads) t.template write<kAtomic>(p, out + bz * split_stride, m0, n0);
      }
}

// The launcher's dispatch (cuda/conv.cu run_gemm): the float32 kernel, or a
// tensor-core kernel's loader (BK = 16, its tiles' type and padding) with a
// float32 register block.
template <bool kAtomic, class Problem>
void run_like_launcher(const Problem& p, float* out, LoaderKind kind, int splits, int sm_count,
                       std::int64_t split_stride = 0) {
  if (p.M == 0 || p.N == 0) return;
  const gemm::GemmPlan plan = gemm::plan_gemm(p.M, p.N, p.K, kind == LoaderKind::Float32 ? 8 : 16, splits, sm_count);
  REQUIRE((plan.tile == 128 || plan.tile == 64));
  const bool large = plan.tile == 128;
  constexpr int kPad = gemm::kAPad, kBf16Pad = gemm::kBf16Pad;
  switch (kind) {
    case LoaderKind::Float32:
      if (large) run_blocks<128, 128, 8, 8, 8, kAtomic, float, kPad, 0>(p, out, plan, split_stride);
      else run_blocks<64, 64, 8, 4, 4, kAtomic, float, kPad, 0>(p, out, plan, split_stride);
      break;
    case LoaderKind::Tf32:
      if (large) run_blocks<128, 128, 16, 8, 8, kAtomic, float, kPad, 0>(p, out, plan, split_stride);
      else run_blocks<64, 64, 16, 4, 4, kAtomic, float, kPad, 0>(p, out, plan, split_stride);
      break;
    case LoaderKind::Bf16:
      if (large) run_blocks<128, 128, 16, 8, 8, kAtomic, HostBf16, kBf16Pad, kBf16Pad>(p, out, plan, split_stride);
      else run_blocks<64, 64, 16, 4, 4, kAtomic, HostBf16, kBf16Pad, kBf16Pad>(p, out, plan, split_stride);
      break;
  }
}

// A tensor's values rounded to bfloat16 (the bf16 kernel's operands).
Tensor rounded_to_bf16(const Tensor& t) {
  std::vector<float> v = t.to_vector<float>();
  for (float& f : v) f = static_cast<float>(HostBf16(f));
  return from_vector(v, t.shape());
}

void check_blocks(const Case& c, LoaderKind kind, int sm_count) {
  INFO(describe(c) << ", " << name_of(kind) << ", " << sm_count << " SMs");
  const gemm::Geometry g = geometry(c);
  const cpu::ConvGeometry cg = cpu_geometry(g);
  const Shape xs{g.batch, g.in_channels, g.in_h, g.in_w}, ws{g.out_channels, g.in_channels, g.kernel_h, g.kernel_w};
  const Shape ys{g.batch, g.out_channels, g.out_h, g.out_w};
  const Tensor x = rand(xs) - 0.5, w = rand(ws) - 0.5, gy = rand(ys) - 0.5;
  const Tensor bias_o = rand({g.out_channels}), bias_c = rand({g.in_channels});
  // What the kernel multiplies: the operands as its loader rounds them (the
  // biases are added in float32).
  const bool bf16 = kind == LoaderKind::Bf16;
  const Tensor rx = bf16 ? rounded_to_bf16(x) : x, rw = bf16 ? rounded_to_bf16(w) : w;
  const Tensor rgy = bf16 ? rounded_to_bf16(gy) : gy;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  {
    std::vector<float> out(static_cast<std::size_t>(ys.numel()), nan);
    run_like_launcher<false>(gemm::forward_problem(g, x.data<float>(), w.data<float>(), bias_o.data<float>(),
                                                   out.data()),
                             out.data(), kind, 1, sm_count);
    Tensor ref = empty(ys);
    cpu::reference::conv2d_forward(ref, rx, rw, bias_o, cg);
    INFO("forward");
    require_match(out, ref);
  }
  {
    std::vector<float> out(static_cast<std::size_t>(xs.numel()), nan);
    for (int rh = 0; rh < g.stride_h; ++rh)
      for (int rw = 0; rw < g.stride_w; ++rw)
        run_like_launcher<false>(gemm::backward_data_phase(g, gy.data<float>(), w.data<float>(),
                                                           bias_c.data<float>(), out.data(), rh, rw),
                                 out.data(), kind, 1, sm_count);
    Tensor ref = empty(xs);
    cpu::reference::conv2d_backward_data(ref, rgy, rw, bias_c, cg);
    INFO("backward-data");
    require_match(out, ref);
  }
  {
    std::vector<float> out(static_cast<std::size_t>(ws.numel()), 0.0f);  // the launcher zeroes it
    const auto p = gemm::backward_weight_problem(g, x.data<float>(), gy.data<float>(), out.data());
    run_like_launcher<true>(p, out.data(), kind, gemm::weight_grad_splits(p.M, p.N, p.K, sm_count), sm_count);
    Tensor ref = empty(ws);
    cpu::reference::conv2d_backward_weight(ref, rx, rgy, cg);
    INFO("backward-weight");
    require_match(out, ref);
  }
  {
    // Deterministic: each split stores its whole slice (NaN-filled first, so
    // a split that writes nothing, as one without K tiles could, shows), then
    // the slices are added in split order, as cuda/conv.cu's sum_splits does.
    const std::int64_t elements = ws.numel();
    const auto p = gemm::backward_weight_problem(g, x.data<float>(), gy.data<float>(), nullptr);
    const int splits = gemm::weight_grad_splits(p.M, p.N, p.K, sm_count);
    // As cuda/conv.cu: one slice per split the launch really runs.
    const int launched = gemm::plan_gemm(p.M, p.N, p.K, kind == LoaderKind::Float32 ? 8 : 16, splits, sm_count).grid_z;
    std::vector<float> slices(static_cast<std::size_t>(launched * elements), nan);
    run_like_launcher<false>(p, slices.data(), kind, splits, sm_count, elements);
    std::vector<float> out(static_cast<std::size_t>(elements));
    for (std::int64_t i = 0; i < elements; ++i) {
      float acc = slices[static_cast<std::size_t>(i)];
      for (int z = 1; z < launched; ++z) acc += slices[static_cast<std::size_t>(z * elements + i)];
      out[static_cast<std::size_t>(i)] = acc;
    }
    Tensor ref = empty(ws);
    cpu::reference::conv2d_backward_weight(ref, rx, rgy, cg);
    INFO("deterministic backward-weight, " << launched << " splits");
    require_match(out, ref);
  }
}

}  // namespace

TEST_CASE("conv implicit GEMM: the kernels' blocks, run thread by thread, match the CPU convolution",
          "[ops][conv][cuda-index]") {
  manual_seed(8);
  const std::vector<Case> cases{
      // batch, C, O, H, W, kh, kw, sh, sw, ph, pw, dh, dw
      {2, 3, 17, 13, 11, 4, 4, 2, 2, 1, 1, 1, 1},
      {1, 5, 7, 9, 10, 3, 2, 2, 1, 2, 0, 1, 1},
      {2, 4, 3, 12, 13, 3, 3, 2, 2, 1, 2, 2, 2},  // stride 2 with dilation 2: a phase without taps
      {3, 33, 130, 9, 7, 3, 3, 1, 1, 1, 1, 1, 1},  // more than one 128-wide tile of output channels
      {4, 3, 8, 32, 32, 4, 4, 2, 2, 1, 1, 1, 1},   // DCGAN's first layer, scaled down: K = 48, long N
      {1, 2, 3, 9, 9, 3, 3, 2, 2, 1, 1, 3, 3, 1},  // restricted output rows
  };
  for (const Case& c : cases)
    for (LoaderKind kind : {LoaderKind::Float32, LoaderKind::Tf32, LoaderKind::Bf16})
      for (int sm_count : {1, 132}) check_blocks(c, kind, sm_count);
  // K = 5,121 positions on 5 SMs: 20 splits asked, but K in whole 16-deep
  // tiles needs only 19 (the tensor-core loaders), so the deterministic path must
  // size and add its slices by the launch's own count.
  const Case long_k{1, 2, 3, 3, 1707, 1, 1, 1, 1, 0, 0, 1, 1};
  const gemm::Geometry g = geometry(long_k);
  const auto p = gemm::backward_weight_problem(g, nullptr, nullptr, nullptr);
  const int asked = gemm::weight_grad_splits(p.M, p.N, p.K, 5);
  REQUIRE(gemm::plan_gemm(p.M, p.N, p.K, 16, asked, 5).grid_z < asked);
  for (LoaderKind kind : {LoaderKind::Float32, LoaderKind::Tf32, LoaderKind::Bf16}) check_blocks(long_k, kind, 5);
}
