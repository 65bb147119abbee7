// VAE<Encoder, Decoder, Likelihood>: a variational auto-encoder (Kingma &
// Welling) over any encoder giving q(z | x) = N(mu, exp(logvar)) and any
// decoder giving the likelihood's parameters for x, with its Adam optimizer,
// the beta-weighted ELBO objective and KL warm-up, and the evaluations:
// the ELBO, the importance-weighted bound (IWAE, Burda et al.),
// reconstructions, samples and latent interpolations.
//
//   auto nets = models::mlp_vae({.input = {1, 28, 28}, .hidden = 400, .latent = 20});
//   models::VAE vae(nets.encoder, nets.decoder, models::BernoulliLikelihood{},
//                   {.beta = 1.0, .kl_warmup_steps = 1000, .optimizer = {.lr = 1e-3}});
//   for (const auto& batch : loader) {
//     auto s = vae.train_step(batch.images);     // s.loss, s.reconstruction, s.kl, s.beta
//   }
//   zengen::NoGradGuard no_grad;
//   Tensor elbo = vae.elbo(test_images);          // [N], nats
//   Tensor samples = vae.sample(64);              // decoded means, shaped like x
//   io::save_checkpoint("vae.safetensors", vae.state_dict());
//
// Shapes: x [N, ...] (the decoder's output has x's shape), latents [N, D].
// The random numbers (eps, z) come from zengen's global generator (eps =
// randn_like(mu)); every random method has a twin that takes the noise
// explicitly (an undefined Tensor there means: draw it).
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <map>
#include <memory>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "zengen/autograd/grad_mode.hpp"
#include "zengen/core/error.hpp"
#include "zengen/core/tensor.hpp"
#include "zengen/io/checkpoint.hpp"
#include "zengen/models/concepts.hpp"
#include "zengen/ops/activation.hpp"
#include "zengen/ops/elementwise.hpp"
#include "zengen/ops/factory.hpp"
#include "zengen/ops/loss.hpp"
#include "zengen/ops/reduction.hpp"
#include "zengen/ops/view.hpp"
#include "zengen/optim/adam.hpp"
#include "zengen/optim/finite.hpp"

namespace zengen::models {

namespace vae_detail {
/// Sums [N, ...] over every dim but the first: [N] ([N] stays as it is).
inline Tensor sum_per_example(const Tensor& t) {
  if (t.dim() <= 1) return t;
  return t.reshape({t.size(0), -1}).sum({1});
}
/// Checks that the decoder's output and x have the same shape.
inline void check_same_shape(const Tensor& params, const Tensor& x, const char* op) {
  ZENGEN_CHECK(params.shape() == x.shape(), ShapeError, op, ": the decoder's output has shape ", params.shape(),
               " but x has shape ", x.shape(), " (the decoder must give one parameter per element of x)");
}
}  // namespace vae_detail

/// What VAE<> asks of a likelihood p(x | z): given the decoder's output
/// `params` (shaped like x), the log-density of x per example ([N], summed
/// over the data dims) and the distribution's mean (what reconstructions
/// and samples show).
template <typename L>
concept Likelihood = requires(const L& l, const Tensor& params, const Tensor& x) {
  { l.log_prob(params, x) } -> std::convertible_to<Tensor>;
  { l.mean(params) } -> std::convertible_to<Tensor>;
};

/// Independent Bernoulli pixels; the decoder gives logits. log p(x | z) =
/// -BCE_with_logits(logits, x) summed over the data dims. x may hold grey
/// values in [0, 1] (as PyTorch's VAE example uses MNIST).
struct BernoulliLikelihood {
  Tensor log_prob(const Tensor& logits, const Tensor& x) const {
    vae_detail::check_same_shape(logits, x, "BernoulliLikelihood::log_prob");
    return -vae_detail::sum_per_example(binary_cross_entropy_with_logits(logits, x, Reduction::None));
  }
  /// sigmoid(logits): the pixels' probabilities.
  Tensor mean(const Tensor& logits) const { return sigmoid(logits); }
};

/// Independent Gaussian pixels of a fixed variance; the decoder gives the
/// means. log p(x | z) = sum over the data dims of
/// -0.5 ((x - mean)^2 / variance + log(2 pi variance)), constant included.
struct GaussianLikelihood {
  double variance = 1.0;

