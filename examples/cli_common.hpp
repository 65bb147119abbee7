// What the example programs (dcgan_train, vae_train, generate) share around
// their own work: the missing-data rule the tests rely on, the --device
// option, and how an error ends the program.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <zengen/zengen.hpp>

namespace zengen_examples {

/// 0 when `folder` exists. Otherwise 77 (CTest's "skipped") with a line
/// saying so when ZENGEN_SKIP_MISSING_DATA=1 (what the tests set), or an
/// IOError that says how to fetch the data.
inline int check_data_folder(const char* program, const std::string& folder, const char* fetch_hint) {
  if (std::filesystem::is_directory(folder)) return 0;
  const char* skip = std::getenv("ZENGEN_SKIP_MISSING_DATA");
  if (skip && std::string(skip) == "1") {
    std::printf("%s: no data folder %s: skipped (ZENGEN_SKIP_MISSING_DATA=1)\n", program, folder.c_str());
    return 77;
  }
  throw zengen::IOError("no data folder " + folder + " (" + fetch_hint + ")");
}

/// The --device option's value: "cpu", "cuda" (the first GPU), "cuda:N", or
/// "auto" (the first GPU when this build has CUDA and one is present, else
/// the CPU). A GPU that is not there is a DeviceError when the model moves.
inline zengen::Device parse_device(const std::string& name) {
  if (name == "auto") return zengen::Device::best();
  if (name == "cpu") return zengen::Device::cpu();
  if (name == "cuda") return zengen::Device::cuda(0);
  if (name.rfind("cuda:", 0) == 0) {
    const std::string index = name.substr(5);
    if (!index.empty() && index.size() <= 3 && index.find_first_not_of("0123456789") == std::string::npos)
      return zengen::Device::cuda(std::stoi(index));
  }
  throw zengen::ValueError("--device must be auto, cpu, cuda or cuda:N, got '" + name + "'");
}

/// The help text of --device.
inline constexpr const char* kDeviceHelp =
    "where to train: auto (the GPU when there is one), cpu, cuda or cuda:N";

/// Checks that `device` can be used: a CUDA device of this build and machine.
/// The device as the trainers' first line names it, with the ISA level of
/// the CPU kernels (which also prepare the data on a GPU run), e.g.
/// "cpu (CPU kernels: avx512)".
inline std::string device_label(const zengen::Device& device) {
  return device.str() + " (CPU kernels: " + std::string(zengen::cpu_isa_name(zengen::cpu_isa())) + ")";
}

inline void check_device(const zengen::Device& device) {
  if (device.is_cpu()) return;
  // Asking loads the CUDA backend module; the reason says why it did not load.
  if (!zengen::Device::cuda_built())
    throw zengen::DeviceError("--device " + device.str() + ": " + zengen::Device::cuda_unavailable_reason());
  const int count = zengen::Device::cuda_device_count();
  if (device.index >= count)
    throw zengen::DeviceError("--device " + device.str() + ": " + std::to_string(count) + " CUDA device(s) present" +
                              (count == 0 ? " (" + zengen::Device::cuda_unavailable_reason() + ")" : std::string()));
}

/// body()'s exit status; a zengen error is printed as "program: message"
/// on stderr (after what stdout holds) and gives 1.
template <typename Body>
int run_reporting_errors(const char* program, Body&& body) {
  try {
    return body();
  } catch (const zengen::Error& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s: %s\n", program, e.what());
    return 1;
  }
}

}  // namespace zengen_examples
