"""Writes blobs.csv for the command-line tests: N rows of D Gaussian features (seed 0), header
f0..f{D-1},label, label = [x0 + x1/2 > 0] + [x2 > 1] (three classes).
Usage: /usr/bin/python3 tests/blobs.py OUT.csv N D"""
import sys

import numpy as np

out, n, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
x = rng.normal(size=(n, d))
y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int) + (x[:, 2] > 1)
with open(out, "w") as f:
    f.write(",".join(f"f{i}" for i in range(d)) + ",label\n")
    for row, label in zip(x, y):
        f.write(",".join(f"{v:.6f}" for v in row) + f",{label}\n")
