// dcgan_train: trains a DCGAN (Radford et al.) from the command line on
// Fashion-MNIST at 32x32 (the default), MNIST, the emoji (64x64 RGB) or any
// image folder. Under --out it writes samples_stepNNNNNN.png (from the same
// fixed noise every --sample-every steps, EMA weights when on),
// samples_final.png, loss.csv (every step) and loss.png, and
// checkpoint.safetensors every --checkpoint-every steps and at the end.
// --resume continues from that checkpoint exactly where the run stopped
// (networks, optimizers, EMA, random state, position in the data, step): a
// run stopped and resumed ends with the very weights of an uninterrupted one.
//
//   dcgan_train --steps 2000 --out out/dcgan
//   dcgan_train --dataset emoji --data data/emoji --minutes 10
//   dcgan_train --data my_images/ --size 64 --objective hinge   # any image folder
//   dcgan_train --steps 4000 --resume          # continues out/dcgan/checkpoint.safetensors
//   dcgan_train --device cuda                  # on the GPU (default: auto, the GPU when present)
//
// Fashion-MNIST and MNIST are 28x28: the default --size 32 pads them with
// 2 background pixels on each side rather than resizing, so no pixel is
// resampled (the strokes stay sharp) and the DCGAN keeps its power-of-two
// layout; --size 28 trains on them as they are.
//
// Exit status: 0 done, 1 error ("dcgan_train: <message>"), 77 when the data
// folder is missing and ZENGEN_SKIP_MISSING_DATA=1 (what the tests set).
#include <zengen/zengen.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
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
  std::string dataset = "fashion-mnist";
  std::string data;  // default: data/<dataset>
  std::int64_t size = 0;  // default: 32 (MNIST kinds), 64 (images)
  int channels = 3;       // image folders only
  std::int64_t limit = 0;
  bool flip = false;
  std::string objective = "nonsaturating";
  std::int64_t nz = 100, ngf = 64, ndf = 64;
  double g_lr = 2e-4, d_lr = 2e-4, beta1 = 0.5;
  int d_steps = 1;
  double label_smoothing = 0.0, ema = 0.999, wgan_clip = 0.01;
  std::string non_finite = "raise";
  std::int64_t batch_size = 64;
  std::int64_t steps = 0;
  int epochs = 5;
  double minutes = 0;
  std::int64_t sample_every = 500, checkpoint_every = 500, log_every = 50;
  std::string out = "out/dcgan";
  std::uint64_t seed = 0;
  bool resume = false;
  std::string device = "auto";
  bool deterministic = false;
};

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string step_name(const std::string& stem, std::int64_t step) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s_step%06lld.png", stem.c_str(), static_cast<long long>(step));
  return buf;
}

/// [N, 1, 28, 28] -> [N, 1, 32, 32], the new border at the background's -1.
zg::Tensor pad_to_32(const zg::Tensor& images) {
  zg::Tensor out = zg::full({images.size(0), images.size(1), 32, 32}, -1.0);
  zg::NoGradGuard no_grad;
  zg::narrow(zg::narrow(out, 2, 2, 28), 3, 2, 28).copy_(images);
  return out;
}

/// The training images, [N, C, size, size] in [-1, 1].
zg::Tensor load_images(const Config& cfg) {
  if (cfg.dataset == "mnist" || cfg.dataset == "fashion-mnist") {
    const zg::data::MNISTOptions opts{.split = zg::data::Split::Train, .limit = cfg.limit};
    const zg::data::MNIST set = cfg.dataset == "mnist" ? zg::data::MNIST(cfg.data, opts)
                                                       : zg::data::FashionMNIST(cfg.data, opts);
    return cfg.size == 32 ? pad_to_32(set.images()) : set.images();
  }
  const zg::data::ImageFolder folder(cfg.data, {.size = cfg.size, .channels = cfg.channels});
  if (!folder.skipped().empty())
    std::printf("%zu files in %s could not be read and were left out\n", folder.skipped().size(), cfg.data.c_str());
  const zg::Tensor& all = folder.images();
  return cfg.limit > 0 && cfg.limit < all.size(0) ? all.narrow(0, 0, cfg.limit).contiguous() : all;
}

