// vae_train: trains a VAE (the PyTorch example's MLP, or a small conv VAE)
// on MNIST or Fashion-MNIST from the command line, with a Bernoulli
// likelihood over pixels in [0, 1]. Each epoch it reports the test-set
// negative ELBO and writes, under --out: samples_epochNN.png,
// reconstructions_epochNN.png, interpolations.png, loss.csv, loss.png and
// checkpoint.safetensors, also every --checkpoint-every steps within an
// epoch. --resume continues from it exactly where the run stopped (weights,
// optimizer, random state, position in the data), even mid-epoch. At the
// end it prints the IWAE (k = 50) bound on 1,000 test images.
//
//   vae_train --data data/mnist --epochs 10 --out out/vae
//   vae_train --dataset fashion-mnist --data data/fashion-mnist --model conv
//   vae_train --epochs 20 --resume          # continues out/vae/checkpoint.safetensors
//   vae_train --device cuda                 # on the GPU (default: auto, the GPU when present)
//
// Exit status: 0 done, 1 error ("vae_train: <message>"), 77 when the data
// folder is missing and ZENGEN_SKIP_MISSING_DATA=1 (what the smoke test sets).
#include <zengen/zengen.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "cli_common.hpp"

namespace zg = zengen;
namespace fs = std::filesystem;

namespace {

struct Config {
  std::string data = "data/mnist";
  std::string dataset = "mnist";
  std::string model = "mlp";
  int epochs = 10;
  std::int64_t batch_size = 128;
  double lr = 1e-3;
  std::int64_t latent = 20;
  std::int64_t limit = 0;
  std::string out = "out/vae";
  std::uint64_t seed = 0;
  bool resume = false;
  std::int64_t log_every = 100;
  std::int64_t checkpoint_every = 500;
  std::string non_finite = "raise";
  std::string device = "auto";
  bool deterministic = false;
};

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string epoch_name(const std::string& stem, int epoch) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s_epoch%02d.png", stem.c_str(), epoch);
  return buf;
}

const std::vector<std::string> kColumns{"epoch", "step", "train_loss", "test_nelbo", "seconds"};

void plot(const fs::path& path, const zg::train::MetricLog& log, const std::string& title) {
  const std::vector<double> epochs = log.column("epoch");
  zg::io::plot_curves(path.string(),
                      {{"train loss", log.column("train_loss"), epochs}, {"test -ELBO", log.column("test_nelbo"), epochs}},
                      {.title = title, .x_label = "epoch", .y_label = "nats per image"});
}

/// The mean over `images` of -ELBO (nats per image), in chunks.
template <typename V>
double test_nelbo(V& vae, const zg::Tensor& images) {
  zg::NoGradGuard no_grad;
  const std::int64_t n = images.size(0), chunk = 1000;
  double total = 0;
  for (std::int64_t i = 0; i < n; i += chunk) {
    const std::int64_t len = std::min(chunk, n - i);
    total += zg::sum(vae.elbo(images.narrow(0, i, len))).template item<double>();
  }
  return -total / static_cast<double>(n);
}

/// The mean IWAE bound (k samples) over `images`, in chunks.
template <typename V>
double iwae_bound(V& vae, const zg::Tensor& images, std::int64_t k) {
  zg::NoGradGuard no_grad;
  const std::int64_t n = images.size(0), chunk = 100;
  double total = 0;
  for (std::int64_t i = 0; i < n; i += chunk) {
    const std::int64_t len = std::min(chunk, n - i);
    total += zg::sum(vae.iwae(images.narrow(0, i, len), k)).template item<double>();
  }
  return total / static_cast<double>(n);
}

/// The running sums of an epoch's training loss (they travel with the
/// trainer state in the checkpoint, so a resumed epoch reports its mean).
struct EpochLoss {
  double sum = 0;
  std::int64_t count = 0;
  double mean() const { return count > 0 ? sum / static_cast<double>(count) : 0.0; }
};

