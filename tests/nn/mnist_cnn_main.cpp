// A small CNN learns MNIST: at least 97% test accuracy after two epochs on
// the CPU, with Conv2d, ReLU, Linear, cross_entropy and Adam end to end.
// Exits 77 (CTest: skipped) when the data has not been fetched
// (scripts/fetch-data.sh, which scripts/setup.sh runs).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <random>

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
  // Inputs centred on MNIST's mean and scaled by its standard deviation.
  auto normalise = [](const zg::Tensor& x) { return ((x - 0.1307) / 0.3081).detach(); };
  const zg::Tensor train_x = normalise(zg::data::read_idx_images(dir / "train-images-idx3-ubyte"));
  const zg::Tensor train_y = zg::data::read_idx_labels(dir / "train-labels-idx1-ubyte");
  const zg::Tensor test_x = normalise(zg::data::read_idx_images(dir / "t10k-images-idx3-ubyte"));
  const zg::Tensor test_y = zg::data::read_idx_labels(dir / "t10k-labels-idx1-ubyte");

  nn::Sequential net(nn::Conv2d(1, 16, 3, {.stride = 2, .padding = 1}), nn::ReLU(),   // 28 -> 14
                     nn::Conv2d(16, 32, 3, {.stride = 2, .padding = 1}), nn::ReLU(),  // 14 -> 7
                     nn::Flatten(), nn::Linear(32 * 7 * 7, 64), nn::ReLU(), nn::Linear(64, 10));
  std::printf("%s", net.summary({1, 1, 28, 28}).c_str());
  zg::optim::Adam optimizer(net.parameters(), {.lr = 2e-3});

  const std::int64_t n = train_x.size(0), batch = 64, epochs = 2;
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937 shuffle_rng(0);
  const auto start = std::chrono::steady_clock::now();
  for (int epoch = 0; epoch < epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), shuffle_rng);
    double loss_sum = 0;
    std::int64_t steps = 0;
    for (std::int64_t at = 0; at + batch <= n; at += batch) {
      const zg::Tensor idx = zg::from_vector(std::vector<std::int64_t>(order.begin() + at, order.begin() + at + batch), {batch});
      const zg::Tensor x = zg::index_select(train_x, 0, idx), y = zg::index_select(train_y, 0, idx);
      optimizer.zero_grad();
      const zg::Tensor loss = zg::cross_entropy(net.forward(x), y);
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
