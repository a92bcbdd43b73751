#!/usr/bin/env bash
# lossforge train --ensemble: SGLD and deep ensembles print and write their metrics, an sgld
# optimizer gets n_data from the training set, and bad ensemble options fail with the reason.
set -eu
LF=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

/usr/bin/python3 - "$T" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(3)
for name, n in (("train", 400), ("test", 200)):
    y = rng.integers(0, 3, n)
    x = rng.normal(size=(n, 4))
    x[np.arange(n), y] += 1.5
    with open(f"{sys.argv[1]}/{name}.csv", "w") as f:
        for row, label in zip(x, y):
            f.write(",".join(f"{v:.6f}" for v in row) + f",{label}\n")
PY
DATA="csv:train=$T/train.csv,test=$T/test.csv"
common=(--data "$DATA" --model mlp:8 --batch 32 --threads 2 --quiet)

"$LF" train "${common[@]}" --optim sgld:lr=5e-4 --epochs 5 --ensemble 3 --out "$T/s" >"$T/s.log"
grep -q 'ensemble of 3 (sgld):' "$T/s.log"
grep -q 'n_data=400' "$T/s/ensemble.json"
for j in 1 2 3; do test -s "$T/s/sample-$j.safetensors"; done
grep -q '"burn_in":2' "$T/s/ensemble.json"

"$LF" train "${common[@]}" --optim sgd:lr=0.1 --epochs 2 --ensemble 2 --ensemble-kind deep \
    --out "$T/d" >"$T/d.log"
grep -q 'single (first member):' "$T/d.log"
test -s "$T/d/member-1/model.safetensors"
grep -q '"kind":"deep"' "$T/d/ensemble.json"

# A plain (non-ensemble) run with sgld gets n_data too.
"$LF" train "${common[@]}" --optim sgld:lr=5e-4 --epochs 1 --out "$T/p" >/dev/null
grep -q 'n_data=400' "$T/p/result.json"

set +e
"$LF" train "${common[@]}" --epochs 5 --ensemble 3 --ensemble-kind bagging --out "$T/x" 2>"$T/e1"
rc1=$?
"$LF" train "${common[@]}" --optim sgld:lr=5e-4 --epochs 5 --ensemble 3 --burn-in 1 --out "$T/x" 2>"$T/e2"
rc2=$?
set -e
test "$rc1" -eq 2 && grep -q 'sgld or deep' "$T/e1"
test "$rc2" -eq 1 && grep -q -- '--epochs' "$T/e2"
echo "cli_ensemble: 1 passed, 0 failed"
