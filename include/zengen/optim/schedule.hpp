// Learning-rate schedules. Each computes the learning rate of every group
// in closed form from the group's base learning rate (its lr when the
// schedule was made) and the number of step() calls t, and sets it on the
// optimizer; constructing a schedule sets the t = 0 value. The closed forms
// are PyTorch's:
//   StepLR             base * gamma^floor(t / step_size)
//   ExponentialLR      base * gamma^t
//   CosineAnnealingLR  eta_min + (base - eta_min) (1 + cos(pi t / T_max)) / 2
//   LinearWarmup       base * (start_factor + (1 - start_factor) min(t, W) / W)
//                      (PyTorch's LinearLR with end_factor 1, total_iters W);
//                      given a schedule to continue with, that schedule's
//                      lr at t - W once t >= W (PyTorch's SequentialLR of the
//                      two with milestone W).
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <vector>

#include "zengen/optim/optimizer.hpp"

namespace zengen::optim {

/// The base of the learning-rate schedules: step() once per epoch or step sets the optimizer's rates.
class LRScheduler {
 public:
  virtual ~LRScheduler() = default;

  /// Advances t by one and sets the optimizer's learning rates.
  void step();
  /// The learning rate this schedule gives the first group at the current t.
  double lr() const { return lr_at(base_lrs_.at(0), t_); }
  /// The same for every group.
  std::vector<double> lrs() const;
  /// The number of step() calls so far.
  std::int64_t last_step() const { return t_; }
  /// Jumps to step t (when resuming training) and sets the learning rates.
  void set_last_step(std::int64_t t);
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  const Optimizer& optimizer() const { return *optimizer_; }

  /// The closed form: the learning rate after t steps from `base`.
  virtual double lr_at(double base, std::int64_t t) const = 0;
  /// A copy of this schedule (the same optimizer, base rates and t).
  virtual std::unique_ptr<LRScheduler> clone() const = 0;

 protected:
  explicit LRScheduler(Optimizer& optimizer);
  /// Sets every group's learning rate for the current t (derived
  /// constructors call it once their parameters are set).
  void apply() const;

 private:
  Optimizer* optimizer_;
  std::vector<double> base_lrs_;
  std::int64_t t_ = 0;
};

/// Multiplies the learning rate by gamma every step_size steps.
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma = 0.1);
  double lr_at(double base, std::int64_t t) const override;
  std::unique_ptr<LRScheduler> clone() const override { return std::make_unique<StepLR>(*this); }

 private:
  std::int64_t step_size_;
  double gamma_;
};

/// Multiplies the learning rate by gamma every step.
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);
  double lr_at(double base, std::int64_t t) const override;
  std::unique_ptr<LRScheduler> clone() const override { return std::make_unique<ExponentialLR>(*this); }

 private:
  double gamma_;
};

/// Half a cosine from the base rate down to eta_min over T_max steps (and
/// back up after, as PyTorch's closed form).
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, std::int64_t T_max, double eta_min = 0.0);
  double lr_at(double base, std::int64_t t) const override;
  std::unique_ptr<LRScheduler> clone() const override { return std::make_unique<CosineAnnealingLR>(*this); }

 private:
  std::int64_t t_max_;
  double eta_min_;
};

/// A linear ramp from start_factor * base to base over warmup_steps steps;
/// then the base rate, or the schedule `then` (counting its own steps from
/// the end of the warmup).
class LinearWarmup : public LRScheduler {
 public:
  LinearWarmup(Optimizer& optimizer, std::int64_t warmup_steps, double start_factor = 1.0 / 3.0);
  /// Warmup, then `then` (any schedule made on the same optimizer, e.g.
  /// LinearWarmup(opt, 100, 0.01, CosineAnnealingLR(opt, 10000))).
  LinearWarmup(Optimizer& optimizer, std::int64_t warmup_steps, double start_factor, const LRScheduler& then);
  LinearWarmup(const LinearWarmup& other);
  double lr_at(double base, std::int64_t t) const override;
  std::unique_ptr<LRScheduler> clone() const override { return std::make_unique<LinearWarmup>(*this); }

 private:
  std::int64_t warmup_steps_;
  double start_factor_;
  std::unique_ptr<LRScheduler> then_;
};

}  // namespace zengen::optim
