// plot_curves: a small rasteriser. White RGB canvas; axes, grid lines and
// tick labels from "nice" steps (1, 2, 5 x 10^k; powers of 10 on a log
// axis); each series drawn as anti-aliased thick lines (coverage from the
// distance of each pixel centre to the segment, max over a series' segments,
// then blended once, so joints do not darken); text in a 5x7 bitmap font.
#include "zengen/io/plot.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>

#include "io/png.hpp"
#include "zengen/core/error.hpp"

namespace zengen::io {

namespace {

// ---- the font: 7 rows of 5 bits (bit 4 is the leftmost column) ----
struct Glyph {
  char c;
  std::uint8_t rows[7];
};
// clang-format off
constexpr Glyph kFont[] = {
  {'0', {0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110}},
  {'1', {0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110}},
  {'2', {0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111}},
  {'3', {0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110}},
  {'4', {0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010}},
  {'5', {0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110}},
  {'6', {0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110}},
  {'7', {0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000}},
  {'8', {0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110}},
  {'9', {0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100}},
  {'A', {0b01110, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001}},
  {'B', {0b11110, 0b10001, 0b10001, 0b11110, 0b10001, 0b10001, 0b11110}},
  {'C', {0b01110, 0b10001, 0b10000, 0b10000, 0b10000, 0b10001, 0b01110}},
  {'D', {0b11100, 0b10010, 0b10001, 0b10001, 0b10001, 0b10010, 0b11100}},
  {'E', {0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b11111}},
  {'F', {0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b10000}},
  {'G', {0b01110, 0b10001, 0b10000, 0b10111, 0b10001, 0b10001, 0b01111}},
  {'H', {0b10001, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001}},
  {'I', {0b01110, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110}},
  {'J', {0b00111, 0b00010, 0b00010, 0b00010, 0b00010, 0b10010, 0b01100}},
  {'K', {0b10001, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010, 0b10001}},
  {'L', {0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b11111}},
  {'M', {0b10001, 0b11011, 0b10101, 0b10101, 0b10001, 0b10001, 0b10001}},
  {'N', {0b10001, 0b10001, 0b11001, 0b10101, 0b10011, 0b10001, 0b10001}},
  {'O', {0b01110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110}},
  {'P', {0b11110, 0b10001, 0b10001, 0b11110, 0b10000, 0b10000, 0b10000}},
  {'Q', {0b01110, 0b10001, 0b10001, 0b10001, 0b10101, 0b10010, 0b01101}},
  {'R', {0b11110, 0b10001, 0b10001, 0b11110, 0b10100, 0b10010, 0b10001}},
  {'S', {0b01111, 0b10000, 0b10000, 0b01110, 0b00001, 0b00001, 0b11110}},
  {'T', {0b11111, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100}},
  {'U', {0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110}},
  {'V', {0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100}},
  {'W', {0b10001, 0b10001, 0b10001, 0b10101, 0b10101, 0b10101, 0b01010}},
  {'X', {0b10001, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001, 0b10001}},
  {'Y', {0b10001, 0b10001, 0b10001, 0b01010, 0b00100, 0b00100, 0b00100}},
  {'Z', {0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b11111}},
  {'a', {0b00000, 0b00000, 0b01110, 0b00001, 0b01111, 0b10001, 0b01111}},
  {'b', {0b10000, 0b10000, 0b10110, 0b11001, 0b10001, 0b10001, 0b11110}},
  {'c', {0b00000, 0b00000, 0b01110, 0b10000, 0b10000, 0b10001, 0b01110}},
  {'d', {0b00001, 0b00001, 0b01101, 0b10011, 0b10001, 0b10001, 0b01111}},
  {'e', {0b00000, 0b00000, 0b01110, 0b10001, 0b11111, 0b10000, 0b01110}},
  {'f', {0b00110, 0b01001, 0b01000, 0b11100, 0b01000, 0b01000, 0b01000}},
  {'g', {0b00000, 0b01111, 0b10001, 0b10001, 0b01111, 0b00001, 0b01110}},
  {'h', {0b10000, 0b10000, 0b10110, 0b11001, 0b10001, 0b10001, 0b10001}},
  {'i', {0b00100, 0b00000, 0b01100, 0b00100, 0b00100, 0b00100, 0b01110}},
  {'j', {0b00010, 0b00000, 0b00110, 0b00010, 0b00010, 0b10010, 0b01100}},
  {'k', {0b10000, 0b10000, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010}},
  {'l', {0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110}},
  {'m', {0b00000, 0b00000, 0b11010, 0b10101, 0b10101, 0b10001, 0b10001}},
  {'n', {0b00000, 0b00000, 0b10110, 0b11001, 0b10001, 0b10001, 0b10001}},
  {'o', {0b00000, 0b00000, 0b01110, 0b10001, 0b10001, 0b10001, 0b01110}},
  {'p', {0b00000, 0b00000, 0b11110, 0b10001, 0b11110, 0b10000, 0b10000}},
  {'q', {0b00000, 0b00000, 0b01101, 0b10011, 0b01111, 0b00001, 0b00001}},
  {'r', {0b00000, 0b00000, 0b10110, 0b11001, 0b10000, 0b10000, 0b10000}},
  {'s', {0b00000, 0b00000, 0b01110, 0b10000, 0b01110, 0b00001, 0b11110}},
  {'t', {0b01000, 0b01000, 0b11100, 0b01000, 0b01000, 0b01001, 0b00110}},
  {'u', {0b00000, 0b00000, 0b10001, 0b10001, 0b10001, 0b10011, 0b01101}},
  {'v', {0b00000, 0b00000, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100}},
  {'w', {0b00000, 0b00000, 0b10001, 0b10001, 0b10101, 0b10101, 0b01010}},
  {'x', {0b00000, 0b00000, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001}},
  {'y', {0b00000, 0b00000, 0b10001, 0b10001, 0b01111, 0b00001, 0b01110}},
  {'z', {0b00000, 0b00000, 0b11111, 0b00010, 0b00100, 0b01000, 0b11111}},
  {' ', {0, 0, 0, 0, 0, 0, 0}},
  {'.', {0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b01100}},
  {',', {0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b00100, 0b01000}},
  {'-', {0b00000, 0b00000, 0b00000, 0b11111, 0b00000, 0b00000, 0b00000}},
  {'+', {0b00000, 0b00100, 0b00100, 0b11111, 0b00100, 0b00100, 0b00000}},
  {'_', {0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b11111}},
  {':', {0b00000, 0b01100, 0b01100, 0b00000, 0b01100, 0b01100, 0b00000}},
  {'/', {0b00000, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b00000}},
  {'(', {0b00010, 0b00100, 0b01000, 0b01000, 0b01000, 0b00100, 0b00010}},
  {')', {0b01000, 0b00100, 0b00010, 0b00010, 0b00010, 0b00100, 0b01000}},
  {'%', {0b11000, 0b11001, 0b00010, 0b00100, 0b01000, 0b10011, 0b00011}},
  {'=', {0b00000, 0b00000, 0b11111, 0b00000, 0b11111, 0b00000, 0b00000}},
  {'<', {0b00010, 0b00100, 0b01000, 0b10000, 0b01000, 0b00100, 0b00010}},
  {'>', {0b01000, 0b00100, 0b00010, 0b00001, 0b00010, 0b00100, 0b01000}},
  {'\'', {0b01100, 0b00100, 0b01000, 0b00000, 0b00000, 0b00000, 0b00000}},
  {'*', {0b00000, 0b00100, 0b10101, 0b01110, 0b10101, 0b00100, 0b00000}},
  {'?', {0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b00000, 0b00100}},
};
// clang-format on

const Glyph& glyph(char c) {
  static const auto table = [] {
    std::array<const Glyph*, 128> t{};
    for (const auto& g : kFont) t[static_cast<unsigned char>(g.c)] = &g;
    return t;
  }();
  const auto u = static_cast<unsigned char>(c);
  const Glyph* g = u < 128 ? table[u] : nullptr;
  return g ? *g : *table['?'];
}

struct Rgb {
  std::uint8_t r, g, b;
};
constexpr Rgb kPalette[] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},  {148, 103, 189},
                            {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};
constexpr Rgb kBlack{0, 0, 0}, kAxis{70, 70, 70}, kGrid{228, 228, 228}, kText{30, 30, 30};

class Canvas {
 public:
  Canvas(int w, int h) : w_(w), h_(h), px_(static_cast<std::size_t>(w) * h * 3, 255) {}
  int width() const { return w_; }
  int height() const { return h_; }
  const std::uint8_t* data() const { return px_.data(); }

