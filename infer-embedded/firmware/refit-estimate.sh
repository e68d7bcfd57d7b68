#!/usr/bin/env bash
# Refits `ffn export`'s footprint estimate from scratch (run it when the firmware or the inference
# kernels change, then paste the printed table into trainer/src/export/estimate.rs): trains and
# exports five small Fashion-MNIST models, writes the untrained models of
# trainer/examples/estimate_models.rs, measures them all in QEMU on every core
# (estimate-data.sh) and fits (scripts/fit-estimate.py: the table on stdout, each row's error on
# stderr). The rows stay in WORK_DIR/rows.txt (for benches/RESULTS.md).
# Usage: infer-embedded/firmware/refit-estimate.sh [WORK_DIR]   (Fashion-MNIST found as `train` finds it)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(realpath -m "${1:-$(mktemp -d)}")
mkdir -p "$work"
cd "$repo"
cargo build --release --quiet -p ffn-trainer --bin ffn --example estimate_models
ffn=$repo/target/release/ffn
target/release/examples/estimate_models "$work/gen" > /dev/null
for shape in 1x16 1x64 2x32 3x64 1x200; do
  run=$work/fit-$shape
  "$ffn" train -d fashion_mnist -e 1 -nhl "${shape%x*}" -sz "${shape#*x}" -o adam -lr 0.001 \
    --train_limit 5000 --no-wandb --output_dir "$run" > "$run.log"
  # One epoch on 5,000 images: int8 may lose more than a point, which does not matter here.
  "$ffn" export "$run" --int8 "$run.int8.ffn" --f32 "$run.f32.ffn" --max_int8_loss 100 >> "$run.log"
done
for shape in 1x64 3x64; do
  "$ffn" export "$work/fit-$shape" --int8 "$work/fit-$shape.f32in.int8.ffn" --input_type f32 \
    --max_int8_loss 100 >> "$work/fit-$shape.log"
done
echo "measuring in QEMU from $(date -u +%H:%M) UTC" >&2
infer-embedded/firmware/estimate-data.sh "$work"/fit-*.ffn infer-embedded/firmware/models/*.ffn \
  "$work"/gen/*.ffn > "$work/rows.txt"
echo "done at $(date -u +%H:%M) UTC" >&2
scripts/fit-estimate.py "$work/rows.txt"
