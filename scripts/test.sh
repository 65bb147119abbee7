#!/usr/bin/env bash
# Sets everything up, builds zengen and runs its tests:
#   scripts/test.sh [--sanitize] [extra cmake configure arguments...]
# BUILD_DIR (default: build, or build-sanitize with --sanitize) is the build
# folder, relative to the repository root. Exits with ctest's status.
#
# --sanitize builds everything with AddressSanitizer and UndefinedBehavior-
# Sanitizer (any report fails its test: -fno-sanitize-recover=undefined),
# without CUDA and the benchmarks (not part of the suite), and runs the
# whole suite under them. scripts/sanitizer-suppressions/ holds the
# suppressions, each for third-party code and with its reason.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

sanitize=0
if [[ "${1:-}" == --sanitize ]]; then
  sanitize=1
  shift
fi

scripts/setup.sh
jobs=$(nproc)
if ((sanitize)); then
  build_dir=${BUILD_DIR:-build-sanitize}
  # -O1: the sanitizers' usual level; it compiles the Eigen-heavy kernels
  # and tests in about half the time of -O3 and keeps reports readable.
  set -- -DZENGEN_SANITIZE=address,undefined -DZENGEN_WITH_CUDA=OFF -DZENGEN_BUILD_BENCHMARKS=OFF \
    "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG" "$@"
  supp="$PWD/scripts/sanitizer-suppressions"
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:check_initialization_order=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:suppressions=$supp/ubsan.supp}
  export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$supp/lsan.supp:print_suppressions=0}
else
  build_dir=${BUILD_DIR:-build}
fi

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$build_dir" -j"$jobs"
# CTest runs tests side by side on few cores; libgomp's spinning waits then
# starve each other (minutes instead of seconds), so wait passively.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
status=0
ctest --test-dir "$build_dir" --output-on-failure -j"$jobs" || status=$?
exit "$status"
