#!/usr/bin/env bash
# Sets everything up, builds zengen and runs its tests:
#   scripts/test.sh [extra cmake configure arguments...]
# BUILD_DIR (default: build) is the build folder, relative to the repository
# root. Exits with ctest's status.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup.sh
build_dir=${BUILD_DIR:-build}
jobs=$(nproc)

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$build_dir" -j"$jobs"
# CTest runs tests side by side on few cores; libgomp's spinning waits then
# starve each other (minutes instead of seconds), so wait passively.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
status=0
ctest --test-dir "$build_dir" --output-on-failure -j"$jobs" || status=$?
exit "$status"
