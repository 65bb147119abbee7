// The metrics layer: sample-quality figures computed on feature vectors
// (Fréchet distance, KID, precision/recall) and coverage of known modes and
// classes. The features come from zengen's own feature networks, not
// Inception, so the figures are not comparable with published FIDs.
#pragma once

#include "zengen/metrics/coverage.hpp"
#include "zengen/metrics/feature_statistics.hpp"
#include "zengen/metrics/frechet.hpp"
#include "zengen/metrics/kernel_distance.hpp"
#include "zengen/metrics/precision_recall.hpp"
