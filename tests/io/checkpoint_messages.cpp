// Checkpoint errors that list what differs (issue 16): loading a state
// with other names reports every missing and every unexpected entry (the
// first few of each), and a missing part names the parts the file has.
#include "helpers.hpp"
#include "temp_dir.hpp"

using namespace zengen;
using zengen::testing::TempDir;

TEST_CASE("checkpoint: unexpected and missing entries are listed together", "[io][checkpoint]") {
  TempDir dir;
  nn::Sequential net(nn::Linear(3, 2), nn::Linear(2, 1));
  // The same weights under a prefix (a wrapped module's names).
  std::map<std::string, Tensor> renamed;
  for (const auto& [name, t] : net.state_dict()) renamed["net." + name] = t;
  io::save_safetensors(dir.file("renamed.safetensors"), renamed);
  const std::string path = dir.file("renamed.safetensors");
  REQUIRE_THROWS_AS(io::load_module(net, path), ValueError);
  REQUIRE_THROWS_WITH(io::load_module(net, path),
                      "load_module(" + path +
                          "): load_state_dict: 4 missing entries '0.weight' (shape [2, 3]), '0.bias' (shape [2]), "
                          "'1.weight' (shape [1, 2]), '1.bias' (shape [1]); 4 unexpected entries 'net.0.bias', "
                          "'net.0.weight', 'net.1.bias', 'net.1.weight' (no such parameter or buffer) (the module has "
                          "4 parameters and buffers, the state 4 entries; strict = false loads the entries both have)");
  // Only one of each: singular.
  auto state = net.state_dict();
  state.erase("1.bias");
  state["extra"] = zeros({1});
  REQUIRE_THROWS_WITH(net.load_state_dict(state),
                      Catch::StartsWith("load_state_dict: missing entry '1.bias' (shape [1]); unexpected entry 'extra'"));
  // Many: the first five (in the module's order), and how many more.
  nn::Sequential wide(nn::Linear(1, 1), nn::Linear(1, 1), nn::Linear(1, 1), nn::Linear(1, 1));
  REQUIRE_THROWS_WITH(wide.load_state_dict({}), Catch::Contains("8 missing entries '0.weight' (shape [1, 1]),") &&
                                                    Catch::Contains("'2.weight' (shape [1, 1]) and 3 more (the module"));
  wide.load_state_dict({}, /*strict=*/false);
}

TEST_CASE("checkpoint: a missing part names the parts the file has", "[io][checkpoint]") {
  TempDir dir;
  nn::Linear a(2, 2), b(2, 1);
  io::save_checkpoint(dir.file("run.safetensors"), {{"gen", a.state_dict()}, {"disc", b.state_dict()}});
  const io::Checkpoint c = io::load_checkpoint(dir.file("run.safetensors"));
  REQUIRE(c.part("gen").size() == 2);
  REQUIRE_THROWS_AS(c.part("generator"), FormatError);
  REQUIRE_THROWS_WITH(c.part("generator"), "checkpoint " + dir.file("run.safetensors") +
                                               " has no part 'generator'; its parts: 'disc', 'gen'");
}
