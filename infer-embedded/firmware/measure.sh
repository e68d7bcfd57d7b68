#!/usr/bin/env bash
# Footprint and speed of the firmware on every core of boards.sh, as the README's table: builds
# each board (run.sh: QEMU with `-icount shift=0`, samples streamed over semihosting, so flash
# is the firmware and the model only) and prints one row per board and model.
# Usage: infer-embedded/firmware/measure.sh [F32_MODEL]
# The int8 rows use the committed default model; the f32 row (mps2-an386) uses F32_MODEL (e.g.
# the run's model.ffn the int8 model was exported from), else that int8 model dequantised.
set -euo pipefail
cd "$(dirname "$0")"
source ./boards.sh
f32_model=${1:+$(realpath "$1")}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

printf '%-5s %-12s %-10s %7s %9s %9s %8s %8s %7s %7s %12s %8s\n' \
  model board cpu samples accuracy flash code model_B static stack instr/infer instr/MAC
measure() { # name board [cargo args…]
  local name=$1 board=$2; shift 2
  local log=$out/$name-$board.log
  FFN_RUN_DIR=$out/$name-$board ./run.sh "$board" "$@" > "$log" 2>&1 || {
    cat "$log"; echo "firmware failed on $board" >&2; return 1; }
  local elf=$out/$name-$board/ffn-firmware sizes text flash
  # Loaded into flash: vector table + code + read-only data (the model) + .data's initial values.
  sizes=$(arm-none-eabi-size -A "$elf")
  text=$(awk '$1==".text"{print $2}' <<<"$sizes")
  flash=$(awk '$1==".vector_table"||$1==".text"||$1==".rodata"||$1==".data"{s+=$2} END{print s}' <<<"$sizes")
  awk -v text="$text" -v flash="$flash" -v board="$board" -v cpu="$(board_field "$board" 3)" '
    /^ffn-firmware on/ { element=$5; bytes=substr($9,2) }
    /^accuracy/ { acc=$2; split($2, a, "/"); samples=a[2] }
    /^host mismatches/ { if ($3 != 0) { print "host mismatches: " $3 > "/dev/stderr"; exit 1 } }
    /^instructions_per_inference/ { instr=$2 }
    /^macs_per_inference/ { macs=$2 }
    /^static_ram_bytes/ { ram=$2; stack=$4 }
    END {
      printf "%-5s %-12s %-10s %7d %9s %9d %8d %8d %7d %7d %12d %8.2f\n", element, board, cpu, samples, acc, flash, text, bytes, ram, stack, instr, instr/macs
    }' "$log"
}
# The int8 runs side by side (run.sh serialises only the builds), then the f32 row.
pids=()
for board in $(awk 'NF && $1 !~ /^#/ { print $1 }' <<<"$BOARDS"); do
  measure int8 "$board" > "$out/row-$board" & pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
for board in $(awk 'NF && $1 !~ /^#/ { print $1 }' <<<"$BOARDS"); do cat "$out/row-$board"; done
if [ -n "$f32_model" ]; then FFN_MODEL=$f32_model measure f32 mps2-an386; else measure f32 mps2-an386 --features f32; fi
