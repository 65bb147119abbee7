// vae_train: trains a VAE (the PyTorch example's MLP, or a small conv VAE)
// on MNIST or Fashion-MNIST from the command line, with a Bernoulli
// likelihood over pixels in [0, 1]. Each epoch it reports the test-set
// negative ELBO and writes, under --out: samples_epochNN.png,
// reconstructions_epochNN.png, interpolations.png, loss.csv, loss.png and
// checkpoint.safetensors (which --resume continues from). At the end it
// prints the IWAE (k = 50) bound on 1,000 test images.
//
//   vae_train --data data/mnist --epochs 10 --out out/vae
//   vae_train --dataset fashion-mnist --data data/fashion-mnist --model conv
//   vae_train --epochs 20 --resume          # continues out/vae/checkpoint.safetensors
//
// Exit status: 0 done, 1 error ("vae_train: <message>"), 77 when the data
// folder is missing and ZENGEN_SKIP_MISSING_DATA=1 (what the smoke test sets).
#include <zengen/zengen.hpp>

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

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
};

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string epoch_name(const std::string& stem, int epoch) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s_epoch%02d.png", stem.c_str(), epoch);
  return buf;
}

/// One row of loss.csv.
struct Record {
  int epoch = 0;
  std::int64_t step = 0;
  double train_loss = 0, test_nelbo = 0, seconds = 0;
};

/// The rows of an existing loss.csv (for a resumed run's curves); rows past
/// `up_to_epoch` (from a run that went further than its checkpoint) are dropped.
std::vector<Record> read_csv(const fs::path& path, int up_to_epoch) {
  std::vector<Record> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    Record r;
    char c1, c2, c3, c4;
    std::istringstream ss(line);
    if (ss >> r.epoch >> c1 >> r.step >> c2 >> r.train_loss >> c3 >> r.test_nelbo >> c4 >> r.seconds &&
        r.epoch <= up_to_epoch)
      rows.push_back(r);
  }
  return rows;
}

void write_csv(const fs::path& path, const std::vector<Record>& rows) {
  std::ofstream out(path, std::ios::trunc);
  out << "epoch,step,train_loss,test_nelbo,seconds\n";
  for (const Record& r : rows)
    out << r.epoch << ',' << r.step << ',' << r.train_loss << ',' << r.test_nelbo << ',' << r.seconds << '\n';
  if (!out) throw zg::IOError("vae_train: cannot write " + path.string());
}

