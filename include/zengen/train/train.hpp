// The trainer toolkit: progress lines, metric logs (CSV), the resumable trainer state (data
// position and random state), and output-folder checks. The NaN/Inf policy
// of a training step lives with the optimizers (optim/finite.hpp) and is an
// option of GAN<> and VAE<>.
#pragma once

#include "zengen/train/metric_log.hpp"
#include "zengen/train/output_dir.hpp"
#include "zengen/train/progress.hpp"
#include "zengen/train/trainer_state.hpp"