  void blend(int x, int y, Rgb c, float a) {
    if (x < 0 || y < 0 || x >= w_ || y >= h_ || a <= 0) return;
    a = std::min(a, 1.0f);
    std::uint8_t* p = &px_[(static_cast<std::size_t>(y) * w_ + x) * 3];
    p[0] = static_cast<std::uint8_t>(std::lround(p[0] * (1 - a) + c.r * a));
    p[1] = static_cast<std::uint8_t>(std::lround(p[1] * (1 - a) + c.g * a));
    p[2] = static_cast<std::uint8_t>(std::lround(p[2] * (1 - a) + c.b * a));
  }
  void fill(int x0, int y0, int x1, int y1, Rgb c) {  // inclusive
    for (int y = std::max(0, y0); y <= std::min(h_ - 1, y1); ++y)
      for (int x = std::max(0, x0); x <= std::min(w_ - 1, x1); ++x) blend(x, y, c, 1);
  }

  // Text at scale s with its top-left at (x, y); vertical text reads
  // bottom to top, (x, y) then being its bottom-left.
  void text(const std::string& s, int x, int y, int scale, Rgb c, bool vertical = false) {
    for (std::size_t i = 0; i < s.size(); ++i) {
      const Glyph& g = glyph(s[i]);
      for (int gy = 0; gy < 7; ++gy)
        for (int gx = 0; gx < 5; ++gx) {
          if (!(g.rows[gy] >> (4 - gx) & 1)) continue;
          const int cx = static_cast<int>(i) * 6 + gx;  // along the text
          if (vertical)
            fill(x + gy * scale, y - (cx + 1) * scale + 1, x + gy * scale + scale - 1, y - cx * scale, c);
          else
            fill(x + cx * scale, y + gy * scale, x + cx * scale + scale - 1, y + gy * scale + scale - 1, c);
        }
    }
  }

