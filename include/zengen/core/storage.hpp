// Storage: one block of memory on one device, shared by a tensor and its views.
#pragma once

#include <cstddef>
#include <memory>

#include "zengen/core/device.hpp"

namespace zengen {

/// A block of memory on one device that tensors view (shared by views; returned to the caching allocator when the last one goes).
class Storage {
 public:
  /// Allocates `nbytes` on `device` (uninitialised).
  Storage(std::size_t nbytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() { return data_; }
  const void* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  std::size_t nbytes_ = 0;
  Device device_;
};

}  // namespace zengen