  Tensor log_prob(const Tensor& mean, const Tensor& x) const {
    vae_detail::check_same_shape(mean, x, "GaussianLikelihood::log_prob");
    ZENGEN_CHECK(variance > 0 && std::isfinite(variance), ValueError,
                 "GaussianLikelihood: the variance must be positive and finite, got ", variance);
    const double per_element = 0.5 * std::log(2.0 * std::numbers::pi * variance);
    const std::int64_t dims = x.size(0) > 0 ? x.numel() / x.size(0) : 0;
    return vae_detail::sum_per_example(square(x - mean)) * (-0.5 / variance) -
           per_element * static_cast<double>(dims);
  }
  Tensor mean(const Tensor& params) const { return params; }
};

static_assert(Likelihood<BernoulliLikelihood> && Likelihood<GaussianLikelihood>);

/// The VAE's KL weight, KL warm-up and optimizer settings.
struct VAEOptions {
  /// The KL term's weight (beta-VAE; 1 is the ELBO).
  double beta = 1.0;
  /// > 0: the KL weight ramps linearly from 0 (step 0) to beta (this step
  /// and after): beta_at(s) = beta * min(1, s / kl_warmup_steps).
  std::int64_t kl_warmup_steps = 0;
  optim::AdamOptions optimizer = {.lr = 1e-3};
  /// A NaN or Inf loss or gradient, checked before the optimizer step: Raise
  /// throws ValueError naming the step and the loss or parameter; Skip
  /// leaves the update out (weights, optimizer state and buffers unchanged)
  /// and counts it (VAEStats::skipped, VAE::skipped_steps()).
  optim::NonFinitePolicy non_finite = optim::NonFinitePolicy::Raise;
};

/// What one train_step did: the means over the batch of the loss
/// (reconstruction + beta * kl), of the reconstruction term (-log p(x | z),
/// nats per example) and of the KL term, and the beta it used.
struct VAEStats {
  double loss = 0, reconstruction = 0, kl = 0, beta = 0;
  bool skipped = false;  ///< the update was left out (non-finite loss or gradient, NonFinitePolicy::Skip)
};

/// An encoder and a decoder made to go together (what the builders return).
template <Encoder E, Decoder D>
struct VAENetworks {
  E encoder;
  D decoder;
};

/// A VAE: encoder E giving q(z | x), decoder D giving the likelihood L's parameters, with Adam, the ELBO and the IWAE bound (see the file's summary).
template <Encoder E, Decoder D, Likelihood L = BernoulliLikelihood>
class VAE {
 public:
  /// Takes the networks (modules are handles: the VAE shares them with the
  /// caller) and builds an Adam optimizer over all their parameters.
  VAE(E encoder, D decoder, L likelihood = {}, VAEOptions options = {})
      : encoder_(std::move(encoder)),
        decoder_(std::move(decoder)),
        likelihood_(std::move(likelihood)),
        options_(options) {
    ZENGEN_CHECK(options_.beta >= 0 && std::isfinite(options_.beta), ValueError,
                 "VAE: beta must be non-negative and finite, got ", options_.beta);
    ZENGEN_CHECK(options_.kl_warmup_steps >= 0, ValueError, "VAE: kl_warmup_steps must be >= 0, got ",
                 options_.kl_warmup_steps);
    ZENGEN_CHECK(encoder_.latent_dim() > 0, ValueError, "VAE: the encoder's latent_dim() must be positive, got ",
                 encoder_.latent_dim());
    std::vector<Tensor> params = encoder_.parameters();
    for (Tensor& p : decoder_.parameters()) params.push_back(p);
    optimizer_ = std::make_unique<optim::Adam>(std::move(params), options_.optimizer);
  }
  VAE(VAENetworks<E, D> networks, L likelihood = {}, VAEOptions options = {})
      : VAE(std::move(networks.encoder), std::move(networks.decoder), std::move(likelihood), options) {}