 private:
  int w_, h_;
  std::vector<std::uint8_t> px_;
};

int text_width(const std::string& s, int scale) { return s.empty() ? 0 : (static_cast<int>(s.size()) * 6 - 1) * scale; }

// Coverage of one series, drawn segment by segment (max, not sum).
class Coverage {
 public:
  Coverage(int w, int h, int clip_x0, int clip_y0, int clip_x1, int clip_y1)
      : w_(w), a_(static_cast<std::size_t>(w) * h, 0.0f), cx0_(clip_x0), cy0_(clip_y0), cx1_(clip_x1), cy1_(clip_y1) {}

  void segment(double x0, double y0, double x1, double y1, double half_width) {
    const double r = half_width + 1;
    const int bx0 = std::max(cx0_, static_cast<int>(std::floor(std::min(x0, x1) - r)));
    const int bx1 = std::min(cx1_, static_cast<int>(std::ceil(std::max(x0, x1) + r)));
    const int by0 = std::max(cy0_, static_cast<int>(std::floor(std::min(y0, y1) - r)));
    const int by1 = std::min(cy1_, static_cast<int>(std::ceil(std::max(y0, y1) + r)));
    const double dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
    for (int y = by0; y <= by1; ++y)
      for (int x = bx0; x <= bx1; ++x) {
        const double px = x + 0.5 - x0, py = y + 0.5 - y0;
        const double t = len2 > 0 ? std::clamp((px * dx + py * dy) / len2, 0.0, 1.0) : 0.0;
        const double d = std::hypot(px - t * dx, py - t * dy);
        const auto cov = static_cast<float>(std::clamp(half_width + 0.5 - d, 0.0, 1.0));
        float& a = a_[static_cast<std::size_t>(y) * w_ + x];
        a = std::max(a, cov);
      }
  }
  void paint(Canvas& canvas, Rgb c) const {
    for (int y = cy0_; y <= cy1_; ++y)
      for (int x = cx0_; x <= cx1_; ++x) canvas.blend(x, y, c, a_[static_cast<std::size_t>(y) * w_ + x]);
  }

