#include "zengen/core/storage.hpp"

#include "zengen/core/allocator.hpp"
#include "zengen/core/error.hpp"
#include "core/cuda_bridge.hpp"

namespace zengen {

Storage::Storage(std::size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  if (device.is_cpu()) {
    data_ = cpu_allocator::allocate(nbytes);
  } else {
    data_ = cuda_bridge::allocate(nbytes, device.index);
  }
}

Storage::~Storage() {
  if (device_.is_cpu())
    cpu_allocator::deallocate(data_, nbytes_);
  else
    cuda_bridge::deallocate(data_, nbytes_, device_.index);
}

}  // namespace zengen
