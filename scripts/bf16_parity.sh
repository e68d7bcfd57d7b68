#!/usr/bin/env bash
# Accuracy parity of --precision bf16 against f32 (issue 22, item 3): five
# seeds of the default recipe and of the course configuration, on
# Fashion-MNIST and MNIST. Each run's summary.json lands in
# benches/bf16-parity/by-seed/<recipe>-<dataset>-<precision>-s<seed>/ (runs that
# finished are skipped, so the script resumes); scripts/bf16_parity_table.py
# turns them into the README's table.
#
#   PRECISIONS="f32 bf16" SEEDS="1 2 3 4 5" scripts/bf16_parity.sh
#
# The bits do not depend on the thread count, so on a busy machine THREADS=1
# (two of these side by side) gives the same results without the two-core
# step's hand-overs waiting on preempted threads.
set -euo pipefail
cd "$(dirname "$0")/.."
out=benches/bf16-parity/by-seed
mkdir -p "$out"
train=${TRAIN:-target/release/train}
[[ -x $train ]] || cargo build --release --quiet -p ffn-trainer --bin train
declare -A recipe=(
    [default]=""
    [course]="-nhl 4 -sz 128 -b 16 -o rmsprop -lr 0.0001 -w_d 0.0005 -e 10 --lr_schedule constant --warmup 0 --label_smoothing 0 --dropout 0 --pixel_scaling unit"
)
for precision in ${PRECISIONS:-f32 bf16}; do
    for name in ${RECIPES:-default course}; do
        for dataset in ${DATASETS:-fashion_mnist mnist}; do
            for seed in ${SEEDS:-1 2 3 4 5}; do
                run="$name-$dataset-$precision-s$seed"
                [[ -f $out/$run/summary.json ]] && continue
                flags=(${recipe[$name]})
                [[ $precision == f32 ]] || flags+=(--precision "$precision")
                tmp=$(mktemp -d)
                "$train" "${flags[@]}" -d "$dataset" --seed "$seed" --no-wandb --threads "${THREADS:-0}" \
                    --output_dir "$tmp/run" --run_name "$run" > "$tmp/log.txt" 2>&1
                mkdir -p "$out/$run"
                cp "$tmp/run/config.json" "$tmp/run/summary.json" "$tmp/log.txt" "$out/$run/"
                rm -rf "$tmp"
                echo "$(date -u +%H:%M) $run $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['test_accuracy'])" "$out/$run/summary.json")"
            done
        done
    done
done
