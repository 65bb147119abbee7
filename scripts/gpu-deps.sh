#!/usr/bin/env bash
# Gathers, as .deb files in .gpu-deps/ (git-ignored, about 4 MB), the Debian
# packages zengen's build needs that the GPU machine's image lacks: it has
# CUDA, CMake, ninja, a C++ compiler and Python, but none of Debian's -dev
# packages, and it cannot download. Run this here (Debian bookworm, where
# scripts/setup.sh installs the same packages), then carry .gpu-deps with the
# working tree: scripts/gpu-check.sh unpacks them into its build folder and
# searches them first.
#
#   scripts/gpu-deps.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

packages=(libeigen3-dev nlohmann-json3-dev zlib1g-dev libstb-dev libstb0 catch2 libbenchmark-dev
          libbenchmark1debian libcli11-dev)
rm -rf .gpu-deps
mkdir -p .gpu-deps
# apt-get download writes into the current folder; as root it warns that the
# _apt user cannot write there, which does not matter.
(cd .gpu-deps && apt-get download "${packages[@]}" 2>&1 | grep -v "unsandboxed as root" || true)
count=$(find .gpu-deps -name '*.deb' | wc -l)
if [[ $count -ne ${#packages[@]} ]]; then
  echo "gpu-deps: got $count of ${#packages[@]} packages (${packages[*]})" >&2
  exit 1
fi
du -sh .gpu-deps
