"""Reads the JSON lines of `ffn bench-epoch`, `train` and the Python benchmarks
(stdin) and prints the comparison tables: seconds per epoch (median;
training plus one validation pass) and how many times faster ffn is, for
the course configuration (batch 16/64/256) and for the default recipe."""

import json
import sys

rows = [json.loads(line) for line in sys.stdin if line.startswith("{")]
recipe_rows = [r for r in rows if r.get("recipe") == "default"]
epochs = [r for r in rows if "epoch_s" in r and r.get("recipe", "course") == "course"]
gemm = [r for r in rows if r.get("impl") == "ffn-gemm"]


def label(r):
    return r["impl"] if r["impl"] == "numpy" and r.get("threads", 1) == 1 else f'{r["impl"]} {r.get("threads", "")}t'


# The course configuration's table (`ffn bench-epoch` and the Python references).
if epochs:
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


def default_recipe(rows):
    """ffn (f32; bf16 once wired) beside PyTorch f32 and bf16 autocast."""
    if not rows:
        return
    label = lambda r: f'{r["impl"]} {r["threads"]}t'
    by = {label(r): r for r in rows}
    wanted = [f"{impl} {t}t" for impl in ("ffn-f32", "ffn-bf16", "pytorch-f32", "pytorch-bf16") for t in (1, 2)]
    columns = [c for c in wanted if c in by or c.startswith("ffn-bf16")]
    best = lambda prefix: min((by[c]["epoch_s"] for c in by if c.startswith(prefix)), default=None)
    ffn = min(x for x in (best("ffn-f32"), best("ffn-bf16")) if x is not None) if best("ffn") else None
    ratio = lambda other: f"{other / ffn:.2f}×" if ffn and other else "–"
    print("\n2×768 recipe (ReLU, dropout 0.2, label smoothing 0.1, adam, batch 256), s/epoch:\n")
    print("| " + " | ".join(columns) + " | ffn best vs PyTorch f32 | vs PyTorch bf16 |")
    print("|" + "---:|" * (len(columns) + 2))
    cells = [f'{by[c]["epoch_s"]:.3f}' if c in by else "–" for c in columns]
    print("| " + " | ".join(cells) + f' | {ratio(best("pytorch-f32"))} | {ratio(best("pytorch-bf16"))} |')
    print("\nvalidation accuracy after the timed epochs: " + ", ".join(
        f'{label(r)} {100 * r["val_accuracy"]:.1f} %' for r in rows))


default_recipe(recipe_rows)
