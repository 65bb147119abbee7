// The CUDA caching allocator's logic (cuda/block_cache.hpp), checked on the
// CPU with a fake backend that counts its calls and can run out of memory.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>
#include <string>

#include "block_cache.hpp"  // cuda/: plain C++, no CUDA header
#include "zengen/core/allocator.hpp"
#include "zengen/core/device.hpp"

namespace zc = zengen::cuda;

namespace {
struct FakeDevice {
  explicit FakeDevice(std::size_t bytes = 1 << 20) : capacity(bytes) {}
  std::size_t capacity;  // bytes the fake device holds
  std::size_t used = 0;
  int allocations = 0, releases = 0;
  std::map<void*, std::size_t> live;  // block -> size
  std::size_t size_of_last = 0;
  void* allocate(std::size_t bytes) {
    if (used + bytes > capacity) return nullptr;
    used += bytes;
    ++allocations;
    size_of_last = bytes;
    void* p = std::malloc(bytes);
    live[p] = bytes;
    return p;
  }
  void release(void* p) {
    ++releases;
    used -= live.at(p);
    live.erase(p);
    std::free(p);
  }
  std::size_t free_bytes() { return capacity - used; }
  std::string name() const { return "fake:0"; }
};
}  // namespace

TEST_CASE("block cache: size classes round up by 512 bytes, then by 1/8 of the power of two", "[cuda][allocator]") {
  CHECK(zc::block_size_class(0) == 512);
  CHECK(zc::block_size_class(1) == 512);
  CHECK(zc::block_size_class(512) == 512);
  CHECK(zc::block_size_class(513) == 1024);
  CHECK(zc::block_size_class((1 << 20) - 1) == (1 << 20));
  CHECK(zc::block_size_class(1 << 20) == (1 << 20));
  CHECK(zc::block_size_class((1 << 20) + 1) == (1 << 20) + (1 << 17));
  CHECK(zc::block_size_class(3'000'000) == 3'145'728);  // 2 MiB + 4 * 256 KiB
  for (std::size_t b : {7u, 4097u, 1'000'000u, 5'000'001u, 123'456'789u}) {
    const std::size_t c = zc::block_size_class(b);
    CHECK(c >= b);
    CHECK(static_cast<double>(c) <= static_cast<double>(b) * 1.125 + 512);
  }
}

TEST_CASE("block cache: a released block is reused for the same size class without a backend call",
          "[cuda][allocator]") {
  zc::BlockCache<FakeDevice> cache;
  void* a = cache.allocate(1000);
  CHECK(cache.backend().allocations == 1);
  CHECK(cache.backend().size_of_last == 1024);
  cache.deallocate(a, 1000);
  auto s = cache.stats();
  CHECK(s.bytes_in_use == 0);
  CHECK(s.bytes_cached == 1024);

  void* b = cache.allocate(1024);  // same class: a hit
  CHECK(b == a);
  CHECK(cache.backend().allocations == 1);
  s = cache.stats();
  CHECK(s.cache_hits == 1);
  CHECK(s.bytes_in_use == 1024);
  CHECK(s.bytes_cached == 0);

  void* c = cache.allocate(1024);  // the cached one is taken: a miss
  CHECK(c != b);
  CHECK(cache.backend().allocations == 2);
  CHECK(cache.stats().peak_bytes_in_use == 2048);
  CHECK(cache.stats().system_allocations == 2);
  cache.deallocate(b, 1024);
  cache.deallocate(c, 1024);

  void* d = cache.allocate(4096);  // another class: not served by the 1024-byte blocks
  CHECK(d != b);
  CHECK(d != c);
  CHECK(cache.backend().allocations == 3);
  cache.deallocate(d, 4096);

  cache.empty_cache();
  CHECK(cache.backend().releases == 3);
  CHECK(cache.backend().live.empty());
  CHECK(cache.stats().bytes_cached == 0);
}

TEST_CASE("block cache: when the backend is full the cache is emptied and the request retried", "[cuda][allocator]") {
  zc::BlockCache<FakeDevice> cache(FakeDevice(8192));
  void* a = cache.allocate(4096);
  void* b = cache.allocate(4096);
  cache.deallocate(a, 4096);
  cache.deallocate(b, 4096);
  // The device is full of cached blocks; 6000 bytes (class 6144) fits only
  // after they are given back.
  void* c = cache.allocate(6000);
  REQUIRE(c != nullptr);
  CHECK(cache.backend().releases == 2);
  CHECK(cache.backend().allocations == 3);
  CHECK(cache.stats().bytes_cached == 0);
  CHECK(cache.stats().bytes_in_use == 6144);
  cache.deallocate(c, 6000);
}

TEST_CASE("block cache: out of memory names the device, the bytes asked and free", "[cuda][allocator]") {
  zc::BlockCache<FakeDevice> cache(FakeDevice(4096));
  void* a = cache.allocate(4000);
  try {
    cache.allocate(100000);
    FAIL("expected a DeviceError");
  } catch (const zengen::DeviceError& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find("fake:0") != std::string::npos);
    CHECK(msg.find("out of memory allocating 100000 bytes") != std::string::npos);
    CHECK(msg.find("0 bytes free") != std::string::npos);
    CHECK(msg.find("4096 bytes in use") != std::string::npos);
  }
  cache.deallocate(a, 4000);
  cache.empty_cache();
}

TEST_CASE("cuda allocator: without a GPU, stats are zero and empty_cache is harmless", "[cuda][allocator]") {
  if (zengen::Device::cuda_device_count() > 0) return;  // covered by tests/cuda on a GPU
  const auto s = zengen::cuda_allocator::stats(0);
  CHECK(s.bytes_in_use == 0);
  CHECK(s.bytes_cached == 0);
  zengen::cuda_allocator::empty_cache();
  zengen::synchronize(zengen::Device::cpu());
  CHECK_THROWS_AS(zengen::synchronize(zengen::Device::cuda(0)), zengen::DeviceError);
}
