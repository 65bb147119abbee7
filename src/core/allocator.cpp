#include "zengen/core/allocator.hpp"

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>

#include "zengen/core/error.hpp"

namespace zengen::cpu_allocator {
namespace {

constexpr std::size_t kAlignment = 64;
// Blocks from this size up are cached; smaller ones go to malloc directly.
// Medium blocks are cached too: left to malloc, a training step's buffers
// (tens to hundreds of KiB, freed every step) share the heap with whatever
// the program keeps between steps, and a small long-lived allocation carved
// out of a freed buffer (a row of a loss log, say) fragments it, so the next
// step's buffers take fresh pages: dcgan_train grew by about 0.8 MB a step.
constexpr std::size_t kCacheFrom = 16 << 10;

struct Pool {
  std::mutex mutex;
  std::multimap<std::size_t, void*> free_blocks;  // rounded size -> block
  std::size_t cache_limit = std::size_t{4} << 30;
  AllocatorStats stats;
};

Pool& pool() {
  static Pool* p = new Pool;  // never destroyed: tensors may outlive statics
  return *p;
}

// Large sizes are rounded up to 1/8 of their power of two, so that a block
// can serve requests of nearly the same size with at most 12.5% waste.
std::size_t rounded(std::size_t bytes) {
  if (bytes < kCacheFrom) return (bytes + kAlignment - 1) / kAlignment * kAlignment;
  std::size_t p = kCacheFrom;
  while (p * 2 <= bytes) p *= 2;
  const std::size_t step = p / 8;
  return (bytes + step - 1) / step * step;
}

void* system_allocate(std::size_t bytes) {
  void* ptr = std::aligned_alloc(kAlignment, bytes);
  if (!ptr) {
    cpu_allocator::empty_cache();
    ptr = std::aligned_alloc(kAlignment, bytes);
  }
  ZENGEN_CHECK(ptr, Error, "cpu allocator: out of memory allocating ", bytes, " bytes");
  return ptr;
}

}  // namespace

void* allocate(std::size_t bytes) {
  const std::size_t size = rounded(bytes == 0 ? kAlignment : bytes);
  Pool& p = pool();
  if (size >= kCacheFrom) {
    std::lock_guard lock(p.mutex);
    auto it = p.free_blocks.find(size);
    if (it != p.free_blocks.end()) {
      void* ptr = it->second;
      p.free_blocks.erase(it);
      p.stats.bytes_cached -= size;
      p.stats.bytes_in_use += size;
      p.stats.peak_bytes_in_use = std::max(p.stats.peak_bytes_in_use, p.stats.bytes_in_use);
      ++p.stats.cache_hits;
      return ptr;
    }
  }
  void* ptr = system_allocate(size);
  std::lock_guard lock(p.mutex);
  ++p.stats.system_allocations;
  if (size >= kCacheFrom) ++p.stats.cache_misses;
  p.stats.bytes_in_use += size;
  p.stats.peak_bytes_in_use = std::max(p.stats.peak_bytes_in_use, p.stats.bytes_in_use);
  return ptr;
}

void deallocate(void* ptr, std::size_t bytes) {
  if (!ptr) return;
  const std::size_t size = rounded(bytes == 0 ? kAlignment : bytes);
  Pool& p = pool();
  std::lock_guard lock(p.mutex);
  p.stats.bytes_in_use -= size;
  if (size >= kCacheFrom && p.stats.bytes_cached + size <= p.cache_limit) {
    p.free_blocks.emplace(size, ptr);
    p.stats.bytes_cached += size;
    return;
  }
  std::free(ptr);
}

void empty_cache() {
  Pool& p = pool();
  std::lock_guard lock(p.mutex);
  for (auto& [size, ptr] : p.free_blocks) std::free(ptr);
  p.free_blocks.clear();
  p.stats.bytes_cached = 0;
}

void set_cache_limit(std::size_t bytes) {
  {
    std::lock_guard lock(pool().mutex);
    pool().cache_limit = bytes;
  }
  empty_cache();
}

AllocatorStats stats() {
  std::lock_guard lock(pool().mutex);
  return pool().stats;
}

}  // namespace zengen::cpu_allocator
