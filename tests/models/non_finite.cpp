// NaN and Inf in a training step: GAN<>::train_step and VAE<>::train_step
// check every update's loss and gradients before the optimizer step. With
// NonFinitePolicy::Raise they throw naming the step and what was not
// finite; with Skip the update is left out (weights, optimizer state and
// BatchNorm buffers bit for bit as before) and counted.
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>

#include "helpers.hpp"

using namespace zengen;
namespace models = zengen::models;

namespace {

enum class Poison { None, DLoss, GLoss, DGradient, Both };

// The non-saturating objective, poisoned on demand: a NaN loss, or a finite
// loss whose gradient is NaN (d sqrt(u)/du at u = 0 is Inf, times the 0 of
// u = 0 * fake gives NaN in D's gradients).
struct PoisonedLoss {
  static constexpr bool logit_outputs = true;
  std::shared_ptr<Poison> poison = std::make_shared<Poison>(Poison::None);
  Tensor d_loss(const Tensor& real, const Tensor& fake, double smoothing = 0.0) const {
    Tensor loss = models::NonSaturatingLoss{}.d_loss(real, fake, smoothing);
    if (*poison == Poison::DLoss || *poison == Poison::Both) return loss * std::numeric_limits<double>::quiet_NaN();
    if (*poison == Poison::DGradient) return loss + mean(sqrt(fake * 0.0));
    return loss;
  }
  Tensor g_loss(const Tensor& fake) const {
    Tensor loss = models::NonSaturatingLoss{}.g_loss(fake);
    if (*poison == Poison::GLoss || *poison == Poison::Both) return loss + std::numeric_limits<double>::infinity();
    return loss;
  }
};

using State = std::map<std::string, Tensor>;
State params_of(const nn::ModuleBase& m) {
  State out;
  for (const auto& [name, p] : m.named_parameters()) out.emplace(name, p.detach().clone());
  return out;
}
State copy(const State& s) {
  State out;
  for (const auto& [name, t] : s) out.emplace(name, t.detach().clone());
  return out;
}
// Bit for bit (NaN-free inputs): every entry's values equal.
bool identical(const State& a, const State& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, t] : a) {
    auto it = b.find(name);
    if (it == b.end() || it->second.shape() != t.shape() || it->second.to_vector<double>() != t.to_vector<double>())
      return false;
  }
  return true;
}

auto small_dcgan(models::GANOptions options) {
  manual_seed(5);
  return models::GAN(models::dcgan_generator({.nz = 8, .ngf = 4, .size = 28, .channels = 1}),
                     models::dcgan_discriminator({.ndf = 4, .size = 28, .channels = 1}), PoisonedLoss{}, options);
}

Tensor real_batch() { return rand({4, 1, 28, 28}) * 2.0 - 1.0; }

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ValueError& e) {
    return e.what();
  }
  return "(no ValueError)";
}

}  // namespace

TEST_CASE("gan: a NaN or Inf loss or gradient raises naming the step", "[models][gan][nan]") {
  auto gan = small_dcgan({.ema_decay = 0.9});
  const Tensor real = real_batch();
  gan.train_step(real);
  gan.train_step(real);

  *gan.objective().poison = Poison::DLoss;
  std::string what = message_of([&] { gan.train_step(real); });
  REQUIRE_THAT(what, Catch::Contains("GAN::train_step: step 2") && Catch::Contains("discriminator loss is NaN"));

  *gan.objective().poison = Poison::GLoss;
  what = message_of([&] { gan.train_step(real); });
  REQUIRE_THAT(what, Catch::Contains("step 2") && Catch::Contains("generator loss is Inf"));

  *gan.objective().poison = Poison::DGradient;
  what = message_of([&] { gan.train_step(real); });
  REQUIRE_THAT(what, Catch::Contains("step 2") && Catch::Contains("gradient of discriminator parameter 'main.0.weight'"));
  REQUIRE(gan.step() == 2);

  // A NaN in the data is caught the same way.
  *gan.objective().poison = Poison::None;
  Tensor bad = real.clone();
  bad.data<float>()[17] = std::numeric_limits<float>::quiet_NaN();
  what = message_of([&] { gan.train_step(bad); });
  REQUIRE_THAT(what, Catch::Contains("discriminator loss is NaN"));
}

