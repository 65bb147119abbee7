// safetensors interop, run by CTest: zengen writes a file that an
// independent Python reader (tests/io/safetensors_interop.py, json + struct
// + numpy only) checks, and loads a file that the script wrote.
//
//   zengen_safetensors_interop cpp-to-python   zengen writes, Python reads
//   zengen_safetensors_interop python-to-cpp   Python writes, zengen reads
//
// Exit status: 0 ok, 1 mismatch, 77 (skipped) without /usr/bin/python3 or
// numpy. Both sides agree on the tensors: see common() in the script.
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "zengen/zengen.hpp"

#ifndef ZENGEN_INTEROP_SCRIPT
#error "ZENGEN_INTEROP_SCRIPT must name tests/io/safetensors_interop.py"
#endif

namespace zg = zengen;

namespace {

constexpr const char* kPython = "/usr/bin/python3";
constexpr int kSkip = 77;

int failures = 0;
void check(bool ok, const std::string& what) {
  if (!ok) {
    std::cout << "FAIL: " << what << "\n";
    ++failures;
  }
}

// Runs the script in `mode` on `file`; returns its exit status.
int run_script(const std::string& mode, const std::string& file) {
  const std::string command = std::string(kPython) + " '" + ZENGEN_INTEROP_SCRIPT + "' " + mode + " '" + file + "'";
  std::cout << "$ " << command << std::endl;
  const int status = std::system(command.c_str());
  if (status == -1 || !WIFEXITED(status)) return 1;
  return WEXITSTATUS(status);
}

// The tensors both sides agree on (common() in the script).
std::map<std::string, zg::Tensor> common() {
  std::vector<float> f32;
  for (int i = 0; i < 24; ++i) f32.push_back(static_cast<float>(i * 0.5 - 3));
  std::vector<double> f64;
  for (int i = 0; i < 5; ++i) f64.push_back(i / 3.0);
  std::vector<std::int64_t> i64;
  for (std::int64_t i = 0; i < 6; ++i) i64.push_back((i - 3) * 1'000'000'000'000);
  return {
      {"f32", zg::from_vector(f32, {2, 3, 4})},
      {"f64", zg::from_vector(f64, {5})},
      {"i64", zg::from_vector(i64, {3, 2})},
      {"mask", zg::tensor({1, 0, 0, 1, 0, 0, 1}) > 0.5},
      {"scalar", zg::scalar_tensor(42.5)},
      {"empty", zg::zeros({0, 4})},
  };
}

void check_tensor(const zg::io::SafetensorsFile& file, const std::string& name, zg::DType dtype,
                  const zg::Shape& shape, const std::vector<double>& values) {
  if (!file.contains(name)) {
    check(false, "missing tensor " + name);
    return;
  }
  const zg::Tensor& t = file.at(name);
  check(t.dtype() == dtype, name + ": dtype " + std::string(zg::dtype_name(t.dtype())));
  check(t.shape() == shape, name + ": shape " + t.shape().str() + ", expected " + shape.str());
  if (t.shape() == shape) check(t.to_vector<double>() == values, name + ": values " + t.str());
}

int cpp_to_python(const std::string& dir) {
  const std::string path = dir + "/from-zengen.safetensors";
  zg::io::save_safetensors(path, common(), {{"format", "pt"}, {"producer", "zengen"}});
  return run_script("read", path);
}

int python_to_cpp(const std::string& dir) {
  const std::string path = dir + "/from-numpy.safetensors";
  if (const int status = run_script("write", path); status != 0) return status;
  const auto file = zg::io::load_safetensors(path);
  check(file.metadata == std::map<std::string, std::string>{{"producer", "numpy"},
                                                            {"note", "written by safetensors_interop.py"}},
        "metadata");
  // The script lays the data out in reverse name order.
  check(file.names() == std::vector<std::string>{"u8", "u64", "u32", "u16", "scalar", "mask", "i8", "i64", "i32",
                                                 "i16", "f64", "f32", "f16", "empty", "bf16"},
        "tensor order");
  for (const auto& [name, t] : common()) check_tensor(file, name, t.dtype(), t.shape(), t.to_vector<double>());
  using zg::DType;
  check_tensor(file, "f16", DType::Float32, {4}, {0.0, 1.5, -2.0, 65504.0});
  check_tensor(file, "bf16", DType::Float32, {3}, {1.0, -0.5, 3.140625});
  check_tensor(file, "i8", DType::Int64, {4}, {-128, -1, 0, 127});
  check_tensor(file, "u8", DType::Int64, {1, 3}, {0, 128, 255});
  check_tensor(file, "i16", DType::Int64, {3}, {-32768, 7, 32767});
  check_tensor(file, "u16", DType::Int64, {2}, {0, 65535});
  check_tensor(file, "i32", DType::Int64, {3}, {-2147483648.0, 5, 2147483647.0});
  check_tensor(file, "u32", DType::Int64, {2}, {0, 4294967295.0});
  if (file.contains("u64"))
    check(file.at("u64").to_vector<std::int64_t>() == std::vector<std::int64_t>{0, INT64_MAX}, "u64 values");
  if (failures == 0) std::cout << "ok: zengen loaded " << file.tensors.size() << " tensors written by numpy\n";
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc == 2 ? argv[1] : "";
  if (mode != "cpp-to-python" && mode != "python-to-cpp") {
    std::cerr << "usage: " << argv[0] << " cpp-to-python|python-to-cpp\n";
    return 2;
  }
  if (::access(kPython, X_OK) != 0) {
    std::cout << "SKIP: " << kPython << " is not installed (apt-get install python3 python3-numpy)\n";
    return kSkip;
  }
  std::string dir = (std::filesystem::temp_directory_path() / "zengen-interop-XXXXXX").string();
  if (!::mkdtemp(dir.data())) {
    std::perror("mkdtemp");
    return 1;
  }
  int status = 1;
  try {
    status = mode == "cpp-to-python" ? cpp_to_python(dir) : python_to_cpp(dir);
  } catch (const std::exception& e) {
    std::cout << "FAIL: " << e.what() << "\n";
    status = 1;
  }
  std::filesystem::remove_all(dir);
  return status;
}
