// Checkpoints: a module's parameters and buffers, and any other named state
// (an optimizer's, a step counter), in one safetensors file that PyTorch and
// Hugging Face tools can read. Writes are atomic (see save_safetensors).
//
//   io::save_module(net, "net.safetensors");
//   io::load_module(net, "net.safetensors");             // names, shapes, dtypes checked
//   io::save_checkpoint("run.safetensors", {{"model", net.state_dict()},
//                                           {"optimizer", adam.state_dict()}});
#pragma once

#include <map>
#include <string>

#include "zengen/core/tensor.hpp"
#include "zengen/nn/module.hpp"

namespace zengen::io {

using StateDict = std::map<std::string, Tensor>;

/// Writes module.state_dict() to `path`.
void save_module(const nn::ModuleBase& module, const std::string& path,
                 const std::map<std::string, std::string>& metadata = {});
/// Loads a file written by save_module (or by PyTorch's safetensors.torch.save_file
/// on a state dict with the same names). Strict: the names must match
/// exactly. On any error (FormatError for a bad file; ValueError, ShapeError
/// or DTypeError naming the file and the entry for another architecture)
/// the module is left unchanged.
void load_module(nn::ModuleBase& module, const std::string& path, bool strict = true);

/// Several named parts in one file, stored as "<part>.<name>".
void save_checkpoint(const std::string& path, const std::map<std::string, StateDict>& parts,
                     const std::map<std::string, std::string>& metadata = {});
/// A checkpoint file read back: its named parts and its metadata.
struct Checkpoint {
  std::map<std::string, StateDict> parts;
  std::map<std::string, std::string> metadata;
  /// The part of that name; throws FormatError naming the file if missing.
  const StateDict& part(const std::string& name) const;
  std::string path;
};
Checkpoint load_checkpoint(const std::string& path);

}  // namespace zengen::io
