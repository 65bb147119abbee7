// Where a tensor's memory lives: the CPU or one CUDA device.
#pragma once

#include <ostream>
#include <string>

namespace zengen {

enum class DeviceType : unsigned char { CPU, CUDA };

/// Where a tensor's data lives: the CPU, or CUDA device `index`.
struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  static constexpr Device cpu() { return {DeviceType::CPU, 0}; }
  static constexpr Device cuda(int index = 0) { return {DeviceType::CUDA, index}; }
  /// The first CUDA device when the CUDA backend loads and a GPU is
  /// present, else the CPU (never an error).
  static Device best();
  /// Whether the CUDA backend module (libzengen_cuda.so, loaded on the first
  /// CUDA request: docs/cuda.md) is there and loads. A zengen built without
  /// CUDA has none.
  static bool cuda_built();
  /// Number of usable CUDA devices (0 without the CUDA backend or without a
  /// GPU). Loads the CUDA backend on the first call.
  static int cuda_device_count();
  /// Why cuda_device_count() is 0: why the CUDA backend did not load, or the
  /// CUDA runtime's answer (no driver, no device); "" when a device is there.
  static std::string cuda_unavailable_reason();

  constexpr bool is_cpu() const { return type == DeviceType::CPU; }
  constexpr bool is_cuda() const { return type == DeviceType::CUDA; }
  constexpr bool operator==(const Device&) const = default;
  std::string str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }
};

/// Waits until all work zengen issued on `device` has finished (a no-op for
/// the CPU). Ops never need it: copies to the host wait for their data.
/// Useful before timing on the host.
void synchronize(Device device);

inline std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }

}  // namespace zengen
