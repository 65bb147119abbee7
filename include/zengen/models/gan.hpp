// GAN<G, D, Objective>: a generator, a discriminator (or critic), the
// objective they play, and one Adam optimizer each, trained with
// train_step(real). The networks are any types that satisfy the Generator
// and Discriminator concepts (concepts.hpp); the objective is a small struct
// with d_loss/g_loss (MinimaxLoss, NonSaturatingLoss, LeastSquaresLoss,
// HingeLoss, WassersteinLoss below, or your own).
//
//   auto gan = models::GAN(models::dcgan_generator({.nz = 100, .size = 64}),
//                          models::dcgan_discriminator({.size = 64}),
//                          models::NonSaturatingLoss{},
//                          models::GANOptions{.ema_decay = 0.999});
//   for (const auto& batch : loader) auto s = gan.train_step(batch.images);
//   io::save_image_grid(gan.sample_fixed(), "progress.png");
//   io::save_checkpoint("gan.safetensors", gan.state_dict());
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "zengen/autograd/grad_mode.hpp"
#include "zengen/core/generator.hpp"
#include "zengen/core/tensor.hpp"
#include "zengen/io/checkpoint.hpp"
#include "zengen/models/concepts.hpp"
#include "zengen/ops/activation.hpp"
#include "zengen/ops/elementwise.hpp"
#include "zengen/ops/factory.hpp"
#include "zengen/ops/loss.hpp"
#include "zengen/ops/reduction.hpp"
#include "zengen/optim/adam.hpp"
#include "zengen/optim/clip.hpp"
#include "zengen/optim/finite.hpp"

