#!/usr/bin/env bash
# The measurements `ffn export`'s footprint estimate is fitted on (trainer/src/export/estimate.rs):
# runs each MODEL in QEMU on every core of boards.sh (int8 models; f32 models on mps2-an386 only,
# as measure.sh does) and prints one row per run: board, element, input type, layer sizes, model
# bytes, scratch bytes, flash (as measure.sh counts it), static RAM, peak stack, instructions per
# inference. `scripts/fit-estimate.py` turns the rows into the coefficient table.
# Usage: infer-embedded/firmware/estimate-data.sh MODEL.ffn…   (env: FFN_IMAGES, default 16)
set -euo pipefail
models=()
for model in "$@"; do models+=("$(realpath "$model")"); done
cd "$(dirname "$0")"
source ./boards.sh
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '%-12s %-5s %-4s %-22s %8s %8s %8s %7s %7s %12s\n' \
  board elem in sizes model_B scratch flash static stack instr/infer
for model in "${models[@]}"; do
  # mps2-an386 first: an f32 model stops there.
  for board in mps2-an386 $(awk 'NF && $1 !~ /^#/ && $1 != "mps2-an386" { print $1 }' <<<"$BOARDS"); do
    log=$out/$board.log
    FFN_MODEL=$model FFN_IMAGES=${FFN_IMAGES:-16} FFN_RUN_DIR=$out/$board ./run.sh "$board" > "$log" 2>&1 || {
      cat "$log" >&2; echo "firmware failed on $board with $model" >&2; exit 1; }
    flash=$(arm-none-eabi-size -A "$out/$board/ffn-firmware" |
      awk '$1==".vector_table"||$1==".text"||$1==".rodata"||$1==".data"{s+=$2} END{print s}')
    awk -v board="$board" -v flash="$flash" '
      /^ffn-firmware on/ { elem=$5; sizes=$6; input=$8; bytes=substr($9,2) }
      /^instructions_per_inference/ { instr=$2 }
      /^static_ram_bytes/ { ram=$2; stack=$4 }
      /^scratch_bytes/ { scratch=$2 }
      END { printf "%-12s %-5s %-4s %-22s %8d %8d %8d %7d %7d %12d\n", board, elem, input, sizes, bytes, scratch, flash, ram, stack, instr }' "$log"
    if grep -q '^ffn-firmware on .*: model f32' "$log"; then break; fi
  done
done
