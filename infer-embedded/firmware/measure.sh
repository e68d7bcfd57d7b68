#!/usr/bin/env bash
# Builds the firmware for each configuration, runs it in QEMU with `-icount shift=0`
# (one guest instruction = 1 ns of virtual time, so SysTick counts instructions) and
# prints its footprint and speed.
# Usage: infer-embedded/firmware/measure.sh [F32_MODEL]
# The int8 rows use the committed default model; the f32 row uses F32_MODEL (e.g. the
# run's model.ffn that model was exported from), else that int8 model dequantised.
set -euo pipefail
cd "$(dirname "$0")"
f32_model=${1:+$(realpath "$1")}
elf=target/thumbv7em-none-eabihf/release/ffn-firmware

printf '%-5s %-12s %7s %9s %9s %8s %8s %9s %7s %7s %12s\n' \
  model board samples accuracy flash code model_B samples_B static stack instr/sample
measure() { # feature-flags machine [model]
  local features=$1 machine=$2 model=${3:-}
  if [ -n "$model" ]; then
    FFN_MODEL=$model cargo build --release --quiet ${features:+--features "$features"}
  else
    env -u FFN_MODEL cargo build --release --quiet ${features:+--features "$features"}
  fi
  local log
  log=$(timeout 120 qemu-system-arm -cpu cortex-m4 -machine "$machine" -nographic \
        -semihosting-config enable=on,target=native -icount shift=0 -kernel "$elf" 2>&1) || {
    echo "$log"; echo "firmware failed on $machine" >&2; exit 1; }
  # Sections loaded into flash: vector table + code + read-only data (model and images are in .rodata).
  local sizes text flash
  sizes=$(arm-none-eabi-size -A "$elf")
  text=$(awk '$1==".text"{print $2}' <<<"$sizes")
  flash=$(awk '$1==".vector_table"||$1==".text"||$1==".rodata"||$1==".data"{s+=$2} END{print s}' <<<"$sizes")
  awk -v text="$text" -v flash="$flash" -v machine="$machine" '
    /^ffn-firmware on/ { element=$5; model=substr($9,2) }
    /^accuracy/ { acc=$2 }
    /^host mismatches/ { if ($3 != 0) { print "host mismatches: " $3 > "/dev/stderr"; exit 1 } }
    /^systick_ticks/ { ticks=$2; ns=$4; samples=$6 }
    /^static_ram_bytes/ { ram=$2; stack=$4 }
    /^embedded_sample_bytes/ { sample_bytes=$2 }
    END {
      # Samples, labels and the host predictions are all embedded (sample_bytes).
      printf "%-5s %-12s %7d %9s %9d %8d %8d %9d %7d %7d %12d\n", element, machine, samples, acc, flash, text, model, sample_bytes, ram, stack, ticks*ns/samples
    }' <<<"$log"
}
measure "" mps2-an386
if [ -n "$f32_model" ]; then measure "" mps2-an386 "$f32_model"; else measure f32 mps2-an386; fi
measure lm3s6965 lm3s6965evb
