#!/usr/bin/env bash
# train --label-noise corrupts the training split only: with every training label pair-flipped
# on an easy two-class problem, the model learns the swapped classes, so the clean test split
# scores near 0% (a corrupted test split would score near 100%). Bad specs name what is wrong.
set -eu
LF=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

/usr/bin/python3 - "$T" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(1)
for name, n in (("train", 400), ("test", 200)):
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 3)) + 4.0 * y[:, None]
    with open(f"{sys.argv[1]}/{name}.csv", "w") as f:
        for row, label in zip(x, y):
            f.write(",".join(f"{v:.5f}" for v in row) + f",{label}\n")
PY
DATA="csv:train=$T/train.csv,test=$T/test.csv,header=0"
run() { "$LF" train --data "$DATA" --model mlp:8 --optim adamw:lr=1e-2 --epochs 5 --batch 32 --seed 3 --threads 2 --quiet --out "$T/run" --force "$@"; }
acc() { sed -n 's/^test accuracy: \([0-9.]*\)%.*/\1/p' "$1"; }

run >"$T/clean.log" 2>&1
run --label-noise pair:1 >"$T/flip.log" 2>&1
grep -q 'label noise pair:1: 400 of 400 training labels changed' "$T/flip.log"
awk -v a="$(acc "$T/clean.log")" -v b="$(acc "$T/flip.log")" 'BEGIN { exit !(a > 95 && b < 5) }' ||
    { echo "FAIL: clean $(acc "$T/clean.log")%, all flipped $(acc "$T/flip.log")%"; exit 1; }
run --label-noise sym:0.25 2>&1 | grep -q '100 of 400 training labels changed'

if run --label-noise sym:1.5 >"$T/bad.log" 2>&1; then echo "FAIL: sym:1.5 accepted"; exit 1; fi
grep -q 'rate must be a number in \[0, 1\]' "$T/bad.log"
if run --label-noise flip:0.2 >"$T/bad.log" 2>&1; then echo "FAIL: flip:0.2 accepted"; exit 1; fi
grep -q 'unknown kind "flip"' "$T/bad.log"
echo "cli_noise: 1 passed, 0 failed"
