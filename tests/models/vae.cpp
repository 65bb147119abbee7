// VAE<Encoder, Decoder, Likelihood>: the likelihoods and the KL against
// hand-computed numbers, gradients through the reparameterisation, the IWAE
// bound, the concepts, the builders' shapes, the KL warm-up, and checkpoints.
#include "helpers.hpp"
#include "temp_dir.hpp"

#include <cmath>

using namespace zengen;
using models::Gaussian;
using zengen::testing::require_close;
using zengen::testing::require_gradcheck;
using zengen::testing::require_values;

namespace {

// An encoder that ignores x's values and gives one fixed row of mu and
// logvar per example (parameters), so that every term can be computed by hand.
struct TableEncoder : nn::ModuleBase {
  Tensor mu, logvar;
  TableEncoder(const Tensor& mu_values, const Tensor& logvar_values) {
    mu = register_parameter("mu", mu_values.clone());
    logvar = register_parameter("logvar", logvar_values.clone());
  }
  Gaussian forward(const Tensor& x) const {
    REQUIRE(x.size(0) == mu.size(0));
    return {mu, logvar};
  }
  std::int64_t latent_dim() const { return mu.size(1); }
};

// x' = z * scale: one parameter per data dim (the data dims are the latent dims).
struct ScaleDecoder : nn::ModuleBase {
  Tensor scale;
  explicit ScaleDecoder(std::int64_t dim, DType dtype = DType::Float64) {
    scale = register_parameter("scale", ones({dim}, {.dtype = dtype}));
  }
  Tensor forward(const Tensor& z) const { return z * scale; }
};

// Fits everything but latent_dim().
struct NoLatentDim : nn::ModuleBase {
  Gaussian forward(const Tensor& x) const { return {x, x}; }
};
// Gives a tensor where a Gaussian is due.
struct TensorEncoder : nn::ModuleBase {
  Tensor forward(const Tensor& x) const { return x; }
  std::int64_t latent_dim() const { return 1; }
};

static_assert(models::Encoder<TableEncoder> && models::Decoder<ScaleDecoder>);
static_assert(!models::Encoder<NoLatentDim>, "an encoder must say its latent_dim()");
static_assert(!models::Encoder<TensorEncoder>, "an encoder must give a Gaussian");
static_assert(!models::Likelihood<int>);
static_assert(models::Likelihood<models::BernoulliLikelihood> && models::Likelihood<models::GaussianLikelihood>);

const TensorOptions f64{.dtype = DType::Float64};

// The hand-worked example: mu = [0.5, -1], logvar = [0, log 4], eps = [1, -0.5]
// give z = [1.5, -2]; with the decoder's scale 1 the logits are z, and x = [1, 0].
//   -log p(x|z)   = softplus(-1.5) + softplus(-2)            = 0.3283412890257249
//   KL            = -0.5 sum(1 + logvar - mu^2 - exp(logvar)) = 1.4318528194400546
//   log p(z) - log q(z|x) = sum 0.5 (eps^2 + logvar - z^2)   = -1.8068528194400546
constexpr double kNLL = 0.3283412890257249, kKL = 1.4318528194400546, kLogRatio = -1.8068528194400546;

models::VAE<TableEncoder, ScaleDecoder> hand_vae(models::VAEOptions options = {}) {
  return models::VAE(TableEncoder(tensor({0.5, -1.0}, {1, 2}, f64), tensor({0.0, std::log(4.0)}, {1, 2}, f64)),
                     ScaleDecoder(2), models::BernoulliLikelihood{}, options);
}
const Tensor& hand_x() {
  static const Tensor x = tensor({1.0, 0.0}, {1, 2}, f64);
  return x;
}
const Tensor& hand_eps() {
  static const Tensor eps = tensor({1.0, -0.5}, {1, 2}, f64);
  return eps;
}

}  // namespace

