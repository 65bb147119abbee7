#!/bin/sh
# tests/isa_audit.sh BINARY...: checks that linked zengen code runs on every
# CPU its dispatch may pick. Each function whose code names a ymm or zmm
# register (AVX, AVX-512) must belong to the kernels of a level that has
# them: zengen::cpu::avx2 (ymm only) or zengen::cpu::avx512 (src/cpu/isa.hpp).
# Anything else with such registers -- a baseline function, or an inline
# function of Tensor, the standard library or Eigen whose AVX copy the linker
# kept over the baseline one -- would crash with SIGILL on an older CPU
# (or under valgrind). Prints the offenders and exits 1 if there are any.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 BINARY..." >&2; exit 2; }
command -v objdump >/dev/null || { echo "isa_audit: objdump (binutils) not found: skipping"; exit 77; }
status=0
for binary in "$@"; do
  [ -n "$binary" ] || continue  # CTest passes "" for the library of a static build
  [ -f "$binary" ] || { echo "isa_audit: $binary: no such file" >&2; exit 2; }
  # Functions the linker shares between objects: global (T) and weak (W, V)
  # ones. A local function (a static one, or GCC's .constprop/.isra clones)
  # is called only from its own object, so it runs at that object's level.
  report=$( { nm --defined-only "$binary" | awk '$2 ~ /^[TWV]$/ { print "shared", $1 }'
              objdump -d --no-show-raw-insn "$binary"; } | awk '
    $1 == "shared" { shared[$2] = 1; next }
    /^[0-9a-f]+ <.*>:$/ {  # by address: a private copy may bear the name of a shared one
      name = substr($0, index($0, "<") + 1); sub(/>:$/, "", name); functions++
      is_shared = ($1 in shared); next }
    name == "" || !is_shared { next }
    # zengen::cpu::avx512 and zengen::cpu::avx2, as mangled names spell them
    /%zmm/ { if (name !~ /6zengen3cpu6avx512/ && !(name in bad)) { bad[name] = "zmm"; order[++n] = name } next }
    /%ymm/ { if (name !~ /6zengen3cpu(4avx2|6avx512)/ && !(name in bad)) { bad[name] = "ymm"; order[++n] = name } next }
    END {
      for (i = 1; i <= n; i++) printf "  %s uses %s registers\n", order[i], bad[order[i]]
      printf "checked %d functions, %d shared ones outside their level\n", functions, n
    }' | c++filt)
  echo "$binary: $(echo "$report" | tail -1)"
  if [ "$(echo "$report" | wc -l)" -gt 1 ]; then
    echo "$report" | head -40
    status=1
  fi
done
exit $status
