#!/usr/bin/env bash
# Builds the firmware for one board of boards.sh and runs it in QEMU with `-icount shift=0`
# (deterministic: SysTick then counts guest instructions), in a folder of its own holding the
# ELF and the samples it streams. Prints the firmware's report; exits with its status.
# Usage: run.sh BOARD [cargo build args…]    (env: FFN_MODEL, FFN_SAMPLES/FFN_LABELS, FFN_IMAGES…)
# Boards share one target folder (their dependencies build once); a lock serialises the
# builds, and the runs proceed side by side.
set -euo pipefail
cd "$(dirname "$0")"
source ./boards.sh
board=${1:?usage: run.sh BOARD [cargo args]}; shift
machine=$(board_field "$board" 2); cpu=$(board_field "$board" 3)
target=$(board_field "$board" 4); rustflags=$(board_field "$board" 5)
[ "$rustflags" = - ] && rustflags=""
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
# --remap-path-prefix: panic locations name files relative to the repository, so the
# flash size does not depend on where it is checked out.
repo=$(cd ../.. && pwd)
rustflags="$rustflags --remap-path-prefix=$repo=ffn --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=cargo"
# build.rs writes consts.rs into OUT_DIR, inside the target folder, wherever that is.
rustflags="$rustflags --remap-path-prefix=$target_dir=target"
# FFN_RUN_DIR: where to run (tests give each run its own).
run_dir=${FFN_RUN_DIR:-$target_dir/boards/$board}
mkdir -p "$target_dir" "$run_dir"
(
  flock 9
  FFN_BOARD=$board CARGO_TARGET_DIR=$target_dir RUSTFLAGS="$rustflags" \
    cargo build --release --quiet --target "$target" "$@"
  cp "$target_dir/$target/release/ffn-firmware" "$target_dir/$target/release/ffn-samples.bin" "$run_dir/"
) 9>"$target_dir/.run-lock"
cd "$run_dir"
echo "elf $run_dir/ffn-firmware"
exec timeout 300 qemu-system-arm -machine "$machine" -cpu "$cpu" -nographic \
  -semihosting-config enable=on,target=native -icount shift=0 -kernel ffn-firmware
