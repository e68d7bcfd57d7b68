#!/usr/bin/env python3
"""Writes scikit-learn's bundled datasets in the forms ffn reads as own data.

    python3 scripts/sklearn_datasets.py OUT_DIR

needs numpy, scikit-learn and Pillow (e.g. a venv: `python3 -m venv .venv &&
.venv/bin/pip install scikit-learn pillow`). It writes, from `load_digits` (1,797
8x8 images, 16 grey levels, ten classes) and `load_iris` (150 rows, four features,
three named species), plus two more tables for the small-data defaults sweep
(sweeps/small-data.yaml):

    OUT_DIR/digits.csv          64 pixel columns + `label` (0-9), with a header
    OUT_DIR/digits.npz          x (1797, 8, 8) int64, y (1797,) int64
    OUT_DIR/digits_png/<d>/*.png  8x8 grey PNGs, levels 0-16 scaled to 0-255
    OUT_DIR/iris.csv            four named columns + `species` (setosa, ...), with a header
    OUT_DIR/iris.npz            X (150, 4) float64, y (150,) species names
    OUT_DIR/iris_x.npy, iris_y.npy  the same as a pair of arrays
    OUT_DIR/wine.csv            `load_wine`: 178 rows, 13 named features + `label` (0-2)
    OUT_DIR/breast_cancer.csv   `load_breast_cancer`: 569 rows, 30 named features +
                                `label` (malignant, benign)

Nothing is downloaded: both datasets ship inside scikit-learn.
"""

import sys
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine


def write_csv(path, header, rows, labels):
    with open(path, "w", newline="") as f:
        f.write(",".join(header) + "\n")
        for row, label in zip(rows, labels):
            f.write(",".join(str(v) for v in row) + f",{label}\n")


def main(out):
    out.mkdir(parents=True, exist_ok=True)

    digits = load_digits()
    x = digits.images.astype(np.int64)
    y = digits.target.astype(np.int64)
    write_csv(out / "digits.csv", [f"pixel_{i}" for i in range(64)] + ["label"], x.reshape(len(x), -1), y)
    np.savez(out / "digits.npz", x=x, y=y)
    for i, (image, label) in enumerate(zip(x, y)):
        folder = out / "digits_png" / str(label)
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray((image * 255 // 16).astype(np.uint8), mode="L").save(folder / f"{i:04}.png")

    iris = load_iris()
    species = np.array([iris.target_names[t] for t in iris.target])
    names = [n.replace(" (cm)", "").replace(" ", "_") for n in iris.feature_names]
    write_csv(out / "iris.csv", names + ["species"], iris.data, species)
    np.savez(out / "iris.npz", X=iris.data, y=species)
    np.save(out / "iris_x.npy", iris.data)
    np.save(out / "iris_y.npy", species)
    for name, load in [("wine", load_wine), ("breast_cancer", load_breast_cancer)]:
        table = load()
        labels = np.array([table.target_names[t] for t in table.target])
        columns = [n.replace(" ", "_").replace("/", "_") for n in table.feature_names]
        write_csv(out / f"{name}.csv", columns + ["label"], table.data, labels)
    print(f"wrote digits ({len(x)} samples), iris ({len(species)} samples), wine and breast_cancer to {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
