// zengen::metrics against plain loops and closed forms: streaming statistics,
// the Fréchet distance (0 for equal sets, the Gaussian closed form), the
// unbiased kernel distance, precision/recall on sets whose manifolds are
// known, mode coverage and classifier agreement; bad input names its fault.
#include <cmath>
#include <numbers>
#include <vector>

#include "helpers.hpp"
#include "zengen/metrics/metrics.hpp"

using namespace zengen;
using Catch::Contains;

namespace {

// A [n, d] float64 matrix from row-major values.
Tensor matrix(const std::vector<double>& v, std::int64_t n, std::int64_t d) { return from_vector(v, {n, d}); }

// Plain-loop mean and unbiased covariance of the rows of x.
void reference_moments(const std::vector<double>& x, std::int64_t n, std::int64_t d, std::vector<double>& mean,
                       std::vector<double>& cov) {
  mean.assign(d, 0.0);
  cov.assign(d * d, 0.0);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < d; ++j) mean[j] += x[i * d + j] / n;
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t a = 0; a < d; ++a)
      for (std::int64_t b = 0; b < d; ++b) cov[a * d + b] += (x[i * d + a] - mean[a]) * (x[i * d + b] - mean[b]) / (n - 1);
}

// Q diag(values) Q^T for the rotation Q by `angle` in the (0, 1) plane of R^d.
Tensor rotated_diagonal(const std::vector<double>& values, double angle) {
  const auto d = static_cast<std::int64_t>(values.size());
  std::vector<double> q(d * d, 0.0), s(d * d, 0.0);
  for (std::int64_t i = 0; i < d; ++i) q[i * d + i] = 1.0;
  q[0] = std::cos(angle), q[1] = -std::sin(angle), q[d] = std::sin(angle), q[d + 1] = std::cos(angle);
  for (std::int64_t a = 0; a < d; ++a)
    for (std::int64_t b = 0; b < d; ++b)
      for (std::int64_t k = 0; k < d; ++k) s[a * d + b] += q[a * d + k] * values[k] * q[b * d + k];
  return matrix(s, d, d);
}

}  // namespace

TEST_CASE("feature statistics: batch by batch equals the plain loop, merge equals add", "[metrics]") {
  manual_seed(1);
  const std::int64_t n = 257, d = 5;
  // An offset of 1e4 (as features far from 0 are): the merged co-moments must not cancel.
  const Tensor x = randn({n, d}, {.dtype = DType::Float64}) * 3.0 + 1e4;
  const std::vector<double> xv = x.to_vector<double>();
  std::vector<double> mean, cov;
  reference_moments(xv, n, d, mean, cov);

  metrics::FeatureStatistics streamed(d), left(d), right(d);
  for (std::int64_t begin = 0, size = 1; begin < n; begin += size, size = size * 2 + 1)
    streamed.add(x.narrow(0, begin, std::min(size, n - begin)));
  left.add(x.narrow(0, 0, 100));
  right.add(x.narrow(0, 100, n - 100));
  left.merge(right);
  for (const auto* s : {&streamed, &left}) {
    REQUIRE(s->count() == n);
    const std::vector<double> m = s->mean().to_vector<double>(), c = s->covariance().to_vector<double>();
    for (std::int64_t j = 0; j < d; ++j) REQUIRE(m[j] == Approx(mean[j]).epsilon(1e-13));
    for (std::int64_t j = 0; j < d * d; ++j) REQUIRE(c[j] == Approx(cov[j]).epsilon(1e-9).margin(1e-9));
  }
  REQUIRE_THROWS_WITH(streamed.add(randn({3, 4})), Contains("4 values per sample") && Contains("statistics 5"));
  REQUIRE_THROWS_AS(metrics::FeatureStatistics(1).covariance(), ValueError);
}

