#!/usr/bin/env bash
# Seconds per epoch of the same model (784-128-128-128-128-10 ReLU, Xavier,
# rmsprop lr 1e-4 β 0.9 ε 1e-8, weight decay 5e-4, cross-entropy) on
# Fashion-MNIST: ffn (1 thread and all cores), a NumPy float32 version (1
# thread) and PyTorch on the CPU (1 and 2 threads), at batch 16, 64 and 256,
# then the table of ratios. Then the 2×768 recipe (ReLU, dropout 0.2,
# label smoothing 0.1, adam lr 1e-3 with warm-up and cosine decay, Xavier,
# batch 256, /255 pixels; the defaults until 2026-12-08): ffn's `train` with
# its defaults and -sz 768 --pixel_scaling unit (1 thread and all cores) beside
# PyTorch in float32 and with torch.autocast("cpu", dtype=torch.bfloat16)
# (1 and 2 threads). Usage: benches/compare.sh [EPOCHS] [BATCH_SIZES]
# (defaults 3 and 16,64,256; the default recipe runs EPOCHS epochs at batch
# 256). COMPARE_RECIPES=course or =default runs one of the two tables only.
# COMPARE_RECIPES=bf16 runs the precision table instead (issue 22): ffn f32,
# ffn bf16 (`train --precision`), PyTorch f32 and PyTorch bf16 autocast, all
# on every core, for the default recipe and the course configuration (batch
# 16), alternating them for COMPARE_ROUNDS rounds (default 3), medians.
# The first run creates benches/python/.venv.
# COMPARE_RT=1 (root) runs every implementation under SCHED_FIFO (chrt -f 10)
# so that other processes on a busy machine do not decide the result; the
# kernel's real-time throttling still leaves them 5 % of each second.
set -euo pipefail
cd "$(dirname "$0")/.."
epochs="${1:-3}"
batches="${2:-16,64,256}"
recipes=",${COMPARE_RECIPES:-course,default},"
venv=benches/python/.venv
out="$(mktemp)"
rt=()
if [ "${COMPARE_RT:-0}" = 1 ]; then rt=(chrt -f 10); fi
trap 'rm -f "$out"' EXIT

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)${rt:+, under ${rt[*]}}"
cargo build --release --quiet -p ffn-trainer --bin ffn --bin train
if [[ $recipes == *,course,* ]]; then
    for threads in 1 "$(nproc)"; do
        FFN_THREADS="$threads" "${rt[@]}" ./target/release/ffn bench-epoch --json --epochs "$epochs" --batch-sizes "$batches" \
            --gemm-batch "$([ "$threads" = 1 ] && echo 0 || echo 256)" | tee -a "$out"
    done
fi

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet -r benches/python/requirements.txt
fi
# The machine's OpenBLAS overrides must not pick the references' kernels.
py() { "${rt[@]}" env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$venv/bin/python" "$@"; }
echo "== BLAS and OpenMP libraries (threadpoolctl)"
py benches/python/blas_info.py
if [[ $recipes == *,course,* ]]; then
    py benches/python/epoch_numpy.py --threads 1 --epochs "$epochs" --batch-sizes "$batches" | tee -a "$out"
    for threads in 1 2; do
        py benches/python/epoch_torch.py --threads "$threads" --epochs "$epochs" --batch-sizes "$batches" | tee -a "$out"
    done
fi
if [[ $recipes == *,default,* ]]; then
    for threads in 1 "$(nproc)"; do
        py benches/python/ffn_default.py ./target/release/train --threads "$threads" --epochs "$epochs" | tee -a "$out"
    done
    for precision in f32 bf16; do
        for threads in 1 2; do
            py benches/python/epoch_torch_default.py --precision "$precision" --threads "$threads" --epochs "$epochs" \
                --batch-sizes 256 | tee -a "$out"
        done
    done
fi
if [[ $recipes == *,bf16,* ]]; then
    for round in $(seq "${COMPARE_ROUNDS:-3}"); do
        for recipe in default course; do
            batch=$([ "$recipe" = course ] && echo 16 || echo 256)
            torch=$([ "$recipe" = course ] && echo epoch_torch.py || echo epoch_torch_default.py)
            for precision in f32 bf16; do
                py benches/python/ffn_default.py ./target/release/train --recipe "$recipe" --precision "$precision" \
                    --threads "$(nproc)" --epochs "$epochs" | sed "s/}$/, \"round\": $round}/" | tee -a "$out"
                py "benches/python/$torch" --precision "$precision" --threads "$(nproc)" --epochs "$epochs" \
                    --batch-sizes "$batch" | sed "s/}$/, \"round\": $round, \"recipe\": \"$recipe\"}/" | tee -a "$out"
            done
        done
    done
    echo
    py benches/python/bf16_table.py <"$out"
    exit 0
fi
echo
py benches/python/table.py <"$out"
