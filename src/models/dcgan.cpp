// DCGAN's networks and the toy MLPs (see zengen/models/dcgan.hpp for the
// architectures).
#include "zengen/models/dcgan.hpp"

#include <vector>

#include "zengen/autograd/grad_mode.hpp"
#include "zengen/nn/init.hpp"
#include "zengen/nn/layers.hpp"

namespace zengen::models {

namespace {

void check_image_options(const char* who, std::int64_t size, std::int64_t channels, std::int64_t width,
                         const char* width_name) {
  ZENGEN_CHECK(size == 28 || size == 32 || size == 64, ValueError, who, ": size must be 28, 32 or 64, got ", size);
  ZENGEN_CHECK(channels == 1 || channels == 3, ValueError, who, ": channels must be 1 or 3, got ", channels);
  ZENGEN_CHECK(width >= 1, ValueError, who, ": ", width_name, " must be >= 1, got ", width);
}

// The feature-map multipliers of the hidden layers, widest first: 8,4,2,1
// for 64x64; 4,2,1 for 32x32 and 28x28.
std::vector<std::int64_t> multipliers(std::int64_t size) {
  if (size == 64) return {8, 4, 2, 1};
  return {4, 2, 1};
}

}  // namespace

DCGANGenerator::DCGANGenerator(DCGANGeneratorOptions opts) : options(opts) {
  check_image_options("dcgan_generator", opts.size, opts.channels, opts.ngf, "ngf");
  ZENGEN_CHECK(opts.nz >= 1, ValueError, "dcgan_generator: nz must be >= 1, got ", opts.nz);
  const auto mult = multipliers(opts.size);
  const std::int64_t ngf = opts.ngf;
  // z [nz, 1, 1] -> [mult0 ngf, 4, 4]
  main.push_back(nn::ConvTranspose2d(opts.nz, mult[0] * ngf, 4, {.stride = 1, .padding = 0, .bias = false}));
  main.push_back(nn::BatchNorm2d(mult[0] * ngf));
  main.push_back(nn::ReLU());
  for (std::size_t i = 1; i < mult.size(); ++i) {
    // 28x28: the first upsampling maps 4 -> 7 (kernel 3); the others double.
    const std::int64_t k = (opts.size == 28 && i == 1) ? 3 : 4;
    main.push_back(nn::ConvTranspose2d(mult[i - 1] * ngf, mult[i] * ngf, k, {.stride = 2, .padding = 1, .bias = false}));
    main.push_back(nn::BatchNorm2d(mult[i] * ngf));
    main.push_back(nn::ReLU());
  }
  main.push_back(nn::ConvTranspose2d(ngf, opts.channels, 4, {.stride = 2, .padding = 1, .bias = false}));
  main.push_back(nn::Tanh());
  register_module("main", main);
}

Tensor DCGANGenerator::forward(const Tensor& z) const {
  ZENGEN_CHECK((z.dim() == 4 && z.size(1) == options.nz && z.size(2) == 1 && z.size(3) == 1) ||
                   (z.dim() == 2 && z.size(1) == options.nz),
               ShapeError, "DCGANGenerator: expected noise [N, ", options.nz, ", 1, 1] or [N, ", options.nz,
               "], got ", z.shape());
  return main.forward(z.dim() == 2 ? z.reshape({z.size(0), options.nz, 1, 1}) : z);
}

std::string DCGANGenerator::describe() const {
  return "DCGANGenerator(nz=" + std::to_string(options.nz) + ", ngf=" + std::to_string(options.ngf) +
         ", size=" + std::to_string(options.size) + ", channels=" + std::to_string(options.channels) + ")";
}

DCGANDiscriminator::DCGANDiscriminator(DCGANDiscriminatorOptions opts) : options(opts) {
  check_image_options("dcgan_discriminator", opts.size, opts.channels, opts.ndf, "ndf");
  auto mult = multipliers(opts.size);
  std::vector<std::int64_t> widths(mult.rbegin(), mult.rend());  // 1, 2, 4(, 8)
  const std::int64_t ndf = opts.ndf;
  // [C, size] -> [ndf, size / 2], no BatchNorm on the first layer
  main.push_back(nn::Conv2d(opts.channels, ndf, 4, {.stride = 2, .padding = 1, .bias = false}));
  main.push_back(nn::LeakyReLU(0.2));
  for (std::size_t i = 1; i < widths.size(); ++i) {
    // 28x28: the last downsampling maps 7 -> 4 (kernel 3); the others halve.
    const std::int64_t k = (opts.size == 28 && i + 1 == widths.size()) ? 3 : 4;
    main.push_back(nn::Conv2d(widths[i - 1] * ndf, widths[i] * ndf, k, {.stride = 2, .padding = 1, .bias = false}));
    main.push_back(nn::BatchNorm2d(widths[i] * ndf));
    main.push_back(nn::LeakyReLU(0.2));
  }
  // [widest, 4, 4] -> [1, 1, 1]
  main.push_back(nn::Conv2d(widths.back() * ndf, 1, 4, {.stride = 1, .padding = 0, .bias = false}));
  register_module("main", main);
}

Tensor DCGANDiscriminator::forward(const Tensor& x) const {
  ZENGEN_CHECK(x.dim() == 4 && x.size(1) == options.channels && x.size(2) == options.size &&
                   x.size(3) == options.size,
               ShapeError, "DCGANDiscriminator: expected images [N, ", options.channels, ", ", options.size, ", ",
               options.size, "], got ", x.shape());
  return main.forward(x).reshape({x.size(0)});
}

std::string DCGANDiscriminator::describe() const {
  return "DCGANDiscriminator(ndf=" + std::to_string(options.ndf) + ", size=" + std::to_string(options.size) +
         ", channels=" + std::to_string(options.channels) + ")";
}

DCGANGenerator dcgan_generator(DCGANGeneratorOptions options) {
  DCGANGenerator g(options);
  dcgan_init_(g);
  return g;
}

DCGANDiscriminator dcgan_discriminator(DCGANDiscriminatorOptions options) {
  DCGANDiscriminator d(options);
  dcgan_init_(d);
  return d;
}

void dcgan_init_(const nn::ModuleBase& module) {
  NoGradGuard no_grad;
  auto init_conv = [](const Tensor& weight, const Tensor& bias) {
    nn::init::normal_(weight, 0.0, 0.02);
    if (bias.defined()) nn::init::zeros_(bias);
  };
  if (auto* c = dynamic_cast<const nn::Conv2d*>(&module)) {
    init_conv(c->weight, c->bias);
  } else if (auto* t = dynamic_cast<const nn::ConvTranspose2d*>(&module)) {
    init_conv(t->weight, t->bias);
  } else if (auto* b = dynamic_cast<const nn::BatchNorm*>(&module)) {
    if (b->weight.defined()) nn::init::normal_(b->weight, 1.0, 0.02);
    if (b->bias.defined()) nn::init::zeros_(b->bias);
  }
  for (const auto& [name, child] : module.named_children()) dcgan_init_(*child);
}

// ---- MLPs ----

MLPGenerator::MLPGenerator(MLPGeneratorOptions opts) : options(opts) {
  ZENGEN_CHECK(opts.nz >= 1 && opts.hidden >= 1 && opts.out_features >= 1 && opts.layers >= 1, ValueError,
               "mlp_generator: nz, hidden, out_features and layers must be >= 1, got ", opts.nz, ", ", opts.hidden,
               ", ", opts.out_features, ", ", opts.layers);
  std::int64_t in = opts.nz;
  for (std::int64_t i = 0; i < opts.layers; ++i) {
    main.push_back(nn::Linear(in, opts.hidden));
    main.push_back(nn::LeakyReLU(0.2));
    in = opts.hidden;
  }
  main.push_back(nn::Linear(in, opts.out_features));
  register_module("main", main);
}

std::string MLPGenerator::describe() const {
  return "MLPGenerator(nz=" + std::to_string(options.nz) + ", hidden=" + std::to_string(options.hidden) +
         ", out_features=" + std::to_string(options.out_features) + ", layers=" + std::to_string(options.layers) +
         ")";
}

MLPDiscriminator::MLPDiscriminator(MLPDiscriminatorOptions opts) : options(opts) {
  ZENGEN_CHECK(opts.in_features >= 1 && opts.hidden >= 1 && opts.layers >= 1, ValueError,
               "mlp_discriminator: in_features, hidden and layers must be >= 1, got ", opts.in_features, ", ",
               opts.hidden, ", ", opts.layers);
  std::int64_t in = opts.in_features;
  for (std::int64_t i = 0; i < opts.layers; ++i) {
    main.push_back(nn::Linear(in, opts.hidden));
    main.push_back(nn::LeakyReLU(0.2));
    in = opts.hidden;
  }
  main.push_back(nn::Linear(in, 1));
  register_module("main", main);
}

Tensor MLPDiscriminator::forward(const Tensor& x) const {
  ZENGEN_CHECK(x.dim() >= 1, ShapeError, "MLPDiscriminator: expected [N, ...], got ", x.shape());
  const Tensor flat = x.dim() == 2 ? x : x.reshape({x.size(0), x.numel() / (x.size(0) ? x.size(0) : 1)});
  return main.forward(flat).reshape({x.size(0)});
}

std::string MLPDiscriminator::describe() const {
  return "MLPDiscriminator(in_features=" + std::to_string(options.in_features) +
         ", hidden=" + std::to_string(options.hidden) + ", layers=" + std::to_string(options.layers) + ")";
}

MLPGenerator mlp_generator(MLPGeneratorOptions options) { return MLPGenerator(options); }
MLPDiscriminator mlp_discriminator(MLPDiscriminatorOptions options) { return MLPDiscriminator(options); }

}  // namespace zengen::models
