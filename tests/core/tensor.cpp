// The tensor core: factories, geometry, element access, conversions,
// printing, the generator, the allocator, devices, errors.
#include <cstdlib>
#include <sstream>

#include "helpers.hpp"

using namespace zengen;
using zengen::testing::require_values;

TEST_CASE("tensor: factories give the right shapes and values", "[core]") {
  require_values(zeros({2, 3}), {2, 3}, std::vector<double>(6, 0.0));
  require_values(ones({2}), {2}, {1, 1});
  require_values(full({2, 2}, 7.5), {2, 2}, {7.5, 7.5, 7.5, 7.5});
  require_values(arange(5), {5}, {0, 1, 2, 3, 4});
  require_values(arange(1, 2, 0.25), {4}, {1, 1.25, 1.5, 1.75});
  require_values(arange(3, 0, -1), {3}, {3, 2, 1});
  require_values(linspace(0, 1, 5), {5}, {0, 0.25, 0.5, 0.75, 1});
  REQUIRE(linspace(-1, 1, 7, {.dtype = DType::Float64}).at({6}) == 1.0);
  require_values(tensor({1, 2, 3, 4}, {2, 2}), {2, 2}, {1, 2, 3, 4});
  require_values(from_vector(std::vector<double>{1, 2, 3}, {3}), {3}, {1, 2, 3});
  REQUIRE(from_vector(std::vector<double>{1, 2}, {2}).dtype() == DType::Float64);
  REQUIRE(from_vector(std::vector<std::int64_t>{1, 2}, {2}).dtype() == DType::Int64);
  REQUIRE(scalar_tensor(3.0).dim() == 0);
  REQUIRE(scalar_tensor(3.0).item() == 3.0);
  REQUIRE(zeros({0, 3}).numel() == 0);
  const Tensor x = full({2}, 1.0, {.dtype = DType::Float64, .requires_grad = true});
  REQUIRE(x.requires_grad());
  REQUIRE(zeros_like(x).dtype() == DType::Float64);
  REQUIRE_FALSE(ones_like(x).requires_grad());
}

TEST_CASE("tensor: geometry, contiguity and alignment", "[core]") {
  const Tensor x = zeros({2, 3, 4});
  REQUIRE(x.dim() == 3);
  REQUIRE(x.numel() == 24);
  REQUIRE(x.strides() == Shape{12, 4, 1});
  REQUIRE(x.size(-1) == 4);
  REQUIRE(x.is_contiguous());
  REQUIRE_FALSE(x.transpose(0, 1).is_contiguous());
  REQUIRE(reinterpret_cast<std::uintptr_t>(x.data_ptr()) % 64 == 0);
  REQUIRE_THROWS_AS(x.size(3), ValueError);
  REQUIRE_THROWS_AS(zeros({2, -1}), ShapeError);
  REQUIRE_THROWS_AS(x.data<double>(), DTypeError);
}

TEST_CASE("tensor: element access and conversion", "[core]") {
  const Tensor x = tensor({1.5, -2.25, 3, 4}, {2, 2});
  REQUIRE(x.at({1, 0}) == 3.0);
  REQUIRE(x.at({-1, -1}) == 4.0);
  REQUIRE(x.at<std::int64_t>({0, 1}) == -2);
  REQUIRE_THROWS_AS(x.at({2, 0}), ValueError);
  REQUIRE_THROWS_AS(x.at({0}), ValueError);
  REQUIRE_THROWS_AS(x.item(), ValueError);
  REQUIRE(x.to(DType::Float64).dtype() == DType::Float64);
  require_values(x.to(DType::Int64), {2, 2}, {1, -2, 3, 4});
  require_values(x.to(DType::Bool), {2, 2}, {1, 1, 1, 1});
  const Tensor c = x.clone();
  REQUIRE(c.storage() != x.storage());
  Tensor y = zeros({2, 2});
  y.copy_(tensor({1, 2}));  // broadcast row
  require_values(y, {2, 2}, {1, 2, 1, 2});
  REQUIRE_THROWS_AS(y.copy_(zeros({3})), ShapeError);
  REQUIRE(x.to(Device::cpu()).is_same(x));
}

