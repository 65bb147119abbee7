// The members of Tensor that move or compute data: element access, copies
// and conversions (clone() and to() record their gradient here), fills and
// samplers, and the members forwarding to the ops' free functions. They are
// declared with the class (include/zengen/core/tensor.hpp) and defined in
// the ops layer, which knows the kernels and autograd; core does not.
#include <cmath>
#include <cstring>

#include "core/cuda_bridge.hpp"
#include "cpu/random.hpp"
#include "ops/kernels.hpp"
#include "zengen/autograd/node.hpp"
#include "zengen/core/generator.hpp"
#include "zengen/core/tensor.hpp"
#include "zengen/ops/ops.hpp"

namespace zengen {

// ---- element access ----

namespace {
// Element offset of a full index, checking bounds.
std::int64_t element_offset(const Tensor& t, std::initializer_list<std::int64_t> index) {
  ZENGEN_CHECK(static_cast<std::int64_t>(index.size()) == t.dim(), ValueError, "at: got ", index.size(),
               " indices for a tensor of shape ", t.shape());
  std::int64_t off = 0, d = 0;
  for (std::int64_t i : index) {
    const std::int64_t n = t.shape()[d];
    ZENGEN_CHECK(i >= -n && i < n, ValueError, "at: index ", i, " is out of range for dim ", d, " of size ", n,
                 " (shape ", t.shape(), ")");
    off += (i < 0 ? i + n : i) * t.strides()[d];
    ++d;
  }
  return off;
}

template <typename T>
T read_element(const Tensor& t, std::int64_t element_offset) {
  return dispatch_all(t.dtype(), [&]<typename S>() -> T {
    return static_cast<T>(static_cast<const S*>(t.data_ptr())[element_offset]);
  });
}
}  // namespace

template <typename T>
T Tensor::item() const {
  ZENGEN_CHECK(numel() == 1, ValueError, "item: expected a tensor with one element, got shape ", shape());
  if (!device().is_cpu()) return to(Device::cpu()).item<T>();
  return read_element<T>(*this, 0);
}

template <typename T>
T Tensor::at(std::initializer_list<std::int64_t> index) const {
  if (!device().is_cpu()) return to(Device::cpu()).at<T>(index);
  return read_element<T>(*this, element_offset(*this, index));
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  if (!device().is_cpu()) return to(Device::cpu()).to_vector<T>();
  Tensor c = to(dtype_of<T>).contiguous();
  const T* p = static_cast<const T*>(c.data_ptr());
  return std::vector<T>(p, p + c.numel());
}

#define ZENGEN_INSTANTIATE_ACCESS(T)                                          \
  template T Tensor::item<T>() const;                                         \
  template T Tensor::at<T>(std::initializer_list<std::int64_t>) const;        \
  template std::vector<T> Tensor::to_vector<T>() const;
ZENGEN_INSTANTIATE_ACCESS(float)
ZENGEN_INSTANTIATE_ACCESS(double)
ZENGEN_INSTANTIATE_ACCESS(std::int64_t)
#undef ZENGEN_INSTANTIATE_ACCESS
template bool Tensor::item<bool>() const;
template bool Tensor::at<bool>(std::initializer_list<std::int64_t>) const;

// ---- copies and conversions ----

namespace {
// A contiguous copy of src with the given dtype and device (not recorded).
Tensor copy_to(const Tensor& src, DType dtype, Device device) {
  Tensor out = Tensor::empty(src.shape(), {.dtype = dtype, .device = device});
  if (src.device() == device) {  // one device: the copy kernel converts and compacts
    kernels::copy(out, src);
    return out;
  }
  // Across devices the bytes move as they are: convert and compact first on
  // the source's side.
  Tensor source = src;
  if (source.dtype() != dtype || !source.is_contiguous()) source = copy_to(source, dtype, source.device());
  using cuda_bridge::CopyKind;
  const CopyKind kind = source.device().is_cpu() ? CopyKind::HostToDevice
                        : device.is_cpu()         ? CopyKind::DeviceToHost
                                                  : CopyKind::DeviceToDevice;
  const int index = device.is_cuda() ? device.index : source.device().index;
  // Between two GPUs the copy goes on the destination's stream, which is not
  // ordered with the source's: wait for the source's work first, and for the
  // copy before `source` (maybe a temporary, back to its device's cache on
  // return) can be reused. Rare enough that two host waits cost nothing.
  const bool across_gpus = kind == CopyKind::DeviceToDevice;
  if (across_gpus) cuda_bridge::synchronize(source.device().index);
  cuda_bridge::copy(out.data_ptr(), source.data_ptr(), out.nbytes(), kind, index);
  if (across_gpus) cuda_bridge::synchronize(index);
  return out;
}
}  // namespace

Tensor Tensor::clone() const {
  Tensor out = copy_to(*this, dtype(), device());
  return autograd::record("clone", out, {this}, [](const Tensor& g) { return std::vector<Tensor>{g}; });
}

Tensor Tensor::contiguous() const { return zengen::contiguous(*this); }

Tensor Tensor::to(Device target) const {
  if (target == device()) return *this;
  if (target.is_cuda()) {
    // The first CUDA request of a program loads the CUDA backend module.
    const int count = Device::cuda_device_count();
    ZENGEN_CHECK(Device::cuda_built(), DeviceError, "to(", target, "): ", Device::cuda_unavailable_reason());
    ZENGEN_CHECK(target.index >= 0 && target.index < count, DeviceError, "to(", target, "): ",
                 count == 0 ? detail::concat("no CUDA device is present (", Device::cuda_unavailable_reason(), ")")
                            : detail::concat("only ", count, " CUDA device(s) are present"));
  }
  Tensor out = copy_to(*this, dtype(), target);
  const Device source = device();
  return autograd::record("to_device", out, {this},
                          [source](const Tensor& g) { return std::vector<Tensor>{g.to(source)}; });
}

Tensor Tensor::to(DType target) const {
  if (target == dtype()) return *this;
  Tensor out = copy_to(*this, target, device());
  if (!is_floating(target) || !is_floating(dtype())) return out;  // integer results carry no gradient
  const DType source = dtype();
  return autograd::record("to_dtype", out, {this},
                          [source](const Tensor& g) { return std::vector<Tensor>{g.to(source)}; });
}

const Tensor& Tensor::copy_(const Tensor& src) const {
  ZENGEN_CHECK(src.defined(), ValueError, "copy_: source is undefined");
  broadcast_shapes(shape(), src.shape(), "copy_");
  ZENGEN_CHECK(broadcast_shapes(shape(), src.shape(), "copy_") == shape(), ShapeError, "copy_: source of shape ",
               src.shape(), " cannot be broadcast to ", shape());
  // From another device, the source is first moved here as it is (same
  // shape and dtype), then the kernel of this device broadcasts and converts.
  const Tensor local = src.device() == device() ? src : copy_to(src, src.dtype(), device());
  kernels::copy(*this, local);
  return *this;
}

const Tensor& Tensor::fill_(double value) const {
  kernels::fill(*this, value);
  return *this;
}

namespace {
// Samples into a contiguous buffer, then copies into t if t is strided.
template <typename Sampler>
void sample_into(const Tensor& t, const char* op, Sampler sampler) {
  Tensor target = t.is_contiguous() ? t : Tensor::empty(t.shape(), {.dtype = t.dtype(), .device = t.device()});
  Generator& gen = default_generator();
  const std::uint64_t block = gen.advance(cpu::random_blocks(t.numel(), t.dtype()));
  sampler(target, gen.state().seed, block);
  if (!target.is_same(t)) t.copy_(target);
}
}  // namespace

const Tensor& Tensor::normal_(double mean, double std) const {
  ZENGEN_CHECK(std >= 0, ValueError, "normal_: std must be >= 0, got ", std);
  sample_into(*this, "normal_", [&](const Tensor& out, std::uint64_t seed, std::uint64_t block) {
    kernels::fill_normal(out, seed, block, mean, std);
  });
  return *this;
}

const Tensor& Tensor::uniform_(double low, double high) const {
  ZENGEN_CHECK(low <= high, ValueError, "uniform_: low (", low, ") must not exceed high (", high, ")");
  sample_into(*this, "uniform_", [&](const Tensor& out, std::uint64_t seed, std::uint64_t block) {
    kernels::fill_uniform(out, seed, block, low, high);
  });
  return *this;
}

// ---- members forwarding to ops ----

Tensor Tensor::reshape(const Shape& s) const { return zengen::reshape(*this, s); }
Tensor Tensor::view(const Shape& s) const { return zengen::view(*this, s); }
Tensor Tensor::flatten(std::int64_t a, std::int64_t b) const { return zengen::flatten(*this, a, b); }
Tensor Tensor::permute(const std::vector<std::int64_t>& d) const { return zengen::permute(*this, d); }
Tensor Tensor::transpose(std::int64_t a, std::int64_t b) const { return zengen::transpose(*this, a, b); }
Tensor Tensor::unsqueeze(std::int64_t d) const { return zengen::unsqueeze(*this, d); }
Tensor Tensor::squeeze(std::optional<std::int64_t> d) const { return zengen::squeeze(*this, d); }
Tensor Tensor::expand(const Shape& s) const { return zengen::expand(*this, s); }
Tensor Tensor::narrow(std::int64_t d, std::int64_t s, std::int64_t l) const { return zengen::narrow(*this, d, s, l); }
Tensor Tensor::select(std::int64_t d, std::int64_t i) const { return zengen::select(*this, d, i); }
Tensor Tensor::sum() const { return zengen::sum(*this); }
Tensor Tensor::sum(const std::vector<std::int64_t>& d, bool k) const { return zengen::sum(*this, d, k); }
Tensor Tensor::mean() const { return zengen::mean(*this); }
Tensor Tensor::mean(const std::vector<std::int64_t>& d, bool k) const { return zengen::mean(*this, d, k); }
Tensor Tensor::pow(double e) const { return zengen::pow(*this, e); }
Tensor Tensor::exp() const { return zengen::exp(*this); }
Tensor Tensor::log() const { return zengen::log(*this); }
Tensor Tensor::abs() const { return zengen::abs(*this); }
Tensor Tensor::sqrt() const { return zengen::sqrt(*this); }

}  // namespace zengen
