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
/usr/bin/python3 - <<'PY'
import numpy as np
rng = np.random.default_rng(0)
x = rng.normal(size=(300, 6)).astype(np.float32)
y = ((x[:, 0] + x[:, 1] > 0).astype(int) + (x[:, 2] > 1)).astype(np.int32)
with open("blobs.csv", "w") as f:
    f.write("a,b,c,d,e,f,label\n")
    for row, label in zip(x, y):
        f.write(",".join(f"{v:.5f}" for v in row) + f",{label}\n")
np.save("pred.npy", x[:, :3].copy())
np.save("label.npy", y)
PY
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
