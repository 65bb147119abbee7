// Autograd and training on the GPU against the same computation on the CPU:
// a small MLP's gradients, optimizer steps (Adam, SGD with momentum) and a
// few MLP-VAE, conv-VAE, MLP-GAN and DCGAN training steps.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "cuda_helpers.hpp"
#include "temp_dir.hpp"

using namespace zengen;
using namespace zengen::cuda_testing;

namespace {

// Copies of parameters, to compare how far training moved them: after a few
// small Adam steps every parameter is within a few lr of where it began, so
// comparing the parameters themselves would say little.
std::vector<Tensor> copies(const std::vector<Tensor>& params) {
  std::vector<Tensor> out;
  for (const Tensor& p : params) out.push_back(p.detach().clone());
  return out;
}

// The moves (after - before) of the GPU's parameters match the CPU's within
// `tol` (absolute, plus tol times the move).
void require_same_moves(const std::vector<Tensor>& cpu_before, const std::vector<Tensor>& cpu_after,
                        const std::vector<Tensor>& gpu_before, const std::vector<Tensor>& gpu_after, double tol) {
  REQUIRE(cpu_before.size() == gpu_before.size());
  REQUIRE(cpu_after.size() == gpu_after.size());
  for (std::size_t i = 0; i < cpu_after.size(); ++i) {
    INFO("parameter " << i);
    require_match((cpu_after[i] - cpu_before[i]).detach(), (gpu_after[i] - gpu_before[i]).detach(), tol);
  }
}

// `steps` GAN steps on both devices from the same batches (real() draws one
// on the CPU) and the same noise (the generator is reseeded with
// seed + step before each step on each device): their losses must agree.
template <typename Gan, typename Real>
void require_same_gan_steps(Gan& cpu_gan, Gan& gpu_gan, Real real, std::uint64_t seed, int steps = 3) {
  for (int step = 0; step < steps; ++step) {
    INFO("step " << step);
    const Tensor batch = real().detach();
    manual_seed(seed + step);
    const auto sc = cpu_gan.train_step(batch);
    manual_seed(seed + step);
    const auto sg = gpu_gan.train_step(batch.to(kGpu));
    CHECK(sg.d_loss == Approx(sc.d_loss).epsilon(1e-3));
    CHECK(sg.g_loss == Approx(sc.g_loss).epsilon(1e-3));
    CHECK(sg.d_real == Approx(sc.d_real).epsilon(1e-3));
  }
}

// `steps` VAE steps on both devices on the batch x (CPU) with the same
// noise eps [N, latent], drawn on the CPU: their losses must agree.
template <typename Vae>
void require_same_vae_steps(Vae& cpu_vae, Vae& gpu_vae, const Tensor& x, std::int64_t latent, int steps = 4) {
  for (int step = 0; step < steps; ++step) {
    INFO("step " << step);
    const Tensor eps = randn({x.size(0), latent});
    const auto sc = cpu_vae.train_step(x, eps);
    const auto sg = gpu_vae.train_step(x.to(kGpu), eps.to(kGpu));
    CHECK(sg.loss == Approx(sc.loss).epsilon(1e-4));
    CHECK(sg.kl == Approx(sc.kl).epsilon(1e-3).margin(1e-5));
  }
}

}  // namespace

TEST_CASE("cuda training: an MLP's gradients match the CPU's", "[cuda][autograd]") {
  manual_seed(3);
  nn::Sequential cpu_net;
  cpu_net.push_back(nn::Linear(13, 32));
  cpu_net.push_back(nn::LeakyReLU(0.2));
  cpu_net.push_back(nn::Linear(32, 1));
  manual_seed(3);
  nn::Sequential gpu_net;
  gpu_net.push_back(nn::Linear(13, 32));
  gpu_net.push_back(nn::LeakyReLU(0.2));
  gpu_net.push_back(nn::Linear(32, 1));
  gpu_net.to(kGpu);

  const Tensor x = randf({17, 13}), y = rand({17, 1});
  binary_cross_entropy_with_logits(cpu_net.forward(x), y).backward();
  binary_cross_entropy_with_logits(gpu_net.forward(x.to(kGpu)), y.to(kGpu)).backward();
  const auto cpu_params = cpu_net.parameters(), gpu_params = gpu_net.parameters();
  REQUIRE(cpu_params.size() == gpu_params.size());
  for (std::size_t i = 0; i < cpu_params.size(); ++i) {
    INFO("parameter " << i);
    require_match(cpu_params[i], gpu_params[i]);
    require_match(cpu_params[i].grad(), gpu_params[i].grad(), 1e-4);
  }
}