TEST_CASE("vae: the Bernoulli and Gaussian log-likelihoods against hand-computed values", "[models][vae]") {
  // -sum of max(l, 0) - l t + log1p(exp(-|l|)) per example.
  const Tensor logits = tensor({0.0, 2.0, -1.0, 0.0}, {2, 1, 2}, f64);
  const Tensor x = tensor({1.0, 0.0, 0.5, 1.0}, {2, 1, 2}, f64);
  const models::BernoulliLikelihood bernoulli;
  require_values(bernoulli.log_prob(logits, x), {2}, {-2.820075191602918, -1.506408868078168}, 1e-12);
  require_values(bernoulli.mean(logits), {2, 1, 2}, {0.5, 1.0 / (1.0 + std::exp(-2.0)), 1.0 / (1.0 + std::exp(1.0)), 0.5},
                 1e-12);

  // -0.5 ((x - m)^2 / var + log(2 pi var)) summed: 2 dims, variance 2.
  const models::GaussianLikelihood gaussian{.variance = 2.0};
  require_values(gaussian.log_prob(tensor({0.0, 1.0}, {1, 2}, f64), tensor({1.0, 1.0}, {1, 2}, f64)), {1},
                 {-0.25 - std::log(4.0 * M_PI)}, 1e-12);
  // the unit-variance constant: 0.5 log(2 pi) per dim
  require_values(models::GaussianLikelihood{}.log_prob(zeros({1, 3}, f64), zeros({1, 3}, f64)), {1},
                 {-1.5 * std::log(2.0 * M_PI)}, 1e-12);
  require_close(gaussian.mean(x), x);

  REQUIRE_THROWS_AS(bernoulli.log_prob(logits, x.reshape({2, 2})), ShapeError);
  REQUIRE_THROWS_AS((models::GaussianLikelihood{.variance = 0.0}.log_prob(x, x)), ValueError);
}

TEST_CASE("vae: loss, ELBO and training stats against hand-computed values", "[models][vae]") {
  auto vae = hand_vae();
  require_values(vae.elbo(hand_x(), hand_eps()), {1}, {-(kNLL + kKL)}, 1e-12);
  REQUIRE(vae.loss(hand_x(), hand_eps()).item() == Approx(kNLL + kKL).epsilon(1e-12));

  auto half = hand_vae({.beta = 0.5});
  REQUIRE(half.loss(hand_x(), hand_eps()).item() == Approx(kNLL + 0.5 * kKL).epsilon(1e-12));
  const auto stats = half.train_step(hand_x(), hand_eps());  // reports the terms before its update
  REQUIRE(stats.loss == Approx(kNLL + 0.5 * kKL).epsilon(1e-12));
  REQUIRE(stats.reconstruction == Approx(kNLL).epsilon(1e-12));
  REQUIRE(stats.kl == Approx(kKL).epsilon(1e-12));
  REQUIRE(stats.beta == 0.5);
  REQUIRE(half.step() == 1);
  // Adam's first step moves every parameter by lr against its gradient's sign.
  REQUIRE(half.encoder().mu.at({0, 0}) == Approx(0.5 - 1e-3).epsilon(1e-9));

  REQUIRE_THROWS_AS(vae.elbo(hand_x(), zeros({1, 3}, f64)), ShapeError);
  REQUIRE_THROWS_AS(vae.elbo(zeros({1, 3}, f64), hand_eps()), ShapeError);  // the decoder's output is [1, 2]
  REQUIRE_THROWS_AS(hand_vae({.beta = -1.0}), ValueError);
  REQUIRE_THROWS_AS(hand_vae({.kl_warmup_steps = -1}), ValueError);
}

TEST_CASE("vae: the reparameterised gradient reaches mu and logvar", "[models][vae]") {
  auto vae = hand_vae();
  // d loss / d mu = d nll / d z + mu; d loss / d logvar = d nll / d z * eps sigma / 2 + (exp(logvar) - 1) / 2
  vae.loss(hand_x(), hand_eps()).backward();
  const double s0 = 1.0 / (1.0 + std::exp(-1.5)) - 1.0, s1 = 1.0 / (1.0 + std::exp(2.0));  // sigmoid(z) - x
  require_values(vae.encoder().mu.grad(), {1, 2}, {s0 + 0.5, s1 - 1.0}, 1e-12);
  require_values(vae.encoder().logvar.grad(), {1, 2}, {s0 * 1.0 * 0.5, s1 * -0.5 * 2.0 * 0.5 + 1.5}, 1e-12);

  // and finite differences agree, through the table encoder and the MLP builders
  auto params = vae.encoder().parameters();
  params.push_back(vae.decoder().scale);
  require_gradcheck([&](const std::vector<Tensor>&) { return vae.loss(hand_x(), hand_eps()); }, params);

  manual_seed(3);
  auto nets = models::mlp_vae({.input = {1, 2, 2}, .hidden = 3, .latent = 2});
  nets.encoder.to(DType::Float64);
  nets.decoder.to(DType::Float64);
  models::VAE mlp(nets, models::GaussianLikelihood{.variance = 0.5}, {.beta = 0.7});
  const Tensor x = rand({4, 1, 2, 2}, f64), eps = randn({4, 2}, f64);
  auto all = mlp.encoder().parameters();
  for (const Tensor& p : mlp.decoder().parameters()) all.push_back(p);
  require_gradcheck([&](const std::vector<Tensor>&) { return mlp.loss(x, eps); }, all);
  const Tensor eps3 = randn({3, 4, 2}, f64);
  require_gradcheck([&](const std::vector<Tensor>&) { return mlp.iwae(x, eps3).sum(); }, all);
}

