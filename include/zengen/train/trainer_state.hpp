// TrainerState: what a training loop must save besides its model and
// optimizers to continue exactly where it stopped: the global step, the
// position in the data (epoch, batch within the epoch, and the global
// generator's state just before that epoch's shuffle was drawn), and the
// global generator's state now. It travels as one checkpoint part.
//
// Resuming mid-epoch (see resume_epoch): put the generator back to
// `epoch_rng`, let DataLoader::begin_at(batch) draw the same shuffle and
// start at the saved batch, then put the generator back to `rng`.
//
//   auto parts = gan.state_dict();
//   parts["trainer"] = train::to_state_dict(state);
//   io::save_checkpoint(path, parts);
//   ...
//   auto state = train::trainer_state_from(io::load_checkpoint(path).part("trainer"), path);
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "zengen/core/generator.hpp"
#include "zengen/data/loader.hpp"
#include "zengen/io/checkpoint.hpp"

namespace zengen::train {

/// Where a trainer is: the step, the data position and the random state, saved in checkpoints for an exact resume.
struct TrainerState {
  std::int64_t step = 0;   ///< optimisation steps done
  std::int64_t epoch = 0;  ///< the epoch in progress (0-based)
  std::int64_t batch = 0;  ///< batches of that epoch already trained on
  GeneratorState epoch_rng{};  ///< the global generator just before this epoch's DataLoader::begin()
  GeneratorState rng{};        ///< the global generator when the state was taken
};

/// The state as int64 tensors: "step", "epoch", "batch", "epoch_rng" [2]
/// (seed, offset) and "rng" [2].
io::StateDict to_state_dict(const TrainerState& state);
/// Reads a to_state_dict() part back; FormatError naming `source` (a file)
/// and the entry when one is missing or malformed.
TrainerState trainer_state_from(const io::StateDict& part, const std::string& source);

/// Compares a checkpoint's metadata with the settings of the run resuming
/// it. A differing or missing `architecture_keys` entry throws ValueError
/// naming `path`, the key and both values (the weights would not fit). The
/// differing `data_keys` entries (data set, example count, batch size) are
/// returned as "key: was -> now" lines: the run may go on, but its position
/// in the data no longer means the same batches.
std::vector<std::string> check_resume_metadata(const std::map<std::string, std::string>& saved,
                                               const std::map<std::string, std::string>& now, const std::string& path,
                                               const std::vector<std::string>& architecture_keys,
                                               const std::vector<std::string>& data_keys);

/// Starts epoch `state.epoch` of `loader` where `state` says: when
/// state.batch is 0, records the generator's state in state.epoch_rng and
/// begins the epoch; otherwise draws the interrupted epoch's shuffle again
/// from state.epoch_rng and begins at state.batch, leaving the generator at
/// state.rng (where the interrupted run was). ValueError when state.batch
/// is past the epoch's end.
data::DataLoader::Iterator resume_epoch(data::DataLoader& loader, TrainerState& state);

}  // namespace zengen::train
