#include "zengen/train/trainer_state.hpp"

#include "zengen/core/error.hpp"
#include "zengen/ops/factory.hpp"

namespace zengen::train {

namespace {

Tensor int64_scalar(std::int64_t v) { return scalar_tensor(static_cast<double>(v), {.dtype = DType::Int64}); }

Tensor rng_tensor(GeneratorState s) {
  return from_vector<std::int64_t>({static_cast<std::int64_t>(s.seed), static_cast<std::int64_t>(s.offset)},
                                   Shape{2});
}

const Tensor& entry(const io::StateDict& part, const char* name, const std::string& source) {
  auto it = part.find(name);
  ZENGEN_CHECK(it != part.end(), FormatError, source, ": the trainer state lacks \"", name, "\"");
  ZENGEN_CHECK(it->second.dtype() == DType::Int64, FormatError, source, ": trainer state \"", name,
               "\" must be int64, is ", it->second.dtype());
  return it->second;
}

std::int64_t count(const io::StateDict& part, const char* name, const std::string& source) {
  const Tensor& t = entry(part, name, source);
  ZENGEN_CHECK(t.numel() == 1, FormatError, source, ": trainer state \"", name, "\" must hold one value, has shape ",
               t.shape());
  const auto v = t.item<std::int64_t>();
  ZENGEN_CHECK(v >= 0, FormatError, source, ": trainer state \"", name, "\" is negative (", v, ")");
  return v;
}

GeneratorState rng(const io::StateDict& part, const char* name, const std::string& source) {
  const Tensor& t = entry(part, name, source);
  ZENGEN_CHECK(t.numel() == 2, FormatError, source, ": trainer state \"", name,
               "\" must be [2] (seed, offset), has shape ", t.shape());
  const auto words = t.contiguous().to_vector<std::int64_t>();
  return {static_cast<std::uint64_t>(words[0]), static_cast<std::uint64_t>(words[1])};
}

}  // namespace

io::StateDict to_state_dict(const TrainerState& state) {
  return {{"step", int64_scalar(state.step)},
          {"epoch", int64_scalar(state.epoch)},
          {"batch", int64_scalar(state.batch)},
          {"epoch_rng", rng_tensor(state.epoch_rng)},
          {"rng", rng_tensor(state.rng)}};
}

TrainerState trainer_state_from(const io::StateDict& part, const std::string& source) {
  TrainerState s;
  s.step = count(part, "step", source);
  s.epoch = count(part, "epoch", source);
  s.batch = count(part, "batch", source);
  s.epoch_rng = rng(part, "epoch_rng", source);
  s.rng = rng(part, "rng", source);
  return s;
}

std::vector<std::string> check_resume_metadata(const std::map<std::string, std::string>& saved,
                                               const std::map<std::string, std::string>& now, const std::string& path,
                                               const std::vector<std::string>& architecture_keys,
                                               const std::vector<std::string>& data_keys) {
  auto value = [](const std::map<std::string, std::string>& m, const std::string& key) {
    const auto it = m.find(key);
    return it == m.end() ? std::string("(none)") : it->second;
  };
  for (const std::string& key : architecture_keys)
    ZENGEN_CHECK(value(saved, key) == value(now, key), ValueError, "resume: ", path, " was trained with ", key, " = ",
                 value(saved, key), ", but this run has ", key, " = ", value(now, key),
                 " (use the same options, or another output folder)");
  std::vector<std::string> changed;
  for (const std::string& key : data_keys)
    if (value(saved, key) != value(now, key)) changed.push_back(key + ": " + value(saved, key) + " -> " + value(now, key));
  return changed;
}

data::DataLoader::Iterator resume_epoch(data::DataLoader& loader, TrainerState& state) {
  Generator& g = default_generator();
  if (state.batch == 0) {
    state.epoch_rng = g.state();
    return loader.begin();
  }
  ZENGEN_CHECK(state.batch <= loader.size(), ValueError, "resume_epoch: the saved position is batch ", state.batch,
               " of epoch ", state.epoch, ", but an epoch has ", loader.size(),
               " batches (was the data or the batch size changed?)");
  const GeneratorState now = state.rng;
  g.set_state(state.epoch_rng);
  auto it = loader.begin_at(state.batch);
  g.set_state(now);
  return it;
}

}  // namespace zengen::train