void plot(const fs::path& path, const std::vector<Record>& rows, const std::string& title) {
  zg::io::Series train{"train loss", {}, {}}, test{"test -ELBO", {}, {}};
  for (const Record& r : rows) {
    train.x.push_back(r.epoch);
    train.y.push_back(r.train_loss);
    test.x.push_back(r.epoch);
    test.y.push_back(r.test_nelbo);
  }
  zg::io::plot_curves(path.string(), {train, test},
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

template <typename Nets>
int train(const Config& cfg, Nets nets, const zg::data::MNIST& train_set, const zg::data::MNIST& test_set) {
  zg::models::VAE vae(std::move(nets), zg::models::BernoulliLikelihood{},
                      {.optimizer = {.lr = cfg.lr}});
  const fs::path out = cfg.out;
  const fs::path ckpt = out / "checkpoint.safetensors", csv = out / "loss.csv";
  const std::string title = "VAE (" + cfg.model + ") on " + cfg.dataset;

  int start_epoch = 0;
  std::vector<Record> rows;
  if (cfg.resume) {
    if (!fs::exists(ckpt))
      throw zg::IOError("--resume: no checkpoint at " + ckpt.string() + " (train without --resume first)");
    const zg::io::Checkpoint c = zg::io::load_checkpoint(ckpt.string());
    vae.load_state_dict(c.parts);
    const auto& trainer = c.part("trainer");
    if (!trainer.contains("epoch"))
      throw zg::FormatError(ckpt.string() + ": part \"trainer\" has no \"epoch\"");
    start_epoch = static_cast<int>(trainer.at("epoch").item<double>());
    rows = read_csv(csv, start_epoch);
    std::printf("resumed from %s: epoch %d, step %lld\n", ckpt.string().c_str(), start_epoch,
                static_cast<long long>(vae.step()));
    if (start_epoch >= cfg.epochs)
      std::printf("the checkpoint is already at epoch %d of %d: nothing to train\n", start_epoch, cfg.epochs);
  }

  zg::data::DataLoader loader(train_set, {.batch_size = cfg.batch_size});
  if (loader.size() == 0)
    throw zg::ValueError("no full batch of " + std::to_string(cfg.batch_size) + " in " +
                         std::to_string(train_set.size()) + " training images");
  const zg::Tensor& test_images = test_set.images();
  const bool tty = ::isatty(::fileno(stdout)) != 0;
  std::printf("training %s: %lld train images (%lld steps per epoch), %lld test images, latent %lld\n",
              title.c_str(), static_cast<long long>(train_set.size()), static_cast<long long>(loader.size()),
              static_cast<long long>(test_set.size()), static_cast<long long>(vae.latent_dim()));
  std::fflush(stdout);

  std::vector<std::string> written;
  const auto run_start = Clock::now();
  for (int epoch = start_epoch + 1; epoch <= cfg.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    vae.train();
    double loss_sum = 0;
    std::int64_t i = 0, window_steps = 0;
    auto window_start = Clock::now();
    double rate = 0;
    for (const auto& batch : loader) {
      const zg::models::VAEStats s = vae.train_step(batch.images);
      loss_sum += s.loss;
      ++i;
      ++window_steps;
      const bool last = i == loader.size();
      if (tty || i % cfg.log_every == 0 || last) {
        const double dt = seconds_since(window_start);
        if (dt > 0.5 || !tty || last) {
          rate = static_cast<double>(window_steps) / std::max(dt, 1e-9);
          window_start = Clock::now();
          window_steps = 0;
        }
        if (tty)
          std::printf("\repoch %d/%d  step %lld/%lld  loss %.2f  %.1f it/s   ", epoch, cfg.epochs,
                      static_cast<long long>(i), static_cast<long long>(loader.size()), s.loss, rate);
        else
          std::printf("epoch %d/%d  step %lld/%lld  loss %.2f  %.1f it/s\n", epoch, cfg.epochs,
                      static_cast<long long>(i), static_cast<long long>(loader.size()), s.loss, rate);
        std::fflush(stdout);
      }
    }
    if (tty) std::printf("\n");

    vae.eval();
    const double train_loss = loss_sum / static_cast<double>(i);
    const double nelbo = test_nelbo(vae, test_images);
    {
      zg::NoGradGuard no_grad;
      const zg::io::ImageGridOptions grid{.range = zg::io::ImageRange::ZeroToOne};
      written = {(out / epoch_name("samples", epoch)).string(), (out / epoch_name("reconstructions", epoch)).string(),
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
    }
    const double secs = seconds_since(epoch_start);
    rows.push_back({epoch, vae.step(), train_loss, nelbo, secs});
    write_csv(csv, rows);
    plot(out / "loss.png", rows, title);

    auto parts = vae.state_dict();
    parts["trainer"] = {{"epoch", zg::scalar_tensor(static_cast<double>(epoch), {.dtype = zg::DType::Int64})}};
    zg::io::save_checkpoint(ckpt.string(), parts);

    std::printf("epoch %d/%d: train loss %.2f, test -ELBO %.2f nats/image, %.1f s\n", epoch, cfg.epochs, train_loss,
                nelbo, secs);
    std::fflush(stdout);
  }

  const std::int64_t n_iwae = std::min<std::int64_t>(1000, test_images.size(0));
  vae.eval();
  const auto iwae_start = Clock::now();
  const double bound = iwae_bound(vae, test_images.narrow(0, 0, n_iwae), 50);
  std::printf("IWAE (k=50) on %lld test images: log p(x) >= %.2f nats/image, %.1f s\n",
              static_cast<long long>(n_iwae), bound, seconds_since(iwae_start));
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
  if (!fs::is_directory(cfg.data)) {
    const char* skip = std::getenv("ZENGEN_SKIP_MISSING_DATA");
    if (skip && std::string(skip) == "1") {
      std::printf("vae_train: no data folder %s: skipped (ZENGEN_SKIP_MISSING_DATA=1)\n", cfg.data.c_str());
      return 77;
    }
    throw zg::IOError("no data folder " + cfg.data + " (scripts/fetch-data.sh downloads MNIST and Fashion-MNIST)");
  }
  try {
    fs::create_directories(cfg.out);
  } catch (const fs::filesystem_error& e) {
    std::fprintf(stderr, "vae_train: cannot create the output folder %s: %s\n", cfg.out.c_str(),
                 e.code().message().c_str());
    return 1;
  }

  zg::manual_seed(cfg.seed);
  const zg::data::MNISTOptions train_opts{.split = zg::data::Split::Train, .range = zg::data::Range::ZeroToOne,
                                          .limit = cfg.limit};
  const zg::data::MNISTOptions test_opts{.split = zg::data::Split::Test, .range = zg::data::Range::ZeroToOne};
  const bool fashion = cfg.dataset == "fashion-mnist";
  const zg::data::MNIST train_set = fashion ? zg::data::FashionMNIST(cfg.data, train_opts)
                                            : zg::data::MNIST(cfg.data, train_opts);
  const zg::data::MNIST test_set = fashion ? zg::data::FashionMNIST(cfg.data, test_opts)
                                           : zg::data::MNIST(cfg.data, test_opts);

  if (cfg.model == "conv")
    return train(cfg, zg::models::conv_vae({.channels = 1, .size = 28, .latent = cfg.latent}), train_set, test_set);
  return train(cfg, zg::models::mlp_vae({.input = {1, 28, 28}, .hidden = 400, .latent = cfg.latent}), train_set,
               test_set);
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
  app.add_option("--log-every", cfg.log_every, "progress line every N steps when stdout is not a terminal")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    return run(cfg);
  } catch (const zg::Error& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "vae_train: %s\n", e.what());
    return 1;
  }
}
