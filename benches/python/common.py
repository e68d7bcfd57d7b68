"""Shared by the NumPy and PyTorch epoch benchmarks: Fashion-MNIST loading (the
same 54 000 / 6 000 split sizes as `ffn bench-epoch`), the model's configuration,
argument parsing and the JSON line every implementation prints."""

import argparse
import gzip
import json
import os
import statistics
import time

import numpy as np

SIZES = [784, 128, 128, 128, 128, 10]
LEARNING_RATE = 1e-4
BETA = 0.9
EPSILON = 1e-8
WEIGHT_DECAY = 5e-4
VALIDATION = 6_000


def default_data_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "..", "..", "shared", "data", "fashion-mnist")


def read_idx(path, header):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header)


def load(data_dir):
    """Pixels as float32 in [0, 1], labels as int64; the last 6 000 training
    images are the validation split."""
    images = read_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz"), 16)
    labels = read_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"), 8).astype(np.int64)
    images = images.reshape(len(labels), 784).astype(np.float32) / np.float32(255.0)
    cut = len(labels) - VALIDATION
    return (images[:cut], labels[:cut]), (images[cut:], labels[cut:])


def parse_args(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--batch-sizes", default="16,64,256")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", default=default_data_dir())
    args = parser.parse_args()
    args.batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    return args


def blas_info():
    """Which BLAS library, kernel (OpenBLAS core type) and thread count run."""
    from threadpoolctl import threadpool_info

    return [
        {k: pool.get(k) for k in ("internal_api", "version", "architecture", "num_threads", "filepath")}
        for pool in threadpool_info()
    ]


def run(name, args, new_model, train_epoch, evaluate, recipe="course"):
    """Per batch size: a fresh model, `args.epochs` timed epochs (training:
    shuffle, gather, steps; then one validation pass), the median printed as
    one JSON line (with the recipe it measures: `course` or `default`)."""
    for batch in args.batch_sizes:
        model = new_model(batch)
        times = []
        accuracy = 0.0
        for _ in range(args.epochs):
            start = time.perf_counter()
            train_epoch(model, batch)
            trained = time.perf_counter()
            accuracy = evaluate(model)
            done = time.perf_counter()
            times.append((done - start, trained - start, done - trained))
        total, train_s, val_s = sorted(times)[len(times) // 2]
        result = {
            "impl": name,
            "recipe": recipe,
            "threads": args.threads,
            "batch": batch,
            "epoch_s": round(total, 6),
            "train_s": round(train_s, 6),
            "val_s": round(val_s, 6),
            "epochs": args.epochs,
            "val_accuracy": round(accuracy, 4),
        }
        print(json.dumps(result), flush=True)