TEST_CASE("tensor: printing is compact and PyTorch-like", "[core]") {
  REQUIRE(tensor({1, 2, 3}).str() == "tensor([1., 2., 3.])");
  REQUIRE(tensor({1.5, 2, 3, 4}, {2, 2}).str() == "tensor([[1.5000, 2.0000],\n        [3.0000, 4.0000]])");
  REQUIRE(scalar_tensor(2.5, {.dtype = DType::Float64}).str() == "tensor(2.5000, dtype=float64)");
  REQUIRE(ones({2}).requires_grad_().str() == "tensor([1., 1.], requires_grad=true)");
  REQUIRE((ones({1}).requires_grad_() * 2.0).str() == "tensor([2.], grad_fn=<mul>)");
  REQUIRE(tensor({1, 2}).to(DType::Int64).str() == "tensor([1, 2])");
  REQUIRE((tensor({1, 2}) > 1.5).str() == "tensor([false,  true], dtype=bool)");
  REQUIRE(tensor({1e-6, 1.0}).str() == "tensor([1.0000e-06, 1.0000e+00])");
  const std::string big = zeros({100, 100}).str();
  REQUIRE_THAT(big, Catch::Contains("..."));
  REQUIRE(big.size() < 400);
  std::ostringstream os;
  os << tensor({1.0});
  REQUIRE(os.str() == "tensor([1.])");
  REQUIRE(Tensor().str() == "tensor(undefined)");
}

TEST_CASE("random: the same seed gives the same numbers", "[core][random]") {
  manual_seed(123);
  const auto a = randn({1000}).to_vector<float>();
  const auto u = rand({10}).to_vector<float>();
  manual_seed(123);
  REQUIRE(randn({1000}).to_vector<float>() == a);
  REQUIRE(rand({10}).to_vector<float>() == u);
  manual_seed(124);
  REQUIRE(randn({1000}).to_vector<float>() != a);
  // generator state round-trips
  const GeneratorState s = default_generator().state();
  const auto next = randn({7}).to_vector<float>();
  default_generator().set_state(s);
  REQUIRE(randn({7}).to_vector<float>() == next);
}

TEST_CASE("random: Philox4x32-10 matches the reference known-answer test", "[core][random]") {
  // Random123's known-answer vector for philox4x32_10 with counter and key
  // all ones (0xffffffff): 408f276d 41c83b0e a20bc7c6 6d5451fd.
  std::uint32_t counter[4] = {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu};
  std::uint32_t out[4];
  philox4x32_10(counter, 0xffffffffu, 0xffffffffu, out);
  REQUIRE(out[0] == 0x408f276du);
  REQUIRE(out[1] == 0x41c83b0eu);
  REQUIRE(out[2] == 0xa20bc7c6u);
  REQUIRE(out[3] == 0x6d5451fdu);
  std::uint32_t zero[4] = {0, 0, 0, 0};
  philox4x32_10(zero, 0, 0, out);
  REQUIRE(out[0] == 0x6627e8d5u);
  REQUIRE(out[1] == 0xe169c58du);
  REQUIRE(out[2] == 0xbc57ac4cu);
  REQUIRE(out[3] == 0x9b00dbd8u);
}

