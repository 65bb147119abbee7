// Deterministic algorithms: the switch that makes every op give the same
// bits on every run (PyTorch's torch.use_deterministic_algorithms).
#pragma once

namespace zengen {

/// Turns deterministic algorithms on or off for the whole process. On, every
/// op gives the same bits on every run with the same inputs on the same
/// device. The CPU kernels and almost every CUDA kernel always do (fixed
/// reduction orders, no atomics); what the switch changes is the CUDA
/// convolution's weight gradient, which then adds its K splits in a fixed
/// order through a workspace instead of with atomics, and cuDNN, which is
/// then limited to its deterministic algorithms. Off by default (the faster
/// paths), unless ZENGEN_DETERMINISTIC=1 is in the environment.
void set_deterministic(bool on);
/// Whether deterministic algorithms are on.
bool deterministic();

/// Sets the mode for a scope, then puts the previous one back.
class DeterministicGuard {
 public:
  explicit DeterministicGuard(bool on) : previous_(deterministic()) { set_deterministic(on); }
  ~DeterministicGuard() { set_deterministic(previous_); }
  DeterministicGuard(const DeterministicGuard&) = delete;
  DeterministicGuard& operator=(const DeterministicGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace zengen
