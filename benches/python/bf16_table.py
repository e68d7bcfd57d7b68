"""Reads the JSON lines of `COMPARE_RECIPES=bf16 benches/compare.sh` (stdin):
ffn f32, ffn bf16, PyTorch f32 and PyTorch bf16 autocast, run in turn for
several rounds, and prints per recipe the median seconds per epoch of each
(training plus one validation pass), the range over the rounds, and ffn's
ratios against PyTorch. A later key wins in a JSON object, so the recipe
that compare.sh appends names the row."""

import json
import statistics
import sys

rows = [json.loads(line) for line in sys.stdin if line.startswith("{")]
names = {"ffn-f32": "ffn f32", "ffn-bf16": "ffn bf16", "pytorch": "PyTorch f32", "pytorch-f32": "PyTorch f32",
         "pytorch-bf16": "PyTorch bf16"}
columns = ["ffn f32", "ffn bf16", "PyTorch f32", "PyTorch bf16"]
print("| recipe | " + " | ".join(f"{c} s/epoch" for c in columns)
      + " | ffn bf16 vs ffn f32 | ffn bf16 vs PyTorch bf16 | ffn f32 vs PyTorch f32 |")
print("|---|" + "---:|" * (len(columns) + 3))
for recipe in ("default", "course"):
    by = {}
    for r in rows:
        if r.get("recipe") == recipe and r.get("impl") in names:
            by.setdefault(names[r["impl"]], []).append(r["epoch_s"])
    if not by:
        continue
    median = {c: statistics.median(v) for c, v in by.items()}
    cell = lambda c: (f"{median[c]:.3f} ({min(by[c]):.3f}–{max(by[c]):.3f})" if c in by else "–")
    ratio = lambda a, b: f"{median[a] / median[b]:.2f}×" if a in median and b in median else "–"
    batch = 16 if recipe == "course" else 256
    print(f"| {recipe} (batch {batch}, {len(by.get('ffn bf16', []))} rounds) | "
          + " | ".join(cell(c) for c in columns)
          + f" | {ratio('ffn f32', 'ffn bf16')} | {ratio('PyTorch bf16', 'ffn bf16')} | {ratio('PyTorch f32', 'ffn f32')} |")
print("\nvalidation accuracy after the timed epochs (last round): " + ", ".join(
    f'{r.get("recipe")} {names[r["impl"]]} {100 * r["val_accuracy"]:.1f} %'
    for r in rows if r.get("impl") in names and r.get("round") == max(x.get("round", 0) for x in rows)))
