// GAN<>: the objectives' values, the concepts, train_step's mechanics
// (which optimizer moves what, d_steps, EMA, fixed noise, the reported
// figures), checkpoints, WGAN clipping, and the DCGAN / MLP builders.
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "temp_dir.hpp"

using namespace zengen;
using zengen::testing::require_close;
using zengen::testing::require_values;
namespace models = zengen::models;

namespace {

// ---- concepts ----
struct NoLatentShape : nn::ModuleBase {
  Tensor forward(const Tensor& x) const { return x; }
};
struct NoForward : nn::ModuleBase {
  Shape latent_shape() const { return {2}; }
};
struct NotAModule {
  Tensor forward(const Tensor& x) const { return x; }
  Shape latent_shape() const { return {2}; }
};
static_assert(models::Generator<models::DCGANGenerator>);
static_assert(models::Generator<models::MLPGenerator>);
static_assert(models::Discriminator<models::DCGANDiscriminator>);
static_assert(models::Discriminator<models::MLPDiscriminator>);
static_assert(!models::Generator<NoLatentShape>);
static_assert(!models::Generator<NoForward>);
static_assert(!models::Generator<NotAModule>);
static_assert(!models::Discriminator<NoForward>);
static_assert(models::GANObjective<models::MinimaxLoss>);
static_assert(models::GANObjective<models::NonSaturatingLoss>);
static_assert(models::GANObjective<models::LeastSquaresLoss>);
static_assert(models::GANObjective<models::HingeLoss>);
static_assert(models::GANObjective<models::WassersteinLoss>);
static_assert(!models::GANObjective<int>);

double softplus(double x) { return std::log1p(std::exp(x)); }
double relu(double x) { return x > 0 ? x : 0; }

Tensor t64(std::initializer_list<double> v) { return tensor(v, {.dtype = DType::Float64}); }

std::map<std::string, Tensor> snapshot(const nn::ModuleBase& m) {
  std::map<std::string, Tensor> out;
  for (const auto& [name, p] : m.named_parameters()) out.emplace(name, p.detach().clone());
  return out;
}
bool same(const std::map<std::string, Tensor>& a, const nn::ModuleBase& m) {
  for (const auto& [name, p] : m.named_parameters())
    if (a.at(name).to_vector<double>() != p.to_vector<double>()) return false;
  return true;
}
bool none_same(const std::map<std::string, Tensor>& a, const nn::ModuleBase& m) {
  for (const auto& [name, p] : m.named_parameters())
    if (a.at(name).to_vector<double>() == p.to_vector<double>()) return false;
  return true;
}

// A small 2-D GAN for the mechanics tests.
template <typename Objective = models::NonSaturatingLoss>
auto toy_gan(models::GANOptions options = {}, Objective objective = {}) {
  return models::GAN(models::mlp_generator({.nz = 3, .hidden = 8, .out_features = 2, .layers = 1}),
                     models::mlp_discriminator({.in_features = 2, .hidden = 8, .layers = 1}), objective, options);
}
Tensor toy_batch(std::int64_t n = 16) { return randn({n, 2}) * 0.5 + 1.0; }

}  // namespace

// ---- objectives ----

