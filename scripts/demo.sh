#!/usr/bin/env bash
# Sets everything up, builds the demos and runs them: examples/demo.cpp (a
# small network fitted to y = sin(x), its loss printed as it falls), then
# examples/vae_train.cpp (a VAE trained on MNIST for 2 epochs on 20,000
# images, writing sample, reconstruction and interpolation grids and a loss
# plot under out/vae).
#   scripts/demo.sh [extra cmake configure arguments...]
# BUILD_DIR (default: build) is the build folder, relative to the repository root.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup.sh
build_dir=${BUILD_DIR:-build}

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$build_dir" -j"$(nproc)" --target zengen_demo vae_train

"$build_dir/examples/zengen_demo"
echo
"$build_dir/examples/vae_train" --data data/mnist --epochs 2 --limit 20000 --out out/vae
echo
echo "demo: the VAE's images (samples, reconstructions, interpolations) and loss plot are in $(pwd)/out/vae"