  // ---- training ----

  /// One optimisation step on the batch x [N, ...]: draws eps, computes the
  /// loss (below), backpropagates, takes an Adam step and counts it.
  VAEStats train_step(const Tensor& x) { return train_step(x, Tensor()); }
  /// The same with the noise given: eps [N, latent_dim] (undefined: drawn).
  /// The loss and the gradients are checked for NaN/Inf before the Adam
  /// step (VAEOptions::non_finite); the step counter advances either way.
  VAEStats train_step(const Tensor& x, const Tensor& eps) {
    const double beta = current_beta();
    const optim::BufferSnapshot buffers_before(options_.non_finite, encoder_, decoder_);
    optimizer_->zero_grad();
    const Terms t = terms(x, eps);
    const Tensor loss = mean(t.nll + t.kl * beta);
    loss.backward();
    VAEStats stats;
    bool device_grads_finite = true;
    {
      // One read of the loss, its terms and the gradients' flags: on a GPU
      // each value read alone would wait for the device again.
      NoGradGuard no_grad;
      const auto v = optim::read_scalars({loss, mean(t.nll), mean(t.kl),
                                          optim::device_gradients_flag(encoder_.named_parameters()),
                                          optim::device_gradients_flag(decoder_.named_parameters())});
      stats = {v[0], v[1], v[2], beta};
      device_grads_finite = std::isfinite(v[3]) && std::isfinite(v[4]);
    }
    std::string problem;
    if (!std::isfinite(stats.loss)) {
      problem = detail::concat("the loss is ", optim::describe_value(stats.loss), " (reconstruction ",
                               optim::describe_value(stats.reconstruction), ", kl ", optim::describe_value(stats.kl),
                               ")");
    } else {
      if (auto bad = optim::first_non_finite_grad(encoder_.named_parameters(), device_grads_finite))
        problem = detail::concat("the gradient of encoder parameter '", *bad, "' holds NaN or Inf");
      else if (auto bad_dec = optim::first_non_finite_grad(decoder_.named_parameters(), device_grads_finite))
        problem = detail::concat("the gradient of decoder parameter '", *bad_dec, "' holds NaN or Inf");
    }
    if (problem.empty()) {
      optimizer_->step();
    } else {
      if (options_.non_finite == optim::NonFinitePolicy::Raise)
        throw ValueError(detail::concat("VAE::train_step: step ", step_, ": ", problem,
                                        " (VAEOptions::non_finite = Skip leaves such steps out)"));
      optimizer_->zero_grad();
      buffers_before.restore();
      stats.skipped = true;
      ++skipped_steps_;
    }
    ++step_;
    return stats;
  }

  /// The training loss at the current beta, without stepping: the mean over
  /// the batch of -log p(x | z) + beta * KL(q(z | x) || N(0, I)), one
  /// reparameterised sample z = mu + exp(logvar / 2) eps per example.
  /// Differentiable (0-d).
  Tensor loss(const Tensor& x) { return loss(x, Tensor()); }
  Tensor loss(const Tensor& x, const Tensor& eps) {
    const Terms t = terms(x, eps);
    return mean(t.nll + t.kl * current_beta());
  }

  /// The KL weight at a step: beta * min(1, step / kl_warmup_steps).
  double beta_at(std::int64_t step) const {
    if (options_.kl_warmup_steps <= 0) return options_.beta;
    const double ramp = static_cast<double>(std::max<std::int64_t>(step, 0)) /
                        static_cast<double>(options_.kl_warmup_steps);
    return options_.beta * std::min(1.0, ramp);
  }
  /// The KL weight the next train_step uses.
  double current_beta() const { return beta_at(step_); }
  /// The number of train_steps taken (skipped ones included).
  std::int64_t step() const { return step_; }
  /// train_steps whose update was left out (NonFinitePolicy::Skip).
  std::int64_t skipped_steps() const { return skipped_steps_; }

