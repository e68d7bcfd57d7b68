#!/usr/bin/env python3
"""Seeded train/test splits of scikit-learn's digits and iris, and scikit-learn's
own accuracy on each: the reference ffn's small-data defaults are held to
(trainer/tests/own_data_vs_sklearn.rs).

    python3 scripts/sklearn_splits.py OUT_DIR digits|iris SEED [SEED ...]

needs numpy, scikit-learn and Pillow (scripts/setup.sh installs them into .venv).
For each SEED, `train_test_split(test_size=0.2, stratify=y, random_state=SEED)`
of `load_digits` (1,797 rows: 1,437 train, 360 test) or `load_iris` (150 rows:
120 train, 30 test) is written as

    OUT_DIR/<seed>/<name>_train.csv, <name>_test.csv   features + `label`, with a header
    OUT_DIR/<seed>/<name>.npz          x_train, y_train, x_test, y_test
    OUT_DIR/<seed>/digits_png/{train,test}/<d>/*.png  8x8 grey, levels 0-16 scaled to 0-255

and scored with scikit-learn's `MLPClassifier` at its defaults (one hidden layer
of 100 ReLU units, adam, lr 1e-3, batch min(200, n), 200 epochs) behind a
`StandardScaler`, with `random_state=SEED`. Prints one JSON object on stdout:
{"accuracy": [one per SEED], "seconds": ...}.
"""

import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def write_csv(path, header, rows, labels):
    with open(path, "w", newline="") as f:
        f.write(",".join(header) + "\n")
        for row, label in zip(rows, labels):
            f.write(",".join(repr(v) for v in row.tolist()) + f",{label}\n")


def write_pngs(root, images, labels):
    for i, (image, label) in enumerate(zip(images, labels)):
        folder = root / str(label)
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray((image * 255 // 16).astype(np.uint8), mode="L").save(folder / f"{i:04}.png")


def sklearn_accuracy(x_train, y_train, x_test, y_test, seed):
    model = make_pipeline(StandardScaler(), MLPClassifier(random_state=seed))
    with warnings.catch_warnings():
        # 200 epochs do not always reach the default tolerance on iris: that is
        # scikit-learn's default, the reference here.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x_train, y_train)
    return float(model.score(x_test, y_test))


def dataset(name):
    """Samples (as scikit-learn gives them), labels, column names."""
    if name == "digits":
        digits = load_digits()
        return digits.images.astype(np.int64), digits.target.astype(np.int64), [f"pixel_{i}" for i in range(64)]
    iris = load_iris()
    species = np.array([iris.target_names[t] for t in iris.target])
    return iris.data, species, [n.replace(" (cm)", "").replace(" ", "_") for n in iris.feature_names]


def main(out, name, seeds):
    start = time.monotonic()
    x, y, columns = dataset(name)
    scores = []
    for seed in seeds:
        folder = out / str(seed)
        folder.mkdir(parents=True, exist_ok=True)
        x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, stratify=y, random_state=seed)
        flat_train, flat_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
        write_csv(folder / f"{name}_train.csv", columns + ["label"], flat_train, y_train)
        write_csv(folder / f"{name}_test.csv", columns + ["label"], flat_test, y_test)
        np.savez(folder / f"{name}.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
        if name == "digits":
            write_pngs(folder / "digits_png" / "train", x_train, y_train)
            write_pngs(folder / "digits_png" / "test", x_test, y_test)
        scores.append(sklearn_accuracy(flat_train, y_train, flat_test, y_test, seed))
    print(json.dumps({"accuracy": scores, "seconds": time.monotonic() - start}))


if __name__ == "__main__":
    if len(sys.argv) < 4 or sys.argv[2] not in ("digits", "iris") or not all(a.isdigit() for a in sys.argv[3:]):
        sys.exit(__doc__)
    main(Path(sys.argv[1]), sys.argv[2], [int(a) for a in sys.argv[3:]])