TEST_CASE("gan objectives: values on hand-computed logits", "[models][gan]") {
  const Tensor real = t64({2.0, -1.0}), fake = t64({0.5, -3.0});
  // BCE with logits: softplus(x) - x t.
  const double bce_real1 = (softplus(2.0) - 2.0 + softplus(-1.0) + 1.0) / 2;  // targets 1
  const double bce_fake0 = (softplus(0.5) + softplus(-3.0)) / 2;              // targets 0
  const double bce_fake1 = (softplus(0.5) - 0.5 + softplus(-3.0) + 3.0) / 2;  // targets 1
  const double s = 0.1;
  const double bce_real_smooth = (softplus(2.0) - 2.0 * (1 - s) + softplus(-1.0) + 1.0 * (1 - s)) / 2;

  SECTION("minimax") {
    models::MinimaxLoss loss;
    require_values(loss.d_loss(real, fake), {}, {bce_real1 + bce_fake0}, 1e-12);
    require_values(loss.d_loss(real, fake, s), {}, {bce_real_smooth + bce_fake0}, 1e-12);
    // E[log(1 - sigmoid(f))] = -softplus(f)
    const double g = (std::log(1 - 1 / (1 + std::exp(-0.5))) + std::log(1 - 1 / (1 + std::exp(3.0)))) / 2;
    require_values(loss.g_loss(fake), {}, {g}, 1e-12);
    require_values(loss.g_loss(fake), {}, {-bce_fake0}, 1e-12);
  }
  SECTION("non-saturating") {
    models::NonSaturatingLoss loss;
    require_values(loss.d_loss(real, fake), {}, {bce_real1 + bce_fake0}, 1e-12);
    require_values(loss.d_loss(real, fake, s), {}, {bce_real_smooth + bce_fake0}, 1e-12);
    require_values(loss.g_loss(fake), {}, {bce_fake1}, 1e-12);
    require_values(loss.g_loss(fake), {}, {(-std::log(1 / (1 + std::exp(-0.5))) - std::log(1 / (1 + std::exp(3.0)))) / 2},
                   1e-12);
  }
  SECTION("least squares") {
    models::LeastSquaresLoss loss;
    const double d = 0.5 * ((2 - 1) * (2 - 1) + (-1 - 1) * (-1 - 1)) / 2 + 0.5 * (0.25 + 9) / 2;
    require_values(loss.d_loss(real, fake), {}, {d}, 1e-12);
    const double d_smooth = 0.5 * ((2 - 0.9) * (2 - 0.9) + (-1 - 0.9) * (-1 - 0.9)) / 2 + 0.5 * (0.25 + 9) / 2;
    require_values(loss.d_loss(real, fake, 0.1), {}, {d_smooth}, 1e-12);
    require_values(loss.g_loss(fake), {}, {0.5 * (0.25 + 16) / 2}, 1e-12);
  }
  SECTION("hinge") {
    models::HingeLoss loss;
    const double d = (relu(1 - 2) + relu(1 + 1)) / 2 + (relu(1 + 0.5) + relu(1 - 3)) / 2;
    REQUIRE(d == 1.75);
    require_values(loss.d_loss(real, fake), {}, {d}, 1e-12);
    require_values(loss.d_loss(real, fake, 0.3), {}, {d}, 1e-12);  // no targets to smooth
    require_values(loss.g_loss(fake), {}, {1.25}, 1e-12);
  }
  SECTION("wasserstein") {
    models::WassersteinLoss loss;
    require_values(loss.d_loss(real, fake), {}, {-1.25 - 0.5}, 1e-12);
    require_values(loss.g_loss(fake), {}, {1.25}, 1e-12);
  }
  SECTION("gradients flow to the logits") {
    Tensor f = t64({0.5, -3.0});
    f.requires_grad_();
    models::NonSaturatingLoss{}.g_loss(f).backward();
    // d/df softplus(-f) / 2 = -sigmoid(-f) / 2
    require_values(f.grad(), {2}, {-0.5 / (1 + std::exp(0.5)), -0.5 / (1 + std::exp(-3.0))}, 1e-12);
  }
}

// ---- train_step ----

