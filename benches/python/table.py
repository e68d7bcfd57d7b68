"""Reads the JSON lines of bench-epoch and the two Python benchmarks (stdin)
and prints the comparison table: seconds per epoch (median; training plus
one validation pass) and how many times faster ffn is."""

import json
import sys

rows = [json.loads(line) for line in sys.stdin if line.startswith("{")]
epochs = [r for r in rows if "epoch_s" in r]
gemm = [r for r in rows if r.get("impl") == "ffn-gemm"]


def label(r):
    return r["impl"] if r["impl"] == "numpy" and r.get("threads", 1) == 1 else f'{r["impl"]} {r.get("threads", "")}t'


columns = []
for r in epochs:
    if label(r) not in columns:
        columns.append(label(r))
by = {(label(r), r["batch"]): r for r in epochs}
batches = sorted({r["batch"] for r in epochs})

# Ratios use ffn as it runs by default (all cores: the last ffn run).
main_ffn = [c for c in columns if c.startswith("ffn")][-1:]
print("| batch | " + " | ".join(f"{c} s/epoch" for c in columns) + f" | {''.join(main_ffn)} vs NumPy | vs PyTorch (best) |")
print("|---:|" + "---:|" * len(columns) + "---:|---:|")
for batch in batches:
    cells = [f'{by[(c, batch)]["epoch_s"]:.3f}' if (c, batch) in by else "–" for c in columns]
    ffn = [by[(c, batch)]["epoch_s"] for c in main_ffn if (c, batch) in by]
    numpy = [by[(c, batch)]["epoch_s"] for c in columns if c.startswith("numpy") and (c, batch) in by]
    torch = [by[(c, batch)]["epoch_s"] for c in columns if c.startswith("pytorch") and (c, batch) in by]
    best = min(ffn) if ffn else None
    vs_numpy = f"{min(numpy) / best:.1f}×" if best and numpy else "–"
    vs_torch = f"{min(torch) / best:.1f}×" if best and torch else "–"
    print(f"| {batch} | " + " | ".join(cells) + f" | {vs_numpy} | {vs_torch} |")
print()
print("validation accuracy after the timed epochs: " + ", ".join(
    f'{label(r)} b{r["batch"]} {100 * r["val_accuracy"]:.1f} %' for r in epochs))
for g in gemm:
    ceiling = g["all_cores_gflops"]
    line = (f'\nGEMMs of one batch-{g["batch"]} step: 1 core {g["one_core_gflops"]:.1f} GFLOP/s, '
            f'{g["cores"]} cores independently {ceiling:.1f} GFLOP/s (ceiling), '
            f'split as ffn trains {g["split_gflops"]:.1f} GFLOP/s ({100 * g["split_gflops"] / ceiling:.0f} %)')
    if g.get("step_gflops"):
        line += f', whole step {g["step_gflops"]:.1f} GFLOP/s ({100 * g["step_gflops"] / ceiling:.0f} %)'
    print(line)