/// What generate needs to rebuild the generator, stored in the checkpoint.
/// The data settings are there too: a resumed run must see the same batches.
std::map<std::string, std::string> architecture(const Config& cfg, const zg::Tensor& images) {
  const std::int64_t channels = images.size(1);
  return {{"model", "dcgan"},
          {"trainer", "dcgan_train"},
          {"examples", std::to_string(images.size(0))},
          {"batch_size", std::to_string(cfg.batch_size)},
          {"image_size", std::to_string(cfg.size)},
          {"channels", std::to_string(channels)},
          {"latent", std::to_string(cfg.nz)},
          {"ngf", std::to_string(cfg.ngf)},
          {"ndf", std::to_string(cfg.ndf)},
          {"objective", cfg.objective},
          {"dataset", cfg.dataset}};
}

/// Per-step figures averaged over bins, so the plot stays readable for long runs.
std::vector<zg::io::Series> binned_curves(const zg::train::MetricLog& log) {
  const std::vector<double> steps = log.column("step");
  const std::size_t n = steps.size(), bin = std::max<std::size_t>(1, n / 300);
  std::vector<zg::io::Series> curves;
  for (const char* name : {"d_loss", "g_loss"}) {
    const std::vector<double> y = log.column(name);
    zg::io::Series s{name, {}, {}};
    for (std::size_t i = 0; i + bin <= n; i += bin) {
      double sx = 0, sy = 0;
      for (std::size_t j = i; j < i + bin; ++j) sx += steps[j], sy += y[j];
      s.x.push_back(sx / static_cast<double>(bin));
      s.y.push_back(sy / static_cast<double>(bin));
    }
    curves.push_back(std::move(s));
  }
  return curves;
}

const std::vector<std::string> kColumns{"step", "epoch", "d_loss", "g_loss", "d_real", "d_fake"};

/// Where a run writes: the output folder, its checkpoint and its loss log.
struct Paths {
  fs::path out, ckpt, csv;
  explicit Paths(const fs::path& folder)
      : out(folder), ckpt(folder / "checkpoint.safetensors"), csv(folder / "loss.csv") {}
};

template <typename Objective>
auto make_gan(const Config& cfg, std::int64_t channels, Objective objective) {
  return zg::models::GAN(
      zg::models::dcgan_generator({.nz = cfg.nz, .ngf = cfg.ngf, .size = cfg.size, .channels = channels}),
      zg::models::dcgan_discriminator({.ndf = cfg.ndf, .size = cfg.size, .channels = channels}), objective,
      zg::models::GANOptions{
          .g = {.lr = cfg.g_lr, .beta1 = cfg.beta1},
          .d = {.lr = cfg.d_lr, .beta1 = cfg.beta1},
          .d_steps = cfg.d_steps,
          .label_smoothing = cfg.label_smoothing,
          .ema_decay = cfg.ema,
          .ema_warmup = true,  // short runs (the demo's few hundred steps) still sample from trained weights
          .fixed_noise = 64,
          .non_finite = cfg.non_finite == "skip" ? zg::optim::NonFinitePolicy::Skip : zg::optim::NonFinitePolicy::Raise});
}

/// --resume: the GAN's parts and the trainer state from the checkpoint
/// (after checking that it was trained the same way), and the log up to its
/// step. Other data (a different dataset, size or batch) continue from the
/// checkpoint's step with the epoch started over.
template <typename Gan>
void resume(const Paths& paths, const std::map<std::string, std::string>& arch, Gan& gan,
            zg::train::TrainerState& state, zg::train::MetricLog& log) {
  if (!fs::exists(paths.ckpt))
    throw zg::IOError("--resume: no checkpoint at " + paths.ckpt.string() + " (train without --resume first)");
  const zg::io::Checkpoint c = zg::io::load_checkpoint(paths.ckpt.string());
  const auto data_changes = zg::train::check_resume_metadata(
      c.metadata, arch, paths.ckpt.string(), {"model", "image_size", "channels", "latent", "ngf", "ndf", "objective"},
      {"dataset", "examples", "batch_size"});
  gan.load_state_dict(c.parts);
  state = zg::train::trainer_state_from(c.part("trainer"), paths.ckpt.string());
  if (!data_changes.empty()) {
    // Other data: the saved position names other batches. Start the epoch afresh.
    for (const auto& change : data_changes) std::printf("note: the data changed since the checkpoint (%s)\n", change.c_str());
    std::printf("note: so the run continues from step %lld, but not exactly as it would have: epoch %lld starts over\n",
                static_cast<long long>(state.step), static_cast<long long>(state.epoch));
    state.batch = 0;
  }
  if (fs::exists(paths.csv)) {
    log = zg::train::MetricLog::read_csv(paths.csv.string(), kColumns);
    log.truncate_after(static_cast<double>(state.step));  // steps after the checkpoint are trained again
  }
  std::printf("resumed from %s: step %lld, epoch %lld, batch %lld\n", paths.ckpt.string().c_str(),
              static_cast<long long>(state.step), static_cast<long long>(state.epoch),
              static_cast<long long>(state.batch));
}

