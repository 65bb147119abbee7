// matmul through cuBLAS. cuBLAS is column-major: a row-major [n, m] C is a
// column-major m x n matrix, so C = A B is computed as C^T = B^T A^T with
// each operand passed as it lies in memory (op N for a row-major operand,
// op T for a column-major one, i.e. a transpose view): no copies for
// transposed operands. Batches that one stride describes go to one
// cublasGemmStridedBatchedEx call; other batch layouts loop over the outer
// batch index.
#include "matmul.hpp"

#include <array>
#include <mutex>
#include <vector>

#include "cublas.cuh"
#include "elementwise.hpp"
#include "runtime.hpp"
#include "stream.cuh"
#include "validate.hpp"

namespace zengen::cuda {

cublasHandle_t cublas_handle(int device) {
  static std::array<cublasHandle_t, 64>* handles = new std::array<cublasHandle_t, 64>{};
  static std::mutex mutex;
  ZENGEN_CHECK(device >= 0 && device < 64, DeviceError, "cuda:", device, ": device index out of range");
  std::lock_guard lock(mutex);
  cublasHandle_t& h = (*handles)[static_cast<std::size_t>(device)];
  if (!h) {
    DeviceScope scope(device);
    ZENGEN_CUDA_CHECK(cublasCreate(&h));
    ZENGEN_CUDA_CHECK(cublasSetStream(h, stream(device)));
    // Full float32 products (no TF32), as the CPU computes them.
    ZENGEN_CUDA_CHECK(cublasSetMathMode(h, CUBLAS_PEDANTIC_MATH));
  }
  return h;
}

namespace {

/// How one operand's matrix [rows, cols] lies in memory for cuBLAS.
struct Layout {
  cublasOperation_t op = CUBLAS_OP_N;
  std::int64_t ld = 1;
  bool usable = false;
};

/// Row-major (unit column stride) -> op N of the column-major transpose;
/// column-major (unit row stride) -> op T.
Layout layout_of(std::int64_t rows, std::int64_t cols, std::int64_t row_stride, std::int64_t col_stride) {
  if (cols == 1 || col_stride == 1) {
    const std::int64_t ld = rows == 1 ? std::max<std::int64_t>(cols, 1) : row_stride;
    if (ld >= std::max<std::int64_t>(cols, 1)) return {CUBLAS_OP_N, ld, true};
  }
  if (rows == 1 || row_stride == 1) {
    const std::int64_t ld = cols == 1 ? std::max<std::int64_t>(rows, 1) : col_stride;
    if (ld >= std::max<std::int64_t>(rows, 1)) return {CUBLAS_OP_T, ld, true};
  }
  return {};
}

/// The operand's batch strides broadcast over `batch` (0 where broadcast).
std::vector<std::int64_t> batch_strides(const TensorRef& r, const std::vector<std::int64_t>& batch) {
  std::vector<std::int64_t> s(batch.size(), 0);
  const int nb = r.ndim - 2;
  const std::size_t lead = batch.size() - static_cast<std::size_t>(nb);
  for (int d = 0; d < nb; ++d) s[lead + d] = r.sizes[d] == 1 ? 0 : r.strides[d];
  return s;
}

}  // namespace

void matmul(const TensorRef& out, const TensorRef& a_in, const TensorRef& b_in) {
  const char* op = "matmul";
  using Named = std::pair<const char*, const TensorRef*>;
  for (const auto& [name, r] : {Named{"a", &a_in}, Named{"b", &b_in}, Named{"output", &out}}) {
    validate::operand(op, name, *r);
    validate::floating(op, name, *r);
    validate::dtype_is(op, name, *r, out.dtype);
    validate::same_device(op, out, *r, name);
    ZENGEN_CHECK(r->ndim >= 2, ShapeError, "cuda matmul: ", name, " must have at least 2 dims, got ", r->shape_str());
  }
  validate::contiguous(op, "output", out);
  const std::int64_t n = a_in.sizes[a_in.ndim - 2], k = a_in.sizes[a_in.ndim - 1], m = b_in.sizes[b_in.ndim - 1];
  ZENGEN_CHECK(b_in.sizes[b_in.ndim - 2] == k && out.sizes[out.ndim - 2] == n && out.sizes[out.ndim - 1] == m,
               ShapeError, "cuda matmul: shapes ", a_in.shape_str(), " @ ", b_in.shape_str(), " -> ",
               out.shape_str(), " do not fit");
  std::vector<std::int64_t> batch(out.sizes, out.sizes + out.ndim - 2);
  ZENGEN_CHECK(a_in.ndim - 2 <= static_cast<int>(batch.size()) && b_in.ndim - 2 <= static_cast<int>(batch.size()),
               ShapeError, "cuda matmul: the output has fewer batch dims than an operand");
  const std::int64_t count = out.numel() / std::max<std::int64_t>(n * m, 1);
  if (out.numel() == 0) return;

  // Operands in neither layout are copied to contiguous scratch first.
  TensorRef a = a_in, b = b_in;
  std::vector<std::pair<void*, std::size_t>> scratch;
  auto usable = [](const TensorRef& r) {
    return layout_of(r.sizes[r.ndim - 2], r.sizes[r.ndim - 1], r.strides[r.ndim - 2], r.strides[r.ndim - 1]).usable;
  };
  for (TensorRef* r : {&a, &b}) {
    if (usable(*r)) continue;
    const std::size_t bytes = static_cast<std::size_t>(r->numel()) * element_size(r->dtype);
    void* data = allocate(bytes, out.device);
    scratch.emplace_back(data, bytes);
    TensorRef dense = *r;
    dense.data = data;
    std::int64_t stride = 1;
    for (int d = r->ndim - 1; d >= 0; --d) {
      dense.strides[d] = stride;
      stride *= r->sizes[d];
    }
    copy(dense, *r);
    *r = dense;
  }
  const Layout la = layout_of(n, k, a.strides[a.ndim - 2], a.strides[a.ndim - 1]);
  const Layout lb = layout_of(k, m, b.strides[b.ndim - 2], b.strides[b.ndim - 1]);

  // k == 0: cuBLAS leaves C alone with beta = 0? It scales C by beta; make it explicit.
  if (k == 0) {
    fill(out, 0.0);
  } else {
    const std::vector<std::int64_t> sa = batch_strides(a, batch), sb = batch_strides(b, batch);
    // Inner batch dims that one stride walks for a, b and out together.
    std::int64_t inner = 1, stride_a = 0, stride_b = 0;
    int split = static_cast<int>(batch.size());
    while (split > 0) {
      const int d = split - 1;
      const std::int64_t size = batch[d];
      if (size == 1) {
        --split;
        continue;
      }
      if (inner == 1) {
        stride_a = sa[d];
        stride_b = sb[d];
      } else if (sa[d] != stride_a * inner || sb[d] != stride_b * inner) {
        break;
      }
      inner *= size;
      --split;
    }
    const std::int64_t outer = count / inner;
    DeviceScope scope(out.device);
    cublasHandle_t handle = cublas_handle(out.device);
    const bool f32 = out.dtype == DType::Float32;
    const float one_f = 1.0f, zero_f = 0.0f;
    const double one_d = 1.0, zero_d = 0.0;
    const cudaDataType_t type = f32 ? CUDA_R_32F : CUDA_R_64F;
    const cublasComputeType_t compute = f32 ? CUBLAS_COMPUTE_32F_PEDANTIC : CUBLAS_COMPUTE_64F_PEDANTIC;
    const std::size_t esize = element_size(out.dtype);
    for (std::int64_t o = 0; o < outer; ++o) {
      // Offsets of the o-th outer batch index (dims [0, split)).
      std::int64_t rest = o, off_a = 0, off_b = 0;
      for (int d = split - 1; d >= 0; --d) {
        const std::int64_t idx = rest % batch[d];
        rest /= batch[d];
        off_a += idx * sa[d];
        off_b += idx * sb[d];
      }
      const char* pa = static_cast<const char*>(a.data) + off_a * static_cast<std::int64_t>(esize);
      const char* pb = static_cast<const char*>(b.data) + off_b * static_cast<std::int64_t>(esize);
      char* pc = static_cast<char*>(out.data) + o * inner * n * m * static_cast<std::int64_t>(esize);
      // C^T (m x n, ld m) = op(B^T) (m x k) * op(A^T) (k x n).
      ZENGEN_CUDA_CHECK(cublasGemmStridedBatchedEx(
          handle, lb.op, la.op, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k),
          f32 ? static_cast<const void*>(&one_f) : static_cast<const void*>(&one_d), pb, type,
          static_cast<int>(lb.ld), stride_b, pa, type, static_cast<int>(la.ld), stride_a,
          f32 ? static_cast<const void*>(&zero_f) : static_cast<const void*>(&zero_d), pc, type,
          static_cast<int>(m), n * m, static_cast<int>(inner), compute, CUBLAS_GEMM_DEFAULT));
    }
  }
  for (auto& [data, bytes] : scratch) deallocate(data, bytes, out.device);
}

}  // namespace zengen::cuda