TEST_CASE("vae: IWAE with one sample is the one-sample ELBO, and a log-sum-exp of the weights", "[models][vae]") {
  auto vae = hand_vae();
  // k = 1: log p(x|z) + log p(z) - log q(z|x) for the same eps
  require_values(vae.iwae(hand_x(), hand_eps().unsqueeze(0)), {1}, {-kNLL + kLogRatio}, 1e-12);
  // which differs from elbo(x, eps) only in the KL: one-sample vs closed form
  require_values(vae.iwae(hand_x(), hand_eps().unsqueeze(0)) - vae.elbo(hand_x(), hand_eps()), {1},
                 {kKL + kLogRatio}, 1e-12);

  // k = 3: log mean exp of the log weights, stable for weights far below exp(-745)
  const Tensor eps = tensor({1.0, -0.5, 0.0, 0.0, -2.0, 3.0}, {3, 1, 2}, f64);
  const auto lw = vae.log_weights(hand_x(), eps).to_vector<double>();
  REQUIRE(lw.size() == 3);
  REQUIRE(lw[0] == Approx(-kNLL + kLogRatio).epsilon(1e-12));
  const double m = std::max({lw[0], lw[1], lw[2]});
  const double expected = m + std::log((std::exp(lw[0] - m) + std::exp(lw[1] - m) + std::exp(lw[2] - m)) / 3.0);
  require_values(vae.iwae(hand_x(), eps), {1}, {expected}, 1e-12);

  auto far = models::VAE(TableEncoder(tensor({0.0}, {1, 1}, f64), tensor({0.0}, {1, 1}, f64)), ScaleDecoder(1),
                         models::GaussianLikelihood{.variance = 1e-4});
  const Tensor x = tensor({30.0}, {1, 1}, f64);  // log p(x|z) near -4.5e6
  const Tensor two = tensor({0.0, 0.0}, {2, 1, 1}, f64);
  const double single = far.iwae(x, two.narrow(0, 0, 1)).item();
  REQUIRE(std::isfinite(single));
  REQUIRE(single < -1e6);
  REQUIRE(far.iwae(x, two).item() == Approx(single).epsilon(1e-12));  // equal weights: their mean is either one

  REQUIRE_THROWS_AS(vae.iwae(hand_x(), 0), ValueError);
  REQUIRE_THROWS_AS(vae.iwae(hand_x(), zeros({2, 1, 3}, f64)), ShapeError);
}

TEST_CASE("vae: IWAE tightens the bound on average (fixed seed)", "[models][vae]") {
  manual_seed(11);
  auto nets = models::mlp_vae({.input = {1, 4, 4}, .hidden = 16, .latent = 3});
  models::VAE vae(nets);
  const Tensor x = rand({64, 1, 4, 4});
  NoGradGuard no_grad;
  double elbo = 0, iwae1 = 0;
  const int repeats = 20;
  for (int r = 0; r < repeats; ++r) {
    elbo += vae.elbo(x).mean().item() / repeats;
    iwae1 += vae.iwae(x, 1).mean().item() / repeats;
  }
  const double iwae50 = vae.iwae(x, 50).mean().item();
  INFO("mean ELBO " << elbo << ", IWAE k=1 " << iwae1 << ", IWAE k=50 " << iwae50);
  // k = 1 estimates the ELBO (a one-sample KL instead of the closed form) ...
  REQUIRE(std::abs(iwae1 - elbo) < 0.05 * std::abs(elbo));
  // ... and k = 50 is higher: log mean exp >= mean log (Jensen), in expectation.
  REQUIRE(iwae50 > elbo);
  REQUIRE(iwae50 > iwae1);
}

