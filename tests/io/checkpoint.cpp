// Module checkpoints: round trips, another architecture, truncated files,
// and multi-part checkpoints (model + optimizer state).
#include <filesystem>

#include "helpers.hpp"
#include "temp_dir.hpp"

using namespace zengen;
using zengen::testing::TempDir;

namespace {
nn::Sequential small_net() { return nn::Sequential(nn::Linear(3, 4), nn::BatchNorm1d(4), nn::Linear(4, 2)); }
}  // namespace

TEST_CASE("checkpoint: a module round-trips exactly", "[io][checkpoint]") {
  TempDir dir;
  manual_seed(1);
  auto source = small_net();
  source.forward(randn({5, 3}));  // moves the BatchNorm running statistics
  io::save_module(source, dir.file("net.safetensors"), {{"step", "12"}});
  manual_seed(2);
  auto target = small_net();
  io::load_module(target, dir.file("net.safetensors"));
  for (const auto& [name, t] : source.state_dict()) {
    INFO(name);
    REQUIRE(target.state_dict().at(name).to_vector<double>() == t.to_vector<double>());
  }
  REQUIRE(io::load_safetensors(dir.file("net.safetensors")).metadata.at("step") == "12");
}

TEST_CASE("checkpoint: another architecture or a broken file leaves the module unchanged", "[io][checkpoint]") {
  TempDir dir;
  nn::Sequential other(nn::Linear(3, 5), nn::BatchNorm1d(5), nn::Linear(5, 2));
  io::save_module(other, dir.file("other.safetensors"));
  auto net = small_net();
  const auto before = net.state_dict().at("0.weight").to_vector<float>();
  REQUIRE_THROWS_AS(io::load_module(net, dir.file("other.safetensors")), ShapeError);
  REQUIRE_THROWS_WITH(io::load_module(net, dir.file("other.safetensors")),
                      Catch::Contains("other.safetensors") && Catch::Contains("'0.weight' has shape [5, 3]"));
  // a truncated copy of a good file
  io::save_module(net, dir.file("good.safetensors"));
  const auto size = std::filesystem::file_size(dir.file("good.safetensors"));
  std::filesystem::copy_file(dir.file("good.safetensors"), dir.file("cut.safetensors"));
  std::filesystem::resize_file(dir.file("cut.safetensors"), size - 10);
  REQUIRE_THROWS_AS(io::load_module(net, dir.file("cut.safetensors")), FormatError);
  REQUIRE_THROWS_AS(io::load_module(net, dir.file("missing.safetensors")), IOError);
  REQUIRE(net.state_dict().at("0.weight").to_vector<float>() == before);
}

TEST_CASE("checkpoint: parts are stored as <part>.<name> and split back", "[io][checkpoint]") {
  TempDir dir;
  auto net = small_net();
  const io::StateDict extra{{"step", scalar_tensor(7, {.dtype = DType::Int64})}};
  io::save_checkpoint(dir.file("run.safetensors"), {{"model", net.state_dict()}, {"trainer", extra}});
  const auto file = io::load_safetensors(dir.file("run.safetensors"));
  REQUIRE(file.contains("model.0.weight"));
  REQUIRE(file.contains("trainer.step"));
  const io::Checkpoint c = io::load_checkpoint(dir.file("run.safetensors"));
  REQUIRE(c.part("trainer").at("step").item<std::int64_t>() == 7);
  net.load_state_dict(c.part("model"));
  REQUIRE_THROWS_AS(c.part("optimizer"), FormatError);
  REQUIRE_THROWS_AS(io::save_checkpoint(dir.file("x.safetensors"), {{"a.b", extra}}), ValueError);
}

TEST_CASE("checkpoint: a load that fails on its last entry changes no entry", "[io][checkpoint]") {
  TempDir dir;
  manual_seed(3);
  auto source = small_net();
  source.forward(randn({5, 3}));
  manual_seed(4);
  auto net = small_net();
  std::map<std::string, std::vector<double>> before;
  for (const auto& [name, t] : net.state_dict()) before[name] = t.to_vector<double>();
  auto require_unchanged = [&] {
    for (const auto& [name, t] : net.state_dict()) {
      INFO(name);
      REQUIRE(t.to_vector<double>() == before.at(name));
    }
  };
  // Everything right but the entry checked last ("2.weight", by name), in turn
  // of the wrong shape, the wrong dtype, missing, or joined by a stranger.
  auto state = source.state_dict();
  const std::string path = dir.file("bad.safetensors");
  SECTION("wrong shape") {
    state["2.weight"] = zeros({3, 4});
    io::save_safetensors(path, state);
    REQUIRE_THROWS_AS(io::load_module(net, path), ShapeError);
    REQUIRE_THROWS_AS(io::load_module(net, path, false), ShapeError);
  }
  SECTION("wrong dtype") {
    state["2.weight"] = state["2.weight"].to(DType::Float64);
    io::save_safetensors(path, state);
    REQUIRE_THROWS_AS(io::load_module(net, path), DTypeError);
    REQUIRE_THROWS_WITH(io::load_module(net, path), Catch::Contains(path) && Catch::Contains("'2.weight'"));
  }
  SECTION("missing") {
    state.erase("2.weight");
    io::save_safetensors(path, state);
    REQUIRE_THROWS_AS(io::load_module(net, path), ValueError);
  }
  SECTION("unexpected entry") {
    state["3.weight"] = zeros({1});
    io::save_safetensors(path, state);
    REQUIRE_THROWS_WITH(io::load_module(net, path), Catch::Contains(path) && Catch::Contains("unexpected entry '3.weight'"));
  }
  SECTION("a broken data buffer") {
    io::save_safetensors(path, state);
    std::filesystem::resize_file(path, std::filesystem::file_size(path) - 1);
    REQUIRE_THROWS_AS(io::load_module(net, path), FormatError);
  }
  require_unchanged();
}
