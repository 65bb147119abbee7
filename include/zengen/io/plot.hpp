// Line plots of training curves as PNG files, drawn by zengen itself (a
// small rasteriser with anti-aliased lines and a built-in 5x7 bitmap font;
// stb_image_write encodes), written atomically.
//
//   zengen::io::plot_curves("losses.png", {{"D loss", d_losses}, {"G loss", g_losses}},
//                           {.title = "DCGAN on emoji", .x_label = "step"});
#pragma once

#include <string>
#include <vector>

namespace zengen::io {

/// One named curve: y values, at x = 0, 1, 2, ... unless `x` is given (then
/// of the same length). Non-finite points (and, with log_y, points <= 0)
/// are left out and break the line there.
struct Series {
  std::string name;
  std::vector<double> y;
  std::vector<double> x = {};
};

/// Size, title and axis labels of a loss-curve plot.
struct PlotOptions {
  int width = 800, height = 500;  ///< pixels, at least 200 x 150
  std::string title = "";
  std::string x_label = "step";
  std::string y_label = "";
  bool log_y = false;             ///< logarithmic y axis (ticks at powers of 10)
  double line_width = 2.0;        ///< pixels
};

/// Draws the series (colours in order: blue, orange, green, red, purple,
/// brown, pink, grey, olive, cyan, then again) on shared axes with tick
/// labels, light grid lines and a legend, and writes a PNG to `path`.
/// ValueError for no series, mismatched x/y lengths or a too-small size;
/// IOError naming the path when it cannot be written. Text uses a 5x7
/// font with digits, letters, space and . , - + _ : / ( ) % = < > ' *; other
/// characters are drawn as '?'.
void plot_curves(const std::string& path, const std::vector<Series>& series, PlotOptions options = {});

}  // namespace zengen::io
