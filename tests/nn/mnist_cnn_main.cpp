// A small CNN learns MNIST: at least 97% test accuracy after two epochs on
// the CPU, with Conv2d, ReLU, Linear, cross_entropy and Adam end to end.
// Exits 77 (CTest: skipped) when the data has not been fetched
// (scripts/fetch-data.sh, which scripts/setup.sh runs).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "zengen/optim/optim.hpp"
#include "zengen/zengen.hpp"

namespace zg = zengen;
namespace nn = zengen::nn;

namespace {

std::filesystem::path data_dir() {
  if (const char* env = std::getenv("ZENGEN_DATA_DIR")) return env;
  return std::filesystem::path(ZENGEN_SOURCE_DIR) / "data";
}

// Fraction of correctly classified images, evaluated in batches.
double accuracy(nn::Sequential& net, const zg::Tensor& images, const zg::Tensor& labels) {
  zg::NoGradGuard no_grad;
  net.eval();
  std::int64_t correct = 0;
  const std::int64_t n = images.size(0);
  for (std::int64_t start = 0; start < n; start += 1000) {
    const std::int64_t count = std::min<std::int64_t>(1000, n - start);
    const zg::Tensor predicted = zg::argmax(net.forward(images.narrow(0, start, count)), 1);
    correct += static_cast<std::int64_t>(zg::eq(predicted, labels.narrow(0, start, count)).to(zg::DType::Float64).sum().item());
  }
  net.train();
  return static_cast<double>(correct) / static_cast<double>(n);
}

}  // namespace

int main() {
  const auto dir = data_dir() / "mnist";
  if (!std::filesystem::exists(dir / "train-images-idx3-ubyte")) {
    std::printf("MNIST not found under %s (run scripts/fetch-data.sh): skipping\n", dir.c_str());
    return 77;
  }
  zg::manual_seed(0);
  // The library's own pipeline: MNIST in [0, 1], shuffled batches prepared on
  // a background thread. Inputs are standardised with MNIST's mean and std.
  const zg::data::MNIST train(dir.string(), {.range = zg::data::Range::ZeroToOne});
  const zg::data::MNIST test(dir.string(), {.split = zg::data::Split::Test, .range = zg::data::Range::ZeroToOne});
  auto standardise = [](const zg::Tensor& x) { return ((x - 0.1307) / 0.3081).detach(); };
  const zg::Tensor test_x = standardise(test.images()), test_y = test.labels();

  nn::Sequential net(nn::Conv2d(1, 16, 3, {.stride = 2, .padding = 1}), nn::ReLU(),   // 28 -> 14
                     nn::Conv2d(16, 32, 3, {.stride = 2, .padding = 1}), nn::ReLU(),  // 14 -> 7
                     nn::Flatten(), nn::Linear(32 * 7 * 7, 64), nn::ReLU(), nn::Linear(64, 10));
  std::printf("%s", net.summary({1, 1, 28, 28}).c_str());
  zg::optim::Adam optimizer(net.parameters(), {.lr = 2e-3});
  zg::data::DataLoader loader(train, {.batch_size = 64, .shuffle = true});

  const int epochs = 2;
  const auto start = std::chrono::steady_clock::now();
  for (int epoch = 0; epoch < epochs; ++epoch) {
    double loss_sum = 0;
    std::int64_t steps = 0;
    for (const auto& batch : loader) {
      optimizer.zero_grad();
      const zg::Tensor loss = zg::cross_entropy(net.forward(standardise(batch.images)), batch.labels);
      loss.backward();
      optimizer.step();
      loss_sum += loss.item();
      ++steps;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("epoch %d: mean train loss %.4f, test accuracy %.4f (%.1f s)\n", epoch + 1, loss_sum / steps,
                accuracy(net, test_x, test_y), seconds);
  }
  const double acc = accuracy(net, test_x, test_y);
  std::printf("final test accuracy %.4f (needs >= 0.97)\n", acc);
  return acc >= 0.97 ? 0 : 1;
}