  // ---- evaluation (wrap in NoGradGuard unless you differentiate them) ----

  /// The evidence lower bound per example [N]: log p(x | z) - KL(q || p)
  /// with one sample z (and the KL in closed form), beta 1. Nats.
  Tensor elbo(const Tensor& x) { return elbo(x, Tensor()); }
  Tensor elbo(const Tensor& x, const Tensor& eps) {
    const Terms t = terms(x, eps);
    return -(t.nll + t.kl);
  }

  /// The importance-weighted bound with k samples per example [N]:
  /// log (1/k) sum_i p(x, z_i) / q(z_i | x), z_i ~ q(z | x), computed as a
  /// log-sum-exp. k = 1 is the ELBO with a one-sample KL; it tightens
  /// towards log p(x) as k grows.
  Tensor iwae(const Tensor& x, std::int64_t k) {
    ZENGEN_CHECK(k >= 1, ValueError, "VAE::iwae: k must be >= 1, got ", k);
    const Gaussian q = encode(x, "VAE::iwae");
    return iwae(x, q, randn({k, q.mu.size(0), q.mu.size(1)}, {.dtype = q.mu.dtype(), .device = q.mu.device()}));
  }
  /// The same with the noise given: eps [k, N, latent_dim].
  Tensor iwae(const Tensor& x, const Tensor& eps) { return iwae(x, encode(x, "VAE::iwae"), eps); }
  /// The log importance weights log p(x, z_i) - log q(z_i | x) [k, N] for
  /// z_i = mu + exp(logvar / 2) eps[i] (eps [k, N, latent_dim]).
  Tensor log_weights(const Tensor& x, const Tensor& eps) { return log_weights(x, encode(x, "VAE::log_weights"), eps); }

  /// The decoded mean at z = mu(x): no sampling. Shaped like x; no graph.
  Tensor reconstruct(const Tensor& x) {
    NoGradGuard no_grad;
    return likelihood_.mean(decoder_.forward(encode(x, "VAE::reconstruct").mu));
  }
  /// n samples from the model: z ~ N(0, I), decoded means. No graph.
  Tensor sample(std::int64_t n) {
    ZENGEN_CHECK(n >= 0, ValueError, "VAE::sample: n must be >= 0, got ", n);
    const auto like = parameter_like();
    return decode(randn({n, latent_dim()}, {.dtype = like.dtype(), .device = like.device()}));
  }
  /// The decoded means of latents z [n, latent_dim]. No graph.
  Tensor decode(const Tensor& z) {
    NoGradGuard no_grad;
    ZENGEN_CHECK(z.dim() == 2 && z.size(1) == latent_dim(), ShapeError, "VAE::decode: z must be [n, ",
                 latent_dim(), "], got ", z.shape());
    return likelihood_.mean(decoder_.forward(z));
  }
  /// Walks the latent space in a straight line from mu(x1) to mu(x2), in
  /// `steps` points (both ends included), and decodes each. x1 and x2 are
  /// batches of the same shape [N, ...]; the result is [N * steps, ...],
  /// example by example (row i of a grid with nrow = steps is example i's
  /// path). No graph.
  Tensor interpolate(const Tensor& x1, const Tensor& x2, std::int64_t steps) {
    NoGradGuard no_grad;
    ZENGEN_CHECK(steps >= 2, ValueError, "VAE::interpolate: steps must be >= 2, got ", steps);
    ZENGEN_CHECK(x1.shape() == x2.shape(), ShapeError, "VAE::interpolate: x1 ", x1.shape(), " and x2 ", x2.shape(),
                 " must have the same shape");
    const Tensor a = encode(x1, "VAE::interpolate").mu, b = encode(x2, "VAE::interpolate").mu;
    const std::int64_t n = a.size(0), d = a.size(1);
    const Tensor t = linspace(0.0, 1.0, steps, {.dtype = a.dtype(), .device = a.device()}).reshape({1, steps, 1});
    const Tensor z = a.unsqueeze(1) + t * (b - a).unsqueeze(1);  // [N, steps, D]
    return likelihood_.mean(decoder_.forward(z.reshape({n * steps, d})));
  }

