// CPU memory: 64-byte aligned blocks from a caching allocator (and, below,
// the CUDA backend's device allocator).
//
// Large blocks (training activations, gradients) are kept after release and
// handed out again for the same rounded size, so a steady-state training step
// does not pay for fresh pages from the OS every time. Small blocks go
// straight to the system allocator, which already caches them well.
#pragma once

#include <cstddef>

namespace zengen {

/// What the CPU caching allocator holds: bytes handed out, bytes kept for reuse, and its counters.
struct AllocatorStats {
  std::size_t bytes_in_use = 0;     // handed out and not yet released
  std::size_t bytes_cached = 0;     // released, kept for reuse
  std::size_t peak_bytes_in_use = 0;
  std::size_t cache_hits = 0;
  std::size_t system_allocations = 0;  // every block taken from the system, small ones included
  std::size_t cache_misses = 0;        // blocks of a cached size (>= 16 KiB) the cache could not serve
};

namespace cpu_allocator {
/// Returns at least `bytes` bytes aligned to 64 bytes (never null; throws
/// zengen::Error when the system is out of memory).
void* allocate(std::size_t bytes);
/// Gives back a block from allocate(); `bytes` must be the size asked for.
void deallocate(void* ptr, std::size_t bytes);
/// Frees every cached block.
void empty_cache();
/// Most bytes kept in the cache; beyond it, released blocks are freed.
void set_cache_limit(std::size_t bytes);
AllocatorStats stats();
}  // namespace cpu_allocator

/// CUDA device memory: the caching allocator of the CUDA backend
/// (cudaMalloc only on a miss, released blocks kept by size class; see
/// docs/cuda.md). Without CUDA, stats are zero and empty_cache does nothing.
namespace cuda_allocator {
/// Bytes in use and cached on device `device` (zero when absent).
AllocatorStats stats(int device = 0);
/// Gives every cached block of every device back to CUDA (cudaFree).
void empty_cache();
}  // namespace cuda_allocator

}  // namespace zengen