namespace zengen::models {

// ---- objectives ----------------------------------------------------------
//
// Each takes the discriminator's outputs flattened to [N] (logits, or raw
// scores for the least-squares, hinge and Wasserstein objectives) and
// returns a 0-d loss. `smoothing` is one-sided label smoothing: the real
// target becomes 1 - smoothing (objectives without targets ignore it).
// `logit_outputs` says whether D's outputs are logits of "real" (train_step
// then reports d_real/d_fake as mean sigmoid) or raw scores (reported as
// they are). An optional `after_d_step(d)` runs after each discriminator
// update (WGAN's weight clipping).

/// Goodfellow et al.'s original game: D minimises BCE(D(x), 1) + BCE(D(G(z)), 0);
/// G minimises E[log(1 - D(G(z)))] = -BCE(D(G(z)), 0), which saturates
/// when D rejects the fakes confidently (see NonSaturatingLoss).
struct MinimaxLoss {
  static constexpr bool logit_outputs = true;
  Tensor d_loss(const Tensor& real, const Tensor& fake, double smoothing = 0.0) const {
    return binary_cross_entropy_with_logits(real, full_like(real, 1.0 - smoothing)) +
           binary_cross_entropy_with_logits(fake, zeros_like(fake));
  }
  Tensor g_loss(const Tensor& fake) const { return -binary_cross_entropy_with_logits(fake, zeros_like(fake)); }
};

/// The same D loss; G maximises log D(G(z)) instead: L_G = BCE(D(G(z)), 1).
struct NonSaturatingLoss {
  static constexpr bool logit_outputs = true;
  Tensor d_loss(const Tensor& real, const Tensor& fake, double smoothing = 0.0) const {
    return MinimaxLoss{}.d_loss(real, fake, smoothing);
  }
  Tensor g_loss(const Tensor& fake) const { return binary_cross_entropy_with_logits(fake, ones_like(fake)); }
};

/// LSGAN (Mao et al.), on raw outputs: L_D = 0.5 mse(D(x), 1) + 0.5 mse(D(G(z)), 0),
/// L_G = 0.5 mse(D(G(z)), 1).
struct LeastSquaresLoss {
  static constexpr bool logit_outputs = false;
  Tensor d_loss(const Tensor& real, const Tensor& fake, double smoothing = 0.0) const {
    return 0.5 * mse_loss(real, full_like(real, 1.0 - smoothing)) + 0.5 * mse_loss(fake, zeros_like(fake));
  }
  Tensor g_loss(const Tensor& fake) const { return 0.5 * mse_loss(fake, ones_like(fake)); }
};

/// The hinge loss (Lim & Ye; SAGAN, BigGAN): L_D = mean relu(1 - D(x)) +
/// mean relu(1 + D(G(z))), L_G = -mean D(G(z)).
struct HingeLoss {
  static constexpr bool logit_outputs = false;
  Tensor d_loss(const Tensor& real, const Tensor& fake, double /*smoothing*/ = 0.0) const {
    return mean(relu(1.0 - real)) + mean(relu(1.0 + fake));
  }
  Tensor g_loss(const Tensor& fake) const { return -mean(fake); }
};

/// WGAN (Arjovsky et al.): the critic minimises mean D(G(z)) - mean D(x),
/// G minimises -mean D(G(z)); after each critic step every critic parameter
/// is clamped to [-clip, clip] (clip = 0: no clamping). Usually trained with
/// d_steps = 5 (and, in the paper, RMSProp with lr 5e-5).
struct WassersteinLoss {
  static constexpr bool logit_outputs = false;
  double clip = 0.01;
  Tensor d_loss(const Tensor& real, const Tensor& fake, double /*smoothing*/ = 0.0) const {
    return mean(fake) - mean(real);
  }
  Tensor g_loss(const Tensor& fake) const { return -mean(fake); }
  template <nn::Module M>
  void after_d_step(M& critic) const {
    if (clip <= 0.0) return;
    NoGradGuard no_grad;
    for (const Tensor& p : critic.parameters()) p.copy_(clamp(p, -clip, clip));
  }
};

/// What GAN<> asks of an objective.
template <typename O>
concept GANObjective = requires(const O& o, const Tensor& real, const Tensor& fake, double smoothing) {
  { o.d_loss(real, fake, smoothing) } -> std::convertible_to<Tensor>;
  { o.g_loss(fake) } -> std::convertible_to<Tensor>;
};

// ---- the trainer ---------------------------------------------------------

/// How a GAN trains. Note that `.g = optim::AdamOptions{.lr = 1e-3}` gets
/// Adam's own defaults for the other fields (beta1 0.9): name beta1 too.
struct GANOptions {
  optim::AdamOptions g{.lr = 2e-4, .beta1 = 0.5};  // the generator's optimizer
  optim::AdamOptions d{.lr = 2e-4, .beta1 = 0.5};  // the discriminator's
  int d_steps = 1;                 // discriminator updates per generator update
  double label_smoothing = 0.0;    // one-sided: the real target is 1 - label_smoothing
  double clip_grad_norm = 0.0;     // > 0: clip each net's gradients to this global norm
  double ema_decay = 0.0;          // > 0: sample() uses an exponential moving average of G's weights
  // The EMA's decay at generator update n is min(ema_decay, (1 + n) / (10 + n)),
  // so early samples are not dominated by the random initial weights
  // (with 0.999, 240 updates would still leave 79% of the average on them).
  bool ema_warmup = false;
  std::int64_t fixed_noise = 64;   // noise vectors drawn at construction, for sample_fixed()
  // A NaN or Inf loss or gradient, checked before each optimizer step: Raise
  // throws ValueError naming the step, the network and the loss or
  // parameter; Skip leaves that update out (the network's weights, its
  // optimizer state and both networks' buffers stay as they were) and counts
  // it in GANStepStats::skipped and GAN::skipped_updates().
  optim::NonFinitePolicy non_finite = optim::NonFinitePolicy::Raise;
};

/// One train_step's figures. d_loss, d_real and d_fake are those of the last
/// discriminator update; d_real/d_fake are the mean of D's output on the real
/// and the fake batch, as a probability (mean sigmoid) for logit objectives
/// and as the raw mean score otherwise.
struct GANStepStats {
  double d_loss = 0.0;
  double g_loss = 0.0;
  double d_real = 0.0;
  double d_fake = 0.0;
  int skipped = 0;  // updates (of D or G) left out for a non-finite loss or gradient (NonFinitePolicy::Skip)
};

/// A GAN: generator G and discriminator D, each with its Adam, trained by train_step() under Objective (see the file's summary).
template <Generator G, Discriminator D, GANObjective Objective = NonSaturatingLoss>
class GAN {
 public:
  using Parts = std::map<std::string, io::StateDict>;