  /// q(z | x) for a batch: mu and logvar [N, latent_dim] (with the graph).
  Gaussian encode(const Tensor& x) { return encode(x, "VAE::encode"); }

  // ---- modes, parts, state ----

  void train(bool on = true) {
    encoder_.train(on);
    decoder_.train(on);
  }
  void eval() { train(false); }
  bool is_training() const { return encoder_.is_training(); }
  /// Moves both networks to `device` (Adam's state follows the parameters
  /// on the next step); batches given to train_step must be there too.
  void to(Device device) {
    encoder_.to(device);
    decoder_.to(device);
  }
  /// The device of the networks' parameters (the CPU without parameters).
  Device device() const { return parameter_like().device(); }

  E& encoder() { return encoder_; }
  const E& encoder() const { return encoder_; }
  D& decoder() { return decoder_; }
  const D& decoder() const { return decoder_; }
  const L& likelihood() const { return likelihood_; }
  optim::Adam& optimizer() { return *optimizer_; }
  const optim::Adam& optimizer() const { return *optimizer_; }
  const VAEOptions& options() const { return options_; }
  std::int64_t latent_dim() const { return encoder_.latent_dim(); }

  /// Everything a resumed run needs, as checkpoint parts: "encoder" and
  /// "decoder" (their state dicts), "optimizer" (Adam's state) and "vae"
  /// ("step", int64 0-d).
  ///   io::save_checkpoint("vae.safetensors", vae.state_dict());
  std::map<std::string, io::StateDict> state_dict() const {
    return {{"encoder", encoder_.state_dict()},
            {"decoder", decoder_.state_dict()},
            {"optimizer", optimizer_->state_dict()},
            {"vae",
             {{"step", scalar_tensor(static_cast<double>(step_), {.dtype = DType::Int64})},
              {"skipped_steps", scalar_tensor(static_cast<double>(skipped_steps_), {.dtype = DType::Int64})}}}};
  }
  /// Restores a state_dict() (e.g. io::load_checkpoint(path).parts); every
  /// part must be present. Throws ValueError naming a missing part (or the
  /// parts' own errors for a mismatched entry), leaving the VAE as it was.
  void load_state_dict(const std::map<std::string, io::StateDict>& parts) {
    for (const char* name : {"encoder", "decoder", "optimizer", "vae"})
      ZENGEN_CHECK(parts.contains(name), ValueError, "VAE::load_state_dict: no part \"", name, "\"");
    const auto& vae = parts.at("vae");
    ZENGEN_CHECK(vae.contains("step") && vae.at("step").numel() == 1, ValueError,
                 "VAE::load_state_dict: part \"vae\" needs a one-element \"step\"");
    const auto step = static_cast<std::int64_t>(vae.at("step").item());
    ZENGEN_CHECK(step >= 0, ValueError, "VAE::load_state_dict: negative step ", step);
    // Each part checks everything before it changes anything; the networks
    // are put back if a later part fails (the optimizer goes last).
    const io::StateDict encoder_before = copies(encoder_.state_dict()), decoder_before = copies(decoder_.state_dict());
    try {
      encoder_.load_state_dict(parts.at("encoder"));
      decoder_.load_state_dict(parts.at("decoder"));
      optimizer_->load_state_dict(parts.at("optimizer"));
    } catch (...) {
      encoder_.load_state_dict(encoder_before);
      decoder_.load_state_dict(decoder_before);
      throw;
    }
    step_ = step;
    // Checkpoints written before the count existed lack it: none skipped.
    skipped_steps_ = vae.contains("skipped_steps") ? static_cast<std::int64_t>(vae.at("skipped_steps").item()) : 0;
  }

 private:
  /// Per example [N]: -log p(x | z) and KL(q(z | x) || N(0, I)).
  struct Terms {
    Tensor nll, kl;
  };

