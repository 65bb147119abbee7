#include "zengen/io/checkpoint.hpp"

#include "zengen/io/safetensors.hpp"

namespace zengen::io {

void save_module(const nn::ModuleBase& module, const std::string& path,
                 const std::map<std::string, std::string>& metadata) {
  save_safetensors(path, module.state_dict(), metadata);
}


void load_module(nn::ModuleBase& module, const std::string& path, bool strict) {
  const SafetensorsFile file = load_safetensors(path);
  // load_state_dict checks every entry before it changes anything.
  with_context("load_module(" + path + "): ", [&] { module.load_state_dict(file.to_map(), strict); });
}

void save_checkpoint(const std::string& path, const std::map<std::string, StateDict>& parts,
                     const std::map<std::string, std::string>& metadata) {
  StateDict all;
  for (const auto& [part, state] : parts) {
    ZENGEN_CHECK(!part.empty() && part.find('.') == std::string::npos, ValueError, "save_checkpoint(", path,
                 "): part name '", part, "' must be non-empty and contain no '.'");
    for (const auto& [name, t] : state) all.emplace(part + "." + name, t);
  }
  save_safetensors(path, all, metadata);
}

Checkpoint load_checkpoint(const std::string& path) {
  SafetensorsFile file = load_safetensors(path);
  Checkpoint c;
  c.path = path;
  c.metadata = std::move(file.metadata);
  for (auto& [name, t] : file.tensors) {
    const auto dot = name.find('.');
    ZENGEN_CHECK(dot != std::string::npos && dot > 0, FormatError, "load_checkpoint(", path, "): tensor '", name,
                 "' is not of the form <part>.<name>");
    c.parts[name.substr(0, dot)].emplace(name.substr(dot + 1), t);
  }
  return c;
}

const StateDict& Checkpoint::part(const std::string& name) const {
  auto it = parts.find(name);
  if (it == parts.end()) {
    std::string names;
    for (const auto& [part_name, state] : parts) names += (names.empty() ? "'" : ", '") + part_name + "'";
    throw FormatError(detail::concat("checkpoint ", path, " has no part '", name, "'; its parts: ",
                                     names.empty() ? "none" : names));
  }
  return it->second;
}

}  // namespace zengen::io
