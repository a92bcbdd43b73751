#!/usr/bin/env bash
# The training path under valgrind memcheck: a fresh run with checkpoints and dropout, a resume
# from its last checkpoint, eval of the checkpoint and the loss verb; every run must report zero
# errors and zero definite, indirect or possible leaks (tests/valgrind.supp lists the library
# allocations excused, with reasons). Not a ctest: valgrind makes it ~1 min. Run by .ci/run.
# Usage: tests/valgrind.sh /path/to/lossforge
set -eu
LF=$1
SUPP="$(cd "$(dirname "$0")" && pwd)/valgrind.supp"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
/usr/bin/python3 "$(dirname "$SUPP")/blobs.py" blobs.csv 300 6
/usr/bin/python3 -c 'import numpy as np
np.save("pred.npy", np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32))
np.save("label.npy", (np.arange(50) % 3).astype(np.int32))'
VG=(valgrind -q --error-exitcode=9 --leak-check=full --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect,possible --suppressions="$SUPP")
DATA="csv:train=blobs.csv,header=1"
runs=0
# vg WANT args...: lossforge exits WANT (0, or 1 for a run that must fail cleanly); valgrind's
# own findings exit 9.
vg() {
    local want=$1 rc=0
    shift
    "${VG[@]}" "$LF" "$@" >/dev/null 2>vg.err || rc=$?
    if [ "$rc" -ne "$want" ]; then
        cat vg.err
        echo "valgrind: FAIL (exit $rc, want $want): lossforge $*"
        exit 1
    fi
    runs=$((runs + 1))
}
vg 0 train --data "$DATA" --model mlp:128,64,dropout=0.1 --optim adamw:lr=1e-2 --schedule cosine \
    --epochs 2 --batch 64 --val-split 0.2 --threads 2 --quiet --out run --checkpoint-every 3
vg 0 train --resume run --quiet
vg 0 eval --model-file run/checkpoint.safetensors --data "$DATA" --split train
vg 0 loss --loss ce:smoothing=0.1 --pred pred.npy --label label.npy --grad-out grad.npy
vg 1 train --data "$DATA" --model mlp:8 --optim sgd:lr=1e30 --epochs 1 --quiet --out nan
echo "valgrind: $runs runs, 0 errors, 0 leaks"
