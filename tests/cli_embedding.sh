#!/usr/bin/env bash
# lossforge train --embedding: trains on some classes, scores retrieval on the others, writes its
# model file; the same seed gives the same model; bad options exit 2 / 1.
set -eu
LF=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

/usr/bin/python3 - "$T" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(0)
centres = rng.normal(size=(6, 12)) * 1.5
for split, n in (("train", 600), ("test", 300)):
    y = np.arange(n) % 6
    x = (centres[y] + rng.normal(size=(n, 12))).astype(np.float32)
    np.save(f"{sys.argv[1]}/{split}_x.npy", x)
    np.save(f"{sys.argv[1]}/{split}_y.npy", y.astype(np.int32))
PY
DATA="npy:x=$T/train_x.npy,y=$T/train_y.npy,test_x=$T/test_x.npy,test_y=$T/test_y.npy"
run() {
    "$LF" train --embedding --data "$DATA" --model mlp:32 --dim 8 --pk 3x6 --train-classes 0,1,2 \
        --loss ms:lambda=0.5 --miner ms-miner:eps=0.1 --steps 60 --seed 3 --threads 1 --quiet \
        --out "$1"
}
run "$T/a" >"$T/a.log"
run "$T/b" >/dev/null
grep -q "retrieval on 150 test images of the held-out classes (cosine): R@1" "$T/a.log"
test -s "$T/a/model.safetensors"
cmp "$T/a/model.safetensors" "$T/b/model.safetensors"
"$LF" train --embedding --data "$DATA" --model mlp:16 --dim 4 --pk 6x4 --loss triplet:mining=batch-hard \
    --steps 20 --quiet --out "$T/c" | grep -q "retrieval on 300 test images of all classes"
"$LF" train --help | grep -q -- "--embedding"
"$LF" train --embedding --help | grep -q -- "--pk"

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
expect 2 "$LF" train --embedding --data "$DATA" --pk 3
expect 2 "$LF" train --embedding --data "$DATA" --train-classes 0,x
expect 2 "$LF" train --embedding --data "$DATA" --bogus 1
expect 1 "$LF" train --embedding --data "$DATA" --miner nope --steps 5 --quiet --out "$T/d"
grep -q 'unknown miner "nope"' "$T/err"
expect 1 "$LF" train --embedding --data "$DATA" --pk 7x4 --steps 5 --quiet --out "$T/e"
grep -q "P×K batch 7×4" "$T/err"
echo "cli_embedding: ok"