TEST_CASE("gan: each step moves only its own network", "[models][gan]") {
  manual_seed(1);
  SECTION("G's learning rate 0: only D changes") {
    auto gan = toy_gan({.g = {.lr = 0.0}, .d = {.lr = 1e-2, .beta1 = 0.5}});
    const auto g0 = snapshot(gan.generator()), d0 = snapshot(gan.discriminator());
    gan.train_step(toy_batch());
    REQUIRE(same(g0, gan.generator()));
    REQUIRE(none_same(d0, gan.discriminator()));
  }
  SECTION("D's learning rate 0: only G changes, though G's loss reached D") {
    auto gan = toy_gan({.g = {.lr = 1e-2, .beta1 = 0.5}, .d = {.lr = 0.0}});
    const auto g0 = snapshot(gan.generator()), d0 = snapshot(gan.discriminator());
    gan.train_step(toy_batch());
    REQUIRE(none_same(g0, gan.generator()));
    REQUIRE(same(d0, gan.discriminator()));
    for (const Tensor& p : gan.discriminator().parameters()) REQUIRE_FALSE(p.grad().defined());
  }
  SECTION("the optimizers hold exactly their network's parameters") {
    auto gan = toy_gan();
    const auto gp = gan.generator().parameters(), dp = gan.discriminator().parameters();
    const auto go = gan.g_optimizer().parameters(), dop = gan.d_optimizer().parameters();
    REQUIRE(go.size() == gp.size());
    REQUIRE(dop.size() == dp.size());
    for (std::size_t i = 0; i < gp.size(); ++i) REQUIRE(go[i].is_same(gp[i]));
    for (std::size_t i = 0; i < dp.size(); ++i) REQUIRE(dop[i].is_same(dp[i]));
    REQUIRE(gan.g_optimizer().lr() == 2e-4);
    REQUIRE(gan.g_optimizer().options().beta1 == 0.5);
  }
}

TEST_CASE("gan: d_steps discriminator updates per generator update", "[models][gan]") {
  manual_seed(2);
  auto gan = toy_gan({.d_steps = 3});
  for (int i = 0; i < 2; ++i) gan.train_step(toy_batch());
  REQUIRE(gan.step() == 2);
  REQUIRE(gan.d_optimizer().state_dict().at("0.step").item<std::int64_t>() == 6);
  REQUIRE(gan.g_optimizer().state_dict().at("0.step").item<std::int64_t>() == 2);
  REQUIRE_THROWS_AS(toy_gan({.d_steps = 0}), ValueError);
  REQUIRE_THROWS_AS(toy_gan({.label_smoothing = 1.0}), ValueError);
  REQUIRE_THROWS_AS(toy_gan({.ema_decay = 1.0}), ValueError);
}

TEST_CASE("gan: losses and figures are those of the networks on the step's noise", "[models][gan]") {
  manual_seed(3);
  // With both learning rates 0 nothing changes, so the step's figures can be
  // recomputed from the same noise (the D step's, then the G step's).
  auto check = [](auto gan, bool logits) {
    const Tensor real = toy_batch(8);
    const GeneratorState rng = default_generator().state();
    const auto s = gan.train_step(real);
    default_generator().set_state(rng);
    const Tensor z_d = gan.noise(8), z_g = gan.noise(8);
    NoGradGuard no_grad;
    auto& G = gan.generator();
    auto& D = gan.discriminator();
    const Tensor r = D.forward(real), f = D.forward(G.forward(z_d)), fg = D.forward(G.forward(z_g));
    REQUIRE(s.d_loss == Approx(gan.objective().d_loss(r, f, 0.0).item()).epsilon(1e-6));
    REQUIRE(s.g_loss == Approx(gan.objective().g_loss(fg).item()).epsilon(1e-6));
    REQUIRE(s.d_real == Approx((logits ? sigmoid(r) : r).mean().item()).epsilon(1e-6));
    REQUIRE(s.d_fake == Approx((logits ? sigmoid(f) : f).mean().item()).epsilon(1e-6));
    if (logits) REQUIRE((s.d_real > 0 && s.d_real < 1));
  };
  check(toy_gan({.g = {.lr = 0}, .d = {.lr = 0}}), true);
  check(toy_gan({.g = {.lr = 0}, .d = {.lr = 0}}, models::HingeLoss{}), false);
  check(toy_gan({.g = {.lr = 0}, .d = {.lr = 0}}, models::WassersteinLoss{.clip = 0}), false);
}

