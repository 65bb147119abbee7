// The real MNIST and Fashion-MNIST files (train and test), when
// scripts/fetch-data.sh has put them under data/ (or $ZENGEN_DATA_DIR):
// shapes, value and label ranges, and the first labels, label counts and
// mean pixel values everyone knows.
//
//   zengen_idx_real mnist | fashion-mnist
//
// Exit status: 0 ok, 1 mismatch, 77 (skipped) when the files are absent.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "zengen/zengen.hpp"

#ifndef ZENGEN_SOURCE_DIR
#error "ZENGEN_SOURCE_DIR must name the source tree"
#endif

namespace zg = zengen;

namespace {

int failures = 0;
void check(bool ok, const std::string& what) {
  if (!ok) {
    std::cout << "FAIL: " << what << "\n";
    ++failures;
  }
}

// `base` or `base.gz`, whichever exists; empty if neither.
std::string find(const std::string& base) {
  for (const auto& p : {base, base + ".gz"})
    if (::access(p.c_str(), R_OK) == 0) return p;
  return {};
}

// What everyone knows about one split: size, first label, label counts,
// mean pixel value (in [0, 1]).
struct Split {
  std::string name;
  std::int64_t n, first_label;
  std::array<std::int64_t, 10> counts;
  double mean_pixel;
};

void check_split(const std::string& dir, const Split& e) {
  const std::string images = find(dir + "/" + e.name + "-images-idx3-ubyte");
  const std::string labels = find(dir + "/" + e.name + "-labels-idx1-ubyte");
  const zg::Tensor x = zg::data::read_idx_images(images);
  const zg::Tensor y = zg::data::read_idx_labels(labels);
  const std::string split = e.name + ": ";
  check(x.shape() == zg::Shape{e.n, 1, 28, 28}, split + "images shape " + x.shape().str());
  check(x.dtype() == zg::DType::Float32, split + "images dtype");
  const auto pixels = x.to_vector<float>();
  float lo = 1, hi = 0;
  double sum = 0;
  for (float p : pixels) lo = std::min(lo, p), hi = std::max(hi, p), sum += p;
  check(lo == 0.0f && hi == 1.0f, split + "pixel range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  const double mean = sum / static_cast<double>(pixels.size());
  check(std::abs(mean - e.mean_pixel) < 1e-4, split + "mean pixel " + std::to_string(mean));
  check(y.shape() == zg::Shape{e.n}, split + "labels shape " + y.shape().str());
  check(y.dtype() == zg::DType::Int64, split + "labels dtype");
  const auto l = y.to_vector<std::int64_t>();
  std::array<std::int64_t, 10> counts{};
  for (auto v : l) {
    if (v < 0 || v > 9) {
      check(false, split + "label " + std::to_string(v) + " outside 0..9");
      return;
    }
    ++counts[static_cast<std::size_t>(v)];
  }
  check(!l.empty() && l[0] == e.first_label, split + "first label " + std::to_string(l.empty() ? -1 : l[0]));
  check(counts == e.counts, split + "label counts differ from the known ones");
  std::cout << (failures ? "checked: " : "ok: ") << images << ", " << labels << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  const std::string name = argc == 2 ? argv[1] : "";
  std::vector<Split> splits;
  if (name == "mnist") {
    splits = {{"t10k", 10000, 7, {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}, 0.132515},
              {"train", 60000, 5, {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}, 0.130660}};
  } else if (name == "fashion-mnist") {
    std::array<std::int64_t, 10> test_counts, train_counts;
    test_counts.fill(1000);
    train_counts.fill(6000);
    splits = {{"t10k", 10000, 9, test_counts, 0.286849}, {"train", 60000, 9, train_counts, 0.286041}};
  } else {
    std::cerr << "usage: " << argv[0] << " mnist|fashion-mnist\n";
    return 2;
  }
  const char* env = std::getenv("ZENGEN_DATA_DIR");
  const std::string dir = (env && *env ? std::string(env) : std::string(ZENGEN_SOURCE_DIR) + "/data") + "/" + name;
  for (const auto& split : splits)
    for (const char* kind : {"-images-idx3-ubyte", "-labels-idx1-ubyte"})
      if (find(dir + "/" + split.name + kind).empty()) {
        std::cout << "SKIP: no " << dir << "/" << split.name << kind << "[.gz] (run scripts/fetch-data.sh)\n";
        return 77;
      }
  for (const auto& split : splits) {
    try {
      check_split(dir, split);
    } catch (const std::exception& e) {
      check(false, e.what());
    }
  }
  return failures == 0 ? 0 : 1;
}
