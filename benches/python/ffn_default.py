"""Seconds per epoch of ffn's 2×768 recipe, as `train` runs it: runs the
given `train` binary with its defaults and 2×768 units on /255 pixels (ReLU,
dropout 0.2, label smoothing 0.1, adam, Xavier, batch 256, Fashion-MNIST) for a few epochs
into a temporary folder and prints the median of the per-epoch times its
metrics.jsonl records (shuffle, gather, steps and one validation pass, as
the Python benchmarks time an epoch) as one JSON line.

`--recipe course` runs the course configuration instead (4×128 ReLU,
rmsprop 1e-4, weight decay 5e-4, batch 16, constant rate, no dropout or
label smoothing), the model of epoch_torch.py.

Usage: ffn_default.py TRAIN_BINARY --threads N --epochs E [--precision P] [--recipe default|course]"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

# Flags beyond train's defaults; "course" is the course project's configuration.
# "default" is the 2×768 recipe on /255 pixels that epoch_torch_default.py
# mirrors (train's Fashion-MNIST defaults until 2026-12-08, which moved to
# 2×1024 on standardised pixels), so both sides train the same shape.
RECIPES = {
    "default": "-sz 768 --pixel_scaling unit".split(),
    "course": "-nhl 4 -sz 128 -b 16 -o rmsprop -lr 0.0001 -w_d 0.0005 --lr_schedule constant --warmup 0 "
              "--label_smoothing 0 --dropout 0 --pixel_scaling unit".split(),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("train")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--precision", default="f32")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--recipe", choices=list(RECIPES), default="default")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run = os.path.join(folder, "run")
        command = [args.train, "--no-wandb", "--epochs", str(args.epochs), "--threads", str(args.threads),
                   "--seed", str(args.seed), "--output_dir", run]
        command += ["--precision", args.precision] + RECIPES[args.recipe]
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            sys.exit(f"ffn_default.py: {' '.join(command)} failed: {done.stderr.strip()}")
        with open(os.path.join(run, "metrics.jsonl")) as f:
            epochs = [json.loads(line) for line in f if line.strip()]
    seconds = [e["seconds"] for e in epochs]
    print(json.dumps({
        "impl": f"ffn-{args.precision}",
        "recipe": args.recipe,
        "threads": args.threads,
        "batch": 16 if args.recipe == "course" else 256,
        "epoch_s": round(statistics.median(seconds), 6),
        "epochs": len(seconds),
        "val_accuracy": round(epochs[-1]["val_accuracy"], 4),
    }), flush=True)


if __name__ == "__main__":
    main()