TEST_CASE("vae: the builders' shapes and parameter counts", "[models][vae]") {
  manual_seed(0);
  auto mlp = models::mlp_vae({.input = {1, 28, 28}, .hidden = 400, .latent = 20});
  // PyTorch's VAE example: 784-400-(20, 20) and 20-400-784
  REQUIRE(mlp.encoder.num_parameters() + mlp.decoder.num_parameters() == 652824);
  REQUIRE(mlp.encoder.latent_dim() == 20);
  const Tensor x = rand({3, 1, 28, 28});
  const Gaussian q = mlp.encoder.forward(x);
  REQUIRE(q.mu.shape() == Shape{3, 20});
  REQUIRE(q.logvar.shape() == Shape{3, 20});
  REQUIRE(mlp.decoder.forward(q.mu).shape() == Shape{3, 1, 28, 28});
  REQUIRE_THROWS_AS(mlp.encoder.forward(rand({3, 1, 27, 28})), ShapeError);
  std::vector<std::string> names;
  for (auto& [name, p] : mlp.encoder.named_parameters()) names.push_back(name);
  REQUIRE(names == std::vector<std::string>{"body.1.weight", "body.1.bias", "mu.weight", "mu.bias", "logvar.weight",
                                            "logvar.bias"});

  auto conv = models::conv_vae({.channels = 1, .size = 28, .latent = 16, .base = 32});
  REQUIRE(conv.encoder.latent_dim() == 16);
  const Gaussian qc = conv.encoder.forward(rand({2, 1, 28, 28}));
  REQUIRE(qc.mu.shape() == Shape{2, 16});
  REQUIRE(qc.logvar.shape() == Shape{2, 16});
  REQUIRE(conv.decoder.forward(qc.mu).shape() == Shape{2, 1, 28, 28});
  REQUIRE_THROWS_AS(conv.encoder.forward(rand({2, 1, 32, 32})), ShapeError);

  auto rgb = models::conv_vae({.channels = 3, .size = 32, .latent = 8, .base = 8});
  REQUIRE(rgb.decoder.forward(rgb.encoder.forward(rand({2, 3, 32, 32})).mu).shape() == Shape{2, 3, 32, 32});
  REQUIRE_THROWS_AS(models::conv_vae({.size = 30}), ValueError);
  REQUIRE_THROWS_AS(models::mlp_vae({.latent = 0}), ValueError);

  // the VAE's outputs
  models::VAE vae(rgb, models::GaussianLikelihood{});
  const Tensor a = rand({2, 3, 32, 32}), b = rand({2, 3, 32, 32});
  REQUIRE(vae.reconstruct(a).shape() == Shape{2, 3, 32, 32});
  REQUIRE(vae.sample(5).shape() == Shape{5, 3, 32, 32});
  REQUIRE(vae.elbo(a).shape() == Shape{2});
  REQUIRE(vae.iwae(a, 4).shape() == Shape{2});
  const Tensor path = vae.interpolate(a, b, 4);
  REQUIRE(path.shape() == Shape{8, 3, 32, 32});
  REQUIRE_FALSE(path.requires_grad());
  // example by example, from x1's mean (no sampling) to x2's
  require_close(path.narrow(0, 0, 1), vae.reconstruct(a.narrow(0, 0, 1)), 1e-5);
  require_close(path.narrow(0, 3, 1), vae.reconstruct(b.narrow(0, 0, 1)), 1e-5);
  require_close(path.narrow(0, 7, 1), vae.reconstruct(b.narrow(0, 1, 1)), 1e-5);
  REQUIRE_THROWS_AS(vae.interpolate(a, b, 1), ValueError);
  REQUIRE_THROWS_AS(vae.interpolate(a, b.narrow(0, 0, 1), 3), ShapeError);

  // Bernoulli means are probabilities
  models::VAE bvae(models::mlp_vae({.input = {1, 4, 4}, .hidden = 8, .latent = 2}));
  const Tensor s = bvae.sample(10);
  REQUIRE(s.shape() == Shape{10, 1, 4, 4});
  for (double v : s.to_vector<double>()) REQUIRE((v >= 0.0 && v <= 1.0));
}