  /// Takes the networks (handles: the GAN trains the very modules you pass),
  /// builds one Adam per network and draws options.fixed_noise noise
  /// vectors from the global generator.
  GAN(G generator, D discriminator, Objective objective = {}, GANOptions options = {})
      : g_(std::move(generator)), d_(std::move(discriminator)), objective_(std::move(objective)),
        options_(options) {
    ZENGEN_CHECK(options_.d_steps >= 1, ValueError, "GAN: d_steps must be >= 1, got ", options_.d_steps);
    ZENGEN_CHECK(options_.label_smoothing >= 0.0 && options_.label_smoothing < 1.0, ValueError,
                 "GAN: label_smoothing must be in [0, 1), got ", options_.label_smoothing);
    ZENGEN_CHECK(options_.clip_grad_norm >= 0.0, ValueError, "GAN: clip_grad_norm must be >= 0 (0 = off), got ",
                 options_.clip_grad_norm);
    ZENGEN_CHECK(options_.ema_decay >= 0.0 && options_.ema_decay < 1.0, ValueError,
                 "GAN: ema_decay must be in [0, 1) (0 = off), got ", options_.ema_decay);
    ZENGEN_CHECK(options_.fixed_noise >= 0, ValueError, "GAN: fixed_noise must be >= 0, got ",
                 options_.fixed_noise);
    g_optimizer_ = std::make_unique<optim::Adam>(g_.parameters(), options_.g);
    d_optimizer_ = std::make_unique<optim::Adam>(d_.parameters(), options_.d);
    if (options_.ema_decay > 0.0) {
      NoGradGuard no_grad;
      for (const auto& [name, p] : g_.named_parameters()) ema_.emplace(name, p.detach().clone());
    }
    if (options_.fixed_noise > 0) fixed_noise_ = noise(options_.fixed_noise);
  }
  /// The same Adam options for both networks (the rest of GANOptions at its defaults).
  GAN(G generator, D discriminator, Objective objective, optim::AdamOptions both)
      : GAN(std::move(generator), std::move(discriminator), std::move(objective),
            GANOptions{.g = both, .d = both}) {}

  /// d_steps discriminator updates on `real` [N, ...] (the same real batch,
  /// fresh noise each time), then one generator update with fresh noise
  /// (through D, whose parameters get no gradient from it).
  /// Each update's loss and gradients are checked for NaN/Inf first
  /// (GANOptions::non_finite). The step counter advances either way.
  GANStepStats train_step(const Tensor& real) {
    ZENGEN_CHECK(real.defined() && real.dim() >= 1 && real.size(0) > 0, ShapeError,
                 "GAN::train_step: expected a non-empty batch [N, ...] of real samples, got ",
                 real.defined() ? real.shape().str() : std::string("an undefined tensor"));
    const std::int64_t n = real.size(0);
    const Tensor real_in = real.detach();
    g_.train(true);
    d_.train(true);
    GANStepStats stats;
    for (int k = 0; k < options_.d_steps; ++k) {
      const optim::BufferSnapshot before(options_.non_finite, g_, d_);
      Tensor fake;
      {
        NoGradGuard no_grad;  // D's step does not differentiate through G
        fake = Tensor(g_.forward(noise(n))).detach();
      }
      d_optimizer_->zero_grad();
      const Tensor real_out = flat(d_.forward(real_in), n);
      const Tensor fake_out = flat(d_.forward(fake), n);
      const Tensor loss = objective_.d_loss(real_out, fake_out, options_.label_smoothing);
      loss.backward();
      // One read of the loss, D's outputs and the gradients' flag: on a GPU
      // each value read alone would wait for the device again.
      const auto v = optim::read_scalars({loss, summary(real_out), summary(fake_out),
                                          optim::device_gradients_flag(d_.named_parameters())});
      stats.d_loss = v[0];
      stats.d_real = v[1];
      stats.d_fake = v[2];
      if (!update_is_finite(stats.d_loss, std::isfinite(v[3]), d_, "discriminator", before)) {
        ++stats.skipped;
        continue;
      }
      if (options_.clip_grad_norm > 0.0) optim::clip_grad_norm_(d_.parameters(), options_.clip_grad_norm);
      d_optimizer_->step();
      if constexpr (requires { objective_.after_d_step(d_); }) objective_.after_d_step(d_);
    }
    d_.zero_grad();  // D's updates are done: its gradients go before G's step
    const optim::BufferSnapshot before(options_.non_finite, g_, d_);
    g_optimizer_->zero_grad();
    Tensor g_loss;
    {
      // G's loss is differentiated through D, but only G's parameters need
      // gradients: D's are frozen for the forward and backward pass, so no
      // gradient of D's weights is computed only to be thrown away.
      const FrozenParameters frozen(d_);
      const Tensor fake_out = flat(d_.forward(Tensor(g_.forward(noise(n)))), n);
      g_loss = objective_.g_loss(fake_out);
      g_loss.backward();
    }
    const auto v = optim::read_scalars({g_loss, optim::device_gradients_flag(g_.named_parameters())});
    stats.g_loss = v[0];
    if (update_is_finite(stats.g_loss, std::isfinite(v[1]), g_, "generator", before)) {
      if (options_.clip_grad_norm > 0.0) optim::clip_grad_norm_(g_.parameters(), options_.clip_grad_norm);
      g_optimizer_->step();
      update_ema();
    } else {
      ++stats.skipped;
    }
    skipped_updates_ += stats.skipped;
    ++step_;
    return stats;
  }

