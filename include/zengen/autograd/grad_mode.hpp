// Whether operations record the graph. NoGradGuard turns recording off for a
// scope on this thread (evaluation, optimizer updates).
#pragma once

namespace zengen::autograd {

/// Whether ops record the graph on this thread (on by default; NoGradGuard turns it off for a scope).
class GradMode {
 public:
  static bool is_enabled();
  static void set_enabled(bool enabled);
};

/// Disables graph recording on this thread until the end of the scope.
class NoGradGuard {
 public:
  NoGradGuard() : previous_(GradMode::is_enabled()) { GradMode::set_enabled(false); }
  ~NoGradGuard() { GradMode::set_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

/// Sets graph recording to `enabled` for a scope (used by backward with
/// create_graph).
class GradModeGuard {
 public:
  explicit GradModeGuard(bool enabled) : previous_(GradMode::is_enabled()) {
    GradMode::set_enabled(enabled);
  }
  ~GradModeGuard() { GradMode::set_enabled(previous_); }
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace zengen

namespace zengen {
using autograd::NoGradGuard;
}