void print_start(const Config& cfg, const zg::Tensor& images, std::int64_t batches, std::int64_t total,
                 zg::Device device) {
  char budget_text[64] = "";
  if (cfg.minutes > 0) std::snprintf(budget_text, sizeof budget_text, ", at most %g minutes", cfg.minutes);
  std::printf("training DCGAN (%s) on %s: %lld images %lldx%lldx%lld, %lld batches of %lld per epoch, up to step %lld%s, on %s\n",
              cfg.objective.c_str(), cfg.dataset.c_str(), static_cast<long long>(images.size(0)),
              static_cast<long long>(images.size(1)), static_cast<long long>(cfg.size),
              static_cast<long long>(cfg.size), static_cast<long long>(batches),
              static_cast<long long>(cfg.batch_size), static_cast<long long>(total), budget_text,
              zengen_examples::device_label(device).c_str());
  std::fflush(stdout);
}

/// The steps from the GAN's step up to `total`, epoch after epoch, logging,
/// sampling and checkpointing (`save`) as configured; `samples(path)`
/// writes a grid. Returns true when the time budget stopped it.
template <typename Gan, typename Save, typename Samples>
bool train_steps(const Config& cfg, zg::Device device, const Paths& paths, Gan& gan, zg::data::DataLoader& loader,
                 std::int64_t total, zg::train::TrainerState& state, zg::train::MetricLog& log, Save&& save,
                 Samples&& samples) {
  const double budget = cfg.minutes * 60.0;
  zg::train::Progress progress(
      std::cout, {.total_steps = total, .time_budget_seconds = budget, .log_every = cfg.log_every, .label = "dcgan"});
  const auto start = Clock::now();
  bool out_of_time = false;
  while (gan.step() < total && !out_of_time) {
    for (auto it = zg::train::resume_epoch(loader, state); it != loader.end(); ++it) {
      const zg::models::GANStepStats s = gan.train_step(it->images.to(device));
      const std::int64_t step = gan.step();
      if (++state.batch == loader.size()) {  // the epoch is done: a checkpoint now starts the next one
        ++state.epoch;
        state.batch = 0;
      }
      log.add({static_cast<double>(step), static_cast<double>(state.epoch), s.d_loss, s.g_loss, s.d_real, s.d_fake});
      progress.update(step, state.epoch, {{"D", s.d_loss}, {"G", s.g_loss}, {"D(x)", s.d_real}, {"D(G(z))", s.d_fake}});
      if (step % cfg.sample_every == 0) samples(paths.out / step_name("samples", step));
      out_of_time = budget > 0 && seconds_since(start) >= budget;
      if (step % cfg.checkpoint_every == 0 && step < total && !out_of_time) {
        save();
        progress.message("step " + std::to_string(step) + ": wrote " + paths.ckpt.string());
      }
      if (step >= total || out_of_time) break;
    }
  }
  progress.finish();
  return out_of_time;
}

