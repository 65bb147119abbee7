#include "zengen/metrics/coverage.hpp"

#include <limits>
#include <string>

#include "metrics/matrix.hpp"
#include "zengen/core/error.hpp"

namespace zengen::metrics {

using detail::Matrix;

ModeCoverage mode_coverage(const Tensor& samples, const Tensor& centres, double radius, double min_fraction) {
  constexpr const char* kOp = "mode_coverage";
  if (!(radius > 0)) throw ValueError(std::string(kOp) + ": radius must be positive, got " + std::to_string(radius));
  if (!(min_fraction > 0 && min_fraction <= 1))
    throw ValueError(std::string(kOp) + ": min_fraction must be in (0, 1], got " + std::to_string(min_fraction));
  const Matrix x = detail::feature_matrix(samples, kOp, "samples");
  const Matrix c = detail::feature_matrix(centres, kOp, "centres");
  detail::require_same_dim(kOp, x, "samples", c, "centres");

  ModeCoverage result{.per_mode = std::vector<std::int64_t>(static_cast<std::size_t>(c.rows()), 0),
                      .samples = x.rows()};
  std::int64_t high_quality = 0;
  for (std::int64_t i = 0; i < x.rows(); ++i) {
    Eigen::Index nearest = 0;
    const double distance2 = (c.rowwise() - x.row(i)).rowwise().squaredNorm().minCoeff(&nearest);
    if (distance2 <= radius * radius) {
      ++high_quality;
      ++result.per_mode[static_cast<std::size_t>(nearest)];
    }
  }
  const double needed = min_fraction * static_cast<double>(x.rows());
  for (std::int64_t count : result.per_mode)
    if (static_cast<double>(count) >= needed) ++result.covered;
  result.high_quality = static_cast<double>(high_quality) / static_cast<double>(x.rows());
  return result;
}

double ClassAgreement::class_agreement(std::int64_t c) const {
  if (c < 0 || c >= classes)
    throw ValueError("ClassAgreement::class_agreement: class " + std::to_string(c) + " outside [0, " +
                     std::to_string(classes) + ")");
  const auto i = static_cast<std::size_t>(c);
  return per_class_samples[i] == 0 ? 0.0
                                   : static_cast<double>(per_class_agreed[i]) / static_cast<double>(per_class_samples[i]);
}

namespace {
// Class indices [N] from integer labels [N] or from the argmax of scores [N, C].
std::vector<std::int64_t> class_indices(const Tensor& t, const char* name, std::int64_t classes, bool scores_allowed) {
  const std::string where = std::string("classifier_agreement: ") + name;
  if (scores_allowed && t.dim() == 2) {
    if (t.size(1) != classes)
      throw ShapeError(where + " has shape " + t.shape().str() + ": expected [N] labels or [N, " +
                       std::to_string(classes) + "] scores");
    const Matrix s = detail::feature_matrix(t, "classifier_agreement", name);
    std::vector<std::int64_t> out(static_cast<std::size_t>(s.rows()));
    for (Eigen::Index i = 0; i < s.rows(); ++i) {
      Eigen::Index best = 0;
      s.row(i).maxCoeff(&best);
      out[static_cast<std::size_t>(i)] = best;
    }
    return out;
  }
  if (t.dim() != 1)
    throw ShapeError(where + " has shape " + t.shape().str() + ": expected [N] class indices" +
                     (scores_allowed ? " or [N, classes] scores" : ""));
  if (is_floating(t.dtype()))
    throw DTypeError(where + " must hold integer class indices, got " + std::string(dtype_name(t.dtype())));
  std::vector<std::int64_t> out = t.to(Device::cpu()).to_vector<std::int64_t>();
  for (std::size_t i = 0; i < out.size(); ++i)
    if (out[i] < 0 || out[i] >= classes)
      throw ValueError(where + "[" + std::to_string(i) + "] = " + std::to_string(out[i]) + " is outside [0, " +
                       std::to_string(classes) + ")");
  return out;
}
}  // namespace

ClassAgreement classifier_agreement(const Tensor& predicted, const Tensor& conditioned, std::int64_t classes) {
  if (classes < 1)
    throw ValueError("classifier_agreement: classes must be at least 1, got " + std::to_string(classes));
  const std::vector<std::int64_t> p = class_indices(predicted, "predicted", classes, true);
  const std::vector<std::int64_t> c = class_indices(conditioned, "conditioned", classes, false);
  if (p.size() != c.size() || p.empty())
    throw ShapeError("classifier_agreement: " + std::to_string(p.size()) + " predictions for " +
                     std::to_string(c.size()) + " conditioned labels: expected the same number, at least 1");
  const auto n = static_cast<std::size_t>(classes);
  ClassAgreement result{.classes = classes,
                        .per_class_samples = std::vector<std::int64_t>(n, 0),
                        .per_class_agreed = std::vector<std::int64_t>(n, 0),
                        .confusion = std::vector<std::int64_t>(n * n, 0)};
  std::int64_t agreed = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const auto want = static_cast<std::size_t>(c[i]), got = static_cast<std::size_t>(p[i]);
    ++result.per_class_samples[want];
    ++result.confusion[want * n + got];
    if (want == got) ++agreed, ++result.per_class_agreed[want];
  }
  result.agreement = static_cast<double>(agreed) / static_cast<double>(p.size());
  return result;
}

}  // namespace zengen::metrics