TEST_CASE("frechet distance: 0 for equal sets, the closed form for Gaussians", "[metrics]") {
  manual_seed(2);
  const Tensor a = randn({400, 16}, {.dtype = DType::Float64});
  const std::vector<double> cov = metrics::FeatureStatistics::of(a).covariance().to_vector<double>();
  double trace = 0;  // d^2's scale: tr S
  for (int j = 0; j < 16; ++j) trace += cov[j * 17];
  REQUIRE(std::abs(metrics::frechet_distance(a, a)) <= 1e-6 * trace);
  REQUIRE(std::abs(metrics::frechet_distance(a.to(DType::Float32), a.to(DType::Float32))) <= 1e-6 * trace);

  // Commuting covariances (one rotation diagonalises both):
  // |mu1 - mu2|^2 + sum (sqrt(a_i) - sqrt(b_i))^2.
  const std::vector<double> va = {4.0, 1.0, 0.25, 9.0}, vb = {1.0, 2.0, 0.5, 16.0};
  const Tensor mu1 = from_vector(std::vector<double>{1, 2, 3, 4}, {4});
  const Tensor mu2 = from_vector(std::vector<double>{1.5, 2, 2, 4}, {4});
  double expected = 0.25 + 1.0;
  for (std::size_t i = 0; i < va.size(); ++i) expected += std::pow(std::sqrt(va[i]) - std::sqrt(vb[i]), 2);
  REQUIRE(metrics::frechet_distance(mu1, rotated_diagonal(va, 0.7), mu2, rotated_diagonal(vb, 0.7)) ==
          Approx(expected).epsilon(1e-9));

  // Non-commuting 2 x 2: tr (S1 S2)^(1/2) = sqrt(tr(S1 S2) + 2 sqrt(det S1 det S2)).
  const Tensor s1 = matrix({2.0, 0.6, 0.6, 1.0}, 2, 2), s2 = matrix({1.0, -0.3, -0.3, 3.0}, 2, 2);
  const double tr12 = 2.0 * 1.0 + 0.6 * -0.3 + 0.6 * -0.3 + 1.0 * 3.0;
  const double det1 = 2.0 - 0.36, det2 = 3.0 - 0.09;
  const double closed = 3.0 + 4.0 - 2.0 * std::sqrt(tr12 + 2.0 * std::sqrt(det1 * det2));
  const Tensor zero = zeros({2}, {.dtype = DType::Float64});
  REQUIRE(metrics::frechet_distance(zero, s1, zero, s2) == Approx(closed).epsilon(1e-9));
}

TEST_CASE("frechet distance: bad input names what is wrong", "[metrics]") {
  const Tensor a = randn({50, 8}), b = randn({50, 9});
  REQUIRE_THROWS_WITH(metrics::frechet_distance(a, b), Contains("8 features") && Contains("9"));
  REQUIRE_THROWS_WITH(metrics::frechet_distance(randn({6, 8}), a),
                      Contains("6 samples of 8 features") && Contains("at least 9"));
  Tensor nan = randn({50, 8});
  nan.narrow(0, 7, 1).narrow(1, 3, 1).fill_(std::nan(""));
  REQUIRE_THROWS_WITH(metrics::frechet_distance(a, nan), Contains("non-finite") && Contains("[7, 3]"));
  REQUIRE_THROWS_AS(metrics::frechet_distance(randn({50}), a), ShapeError);
  const Tensor asym = matrix({1.0, 0.5, 0.0, 1.0}, 2, 2), eye2 = matrix({1, 0, 0, 1}, 2, 2);
  const Tensor zero = zeros({2}, {.dtype = DType::Float64});
  REQUIRE_THROWS_WITH(metrics::frechet_distance(zero, asym, zero, eye2), Contains("cov_1 is not symmetric"));
  REQUIRE_THROWS_AS(metrics::frechet_distance(zero, eye2, zeros({3}), eye2), ShapeError);
}

