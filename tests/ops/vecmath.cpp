// cpu::vecmath (src/cpu/vecmath.cpp): the vectorised float32 exp and log
// against the correctly rounded result (std::exp / std::log in double, then
// rounded) over every 251st float bit pattern (normal, subnormal, inf, NaN,
// both signs) plus the special values, and sigmoid/tanh/softplus against
// double-precision definitions; array lengths that leave a tail; the loss
// sum of BCE's terms against double precision, and its range flag.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "cpu/vecmath.hpp"
#include "helpers.hpp"

using namespace zengen;

namespace {

// Distance in units in the last place, on the ordered integer line of
// floats (-0 and +0 are one point); two NaNs are 0 apart, NaN and a number
// are infinitely far.
std::int64_t ulp_distance(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0 : std::numeric_limits<std::int64_t>::max();
  auto ordered = [](float v) {
    std::int32_t i;
    std::memcpy(&i, &v, sizeof i);
    return i < 0 ? std::int64_t{std::numeric_limits<std::int32_t>::min()} - i : std::int64_t{i};
  };
  return std::llabs(ordered(a) - ordered(b));
}

std::vector<float> sweep() {
  std::vector<float> x;
  for (std::uint64_t bits = 0; bits < (std::uint64_t{1} << 32); bits += 251) {
    const auto u = static_cast<std::uint32_t>(bits);
    float f;
    std::memcpy(&f, &u, sizeof f);
    x.push_back(f);
  }
  const float inf = std::numeric_limits<float>::infinity();
  for (float f : {0.0f, -0.0f, inf, -inf, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::min(),
                  std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::max(), 1.0f, -1.0f,
                  88.72283f, 88.72284f, -87.33654f, -103.9720f, -103.9721f, 0.625f, -0.625f, 1e-30f, -1e-30f})
    x.push_back(f);
  return x;
}

// Runs f over all of x (an odd length, so the vector loop's tail runs too)
// and checks the largest ulp distance to ref, naming the worst input.
template <typename F, typename Ref>
void check_ulp(F f, Ref ref, const std::vector<float>& x, const char* name, std::int64_t bound) {
  std::vector<float> y(x.size());
  f(x.data(), y.data(), static_cast<std::int64_t>(x.size()));
  std::int64_t worst = 0;
  float at = 0, got = 0, want = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float expected = static_cast<float>(ref(static_cast<double>(x[i])));
    const std::int64_t d = ulp_distance(y[i], expected);
    if (d > worst) {
      worst = d;
      at = x[i];
      got = y[i];
      want = expected;
    }
  }
  INFO(name << ": worst at x = " << at << ": got " << got << ", expected " << want << " (" << worst << " ulp)");
  CHECK(worst <= bound);
}

}  // namespace

TEST_CASE("vecmath: exp and log within 1 ulp of the correctly rounded result", "[vecmath]") {
  if (!cpu::vecmath::vectorised()) WARN("vecmath: no AVX2+FMA here; checking the scalar fallback");
  const std::vector<float> x = sweep();
  REQUIRE(x.size() % 8 != 0);  // a tail the vector loop finishes through its buffer
  check_ulp(cpu::vecmath::exp, [](double v) { return std::exp(v); }, x, "exp", 1);
  check_ulp(cpu::vecmath::log, [](double v) { return std::log(v); }, x, "log", 1);
}

TEST_CASE("vecmath: special values follow std::exp and std::log", "[vecmath]") {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> x = {0.0f, -0.0f, inf, -inf, nan, -1.0f, 1e-45f, 89.0f, -110.0f};
  std::vector<float> e(x.size()), l(x.size());
  cpu::vecmath::exp(x.data(), e.data(), static_cast<std::int64_t>(x.size()));
  cpu::vecmath::log(x.data(), l.data(), static_cast<std::int64_t>(x.size()));
  CHECK(e[0] == 1.0f);
  CHECK(e[1] == 1.0f);
  CHECK(e[2] == inf);
  CHECK(e[3] == 0.0f);
  CHECK(std::isnan(e[4]));
  CHECK(e[7] == inf);
  CHECK(e[8] == 0.0f);
  CHECK(l[0] == -inf);
  CHECK(l[1] == -inf);
  CHECK(l[2] == inf);
  CHECK(std::isnan(l[3]));
  CHECK(std::isnan(l[4]));
  CHECK(std::isnan(l[5]));
  CHECK(l[6] == Approx(std::log(1.401298464e-45)).epsilon(1e-6));  // the smallest subnormal
}

