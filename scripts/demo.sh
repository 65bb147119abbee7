#!/usr/bin/env bash
# Sets everything up, builds the demos and runs them: examples/demo.cpp (a
# small network fitted to y = sin(x), its loss printed as it falls), then
# examples/vae_train.cpp (a VAE trained on MNIST for 2 epochs on 20,000
# images, writing sample, reconstruction and interpolation grids and a loss
# plot under out/vae), then examples/dcgan_train.cpp (a DCGAN trained on
# Fashion-MNIST at 32x32 for DCGAN_MINUTES minutes, default 4, writing sample
# grids from fixed noise, a loss plot and a checkpoint under out/dcgan), and
# generate (a grid of new images from that checkpoint).
#   scripts/demo.sh [extra cmake configure arguments...]
# BUILD_DIR (default: build) is the build folder, relative to the repository root.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup.sh
build_dir=${BUILD_DIR:-build}

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$build_dir" -j"$(nproc)" --target zengen_demo vae_train dcgan_train generate

"$build_dir/examples/zengen_demo"
echo
"$build_dir/examples/vae_train" --data data/mnist --epochs 2 --limit 20000 --out out/vae
echo
# Half-width networks (ngf = ndf = 32) take about a quarter of the full
# DCGAN's arithmetic, so a few minutes on 2 cores get to recognisable clothes.
"$build_dir/examples/dcgan_train" --data data/fashion-mnist --minutes "${DCGAN_MINUTES:-4}" --epochs 100 \
  --ngf 32 --ndf 32 --sample-every 200 --checkpoint-every 200 --out out/dcgan
echo
"$build_dir/examples/generate" out/dcgan/checkpoint.safetensors --n 64 --grid --seed 1 --out out/dcgan/generated.png
echo
echo "demo: the images written:"
echo "  VAE (MNIST): $(pwd)/out/vae/samples_epoch02.png, reconstructions_epoch02.png, interpolations.png, loss.png"
echo "  DCGAN (Fashion-MNIST): $(pwd)/out/dcgan/samples_final.png, samples_step*.png, loss.png, generated.png"