TEST_CASE("random: bernoulli and randint are the uniform words a plain loop reads", "[core][random]") {
  const std::int64_t n = 1001;
  for (DType dt : {DType::Float32, DType::Float64}) {
    INFO(dt);
    manual_seed(21);
    const auto u = rand({n}, {.dtype = dt}).to_vector<double>();
    manual_seed(21);
    const auto b = bernoulli({n}, 0.3, {.dtype = dt}).to_vector<double>();
    manual_seed(21);
    std::vector<double> probs(n);
    for (std::int64_t i = 0; i < n; ++i) probs[i] = static_cast<double>(i) / static_cast<double>(n - 1);
    const auto bt = bernoulli(from_vector(probs, {n}, {.dtype = dt})).to_vector<double>();
    for (std::int64_t i = 0; i < n; ++i) {
      const double p = dt == DType::Float32 ? static_cast<float>(probs[i]) : probs[i];
      const double threshold = dt == DType::Float32 ? static_cast<float>(0.3) : 0.3;
      REQUIRE(b[i] == (u[i] < threshold ? 1.0 : 0.0));
      REQUIRE(bt[i] == (u[i] < p ? 1.0 : 0.0));
    }
  }
  // randint: 64 bits (words 2j, 2j+1 of block i / 2) modulo the span, and
  // 2 elements per block in every dtype, so the next call starts after them.
  for (DType dt : {DType::Int64, DType::Float32}) {
    INFO(dt);
    manual_seed(8);
    const std::uint64_t first = default_generator().state().offset;
    const auto r = randint(-5, 1000, {n}, {.dtype = dt}).to_vector<double>();
    REQUIRE(default_generator().state().offset - first == static_cast<std::uint64_t>((n + 1) / 2));
    for (std::int64_t i = 0; i < n; ++i) {
      std::uint32_t w[4];
      philox_block(8, first + static_cast<std::uint64_t>(i / 2), w);
      const std::uint64_t bits = (std::uint64_t{w[(i % 2) * 2]} << 32) | w[(i % 2) * 2 + 1];
      REQUIRE(r[i] == static_cast<double>(-5 + static_cast<std::int64_t>(bits % 1005)));
    }
  }
  REQUIRE_THROWS_AS(bernoulli(tensor({0.5, std::nan("")})), ValueError);
  REQUIRE_THROWS_AS(bernoulli(tensor({-0.1, 0.5})), ValueError);
  REQUIRE_THROWS_AS(bernoulli({2}, 0.5, {.dtype = DType::Int64}), DTypeError);
}

TEST_CASE("random: distributions have the right moments", "[core][random]") {
  manual_seed(5);
  const std::int64_t n = 200000;
  for (DType dt : {DType::Float32, DType::Float64}) {
    INFO(dt);
    const Tensor z = randn({n}, {.dtype = dt});
    REQUIRE(std::abs(z.mean().item()) < 0.01);
    REQUIRE(std::abs(var(z).item() - 1.0) < 0.02);
    const Tensor u = rand({n}, {.dtype = dt});
    REQUIRE(max(u).item() < 1.0);
    REQUIRE(max(-u).item() <= 0.0);
    REQUIRE(std::abs(u.mean().item() - 0.5) < 0.01);
    REQUIRE(std::abs(var(u).item() - 1.0 / 12) < 0.002);
  }
  const Tensor r = randint(3, 7, {n});
  REQUIRE(r.dtype() == DType::Int64);
  const auto rv = r.to_vector<std::int64_t>();
  std::int64_t counts[4] = {};
  for (auto v : rv) {
    REQUIRE(v >= 3);
    REQUIRE(v < 7);
    ++counts[v - 3];
  }
  for (auto c : counts) REQUIRE(std::abs(c - n / 4) < n / 100);
  const Tensor b = bernoulli({n}, 0.3);
  REQUIRE(std::abs(b.mean().item() - 0.3) < 0.01);
  require_values(bernoulli(tensor({0.0, 1.0})), {2}, {0, 1});
  Tensor w = empty({n});
  w.normal_(2.0, 0.5);
  REQUIRE(std::abs(w.mean().item() - 2.0) < 0.01);
  Tensor v = empty({n, 2}).t();  // non-contiguous target
  v.uniform_(-1.0, 1.0);
  REQUIRE(max(v).item() < 1.0);
  REQUIRE(-max(-v).item() >= -1.0);
  REQUIRE_THROWS_AS(randint(5, 5, {2}), ValueError);
  REQUIRE_THROWS_AS(bernoulli(tensor({1.5})), ValueError);
  REQUIRE_THROWS_AS(w.normal_(0, -1), ValueError);
}

