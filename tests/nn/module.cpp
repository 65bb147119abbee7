// ModuleBase, the Module concept and Sequential: registration, names,
// state dicts, modes, devices and dtypes, handle semantics, summaries.
#include "helpers.hpp"

using namespace zengen;
using zengen::testing::require_values;

namespace {
// A user-defined module composing library layers, as the docs show.
struct TwoLayer : nn::ModuleBase {
  nn::Linear fc1{4, 8}, fc2{8, 2};
  nn::BatchNorm1d norm{8};
  Tensor scale;
  TwoLayer() {
    register_module("fc1", fc1);
    register_module("norm", norm);
    register_module("fc2", fc2);
    scale = register_parameter("scale", ones({2}));
  }
  Tensor forward(const Tensor& x) { return fc2.forward(relu(norm.forward(fc1.forward(x)))) * scale; }
  std::string describe() const override { return "TwoLayer"; }
};
static_assert(nn::TensorModule<TwoLayer>);
static_assert(nn::TensorModule<nn::Sequential>);
static_assert(!nn::Module<int>);
}  // namespace

TEST_CASE("module: parameters and buffers are named with dots in registration order", "[nn][module]") {
  TwoLayer m;
  std::vector<std::string> names;
  for (auto& [name, t] : m.named_parameters()) names.push_back(name);
  REQUIRE(names == std::vector<std::string>{"scale", "fc1.weight", "fc1.bias", "norm.weight", "norm.bias",
                                            "fc2.weight", "fc2.bias"});
  std::vector<std::string> buffers;
  for (auto& [name, t] : m.named_buffers()) buffers.push_back(name);
  REQUIRE(buffers == std::vector<std::string>{"norm.running_mean", "norm.running_var", "norm.num_batches_tracked"});
  REQUIRE(m.num_parameters() == 2 + 4 * 8 + 8 + 8 + 8 + 8 * 2 + 2);
  REQUIRE(m.parameters(/*recurse=*/false).size() == 1);
  for (const Tensor& p : m.parameters()) REQUIRE(p.requires_grad());
  REQUIRE(m.state_dict().size() == 10);
  // the member and the registry are the same tensor
  REQUIRE(m.named_parameters()[1].second.is_same(m.fc1.weight));
}

TEST_CASE("module: copies share parameters and mode", "[nn][module]") {
  nn::Linear a(3, 2);
  nn::Linear b = a;
  REQUIRE(b.weight.is_same(a.weight));
  b.eval();
  REQUIRE_FALSE(a.is_training());
  TwoLayer m;
  m.eval();
  REQUIRE_FALSE(m.norm.is_training());  // train/eval reaches registered children
  m.train();
  REQUIRE(m.fc1.is_training());
}

TEST_CASE("module: zero_grad, to(dtype) in place, and gradients reach every parameter", "[nn][module]") {
  manual_seed(1);
  TwoLayer m;
  const Tensor x = randn({5, 4});
  m.forward(x).sum().backward();
  for (auto& [name, p] : m.named_parameters()) {
    INFO(name);
    REQUIRE(p.grad().defined());
  }
  m.zero_grad();
  for (const Tensor& p : m.parameters()) REQUIRE_FALSE(p.grad().defined());
  const Tensor w = m.fc1.weight;
  const double before = w.at({0, 0});
  m.to(DType::Float64);
  REQUIRE(w.dtype() == DType::Float64);  // same handle, converted in place
  REQUIRE(w.at({0, 0}) == Approx(before));
  REQUIRE(w.requires_grad());
  REQUIRE(m.norm.running_mean.dtype() == DType::Float64);
  REQUIRE(m.norm.num_batches_tracked.dtype() == DType::Int64);  // integer buffers stay
  REQUIRE(m.forward(x.to(DType::Float64)).dtype() == DType::Float64);
  if (Device::cuda_device_count() == 0) REQUIRE_THROWS_AS(m.to(Device::cuda()), DeviceError);
}

