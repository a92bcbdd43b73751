#!/usr/bin/env bash
# End to end: an advcompsum-trained model and `eval --attack`: PGD accuracy printed next to the
# clean accuracy and not above it, bad attack specs rejected with their reason.
set -eu
LF=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

/usr/bin/python3 - "$T" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(1)
n, d = 300, 6
x = rng.normal(size=(n, d))
y = (x[:, 0] + x[:, 1] > 0).astype(int)
with open(sys.argv[1] + "/two.csv", "w") as f:
    for row, label in zip(x, y):
        f.write(",".join(f"{v:.6f}" for v in row) + f",{label}\n")
PY
DATA="csv:train=$T/two.csv"
"$LF" train --data "$DATA" --model mlp:16 --loss advcompsum:eps=0.3,steps=3,nu=0.3 --epochs 3 \
    --batch 32 --seed 2 --threads 2 --quiet --out "$T/a" >/dev/null
"$LF" eval --model-file "$T/a/model.safetensors" --data "$DATA" --split train \
    --attack pgd:eps=0.5,steps=5 >"$T/out"
clean=$(sed -n 's/^accuracy: \([0-9.]*\)%.*/\1/p' "$T/out")
adv=$(sed -n 's/^PGD accuracy: \([0-9.]*\)%.*/\1/p' "$T/out")
test -n "$clean" && test -n "$adv"
awk -v c="$clean" -v a="$adv" 'BEGIN { exit !(a <= c && a < c) }'
for bad in fgsm:eps=1 pgd:eps=-1 pgd:norm=l7 pgd:radius=2; do
    if "$LF" eval --model-file "$T/a/model.safetensors" --data "$DATA" --split train \
        --attack "$bad" 2>"$T/err" >/dev/null; then
        echo "FAIL: --attack $bad accepted"; exit 1
    fi
    grep -q 'attack' "$T/err"
done
echo "cli_adversarial: 1 passed, 0 failed"
