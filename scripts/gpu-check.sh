#!/usr/bin/env bash
# The GPU check, for a machine with an NVIDIA GPU (Hopper, sm_90, by default):
# configures with CUDA, builds the CUDA test program and the CUDA kernel
# benchmarks, runs them, and writes a compact report. When Fashion-MNIST is
# at data/fashion-mnist (DCGAN_DATA), it also times dcgan_train on the GPU
# and on the CPU (at most 30 s and 20 s of training).
#
#   scripts/gpu-check.sh [report-file]   (default: gpu-report.txt in $OUT, or in build-gpu/logs)
#
# The lent GPU machine's image has CUDA, CMake, ninja, a compiler and Python
# but no Debian -dev packages: scripts/gpu-deps.sh gathers them here into
# .gpu-deps/, which travels with the tree (carry it, and data/fashion-mnist):
#   run: scripts/gpu-check.sh   carry: [".gpu-deps", "data/fashion-mnist"]
# They are unpacked into the build folder and searched before the system's;
# cuDNN comes from the toolkit, CUDNN_ROOT, or PyTorch's nvidia-cudnn wheel.
#
# For a second run after a fix: TESTS="<Catch2 test spec>" runs only those
# tests (e.g. TESTS='[conv]'), and QUICK=1 skips the benchmarks and the
# trainer (a warm machine keeps the build folder, so only changed files
# compile again).
#
# BUILD_DIR (default build-gpu) and CUDA_ARCHS (default "90-real;90-virtual")
# can be set. When OUT names a folder (the device tool's), the report and the
# logs are written there as the steps run, so whatever finished comes back
# even if the run is cut short (at most 7 files: the tool returns 8).
# BUDGET (default 470 s, from the start) bounds the whole run: each step's
# timeout is what is left, and the optional steps (reruns of failed test
# cases, benchmarks, trainer) are skipped when too little is left.
# Exits 0 when everything passed, 1 when the build, a test, a benchmark or
# the trainer failed, and 77 on a machine with no GPU (the tests report
# "skipped"; the benchmarks and the trainer do not run): this script exists
# to show what ran on a GPU.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

script_start=$(date +%s)
budget=${BUDGET:-470}
# Seconds left of the budget, and a step's timeout: at most $1, at least 1.
left() { echo $((script_start + budget - $(date +%s))); }
limit() {
  local l
  l=$(left)
  if ((l > $1)); then l=$1; fi
  if ((l < 1)); then l=1; fi
  echo "$l"
}

build_dir=${BUILD_DIR:-build-gpu}
if [[ -n "${OUT:-}" && -d "${OUT:-}" ]]; then log_dir=$OUT; else log_dir=$build_dir/logs; fi
report=${1:-$log_dir/gpu-report.txt}
archs=${CUDA_ARCHS:-90-real;90-virtual}
mkdir -p "$build_dir" "$log_dir" "$(dirname "$report")"

{
  echo "zengen GPU check, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not available"
  nvcc --version 2>/dev/null | tail -n 1 || echo "nvcc: not found"
  "${CXX:-c++}" --version 2>/dev/null | head -n 1 || echo "c++: not found"
  cmake --version 2>/dev/null | head -n 1 || echo "cmake: not found"
} | tee "$report"