TEST_CASE("cuda training: Adam and SGD steps match the CPU's", "[cuda][optim]") {
  const Tensor p0 = randf({257, 3}), g = randf({257, 3});
  for (int kind = 0; kind < 3; ++kind) {
    INFO("optimizer " << kind);
    const Tensor pc = p0.clone().detach().requires_grad_(), pg = p0.to(kGpu).detach().requires_grad_();
    std::unique_ptr<optim::Optimizer> oc, og;
    if (kind == 0) {
      oc = std::make_unique<optim::Adam>(std::vector<Tensor>{pc}, optim::AdamOptions{.lr = 1e-2});
      og = std::make_unique<optim::Adam>(std::vector<Tensor>{pg}, optim::AdamOptions{.lr = 1e-2});
    } else if (kind == 1) {
      oc = std::make_unique<optim::Adam>(std::vector<Tensor>{pc},
                                         optim::AdamOptions{.lr = 1e-2, .weight_decay = 0.1, .amsgrad = true});
      og = std::make_unique<optim::Adam>(std::vector<Tensor>{pg},
                                         optim::AdamOptions{.lr = 1e-2, .weight_decay = 0.1, .amsgrad = true});
    } else {
      oc = std::make_unique<optim::SGD>(std::vector<Tensor>{pc}, optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
      og = std::make_unique<optim::SGD>(std::vector<Tensor>{pg}, optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
    }
    for (int step = 0; step < 3; ++step) {
      pc.set_grad(g * static_cast<double>(step + 1));
      pg.set_grad(g.to(kGpu) * static_cast<double>(step + 1));
      oc->step();
      og->step();
    }
    require_match(pc, pg, 1e-6);  // the same functors, no FMA: nearly bit for bit
  }
}

TEST_CASE("cuda training: MLP-VAE steps on the GPU follow the CPU's", "[cuda][vae]") {
  const models::MLPVAEOptions shape{.input = {1, 8, 8}, .hidden = 33, .latent = 5};
  manual_seed(11);
  auto cpu_nets = models::mlp_vae(shape);
  manual_seed(11);
  auto gpu_nets = models::mlp_vae(shape);
  // Adam's eps is raised from 1e-8 so that a gradient that is ~0 on both
  // devices (but differs in its last bits) does not become a full +-lr step
  // of opposite sign on each: the comparison stays about the arithmetic.
  const models::VAEOptions options{.optimizer = {.lr = 1e-3, .eps = 1e-4}};
  models::VAE cpu_vae(std::move(cpu_nets), models::BernoulliLikelihood{}, options);
  models::VAE gpu_vae(std::move(gpu_nets), models::BernoulliLikelihood{}, options);
  gpu_vae.to(kGpu);  // moves both networks; Adam's state follows on its first step
  REQUIRE(gpu_vae.device() == kGpu);

  require_same_vae_steps(cpu_vae, gpu_vae, rand({16, 1, 8, 8}), 5);
  const auto pc = cpu_vae.encoder().parameters(), pg = gpu_vae.encoder().parameters();
  for (std::size_t i = 0; i < pc.size(); ++i) require_match(pc[i], pg[i], 1e-3);
}

TEST_CASE("cuda training: batch_norm forward, backward and running statistics match the CPU's", "[cuda][batchnorm]") {
  nn::BatchNorm2d cpu_bn(3), gpu_bn(3);
  gpu_bn.to(kGpu);
  const Tensor x = randf({4, 3, 5, 7}), g = randf({4, 3, 5, 7});
  const Tensor xc = x.clone().requires_grad_(), xg = x.to(kGpu).detach().requires_grad_();
  const Tensor yc = cpu_bn.forward(xc), yg = gpu_bn.forward(xg);
  require_match(yc, yg, 1e-4);
  (yc * g).sum().backward();
  (yg * g.to(kGpu)).sum().backward();
  require_match(xc.grad(), xg.grad(), 1e-4);
  require_match(cpu_bn.weight.grad(), gpu_bn.weight.grad(), 1e-4);
  require_match(cpu_bn.running_mean, gpu_bn.running_mean, 1e-5);
  require_match(cpu_bn.running_var, gpu_bn.running_var, 1e-5);
  // The batch counter is counted on the device (no host read per forward).
  gpu_bn.forward(xg);
  REQUIRE(gpu_bn.num_batches_tracked.device() == kGpu);
  REQUIRE(gpu_bn.num_batches_tracked.dtype() == DType::Int64);
  REQUIRE(gpu_bn.num_batches_tracked.item() == 2);
}

TEST_CASE("cuda training: the finiteness check of GPU gradients names the first bad parameter",
          "[cuda][optim]") {
  nn::Linear a(3, 4), b(4, 2);
  a.to(kGpu);
  b.to(kGpu);
  const auto run = [&](double scale) {
    a.zero_grad();
    b.zero_grad();
    b.forward(a.forward(randf({5, 3}).to(kGpu))).backward(full({5, 2}, scale).to(kGpu));
  };
  std::vector<std::pair<std::string, Tensor>> named;
  for (auto& [name, p] : a.named_parameters()) named.emplace_back("a." + name, p);
  for (auto& [name, p] : b.named_parameters()) named.emplace_back("b." + name, p);
  run(1.0);
  CHECK_FALSE(optim::first_non_finite_grad(named).has_value());
  const Tensor flag = optim::device_gradients_flag(named);
  REQUIRE(flag.defined());
  REQUIRE(flag.device() == kGpu);
  // Scalars of two devices, read with one copy each.
  REQUIRE(optim::read_scalars({flag, tensor({3.0}), full({1}, 2.0).to(kGpu)}) == std::vector<double>{0.0, 3.0, 2.0});
  run(std::numeric_limits<double>::infinity());  // Inf * 0 somewhere: NaN and Inf in every gradient
  REQUIRE(optim::first_non_finite_grad(named) == std::optional<std::string>("a.weight"));
  // Only one gradient bad: b's bias.
  run(1.0);
  b.bias.grad().fill_(std::numeric_limits<double>::quiet_NaN());
  REQUIRE(optim::first_non_finite_grad(named) == std::optional<std::string>("b.bias"));
}

TEST_CASE("cuda training: a GAN moves to the GPU after training on the CPU and trains on", "[cuda][gan]") {
  manual_seed(6);
  auto gan = models::GAN(models::mlp_generator({.nz = 3, .hidden = 16, .out_features = 2, .layers = 2}),
                         models::mlp_discriminator({.in_features = 2, .hidden = 16, .layers = 2}),
                         models::NonSaturatingLoss{}, models::GANOptions{});
  for (int i = 0; i < 3; ++i) gan.train_step(randn({16, 2}));
  gan.to(kGpu);  // Adam's state follows at the next step
  for (int i = 0; i < 3; ++i) gan.train_step(randn({16, 2}).to(kGpu));
  REQUIRE(gan.generator().parameters().front().device() == kGpu);
  REQUIRE(gan.sample_fixed().device() == kGpu);
  gan.to(Device::cpu());
  gan.train_step(randn({16, 2}));
  REQUIRE(gan.generator().parameters().front().device() == Device::cpu());
}

TEST_CASE("cuda training: the fused batch_norm_training kernels match the CPU's", "[cuda][batchnorm]") {
  ZENGEN_TWIN_CHECKED(batch_norm_training);
  // BatchNorm1d's [N, C], 4x4-like small planes with many channels, a long
  // channel (many values per block), float64, with and without the affine
  // parameters, with and without a fused ReLU / LeakyReLU; outputs poisoned
  // so an unwritten element shows as NaN.
  manual_seed(11);
  const std::vector<Shape> shapes{{64, 7}, {16, 130, 2, 2}, {2, 5, 40, 41}, {3, 4, 9}};
  for (DType dtype : {DType::Float32, DType::Float64})
    for (const Shape& shape : shapes)
      for (int variant = 0; variant < 6; ++variant) {
        // affine or not, times no activation, a fused ReLU, a fused LeakyReLU(0.2)
        const int affine = variant % 2;
        const std::optional<double> slope =
            variant < 2 ? std::nullopt : std::optional<double>(variant < 4 ? 0.0 : 0.2);
        INFO(dtype << " " << shape << " affine " << affine << " slope " << (slope ? *slope : -1.0));
        const std::int64_t c = shape[1];
        const Tensor x = (randf(shape) * 3.0 + 1.0).to(dtype).detach();
        const Tensor w = affine ? (rand({c}) + 0.5).to(dtype).detach() : Tensor();
        const Tensor b = affine ? randf({c}).to(dtype).detach() : Tensor();
        const Tensor g = randf(shape).to(dtype);
        const Tensor xc = x.clone().requires_grad_(), xg = x.to(kGpu).detach().requires_grad_();
        const Tensor wc = affine ? w.clone().requires_grad_() : Tensor();
        const Tensor wg = affine ? w.to(kGpu).detach().requires_grad_() : Tensor();
        const Tensor bc = affine ? b.clone().requires_grad_() : Tensor();
        const Tensor bg = affine ? b.to(kGpu).detach().requires_grad_() : Tensor();
        poison(x.numel(), dtype);
        const BatchNormOutput rc = batch_norm_training(xc, wc, bc, 1e-5, slope);
        const BatchNormOutput rg = batch_norm_training(xg, wg, bg, 1e-5, slope);
        const double tol = dtype == DType::Float32 ? 1e-4 : 1e-10;
        require_match(rc.output.detach(), rg.output.detach(), tol);
        require_match(rc.mean, rg.mean, tol);
        require_match(rc.var, rg.var, tol);
        (rc.output * g).sum().backward();
        (rg.output * g.to(kGpu)).sum().backward();
        require_match(xc.grad(), xg.grad(), tol);
        if (affine) {
          require_match(wc.grad(), wg.grad(), tol);
          require_match(bc.grad(), bg.grad(), tol);
        }
      }
  // A mean far above the spread: the shifted sums keep the variance.
  const Tensor x = (randn({64, 3, 4, 4}) * 0.01 + 1e4).detach();
  const BatchNormOutput rc = batch_norm_training(x, Tensor(), Tensor(), 1e-10);
  const BatchNormOutput rg = batch_norm_training(x.to(kGpu), Tensor(), Tensor(), 1e-10);
  require_match(rc.var, rg.var, 1e-3);
  require_match(rc.output, rg.output, 1e-3);
}

TEST_CASE("cuda training: MLP-GAN steps on the GPU follow the CPU's", "[cuda][gan]") {
  auto make = [] {
    return models::GAN(models::mlp_generator({.nz = 3, .hidden = 16, .out_features = 2, .layers = 2}),
                       models::mlp_discriminator({.in_features = 2, .hidden = 16, .layers = 2}),
                       models::NonSaturatingLoss{},
                       models::GANOptions{.g = {.lr = 2e-4, .beta1 = 0.5, .eps = 1e-4},
                                          .d = {.lr = 2e-4, .beta1 = 0.5, .eps = 1e-4},
                                          .ema_decay = 0.9});  // eps: see the VAE test
  };
  manual_seed(5);
  auto cpu_gan = make();
  manual_seed(5);
  auto gpu_gan = make();
  gpu_gan.to(kGpu);
  require_same_gan_steps(cpu_gan, gpu_gan, [] { return randn({32, 2}) * 0.5 + 1.0; }, 100);
  const auto pc = cpu_gan.generator().parameters(), pg = gpu_gan.generator().parameters();
  for (std::size_t i = 0; i < pc.size(); ++i) require_match(pc[i], pg[i], 1e-3);
  require_match(cpu_gan.sample_fixed(), gpu_gan.sample_fixed(), 1e-3);  // EMA weights, fixed noise
}

TEST_CASE("cuda training: DCGAN steps on the GPU follow the CPU's", "[cuda][gan][conv]") {
  // The convolutions (our implicit-GEMM kernels, float32), BatchNorm,
  // LeakyReLU, Tanh and the logit loss of a real DCGAN, at 32x32 with narrow
  // layers so the test stays quick.
  auto make = [] {
    return models::GAN(models::dcgan_generator({.nz = 16, .ngf = 8, .size = 32, .channels = 1}),
                       models::dcgan_discriminator({.ndf = 8, .size = 32, .channels = 1}),
                       models::NonSaturatingLoss{},
                       models::GANOptions{.g = {.lr = 2e-4, .beta1 = 0.5, .eps = 1e-4},
                                          .d = {.lr = 2e-4, .beta1 = 0.5, .eps = 1e-4}});  // eps: see the VAE test
  };
  manual_seed(7);
  auto cpu_gan = make();
  manual_seed(7);
  auto gpu_gan = make();
  gpu_gan.to(kGpu);
  const auto g_cpu0 = copies(cpu_gan.generator().parameters()), g_gpu0 = copies(gpu_gan.generator().parameters());
  const auto d_cpu0 = copies(cpu_gan.discriminator().parameters());
  const auto d_gpu0 = copies(gpu_gan.discriminator().parameters());
  require_same_gan_steps(cpu_gan, gpu_gan, [] { return rand({16, 1, 32, 32}) * 2.0 - 1.0; }, 200);
  // Three Adam steps of lr 2e-4 move a parameter by up to 6e-4: the moves
  // must agree to 1e-4 (a sixth of the largest).
  require_same_moves(g_cpu0, cpu_gan.generator().parameters(), g_gpu0, gpu_gan.generator().parameters(), 1e-4);
  require_same_moves(d_cpu0, cpu_gan.discriminator().parameters(), d_gpu0, gpu_gan.discriminator().parameters(),
                     1e-4);
  require_match(cpu_gan.sample_fixed(), gpu_gan.sample_fixed(), 1e-3);
}

TEST_CASE("cuda training: a checkpoint written on the GPU resumes on the CPU, and back", "[cuda][gan][io]") {
  // What the trainers' --device and --resume rely on: a checkpoint holds CPU
  // tensors whichever device wrote it, and loads into a GAN on either.
  auto make = [] {
    return models::GAN(models::dcgan_generator({.nz = 8, .ngf = 4, .size = 32, .channels = 1}),
                       models::dcgan_discriminator({.ndf = 4, .size = 32, .channels = 1}), models::NonSaturatingLoss{},
                       models::GANOptions{.ema_decay = 0.9, .fixed_noise = 4});
  };
  manual_seed(17);
  auto gpu_gan = make();
  gpu_gan.to(kGpu);
  for (int step = 0; step < 2; ++step) gpu_gan.train_step((rand({8, 1, 32, 32}) * 2.0 - 1.0).to(kGpu));
  const testing::TempDir dir;
  const std::string path = dir.file("gan.safetensors");
  io::save_checkpoint(path, gpu_gan.state_dict());

  auto cpu_gan = make();
  cpu_gan.load_state_dict(io::load_checkpoint(path).parts);
  REQUIRE(cpu_gan.step() == 2);
  const auto pg = gpu_gan.generator().parameters(), pc = cpu_gan.generator().parameters();
  for (std::size_t i = 0; i < pg.size(); ++i)
    REQUIRE(pc[i].to_vector<float>() == pg[i].to(Device::cpu()).to_vector<float>());  // bit for bit
  require_match(cpu_gan.sample_fixed(), gpu_gan.sample_fixed(), 1e-4);

  // And a CPU checkpoint into a GAN moved to the GPU before loading.
  io::save_checkpoint(path, cpu_gan.state_dict());
  auto back = make();
  back.to(kGpu);
  back.load_state_dict(io::load_checkpoint(path).parts);
  REQUIRE(back.generator().parameters().front().device() == kGpu);
  require_match(back.sample_fixed(), gpu_gan.sample_fixed(), 1e-4);
  back.train_step((rand({8, 1, 32, 32}) * 2.0 - 1.0).to(kGpu));  // Adam's loaded state follows to the GPU
  REQUIRE(back.step() == 3);
}

TEST_CASE("cuda training: conv-VAE steps on the GPU follow the CPU's", "[cuda][vae][conv]") {
  const models::ConvVAEOptions shape{.channels = 1, .size = 12, .latent = 4, .base = 6};
  manual_seed(13);
  auto cpu_nets = models::conv_vae(shape);
  manual_seed(13);
  auto gpu_nets = models::conv_vae(shape);
  gpu_nets.encoder.to(kGpu);
  gpu_nets.decoder.to(kGpu);
  const models::VAEOptions options{.optimizer = {.lr = 1e-3, .eps = 1e-4}};
  models::VAE cpu_vae(std::move(cpu_nets), models::BernoulliLikelihood{}, options);
  models::VAE gpu_vae(std::move(gpu_nets), models::BernoulliLikelihood{}, options);

  const auto cpu0 = copies(cpu_vae.decoder().parameters()), gpu0 = copies(gpu_vae.decoder().parameters());
  require_same_vae_steps(cpu_vae, gpu_vae, rand({9, 1, 12, 12}), 4);
  // Four Adam steps of lr 1e-3 move a parameter by up to 4e-3.
  require_same_moves(cpu0, cpu_vae.decoder().parameters(), gpu0, gpu_vae.decoder().parameters(), 2e-4);
}
