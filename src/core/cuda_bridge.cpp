#include "core/cuda_bridge.hpp"

#include "zengen/core/device.hpp"
#include "zengen/core/error.hpp"

#ifdef ZENGEN_WITH_CUDA
#include "runtime.hpp"  // cuda/runtime.hpp: declarations only, no CUDA headers
#endif

namespace zengen {

#ifdef ZENGEN_WITH_CUDA
namespace cuda_bridge {
int device_count() { return cuda::device_count(); }
void* allocate(std::size_t bytes, int device) { return cuda::allocate(bytes, device); }
void deallocate(void* ptr, std::size_t bytes, int device) { cuda::deallocate(ptr, bytes, device); }
void copy(void* dst, const void* src, std::size_t bytes, CopyKind kind, int device) {
  cuda::copy(dst, src, bytes, static_cast<int>(kind), device);
}
void synchronize(int device) { cuda::synchronize(device); }
AllocatorStats allocator_stats(int device) { return cuda::allocator_stats(device); }
void empty_cache() {
  if (cuda::device_count() > 0) cuda::empty_cache();
}
}  // namespace cuda_bridge
bool Device::cuda_built() { return true; }
#else
namespace cuda_bridge {
namespace {
[[noreturn]] void no_cuda(const char* what) {
  throw DeviceError(detail::concat(what, ": this build of zengen has no CUDA backend "
                                         "(configure with ZENGEN_WITH_CUDA=ON on a machine with nvcc)"));
}
}  // namespace
int device_count() { return 0; }
void* allocate(std::size_t, int) { no_cuda("allocating CUDA memory"); }
void deallocate(void*, std::size_t, int) {}
void copy(void*, const void*, std::size_t, CopyKind, int) { no_cuda("copying to or from a CUDA device"); }
void synchronize(int) { no_cuda("synchronize"); }
AllocatorStats allocator_stats(int) { return {}; }
void empty_cache() {}
}  // namespace cuda_bridge
bool Device::cuda_built() { return false; }
#endif

int Device::cuda_device_count() { return cuda_bridge::device_count(); }
Device Device::best() { return cuda_device_count() > 0 ? Device::cuda(0) : Device::cpu(); }

void synchronize(Device device) {
  if (device.is_cpu()) return;
  ZENGEN_CHECK(device.index >= 0 && device.index < Device::cuda_device_count(), DeviceError, "synchronize(",
               device, "): ", Device::cuda_device_count(), " CUDA device(s) present");
  cuda_bridge::synchronize(device.index);
}

namespace cuda_allocator {
AllocatorStats stats(int device) {
  if (device < 0 || device >= Device::cuda_device_count()) return {};
  return cuda_bridge::allocator_stats(device);
}
void empty_cache() { cuda_bridge::empty_cache(); }
}  // namespace cuda_allocator

}  // namespace zengen
