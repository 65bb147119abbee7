#include "zengen/optim/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace zengen::optim {

// ---- base ----

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(&optimizer) {
  for (std::size_t g = 0; g < optimizer.num_groups(); ++g) base_lrs_.push_back(optimizer.group_lr(g));
}

void LRScheduler::apply() const {
  for (std::size_t g = 0; g < base_lrs_.size(); ++g) optimizer_->set_group_lr(g, lr_at(base_lrs_[g], t_));
}

void LRScheduler::step() {
  ++t_;
  apply();
}

void LRScheduler::set_last_step(std::int64_t t) {
  ZENGEN_CHECK(t >= 0, ValueError, "LRScheduler::set_last_step: step must be >= 0, got ", t);
  t_ = t;
  apply();
}

std::vector<double> LRScheduler::lrs() const {
  std::vector<double> out;
  for (double base : base_lrs_) out.push_back(lr_at(base, t_));
  return out;
}

// ---- schedules ----

StepLR::StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  ZENGEN_CHECK(step_size > 0, ValueError, "StepLR: step_size must be > 0, got ", step_size);
  ZENGEN_CHECK(gamma >= 0.0 && std::isfinite(gamma), ValueError, "StepLR: gamma must be finite and >= 0, got ", gamma);
  apply();
}

double StepLR::lr_at(double base, std::int64_t t) const {
  return base * std::pow(gamma_, static_cast<double>(t / step_size_));
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma) : LRScheduler(optimizer), gamma_(gamma) {
  ZENGEN_CHECK(gamma >= 0.0 && std::isfinite(gamma), ValueError, "ExponentialLR: gamma must be finite and >= 0, got ",
               gamma);
  apply();
}

double ExponentialLR::lr_at(double base, std::int64_t t) const { return base * std::pow(gamma_, static_cast<double>(t)); }

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, std::int64_t T_max, double eta_min)
    : LRScheduler(optimizer), t_max_(T_max), eta_min_(eta_min) {
  ZENGEN_CHECK(T_max > 0, ValueError, "CosineAnnealingLR: T_max must be > 0, got ", T_max);
  ZENGEN_CHECK(eta_min >= 0.0, ValueError, "CosineAnnealingLR: eta_min must be >= 0, got ", eta_min);
  apply();
}

double CosineAnnealingLR::lr_at(double base, std::int64_t t) const {
  return eta_min_ +
         (base - eta_min_) * (1.0 + std::cos(std::numbers::pi * static_cast<double>(t) / static_cast<double>(t_max_))) /
             2.0;
}

namespace {
void check_warmup(std::int64_t warmup_steps, double start_factor) {
  ZENGEN_CHECK(warmup_steps > 0, ValueError, "LinearWarmup: warmup_steps must be > 0, got ", warmup_steps);
  ZENGEN_CHECK(start_factor > 0.0 && start_factor <= 1.0, ValueError,
               "LinearWarmup: start_factor must be in (0, 1], got ", start_factor);
}
}  // namespace

LinearWarmup::LinearWarmup(Optimizer& optimizer, std::int64_t warmup_steps, double start_factor)
    : LRScheduler(optimizer), warmup_steps_(warmup_steps), start_factor_(start_factor) {
  check_warmup(warmup_steps, start_factor);
  apply();
}

LinearWarmup::LinearWarmup(Optimizer& optimizer, std::int64_t warmup_steps, double start_factor,
                           const LRScheduler& then)
    : LRScheduler(optimizer), warmup_steps_(warmup_steps), start_factor_(start_factor), then_(then.clone()) {
  check_warmup(warmup_steps, start_factor);
  ZENGEN_CHECK(&then.optimizer() == &optimizer, ValueError,
               "LinearWarmup: the schedule to continue with was made on another optimizer");
  apply();
}

LinearWarmup::LinearWarmup(const LinearWarmup& other)
    : LRScheduler(other),
      warmup_steps_(other.warmup_steps_),
      start_factor_(other.start_factor_),
      then_(other.then_ ? other.then_->clone() : nullptr) {}

double LinearWarmup::lr_at(double base, std::int64_t t) const {
  if (t >= warmup_steps_ && then_) return then_->lr_at(base, t - warmup_steps_);
  const double progress = static_cast<double>(std::min(t, warmup_steps_)) / static_cast<double>(warmup_steps_);
  return base * (start_factor_ + (1.0 - start_factor_) * progress);
}

}  // namespace zengen::optim
