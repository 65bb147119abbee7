#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (AddressSanitizer, UBSan and
# coverage over all of libzengen) and runs each for a while:
#
#   scripts/fuzz.sh [seconds-per-target] [target...]
#       seconds-per-target  default 60
#       target              image, idx, safetensors, checkpoint (default: all)
#
# BUILD_DIR (default build-fuzz) is the build folder. Each target starts from
# its committed seeds (fuzz/corpus/<target>/) plus what earlier runs found
# (<build>/corpus/<target>/, kept between runs, never committed); crash,
# leak, timeout and out-of-memory inputs land in <build>/artifacts/<target>/.
# FUZZ_ARGS adds libFuzzer options (e.g. FUZZ_ARGS="-max_len=65536").
# Exits 1 when any run found something: fix it, then copy the input into
# fuzz/corpus/<target>/ so that CTest replays it from then on.
# Needs clang and its runtimes: scripts/setup.sh --fuzz installs them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${1:-60}
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: seconds-per-target must be a number, got '$seconds'" >&2; exit 2; }
shift || true
all_targets=(image idx safetensors checkpoint)
targets=("$@")
((${#targets[@]})) || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  [[ " ${all_targets[*]} " == *" $t "* ]] || { echo "fuzz.sh: unknown target '$t' (${all_targets[*]})" >&2; exit 2; }
done

command -v clang++ >/dev/null 2>&1 || {
  echo "fuzz.sh: clang++ not found; run scripts/setup.sh --fuzz (Debian's clang, libclang-rt-14-dev, libomp-dev)" >&2
  exit 2
}

build_dir=${BUILD_DIR:-build-fuzz}
CXX=clang++ cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DZENGEN_WITH_CUDA=OFF \
  -DZENGEN_SANITIZE=address,undefined,fuzzer-no-link -DZENGEN_BUILD_FUZZERS=ON \
  -DZENGEN_BUILD_TESTS=OFF -DZENGEN_BUILD_EXAMPLES=OFF -DZENGEN_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target "${targets[@]/#/fuzz_}"

# One thread: the inputs are small, and threads only blur the coverage signal.
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
found=0
for t in "${targets[@]}"; do
  work="$build_dir/corpus/$t" artifacts="$build_dir/artifacts/$t"
  rm -rf "$artifacts"  # what an earlier run found was reported then
  mkdir -p "$work" "$artifacts"
  dict=()
  [[ -f "fuzz/$t.dict" ]] && dict=(-dict="fuzz/$t.dict")
  echo "fuzz.sh: $t for ${seconds}s"
  status=0
  # shellcheck disable=SC2086  # FUZZ_ARGS is a list of options
  "$build_dir/fuzz/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=25 -rss_limit_mb=2560 \
    -artifact_prefix="$artifacts/" "${dict[@]}" ${FUZZ_ARGS:-} "$work" "fuzz/corpus/$t" \
    >"$build_dir/fuzz-$t.log" 2>&1 || status=$?
  grep -E "^(stat::|#[0-9]+ +DONE)" "$build_dir/fuzz-$t.log" | sed "s/^/  $t: /" || true
  if ((status != 0)) || compgen -G "$artifacts/*" >/dev/null; then
    found=1
    echo "fuzz.sh: $t FOUND something (exit $status): see $build_dir/fuzz-$t.log and $artifacts/" >&2
    grep -E "ERROR: |SUMMARY: |zengen fuzz finding|runtime error" "$build_dir/fuzz-$t.log" | head -5 >&2 || true
  fi
done
exit "$found"
