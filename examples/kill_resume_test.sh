#!/usr/bin/env bash
# Crash-safe training (examples/CMakeLists.txt): a trainer killed with
# SIGKILL after it wrote a checkpoint mid-run, then resumed with --resume,
# ends with the same checkpoint (weights, optimizers, EMA, random state,
# data position) and the same images, byte for byte, as an uninterrupted
# run with the same seed. The images both runs wrote before the kill, in
# separate processes, are identical too (same seed, same samples).
#   kill_resume_test.sh dcgan <dcgan_train> <fashion-mnist folder> <work folder>
#   kill_resume_test.sh vae <vae_train> <mnist folder> <work folder>
set -euo pipefail
kind=$1 exe=$2 data=$3 work=$4
export ZENGEN_SKIP_MISSING_DATA=1
rm -rf "$work"
mkdir -p "$work"
# --device cpu: the comparison is bit for bit, and a GPU's split-K
# convolution gradients are not deterministic to the bit.
if [ "$kind" = dcgan ]; then
  # 352 images in batches of 16: 22 steps an epoch, so the checkpoints (every 10) fall mid-epoch.
  args=(--data "$data" --limit 352 --batch-size 16 --nz 16 --ngf 8 --ndf 8 --seed 5 --steps 120 --device cpu
        --checkpoint-every 10 --sample-every 10 --log-every 20)
  wait_for="step 20: wrote"
  compare=(checkpoint.safetensors samples_final.png samples_step000010.png loss.csv)
else
  # 2,048 images in batches of 64: 32 steps an epoch, checkpoints every 12 (mid-epoch).
  args=(--data "$data" --limit 2048 --batch-size 64 --epochs 4 --seed 5 --checkpoint-every 12 --log-every 16 --device cpu)
  wait_for="step 36: wrote"
  compare=(checkpoint.safetensors samples_epoch01.png samples_epoch04.png reconstructions_epoch04.png)
fi

status=0
"$exe" "${args[@]}" --out "$work/straight" || status=$?
if [ "$status" -eq 77 ]; then exit 0; fi  # the program printed "skipped (ZENGEN_SKIP_MISSING_DATA=1)"
[ "$status" -eq 0 ] || { echo "the uninterrupted run failed ($status)"; exit 1; }

"$exe" "${args[@]}" --out "$work/killed" > "$work/killed.log" 2>&1 &
pid=$!
# Wait until a checkpoint past the first has been written, so the kill lands mid-run.
for _ in $(seq 1 2400); do
  if grep -q "$wait_for" "$work/killed.log" 2>/dev/null; then break; fi
  sleep 0.05
done
kill -KILL "$pid" 2>/dev/null || true
status=0
wait "$pid" || status=$?
cat "$work/killed.log"
if [ "$status" -ne 137 ]; then
  echo "the run was not killed mid-way (exit status $status): give it more steps"
  exit 1
fi
echo "killed (SIGKILL) after: $(tr '\r' '\n' < "$work/killed.log" | grep -v '^$' | tail -n 1)"

"$exe" "${args[@]}" --out "$work/killed" --resume
for f in "${compare[@]}"; do
  if ! cmp -s "$work/straight/$f" "$work/killed/$f"; then
    echo "$f of the killed-and-resumed run differs from the uninterrupted run's"
    exit 1
  fi
done
echo "killed and resumed: ${compare[*]} identical to the uninterrupted run's"