  Gaussian encode(const Tensor& x, const char* op) {
    ZENGEN_CHECK(x.dim() >= 1, ShapeError, op, ": x must be a batch [N, ...], got ", x.shape());
    Gaussian q = encoder_.forward(x);
    const std::int64_t d = encoder_.latent_dim();
    const Shape want{x.size(0), d};
    ZENGEN_CHECK(q.mu.shape() == want && q.logvar.shape() == want, ShapeError, op, ": the encoder gave mu ",
                 q.mu.shape(), " and logvar ", q.logvar.shape(), "; expected ", want);
    return q;
  }

  static io::StateDict copies(const io::StateDict& state) {
    NoGradGuard no_grad;
    io::StateDict out;
    for (const auto& [name, t] : state) out.emplace(name, t.clone());
    return out;
  }

  static Tensor reparameterise(const Gaussian& q, const Tensor& eps) {
    return q.mu + exp(q.logvar * 0.5) * eps;
  }

  Terms terms(const Tensor& x, const Tensor& eps) {
    const Gaussian q = encode(x, "VAE");
    if (!eps.defined()) return terms(x, q, randn_like(q.mu));
    return terms(x, q, eps);
  }
  Terms terms(const Tensor& x, const Gaussian& q, const Tensor& eps) {
    ZENGEN_CHECK(eps.shape() == q.mu.shape(), ShapeError, "VAE: eps must have mu's shape ", q.mu.shape(), ", got ",
                 eps.shape());
    const Tensor params = decoder_.forward(reparameterise(q, eps));
    return {-likelihood_.log_prob(params, x), gaussian_kl(q.mu, q.logvar, Reduction::None)};
  }

  Tensor log_weights(const Tensor& x, const Gaussian& q, const Tensor& eps) {
    const std::int64_t n = q.mu.size(0), d = q.mu.size(1);
    ZENGEN_CHECK(eps.dim() == 3 && eps.size(0) >= 1 && eps.size(1) == n && eps.size(2) == d, ShapeError,
                 "VAE::iwae: eps must be [k, ", n, ", ", d, "], got ", eps.shape());
    const std::int64_t k = eps.size(0);
    const Tensor logvar = q.logvar.unsqueeze(0);
    const Tensor z = q.mu.unsqueeze(0) + exp(logvar * 0.5) * eps;  // [k, N, D]
    // log p(z) - log q(z | x) = sum_j 0.5 (eps^2 + logvar - z^2): the 2 pi terms cancel.
    const Tensor log_prior_ratio = sum(square(eps) + logvar - square(z), {2}) * 0.5;  // [k, N]
    Shape x_shape = x.shape();
    x_shape.insert(0, k);
    Shape flat_shape = x.shape();
    flat_shape[0] = k * n;
    const Tensor xs = x.unsqueeze(0).expand(x_shape).reshape(flat_shape);  // k copies: [k N, ...]
    const Tensor log_px = likelihood_.log_prob(decoder_.forward(z.reshape({k * n, d})), xs).reshape({k, n});
    return log_px + log_prior_ratio;
  }

  Tensor iwae(const Tensor& x, const Gaussian& q, const Tensor& eps) {
    const Tensor lw = log_weights(x, q, eps);  // [k, N]
    // log mean_i exp(lw_i) = m + log mean_i exp(lw_i - m), m the largest
    // (held constant: the gradient does not depend on it).
    const Tensor m = max(lw, 0, /*keepdim=*/true).values.detach();
    return (m + log(mean(exp(lw - m), {0}, /*keepdim=*/true))).squeeze(0);
  }

  /// A tensor whose dtype and device the networks use (a float32 CPU one
  /// if they have no parameters).
  Tensor parameter_like() const {
    for (const auto& list : {encoder_.parameters(), decoder_.parameters()})
      if (!list.empty()) return list.front();
    return empty({0});
  }

  E encoder_;
  D decoder_;
  L likelihood_;
  VAEOptions options_;
  std::unique_ptr<optim::Adam> optimizer_;
  std::int64_t step_ = 0;
  std::int64_t skipped_steps_ = 0;
};

}  // namespace zengen::models