/// --resume: the VAE's parts, the trainer state and the epoch's loss sums
/// from the checkpoint (after checking that it was trained the same way),
/// and the log of the epochs it finished. Other data (a different dataset
/// or batch) start the interrupted epoch over.
template <typename V>
void resume(const Config& cfg, const fs::path& ckpt, const fs::path& csv,
            const std::map<std::string, std::string>& architecture, V& vae, zg::train::TrainerState& state,
            EpochLoss& loss, zg::train::MetricLog& log) {
  if (!fs::exists(ckpt))
    throw zg::IOError("--resume: no checkpoint at " + ckpt.string() + " (train without --resume first)");
  const zg::io::Checkpoint c = zg::io::load_checkpoint(ckpt.string());
  const auto data_changes = zg::train::check_resume_metadata(
      c.metadata, architecture, ckpt.string(), {"model", "image_size", "channels", "latent", "hidden", "base"},
      {"dataset", "examples", "batch_size"});
  vae.load_state_dict(c.parts);
  const auto& trainer = c.part("trainer");
  state = zg::train::trainer_state_from(trainer, ckpt.string());
  for (const char* name : {"epoch_loss_sum", "epoch_loss_count"})
    if (!trainer.contains(name))
      throw zg::FormatError(ckpt.string() + ": part \"trainer\" has no \"" + name + "\"");
  loss = {trainer.at("epoch_loss_sum").item<double>(), trainer.at("epoch_loss_count").item<std::int64_t>()};
  if (!data_changes.empty()) {
    // Other data: the saved position names other batches. Start the epoch afresh.
    for (const auto& change : data_changes) std::printf("note: the data changed since the checkpoint (%s)\n", change.c_str());
    if (state.batch > 0)
      std::printf("note: so epoch %lld starts over instead of continuing at batch %lld\n",
                  static_cast<long long>(state.epoch + 1), static_cast<long long>(state.batch));
    state.batch = 0;
    loss = {};
  }
  if (fs::exists(csv)) {
    log = zg::train::MetricLog::read_csv(csv.string(), kColumns);
    log.truncate_after(static_cast<double>(state.epoch));  // epochs the checkpoint has not finished
  }
  std::printf("resumed from %s: after epoch %lld and %lld batches of the next, step %lld\n", ckpt.string().c_str(),
              static_cast<long long>(state.epoch), static_cast<long long>(state.batch),
              static_cast<long long>(vae.step()));
  if (state.epoch >= cfg.epochs)
    std::printf("the checkpoint is already at epoch %lld of %d: nothing to train\n",
                static_cast<long long>(state.epoch), cfg.epochs);
}

/// An epoch's images under `out`: 64 samples, 32 test images above their
/// reconstructions, and interpolations between 8 pairs of test images.
/// Returns the files' paths.
template <typename V>
std::vector<std::string> write_epoch_images(V& vae, const zg::Tensor& test_images, const fs::path& out, int epoch) {
  zg::NoGradGuard no_grad;
  const zg::io::ImageGridOptions grid{.range = zg::io::ImageRange::ZeroToOne};
  const std::vector<std::string> written{(out / epoch_name("samples", epoch)).string(),
                                         (out / epoch_name("reconstructions", epoch)).string(),
                                         (out / "interpolations.png").string()};
  zg::io::save_image_grid(vae.sample(64), written[0], grid);
  const std::int64_t shown = std::min<std::int64_t>(32, test_images.size(0));
  const zg::Tensor x = test_images.narrow(0, 0, shown);
  zg::io::save_image_grid(zg::cat({x, vae.reconstruct(x)}, 0), written[1],
                          {.nrow = 16, .range = zg::io::ImageRange::ZeroToOne});
  const std::int64_t pairs = std::min<std::int64_t>(8, test_images.size(0) / 2);
  if (pairs > 0)
    zg::io::save_image_grid(
        vae.interpolate(test_images.narrow(0, 0, pairs), test_images.narrow(0, pairs, pairs), 10), written[2],
        {.nrow = 10, .range = zg::io::ImageRange::ZeroToOne});
  return written;
}

/// The IWAE (k = 50) bound on the first 1,000 test images, printed.
template <typename V>
void report_iwae(V& vae, const zg::Tensor& test_images) {
  const std::int64_t n_iwae = std::min<std::int64_t>(1000, test_images.size(0));
  vae.eval();
  const auto iwae_start = Clock::now();
  const double bound = iwae_bound(vae, test_images.narrow(0, 0, n_iwae), 50);
  std::printf("IWAE (k=50) on %lld test images: log p(x) >= %.2f nats/image, %.1f s\n",
              static_cast<long long>(n_iwae), bound, seconds_since(iwae_start));
}

