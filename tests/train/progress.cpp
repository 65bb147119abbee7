// train::Progress: plain log lines every log_every steps with the rate and
// ETA measured over the window since the last line; terminal redraws with
// a bar; format_duration.
#include <sstream>
#include <string>
#include <vector>

#include "helpers.hpp"

using namespace zengen;

namespace {
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}
}  // namespace

TEST_CASE("progress: durations for people", "[train][progress]") {
  REQUIRE(train::format_duration(0) == "0s");
  REQUIRE(train::format_duration(59.4) == "59s");
  REQUIRE(train::format_duration(185) == "3m05s");
  REQUIRE(train::format_duration(7620) == "2h07m");
  REQUIRE(train::format_duration(-1) == "?");
}

TEST_CASE("progress: plain lines every log_every steps with rate and ETA", "[train][progress]") {
  std::ostringstream out;
  train::Progress progress(out, {.total_steps = 50, .log_every = 10, .label = "gan", .terminal = 0});
  REQUIRE_FALSE(progress.terminal());
  // 10 steps per second, then 5 per second from step 30 on.
  double t = 0;
  for (std::int64_t step = 1; step <= 50; ++step) {
    t += step <= 30 ? 0.1 : 0.2;
    progress.update_at(t, step, step / 25, {{"d", 1.25}, {"g", 0.5 * static_cast<double>(step)}});
  }
  progress.finish();
  const auto lines = lines_of(out.str());
  REQUIRE(lines.size() == 5);  // steps 10, 20, 30, 40, 50
  // step 10: the window opened at the first report (step 1, 0.1 s): 9 steps in 0.9 s
  REQUIRE(lines[0] == "gan  step 10/50  epoch 0  d 1.2500  g 5.0000  10.00 it/s  ETA 4s");
  // step 20: 10 steps in 1 s -> 10 it/s; 30 steps left -> 3 s
  REQUIRE(lines[1] == "gan  step 20/50  epoch 0  d 1.2500  g 10.0000  10.00 it/s  ETA 3s");
  REQUIRE(lines[3] == "gan  step 40/50  epoch 1  d 1.2500  g 20.0000  5.00 it/s  ETA 2s");
  REQUIRE(lines[4] == "gan  step 50/50  epoch 2  d 1.2500  g 25.0000  5.00 it/s  ETA 0s");
  REQUIRE(progress.rate() == Approx(5.0));
}

TEST_CASE("progress: a resumed run measures from its first report", "[train][progress]") {
  std::ostringstream out;
  train::Progress progress(out, {.total_steps = 1000, .log_every = 100, .terminal = 0});
  progress.update_at(100.0, 501, 3, {});  // resumed at step 500: the first report opens the window
  progress.update_at(104.0, 600, 3, {});  // 99 steps in 4 s
  REQUIRE(progress.rate() == Approx(99.0 / 4.0));
  REQUIRE(progress.eta_seconds() == Approx(400.0 / (99.0 / 4.0)));
  REQUIRE(lines_of(out.str()).size() == 1);  // 501 is not a multiple of 100
}

TEST_CASE("progress: a time budget caps the ETA", "[train][progress]") {
  std::ostringstream out;
  train::Progress progress(out, {.total_steps = 100000, .time_budget_seconds = 60.0, .log_every = 10, .terminal = 0});
  progress.update_at(0.0, 1, 0, {});
  progress.update_at(9.0, 10, 0, {});  // 1 step/s: 99,990 s of steps, but 51 s of budget
  REQUIRE(progress.eta_seconds() == Approx(51.0));
  REQUIRE(lines_of(out.str()).back().find("ETA 51s") != std::string::npos);
  progress.update_at(70.0, 20, 0, {});  // past the budget
  REQUIRE(progress.eta_seconds() == 0.0);
}

TEST_CASE("progress: a terminal redraws one line with a bar", "[train][progress]") {
  std::ostringstream out;
  train::Progress progress(out, {.total_steps = 4, .redraw_seconds = 1.0, .bar_width = 4, .terminal = 1});
  progress.update_at(0.0, 1, 0, {{"loss", 2.0}});
  progress.update_at(0.5, 2, 0, {{"loss", 1.0}});  // too soon: not drawn
  progress.message("checkpoint written");
  progress.update_at(3.0, 3, 0, {{"loss", 0.5}});
  progress.update_at(3.1, 4, 0, {{"loss", 0.25}});  // the last step is always drawn, and ends the line
  const std::string text = out.str();
  REQUIRE(text.find("\r[#...]  step 1/4  epoch 0  loss 2.0000") != std::string::npos);
  REQUIRE(text.find("step 2/4") == std::string::npos);
  REQUIRE(text.find("\r\x1b[Kcheckpoint written\n") != std::string::npos);
  REQUIRE(text.find("\r[###.]  step 3/4  epoch 0  loss 0.5000  0.67 it/s  ETA 2s") != std::string::npos);
  REQUIRE(text.find("[####]  step 4/4") != std::string::npos);
  REQUIRE(text.back() == '\n');
}
