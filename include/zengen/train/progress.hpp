// Progress: what a training loop prints while it runs. On a terminal it
// redraws one line in place (a bar, the step, the epoch, the losses, it/s and
// the ETA); when the output is a file or a pipe (CI logs, `| tee`) it writes
// a plain line every `log_every` steps instead, so logs stay readable.
//
//   train::Progress progress(std::cout, {.total_steps = 5000, .label = "dcgan"});
//   for (...) {
//     auto s = gan.train_step(batch.images);
//     progress.update(gan.step(), epoch, {{"d", s.d_loss}, {"g", s.g_loss}});
//   }
//   progress.finish();
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace zengen::train {

/// How Progress reports: the run's length and time budget, how often it logs or redraws, and its label.
struct ProgressOptions {
  std::int64_t total_steps = 0;  ///< the step training ends at; 0: unknown (no bar, no ETA)
  /// > 0: training also stops after this many seconds (from the first
  /// report), so the ETA is at most what is left of it.
  double time_budget_seconds = 0.0;
  std::int64_t log_every = 100;  ///< plain mode: one line every this many steps (and the last step)
  double redraw_seconds = 0.2;   ///< terminal mode: redraw at most this often
  int bar_width = 20;            ///< characters in the terminal bar
  std::string label = "";        ///< printed first ("dcgan"); may be empty
  /// -1: ask isatty() about standard output (for std::cout; other streams
  /// count as plain), 0: plain lines, 1: terminal redraws.
  int terminal = -1;
};

/// "12s", "3m05s", "2h07m": a duration for people to read.
std::string format_duration(double seconds);

/// Reports training progress: a redrawn bar on a terminal, plain log lines otherwise, with it/s and the ETA.
class Progress {
 public:
  using Values = std::vector<std::pair<std::string, double>>;

  Progress(std::ostream& out, ProgressOptions options = {});
  /// Reports that global step `step` (1-based: the number of steps done) of
  /// epoch `epoch` finished with these values. Uses the wall clock.
  void update(std::int64_t step, std::int64_t epoch, const Values& values);
  /// The same at a given time in seconds (any origin): for tests.
  void update_at(double now, std::int64_t step, std::int64_t epoch, const Values& values);
  /// A line of its own (a checkpoint written, a sample grid), not mangled by the bar.
  void message(const std::string& line);
  /// Ends the bar's line (terminal mode); further output starts on a fresh line.
  void finish();

  bool terminal() const { return terminal_; }
  /// Steps per second over the last reporting window (0 before two reports).
  double rate() const { return rate_; }
  /// Seconds left at that rate (or of the time budget, if less), or a
  /// negative number when unknown.
  double eta_seconds() const;
  /// The text of the most recent report (without '\r' or '\n').
  const std::string& last_line() const { return last_line_; }

 private:
  std::string format(std::int64_t step, std::int64_t epoch, const Values& values) const;

  std::ostream& out_;
  ProgressOptions options_;
  bool terminal_ = false;
  bool line_open_ = false;       // a terminal line is drawn and not yet ended
  bool started_ = false;
  double first_report_ = 0.0;    // time of the first report (the budget's start)
  double last_report_ = 0.0;     // time of the latest report
  double window_start_ = 0.0;    // time and step where the current rate window began
  std::int64_t window_step_ = 0;
  double last_draw_ = -1e300;
  double rate_ = 0.0;
  std::int64_t step_ = 0;
  std::string last_line_;
};

}  // namespace zengen::train