TEST_CASE("module: load_state_dict copies values and checks names, shapes, dtypes", "[nn][module]") {
  manual_seed(2);
  TwoLayer source, target;
  target.load_state_dict(source.state_dict());
  for (auto& [name, t] : target.state_dict()) {
    INFO(name);
    require_values(t, source.state_dict().at(name).shape(), source.state_dict().at(name).to_vector<double>(), 0);
  }
  auto state = source.state_dict();
  state.erase("fc2.bias");
  REQUIRE_THROWS_WITH(target.load_state_dict(state), Catch::Contains("missing entry 'fc2.bias'"));
  target.load_state_dict(state, /*strict=*/false);
  state = source.state_dict();
  state["extra"] = zeros({1});
  REQUIRE_THROWS_WITH(target.load_state_dict(state), Catch::Contains("unexpected entry 'extra'"));
  state = source.state_dict();
  state["fc1.weight"] = zeros({3, 3});
  REQUIRE_THROWS_AS(target.load_state_dict(state), ShapeError);
  REQUIRE_THROWS_WITH(target.load_state_dict(state), Catch::Contains("'fc1.weight' has shape [3, 3] but the module expects [8, 4]"));
  state = source.state_dict();
  state["fc1.weight"] = state["fc1.weight"].to(DType::Float64);
  REQUIRE_THROWS_AS(target.load_state_dict(state), DTypeError);
  target.load_state_dict(state, true, /*allow_dtype_conversion=*/true);
}

TEST_CASE("module: a failed load leaves the module unchanged", "[nn][module]") {
  TwoLayer m;
  const auto before = m.fc1.weight.to_vector<float>();
  auto state = TwoLayer().state_dict();
  state["fc2.weight"] = zeros({1});
  REQUIRE_THROWS(m.load_state_dict(state));
  REQUIRE(m.fc1.weight.to_vector<float>() == before);
}

TEST_CASE("module: registration errors", "[nn][module][errors]") {
  struct Bad : nn::ModuleBase {
    void twice() {
      register_parameter("w", zeros({1}));
      register_parameter("w", zeros({1}));
    }
    void dotted() { register_parameter("a.b", zeros({1})); }
    void non_leaf() { register_parameter("w", ones({1}).requires_grad_() * 2.0); }
  };
  Bad b;
  REQUIRE_THROWS_WITH(b.twice(), Catch::Contains("already registered"));
  REQUIRE_THROWS_AS(b.dotted(), ValueError);
  REQUIRE_THROWS_AS(b.non_leaf(), ValueError);
}

TEST_CASE("sequential: Linear + ReLU / LeakyReLU run fused, with the unfused values and gradients", "[nn][sequential]") {
  manual_seed(4);
  // A subclass of Linear keeps its own forward: it is never fused.
  struct ScaledLinear : nn::Linear {
    using nn::Linear::Linear;
    Tensor forward(const Tensor& x) const { return nn::Linear::forward(x) * 2.0; }
  };
  nn::Sequential net(nn::Linear(5, 6), nn::LeakyReLU(0.2), nn::Linear(6, 4, /*bias=*/false), nn::LeakyReLU(0.1),
                     ScaledLinear(4, 3), nn::LeakyReLU(0.3), nn::Linear(3, 3), nn::LeakyReLU(-0.5),
                     nn::Linear(3, 4), nn::ReLU(), nn::Linear(4, 2), nn::LeakyReLU(0.2));
  const Tensor x = randn({7, 5});
  // The same layers one by one, unfused.
  const auto unfused = [&](const Tensor& in) {
    Tensor y = in;
    for (std::size_t i = 0; i < net.size(); ++i) {
      if (i == 4)
        y = net.at<ScaledLinear>(i).forward(y);
      else if (i % 2 == 0)
        y = net.at<nn::Linear>(i).forward(y);
      else if (i == 9)
        y = net.at<nn::ReLU>(i).forward(y);
      else
        y = net.at<nn::LeakyReLU>(i).forward(y);
    }
    return y;
  };
  const Tensor got = net.forward(x);
  REQUIRE(got.grad_fn()->name() == "bias_leaky_relu");  // the last pair ran fused
  const Tensor want = unfused(x);
  REQUIRE(got.to_vector<double>() == want.to_vector<double>());  // the same bits

  const Tensor g = randn({7, 2});
  const auto params = net.parameters();
  const std::vector<Tensor> grads_fused = autograd::grad({sum(got * g)}, params);
  const std::vector<Tensor> grads_plain = autograd::grad({sum(unfused(x) * g)}, params);
  REQUIRE(grads_fused.size() == grads_plain.size());
  for (std::size_t i = 0; i < params.size(); ++i) zengen::testing::require_close(grads_fused[i], grads_plain[i], 1e-6);
}

