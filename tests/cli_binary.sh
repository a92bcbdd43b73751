#!/usr/bin/env bash
# Binary-score losses end to end: on two-class data lossforge train builds a one-output model
# (a score; class 1 where it is > 0), eval prints a 2x2 confusion matrix, EnsLoss runs are
# reproducible from the seed, and a binary loss on three classes is a clear error.
set -eu
LF=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
run() { "$LF" train --data "$1" --model mlp:16 --loss "$2" --optim adamw:lr=1e-2 --epochs 15 --batch 64 --seed 3 --threads 1 --val-split 0.25 --quiet --out "$3"; }
for loss in bce hinge focal anyloss:metric=bacc,L=10 ensloss:seed=4; do
    run breast-cancer "$loss" "$T/$loss" >/dev/null
    # validation accuracy after 15 epochs on breast cancer: well above the 63% majority rate
    acc=$(tail -1 "$T/$loss/metrics.jsonl" | sed 's/.*"val_acc":\([0-9.e+-]*\).*/\1/')
    awk -v a="$acc" 'BEGIN { exit !(a > 0.85) }' || { echo "FAIL: $loss val_acc $acc"; exit 1; }
done
"$LF" eval --model-file "$T/bce/model.safetensors" --data breast-cancer --split train >"$T/eval.txt"
grep -q 'accuracy:' "$T/eval.txt"
test "$(grep -cE '^ +[01] +[0-9]+ +[0-9]+$' "$T/eval.txt")" -eq 2 || { cat "$T/eval.txt"; exit 1; }
run breast-cancer ensloss:seed=4 "$T/again" >/dev/null
cmp "$T/ensloss:seed=4/model.safetensors" "$T/again/model.safetensors"
if "$LF" train --data iris --loss bce --epochs 1 --quiet 2>"$T/err.txt"; then echo "FAIL: bce on 3 classes"; exit 1; fi
grep -q 'pred must be n×1 scores' "$T/err.txt"
echo "cli_binary: ok"
