// generate: new images from a dcgan_train or vae_train checkpoint. The
// checkpoint's metadata names the architecture (model kind, image size,
// channels, latent size, widths); generate rebuilds that network, loads its
// weights (the generator's EMA weights when the run kept them, the VAE's
// decoder) and writes N images, one PNG each, or one grid.
//
//   generate out/dcgan/checkpoint.safetensors --n 64 --grid --out grid.png
//   generate out/vae/checkpoint.safetensors --n 10 --out samples/    # samples/000000.png ...
//
// A checkpoint whose weights do not fit the architecture its metadata
// names, or a file that is not such a checkpoint, is refused with the file
// and the mismatch named. Exit status: 0 done, 1 error.
#include <zengen/zengen.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "cli_common.hpp"

namespace zg = zengen;
namespace fs = std::filesystem;

namespace {

struct Config {
  std::string checkpoint;
  std::int64_t n = 64;
  bool grid = false;
  std::int64_t nrow = 0;
  std::uint64_t seed = 0;
  std::string out = "generated.png";
  bool no_ema = false;
};

/// A metadata entry as a positive integer, or FormatError naming the file.
std::int64_t number(const zg::io::Checkpoint& c, const std::string& key) {
  const auto it = c.metadata.find(key);
  if (it == c.metadata.end())
    throw zg::FormatError(c.path + ": the metadata lacks \"" + key + "\" (written by dcgan_train or vae_train?)");
  try {
    std::size_t used = 0;
    const long long v = std::stoll(it->second, &used);
    if (used == it->second.size() && v > 0) return v;
  } catch (const std::exception&) {
  }
  throw zg::FormatError(c.path + ": metadata \"" + key + "\" is \"" + it->second + "\", expected a positive integer");
}

/// images [N, C, H, W]; `range` says how their values map to grey levels.
void write(const Config& cfg, const zg::Tensor& images, zg::io::ImageRange range) {
  if (cfg.grid) {
    const std::int64_t nrow = cfg.nrow > 0 ? cfg.nrow : std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(std::sqrt(static_cast<double>(cfg.n)))));
    if (fs::path(cfg.out).has_parent_path()) zg::train::ensure_writable_dir(fs::path(cfg.out).parent_path().string());
    zg::io::save_image_grid(images, cfg.out, {.nrow = nrow, .range = range});
    std::printf("wrote a grid of %lld images: %s\n", static_cast<long long>(cfg.n), cfg.out.c_str());
    return;
  }
  zg::train::ensure_writable_dir(cfg.out);
  for (std::int64_t i = 0; i < images.size(0); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "%06lld.png", static_cast<long long>(i));
    zg::io::save_image(images.select(0, i), (fs::path(cfg.out) / name).string(), range);
  }
  std::printf("wrote %lld images to %s/\n", static_cast<long long>(images.size(0)), cfg.out.c_str());
}

zg::Tensor dcgan_samples(const Config& cfg, const zg::io::Checkpoint& c) {
  const std::int64_t size = number(c, "image_size"), channels = number(c, "channels"), nz = number(c, "latent"),
                     ngf = number(c, "ngf");
  auto g = zg::models::dcgan_generator({.nz = nz, .ngf = ngf, .size = size, .channels = channels});
  zg::with_context(c.path + ": ", [&] {
    g.load_state_dict(c.part("generator"));
    // The EMA weights (what dcgan_train samples with), by parameter name.
    const auto ema = c.parts.find("ema");
    if (ema == c.parts.end() || ema->second.empty() || cfg.no_ema) return;
    zg::NoGradGuard no_grad;
    for (const auto& [name, p] : g.named_parameters()) {
      const auto it = ema->second.find(name);
      ZENGEN_CHECK(it != ema->second.end(), zg::FormatError, "the \"ema\" part lacks '", name, "'");
      ZENGEN_CHECK(it->second.shape() == p.shape(), zg::ShapeError, "ema '", name, "' has shape ", it->second.shape(),
                   ", the generator's parameter ", p.shape());
      p.copy_(it->second);
    }
  });
  std::printf("DCGAN generator: %lldx%lld, %lld channels, latent %lld, ngf %lld%s\n", static_cast<long long>(size),
              static_cast<long long>(size), static_cast<long long>(channels), static_cast<long long>(nz),
              static_cast<long long>(ngf), c.parts.contains("ema") && !cfg.no_ema ? " (EMA weights)" : "");
  zg::NoGradGuard no_grad;
  g.eval();
  return g.forward(zg::randn({cfg.n, nz, 1, 1}));
}