TEST_CASE("sequential: BatchNorm + ReLU / LeakyReLU run fused, in training and in eval", "[nn][sequential]") {
  manual_seed(5);
  nn::Sequential net(nn::Conv2d(3, 8, 3, {.padding = 1}), nn::BatchNorm2d(8), nn::LeakyReLU(0.2), nn::Flatten(),
                     nn::Linear(8 * 6 * 6, 16), nn::BatchNorm1d(16), nn::ReLU(), nn::Linear(16, 2));
  nn::Sequential twin(nn::Conv2d(3, 8, 3, {.padding = 1}), nn::BatchNorm2d(8), nn::LeakyReLU(0.2), nn::Flatten(),
                      nn::Linear(8 * 6 * 6, 16), nn::BatchNorm1d(16), nn::ReLU(), nn::Linear(16, 2));
  twin.load_state_dict(net.state_dict());
  // The twin runs its layers one by one.
  const auto unfused = [&](const Tensor& in) {
    Tensor y = twin.at<nn::Conv2d>(0).forward(in);
    y = twin.at<nn::LeakyReLU>(2).forward(twin.at<nn::BatchNorm2d>(1).forward(y));
    y = twin.at<nn::Flatten>(3).forward(y);
    y = twin.at<nn::ReLU>(6).forward(twin.at<nn::BatchNorm1d>(5).forward(twin.at<nn::Linear>(4).forward(y)));
    return twin.at<nn::Linear>(7).forward(y);
  };
  const Tensor x = randn({5, 3, 6, 6});
  for (int step = 0; step < 2; ++step) {
    INFO("step " << step);
    const Tensor got = net.forward(x), want = unfused(x);
    REQUIRE(got.to_vector<double>() == want.to_vector<double>());
    const auto gp = autograd::grad({got.sum()}, net.parameters());
    const auto gt = autograd::grad({want.sum()}, twin.parameters());
    for (std::size_t i = 0; i < gp.size(); ++i) zengen::testing::require_close(gp[i], gt[i], 1e-5);
  }
  // The running statistics moved the same way.
  const auto a = net.state_dict(), b = twin.state_dict();
  for (const auto& [name, t] : a) REQUIRE(t.to_vector<double>() == b.at(name).to_vector<double>());
  net.eval();
  twin.eval();
  REQUIRE(net.forward(x).to_vector<double>() == unfused(x).to_vector<double>());
}

TEST_CASE("sequential: runs layers in order, indexes them, prints a summary", "[nn][sequential]") {
  manual_seed(3);
  nn::Sequential net(nn::Linear(4, 8), nn::ReLU(), nn::Linear(8, 3));
  REQUIRE(net.size() == 3);
  std::vector<std::string> names;
  for (auto& [name, t] : net.named_parameters()) names.push_back(name);
  REQUIRE(names == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  const Tensor x = randn({2, 4});
  auto& first = net.at<nn::Linear>(0);
  auto& last = net.at<nn::Linear>(2);
  const Tensor expected = last.forward(relu(first.forward(x)));
  zengen::testing::require_close(net.forward(x), expected, 1e-6);
  REQUIRE_THROWS_AS(net.at<nn::Linear>(1), ValueError);
  REQUIRE_THROWS_AS(net[3], ValueError);
  const std::string summary = net.summary({2, 4});
  REQUIRE_THAT(summary, Catch::Contains("Linear(in=4, out=8, bias=true)") && Catch::Contains("[2, 8]") &&
                            Catch::Contains("[2, 3]") && Catch::Contains("67 parameters"));
  REQUIRE(net.is_training());  // summary restores the mode
  REQUIRE_THAT(net.str(), Catch::StartsWith("Sequential(\n  (0): Linear(in=4, out=8, bias=true)"));
  // nesting and a user module inside
  nn::Sequential outer(net, nn::Tanh());
  REQUIRE(outer.named_parameters()[0].first == "0.0.weight");
  nn::Sequential with_user;
  with_user.push_back("body", TwoLayer());
  REQUIRE(with_user.forward(randn({3, 4})).shape() == Shape{3, 2});
}