# The Debian packages of scripts/gpu-deps.sh, unpacked (dpkg-deb, or ar + tar
# where dpkg is missing) and put first in CMake's and the loader's paths.
prefix_args=()
if compgen -G ".gpu-deps/*.deb" >/dev/null; then
  deps_root="$(cd "$build_dir" && pwd)/deps-root"
  rm -rf "$deps_root"
  mkdir -p "$deps_root"
  for deb in .gpu-deps/*.deb; do
    if command -v dpkg-deb >/dev/null; then
      dpkg-deb -x "$deb" "$deps_root"
    else
      ar p "$deb" data.tar.xz | tar -xJ -C "$deps_root"
    fi
  done
  # A link to a system file this machine lacks (libz.so -> /lib/.../libz.so.1.2.13)
  # goes, so the static library beside it is used.
  find "$deps_root" -xtype l -delete
  prefix_args=(-DCMAKE_PREFIX_PATH="$deps_root/usr")
  export LD_LIBRARY_PATH="$deps_root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "dependencies: $(ls .gpu-deps | wc -l) Debian packages from .gpu-deps" | tee -a "$report"
fi
# cuDNN from PyTorch's wheel (nvidia-cudnn-cu13) when nothing else names one:
# the package's folder, or any site-packages/nvidia/*/ holding cudnn.h.
if [[ -z "${CUDNN_ROOT:-}" ]]; then
  CUDNN_ROOT=$(python3 -c 'import nvidia.cudnn as c; print(list(c.__path__)[0])' 2>/dev/null || true)
  if [[ -z "$CUDNN_ROOT" || ! -f "$CUDNN_ROOT/include/cudnn.h" ]]; then
    header=$(python3 -c 'import site; print("\n".join(site.getsitepackages()))' 2>/dev/null |
      while read -r dir; do compgen -G "$dir/nvidia/*/include/cudnn.h" || true; done | head -n 1)
    CUDNN_ROOT=${header:+$(dirname "$(dirname "$header")")}
  fi
fi
if [[ -n "${CUDNN_ROOT:-}" ]]; then
  export CUDNN_ROOT
  # libcudnn.so.9 loads its engine libraries (libcudnn_cnn.so.9, ...) by name at run time.
  export LD_LIBRARY_PATH="$CUDNN_ROOT/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
for dir in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
  [[ -d $dir ]] && export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$dir"
done

start=$(date +%s)
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DZENGEN_WITH_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES="$archs" -DZENGEN_BUILD_EXAMPLES=ON "${prefix_args[@]}" >"$log_dir/configure.log" 2>&1 ||
  { tail -n 30 "$log_dir/configure.log" | tee -a "$report"; exit 1; }
dcgan_data=${DCGAN_DATA:-data/fashion-mnist}
targets=(zengen_cuda_tests)
[[ -d "$dcgan_data" ]] && targets+=(dcgan_train)
# Every bench_cuda_* target the configured build knows (from a clean tree no
# program exists yet to be found on disk).
while read -r target; do targets+=("$target"); done < <(
  cmake --build "$build_dir" --target help 2>/dev/null | grep -o 'bench_cuda_[A-Za-z0-9_]*' | sort -u)
build_status=0
timeout "$(limit 420)" cmake --build "$build_dir" -j"$(nproc)" --target "${targets[@]}" >"$log_dir/build.log" 2>&1 ||
  build_status=$?
if ((build_status != 0)); then
  { grep -E "error|FAILED" "$log_dir/build.log" || true; } >"$build_dir/build-errors.txt"
  { head -n 40 "$build_dir/build-errors.txt"; echo "-- the end of build.log:"; tail -n 15 "$log_dir/build.log"; } |
    tee -a "$report"
  echo "build failed (exit $build_status; 124: out of time)" | tee -a "$report"
  exit 1
fi
echo "build: $(($(date +%s) - start)) s ($({ grep -o 'zengen: cuDNN [^(]*' "$log_dir/configure.log" || echo 'cuDNN: ?'; } | head -n 1))" |
  tee -a "$report"

status=0
echo "== CUDA tests" | tee -a "$report"
tests_bin="$build_dir/tests/zengen_cuda_tests"
tests_status=0
test_args=()
[[ -n "${TESTS:-}" ]] && test_args=("$TESTS")
timeout "$(limit 360)" "$tests_bin" "${test_args[@]}" >"$log_dir/cuda-tests.log" 2>&1 || tests_status=$?
tail -n 20 "$log_dir/cuda-tests.log" | tee -a "$report"
gpu_found=1
if [[ $tests_status -eq 77 ]]; then
  gpu_found=0
  status=77
  echo "no GPU found: nothing ran on a device" | tee -a "$report"
