// The caching logic behind the CUDA device allocator and the pinned host
// staging buffers, in plain C++ (no CUDA header), so the CPU tests check it
// with a fake backend.
//
// cudaMalloc and cudaFree are slow and cudaFree synchronises the device, so
// blocks are never given back to CUDA on release: they go to a free list
// keyed by their rounded size (their size class) and the next request of that
// class takes one (a "hit"). Only a miss calls the backend. When the backend
// runs out of memory, the cache is emptied and the request retried once
// before the error (naming the bytes asked and free) is raised.
//
// Reusing a block at once is safe because zengen issues all work of a device
// on one stream: whatever used the block before is ordered before whatever
// uses it next.
#pragma once

#include <algorithm>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "zengen/core/allocator.hpp"
#include "zengen/core/error.hpp"

namespace zengen::cuda {

/// Size classes: multiples of 512 bytes below 1 MiB; above, steps of 1/8 of
/// the size's power of two (at most 12.5% waste), as the CPU allocator does.
inline std::size_t block_size_class(std::size_t bytes) {
  constexpr std::size_t kSmallStep = 512, kLarge = std::size_t{1} << 20;
  if (bytes == 0) bytes = 1;
  if (bytes < kLarge) return (bytes + kSmallStep - 1) / kSmallStep * kSmallStep;
  std::size_t power = kLarge;
  while (power * 2 <= bytes) power *= 2;
  const std::size_t step = power / 8;
  return (bytes + step - 1) / step * step;
}

/// Backend: an object with
///   void* allocate(std::size_t bytes);        // nullptr when out of memory
///   void release(void* ptr);                  // never throws
///   std::size_t free_bytes();                 // for the out-of-memory message
///   std::string name();                       // "cuda:0", "pinned host"
template <typename Backend>
class BlockCache {
 public:
  explicit BlockCache(Backend backend = Backend()) : backend_(std::move(backend)) {}
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  /// A block of at least `bytes` bytes (never null; throws DeviceError when
  /// the backend is out of memory even after emptying the cache).
  void* allocate(std::size_t bytes) {
    const std::size_t size = block_size_class(bytes);
    std::unique_lock lock(mutex_);
    if (auto it = free_.find(size); it != free_.end() && !it->second.empty()) {
      void* ptr = it->second.back();
      it->second.pop_back();
      stats_.bytes_cached -= size;
      ++stats_.cache_hits;
      note_in_use(size);
      return ptr;
    }
    void* ptr = backend_.allocate(size);
    if (!ptr) {
      release_cached_locked();
      ptr = backend_.allocate(size);
    }
    if (!ptr)
      throw DeviceError(detail::concat(backend_.name(), ": out of memory allocating ", bytes, " bytes (",
                                       backend_.free_bytes(), " bytes free after emptying zengen's cache; ",
                                       stats_.bytes_in_use, " bytes in use by tensors)"));
    ++stats_.system_allocations;
    note_in_use(size);
    return ptr;
  }

  /// Returns a block from allocate(); `bytes` must be the size asked for.
  void deallocate(void* ptr, std::size_t bytes) {
    if (!ptr) return;
    const std::size_t size = block_size_class(bytes);
    std::lock_guard lock(mutex_);
    stats_.bytes_in_use -= size;
    stats_.bytes_cached += size;
    free_[size].push_back(ptr);
  }

  /// Gives every cached block back to the backend.
  void empty_cache() {
    std::lock_guard lock(mutex_);
    release_cached_locked();
  }

  AllocatorStats stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
  }

  Backend& backend() { return backend_; }

 private:
  void note_in_use(std::size_t size) {
    stats_.bytes_in_use += size;
    stats_.peak_bytes_in_use = std::max(stats_.peak_bytes_in_use, stats_.bytes_in_use);
  }
  void release_cached_locked() {
    for (auto& [size, blocks] : free_)
      for (void* ptr : blocks) backend_.release(ptr);
    free_.clear();
    stats_.bytes_cached = 0;
  }

  Backend backend_;
  mutable std::mutex mutex_;
  std::map<std::size_t, std::vector<void*>> free_;  // size class -> free blocks
  AllocatorStats stats_;
};

}  // namespace zengen::cuda