TEST_CASE("gan: Skip leaves a non-finite update out and counts it", "[models][gan][nan]") {
  for (Poison poison : {Poison::DLoss, Poison::DGradient}) {
    DYNAMIC_SECTION("discriminator, poison " << static_cast<int>(poison)) {
      auto gan = small_dcgan({.ema_decay = 0.9, .non_finite = optim::NonFinitePolicy::Skip});
      const Tensor real = real_batch();
      gan.train_step(real);  // optimizer state exists, BatchNorm statistics moved
      // (D's buffers move on in G's update, which runs D in training mode.)
      const State d_before = params_of(gan.discriminator());
      const State d_opt_before = gan.d_optimizer().state_dict();
      const State g_before = params_of(gan.generator());
      *gan.objective().poison = poison;
      const auto stats = gan.train_step(real);
      REQUIRE(stats.skipped == 1);
      REQUIRE(gan.skipped_updates() == 1);
      REQUIRE(gan.step() == 2);
      REQUIRE(identical(params_of(gan.discriminator()), d_before));
      REQUIRE(identical(gan.d_optimizer().state_dict(), d_opt_before));
      REQUIRE_FALSE(identical(params_of(gan.generator()), g_before));  // G's update went ahead
      for (const auto& [name, p] : gan.discriminator().named_parameters()) REQUIRE_FALSE(p.grad().defined());
      // Training goes on once the poison is gone.
      *gan.objective().poison = Poison::None;
      REQUIRE(gan.train_step(real).skipped == 0);
      REQUIRE_FALSE(identical(params_of(gan.discriminator()), d_before));
      REQUIRE(gan.skipped_updates() == 1);
    }
  }
  SECTION("generator") {
    auto gan = small_dcgan({.ema_decay = 0.9, .non_finite = optim::NonFinitePolicy::Skip});
    const Tensor real = real_batch();
    gan.train_step(real);
    const State g_before = params_of(gan.generator());
    const State g_opt_before = gan.g_optimizer().state_dict();
    const State ema_before = copy(gan.ema());
    const State d_params_before = params_of(gan.discriminator());
    *gan.objective().poison = Poison::GLoss;
    const auto stats = gan.train_step(real);
    REQUIRE(stats.skipped == 1);
    REQUIRE(std::isinf(stats.g_loss));
    REQUIRE(identical(params_of(gan.generator()), g_before));
    REQUIRE(identical(gan.g_optimizer().state_dict(), g_opt_before));
    REQUIRE(identical(gan.ema(), ema_before));
    REQUIRE_FALSE(identical(params_of(gan.discriminator()), d_params_before));  // D's update went ahead
    // The count survives a checkpoint round trip.
    auto other = small_dcgan({.ema_decay = 0.9, .non_finite = optim::NonFinitePolicy::Skip});
    other.load_state_dict(gan.state_dict());
    REQUIRE(other.skipped_updates() == 1);
  }
  SECTION("both: the whole step left out, BatchNorm statistics included") {
    auto gan = small_dcgan({.ema_decay = 0.9, .non_finite = optim::NonFinitePolicy::Skip});
    const Tensor real = real_batch();
    gan.train_step(real);
    const State g_before = copy(gan.generator().state_dict()), d_before = copy(gan.discriminator().state_dict());
    REQUIRE(gan.generator().named_buffers().size() > 0);  // there are BatchNorm buffers to protect
    const State g_opt = gan.g_optimizer().state_dict(), d_opt = gan.d_optimizer().state_dict();
    *gan.objective().poison = Poison::Both;
    REQUIRE(gan.train_step(real).skipped == 2);
    REQUIRE(identical(gan.generator().state_dict(), g_before));
    REQUIRE(identical(gan.discriminator().state_dict(), d_before));
    REQUIRE(identical(gan.g_optimizer().state_dict(), g_opt));
    REQUIRE(identical(gan.d_optimizer().state_dict(), d_opt));
    REQUIRE(gan.skipped_updates() == 2);
  }
}

TEST_CASE("vae: a NaN loss raises, or is skipped and counted", "[models][vae][nan]") {
  auto make = [](optim::NonFinitePolicy policy) {
    manual_seed(9);
    return models::VAE(models::mlp_vae({.input = {1, 4, 4}, .hidden = 8, .latent = 2}),
                       models::BernoulliLikelihood{}, {.non_finite = policy});
  };
  const Tensor x = rand({6, 1, 4, 4});
  Tensor bad = x.clone();
  bad.data<float>()[3] = std::numeric_limits<float>::quiet_NaN();

  auto raising = make(optim::NonFinitePolicy::Raise);
  raising.train_step(x);
  const std::string what = message_of([&] { raising.train_step(bad); });
  REQUIRE_THAT(what, Catch::Contains("VAE::train_step: step 1") && Catch::Contains("the loss is NaN"));

  auto skipping = make(optim::NonFinitePolicy::Skip);
  skipping.train_step(x);
  std::map<std::string, State> parts_before;  // copies: a state_dict's network entries are the live parameters
  for (const auto& [part, state] : skipping.state_dict()) parts_before[part] = copy(state);
  const auto stats = skipping.train_step(bad);
  REQUIRE(stats.skipped);
  REQUIRE(std::isnan(stats.loss));
  REQUIRE(skipping.skipped_steps() == 1);
  REQUIRE(skipping.step() == 2);
  const auto parts_after = skipping.state_dict();
  REQUIRE(identical(parts_after.at("encoder"), parts_before.at("encoder")));
  REQUIRE(identical(parts_after.at("decoder"), parts_before.at("decoder")));
  REQUIRE(identical(parts_after.at("optimizer"), parts_before.at("optimizer")));
  REQUIRE_FALSE(skipping.train_step(x).skipped);
  REQUIRE_FALSE(identical(skipping.state_dict().at("encoder"), parts_before.at("encoder")));
  // The count is part of the checkpoint.
  auto restored = make(optim::NonFinitePolicy::Skip);
  restored.load_state_dict(skipping.state_dict());
  REQUIRE(restored.skipped_steps() == 1);
}
