// Progress lines: the rate is measured over a window of about two seconds
// (or log_every steps in plain mode), so the ETA follows a run that slows
// down or speeds up without jumping at every step.
#include "zengen/train/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>

namespace zengen::train {

namespace {

double wall_seconds() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

std::string number(double v) {
  char buf[32];
  const double a = std::fabs(v);
  if (v != v || std::isinf(v))
    std::snprintf(buf, sizeof buf, "%g", v);
  else if (a != 0.0 && (a < 1e-3 || a >= 1e5))
    std::snprintf(buf, sizeof buf, "%.3e", v);
  else
    std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

}  // namespace

std::string format_duration(double seconds) {
  if (!(seconds >= 0.0) || std::isinf(seconds)) return "?";
  const auto s = static_cast<long long>(std::llround(seconds));
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%llds", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, (s % 3600) / 60);
  return buf;
}

Progress::Progress(std::ostream& out, ProgressOptions options) : out_(out), options_(std::move(options)) {
  if (options_.log_every < 1) options_.log_every = 1;
  if (options_.terminal < 0)
    terminal_ = &out_ == &std::cout && ::isatty(STDOUT_FILENO) != 0;
  else
    terminal_ = options_.terminal > 0;
}

void Progress::update(std::int64_t step, std::int64_t epoch, const Values& values) {
  update_at(wall_seconds(), step, epoch, values);
}

void Progress::update_at(double now, std::int64_t step, std::int64_t epoch, const Values& values) {
  if (!started_) {
    // The first report opens the window: a resumed run measures from where it resumed.
    started_ = true;
    first_report_ = now;
    window_start_ = now;
    window_step_ = step;
  }
  step_ = step;
  last_report_ = now;
  const bool last = options_.total_steps > 0 && step >= options_.total_steps;
  const bool due = terminal_ ? (now - last_draw_ >= options_.redraw_seconds || last)
                             : (step % options_.log_every == 0 || last);
  if (!due) return;
  const double window = now - window_start_;
  const double min_window = terminal_ ? 2.0 : 0.0;
  if (step > window_step_ && window > 0.0 && window >= min_window) {
    rate_ = static_cast<double>(step - window_step_) / window;
    window_start_ = now;
    window_step_ = step;
  }
  last_draw_ = now;
  last_line_ = format(step, epoch, values);
  if (terminal_) {
    out_ << '\r' << last_line_ << "\x1b[K" << std::flush;  // ESC[K: clear what a longer line left
    line_open_ = true;
    if (last) finish();
  } else {
    out_ << last_line_ << '\n' << std::flush;
  }
}

void Progress::message(const std::string& line) {
  if (line_open_) out_ << '\r' << "\x1b[K";
  out_ << line << '\n';
  if (line_open_) out_ << last_line_;
  out_ << std::flush;
}

void Progress::finish() {
  if (line_open_) out_ << '\n' << std::flush;
  line_open_ = false;
}

double Progress::eta_seconds() const {
  double eta = -1.0;
  if (options_.total_steps > 0 && rate_ > 0.0)
    eta = static_cast<double>(std::max<std::int64_t>(options_.total_steps - step_, 0)) / rate_;
  if (options_.time_budget_seconds > 0.0 && started_) {
    const double left = std::max(0.0, options_.time_budget_seconds - (last_report_ - first_report_));
    eta = eta < 0.0 ? left : std::min(eta, left);
  }
  return eta;
}

std::string Progress::format(std::int64_t step, std::int64_t epoch, const Values& values) const {
  std::string line;
  if (!options_.label.empty()) line += options_.label + "  ";
  if (terminal_ && options_.total_steps > 0) {
    const double done = std::clamp(static_cast<double>(step) / static_cast<double>(options_.total_steps), 0.0, 1.0);
    const int filled = static_cast<int>(done * options_.bar_width);
    line += '[';
    line.append(static_cast<std::size_t>(filled), '#');
    line.append(static_cast<std::size_t>(options_.bar_width - filled), '.');
    line += "]  ";
  }
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) about "literal" + std::string.
  line += "step ";
  line += std::to_string(step);
  if (options_.total_steps > 0) {
    line += '/';
    line += std::to_string(options_.total_steps);
  }
  line += "  epoch ";
  line += std::to_string(epoch);
  for (const auto& [name, value] : values) {
    line += "  ";
    line += name;
    line += ' ';
    line += number(value);
  }
  char rate[32];
  std::snprintf(rate, sizeof rate, "  %.2f it/s", rate_);
  line += rate;
  if (const double eta = eta_seconds(); eta >= 0.0) {
    line += "  ETA ";
    line += format_duration(eta);
  }
  return line;
}

}  // namespace zengen::train
