#!/usr/bin/env bash
# Seconds and peak resident memory of loading a 1,000,000-row × 64-feature CSV
# (about 0.6 GB of text, written once by `ffn bench-load --write-csv` into a temporary
# folder, never into the repository) until its train/validation/test splits are
# ready: parsed, classes found, the stratified test hold-out and validation split
# cut, the features standardised. Each load runs in its own process, so the peak is
# the load's. Usage: benches/csv_load.sh [RUNS] (default 5). CSV_LOAD_RT=1 (root)
# runs the loads under SCHED_FIFO (chrt -f 10), ahead of other builds on a busy machine.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
rt=()
if [ "${CSV_LOAD_RT:-0}" = 1 ]; then rt=(chrt -f 10); fi
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT

cargo build --release --quiet -p ffn-trainer --bin ffn
bin="./target/release/ffn bench-load"
$bin --write-csv "$dir/big.csv" --rows 1000000 --features 64 --classes 10
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)${rt:+, under ${rt[*]}}," \
    "$(stat -c %s "$dir/big.csv") bytes of CSV (f32 matrix: $((1000000 * 64 * 4)) bytes)"
cat "$dir/big.csv" > /dev/null # in the page cache, as a file just written or read before would be
for _ in $(seq "$runs"); do
    "${rt[@]}" $bin --data "$dir/big.csv"
done