TEST_CASE("gan: G's step computes no gradient for D, and G's gradients are the full backward's", "[models][gan]") {
  manual_seed(4);
  // With both learning rates 0 nothing changes, so G's step can be redone
  // from the same noise with D's parameters requiring grad (a plain
  // backward through both networks): G's gradients must be the same bits.
  auto check = [](auto gan, const Tensor& real) {
    const GeneratorState rng = default_generator().state();
    gan.train_step(real);
    auto& G = gan.generator();
    auto& D = gan.discriminator();
    for (const Tensor& p : D.parameters()) {
      REQUIRE(p.requires_grad());  // frozen for G's step only
      REQUIRE_FALSE(p.grad().defined());
    }
    std::map<std::string, Tensor> from_step;
    for (const auto& [name, p] : G.named_parameters()) {
      REQUIRE(p.grad().defined());
      from_step.emplace(name, p.grad().clone());
    }
    default_generator().set_state(rng);
    gan.noise(real.size(0));  // the D step's noise
    const Tensor z_g = gan.noise(real.size(0));
    G.zero_grad();
    gan.objective().g_loss(D.forward(G.forward(z_g)).reshape({real.size(0)})).backward();
    for (const Tensor& p : D.parameters()) REQUIRE(p.grad().defined());  // the work the step leaves out
    for (const auto& [name, p] : G.named_parameters()) {
      INFO(name);
      const Tensor grad = p.grad(), saved = from_step.at(name);
      REQUIRE(grad.to_vector<double>() == saved.to_vector<double>());
    }
  };
  check(toy_gan({.g = {.lr = 0}, .d = {.lr = 0}}), toy_batch(8));
  // Convolutions, batch norm and LeakyReLU in D.
  check(models::GAN(models::dcgan_generator({.nz = 8, .ngf = 4, .size = 28, .channels = 1}),
                    models::dcgan_discriminator({.ndf = 4, .size = 28, .channels = 1}), models::NonSaturatingLoss{},
                    models::GANOptions{.g = {.lr = 0}, .d = {.lr = 0}, .fixed_noise = 0}),
        rand({4, 1, 28, 28}) * 2.0 - 1.0);
}

TEST_CASE("gan: EMA weights follow shadow = decay shadow + (1 - decay) param and drive sample()", "[models][gan]") {
  manual_seed(4);
  auto gan = toy_gan({.g = {.lr = 1e-2, .beta1 = 0.5}, .ema_decay = 0.9});
  REQUIRE(gan.ema().size() == gan.generator().named_parameters().size());
  const auto p0 = snapshot(gan.generator());
  for (const auto& [name, shadow] : gan.ema()) require_close(shadow, p0.at(name), 0);  // starts at G's weights
  gan.train_step(toy_batch());
  const auto p1 = snapshot(gan.generator());
  for (const auto& [name, shadow] : gan.ema())
    require_close(shadow, p0.at(name) * 0.9 + p1.at(name) * 0.1, 1e-6);
  gan.train_step(toy_batch());
  const auto p2 = snapshot(gan.generator());
  for (const auto& [name, shadow] : gan.ema())
    require_close(shadow, (p0.at(name) * 0.9 + p1.at(name) * 0.1) * 0.9 + p2.at(name) * 0.1, 1e-6);

  // sample_fixed() is a generator with the EMA weights, run on the fixed noise...
  auto ema_net = models::mlp_generator(gan.generator().options);
  ema_net.load_state_dict(gan.ema());
  const Tensor with_ema = gan.sample_fixed();
  {
    NoGradGuard no_grad;
    require_close(with_ema, ema_net.forward(gan.fixed_noise()), 1e-6);
    REQUIRE_FALSE(with_ema.to_vector<double>() == gan.generator().forward(gan.fixed_noise()).to_vector<double>());
  }
  // ...and the generator gets its own weights back, in training mode.
  REQUIRE(same(p2, gan.generator()));
  REQUIRE(gan.generator().is_training());
  REQUIRE_FALSE(with_ema.requires_grad());
}