TEST_CASE("kernel distance: the unbiased MMD^2 of a plain loop, 0 in expectation for one distribution", "[metrics]") {
  manual_seed(3);
  const std::int64_t m = 13, n = 11, d = 3;
  const Tensor x = randn({m, d}, {.dtype = DType::Float64}), y = randn({n, d}, {.dtype = DType::Float64}) + 0.3;
  const std::vector<double> xv = x.to_vector<double>(), yv = y.to_vector<double>();
  const auto k = [d](const double* a, const double* b) {
    double dot = 0;
    for (std::int64_t j = 0; j < d; ++j) dot += a[j] * b[j];
    return std::pow(dot / d + 1.0, 3);
  };
  double xx = 0, yy = 0, xy = 0;
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < m; ++j)
      if (i != j) xx += k(&xv[i * d], &xv[j * d]);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j)
      if (i != j) yy += k(&yv[i * d], &yv[j * d]);
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) xy += k(&xv[i * d], &yv[j * d]);
  const double reference = xx / (m * (m - 1)) + yy / (n * (n - 1)) - 2 * xy / (m * n);
  REQUIRE(metrics::polynomial_mmd2(x, y) == Approx(reference).epsilon(1e-12));

  // 1-d N(0, 1) against N(mu, 1), kernel (xy + 1)^3: MMD^2 = E k(x,x') + E k(y,y') - 2 E k(x,y)
  // = 4 + [(mu^3 + 3 mu)^2 + 3 (1 + mu^2)^2 + 3 mu^2 + 1] - 2 [3 (1 + mu^2) + 1].
  const double mu = 0.5;
  const double closed = 4 + (std::pow(mu * mu * mu + 3 * mu, 2) + 3 * std::pow(1 + mu * mu, 2) + 3 * mu * mu + 1) -
                        2 * (3 * (1 + mu * mu) + 1);  // 3.578125
  const Tensor real = randn({4000, 1}, {.dtype = DType::Float64});
  const Tensor same = randn({4000, 1}, {.dtype = DType::Float64});
  const Tensor shifted = randn({4000, 1}, {.dtype = DType::Float64}) + mu;
  const metrics::KernelDistanceOptions options{.subsets = 50, .subset_size = 1000, .seed = 7};
  const auto far = metrics::kernel_distance(real, shifted, options);
  const auto near = metrics::kernel_distance(real, same, options);
  INFO("KID far " << far.mean << " +- " << far.std << ", near " << near.mean << " +- " << near.std);
  REQUIRE(far.mean == Approx(closed).epsilon(0.05));
  REQUIRE(std::abs(near.mean) < 0.02);
  REQUIRE(far.std > 0);
  REQUIRE(metrics::kernel_distance(real, shifted, options).mean == far.mean);  // the seed fixes the subsets

  REQUIRE_THROWS_WITH(metrics::kernel_distance(randn({500, 4}), randn({2000, 4})),
                      Contains("real has 500 samples, at least 1000 needed"));
  REQUIRE_THROWS_AS(metrics::kernel_distance(real, randn({4000, 2}), options), ValueError);
}

TEST_CASE("precision and recall: 1 and 1 against itself, the known fractions of overlapping grids", "[metrics]") {
  manual_seed(4);
  const Tensor a = randn({300, 6});
  const auto self = metrics::precision_recall(a, a);
  REQUIRE(self.precision == 1.0);
  REQUIRE(self.recall == 1.0);
  REQUIRE(self.k == 3);
  const auto apart = metrics::precision_recall(a, randn({300, 6}) + 100.0);
  REQUIRE(apart.precision == 0.0);
  REQUIRE(apart.recall == 0.0);

  // Real: 0, 1, ..., 99 on a line (3rd-neighbour radius 2 inside, 3 at the
  // ends). Fake: 0..49 and 1000..1049. Precision: the 50 shared points. Recall:
  // real 0..49, and 50, 51, 52 within fake 49's radius 3.
  std::vector<double> real(100), fake(100);
  for (int i = 0; i < 100; ++i) real[i] = i, fake[i] = i < 50 ? i : 950 + i;
  const auto grid = metrics::precision_recall(matrix(real, 100, 1), matrix(fake, 100, 1));
  REQUIRE(grid.precision == 0.5);
  REQUIRE(grid.recall == 0.53);
  // k = 1: radii 1; fake 49 covers real 50 only.
  REQUIRE(metrics::precision_recall(matrix(real, 100, 1), matrix(fake, 100, 1), 1).recall == 0.51);

  REQUIRE_THROWS_WITH(metrics::precision_recall(randn({3, 6}), a), Contains("real has 3 samples, at least 4"));
  REQUIRE_THROWS_WITH(metrics::precision_recall(a, randn({30, 5})), Contains("6 features") && Contains("5"));
  REQUIRE_THROWS_AS(metrics::precision_recall(a, a, 0), ValueError);
}