  /// n samples from fresh noise (global generator), in eval mode, without
  /// grad, with the EMA weights when enabled; G is back in train mode after.
  Tensor sample(std::int64_t n) {
    ZENGEN_CHECK(n >= 0, ValueError, "GAN::sample: n must be >= 0, got ", n);
    return generate(noise(n));
  }
  /// Samples from the noise drawn at construction (the same every call).
  Tensor sample_fixed() {
    ZENGEN_CHECK(fixed_noise_.defined(), ValueError, "GAN::sample_fixed: this GAN was built with fixed_noise = 0");
    return generate(fixed_noise_);
  }
  /// Noise for n samples: [n, latent_shape()...] from N(0, 1), on G's device and dtype.
  Tensor noise(std::int64_t n) const {
    Shape shape{n};
    for (std::int64_t d : Shape(g_.latent_shape())) shape.push_back(d);
    return randn(shape, tensor_options());
  }

  G& generator() { return g_; }
  const G& generator() const { return g_; }
  D& discriminator() { return d_; }
  const D& discriminator() const { return d_; }
  Objective& objective() { return objective_; }
  const GANOptions& options() const { return options_; }
  optim::Adam& g_optimizer() { return *g_optimizer_; }
  optim::Adam& d_optimizer() { return *d_optimizer_; }
  /// train_step calls so far (a step whose updates were skipped counts too).
  std::int64_t step() const { return step_; }
  /// Updates left out so far for a non-finite loss or gradient (NonFinitePolicy::Skip).
  std::int64_t skipped_updates() const { return skipped_updates_; }
  const Tensor& fixed_noise() const { return fixed_noise_; }
  /// The EMA weights by parameter name (empty when ema_decay is 0).
  const std::map<std::string, Tensor>& ema() const { return ema_; }

  /// Moves both networks, the EMA weights and the fixed noise, at any time:
  /// the optimizers' state follows the parameters at their next step.
  void to(Device device) {
    g_.to(device);
    d_.to(device);
    for (auto& [name, t] : ema_) t = t.to(device);
    if (fixed_noise_.defined()) fixed_noise_ = fixed_noise_.to(device);
  }

  /// A snapshot (copies) of everything training depends on, as checkpoint
  /// parts: "generator", "discriminator", "g_optimizer", "d_optimizer",
  /// "ema" (empty when off) and "gan": "step" (int64 0-d), "fixed_noise",
  /// "rng" (int64 [2]: the global generator's seed and offset, bit for bit).
  /// io::save_checkpoint(path, gan.state_dict()) writes it; an empty part
  /// is simply absent from the file.
  Parts state_dict() const {
    Parts parts;
    parts["generator"] = cloned(g_.state_dict());
    parts["discriminator"] = cloned(d_.state_dict());
    parts["g_optimizer"] = g_optimizer_->state_dict();
    parts["d_optimizer"] = d_optimizer_->state_dict();
    parts["ema"] = cloned(ema_);
    io::StateDict& own = parts["gan"];
    own["step"] = scalar_tensor(static_cast<double>(step_), {.dtype = DType::Int64});
    own["skipped_updates"] = scalar_tensor(static_cast<double>(skipped_updates_), {.dtype = DType::Int64});
    if (fixed_noise_.defined()) own["fixed_noise"] = fixed_noise_.clone();
    const GeneratorState rng = default_generator().state();
    own["rng"] = from_vector<std::int64_t>(
        {static_cast<std::int64_t>(rng.seed), static_cast<std::int64_t>(rng.offset)}, Shape{2});
    return parts;
  }

