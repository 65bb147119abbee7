#include "core/cuda_bridge.hpp"

#include "backend.hpp"  // cuda/backend.hpp: the table, plain C++
#include "core/cuda_module.hpp"
#include "zengen/core/device.hpp"
#include "zengen/core/error.hpp"

namespace zengen {

namespace cuda_bridge {
// Asking for devices, memory or copies loads the module; giving memory back
// and reading or emptying the cache only act when it is loaded already (no
// CUDA memory exists otherwise), so a CPU-only program never loads it.
int device_count() {
  const cuda::Backend* b = cuda_module::find();
  return b ? b->device_count() : 0;
}
void* allocate(std::size_t bytes, int device) {
  return cuda_module::get("allocating CUDA memory").allocate(bytes, device);
}
void deallocate(void* ptr, std::size_t bytes, int device) {
  if (const cuda::Backend* b = cuda_module::if_loaded()) b->deallocate(ptr, bytes, device);
}
void copy(void* dst, const void* src, std::size_t bytes, CopyKind kind, int device) {
  cuda_module::get("copying to or from a CUDA device").copy_bytes(dst, src, bytes, static_cast<int>(kind), device);
}
void synchronize(int device) { cuda_module::get("synchronize").synchronize(device); }
AllocatorStats allocator_stats(int device) {
  const cuda::Backend* b = cuda_module::if_loaded();
  return b && device >= 0 && device < b->device_count() ? b->allocator_stats(device) : AllocatorStats{};
}
void empty_cache() {
  const cuda::Backend* b = cuda_module::if_loaded();
  if (b && b->device_count() > 0) b->empty_cache();
}
std::string no_device_reason() {
  const cuda::Backend* b = cuda_module::find();
  if (!b) return "no CUDA backend: " + cuda_module::load_error();
  return b->device_count() > 0 ? std::string() : b->no_device_reason();
}
}  // namespace cuda_bridge

bool Device::cuda_built() { return cuda_module::find() != nullptr; }
int Device::cuda_device_count() { return cuda_bridge::device_count(); }
std::string Device::cuda_unavailable_reason() { return cuda_bridge::no_device_reason(); }
Device Device::best() { return cuda_device_count() > 0 ? Device::cuda(0) : Device::cpu(); }

void synchronize(Device device) {
  if (device.is_cpu()) return;
  const int count = Device::cuda_device_count();
  ZENGEN_CHECK(device.index >= 0 && device.index < count, DeviceError, "synchronize(", device, "): ", count,
               " CUDA device(s) present (", cuda_bridge::no_device_reason(), ")");
  cuda_bridge::synchronize(device.index);
}

namespace cuda_allocator {
AllocatorStats stats(int device) { return cuda_bridge::allocator_stats(device); }
void empty_cache() { cuda_bridge::empty_cache(); }
}  // namespace cuda_allocator

}  // namespace zengen