 private:
  int w_;
  std::vector<float> a_;
  int cx0_, cy0_, cx1_, cy1_;
};

struct Tick {
  double value;  // in axis units (log10 of the data on a log axis)
  std::string label;
};

double nice_step(double span, int target) {
  const double raw = span / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

std::string format_value(double v, double step) {
  char buf[32];
  if (std::abs(v) < step * 1e-6) v = 0;
  const double a = std::abs(v);
  if (v != 0 && (a >= 1e6 || a < 1e-4 || step < 1e-4)) {
    std::snprintf(buf, sizeof buf, "%.2g", v);
  } else {
    const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  }
  return buf;
}

std::vector<Tick> linear_ticks(double lo, double hi, int target, bool log_labels) {
  const double step = nice_step(hi - lo, target);
  std::vector<Tick> ticks;
  for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k += 1) {
    const double v = k * step;
    if (!log_labels) {
      ticks.push_back({v, format_value(v, step)});
    } else {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.3g", std::pow(10.0, v));
      ticks.push_back({v, buf});
    }
  }
  return ticks;
}

std::vector<Tick> log_ticks(double lo, double hi) {
  std::vector<Tick> ticks;
  const int k0 = static_cast<int>(std::ceil(lo - 1e-9)), k1 = static_cast<int>(std::floor(hi + 1e-9));
  if (k1 - k0 < 1) return linear_ticks(lo, hi, 4, true);  // less than a decade: in-between values
  const int every = std::max(1, (k1 - k0 + 7) / 8);
  for (int k = k0; k <= k1; ++k) {
    if ((k - k0) % every) continue;
    char buf[32];
    if (k >= -3 && k <= 4)
      std::snprintf(buf, sizeof buf, "%g", std::pow(10.0, k));
    else
      std::snprintf(buf, sizeof buf, "1e%d", k);
    ticks.push_back({static_cast<double>(k), buf});
  }
  return ticks;
}

// ---- plot_curves, step by step ----

void check_arguments(const char* op, const std::vector<Series>& series, const PlotOptions& options) {
  ZENGEN_CHECK(!series.empty(), ValueError, op, ": no series to plot");
  ZENGEN_CHECK(options.width >= 200 && options.height >= 150 && options.width <= 16384 && options.height <= 16384,
               ValueError, op, ": size ", options.width, " x ", options.height,
               " out of range (200 x 150 to 16384 x 16384)");
  ZENGEN_CHECK(options.line_width > 0 && options.line_width <= 50, ValueError, op,
               ": line_width must be in (0, 50], got ", options.line_width);
  for (const auto& s : series)
    ZENGEN_CHECK(s.x.empty() || s.x.size() == s.y.size(), ValueError, op, ": series '", s.name, "' has ", s.x.size(),
                 " x values but ", s.y.size(), " y values");
}

// Point i of a series in axis units (log10 of y on a log axis); false when
// it cannot be drawn (not finite, or not positive on a log axis).
bool axis_point(const Series& s, std::size_t i, bool log_y, double& x, double& y) {
  x = s.x.empty() ? static_cast<double>(i) : s.x[i];
  y = s.y[i];
  if (log_y) {
    if (!(y > 0)) return false;
    y = std::log10(y);
  }
  return std::isfinite(x) && std::isfinite(y);
}

// The plot's geometry: the axes' ranges (axis units), the text scale, the
// plot area's edges in pixels, and the y ticks (their labels size the left
// margin).
struct Frame {
  double xlo, xhi, ylo, yhi;
  int scale, ch, gap;  // text scale, character height, spacing
  int left, right, top, bottom;
  std::vector<Tick> yticks;