TEST_CASE("gan: with ema_warmup the EMA decay is min(decay, (1 + n) / (10 + n)) at update n", "[models][gan]") {
  manual_seed(4);
  auto gan = toy_gan({.g = {.lr = 1e-2, .beta1 = 0.5}, .ema_decay = 0.999, .ema_warmup = true});
  const auto p0 = snapshot(gan.generator());
  gan.train_step(toy_batch());  // n = 0: decay 0.1
  const auto p1 = snapshot(gan.generator());
  for (const auto& [name, shadow] : gan.ema()) require_close(shadow, p0.at(name) * 0.1 + p1.at(name) * 0.9, 1e-6);
  gan.train_step(toy_batch());  // n = 1: decay 2 / 11
  const auto p2 = snapshot(gan.generator());
  const double d1 = 2.0 / 11.0;
  for (const auto& [name, shadow] : gan.ema())
    require_close(shadow, (p0.at(name) * 0.1 + p1.at(name) * 0.9) * d1 + p2.at(name) * (1 - d1), 1e-6);
}

TEST_CASE("gan: fixed noise is drawn once and sample() draws afresh", "[models][gan]") {
  manual_seed(5);
  auto gan = toy_gan({.fixed_noise = 10});
  REQUIRE(gan.fixed_noise().shape() == Shape{10, 3});
  const Tensor z = gan.fixed_noise().clone();
  const Tensor a = gan.sample_fixed();
  REQUIRE(a.shape() == Shape{10, 2});
  require_close(gan.sample_fixed(), a, 0);
  gan.train_step(toy_batch());
  require_close(gan.fixed_noise(), z, 0);
  REQUIRE_FALSE(gan.sample_fixed().to_vector<double>() == a.to_vector<double>());  // G has moved
  REQUIRE(gan.sample(7).shape() == Shape{7, 2});
  REQUIRE_FALSE(gan.sample(4).to_vector<double>() == gan.sample(4).to_vector<double>());
  auto none = toy_gan({.fixed_noise = 0});
  REQUIRE_THROWS_AS(none.sample_fixed(), ValueError);
}

TEST_CASE("gan: the two Adam options can be given as one", "[models][gan]") {
  manual_seed(6);
  auto gan = models::GAN(models::mlp_generator(), models::mlp_discriminator(), models::MinimaxLoss{},
                         optim::AdamOptions{.lr = 1e-3, .beta1 = 0.5});
  REQUIRE(gan.g_optimizer().lr() == 1e-3);
  REQUIRE(gan.d_optimizer().lr() == 1e-3);
  REQUIRE(gan.d_optimizer().options().beta1 == 0.5);
  REQUIRE(gan.options().fixed_noise == 64);
  REQUIRE_THROWS_AS(gan.train_step(zeros({4, 3})), ShapeError);  // D expects 2 features
  REQUIRE_THROWS_AS(gan.train_step(Tensor()), ShapeError);
}

TEST_CASE("gan: a checkpoint round trip continues training identically", "[models][gan][io]") {
  zengen::testing::TempDir dir;
  const std::string path = dir.file("gan.safetensors");
  auto make = [] {
    return models::GAN(models::dcgan_generator({.nz = 8, .ngf = 4, .size = 28, .channels = 1}),
                       models::dcgan_discriminator({.ndf = 4, .size = 28, .channels = 1}),
                       models::NonSaturatingLoss{}, models::GANOptions{.d_steps = 2, .ema_decay = 0.5, .fixed_noise = 4});
  };
  manual_seed(10);
  const Tensor data = rand({4, 1, 28, 28}) * 2.0 - 1.0;
  auto a = make();
  for (int i = 0; i < 2; ++i) a.train_step(data);
  io::save_checkpoint(path, a.state_dict());
  std::vector<models::GANStepStats> expected;
  for (int i = 0; i < 2; ++i) expected.push_back(a.train_step(data));

  manual_seed(99);  // another initialisation and another random stream
  auto b = make();
  b.load_state_dict(io::load_checkpoint(path).parts);
  REQUIRE(b.step() == 2);
  for (int i = 0; i < 2; ++i) {
    const auto s = b.train_step(data);
    REQUIRE(s.d_loss == expected[i].d_loss);
    REQUIRE(s.g_loss == expected[i].g_loss);
    REQUIRE(s.d_real == expected[i].d_real);
    REQUIRE(s.d_fake == expected[i].d_fake);
  }
  for (const auto& part : {"generator", "discriminator", "ema", "g_optimizer", "d_optimizer", "gan"}) {
    const auto sa = a.state_dict().at(part), sb = b.state_dict().at(part);
    REQUIRE(sa.size() == sb.size());
    for (const auto& [name, t] : sa) {
      INFO(part << "." << name);
      REQUIRE(t.to_vector<double>() == sb.at(name).to_vector<double>());
    }
  }
  require_close(b.sample_fixed(), a.sample_fixed(), 0);
}

