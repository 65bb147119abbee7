// train::TrainerState and resume_epoch: the state survives a checkpoint,
// and an epoch resumed in the middle gives the batches (and leaves the
// global generator where) the uninterrupted epoch did. ensure_writable_dir.
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "temp_dir.hpp"

using namespace zengen;
using zengen::testing::TempDir;

namespace {

// Images [20, 1, 2, 2] whose values name their example, labels 0..19.
data::DataLoader make_loader() {
  const Tensor images = arange(0, 80, 1, {.dtype = DType::Float32}).reshape({20, 1, 2, 2});
  const Tensor labels = arange(0, 20, 1, {.dtype = DType::Int64});
  return data::DataLoader(images, labels, {.batch_size = 3, .random_flip = true});
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("trainer state: a round trip through a checkpoint file", "[train][checkpoint]") {
  TempDir dir;
  const train::TrainerState state{.step = 1234, .epoch = 7, .batch = 15, .epoch_rng = {42, 9000}, .rng = {42, 12345}};
  io::save_checkpoint(dir.file("c.safetensors"), {{"trainer", train::to_state_dict(state)}});
  const auto ckpt = io::load_checkpoint(dir.file("c.safetensors"));
  const auto back = train::trainer_state_from(ckpt.part("trainer"), ckpt.path);
  REQUIRE(back.step == 1234);
  REQUIRE(back.epoch == 7);
  REQUIRE(back.batch == 15);
  REQUIRE(back.epoch_rng == GeneratorState{42, 9000});
  REQUIRE(back.rng == GeneratorState{42, 12345});

  auto part = train::to_state_dict(state);
  part.erase("epoch_rng");
  REQUIRE_THROWS_AS(train::trainer_state_from(part, "run.safetensors"), FormatError);
  REQUIRE_THAT(message_of([&] { train::trainer_state_from(part, "run.safetensors"); }),
               Catch::Contains("run.safetensors") && Catch::Contains("epoch_rng"));
  part = train::to_state_dict(state);
  part["batch"] = scalar_tensor(2.0);  // float, not int64
  REQUIRE_THAT(message_of([&] { train::trainer_state_from(part, "x"); }), Catch::Contains("\"batch\" must be int64"));
}

TEST_CASE("trainer state: an epoch resumed mid-way sees the same batches", "[train][checkpoint][data]") {
  // The uninterrupted epoch, drawing "training noise" after each batch.
  manual_seed(11);
  randn({5});  // some earlier use of the generator
  auto loader = make_loader();
  train::TrainerState state;
  std::vector<std::vector<std::int64_t>> labels;
  std::vector<std::vector<float>> images;
  std::vector<float> noise_after;
  train::TrainerState saved;
  for (auto it = train::resume_epoch(loader, state); it != loader.end(); ++it) {
    labels.push_back(it->labels.to_vector<std::int64_t>());
    images.push_back(it->images.to_vector<float>());
    noise_after.push_back(randn({1}).item<float>());
    ++state.batch;
    if (state.batch == 4) {
      saved = state;
      saved.rng = default_generator().state();
    }
  }
  REQUIRE(labels.size() == 6);

  // A fresh process: the generator somewhere else entirely.
  manual_seed(999);
  auto resumed = make_loader();
  std::size_t i = 4;
  for (auto it = train::resume_epoch(resumed, saved); it != resumed.end(); ++it, ++i) {
    REQUIRE(it->labels.to_vector<std::int64_t>() == labels[i]);
    REQUIRE(it->images.to_vector<float>() == images[i]);  // flips included
    REQUIRE(randn({1}).item<float>() == noise_after[i]);
  }
  REQUIRE(i == 6);

  saved.batch = 7;  // past an epoch of 6 batches
  REQUIRE_THROWS_AS(train::resume_epoch(resumed, saved), ValueError);
}

TEST_CASE("trainer state: resume metadata, architecture refused, data changes listed", "[train][checkpoint]") {
  const std::map<std::string, std::string> saved{{"model", "dcgan"}, {"ngf", "8"}, {"examples", "512"}};
  std::map<std::string, std::string> now = saved;
  REQUIRE(train::check_resume_metadata(saved, now, "c.safetensors", {"model", "ngf"}, {"examples"}).empty());
  now["examples"] = "60000";
  REQUIRE(train::check_resume_metadata(saved, now, "c.safetensors", {"model", "ngf"}, {"examples"}) ==
          std::vector<std::string>{"examples: 512 -> 60000"});
  now["ngf"] = "16";
  REQUIRE_THAT(message_of([&] { train::check_resume_metadata(saved, now, "c.safetensors", {"model", "ngf"}, {}); }),
               Catch::Contains("c.safetensors was trained with ngf = 8, but this run has ngf = 16"));
  REQUIRE_THAT(message_of([&] { train::check_resume_metadata({}, now, "old.safetensors", {"model"}, {}); }),
               Catch::Contains("model = (none)"));
}

TEST_CASE("output folder: created when missing, refused with its path when unusable", "[train][io]") {
  TempDir dir;
  const std::string nested = (dir.path() / "a" / "b").string();
  train::ensure_writable_dir(nested);
  REQUIRE(std::filesystem::is_directory(nested));
  REQUIRE(std::filesystem::is_empty(nested));  // the probe file is gone

  std::ofstream(dir.file("plain-file")) << "x";
  const std::string under_file = dir.file("plain-file") + "/out";
  REQUIRE_THROWS_AS(train::ensure_writable_dir(under_file), IOError);
  REQUIRE_THAT(message_of([&] { train::ensure_writable_dir(under_file); }), Catch::Contains(under_file));
  REQUIRE_THAT(message_of([&] { train::ensure_writable_dir(dir.file("plain-file")); }),
               Catch::Contains("is not a folder"));
  REQUIRE_THROWS_AS(train::ensure_writable_dir(""), IOError);
}
