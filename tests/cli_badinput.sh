#!/usr/bin/env bash
# Bad input reaches the user as one clear error line and a non-zero exit, never a crash.
# Usage: cli_badinput.sh /path/to/lossforge
set -u
LF=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0 passes=0

# expect CODE NEEDLE -- command...: exit status CODE and NEEDLE in stderr, no signal.
expect() {
    local code=$1 needle=$2
    shift 3
    "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ "$rc" -ne "$code" ] || ! grep -qF -- "$needle" "$T/err"; then
        echo "FAIL: $* -> exit $rc (want $code), stderr: $(cat "$T/err") (want \"$needle\")"
        fails=$((fails + 1))
    else
        passes=$((passes + 1))
    fi
}

printf 'a,b,label\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n' >"$T/ok.csv"
printf 'a,b,label\n1,2,0\n3,4\n' >"$T/ragged.csv"
printf 'a,b,label\n1,nan,0\n3,4,1\n' >"$T/nan.csv"
printf 'a,b,label\n1,x2,0\n3,4,1\n' >"$T/text.csv"
printf '1 1:0.5 2:1\n0 3:x\n' >"$T/bad.svm"
mkdir "$T/fm"
printf '\x00\x00\x08\x03\x00\x00' >"$T/fm/train-images-idx3-ubyte"
printf '\x00\x00\x08\x01\x00\x00\x00\x01\x05' >"$T/fm/train-labels-idx1-ubyte"
cp "$T/fm/train-images-idx3-ubyte" "$T/fm/t10k-images-idx3-ubyte"
cp "$T/fm/train-labels-idx1-ubyte" "$T/fm/t10k-labels-idx1-ubyte"
head -c 100 /dev/urandom >"$T/junk.npy"

expect 2 'unknown verb' -- "$LF" frobnicate
expect 2 'unknown option' -- "$LF" train --nope 1
expect 2 'not a valid integer' -- "$LF" train --epochs five
expect 1 'known losses' -- "$LF" train --data "csv:train=$T/ok.csv,header=1" --loss nosuchloss
expect 1 'known optimizers' -- "$LF" train --data "csv:train=$T/ok.csv,header=1" --optim adamx
expect 1 'parameter "b1" must be in [0, 1)' -- "$LF" train --data "csv:train=$T/ok.csv,header=1" --optim lion:b1=1.5
expect 1 'unknown parameter "beta1"' -- "$LF" train --data "csv:train=$T/ok.csv,header=1" --optim lion:beta1=0.9
expect 1 "$T/ragged.csv:3" -- "$LF" train --data "csv:train=$T/ragged.csv,header=1"
expect 1 "$T/nan.csv:2" -- "$LF" train --data "csv:train=$T/nan.csv,header=1"
expect 1 "$T/text.csv:2" -- "$LF" train --data "csv:train=$T/text.csv,header=1"
expect 1 "$T/bad.svm:2" -- "$LF" train --data "libsvm:train=$T/bad.svm"
expect 1 "$T/junk.npy" -- "$LF" loss --loss ce --pred "$T/junk.npy"
expect 1 "$T/missing.csv" -- "$LF" train --data "csv:train=$T/missing.csv"
expect 1 'dataset-fashion-mnist' -- "$LF" train --data fashion-mnist:dir=$T/nowhere
expect 1 'train-images-idx3-ubyte' -- "$LF" train --data "fashion-mnist:dir=$T/fm"
expect 1 'cannot' -- "$LF" train --data "csv:train=$T/ok.csv,header=1" --epochs 1 --out /proc/nope/run
expect 1 "$T/none.safetensors" -- "$LF" eval --model-file "$T/none.safetensors"
expect 1 "$T/junk.npy" -- "$LF" eval --model-file "$T/junk.npy"

# Labels out of range for the loss: 3 classes of logits, a label of 7.
/usr/bin/python3 - "$T" <<'PY' 2>/dev/null || printf 'skip: no numpy for the label test\n'
import sys, numpy as np
d = sys.argv[1]
np.save(d + "/p.npy", np.zeros((2, 3), np.float32))
np.save(d + "/y.npy", np.array([0, 7], np.int32))
PY
if [ -f "$T/p.npy" ]; then
    expect 1 'label 7' -- "$LF" loss --loss ce --pred "$T/p.npy" --label "$T/y.npy"
fi

echo "cli_badinput: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