  /// Restores a state_dict() (or io::load_checkpoint(path).parts) of a GAN
  /// built the same way, the global generator's state included, so training
  /// continues exactly as it would have. A missing "ema" part counts as
  /// empty. On any error (ValueError, ShapeError, DTypeError naming the
  /// part and entry) the GAN is left as it was.
  void load_state_dict(const Parts& parts) {
    auto part = [&](const char* name) -> const io::StateDict& {
      auto it = parts.find(name);
      ZENGEN_CHECK(it != parts.end(), ValueError, "GAN::load_state_dict: missing part '", name, "'");
      return it->second;
    };
    static const io::StateDict no_ema;
    auto ema_it = parts.find("ema");
    const io::StateDict& ema = ema_it == parts.end() ? no_ema : ema_it->second;
    const io::StateDict& own = part("gan");
    // Check what the modules and optimizers do not check themselves.
    ZENGEN_CHECK(ema.size() == ema_.size(), ValueError, "GAN::load_state_dict: part 'ema' has ", ema.size(),
                 " entries but this GAN keeps ", ema_.size(), " (ema_decay ", options_.ema_decay, ")");
    for (const auto& [name, t] : ema_) {
      auto it = ema.find(name);
      ZENGEN_CHECK(it != ema.end(), ValueError, "GAN::load_state_dict: part 'ema' lacks '", name, "'");
      ZENGEN_CHECK(it->second.shape() == t.shape(), ShapeError, "GAN::load_state_dict: ema '", name, "' has shape ",
                   it->second.shape(), " but the generator's parameter has ", t.shape());
    }
    auto entry = [&](const char* name) -> const Tensor& {
      auto it = own.find(name);
      ZENGEN_CHECK(it != own.end(), ValueError, "GAN::load_state_dict: part 'gan' lacks '", name, "'");
      return it->second;
    };
    const Tensor& step = entry("step");
    ZENGEN_CHECK(step.numel() == 1, ShapeError, "GAN::load_state_dict: 'gan.step' must hold one value, has shape ",
                 step.shape());
    const Tensor& rng = entry("rng");
    ZENGEN_CHECK(rng.dtype() == DType::Int64 && rng.numel() == 2, ValueError,
                 "GAN::load_state_dict: 'gan.rng' must be int64 [2] (seed, offset), got ", rng.dtype(), " ",
                 rng.shape());
    const auto fixed = own.find("fixed_noise");
    ZENGEN_CHECK((fixed != own.end()) == fixed_noise_.defined(), ValueError,
                 "GAN::load_state_dict: 'gan.fixed_noise' ", fixed_noise_.defined() ? "is missing" : "is unexpected",
                 " (fixed_noise ", options_.fixed_noise, ")");
    if (fixed != own.end())
      ZENGEN_CHECK(fixed->second.shape() == fixed_noise_.shape(), ShapeError,
                   "GAN::load_state_dict: 'gan.fixed_noise' has shape ", fixed->second.shape(), ", expected ",
                   fixed_noise_.shape());
    // The modules and optimizers check their own parts before changing
    // anything; if a later one fails, put the earlier ones back.
    const Parts backup = state_dict();
    try {
      load_part("generator", [&] { g_.load_state_dict(part("generator")); });
      load_part("discriminator", [&] { d_.load_state_dict(part("discriminator")); });
      load_part("g_optimizer", [&] { g_optimizer_->load_state_dict(part("g_optimizer")); });
      load_part("d_optimizer", [&] { d_optimizer_->load_state_dict(part("d_optimizer")); });
    } catch (...) {
      g_.load_state_dict(backup.at("generator"));
      d_.load_state_dict(backup.at("discriminator"));
      g_optimizer_->load_state_dict(backup.at("g_optimizer"));
      d_optimizer_->load_state_dict(backup.at("d_optimizer"));
      throw;
    }
    NoGradGuard no_grad;
    for (auto& [name, t] : ema_) t.copy_(ema.at(name));
    if (fixed != own.end()) fixed_noise_.copy_(fixed->second);
    step_ = step.item<std::int64_t>();
    // Checkpoints written before the count existed lack it: none skipped.
    const auto skipped = own.find("skipped_updates");
    skipped_updates_ = skipped == own.end() ? 0 : skipped->second.item<std::int64_t>();
    const auto words = rng.to_vector<std::int64_t>();
    default_generator().set_state(
        {static_cast<std::uint64_t>(words[0]), static_cast<std::uint64_t>(words[1])});
  }