/// The rest of the epoch in progress (from the saved batch on), adding to
/// its loss sums, with a checkpoint (`save`) every cfg.checkpoint_every
/// steps but at its end (the end writes its own, after the test figures).
template <typename V, typename Save>
void train_epoch(const Config& cfg, zg::Device device, V& vae, zg::data::DataLoader& loader,
                 zg::train::TrainerState& state, EpochLoss& loss, zg::train::Progress& progress, const fs::path& ckpt,
                 Save&& save) {
  vae.train();
  for (auto it = zg::train::resume_epoch(loader, state); it != loader.end(); ++it) {
    const zg::models::VAEStats s = vae.train_step(it->images.to(device));
    if (!s.skipped) {
      loss.sum += s.loss;
      ++loss.count;
    }
    ++state.batch;
    progress.update(vae.step(), state.epoch + 1, {{"loss", s.loss}, {"kl", s.kl}});
    if (cfg.checkpoint_every > 0 && vae.step() % cfg.checkpoint_every == 0 && state.batch < loader.size()) {
      save();
      progress.message("step " + std::to_string(vae.step()) + ": wrote " + ckpt.string());
    }
  }
  progress.finish();
}

template <typename Nets>
int train(const Config& cfg, const zg::Device device, Nets nets, const zg::data::MNIST& train_set,
          const zg::data::MNIST& test_set, const std::map<std::string, std::string>& architecture) {
  zg::models::VAE vae(std::move(nets), zg::models::BernoulliLikelihood{},
                      {.optimizer = {.lr = cfg.lr},
                       .non_finite = cfg.non_finite == "skip" ? zg::optim::NonFinitePolicy::Skip
                                                              : zg::optim::NonFinitePolicy::Raise});
  vae.to(device);  // before a checkpoint's state is copied in
  const fs::path out = cfg.out;
  const fs::path ckpt = out / "checkpoint.safetensors", csv = out / "loss.csv";
  const std::string title = "VAE (" + cfg.model + ") on " + cfg.dataset;
  zg::data::DataLoader loader(train_set, {.batch_size = cfg.batch_size});
  if (loader.size() == 0)
    throw zg::ValueError("no full batch of " + std::to_string(cfg.batch_size) + " in " +
                         std::to_string(train_set.size()) + " training images");

  // state.epoch is the epoch in progress, 0-based (printed 1-based).
  zg::train::TrainerState state;
  EpochLoss loss;
  zg::train::MetricLog log(kColumns);
  if (cfg.resume) resume(cfg, ckpt, csv, architecture, vae, state, loss, log);

  auto save = [&] {
    state.step = vae.step();
    state.rng = zg::default_generator().state();
    auto parts = vae.state_dict();
    parts["trainer"] = zg::train::to_state_dict(state);
    parts["trainer"]["epoch_loss_sum"] = zg::scalar_tensor(loss.sum, {.dtype = zg::DType::Float64});
    parts["trainer"]["epoch_loss_count"] = zg::scalar_tensor(static_cast<double>(loss.count), {.dtype = zg::DType::Int64});
    log.write_csv(csv.string());
    zg::io::save_checkpoint(ckpt.string(), parts, architecture);
  };

  const zg::Tensor test_images = test_set.images().to(device);  // evaluated where the model is
  std::printf("training %s: %lld train images (%lld steps per epoch), %lld test images, latent %lld, on %s\n",
              title.c_str(), static_cast<long long>(train_set.size()), static_cast<long long>(loader.size()),
              static_cast<long long>(test_set.size()), static_cast<long long>(vae.latent_dim()),
              zengen_examples::device_label(device).c_str());
  std::fflush(stdout);

  std::vector<std::string> written;
  zg::train::Progress progress(std::cout, {.total_steps = cfg.epochs * loader.size(), .log_every = cfg.log_every,
                                           .label = "vae"});
  const auto run_start = Clock::now();
  auto epoch_start = Clock::now();
  while (state.epoch < cfg.epochs) {
    train_epoch(cfg, device, vae, loader, state, loss, progress, ckpt, save);
    const int epoch = static_cast<int>(state.epoch) + 1;

    vae.eval();
    const double train_loss = loss.mean();
    const double nelbo = test_nelbo(vae, test_images);
    written = write_epoch_images(vae, test_images, out, epoch);
    const double secs = seconds_since(epoch_start);
    log.add({static_cast<double>(epoch), static_cast<double>(vae.step()), train_loss, nelbo, secs});
    plot(out / "loss.png", log, title);

    ++state.epoch;
    state.batch = 0;
    loss = {};
    save();
    std::printf("epoch %d/%d: train loss %.2f, test -ELBO %.2f nats/image, %.1f s%s\n", epoch, cfg.epochs, train_loss,
                nelbo, secs,
                vae.skipped_steps() > 0 ? (", " + std::to_string(vae.skipped_steps()) + " steps skipped (NaN/Inf)").c_str()
                                        : "");
    std::fflush(stdout);
    epoch_start = Clock::now();
  }

  report_iwae(vae, test_images);
  std::printf("total %.1f s\n", seconds_since(run_start));
  written.push_back((out / "loss.png").string());
  written.push_back(csv.string());
  written.push_back(ckpt.string());
  std::printf("wrote:\n");
  for (const auto& p : written)
    if (fs::exists(p)) std::printf("  %s\n", p.c_str());
  return 0;
}

