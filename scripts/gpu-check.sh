#!/usr/bin/env bash
# The GPU check, for a machine with an NVIDIA GPU (Hopper, sm_90, by default):
# configures with CUDA, builds the CUDA test program (and the CUDA kernel
# benchmarks once they exist), runs them, and writes a compact report.
#
#   scripts/gpu-check.sh [report-file]     (default: build-gpu/gpu-report.txt)
#
# BUILD_DIR (default build-gpu) and CUDA_ARCHS (default "90-real;90-virtual")
# can be set; when OUT names a folder (the device tool's), the report and the
# logs are copied there. Exits non-zero when the build or a test fails; a machine with no
# GPU makes the CUDA tests report "skipped" (exit 77), which counts as a
# failure here: this script exists to show what ran on a GPU.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build_dir=${BUILD_DIR:-build-gpu}
report=${1:-$build_dir/gpu-report.txt}
archs=${CUDA_ARCHS:-90-real;90-virtual}
mkdir -p "$build_dir" "$(dirname "$report")"

{
  echo "zengen GPU check, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not available"
  nvcc --version 2>/dev/null | tail -n 1 || true
} | tee "$report"

start=$(date +%s)
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DZENGEN_WITH_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES="$archs" -DZENGEN_BUILD_EXAMPLES=OFF >"$build_dir/configure.log" 2>&1 ||
  { tail -n 30 "$build_dir/configure.log" | tee -a "$report"; exit 1; }
targets=(zengen_cuda_tests)
# Every bench_cuda_* target the configured build knows (from a clean tree no
# program exists yet to be found on disk).
while read -r target; do targets+=("$target"); done < <(
  cmake --build "$build_dir" --target help 2>/dev/null | grep -o 'bench_cuda_[A-Za-z0-9_]*' | sort -u)
cmake --build "$build_dir" -j"$(nproc)" --target "${targets[@]}" >"$build_dir/build.log" 2>&1 ||
  { tail -n 40 "$build_dir/build.log" | tee -a "$report"; exit 1; }
echo "build: $(($(date +%s) - start)) s" | tee -a "$report"

status=0
echo "== CUDA tests" | tee -a "$report"
"$build_dir/tests/zengen_cuda_tests" >"$build_dir/cuda-tests.log" 2>&1 || status=$?
tail -n 20 "$build_dir/cuda-tests.log" | tee -a "$report"
if grep -q "FAILED" "$build_dir/cuda-tests.log"; then  # the first failures with their context
  echo "-- failures (first 120 lines)" | tee -a "$report"
  grep -B 4 -A 12 "FAILED" "$build_dir/cuda-tests.log" | head -n 120 | tee -a "$report"
fi
if [[ $status -eq 77 ]]; then
  echo "no GPU found: nothing ran on a device" | tee -a "$report"
fi

for bench in "$build_dir"/benchmarks/bench_cuda_*; do
  [[ -x "$bench" ]] || continue
  echo "== $(basename "$bench")" | tee -a "$report"
  "$bench" --benchmark_min_time=0.2 --benchmark_format=console 2>&1 | tail -n 40 | tee -a "$report" || status=1
done
echo "total: $(($(date +%s) - start)) s, status $status" | tee -a "$report"
# On a lent machine whose results come back through $OUT, keep the logs too.
if [[ -n "${OUT:-}" && -d "${OUT:-}" ]]; then
  cp "$report" "$build_dir"/*.log "$OUT"/ 2>/dev/null || true
fi
exit "$status"