TEST_CASE("mode coverage: nearest centre, the radius and the fraction rule", "[metrics]") {
  std::vector<float> c, s;
  for (int k = 0; k < 8; ++k) {
    const double angle = 2 * std::numbers::pi * k / 8;
    c.push_back(static_cast<float>(2 * std::cos(angle)));
    c.push_back(static_cast<float>(2 * std::sin(angle)));
  }
  // Mode k gets 10 k samples at its centre (mode 0 none), then 40 far ones: 320 samples.
  for (int k = 0; k < 8; ++k)
    for (int i = 0; i < 10 * k; ++i) s.push_back(c[2 * k] + 0.01f), s.push_back(c[2 * k + 1]);
  for (int i = 0; i < 40; ++i) s.push_back(0.0f), s.push_back(0.0f);
  const auto coverage = metrics::mode_coverage(from_vector(s, {320, 2}), from_vector(c, {8, 2}), 0.06, 0.1);
  REQUIRE(coverage.samples == 320);
  REQUIRE(coverage.per_mode == std::vector<std::int64_t>{0, 10, 20, 30, 40, 50, 60, 70});
  REQUIRE(coverage.covered == 4);  // at least 32 samples: modes 4..7
  REQUIRE(coverage.high_quality == Approx(280.0 / 320.0));
  REQUIRE_THROWS_AS(metrics::mode_coverage(from_vector(s, {320, 2}), from_vector(c, {8, 2}), 0.0), ValueError);
  REQUIRE_THROWS_AS(metrics::mode_coverage(from_vector(s, {320, 2}), from_vector(c, {4, 4}), 0.06), ValueError);
}

TEST_CASE("classifier agreement: labels or scores, per class and confusion", "[metrics]") {
  const Tensor conditioned = from_vector(std::vector<std::int64_t>{0, 0, 1, 1, 2, 2}, {6});
  const Tensor predicted = from_vector(std::vector<std::int64_t>{0, 1, 1, 1, 0, 2}, {6});
  const auto agree = metrics::classifier_agreement(predicted, conditioned, 3);
  REQUIRE(agree.agreement == Approx(4.0 / 6.0));
  REQUIRE(agree.per_class_samples == std::vector<std::int64_t>{2, 2, 2});
  REQUIRE(agree.per_class_agreed == std::vector<std::int64_t>{1, 2, 1});
  REQUIRE(agree.confusion == std::vector<std::int64_t>{1, 1, 0, 0, 2, 0, 1, 0, 1});
  REQUIRE(agree.class_agreement(1) == 1.0);
  // Scores: the argmax of each row.
  const Tensor scores = from_vector(std::vector<float>{5, 1, 0, 0, 2, 1, 0, 3, 1, 0, 1, 0, 9, 0, 0, 0, 0, 1}, {6, 3});
  REQUIRE(metrics::classifier_agreement(scores, conditioned, 3).confusion == agree.confusion);
  REQUIRE_THROWS_WITH(metrics::classifier_agreement(predicted, from_vector(std::vector<std::int64_t>{0, 0, 1, 1, 2, 3}, {6}), 3),
                      Contains("conditioned[5] = 3 is outside [0, 3)"));
  REQUIRE_THROWS_AS(metrics::classifier_agreement(randn({6, 4}), conditioned, 3), ShapeError);
  REQUIRE_THROWS_AS(metrics::classifier_agreement(predicted.narrow(0, 0, 5), conditioned, 3), ShapeError);
}
