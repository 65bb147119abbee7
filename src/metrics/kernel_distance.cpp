#include "zengen/metrics/kernel_distance.hpp"

#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "metrics/matrix.hpp"
#include "zengen/core/error.hpp"

namespace zengen::metrics {

using detail::Matrix;

namespace {

// The unbiased MMD^2 of the rows of x and y: the within-set kernel means
// leave out the diagonal (k(x_i, x_i)), the cross-set mean keeps every pair.
double mmd2_unbiased(const Matrix& x, const Matrix& y) {
  const double d = static_cast<double>(x.cols());
  const auto kernel = [d](const Matrix& a, const Matrix& b) {
    return Matrix(((a * b.transpose()).array() / d + 1.0).cube());
  };
  const Matrix kxx = kernel(x, x), kyy = kernel(y, y), kxy = kernel(x, y);
  const double m = static_cast<double>(x.rows()), n = static_cast<double>(y.rows());
  const double xx = (kxx.sum() - kxx.trace()) / (m * (m - 1));
  const double yy = (kyy.sum() - kyy.trace()) / (n * (n - 1));
  return xx + yy - 2.0 * kxy.mean();
}

// `count` distinct rows of `source`, drawn uniformly (partial Fisher-Yates over `order`).
Matrix draw_rows(const Matrix& source, std::int64_t count, std::vector<std::int64_t>& order, std::mt19937_64& rng) {
  const auto n = static_cast<std::int64_t>(order.size());
  Matrix rows(count, source.cols());
  for (std::int64_t i = 0; i < count; ++i) {
    std::uniform_int_distribution<std::int64_t> pick(i, n - 1);
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(pick(rng))]);
    rows.row(i) = source.row(order[static_cast<std::size_t>(i)]);
  }
  return rows;
}

}  // namespace

double polynomial_mmd2(const Tensor& x, const Tensor& y) {
  const Matrix a = detail::feature_matrix(x, "polynomial_mmd2", "x", 2);
  const Matrix b = detail::feature_matrix(y, "polynomial_mmd2", "y", 2);
  detail::require_same_dim("polynomial_mmd2", a, "x", b, "y");
  return mmd2_unbiased(a, b);
}

KernelDistance kernel_distance(const Tensor& real, const Tensor& fake, const KernelDistanceOptions& options) {
  constexpr const char* kOp = "kernel_distance";
  if (options.subsets < 1 || options.subset_size < 2)
    throw ValueError(std::string(kOp) + ": subsets " + std::to_string(options.subsets) + " and subset_size " +
                     std::to_string(options.subset_size) + ": expected at least 1 subset of at least 2 vectors");
  const Matrix r = detail::feature_matrix(real, kOp, "real", options.subset_size);
  const Matrix f = detail::feature_matrix(fake, kOp, "fake", options.subset_size);
  detail::require_same_dim(kOp, r, "real", f, "fake");

  std::mt19937_64 rng(options.seed);
  std::vector<std::int64_t> real_order(static_cast<std::size_t>(r.rows())), fake_order(static_cast<std::size_t>(f.rows()));
  std::iota(real_order.begin(), real_order.end(), 0);
  std::iota(fake_order.begin(), fake_order.end(), 0);
  std::vector<double> estimates;
  for (std::int64_t s = 0; s < options.subsets; ++s) {
    const Matrix x = draw_rows(r, options.subset_size, real_order, rng);
    const Matrix y = draw_rows(f, options.subset_size, fake_order, rng);
    estimates.push_back(mmd2_unbiased(x, y));
  }
  KernelDistance result{.subsets = options.subsets, .subset_size = options.subset_size};
  result.mean = std::accumulate(estimates.begin(), estimates.end(), 0.0) / static_cast<double>(estimates.size());
  double squares = 0;
  for (double e : estimates) squares += (e - result.mean) * (e - result.mean);
  result.std = std::sqrt(squares / static_cast<double>(estimates.size()));
  return result;
}

}  // namespace zengen::metrics
