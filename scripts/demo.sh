#!/usr/bin/env bash
# Sets everything up, builds the demo (examples/demo.cpp) and runs it: a small
# network fitted to y = sin(x), its loss printed as it falls.
#   scripts/demo.sh [extra cmake configure arguments...]
# BUILD_DIR (default: build) is the build folder, relative to the repository root.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup.sh
build_dir=${BUILD_DIR:-build}

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$build_dir" -j"$(nproc)" --target zengen_demo
exec "$build_dir/examples/zengen_demo"