TEST_CASE("allocator: large blocks are reused from the cache", "[core][allocator]") {
  cpu_allocator::empty_cache();
  const auto before = cpu_allocator::stats();
  { const Tensor a = empty({1 << 20}); }  // 4 MiB, released into the cache
  const auto mid = cpu_allocator::stats();
  REQUIRE(mid.bytes_cached >= (std::size_t{4} << 20));
  { const Tensor b = empty({1 << 20}); }
  const auto after = cpu_allocator::stats();
  REQUIRE(after.cache_hits == mid.cache_hits + 1);
  REQUIRE(after.system_allocations == mid.system_allocations);
  REQUIRE(after.bytes_in_use == before.bytes_in_use);
  cpu_allocator::empty_cache();
  REQUIRE(cpu_allocator::stats().bytes_cached == 0);
}

TEST_CASE("device: CPU everywhere, clear errors for a missing GPU", "[core][device]") {
  REQUIRE(Device::cpu().str() == "cpu");
  REQUIRE(Device::cuda(1).str() == "cuda:1");
  REQUIRE(zeros({2}).device() == Device::cpu());
  if (Device::cuda_device_count() == 0) {
    REQUIRE(Device::best() == Device::cpu());
    REQUIRE_THROWS_AS(zeros({2}).to(Device::cuda()), DeviceError);
    REQUIRE_THROWS_WITH(zeros({2}).to(Device::cuda()),
                        Device::cuda_built() ? Catch::Contains("no CUDA device is present")
                                             : Catch::Contains("no CUDA backend"));
  }
}

TEST_CASE("errors: every error is a zengen::Error and says what went wrong", "[core][errors]") {
  try {
    zeros({2, 3}) + zeros({4, 5});
    FAIL("expected a ShapeError");
  } catch (const Error& e) {
    REQUIRE(dynamic_cast<const ShapeError*>(&e) != nullptr);
    REQUIRE_THAT(std::string(e.what()), Catch::Contains("[2, 3]") && Catch::Contains("[4, 5]"));
  }
  REQUIRE(broadcast_shapes({2, 1, 3}, {4, 1}, "test") == Shape{2, 4, 3});
  REQUIRE(wrap_dim(-1, 3, "test") == 2);
  REQUIRE_THROWS_AS(wrap_dim(3, 3, "test"), ValueError);
}

TEST_CASE("tensor: empty tensors of any rank copy and convert", "[core]") {
  // Element-wise loops over a [0, 3] tensor must not divide by the zero size.
  const Tensor e = zeros({0, 3});
  REQUIRE(e.to(DType::Float64).shape() == Shape{0, 3});
  REQUIRE(e.t().contiguous().shape() == Shape{3, 0});
  REQUIRE(e.to_vector<double>().empty());
  REQUIRE((e + 1.0).numel() == 0);
}

TEST_CASE("tensor: empty tensors count as contiguous", "[core]") {
  REQUIRE(zeros({2, 0}).is_contiguous());
  REQUIRE(zeros({0, 3}).t().is_contiguous());
}

TEST_CASE("determinism: the switch, its guard, and the environment's default", "[core][determinism]") {
  const bool before = deterministic();
  {
    const DeterministicGuard on(true);
    REQUIRE(deterministic());
    {
      const DeterministicGuard off(false);
      REQUIRE_FALSE(deterministic());
    }
    REQUIRE(deterministic());
  }
  REQUIRE(deterministic() == before);
  // The tests run without ZENGEN_DETERMINISTIC: off unless a test set it.
  const char* env = std::getenv("ZENGEN_DETERMINISTIC");
  if (env == nullptr) REQUIRE_FALSE(before);
}
