// Moving tensors between the CPU and a CUDA device. Runs only with a GPU
// (see main.cpp).
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "zengen/zengen.hpp"

namespace zg = zengen;

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