template <typename Objective>
int train(const Config& cfg, const zg::Device device, const zg::Tensor& images, Objective objective) {
  const Paths paths(cfg.out);
  const auto arch = architecture(cfg, images);
  auto gan = make_gan(cfg, images.size(1), objective);
  gan.to(device);  // the optimizers' state, fresh or loaded below, follows the parameters at their next step
  zg::data::DataLoader loader(images, zg::Tensor(), {.batch_size = cfg.batch_size, .random_flip = cfg.flip});
  if (loader.size() == 0)
    throw zg::ValueError("no full batch of " + std::to_string(cfg.batch_size) + " in " +
                         std::to_string(images.size(0)) + " training images");

  zg::train::TrainerState state;
  zg::train::MetricLog log(kColumns);
  if (cfg.resume) resume(paths, arch, gan, state, log);
  const std::int64_t total = cfg.steps > 0 ? cfg.steps : cfg.epochs * loader.size();
  print_start(cfg, images, loader.size(), total, device);

  auto save = [&] {
    state.step = gan.step();
    state.rng = zg::default_generator().state();
    auto parts = gan.state_dict();
    parts["trainer"] = zg::train::to_state_dict(state);
    log.write_csv(paths.csv.string());  // first: the log never lags behind the checkpoint
    zg::io::save_checkpoint(paths.ckpt.string(), parts, arch);
  };
  std::vector<std::string> written;
  auto samples = [&](const fs::path& path) {
    zg::io::save_image_grid(gan.sample_fixed(), path.string());
    written.push_back(path.string());
  };

  const auto start = Clock::now();
  const std::int64_t first_step = gan.step();
  const bool out_of_time = train_steps(cfg, device, paths, gan, loader, total, state, log, save, samples);
  const double secs = seconds_since(start);
  if (out_of_time) std::printf("stopped at step %lld: the %g-minute budget is spent\n",
                               static_cast<long long>(gan.step()), cfg.minutes);
  save();
  samples(paths.out / "samples_final.png");
  zg::io::plot_curves((paths.out / "loss.png").string(), binned_curves(log),
                      {.title = "DCGAN (" + cfg.objective + ") on " + cfg.dataset, .x_label = "step", .y_label = "loss"});
  const std::int64_t trained = gan.step() - first_step;
  std::printf("%lld steps in %.1f s (%.2f steps/s)%s\n", static_cast<long long>(trained), secs,
              secs > 0 ? static_cast<double>(trained) / secs : 0.0,
              gan.skipped_updates() > 0
                  ? (", " + std::to_string(gan.skipped_updates()) + " non-finite updates skipped").c_str()
                  : "");
  written.push_back((paths.out / "loss.png").string());
  written.push_back(paths.csv.string());
  written.push_back(paths.ckpt.string());
  std::printf("wrote:\n");
  for (const auto& p : written) std::printf("  %s\n", p.c_str());
  return 0;
}

bool holds_idx_files(const std::string& folder) {
  for (const char* name : {"train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"})
    if (fs::exists(fs::path(folder) / name)) return true;
  return false;
}