TEST_CASE("vae: the KL warm-up ramps beta linearly from 0", "[models][vae]") {
  auto vae = hand_vae({.beta = 2.0, .kl_warmup_steps = 4});
  REQUIRE(vae.beta_at(0) == 0.0);
  REQUIRE(vae.beta_at(1) == 0.5);
  REQUIRE(vae.beta_at(2) == 1.0);
  REQUIRE(vae.beta_at(3) == 1.5);
  REQUIRE(vae.beta_at(4) == 2.0);
  REQUIRE(vae.beta_at(1000) == 2.0);
  // at step 0 the KL does not count
  REQUIRE(vae.loss(hand_x(), hand_eps()).item() == Approx(kNLL).epsilon(1e-12));
  std::vector<double> used;
  for (int i = 0; i < 6; ++i) used.push_back(vae.train_step(hand_x(), hand_eps()).beta);
  REQUIRE(used == std::vector<double>{0.0, 0.5, 1.0, 1.5, 2.0, 2.0});
  REQUIRE(vae.step() == 6);
  REQUIRE(vae.current_beta() == 2.0);

  auto constant = hand_vae({.beta = 3.0});
  REQUIRE(constant.beta_at(0) == 3.0);
  REQUIRE(constant.train_step(hand_x(), hand_eps()).beta == 3.0);
}

TEST_CASE("vae: train and eval reach both networks", "[models][vae]") {
  models::VAE vae(models::mlp_vae({.input = {4}, .hidden = 4, .latent = 2}));
  REQUIRE(vae.is_training());
  vae.eval();
  REQUIRE_FALSE(vae.encoder().is_training());
  REQUIRE_FALSE(vae.decoder().body.is_training());
  vae.train();
  REQUIRE(vae.encoder().mu.is_training());
  REQUIRE(vae.decoder().is_training());
  // the optimizer holds every parameter of both networks
  REQUIRE(vae.optimizer().parameters().size() ==
          vae.encoder().parameters().size() + vae.decoder().parameters().size());
  // to(device) moves both networks (a no-op on the CPU; without a GPU, a
  // clear DeviceError).
  REQUIRE(vae.device() == Device::cpu());
  vae.to(Device::cpu());
  REQUIRE(vae.decoder().parameters().front().device() == Device::cpu());
  if (Device::cuda_device_count() == 0) REQUIRE_THROWS_AS(vae.to(Device::cuda()), DeviceError);
}

TEST_CASE("vae: a checkpoint round trip gives identical next steps", "[models][vae][io]") {
  zengen::testing::TempDir dir;
  const std::string path = dir.file("vae.safetensors");
  const models::MLPVAEOptions arch{.input = {1, 4, 4}, .hidden = 8, .latent = 2};
  const models::VAEOptions options{.beta = 1.0, .kl_warmup_steps = 10};
  manual_seed(5);
  models::VAE a(models::mlp_vae(arch), models::BernoulliLikelihood{}, options);
  const Tensor x = rand({6, 1, 4, 4});
  for (int i = 0; i < 3; ++i) a.train_step(x);
  io::save_checkpoint(path, a.state_dict());

  manual_seed(99);  // other initial weights
  models::VAE b(models::mlp_vae(arch), models::BernoulliLikelihood{}, options);
  const auto ckpt = io::load_checkpoint(path);
  REQUIRE(ckpt.parts.size() == 4);
  b.load_state_dict(ckpt.parts);
  REQUIRE(b.step() == 3);
  REQUIRE(b.current_beta() == a.current_beta());

  for (int i = 0; i < 2; ++i) {
    manual_seed(7 + i);
    const auto sa = a.train_step(x);
    manual_seed(7 + i);
    const auto sb = b.train_step(x);
    REQUIRE(sa.loss == sb.loss);
    REQUIRE(sa.kl == sb.kl);
    REQUIRE(sa.beta == sb.beta);
  }
  const auto pa = a.state_dict(), pb = b.state_dict();
  for (const char* part : {"encoder", "decoder", "optimizer", "vae"})
    for (const auto& [name, t] : pa.at(part)) {
      INFO(part << "." << name);
      REQUIRE(t.to_vector<double>() == pb.at(part).at(name).to_vector<double>());
    }

  auto missing = a.state_dict();
  missing.erase("vae");
  REQUIRE_THROWS_AS(b.load_state_dict(missing), ValueError);
  REQUIRE(b.step() == 5);  // unchanged

  // a bad decoder part after a good encoder part: the encoder is put back
  auto bad = a.state_dict();
  bad["encoder"]["mu.weight"] = zeros_like(b.encoder().mu.weight);
  bad["decoder"]["body.0.weight"] = zeros({1});
  const double before = b.encoder().mu.weight.at({0, 0});
  REQUIRE_THROWS_AS(b.load_state_dict(bad), ShapeError);
  REQUIRE(b.encoder().mu.weight.at({0, 0}) == before);
}
