#!/usr/bin/env python3
"""The README's accuracy-parity table of `--precision bf16` (issue 22 item 3)
from the runs scripts/bf16_parity.sh left in benches/bf16-parity/by-seed/: per
recipe and dataset, the mean (and range) of the test accuracy over the seeds
in f32 and in bf16, and bf16's mean minus f32's in points."""

import json
import pathlib
import statistics

runs = pathlib.Path(__file__).resolve().parent.parent / "benches" / "bf16-parity" / "by-seed"
scores = {}
for summary in sorted(runs.glob("*/summary.json")):
    recipe, dataset, precision, seed = summary.parent.name.rsplit("-", 3)
    data = json.loads(summary.read_text())
    if data.get("state") == "finished":
        scores.setdefault((recipe, dataset, precision), []).append(100 * data["test_accuracy"])

print("| recipe | dataset | seeds (f32/bf16) | f32 mean (min–max) | bf16 mean (min–max) | bf16 − f32 |")
print("|---|---|---:|---:|---:|---:|")
for recipe in ("default", "default-2x768", "course"):
    for dataset in ("fashion_mnist", "mnist"):
        f32, bf16 = scores.get((recipe, dataset, "f32"), []), scores.get((recipe, dataset, "bf16"), [])
        if not f32 and not bf16:
            continue
        cell = lambda xs: f"{statistics.mean(xs):.2f} % ({min(xs):.2f}–{max(xs):.2f})" if xs else "–"
        gap = f"{statistics.mean(bf16) - statistics.mean(f32):+.2f} pt" if f32 and bf16 else "–"
        print(f"| {recipe} | {dataset} | {len(f32)}/{len(bf16)} | {cell(f32)} | {cell(bf16)} | {gap} |")
