# The cores the firmware runs on in QEMU: one line per board, sourced by run.sh and measure.sh.
# The M7 runs the M4F build and the M55 the M33 build (same instructions, and boards of one
# target share their compiled dependencies); `-Ctarget-cpu=cortex-m33` names the DSP extension.
# board        machine       cpu         rust target                 rustflags
BOARDS="
microbit       microbit      cortex-m0   thumbv6m-none-eabi          -
lm3s6965evb    lm3s6965evb   cortex-m3   thumbv7m-none-eabi          -
mps2-an386     mps2-an386    cortex-m4   thumbv7em-none-eabihf       -
mps2-an500     mps2-an500    cortex-m7   thumbv7em-none-eabihf       -
mps2-an505     mps2-an505    cortex-m33  thumbv8m.main-none-eabihf   -Ctarget-cpu=cortex-m33
mps3-an547     mps3-an547    cortex-m55  thumbv8m.main-none-eabihf   -Ctarget-cpu=cortex-m33
"

# board_field BOARD COLUMN (1-based: 2 machine, 3 cpu, 4 target, 5 rustflags)
board_field() {
  awk -v b="$1" -v c="$2" '$1 == b { print $c; found = 1 } END { exit !found }' <<<"$BOARDS" || {
    echo "unknown board $1 (one of: $(awk 'NF { printf "%s ", $1 }' <<<"$BOARDS"))" >&2; return 1; }
}
