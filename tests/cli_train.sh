#!/usr/bin/env bash
# End to end: train writes its four files, eval reads the model back, the same seed gives a
# bit-identical model, and `loss` agrees with itself through .npy files.
set -eu
LF=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

/usr/bin/python3 "$(dirname "$0")/blobs.py" "$T/blobs.csv" 300 5
DATA="csv:train=$T/blobs.csv,header=1"
run() { "$LF" train --data "$DATA" --model mlp:16 --optim "$1" --epochs 3 --batch 32 --seed 7 --threads 2 --val-split 0.2 --quiet --out "$2"; }
run adamw:lr=1e-2 "$T/a" >/dev/null
run adamw:lr=1e-2 "$T/b" >/dev/null
for f in metrics.jsonl model.safetensors curves.svg result.json; do test -s "$T/a/$f"; done
test "$(wc -l <"$T/a/metrics.jsonl")" -eq 3
cmp "$T/a/model.safetensors" "$T/b/model.safetensors"
grep -q '<svg' "$T/a/curves.svg"
/usr/bin/python3 -c 'import json, sys; [json.loads(l) for l in open(sys.argv[1])]; json.load(open(sys.argv[2]))' "$T/a/metrics.jsonl" "$T/a/result.json"
"$LF" eval --model-file "$T/a/model.safetensors" --data "$DATA" --split train | grep -q 'accuracy:'
run lion:lr=1e-3 "$T/c" >/dev/null
run sgd:lr=0.05,momentum=0.9,nesterov=1 "$T/d" >/dev/null
"$LF" list | grep -q 'adamw'
"$LF" papers | grep -q 'Lion'
for verb in train eval list papers loss repro; do "$LF" $verb --help >/dev/null; done
# A closed pipe on stdout and stderr (`train 2>&1 | head -1`) must not kill the run before it
# writes its model: the lost progress lines are no failure, the exit status stays 0. Once racing
# head, once with the pipe's reader closed before the run starts.
"$LF" train --data "$DATA" --model mlp:16 --epochs 30 --batch 8 --out "$T/pipe" 2>&1 | head -1 >/dev/null
test "${PIPESTATUS[0]}" -eq 0
test -s "$T/pipe/model.safetensors"
rm -rf "$T/pipe"
/usr/bin/python3 -c 'import os, subprocess, sys
r, w = os.pipe(); os.close(r)
sys.exit(subprocess.call(sys.argv[1:], stdout=w, stderr=w))' \
    "$LF" train --data "$DATA" --model mlp:16 --epochs 3 --batch 32 --out "$T/pipe"
test -s "$T/pipe/model.safetensors"
echo "cli_train: 1 passed, 0 failed"
