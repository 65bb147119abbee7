// Device discovery, the caching allocator, streams, copies. See runtime.hpp.
#include <cuda_runtime.h>

#include <array>
#include <atomic>
#include <cstring>
#include <mutex>
#include <string>

#include "block_cache.hpp"
#include "check.cuh"
#include "runtime.hpp"
#include "stream.cuh"

namespace zengen::cuda {

int device_count() {
  int count = 0;
  // Without a GPU (or a driver) this returns an error rather than 0 devices.
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error
    return 0;
  }
  return count;
}

std::string no_device_reason() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    return std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status);
  }
  return count == 0 ? "the driver reports no CUDA device" : "";
}

namespace {

constexpr int kMaxDevices = 64;

void check_device_index(int device) {
  ZENGEN_CHECK(device >= 0 && device < kMaxDevices, DeviceError, "cuda:", device,
               ": device index out of range (zengen supports cuda:0 to cuda:", kMaxDevices - 1, ")");
}

/// cudaMalloc/cudaFree for one device; an allocation failure is nullptr so
/// BlockCache can empty itself and retry.
struct DeviceMemory {
  int device = 0;
  void* allocate(std::size_t bytes) {
    DeviceScope scope(device);
    void* ptr = nullptr;
    const cudaError_t status = cudaMalloc(&ptr, bytes);
    if (status == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      return nullptr;
    }
    ZENGEN_CUDA_CHECK(status);
    return ptr;
  }
  void release(void* ptr) {
    DeviceScope scope(device);
    cudaFree(ptr);  // a failure here has nowhere better to go
  }
  std::size_t free_bytes() {
    DeviceScope scope(device);
    std::size_t free_b = 0, total = 0;
    if (cudaMemGetInfo(&free_b, &total) != cudaSuccess) cudaGetLastError();
    return free_b;
  }
  std::string name() const { return "cuda:" + std::to_string(device); }
};

/// One pinned staging buffer: host memory the GPU can read by DMA, and the
/// event after the last copy out of it (so it is not overwritten early).
struct Staging {
  void* host = nullptr;
  cudaEvent_t done = nullptr;
};
constexpr std::size_t kStagingBytes = std::size_t{4} << 20;
constexpr std::size_t kStageFrom = std::size_t{1} << 20;

struct DeviceState {
  std::once_flag once;
  std::atomic<bool> ready{false};  // the stream and cache exist
  cudaStream_t stream = nullptr;
  BlockCache<DeviceMemory>* cache = nullptr;  // never destroyed (see stream())
  std::mutex staging_mutex;
  std::array<Staging, 2> staging;
};

std::array<DeviceState, kMaxDevices>& states() {
  static auto* all = new std::array<DeviceState, kMaxDevices>;  // never destroyed (see stream())
  return *all;
}

DeviceState& state(int device) {
  check_device_index(device);
  DeviceState& s = states()[static_cast<std::size_t>(device)];
  std::call_once(s.once, [&] {
    DeviceScope scope(device);
    ZENGEN_CUDA_CHECK(cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking));
    s.cache = new BlockCache<DeviceMemory>(DeviceMemory{device});
    s.ready = true;
  });
  return s;
}

bool initialised(int device) { return states()[static_cast<std::size_t>(device)].ready; }

}  // namespace

DeviceScope::DeviceScope(int device) {
  ZENGEN_CUDA_CHECK(cudaGetDevice(&previous_));
  if (previous_ != device) {
    ZENGEN_CUDA_CHECK(cudaSetDevice(device));
    changed_ = true;
  }
}
DeviceScope::~DeviceScope() {
  if (changed_) cudaSetDevice(previous_);
}

cudaStream_t stream(int device) { return state(device).stream; }

cudaStream_t stream_or_current(void* requested) {
  if (requested != nullptr) return static_cast<cudaStream_t>(requested);
  int device = 0;
  ZENGEN_CUDA_CHECK(cudaGetDevice(&device));
  return stream(device);
}

void* stream_handle(int device) { return stream(device); }

void* allocate(std::size_t bytes, int device) { return state(device).cache->allocate(bytes); }

void deallocate(void* ptr, std::size_t bytes, int device) {
  if (!ptr) return;
  state(device).cache->deallocate(ptr, bytes);
}

AllocatorStats allocator_stats(int device) {
  if (device_count() == 0) return {};
  return state(device).cache->stats();
}

void empty_cache() {
  const int n = device_count();
  for (int d = 0; d < n && d < kMaxDevices; ++d)
    if (initialised(d)) state(d).cache->empty_cache();  // a device never used has no cache (nor a context to make)
}

void synchronize(int device) {
  DeviceScope scope(device);
  ZENGEN_CUDA_CHECK(cudaStreamSynchronize(stream(device)));
}

namespace {
// Host to device through the two pinned buffers in turn: while chunk i is in
// flight from one buffer, chunk i + 1 is copied into the other.
void staged_host_to_device(void* dst, const void* src, std::size_t bytes, int device) {
  DeviceState& s = state(device);
  std::lock_guard lock(s.staging_mutex);
  for (Staging& st : s.staging) {
    if (!st.host) {
      ZENGEN_CUDA_CHECK(cudaHostAlloc(&st.host, kStagingBytes, cudaHostAllocDefault));
      ZENGEN_CUDA_CHECK(cudaEventCreateWithFlags(&st.done, cudaEventDisableTiming));
    }
  }
  std::size_t done = 0;
  for (std::size_t chunk = 0; done < bytes; ++chunk) {
    Staging& st = s.staging[chunk % 2];
    const std::size_t n = std::min(kStagingBytes, bytes - done);
    ZENGEN_CUDA_CHECK(cudaEventSynchronize(st.done));  // its previous copy has left the buffer
    std::memcpy(st.host, static_cast<const char*>(src) + done, n);
    ZENGEN_CUDA_CHECK(cudaMemcpyAsync(static_cast<char*>(dst) + done, st.host, n, cudaMemcpyHostToDevice, s.stream));
    ZENGEN_CUDA_CHECK(cudaEventRecord(st.done, s.stream));
    done += n;
  }
}
}  // namespace

void copy(void* dst, const void* src, std::size_t bytes, int kind, int device) {
  if (bytes == 0) return;
  DeviceScope scope(device);
  cudaStream_t st = stream(device);
  switch (kind) {
    case 0:
      if (bytes >= kStageFrom) {
        staged_host_to_device(dst, src, bytes, device);
      } else {
        // From pageable memory the call returns once the source has been
        // read, so the caller may free it at once.
        ZENGEN_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, st));
      }
      return;
    case 1:
      ZENGEN_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, st));
      ZENGEN_CUDA_CHECK(cudaStreamSynchronize(st));  // the host reads dst next
      return;
    default:
      ZENGEN_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, st));
      return;
  }
}

}  // namespace zengen::cuda