  double sx(double x) const { return left + (x - xlo) / (xhi - xlo) * (right - left); }
  double sy(double y) const { return bottom - (y - ylo) / (yhi - ylo) * (bottom - top); }
};

// The ranges the drawable points span, widened where they are empty or
// flat, with 5% room above and below.
void fit_ranges(Frame& f, const std::vector<Series>& series, bool log_y) {
  f.xlo = std::numeric_limits<double>::infinity(), f.xhi = -f.xlo, f.ylo = f.xlo, f.yhi = -f.xlo;
  for (const auto& s : series)
    for (std::size_t i = 0; i < s.y.size(); ++i) {
      double x, y;
      if (!axis_point(s, i, log_y, x, y)) continue;
      f.xlo = std::min(f.xlo, x), f.xhi = std::max(f.xhi, x), f.ylo = std::min(f.ylo, y), f.yhi = std::max(f.yhi, y);
    }
  if (!(f.xlo <= f.xhi)) f.xlo = 0, f.xhi = 1, f.ylo = 0, f.yhi = 1;  // nothing drawable: empty axes
  if (f.xhi - f.xlo < 1e-12 * std::max(1.0, std::abs(f.xlo))) f.xlo -= 0.5, f.xhi += 0.5;
  if (f.yhi - f.ylo < 1e-12 * std::max(1.0, std::abs(f.ylo))) {
    const double d = log_y ? 0.5 : std::max(0.5, std::abs(f.ylo) * 0.1);
    f.ylo -= d, f.yhi += d;
  }
  const double ypad = (f.yhi - f.ylo) * 0.05;
  f.ylo -= ypad, f.yhi += ypad;
}

Frame layout(const char* op, const std::vector<Series>& series, const PlotOptions& options) {
  Frame f{};
  fit_ranges(f, series, options.log_y);
  f.scale = options.height >= 400 && options.width >= 500 ? 2 : 1;
  f.ch = 7 * f.scale, f.gap = 4 * f.scale;
  f.yticks = options.log_y ? log_ticks(f.ylo, f.yhi) : linear_ticks(f.ylo, f.yhi, 6, false);
  int ylabel_w = 0;
  for (const auto& t : f.yticks) ylabel_w = std::max(ylabel_w, text_width(t.label, f.scale));
  f.left = f.gap + (options.y_label.empty() ? 0 : f.ch + 2 * f.gap) + ylabel_w + f.gap + 4;
  f.right = options.width - 1 - 6 * f.scale - 10;
  f.top = options.title.empty() ? 3 * f.gap : f.ch + 4 * f.gap;
  f.bottom = options.height - 1 - (f.gap + 4 + f.ch + f.gap + (options.x_label.empty() ? 0 : f.ch + 2 * f.gap));
  ZENGEN_CHECK(f.right - f.left >= 50 && f.bottom - f.top >= 50, ValueError, op, ": ", options.width, " x ",
               options.height, " leaves no room for the plot");
  return f;
}

// Grid lines, ticks and their labels.
void draw_grid(Canvas& canvas, const Frame& f, const PlotOptions& options) {
  const std::vector<Tick> xticks = linear_ticks(f.xlo, f.xhi, std::max(2, (f.right - f.left) / (70 * f.scale)), false);
  for (const auto& t : f.yticks) {
    const int y = static_cast<int>(std::lround(f.sy(t.value)));
    canvas.fill(f.left + 1, y, f.right - 1, y, kGrid);
    canvas.fill(f.left - 4, y, f.left - 1, y, kAxis);
    canvas.text(t.label, f.left - 6 - text_width(t.label, f.scale), y - f.ch / 2, f.scale, kText);
  }
  for (const auto& t : xticks) {
    const int x = static_cast<int>(std::lround(f.sx(t.value)));
    canvas.fill(x, f.top + 1, x, f.bottom - 1, kGrid);
    canvas.fill(x, f.bottom + 1, x, f.bottom + 4, kAxis);
    const int w = text_width(t.label, f.scale);
    const int tx = std::clamp(x - w / 2, 0, options.width - w);
    canvas.text(t.label, tx, f.bottom + 4 + f.gap, f.scale, kText);
  }
}

// The curves, clipped to the plot area: a series' segments between
// drawable neighbours, a dot for an isolated point.
void draw_curves(Canvas& canvas, const Frame& f, const std::vector<Series>& series, const PlotOptions& options) {
  for (std::size_t k = 0; k < series.size(); ++k) {
    const Series& s = series[k];
    Coverage cov(options.width, options.height, f.left + 1, f.top + 1, f.right - 1, f.bottom - 1);
    bool have_prev = false;
    double px = 0, py = 0;
    for (std::size_t i = 0; i < s.y.size(); ++i) {
      double x, y;
      if (!axis_point(s, i, options.log_y, x, y)) {
        have_prev = false;
        continue;
      }
      const double cx = f.sx(x), cy = f.sy(y);
      const bool next_ok = [&] {
        double nx, ny;
        return i + 1 < s.y.size() && axis_point(s, i + 1, options.log_y, nx, ny);
      }();
      if (have_prev)
        cov.segment(px, py, cx, cy, options.line_width / 2);
      else if (!next_ok)
        cov.segment(cx, cy, cx, cy, options.line_width / 2 + 0.5);  // an isolated point: a dot
      px = cx, py = cy, have_prev = true;
    }
    cov.paint(canvas, kPalette[k % std::size(kPalette)]);
  }
}

// The frame, title and axis labels.
void draw_frame(Canvas& canvas, const Frame& f, const PlotOptions& options) {
  canvas.fill(f.left, f.top, f.right, f.top, kAxis);
  canvas.fill(f.left, f.bottom, f.right, f.bottom, kAxis);
  canvas.fill(f.left, f.top, f.left, f.bottom, kAxis);
  canvas.fill(f.right, f.top, f.right, f.bottom, kAxis);
  if (!options.title.empty())
    canvas.text(options.title, (f.left + f.right - text_width(options.title, f.scale)) / 2, 2 * f.gap, f.scale,
                kBlack);
  if (!options.x_label.empty())
    canvas.text(options.x_label, (f.left + f.right - text_width(options.x_label, f.scale)) / 2,
                f.bottom + 4 + f.gap + f.ch + 2 * f.gap, f.scale, kText);
  if (!options.y_label.empty())
    canvas.text(options.y_label, f.gap, (f.top + f.bottom + text_width(options.y_label, f.scale)) / 2, f.scale, kText,
                true);
}

// The legend, top right inside the plot.
void draw_legend(Canvas& canvas, const Frame& f, const std::vector<Series>& series, const PlotOptions& options) {
  const int scale = f.scale, ch = f.ch;
  int name_w = 0;
  for (const auto& s : series) name_w = std::max(name_w, text_width(s.name, scale));
  const int sample = 12 * scale, row = ch + 3 * scale, pad = 3 * scale;
  const int lw = pad + sample + pad + name_w + pad, lh = pad + static_cast<int>(series.size()) * row - 3 * scale + pad;
  const int lx1 = f.right - 2 * pad, lx0 = lx1 - lw, ly0 = f.top + 2 * pad, ly1 = ly0 + lh;
  canvas.fill(lx0, ly0, lx1, ly1, kAxis);
  canvas.fill(lx0 + 1, ly0 + 1, lx1 - 1, ly1 - 1, {255, 255, 255});
  for (std::size_t k = 0; k < series.size(); ++k) {
    const int y = ly0 + pad + static_cast<int>(k) * row;
    const Rgb c = kPalette[k % std::size(kPalette)];
    const int half = std::max(1, static_cast<int>(std::lround(options.line_width / 2)));
    canvas.fill(lx0 + pad, y + ch / 2 - half + 1, lx0 + pad + sample, y + ch / 2 + half - 1 + (half == 1), c);
    canvas.text(series[k].name, lx0 + pad + sample + pad, y, scale, kText);
  }
}

}  // namespace

void plot_curves(const std::string& path, const std::vector<Series>& series, PlotOptions options) {
  constexpr const char* op = "plot_curves";
  check_arguments(op, series, options);
  const Frame frame = layout(op, series, options);
  Canvas canvas(options.width, options.height);
  draw_grid(canvas, frame, options);
  draw_curves(canvas, frame, series, options);
  draw_frame(canvas, frame, options);
  draw_legend(canvas, frame, series, options);
  detail::write_png(path, op, options.width, options.height, 3, canvas.data());
}

}  // namespace zengen::io
