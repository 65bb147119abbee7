// The VAE builders: the PyTorch example's MLP and a small convolutional VAE.
#include "zengen/models/vae_builders.hpp"

#include "zengen/core/error.hpp"

namespace zengen::models {

namespace {

std::int64_t checked_numel(const MLPVAEOptions& o) {
  ZENGEN_CHECK(!o.input.empty(), ShapeError, "mlp_vae: the input shape must not be empty");
  for (auto d : o.input)
    ZENGEN_CHECK(d > 0, ShapeError, "mlp_vae: every input size must be positive, got ", o.input);
  ZENGEN_CHECK(o.hidden > 0 && o.latent > 0, ValueError, "mlp_vae: hidden and latent must be positive, got ",
               o.hidden, " and ", o.latent);
  return o.input.numel();
}

void check(const ConvVAEOptions& o) {
  ZENGEN_CHECK(o.channels > 0 && o.latent > 0 && o.base > 0, ValueError,
               "conv_vae: channels, latent and base must be positive, got ", o.channels, ", ", o.latent, ", ",
               o.base);
  ZENGEN_CHECK(o.size >= 4 && o.size % 4 == 0, ValueError,
               "conv_vae: size must be a positive multiple of 4 (two stride-2 convolutions), got ", o.size);
}

std::int64_t conv_features(const ConvVAEOptions& o) { return 2 * o.base * (o.size / 4) * (o.size / 4); }

}  // namespace

MLPEncoder::MLPEncoder(const MLPVAEOptions& options)
    : body(nn::Flatten(), nn::Linear(checked_numel(options), options.hidden), nn::ReLU()),
      mu(options.hidden, options.latent),
      logvar(options.hidden, options.latent),
      latent_(options.latent) {
  register_module("body", body);
  register_module("mu", mu);
  register_module("logvar", logvar);
}

Gaussian MLPEncoder::forward(const Tensor& x) const {
  const std::int64_t in = body.at<nn::Linear>(1).in_features;
  ZENGEN_CHECK(x.dim() >= 2 && (x.size(0) == 0 || x.numel() / x.size(0) == in), ShapeError,
               "MLPEncoder: expected a batch [N, ...] of ", in, " values per example, got ", x.shape());
  const Tensor h = body.forward(x);
  return {mu.forward(h), logvar.forward(h)};
}

std::string MLPEncoder::describe() const {
  return "MLPEncoder(in=" + std::to_string(body.at<nn::Linear>(1).in_features) +
         ", hidden=" + std::to_string(mu.in_features) + ", latent=" + std::to_string(latent_) + ")";
}

MLPDecoder::MLPDecoder(const MLPVAEOptions& options)
    : body(nn::Linear(options.latent, options.hidden), nn::ReLU(), nn::Linear(options.hidden, checked_numel(options)),
           nn::Reshape(options.input)) {
  register_module("body", body);
}

std::string MLPDecoder::describe() const {
  const auto& first = body.at<nn::Linear>(0);
  const auto& last = body.at<nn::Linear>(2);
  return "MLPDecoder(latent=" + std::to_string(first.in_features) + ", hidden=" + std::to_string(first.out_features) +
         ", out=" + std::to_string(last.out_features) + ")";
}

VAENetworks<MLPEncoder, MLPDecoder> mlp_vae(const MLPVAEOptions& options) {
  return {MLPEncoder(options), MLPDecoder(options)};
}

ConvEncoder::ConvEncoder(const ConvVAEOptions& options)
    : body((check(options), nn::Conv2d(options.channels, options.base, 4, {.stride = 2, .padding = 1})), nn::ReLU(),
           nn::Conv2d(options.base, 2 * options.base, 4, {.stride = 2, .padding = 1}), nn::ReLU(), nn::Flatten()),
      mu(conv_features(options), options.latent),
      logvar(conv_features(options), options.latent),
      latent_(options.latent),
      channels_(options.channels),
      size_(options.size) {
  register_module("body", body);
  register_module("mu", mu);
  register_module("logvar", logvar);
}

Gaussian ConvEncoder::forward(const Tensor& x) const {
  ZENGEN_CHECK(x.dim() == 4 && x.size(1) == channels_ && x.size(2) == size_ && x.size(3) == size_, ShapeError,
               "ConvEncoder: expected [N, ", channels_, ", ", size_, ", ", size_, "], got ", x.shape());
  const Tensor h = body.forward(x);
  return {mu.forward(h), logvar.forward(h)};
}

std::string ConvEncoder::describe() const {
  const auto& conv = body.at<nn::Conv2d>(0);
  return "ConvEncoder(channels=" + std::to_string(conv.in_channels) + ", base=" + std::to_string(conv.out_channels) +
         ", latent=" + std::to_string(latent_) + ")";
}

ConvDecoder::ConvDecoder(const ConvVAEOptions& options)
    : body((check(options), nn::Linear(options.latent, conv_features(options))), nn::ReLU(),
           nn::Unflatten(1, {2 * options.base, options.size / 4, options.size / 4}),
           nn::ConvTranspose2d(2 * options.base, options.base, 4, {.stride = 2, .padding = 1}), nn::ReLU(),
           nn::ConvTranspose2d(options.base, options.channels, 4, {.stride = 2, .padding = 1})) {
  register_module("body", body);
}

std::string ConvDecoder::describe() const {
  const auto& up = body.at<nn::ConvTranspose2d>(5);
  return "ConvDecoder(latent=" + std::to_string(body.at<nn::Linear>(0).in_features) +
         ", base=" + std::to_string(up.in_channels) + ", channels=" + std::to_string(up.out_channels) + ")";
}

VAENetworks<ConvEncoder, ConvDecoder> conv_vae(const ConvVAEOptions& options) {
  return {ConvEncoder(options), ConvDecoder(options)};
}

}  // namespace zengen::models
