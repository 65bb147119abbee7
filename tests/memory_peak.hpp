// The peak resident memory of a piece of code, from /proc/self (Linux):
// what the decoders' memory tests measure.
#pragma once

#include <malloc.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "zengen/core/allocator.hpp"

namespace zengen::testing {

/// A field of /proc/self/status in KiB ("VmRSS:", "VmHWM:"), -1 if absent.
inline std::int64_t status_kib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::stoll(line.substr(std::string(field).size()));
  return -1;
}

/// Whether the peak can be reset here (/proc/self/clear_refs is writable).
inline bool can_measure_peak() { return static_cast<bool>(std::ofstream("/proc/self/clear_refs")); }

/// The peak resident memory (bytes) of f() above what was resident before.
template <typename F>
std::int64_t peak_bytes(F&& f) {
  // Large blocks from mmap, returned to the system when freed: a fixed
  // threshold turns off glibc's raising it (up to 32 MiB) after a large
  // free, which keeps freed blocks resident and would count them.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  cpu_allocator::empty_cache();
  std::ofstream("/proc/self/clear_refs") << "5";  // resets VmHWM to the current resident size
  const std::int64_t before = status_kib("VmRSS:");
  f();
  return (status_kib("VmHWM:") - before) * 1024;
}

}  // namespace zengen::testing
