#!/usr/bin/env bash
# lossforge train --episodic: meta-trains on some classes, reports few-shot accuracy with a 95%
# CI on the others, writes its model file (the same seed gives the same model); lossforge eval
# --episodic scores a saved model; bad options exit 2 / 1.
set -eu
LF=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

/usr/bin/python3 - "$T" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(1)
centres = rng.normal(size=(6, 12)) * 1.5
for split, n in (("train", 600), ("test", 300)):
    y = np.arange(n) % 6
    x = (centres[y] + rng.normal(size=(n, 12))).astype(np.float32)
    np.save(f"{sys.argv[1]}/{split}_x.npy", x)
    np.save(f"{sys.argv[1]}/{split}_y.npy", y.astype(np.int32))
PY
DATA="npy:x=$T/train_x.npy,y=$T/train_y.npy,test_x=$T/test_x.npy,test_y=$T/test_y.npy"
run() {
    "$LF" train --episodic 3way2shot:q=4 --data "$DATA" --model mlp:32 --dim 8 --loss icnn:ce=1 \
        --steps 40 --episodes 50 --seed 3 --threads 1 --quiet --out "$1"
}
run "$T/a" >"$T/a.log"
run "$T/b" >/dev/null
grep -q "3-way 2-shot accuracy (4 queries per class) on classes 3,4,5 of .*: .*% ± .*% (95% CI, 50 episodes)" "$T/a.log"
test -s "$T/a/model.safetensors"
cmp "$T/a/model.safetensors" "$T/b/model.safetensors"
"$LF" eval --model-file "$T/a/model.safetensors" --data "$DATA" --episodic 3way1shot \
    --episodes 20 --classes 3,4,5 | grep -q "3-way 1-shot accuracy (15 queries per class) on classes 3,4,5"
"$LF" train --episodic=2way1shot --data "$DATA" --model mlp:16 --dim 4 --train-classes 0,1,2,3 \
    --steps 10 --episodes 10 --quiet --out "$T/c" | grep -q "on classes 4,5 of"
"$LF" train --help | grep -q -- "--episodic"
"$LF" train --episodic 5way1shot --help | grep -q -- "--train-classes"

expect() { # expected exit status, then the command
    local want=$1
    shift
    set +e
    "$@" >/dev/null 2>"$T/err"
    local got=$?
    set -e
    if [ "$got" -ne "$want" ]; then
        echo "FAIL: exit $got, want $want: $*"; cat "$T/err"; exit 1
    fi
}
expect 2 "$LF" train --episodic 5way --data "$DATA"
grep -q "NwayKshot" "$T/err"
expect 2 "$LF" train --episodic 3way1shot --data "$DATA" --train-classes 0,x
expect 2 "$LF" train --episodic 3way1shot --data "$DATA" --episodes 0
expect 1 "$LF" train --episodic 4way1shot --data "$DATA" --steps 5 --quiet --out "$T/d"
grep -q "needs a labelled test split with 4 classes outside the training classes (it has 3)" "$T/err"
expect 1 "$LF" eval --model-file "$T/a/model.safetensors" --data "$DATA" --episodic 4way1shot \
    --classes 3,4,5
grep -q "4-way episodes need 4 classes" "$T/err"
expect 2 "$LF" eval --model-file "$T/a/model.safetensors" --data "$DATA" --episodic 3way1shot \
    --classes 3,y
echo "cli_fewshot: ok"
