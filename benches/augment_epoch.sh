#!/usr/bin/env bash
# What augmentation costs an epoch of the default recipe (issue 24: at most
# 15 %): `train -e EPOCHS` on DATASET with each augmentation setting in turn,
# alternating settings for ROUNDS rounds, then the median of the per-epoch
# `seconds` in metrics.jsonl per setting and its ratio to no augmentation.
# Usage: benches/augment_epoch.sh [DATASET] [EPOCHS] [ROUNDS]
# (defaults mnist, 3, 5). TRAIN=path picks the binary (default
# target/release/train); AUGMENT_RT=1 (root) runs under chrt -f 10.
set -euo pipefail
cd "$(dirname "$0")/.."
dataset="${1:-mnist}"
epochs="${2:-3}"
rounds="${3:-5}"
train="${TRAIN:-target/release/train}"
rt=()
if [ "${AUGMENT_RT:-0}" = 1 ]; then rt=(chrt -f 10); fi
settings=("--shift 0" "--shift 1" "--shift 1 --rotate 10 --zoom 0.1 --elastic 1.5 --flip 0.5 --erase 0.3")
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)${rt:+, under ${rt[*]}}"
for round in $(seq "$rounds"); do
    for i in "${!settings[@]}"; do
        # shellcheck disable=SC2086
        "${rt[@]}" "$train" -d "$dataset" -e "$epochs" ${settings[$i]} --no-wandb \
            --output_dir "$work/$i-$round" > /dev/null
    done
done
python3 - "$work" "${settings[@]}" <<'PY'
import json, statistics, sys, glob
work, settings = sys.argv[1], sys.argv[2:]
medians = []
for i, s in enumerate(settings):
    secs = [json.loads(l)["seconds"] for f in glob.glob(f"{work}/{i}-*/metrics.jsonl") for l in open(f)]
    medians.append(statistics.median(secs))
    print(f"{s:<70} {len(secs):3d} epochs  median {medians[-1]:.3f} s  range {min(secs):.3f}-{max(secs):.3f}  "
          f"{100 * (medians[-1] / medians[0] - 1):+.1f} %")
PY
