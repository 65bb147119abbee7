// Moving tensors between the CPU and a CUDA device. Runs only with a GPU
// (see main.cpp).
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "backend.hpp"           // cuda/: the module's table
#include "core/cuda_module.hpp"  // src/: its loader
#include "runtime.hpp"           // cuda/: the raw runtime this program links
#include "zengen/zengen.hpp"

namespace zg = zengen;

TEST_CASE("cuda: libzengen loaded the module this program links (one runtime state)", "[cuda][device]") {
  const zg::cuda::Backend* table = zg::cuda_module::find();
  INFO("load error: " << zg::cuda_module::load_error());
  REQUIRE(table != nullptr);
  CHECK(table->allocate == &zg::cuda::allocate);
  CHECK(table->device_count() == zg::cuda::device_count());
  CHECK(zg::cuda_module::loaded_path().find("libzengen_cuda.so") != std::string::npos);
}

TEST_CASE("cuda: Device::best() is the first CUDA device", "[cuda][device]") {
  CHECK(zg::Device::cuda_built());
  CHECK(zg::Device::cuda_device_count() > 0);
  CHECK(zg::Device::best() == zg::Device::cuda(0));
}

TEST_CASE("cuda: a float32 tensor keeps its values on a round trip to the GPU", "[cuda][device]") {
  std::vector<float> values(1000);
  for (std::size_t i = 0; i < values.size(); ++i)
    values[i] = static_cast<float>(i) * 0.25f - 100.0f;  // exact in float32
  const zg::Tensor host = zg::from_vector(values, zg::Shape{10, 100});

  const zg::Tensor device = host.to(zg::Device::cuda());
  CHECK(device.device() == zg::Device::cuda(0));
  CHECK(device.dtype() == zg::DType::Float32);
  CHECK(device.shape() == host.shape());

  const zg::Tensor back = device.to(zg::Device::cpu());
  CHECK(back.device() == zg::Device::cpu());
  REQUIRE(back.shape() == host.shape());
  const std::vector<float> got = back.to_vector<float>();
  REQUIRE(got.size() == values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    INFO("element " << i);
    CHECK(got[i] == values[i]);
  }
}

TEST_CASE("cuda: the caching allocator reuses a freed block without cudaMalloc", "[cuda][allocator]") {
  zg::cuda_allocator::empty_cache();
  const auto before = zg::cuda_allocator::stats(0);
  {
    const zg::Tensor a = zg::zeros({1 << 20}, {.device = zg::Device::cuda()});  // 4 MiB
    CHECK(zg::cuda_allocator::stats(0).bytes_in_use >= before.bytes_in_use + (4u << 20));
  }
  const auto freed = zg::cuda_allocator::stats(0);
  CHECK(freed.bytes_cached >= (4u << 20));
  {
    const zg::Tensor b = zg::zeros({1 << 20}, {.device = zg::Device::cuda()});
    const auto reused = zg::cuda_allocator::stats(0);
    CHECK(reused.system_allocations == freed.system_allocations);
    CHECK(reused.cache_hits > freed.cache_hits);
  }
  zg::cuda_allocator::empty_cache();
  CHECK(zg::cuda_allocator::stats(0).bytes_cached == 0);
}

TEST_CASE("cuda: out of memory names the bytes asked and free", "[cuda][allocator]") {
  try {
    const zg::Tensor huge = zg::empty({std::int64_t{1} << 40}, {.device = zg::Device::cuda()});  // 4 TiB
    FAIL("a 4 TiB allocation succeeded");
  } catch (const zg::DeviceError& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find("out of memory allocating 4398046511104 bytes") != std::string::npos);
    CHECK(msg.find("bytes free") != std::string::npos);
  }
}

TEST_CASE("cuda: large host-to-device copies through the pinned buffers keep every byte", "[cuda][device]") {
  const zg::Tensor host = zg::arange(0, 3'000'001, 1, {.dtype = zg::DType::Float32});  // 12 MB: 3+ chunks
  const zg::Tensor back = host.to(zg::Device::cuda()).to(zg::Device::cpu());
  REQUIRE(back.to_vector<float>() == host.to_vector<float>());
  zg::synchronize(zg::Device::cuda());
}

TEST_CASE("cuda: gradcheck runs on float64 CUDA inputs; backward refuses a gradient on another device",
          "[cuda][device][autograd]") {
  const zg::Device gpu = zg::Device::cuda(0);
  const zg::TensorOptions f64{.dtype = zg::DType::Float64};
  zg::manual_seed(21);
  const zg::Tensor x = (zg::rand({3, 4}, f64) - 0.5).to(gpu).requires_grad_();
  const zg::Tensor w = (zg::rand({4, 2}, f64) - 0.5).to(gpu).requires_grad_();
  const zg::Tensor x_before = x.detach().to(zg::Device::cpu());
  const auto result = zg::autograd::gradcheck(
      [](const std::vector<zg::Tensor>& in) { return zg::sigmoid(zg::leaky_relu(zg::matmul(in[0], in[1]), 0.2)); },
      {x, w});
  INFO(result.message);
  REQUIRE(result.ok);
  // Perturbed in place on the device, and put back exactly.
  REQUIRE(x.device() == gpu);
  REQUIRE(x.detach().to(zg::Device::cpu()).to_vector<double>() == x_before.to_vector<double>());
  const zg::Tensor y = zg::matmul(x, w);
  CHECK_THROWS_AS(y.backward(zg::ones(y.shape(), f64)), zg::DeviceError);
  CHECK_THROWS_WITH(y.backward(zg::ones(y.shape(), f64)),
                    Catch::Contains("gradient is on cpu") && Catch::Contains("cuda:0"));
}

TEST_CASE("cuda: mixing devices, and ops without a CUDA kernel, are clear DeviceErrors", "[cuda][device]") {
  const zg::Tensor cpu = zg::ones({3, 4});
  const zg::Tensor gpu = cpu.to(zg::Device::cuda());
  try {
    (void)zg::add(cpu, gpu);
    FAIL("adding a CPU and a CUDA tensor succeeded");
  } catch (const zg::DeviceError& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find("add") != std::string::npos);
    CHECK(msg.find("cuda:0") != std::string::npos);
  }
  const zg::Tensor values = zg::ones({4}, {.device = zg::Device::cuda()});
  const zg::Tensor out_of_range = zg::full({2}, 4.0, {.dtype = zg::DType::Int64, .device = zg::Device::cuda()});
  CHECK_THROWS_AS(zg::index_select(values, 0, out_of_range), zg::ValueError);
  const zg::Tensor bad_labels = zg::full({3}, 4.0, {.dtype = zg::DType::Int64, .device = zg::Device::cuda()});
  CHECK_THROWS_AS(zg::cross_entropy(gpu, bad_labels), zg::ValueError);  // class 4 of 4
  // A copy_ from the CPU into a strided CUDA view broadcasts on the device.
  const zg::Tensor target = zg::zeros({4, 3}, {.device = zg::Device::cuda()});
  target.t().copy_(zg::arange(0, 4, 1).reshape({1, 4}));
  const std::vector<float> got = target.to_vector<float>();
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j) CHECK(got[static_cast<std::size_t>(i * 3 + j)] == static_cast<float>(i));
}
