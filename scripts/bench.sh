#!/usr/bin/env bash
# Runs every CPU benchmark, then PyTorch's side of them in the same
# invocation, and regenerates docs/performance.md from the JSON:
#
#   scripts/bench.sh [--quick] [--filter REGEX] [--threads N] [--min-time S]
#                    [--build-dir DIR] [--results DIR] [--no-build] [--no-pytorch]
#                    [--steps N] [--output FILE]
#
#   --quick       fewer shapes (one layer per family), 3 training steps per
#                 model, 0.05 s per figure: checks the pipeline in minutes
#   --filter R    only figures whose name matches R (a Google Benchmark regex
#                 on each bench_* program; "program:name" for compare_pytorch.py)
#   --threads N   OpenMP threads for zengen, torch.set_num_threads for PyTorch
#                 (default 2, the issue's setting)
#   --min-time S  seconds per figure (default 0.5; training steps run a fixed count)
#   --steps N     timed training steps per model (default: 10 DCGAN-64, 40 DCGAN-32
#                 and conv-VAE, 200 MLP-VAE; 3 with --quick), for zengen and PyTorch
#   --build-dir   the build folder (default build-bench), configured Release
#                 with the portable build (kernels chosen at run time) and without CUDA
#   --results     where the JSON goes (default <build-dir>/bench-results)
#   --no-build    use the programs already built there
#   --no-pytorch  skip compare_pytorch.py (also skipped, with a note, when
#                 /usr/bin/python3 cannot import torch)
#   --output      the report (default docs/performance.md)
#
# Environment variables that change the figures (OMP_WAIT_POLICY,
# OPENBLAS_CORETYPE, ...) are used as they are and recorded in the report.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

quick=0 filter="" steps="" threads=2 min_time="" build_dir=build-bench results="" build=1 pytorch=1
output=docs/performance.md
usage() { sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1 ;;
    --filter) filter=${2:?--filter needs a regex}; shift ;;
    --threads) threads=${2:?--threads needs a number}; shift ;;
    --min-time) min_time=${2:?--min-time needs seconds}; shift ;;
    --steps) steps=${2:?--steps needs a number}; shift ;;
    --build-dir) build_dir=${2:?--build-dir needs a folder}; shift ;;
    --results) results=${2:?--results needs a folder}; shift ;;
    --no-build) build=0 ;;
    --no-pytorch) pytorch=0 ;;
    --output) output=${2:?--output needs a file}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: --threads must be a positive integer, got '$threads'" >&2; exit 2; }
[[ -z "$steps" || "$steps" =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: --steps must be a positive integer, got '$steps'" >&2; exit 2; }
[[ -z "$steps" && $quick == 1 ]] && steps=3
results=${results:-$build_dir/bench-results}
if [[ -z "$min_time" ]]; then
  min_time=$([[ $quick == 1 ]] && echo 0.05 || echo 0.5)
fi
python=/usr/bin/python3
[[ -x $python ]] || python=python3

# The build's packages, and PyTorch for the comparison (Debian's python3-torch).
if [[ $pytorch == 1 ]]; then scripts/setup.sh --bench; else scripts/setup.sh; fi

if [[ $build == 1 ]]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DZENGEN_BUILD_BENCHMARKS=ON -DZENGEN_WITH_CUDA=OFF >/dev/null
fi
# Every bench_* target of the build (the CUDA ones are not built here).
mapfile -t programs < <(ninja -C "$build_dir" -t targets all | sed -n 's/^\(bench_[a-z0-9_]*\): phony$/\1/p' \
                         | grep -v '^bench_cuda_' | sort -u)
[[ ${#programs[@]} -gt 0 ]] || { echo "bench.sh: no bench_* targets in $build_dir" >&2; exit 1; }
if [[ $build == 1 ]]; then
  cmake --build "$build_dir" -j"$(nproc)" --target "${programs[@]}"
fi

mkdir -p "$results"
rm -f "$results"/bench_*.json "$results"/pytorch.json "$results"/pytorch.skipped
quick_flag=()
[[ $quick == 1 ]] && quick_flag=(--quick)
"$python" benchmarks/report.py context --build-dir "$build_dir" --threads "$threads" "${quick_flag[@]}" \
  --filter "$filter" --steps "${steps:-0}" > "$results/context.json"
echo "bench.sh: load average at the start: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"

export OMP_NUM_THREADS=$threads
for program in "${programs[@]}"; do
  args=(--benchmark_min_time="$min_time" --benchmark_out="$results/$program.json" --benchmark_out_format=json)
  program_filter=$filter
  if [[ $quick == 1 && -z "$filter" ]]; then
    case $program in
      bench_batch_norm) program_filter='n:64/c:128/hw:16' ;;
    esac
  fi
  [[ -n "$program_filter" ]] && args+=(--benchmark_filter="$program_filter")
  [[ $program == bench_train_step && -n "$steps" ]] && args+=(--steps="$steps")
  echo "== $program"
  if ! "$build_dir/benchmarks/$program" "${args[@]}"; then
    echo "bench.sh: $program failed; its figures are left out" >&2
    rm -f "$results/$program.json"
  fi
done

if [[ $pytorch == 1 ]]; then
  if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    echo "== compare_pytorch.py"
    py_args=(--threads "$threads" --min-time "$min_time" "${quick_flag[@]}")
    [[ -n "$filter" ]] && py_args+=(--filter "$filter")
    [[ -n "$steps" ]] && py_args+=(--steps "$steps")
    /usr/bin/python3 benchmarks/compare_pytorch.py "${py_args[@]}" > "$results/pytorch.json"
  else
    echo "/usr/bin/python3 cannot import torch (Debian: apt-get install python3-torch)" | tee "$results/pytorch.skipped"
  fi
else
  echo "skipped with --no-pytorch" > "$results/pytorch.skipped"
fi

"$python" benchmarks/report.py render "$results" --output "$output"
echo "bench.sh: figures in $results, report in $output"
