// The real emoji folder (3,786 PNGs of 64x64 RGBA, from
// scripts/fetch-data.sh) through ImageFolder at size 32 and one DataLoader
// epoch: count, shape, value range, no skipped file.
//
// Exit status: 0 ok, 1 mismatch, 77 (skipped) when data/emoji (or
// $ZENGEN_DATA_DIR/emoji) is absent.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include "zengen/zengen.hpp"

#ifndef ZENGEN_SOURCE_DIR
#error "ZENGEN_SOURCE_DIR must name the source tree"
#endif

namespace zg = zengen;

int main() {
  const char* env = std::getenv("ZENGEN_DATA_DIR");
  const std::string dir = (env && *env ? std::string(env) : std::string(ZENGEN_SOURCE_DIR) + "/data") + "/emoji";
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    std::cout << "SKIP: no " << dir << " (run scripts/fetch-data.sh)\n";
    return 77;
  }
  int failures = 0;
  auto check = [&](bool ok, const std::string& what) {
    if (!ok) {
      std::cout << "FAIL: " << what << "\n";
      ++failures;
    }
  };
  try {
    const auto t0 = std::chrono::steady_clock::now();
    zg::data::ImageFolder emoji(dir, {.size = 32, .on_error = zg::data::OnError::Raise});
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    check(emoji.size() == 3786, "count " + std::to_string(emoji.size()));
    check(emoji.images().shape() == zg::Shape{3786, 3, 32, 32}, "shape " + emoji.images().shape().str());
    check(emoji.labels().shape() == zg::Shape{3786}, "labels shape " + emoji.labels().shape().str());
    check(emoji.classes() == std::vector<std::string>{""}, "classes: expected only the root");
    check(emoji.skipped().empty(), "skipped files");
    const auto v = emoji.images().to_vector<float>();
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    check(*lo >= -1.0f && *hi <= 1.0f, "values outside [-1, 1]: " + std::to_string(*lo) + " .. " + std::to_string(*hi));
    check(*lo < -0.9f && *hi == 1.0f, "values do not span the range: " + std::to_string(*lo) + " .. " +
                                          std::to_string(*hi));
    const double mean = emoji.images().mean().item<double>();
    check(mean > -0.5 && mean < 0.9, "mean " + std::to_string(mean));

    zg::manual_seed(0);
    zg::data::DataLoader loader(emoji, {.batch_size = 64, .random_flip = true});
    std::int64_t batches = 0, examples = 0;
    for (const auto& batch : loader) {
      ++batches;
      examples += batch.images.size(0);
      if (batch.images.shape() != zg::Shape{64, 3, 32, 32}) check(false, "batch shape " + batch.images.shape().str());
    }
    check(batches == 3786 / 64 && examples == batches * 64, "one epoch: " + std::to_string(batches) + " batches");
    std::cout << (failures ? "checked: " : "ok: ") << emoji.size() << " images from " << dir << " in " << seconds
              << " s, values " << *lo << " .. " << *hi << ", mean " << mean << "\n";
  } catch (const std::exception& e) {
    check(false, e.what());
  }
  return failures == 0 ? 0 : 1;
}