TEST_CASE("vecmath: sigmoid, tanh and softplus within 2 ulp of the double-precision definitions", "[vecmath]") {
  const std::vector<float> x = sweep();
  auto sigmoid = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
  auto softplus = [](double v) { return v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v)); };
  check_ulp(cpu::vecmath::sigmoid, sigmoid, x, "sigmoid", 2);
  check_ulp(cpu::vecmath::tanh, [](double v) { return std::tanh(v); }, x, "tanh", 2);
  check_ulp(cpu::vecmath::softplus, softplus, x, "softplus", 2);
}

TEST_CASE("vecmath: in place and short arrays", "[vecmath]") {
  for (std::int64_t n : {1, 7, 8, 9, 17}) {
    std::vector<float> x(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) x[static_cast<std::size_t>(i)] = 0.37f * static_cast<float>(i) - 2.0f;
    std::vector<float> y = x;
    cpu::vecmath::sigmoid(y.data(), y.data(), n);  // in place
    for (std::int64_t i = 0; i < n; ++i) {
      const double v = x[static_cast<std::size_t>(i)];
      CHECK(y[static_cast<std::size_t>(i)] == Approx(1.0 / (1.0 + std::exp(-v))).epsilon(1e-6));
    }
  }
}

namespace {

// Sums in double of a double-precision term, and the bound the float32
// sums must keep to: float rounding of each term (a few ulp) and of the
// inputs, relative to the sum of the terms' magnitudes.
template <typename Term>
std::pair<double, double> reference_sum(const std::vector<float>& a, const std::vector<float>& b, Term term) {
  double sum = 0.0, magnitude = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double v = term(static_cast<double>(a[i]), static_cast<double>(b[i]));
    sum += v;
    magnitude += std::abs(v);
  }
  return {sum, 1e-6 * magnitude + 1e-30};
}

std::vector<float> uniform_floats(std::size_t n, float lo, float hi, std::uint32_t seed) {
  std::vector<float> v(n);
  std::uint32_t s = seed;
  for (auto& x : v) {
    s = s * 1664525u + 1013904223u;
    x = lo + (hi - lo) * static_cast<float>(s >> 8) / 16777216.0f;
  }
  return v;
}

}  // namespace

TEST_CASE("vecmath: bce_sum matches double-precision terms, tails included", "[vecmath][loss]") {
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{8}, std::size_t{9},
                        std::size_t{1003}}) {
    INFO("n = " << n);
    const auto ni = static_cast<std::int64_t>(n);
    std::vector<float> p = uniform_floats(n, 0.0f, 1.0f, 1), t = uniform_floats(n, 0.0f, 1.0f, 2);
    // The ends of BCE's range: log(0) floored at -100, and subnormal p (log
    // down to -103 before the floor).
    if (n > 3) {
      p[0] = 0.0f;
      p[1] = 1.0f;
      p[2] = 1e-40f;
      p[3] = 1e-30f;
    }
    bool out_of_range = true;
    const auto [bce, bce_tol] = reference_sum(p, t, [](double pv, double tv) {
      const double lp = std::max(std::log(pv), -100.0), lq = std::max(std::log(1.0 - pv), -100.0);
      return -(tv * lp + (1.0 - tv) * lq);
    });
    CHECK(cpu::vecmath::bce_sum(p.data(), t.data(), ni, &out_of_range) == Approx(bce).margin(bce_tol));
    CHECK_FALSE(out_of_range);

  }
}

TEST_CASE("vecmath: bce_sum flags p outside [0, 1] and NaN, in the vector body and in the tail", "[vecmath][loss]") {
  const std::vector<float> t(19, 0.5f);
  for (std::size_t at : {std::size_t{0}, std::size_t{9}, std::size_t{18}}) {  // 18: the tail of 19
    for (float bad : {-0.25f, 1.5f, std::numeric_limits<float>::quiet_NaN()}) {
      INFO("p[" << at << "] = " << bad);
      std::vector<float> p(19, 0.25f);
      p[at] = bad;
      bool out_of_range = false;
      (void)cpu::vecmath::bce_sum(p.data(), t.data(), 19, &out_of_range);
      CHECK(out_of_range);
    }
  }
}