template <typename Nets>
zg::Tensor vae_samples(const Config& cfg, const zg::io::Checkpoint& c, Nets nets, std::int64_t latent) {
  zg::with_context(c.path + ": ", [&] { nets.decoder.load_state_dict(c.part("decoder")); });
  zg::NoGradGuard no_grad;
  nets.decoder.eval();
  return zg::models::BernoulliLikelihood{}.mean(nets.decoder.forward(zg::randn({cfg.n, latent})));
}

int run(const Config& cfg) {
  if (!fs::is_regular_file(cfg.checkpoint)) throw zg::IOError("no checkpoint file " + cfg.checkpoint);
  const zg::io::Checkpoint c = zg::io::load_checkpoint(cfg.checkpoint);
  const auto model = c.metadata.find("model");
  if (model == c.metadata.end())
    throw zg::FormatError(cfg.checkpoint + ": no \"model\" in the metadata: not a dcgan_train or vae_train checkpoint");
  zg::manual_seed(cfg.seed);
  if (model->second == "dcgan") {
    write(cfg, dcgan_samples(cfg, c), zg::io::ImageRange::MinusOneToOne);
  } else if (model->second == "vae-mlp") {
    const std::int64_t size = number(c, "image_size"), channels = number(c, "channels"), latent = number(c, "latent");
    auto nets = zg::models::mlp_vae({.input = {channels, size, size}, .hidden = number(c, "hidden"), .latent = latent});
    std::printf("MLP VAE decoder: %lldx%lld, latent %lld\n", static_cast<long long>(size),
                static_cast<long long>(size), static_cast<long long>(latent));
    write(cfg, vae_samples(cfg, c, std::move(nets), latent), zg::io::ImageRange::ZeroToOne);
  } else if (model->second == "vae-conv") {
    const std::int64_t size = number(c, "image_size"), channels = number(c, "channels"), latent = number(c, "latent");
    auto nets = zg::models::conv_vae({.channels = channels, .size = size, .latent = latent, .base = number(c, "base")});
    std::printf("conv VAE decoder: %lldx%lld, latent %lld\n", static_cast<long long>(size),
                static_cast<long long>(size), static_cast<long long>(latent));
    write(cfg, vae_samples(cfg, c, std::move(nets), latent), zg::io::ImageRange::ZeroToOne);
  } else {
    throw zg::FormatError(cfg.checkpoint + ": model \"" + model->second +
                          "\" is not one generate knows (dcgan, vae-mlp, vae-conv)");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  CLI::App app{"Writes images generated from a dcgan_train or vae_train checkpoint", "generate"};
  app.add_option("checkpoint", cfg.checkpoint, "the checkpoint (.safetensors)")->required();
  app.add_option("--n", cfg.n, "how many images")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_flag("--grid", cfg.grid, "one PNG grid at --out instead of one PNG per image in the folder --out");
  app.add_option("--nrow", cfg.nrow, "images per grid row (0: about the square root of --n)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--seed", cfg.seed, "random seed of the noise")->capture_default_str();
  app.add_option("--out", cfg.out, "the grid's path (--grid) or a folder for the images")->capture_default_str();
  app.add_flag("--no-ema", cfg.no_ema, "DCGAN: use the trained weights, not their moving average");
  CLI11_PARSE(app, argc, argv);
  return zengen_examples::run_reporting_errors("generate", [&] { return run(cfg); });
}
