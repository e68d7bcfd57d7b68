#!/usr/bin/env python3
"""Means over seeds of a sweep's runs, grouped by the values that differ.

    python3 scripts/sweep_means.py SWEEP_DIR [SWEEP_DIR ...]

reads SWEEP_DIR/runs/*/{config.json,metrics.jsonl,summary.json} (an `ffn sweep`
output folder or its `--export` copy under results/) and prints, per data file
and per combination of the swept values other than `seed`, the mean final
val_accuracy and val_loss over the seeds (what the choice is made on), the
training rows and optimizer steps, the mean wall time, and the mean test
accuracy (shown, never used to choose). Standard library only.
"""

import json
import math
import statistics
import sys
from collections import defaultdict
from pathlib import Path


def runs(sweep):
    for run in sorted((sweep / "runs").iterdir()):
        try:
            config = json.loads((run / "config.json").read_text())
            summary = json.loads((run / "summary.json").read_text())
            last = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
        except (OSError, ValueError, IndexError):
            continue
        if summary.get("state") == "finished":
            yield config, summary, last, train_rows(run)


def train_rows(run):
    """The training rows from train.log's first line ("ffn train: run … | 1294 train / …"),
    or None (an --export copy has no logs)."""
    try:
        first = (run / "train.log").read_text().split("\n", 1)[0]
        return int(first.split(" | ")[1].split(" train")[0])
    except (OSError, IndexError, ValueError):
        return None


def main(sweeps):
    all_runs = [r for s in sweeps for r in runs(Path(s))]
    keys = sorted(k for k in all_runs[0][0] if k != "seed" and len({json.dumps(c.get(k)) for c, *_ in all_runs}) > 1)
    keys = [k for k in keys if k not in ("run_name", "output_dir", "data_defaults")]
    groups = defaultdict(list)
    for run in all_runs:
        groups[tuple(run[0].get(k) for k in keys)].append(run)
    print(" ".join(f"{k:>14}" for k in keys), "  rows  steps  seeds  val_acc  val_loss  test_acc  seconds")
    for group, members in sorted(groups.items(), key=lambda g: [v if isinstance(v, (int, float)) else str(v) for v in g[0]]):
        config = members[0][0]
        rows = members[0][3]
        steps = ""
        if rows:
            steps = config["epochs"] * math.ceil(rows / config["batch_size"])
        mean = lambda f: statistics.mean(f(m) for m in members)  # noqa: E731
        print(
            " ".join(f"{str(v)[-14:]:>14}" for v in group),
            f"{rows or '':>6} {steps:>6} {len(members):>6}",
            f"{100 * mean(lambda m: m[2]['val_accuracy']):7.2f}",
            f"{mean(lambda m: m[2]['val_loss']):9.4f}",
            f"{100 * mean(lambda m: m[1]['test_accuracy']):9.2f}",
            f"{mean(lambda m: m[1]['wall_seconds']):8.1f}",
        )


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