elif [[ $tests_status -ne 0 ]]; then
  status=1
  echo "-- the test program exited with $tests_status (124: timed out; above 128: a signal)" | tee -a "$report"
  # The first failures with their context (through a file: a pipe into
  # head would end grep with SIGPIPE, and pipefail the script).
  { grep -B 4 -A 12 "FAILED" "$log_dir/cuda-tests.log" || true; } >"$build_dir/cuda-failures.txt"
  if [[ -s "$build_dir/cuda-failures.txt" ]]; then
    echo "-- failures (first 120 lines)" | tee -a "$report"
    head -n 120 "$build_dir/cuda-failures.txt" | tee -a "$report"
  fi
  # A crash or a sticky CUDA error stops every later test: run each test
  # case in its own process so one bad kernel hides nothing else (each at
  # most 60 s, all of them within 150 s and the budget).
  echo "-- each test case on its own" | tee -a "$report"
  { "$tests_bin" "${test_args[@]}" --list-test-names-only 2>/dev/null || true; } | { grep -v '^ *$' || true; } \
    >"$build_dir/cuda-test-names.txt"
  : >"$log_dir/cuda-cases-failed.log"
  reruns_end=$(($(date +%s) + 150))
  while IFS= read -r name; do
    if (($(left) < 90 || $(date +%s) > reruns_end)); then
      echo "(out of time: the remaining cases were not run alone)"
      break
    fi
    spec=$(printf '%s' "$name" | sed 's/[][*,~\\"]/\\&/g')  # Catch2's special characters, escaped
    case_status=0
    timeout "$(limit 60)" "$tests_bin" "$spec" >"$build_dir/cuda-case.log" 2>&1 || case_status=$?
    if [[ $case_status -eq 0 ]] && grep -q "All tests passed" "$build_dir/cuda-case.log"; then
      echo "pass        $name"
    else
      echo "FAIL ($case_status)  $name"
      { echo "==== $name (exit $case_status)"; head -n 60 "$build_dir/cuda-case.log"; } >>"$log_dir/cuda-cases-failed.log"
    fi
  done <"$build_dir/cuda-test-names.txt" | tee -a "$report"
fi

quick=${QUICK:-0}
# The benchmarks: the whole output to benchmarks.log, its end (the ratio
# tables) to the report.
for bench in "$build_dir"/benchmarks/bench_cuda_*; do
  [[ $quick == 1 || $gpu_found == 0 ]] && break  # without a GPU they only say so
  [[ -x "$bench" ]] || continue
  if (($(left) < 60)); then
    echo "== $(basename "$bench"): skipped, $(left) s of the budget left" | tee -a "$report"
    continue
  fi
  echo "== $(basename "$bench")" | tee -a "$report"
  echo "==== $(basename "$bench")" >>"$log_dir/benchmarks.log"
  timeout "$(limit 240)" "$bench" --benchmark_min_time=0.2 --benchmark_format=console 2>&1 |
    tee -a "$log_dir/benchmarks.log" | tail -n 30 | tee -a "$report" || status=1
done
# The trainer's own timer: steps/s of the default 32x32 DCGAN, batch 64.
if [[ -x "$build_dir/examples/dcgan_train" && $gpu_found -eq 1 && $quick != 1 ]]; then
  : >"$log_dir/dcgan.log"
  for run in "cuda 2000 0.5" "cpu 200 0.33"; do
    read -r device steps minutes <<<"$run"
    if (($(left) < 60)); then
      echo "== dcgan_train --device $device: skipped, $(left) s of the budget left" | tee -a "$report"
      continue
    fi
    echo "== dcgan_train --device $device (at most $steps steps, $minutes min)" | tee -a "$report"
    echo "==== --device $device" >>"$log_dir/dcgan.log"
    run_status=0
    timeout "$(limit 90)" "$build_dir/examples/dcgan_train" --data "$dcgan_data" --device "$device" --steps "$steps" \
      --minutes "$minutes" --sample-every 1000000 --checkpoint-every 1000000 --log-every 100 \
      --out "$build_dir/dcgan-$device" >"$build_dir/dcgan-run.log" 2>&1 || run_status=$?
    cat "$build_dir/dcgan-run.log" >>"$log_dir/dcgan.log"
    if ((run_status != 0)); then
      status=1
      echo "exit $run_status$( ((run_status == 124)) && echo ': out of time')" | tee -a "$report"
    fi
    # A crash can leave the log empty (stdout to a file is block-buffered): nothing to show then.
    { grep -E "^training|steps in|dcgan_train:" "$build_dir/dcgan-run.log" || true; } | tee -a "$report"
  done
fi
echo "total: $(($(date +%s) - script_start)) s, status $status (logs: $log_dir)" | tee -a "$report"
exit "$status"
