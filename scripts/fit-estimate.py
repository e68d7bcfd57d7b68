#!/usr/bin/env python3
"""Fits `ffn export`'s footprint estimate (trainer/src/export/estimate.rs) to the rows that
infer-embedded/firmware/estimate-data.sh printed, and prints the coefficient table in Rust
and each row's error. Per core and element type:
  flash        = firmware + model file bytes                    (firmware: least largest error, per input type)
  RAM          = firmware + scratch + one sample (input bytes)  (firmware: least largest error, per input type)
  instructions = c + per_mac * MACs + per_output * outputs + per_layer * layers
                 + per_input[input stage] * inputs              (least squares)
The input stage: the rows' u8 inputs are all read directly (images only divided by 255), their f32
inputs all go through the affine stage (int8 models always; f32 models when standardised);
estimate.rs keys the per-input cost, the firmware flash and RAM by that stage.
Usage: scripts/fit-estimate.py ROWS.txt…"""
import sys

CORE = {"microbit": "Cortex-M0", "lm3s6965evb": "Cortex-M3", "mps2-an386": "Cortex-M4F", "mps2-an500": "Cortex-M7",
        "mps2-an505": "Cortex-M33", "mps3-an547": "Cortex-M55"}
ORDER = list(CORE)
SIZE = {"u8": 1, "i8": 1, "i16": 2, "f32": 4}
INPUTS = ["u8", "f32"]


def solve(a, b):
    """Least squares of the relative error (each row divided by its measurement, so a
    2,000-instruction model counts as much as a million-instruction one), by the normal
    equations (the few columns are well scaled below)."""
    a = [[x / y for x in r] for r, y in zip(a, b)]
    b = [1.0 for _ in b]
    n = len(a[0])
    m = [[sum(r[i] * r[j] for r in a) for j in range(n)] + [sum(r[i] * y for r, y in zip(a, b))] for i in range(n)]
    diagonal = [m[i][i] for i in range(n)]
    for i in range(n):
        p = max(range(i, n), key=lambda k: abs(m[k][i]))
        m[i], m[p] = m[p], m[i]
        if abs(m[i][i]) < 1e-9 * diagonal[i]:
            sys.exit(f"column {i} cannot be fitted from these rows (add shapes that vary it)")
        for k in range(n):
            if k != i:
                f = m[k][i] / m[i][i]
                m[k] = [x - f * y for x, y in zip(m[k], m[i])]
    return [m[i][n] / m[i][i] for i in range(n)]


def minimax(rests):
    """The fixed part that keeps the largest relative error over the rows smallest:
    `rests` holds (measured - the model's own part, measured)."""
    lo, hi = min(r for r, _ in rests), max(r for r, _ in rests)
    return min(range(lo, hi + 1), key=lambda b: max(abs(b - r) / m for r, m in rests))


rows = []
for path in sys.argv[1:]:
    for line in open(path):
        w = line.split()
        if len(w) != 10 or w[0] == "board":
            continue
        sizes = [int(s) for s in w[3].split("-")]
        rows.append(dict(board=w[0], elem=w[1], input=w[2], sizes=sizes, model=int(w[4]), scratch=int(w[5]),
                         flash=int(w[6]), ram=int(w[7]) + int(w[8]), instr=int(w[9])))

for r in rows:
    s = r["sizes"]
    r["macs"] = sum(a * b for a, b in zip(s, s[1:]))
    r["x"] = [1.0, r["macs"] / 1e3, sum(s[1:]) / 1e2, float(len(s) - 1)] + \
        [s[0] / 1e2 if r["input"] == t else 0.0 for t in INPUTS]
    r["ram_rest"] = r["ram"] - r["scratch"] - s[0] * SIZE[r["input"]]

print("    // board, core, element, firmware flash and RAM (direct input stage, affine),")
print("    // instructions: constant, per MAC, per output, per layer, per direct input, per affine input")
groups = sorted({(r["board"], r["elem"]) for r in rows}, key=lambda g: (g[1] != "int8", ORDER.index(g[0])))
for board, elem in groups:
    g = [r for r in rows if r["board"] == board and r["elem"] == elem]
    used = [i for i in range(len(g[0]["x"])) if any(r["x"][i] for r in g)]
    coef = solve([[r["x"][i] for i in used] for r in g], [r["instr"] for r in g])
    full = [0.0] * len(g[0]["x"])
    for i, c in zip(used, coef):
        full[i] = c
    scale = [1, 1e3, 1e2, 1, 1e2, 1e2]
    c = [f / s for f, s in zip(full, scale)]
    flash, ram = {}, {}
    for t in INPUTS:
        gt = [r for r in g if r["input"] == t] or g
        flash[t] = minimax([(r["flash"] - r["model"], r["flash"]) for r in gt])
        ram[t] = minimax([(r["ram_rest"], r["ram"]) for r in gt])
    element = {"int8": "Int8", "f32": "F32"}[elem]
    print(f'    costs("{board}", "{CORE[board]}", {element}, [{flash["u8"]}, {flash["f32"]}], [{ram["u8"]}, {ram["f32"]}],\n'
          f'        [{", ".join(f"{x:.4f}" for x in c)}]),')
    for r in g:
        pi = sum(a * b for a, b in zip(full, r["x"]))
        pf = flash[r["input"]] + r["model"]
        pr = ram[r["input"]] + r["scratch"] + r["sizes"][0] * SIZE[r["input"]]
        print(f'    // {r["input"]:>3} {"-".join(map(str, r["sizes"])):<22} instr {r["instr"]:>9} {100 * (pi / r["instr"] - 1):+6.2f} %'
              f'  flash {r["flash"]:>8} {100 * (pf / r["flash"] - 1):+6.2f} %  RAM {r["ram"]:>6} {100 * (pr / r["ram"] - 1):+6.2f} %',
              file=sys.stderr)