int run(const Config& cfg) {
  if (const int skipped = zengen_examples::check_data_folder(
          "vae_train", cfg.data, "scripts/fetch-data.sh downloads MNIST and Fashion-MNIST"))
    return skipped;
  zg::train::ensure_writable_dir(cfg.out);  // before loading and training
  const zg::Device device = zengen_examples::parse_device(cfg.device);
  zengen_examples::check_device(device);
  if (cfg.deterministic) zg::set_deterministic(true);

  zg::manual_seed(cfg.seed);
  const zg::data::MNISTOptions train_opts{.split = zg::data::Split::Train, .range = zg::data::Range::ZeroToOne,
                                          .limit = cfg.limit};
  const zg::data::MNISTOptions test_opts{.split = zg::data::Split::Test, .range = zg::data::Range::ZeroToOne};
  const bool fashion = cfg.dataset == "fashion-mnist";
  const zg::data::MNIST train_set = fashion ? zg::data::FashionMNIST(cfg.data, train_opts)
                                            : zg::data::MNIST(cfg.data, train_opts);
  const zg::data::MNIST test_set = fashion ? zg::data::FashionMNIST(cfg.data, test_opts)
                                           : zg::data::MNIST(cfg.data, test_opts);

  // What generate needs to rebuild the decoder, and what a resumed run must share.
  std::map<std::string, std::string> architecture{{"model", "vae-" + cfg.model},
                                                  {"trainer", "vae_train"},
                                                  {"image_size", "28"},
                                                  {"channels", "1"},
                                                  {"latent", std::to_string(cfg.latent)},
                                                  {"dataset", cfg.dataset},
                                                  {"examples", std::to_string(train_set.size())},
                                                  {"batch_size", std::to_string(cfg.batch_size)}};
  if (cfg.model == "conv") {
    const zg::models::ConvVAEOptions options{.channels = 1, .size = 28, .latent = cfg.latent};
    architecture["base"] = std::to_string(options.base);
    return train(cfg, device, zg::models::conv_vae(options), train_set, test_set, architecture);
  }
  const zg::models::MLPVAEOptions options{.input = {1, 28, 28}, .hidden = 400, .latent = cfg.latent};
  architecture["hidden"] = std::to_string(options.hidden);
  return train(cfg, device, zg::models::mlp_vae(options), train_set, test_set, architecture);
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  CLI::App app{"Trains a VAE on MNIST or Fashion-MNIST (Bernoulli likelihood, pixels in [0, 1])", "vae_train"};
  app.add_option("--data", cfg.data, "folder holding the idx files")->capture_default_str();
  app.add_option("--dataset", cfg.dataset, "mnist or fashion-mnist")
      ->check(CLI::IsMember({"mnist", "fashion-mnist"}))
      ->capture_default_str();
  app.add_option("--model", cfg.model, "mlp (784-400-latent) or conv")
      ->check(CLI::IsMember({"mlp", "conv"}))
      ->capture_default_str();
  app.add_option("--epochs", cfg.epochs, "train up to this epoch")->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--batch-size", cfg.batch_size, "examples per step")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--lr", cfg.lr, "Adam's learning rate")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--latent", cfg.latent, "latent dimensions")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--limit", cfg.limit, "use only the first N training images (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--out", cfg.out, "output folder (images, loss.csv, loss.png, checkpoint)")->capture_default_str();
  app.add_option("--seed", cfg.seed, "random seed (weights, shuffles, noise)")->capture_default_str();
  app.add_flag("--resume", cfg.resume, "continue from <out>/checkpoint.safetensors");
  app.add_option("--device", cfg.device, zengen_examples::kDeviceHelp)->capture_default_str();
  app.add_flag("--deterministic", cfg.deterministic,
               "the same bits on every run on a GPU too (slower convolution weight gradients on CUDA)");
  app.add_option("--log-every", cfg.log_every, "progress line every N steps when stdout is not a terminal")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--checkpoint-every", cfg.checkpoint_every,
                 "also write the checkpoint every N steps within an epoch (0: only at each epoch's end)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--non-finite", cfg.non_finite, "a NaN/Inf loss or gradient: raise (stop, naming it) or skip the step")
      ->check(CLI::IsMember({"raise", "skip"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  return zengen_examples::run_reporting_errors("vae_train", [&] { return run(cfg); });
}