 private:
  // Turns requires_grad off on a network's parameters for a scope (those
  // that had it) and back on after it, also when the scope throws.
  class FrozenParameters {
   public:
    template <typename Net>
    explicit FrozenParameters(Net& net) {
      for (const Tensor& p : net.parameters())
        if (p.requires_grad()) {
          p.requires_grad_(false);
          frozen_.push_back(p);
        }
    }
    ~FrozenParameters() {
      for (const Tensor& p : frozen_) p.requires_grad_(true);
    }
    FrozenParameters(const FrozenParameters&) = delete;
    FrozenParameters& operator=(const FrozenParameters&) = delete;

   private:
    std::vector<Tensor> frozen_;
  };

  TensorOptions tensor_options() const {
    const auto params = g_.parameters();
    if (params.empty()) return {};
    return {.dtype = params.front().dtype(), .device = params.front().device()};
  }

  static Tensor flat(const Tensor& out, std::int64_t n) {
    ZENGEN_CHECK(out.numel() == n, ShapeError,
                 "GAN: the discriminator must give one output per sample ([N] or [N, 1]), got ", out.shape(),
                 " for a batch of ", n);
    return out.reshape({n});
  }

  static constexpr bool logit_outputs() {
    if constexpr (requires { Objective::logit_outputs; })
      return Objective::logit_outputs;
    else
      return false;
  }

  // D's mean output (as a probability for logit outputs), left on its device.
  Tensor summary(const Tensor& out) const {
    NoGradGuard no_grad;
    if constexpr (logit_outputs())
      return mean(sigmoid(out));
    else
      return mean(out);
  }

  // Checks an update's loss and the gradients of `net` before its optimizer
  // step (`device_grads_finite`: the value of the device gradients' flag,
  // read with the loss): true when it may go ahead. Otherwise raises, or
  // (Skip) drops the gradients, restores the buffers and returns false.
  template <typename Net>
  bool update_is_finite(double loss, bool device_grads_finite, const Net& net, const char* which,
                        const optim::BufferSnapshot& before) {
    std::string problem;
    if (!std::isfinite(loss)) {
      problem = detail::concat("the ", which, " loss is ", optim::describe_value(loss));
    } else if (auto bad = optim::first_non_finite_grad(net.named_parameters(), device_grads_finite)) {
      problem = detail::concat("the gradient of ", which, " parameter '", *bad, "' holds NaN or Inf");
    } else {
      return true;
    }
    if (options_.non_finite == optim::NonFinitePolicy::Raise)
      throw ValueError(detail::concat("GAN::train_step: step ", step_, ": ", problem,
                                      " (GANOptions::non_finite = Skip leaves such updates out)"));
    g_.zero_grad();
    d_.zero_grad();
    before.restore();
    return false;
  }

  void update_ema() {
    if (ema_.empty()) return;
    NoGradGuard no_grad;
    const auto n = static_cast<double>(step_);  // generator updates before this one
    const double decay = options_.ema_warmup ? std::min(options_.ema_decay, (1.0 + n) / (10.0 + n)) : options_.ema_decay;
    for (const auto& [name, p] : g_.named_parameters()) {
      Tensor& shadow = ema_.at(name);
      mul_(shadow, decay);
      add_(shadow, p, 1.0 - decay);
    }
  }

  Tensor generate(const Tensor& z) {
    NoGradGuard no_grad;
    g_.eval();
    std::vector<std::pair<Tensor, Tensor>> swapped;  // (parameter, its training value)
    auto restore = [&] {
      for (auto& [p, saved] : swapped) p.copy_(saved);
      g_.train(true);
    };
    try {
      for (const auto& [name, p] : g_.named_parameters()) {
        auto it = ema_.find(name);
        if (it == ema_.end()) continue;
        swapped.emplace_back(p, p.clone());
        p.copy_(it->second);
      }
      Tensor out = Tensor(g_.forward(z)).detach();
      restore();
      return out;
    } catch (...) {
      restore();
      throw;
    }
  }

  static io::StateDict cloned(const std::map<std::string, Tensor>& state) {
    io::StateDict out;
    for (const auto& [name, t] : state) out.emplace(name, t.detach().clone());
    return out;
  }

  template <typename F>
  static void load_part(const char* name, F&& load) {
    with_context(std::string("GAN::load_state_dict: part '") + name + "': ", std::forward<F>(load));
  }

  G g_;
  D d_;
  Objective objective_;
  GANOptions options_;
  std::unique_ptr<optim::Adam> g_optimizer_, d_optimizer_;
  std::map<std::string, Tensor> ema_;
  Tensor fixed_noise_;
  std::int64_t step_ = 0;
  std::int64_t skipped_updates_ = 0;
};

}  // namespace zengen::models