TEST_CASE("gan: a bad state leaves the GAN as it was", "[models][gan][io]") {
  manual_seed(11);
  auto gan = toy_gan();
  auto other = models::GAN(models::mlp_generator({.nz = 3, .hidden = 8, .out_features = 2, .layers = 1}),
                           models::mlp_discriminator({.in_features = 2, .hidden = 9, .layers = 1}));
  const auto before_g = snapshot(gan.generator()), before_d = snapshot(gan.discriminator());
  auto parts = other.state_dict();
  parts["generator"] = gan.state_dict().at("generator");
  // The generator part would load; the discriminator's is of another width.
  auto* g0 = &parts["generator"];
  for (auto& [name, t] : *g0) t = t * 0.0;
  REQUIRE_THROWS_AS(gan.load_state_dict(parts), ShapeError);
  REQUIRE(same(before_g, gan.generator()));
  REQUIRE(same(before_d, gan.discriminator()));
  auto missing = gan.state_dict();
  missing.erase("gan");
  REQUIRE_THROWS_AS(gan.load_state_dict(missing), ValueError);
  auto with_ema = toy_gan({.ema_decay = 0.9}).state_dict();
  REQUIRE_THROWS_AS(gan.load_state_dict(with_ema), ValueError);  // EMA weights where none are kept
}

TEST_CASE("gan: WGAN clipping keeps the critic's parameters in [-clip, clip]", "[models][gan]") {
  manual_seed(12);
  auto gan = toy_gan({.d = {.lr = 1e-2}, .d_steps = 5}, models::WassersteinLoss{.clip = 0.01});
  double largest = 0;
  for (const Tensor& p : gan.discriminator().parameters()) largest = std::max(largest, max(abs(p)).item());
  REQUIRE(largest > 0.1);  // the default initialisation is far wider
  const auto s = gan.train_step(toy_batch());
  for (const Tensor& p : gan.discriminator().parameters()) {
    REQUIRE(max(abs(p)).item() <= 0.01 + 1e-9);
  }
  REQUIRE(std::isfinite(s.d_loss));
  // clip = 0 turns it off
  auto free = toy_gan({.d = {.lr = 1e-2}}, models::WassersteinLoss{.clip = 0});
  free.train_step(toy_batch());
  largest = 0;
  for (const Tensor& p : free.discriminator().parameters()) largest = std::max(largest, max(abs(p)).item());
  REQUIRE(largest > 0.1);
}

TEST_CASE("gan: gradient clipping and label smoothing train without trouble", "[models][gan]") {
  manual_seed(13);
  auto gan = toy_gan({.label_smoothing = 0.1, .clip_grad_norm = 1e-3, .ema_decay = 0.99});
  for (int i = 0; i < 3; ++i) {
    const auto s = gan.train_step(toy_batch());
    REQUIRE(std::isfinite(s.d_loss));
    REQUIRE(std::isfinite(s.g_loss));
  }
}

// ---- builders ----