int run(Config cfg, bool dataset_given) {
  // `--data photos/` alone: a folder without MNIST's idx files is an image folder.
  if (!dataset_given && !cfg.data.empty() && fs::is_directory(cfg.data) && !holds_idx_files(cfg.data))
    cfg.dataset = "folder";
  const bool mnist_kind = cfg.dataset == "mnist" || cfg.dataset == "fashion-mnist";
  if (cfg.data.empty()) {
    if (cfg.dataset == "folder") throw zg::ValueError("--dataset folder needs --data <image folder>");
    cfg.data = "data/" + cfg.dataset;
  }
  if (cfg.size == 0) cfg.size = mnist_kind ? 32 : 64;
  if (mnist_kind && cfg.size != 28 && cfg.size != 32)
    throw zg::ValueError("--size for " + cfg.dataset + " must be 28 (as stored) or 32 (padded), got " +
                         std::to_string(cfg.size));
  if (cfg.size != 28 && cfg.size != 32 && cfg.size != 64)
    throw zg::ValueError("--size must be 28, 32 or 64 (the DCGAN layouts), got " + std::to_string(cfg.size));
  if (const int skipped = zengen_examples::check_data_folder(
          "dcgan_train", cfg.data, "scripts/fetch-data.sh downloads Fashion-MNIST, MNIST and the emoji"))
    return skipped;
  zg::train::ensure_writable_dir(cfg.out);  // before minutes of loading and training
  const zg::Device device = zengen_examples::parse_device(cfg.device);
  zengen_examples::check_device(device);
  if (cfg.deterministic) zg::set_deterministic(true);

  zg::manual_seed(cfg.seed);
  const zg::Tensor images = load_images(cfg);
  if (cfg.objective == "minimax") return train(cfg, device, images, zg::models::MinimaxLoss{});
  if (cfg.objective == "lsgan") return train(cfg, device, images, zg::models::LeastSquaresLoss{});
  if (cfg.objective == "hinge") return train(cfg, device, images, zg::models::HingeLoss{});
  if (cfg.objective == "wgan") return train(cfg, device, images, zg::models::WassersteinLoss{.clip = cfg.wgan_clip});
  return train(cfg, device, images, zg::models::NonSaturatingLoss{});
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  CLI::App app{"Trains a DCGAN on Fashion-MNIST (32x32) by default, or MNIST, the emoji (64x64 RGB) or an image folder",
               "dcgan_train"};
  auto* dataset = app.add_option("--dataset", cfg.dataset,
                                 "fashion-mnist, mnist, emoji or folder (with --data alone: folder unless it holds idx files)")
      ->check(CLI::IsMember({"fashion-mnist", "mnist", "emoji", "folder"}))
      ->capture_default_str();
  app.add_option("--data", cfg.data, "the data folder (default: data/<dataset>)");
  app.add_option("--size", cfg.size, "image size: 28, 32 or 64 (default: 32 for the MNIST kinds, 64 for images)");
  app.add_option("--channels", cfg.channels, "image folders: 1 (grey) or 3 (RGB)")
      ->check(CLI::IsMember({1, 3}))
      ->capture_default_str();
  app.add_option("--limit", cfg.limit, "use only the first N training images (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_flag("--flip", cfg.flip, "mirror training images left-right at random");
  app.add_option("--objective", cfg.objective, "minimax, nonsaturating, lsgan, hinge or wgan (weight clipping)")
      ->check(CLI::IsMember({"minimax", "nonsaturating", "lsgan", "hinge", "wgan"}))
      ->capture_default_str();
  app.add_option("--nz", cfg.nz, "latent size")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--ngf", cfg.ngf, "generator width (feature maps of its last hidden layer)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--ndf", cfg.ndf, "discriminator width")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--g-lr", cfg.g_lr, "generator learning rate (Adam)")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--d-lr", cfg.d_lr, "discriminator learning rate (Adam)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--beta1", cfg.beta1, "Adam's beta1 for both")->check(CLI::Range(0.0, 0.999))->capture_default_str();
  app.add_option("--d-steps", cfg.d_steps, "discriminator updates per generator update")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--label-smoothing", cfg.label_smoothing, "one-sided: the real target is 1 - this")
      ->check(CLI::Range(0.0, 0.5))
      ->capture_default_str();
  app.add_option("--ema", cfg.ema, "EMA decay of the generator's weights used for samples (0: off)")
      ->check(CLI::Range(0.0, 0.99999))
      ->capture_default_str();
  app.add_option("--wgan-clip", cfg.wgan_clip, "wgan: clamp critic weights to [-c, c]")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--non-finite", cfg.non_finite, "a NaN/Inf loss or gradient: raise (stop, naming it) or skip the update")
      ->check(CLI::IsMember({"raise", "skip"}))
      ->capture_default_str();
  app.add_option("--batch-size", cfg.batch_size, "images per step")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--steps", cfg.steps, "train up to this step (0: use --epochs)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--epochs", cfg.epochs, "train up to this epoch when --steps is 0")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--minutes", cfg.minutes, "stop (with a checkpoint) after this much training time (0: no limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--sample-every", cfg.sample_every, "write a sample grid every N steps")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--checkpoint-every", cfg.checkpoint_every, "write the checkpoint every N steps")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--log-every", cfg.log_every, "progress line every N steps when stdout is not a terminal")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--out", cfg.out, "output folder (samples, loss.csv, loss.png, checkpoint)")->capture_default_str();
  app.add_option("--seed", cfg.seed, "random seed (weights, noise, shuffles)")->capture_default_str();
  app.add_flag("--resume", cfg.resume, "continue from <out>/checkpoint.safetensors");
  app.add_option("--device", cfg.device, zengen_examples::kDeviceHelp)->capture_default_str();
  app.add_flag("--deterministic", cfg.deterministic,
               "the same bits on every run on a GPU too (slower convolution weight gradients on CUDA)");
  CLI11_PARSE(app, argc, argv);

  return zengen_examples::run_reporting_errors("dcgan_train", [&] { return run(cfg, dataset->count() > 0); });
}
