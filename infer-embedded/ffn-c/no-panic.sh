#!/usr/bin/env bash
# The C API's link-time no-panic proof on every core: builds the library with the `panic-never`
# feature (profile `firmware`: fat LTO, so only code reachable from the exported functions stays)
# and links it with arm-none-eabi-gcc, every `ffn_*` function a root. The panic handler calls
# `ffn_c_a_panic_is_reachable`, defined nowhere: the link fails if any panic is reachable.
# Usage: infer-embedded/ffn-c/no-panic.sh    (needs the four targets and arm-none-eabi-gcc)
set -euo pipefail
cd "$(dirname "$0")/../.."
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
roots=()
for name in $(grep -o '^pub \(unsafe \)\?extern "C" fn [a-z_0-9]*' infer-embedded/ffn-c/src/*.rs | awk '{print $NF}'); do
  roots+=("-Wl,--require-defined=$name")
done
[ ${#roots[@]} -ge 8 ] || { echo "found only ${#roots[@]} ffn_* functions" >&2; exit 1; }
# rust target, gcc -mcpu, extra rustflags (the M33 names its core: the DSP kernel)
while read -r target cpu rustflags; do
  [ "$rustflags" = - ] && rustflags=""
  RUSTFLAGS="$rustflags" cargo build --quiet --profile firmware -p ffn-c --features panic-never --target "$target"
  arm-none-eabi-gcc -mcpu="$cpu" -mthumb -nostdlib -Wl,--gc-sections -Wl,-e,ffn_model_init "${roots[@]}" \
    -Wl,--no-warn-execstack -o "$out/$target.elf" "$target_dir/$target/firmware/libffn_c.a" || {
    echo "ffn-c: a panic is reachable from the C API on $target" >&2; exit 1; }
  echo "ffn-c on $target ($cpu): no panic reachable from ${#roots[@]} functions"
done <<'TARGETS'
thumbv6m-none-eabi         cortex-m0   -
thumbv7m-none-eabi         cortex-m3   -
thumbv7em-none-eabihf      cortex-m4   -
thumbv8m.main-none-eabihf  cortex-m33  -Ctarget-cpu=cortex-m33
TARGETS