TEST_CASE("dcgan: output shapes for 28, 32 and 64 pixels, 1 and 3 channels", "[models][dcgan]") {
  manual_seed(20);
  for (std::int64_t size : {28, 32, 64})
    for (std::int64_t channels : {1, 3}) {
      INFO("size " << size << ", channels " << channels);
      auto g = models::dcgan_generator({.nz = 10, .ngf = 4, .size = size, .channels = channels});
      auto d = models::dcgan_discriminator({.ndf = 4, .size = size, .channels = channels});
      REQUIRE(g.latent_shape() == Shape{10, 1, 1});
      const Tensor x = g.forward(randn({3, 10, 1, 1}));
      REQUIRE(x.shape() == Shape{3, channels, size, size});
      REQUIRE(max(abs(x)).item() <= 1.0);
      REQUIRE(g.forward(randn({2, 10})).shape() == Shape{2, channels, size, size});  // [N, nz] too
      REQUIRE(d.forward(x).shape() == Shape{3});
      d.forward(x).sum().backward();  // differentiable end to end
      REQUIRE(g.main.at<nn::ConvTranspose2d>(0).weight.grad().defined());
    }
  REQUIRE_THROWS_AS(models::dcgan_generator({.size = 48}), ValueError);
  REQUIRE_THROWS_AS(models::dcgan_discriminator({.channels = 2}), ValueError);
  auto d = models::dcgan_discriminator({.ndf = 4, .size = 32, .channels = 3});
  REQUIRE_THROWS_AS(d.forward(zeros({1, 3, 28, 28})), ShapeError);
}

TEST_CASE("dcgan: 64x64x3 parameter counts match PyTorch's example, and its initialisation", "[models][dcgan]") {
  manual_seed(21);
  auto g = models::dcgan_generator({.nz = 100, .ngf = 64, .size = 64, .channels = 3});
  auto d = models::dcgan_discriminator({.ndf = 64, .size = 64, .channels = 3});
  REQUIRE(g.num_parameters() == 3576704);
  REQUIRE(d.num_parameters() == 2765568);
  // N(0, 0.02) conv weights, N(1, 0.02) BatchNorm weights, zero BatchNorm biases.
  const Tensor w = g.main.at<nn::ConvTranspose2d>(3).weight;  // 512 x 256 x 4 x 4
  REQUIRE(std::abs(w.mean().item()) < 1e-3);
  REQUIRE(std::sqrt(var(w).item()) == Approx(0.02).epsilon(0.01));
  const auto& bn = d.main.at<nn::BatchNorm2d>(3);
  REQUIRE(bn.weight.mean().item() == Approx(1.0).epsilon(0.01));
  REQUIRE(std::sqrt(var(bn.weight).item()) == Approx(0.02).epsilon(0.2));
  REQUIRE(max(abs(bn.bias)).item() == 0.0);
  REQUIRE_FALSE(d.main.at<nn::Conv2d>(0).bias.defined());
}

TEST_CASE("mlp builders: shapes and layers", "[models][dcgan]") {
  manual_seed(22);
  auto g = models::mlp_generator({.nz = 4, .hidden = 16, .out_features = 2, .layers = 3});
  auto d = models::mlp_discriminator({.in_features = 2, .hidden = 16, .layers = 3});
  REQUIRE(g.latent_shape() == Shape{4});
  REQUIRE(g.main.size() == 7);
  REQUIRE(g.main.at<nn::LeakyReLU>(1).negative_slope == 0.2);
  REQUIRE(d.main.at<nn::LeakyReLU>(1).negative_slope == 0.2);
  const Tensor x = g.forward(randn({5, 4}));
  REQUIRE(x.shape() == Shape{5, 2});
  REQUIRE(d.forward(x).shape() == Shape{5});
  REQUIRE(g.num_parameters() == (4 * 16 + 16) + 2 * (16 * 16 + 16) + (16 * 2 + 2));
  REQUIRE_THROWS_AS(models::mlp_generator({.layers = 0}), ValueError);
}
