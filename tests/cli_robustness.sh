#!/usr/bin/env bash
# Bad input of every kind, through the command line: each case must exit with its status and
# print one "lossforge: error:" line holding its needle, never crash. The cases' messages make
# the table in docs/robustness.md; by default the script checks that the committed table is what
# the binary prints now, with --write it rewrites the table.
# Usage: cli_robustness.sh /path/to/lossforge [--write]
set -u
LF=$1
MODE=${2:-check}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DOC="$ROOT/docs/robustness.md"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fails=0
ROWS="$T/rows.md"
: >"$ROWS"

# case KIND INPUT CODE NEEDLE -- command...: runs the command (in $T, so paths are relative),
# checks the exit status and that stderr holds NEEDLE (an empty NEEDLE: any stderr), and adds a
# table row.
case_() {
    local kind=$1 input=$2 code=$3 needle=$4
    shift 5
    "$@" >out.txt 2>err.txt
    local rc=$?
    local msg
    # Lists of registered names, parameter keys and checksums change as methods are added or
    # numerics change; the table keeps the message's shape without them.
    msg=$(grep -m1 -E 'error' err.txt | sed -E -e "s|$T/||g" -e 's/\|/\\|/g' \
        -e 's/(known [a-z ]+): .*/\1: .../' -e 's/(; valid): .*/\1: .../' \
        -e 's/(crc32) "[0-9a-f]{8}" stored, [0-9a-f]{8}/\1 "..." stored, .../' \
        -e 's/CRC [0-9a-f]{8}/CRC .../g')
    [ -n "$msg" ] || msg="(nothing)"
    if [ "$rc" -ne "$code" ] || { [ -n "$needle" ] && ! grep -qF -- "$needle" err.txt; }; then
        echo "FAIL: $kind / $input: exit $rc (want $code), stderr: $(head -c 400 err.txt) (want \"$needle\")"
        fails=$((fails + 1))
    fi
    printf '| %s | %s | %s | `%s` |\n' "$kind" "$input" "$rc" "$msg" >>"$ROWS"
}

# ------------------------------------------------------------------ inputs
printf 'a,b,label\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n' >ok.csv
printf 'a,b,label\n1,2,0\n3,4\n' >ragged.csv
printf 'a,b,label\n1,2,0\n3,x4,1\n' >text.csv
printf 'a,b,label\n1,nan,0\n3,4,1\n' >nan.csv
printf 'a,b,label\n1,2,0\n3,1e999,1\n' >inf.csv
printf 'a,b,label\n1,,0\n3,4,1\n' >empty_field.csv
printf 'a,b,label\n1,2,0.5\n3,4,1\n' >label.csv
printf 'a,b,label\n' >no_rows.csv
printf 'a,b,label\n1,2,3\n3,4,3\n5,6,3\n' >one_class.csv
{ printf '%*s\n' 100000 '' | tr ' ' ','; for i in $(seq 1000); do echo 1; done; } >wide.csv
printf '1 1:0.5 2:1\n0 3:x\n' >token.svm
printf '1 3:0.5 2:1\n' >order.svm
printf '1 1:0.5 9:1\n' >index.svm
printf '1 1:inf\n' >inf.svm
printf '1 1:0.5 99999999999:1\n' >huge_index.svm
printf '0 385054554:0.02\n' >wide.svm
printf '1 1:0.5 2:1\n' >tiny.svm
head -c 100 /dev/zero | tr '\0' 'x' >junk.npy
/usr/bin/python3 - <<'PY' || exit 1
import struct, gzip, numpy as np
def npy(path, descr, shape, data=b"", hlen=None):
    head = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    head += " " * (63 - (10 + len(head)) % 64) + "\n"
    n = len(head) if hlen is None else hlen
    open(path, "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", n) + head.encode() + data)
npy("overflow.npy", "<f4", "(4611686018427387904, 4)")
npy("short.npy", "<f4", "(10, 4)", b"\0" * 12)
npy("hlen.npy", "<f4", "(1,)", b"\0" * 4, hlen=60000)
npy("f16.npy", "<f2", "(2,)", b"\0" * 4)
x = np.ones((4, 3), np.float32); x[2, 1] = np.nan
np.save("nan_x.npy", x)
np.save("y.npy", np.array([0, 1, 0, 1], np.int32))
np.save("neg_y.npy", np.array([0, -3, 0, 1], np.int64))
np.save("ok_x.npy", np.ones((4, 3), np.float32))
p = np.zeros((3, 4), np.float32); p[1, 2] = np.inf
np.save("inf_pred.npy", p)
np.save("pred.npy", np.zeros((3, 4), np.float32))
np.save("y3.npy", np.array([0, 1, 2], np.int32))
np.save("frac_y.npy", np.array([0, 1.5, 2]))
np.save("huge_y.npy", np.array([0, 1, 100000000, 1], np.int64))
np.save("max_y.npy", np.array([0, 2147483647, 0, 1], np.int32))
np.save("empty_x.npy", np.ones((0, 3), np.float32))
np.save("empty_y.npy", np.zeros((0,), np.int32))
def idx(path, magic, dims, body):
    open(path, "wb").write(struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + body)
import os
for d in ("magic", "huge", "over", "count", "gz"):
    os.makedirs("fm_" + d, exist_ok=True)
    idx("fm_%s/t10k-images-idx3-ubyte" % d, 0x803, (2, 2, 2), bytes(8))
    idx("fm_%s/t10k-labels-idx1-ubyte" % d, 0x801, (2,), bytes(2))
    idx("fm_%s/train-labels-idx1-ubyte" % d, 0x801, (2,), bytes(2))
idx("fm_magic/train-images-idx3-ubyte", 0x903, (2, 2, 2), bytes(8))
idx("fm_huge/train-images-idx3-ubyte", 0x803, (1 << 31, 28, 28), bytes(64))
idx("fm_over/train-images-idx3-ubyte", 0x803, (0xffffffff, 0xffffffff, 0xffffffff), bytes(64))
idx("fm_count/train-images-idx3-ubyte", 0x803, (3, 2, 2), bytes(12))
body = gzip.compress(struct.pack(">IIII", 0x803, 2, 2, 2) + bytes(8))
open("fm_gz/train-images-idx3-ubyte.gz", "wb").write(body[:-7])
PY
DATA="csv:train=ok.csv,header=1"
"$LF" train --data "$DATA" --model mlp:4 --epochs 2 --batch 2 --quiet --out run \
    --checkpoint-every 1 >/dev/null || exit 1
cp run/model.safetensors model.safetensors
st() { # st FILE JSON [DATA_BYTES]: a safetensors file with this header
    /usr/bin/python3 -c 'import sys, struct; h = sys.argv[2].encode(); n = int(sys.argv[3])
open(sys.argv[1], "wb").write(struct.pack("<Q", len(h)) + h + bytes(n))' "$1" "$2" "${3:-0}"
}
st overlap.safetensors '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}' 8
st nometa.safetensors '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}' 4
printf '\xff\xff\xff\xff\x00\x00\x00\x00{}' >hlen.safetensors
head -c $(($(stat -c %s model.safetensors) - 5)) model.safetensors >truncated.safetensors
/usr/bin/python3 - <<'PY' || exit 1
import json, struct
raw = open("model.safetensors", "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
h = json.loads(raw[8:8 + n])
h["__metadata__"]["model"] = "mlp:1048576,1048576"
t = json.dumps(h, separators=(",", ":")).encode()
t += b" " * (-len(t) % 8)
open("greedy.safetensors", "wb").write(struct.pack("<Q", len(t)) + t + raw[8 + n:])
PY
mkdir -p flip torn meta other
cp run/checkpoint.safetensors flip/ && cp run/checkpoint.safetensors torn/ && cp run/checkpoint.safetensors meta/
printf '\x01' | dd of=flip/checkpoint.safetensors bs=1 seek=$(($(stat -c %s flip/checkpoint.safetensors) - 3)) conv=notrunc 2>/dev/null
truncate -s -100 torn/checkpoint.safetensors
sed -i 's/"epochs":"2"/"epochs":"3"/' meta/checkpoint.safetensors
cp run/checkpoint.safetensors other/
printf 'a,b,label\n1,2,0\n3,4,1\n5,6,0\n7,9,1\n' >other.csv

# ------------------------------------------------------------------ cases
T1="train --quiet --out out --epochs 1"
case_ "CSV" "ragged row" 1 "ragged.csv:3" -- "$LF" $T1 --data "csv:train=ragged.csv,header=1"
case_ "CSV" "text in a numeric field" 1 "text.csv:3:2" -- "$LF" $T1 --data "csv:train=text.csv,header=1"
case_ "CSV" "NaN feature" 1 "nan.csv:2:2" -- "$LF" $T1 --data "csv:train=nan.csv,header=1"
case_ "CSV" "Inf feature (1e999)" 1 "inf.csv:3:2" -- "$LF" $T1 --data "csv:train=inf.csv,header=1"
case_ "CSV" "empty field" 1 "empty_field.csv:2:2" -- "$LF" $T1 --data "csv:train=empty_field.csv,header=1"
case_ "CSV" "label not an integer" 1 "label.csv:2:3" -- "$LF" $T1 --data "csv:train=label.csv,header=1"
case_ "CSV" "header only, no rows" 1 "no data rows" -- "$LF" $T1 --data "csv:train=no_rows.csv,header=1"
case_ "CSV" "first row of 100001 columns over 1000 short rows" 1 "cannot fit" -- "$LF" $T1 --data "csv:train=wide.csv"
case_ "CSV" "training set of one class" 1 "hold a single class" -- "$LF" $T1 --data "csv:train=one_class.csv,header=1"
case_ "CSV" "label column out of range" 1 "label column 7" -- "$LF" $T1 --data "csv:train=ok.csv,header=1,label=7"
case_ "any file" "missing file" 1 "missing.csv: cannot open" -- "$LF" $T1 --data "csv:train=missing.csv"
case_ "LIBSVM" "bad token" 1 "token.svm:2" -- "$LF" $T1 --data "libsvm:train=token.svm"
case_ "LIBSVM" "indices not ascending" 1 "ascending" -- "$LF" $T1 --data "libsvm:train=order.svm"
case_ "LIBSVM" "index beyond features=" 1 "exceeds features=4" -- "$LF" $T1 --data "libsvm:train=index.svm,features=4"
case_ "LIBSVM" "index beyond 2^31-1" 1 "huge_index.svm:1" -- "$LF" $T1 --data "libsvm:train=huge_index.svm"
case_ "LIBSVM" "feature 385054554 in a 17-byte file" 1 "give the width with features=" -- "$LF" $T1 --data "libsvm:train=wide.svm"
case_ "LIBSVM" "features=2147483647 on a 12-byte file" 1 "use a smaller width (features=1073741824 at most for 1 rows)" -- "$LF" $T1 --data "libsvm:train=tiny.svm,features=2147483647"
case_ "LIBSVM" "Inf value" 1 "non-finite" -- "$LF" $T1 --data "libsvm:train=inf.svm"
case_ "NPY" "not an npy file" 1 "bad magic" -- "$LF" $T1 --data "npy:x=junk.npy,y=y.npy"
case_ "NPY" "shape product overflows" 1 "overflows" -- "$LF" $T1 --data "npy:x=overflow.npy,y=y.npy"
case_ "NPY" "data shorter than the shape" 1 "short data" -- "$LF" $T1 --data "npy:x=short.npy,y=y.npy"
case_ "NPY" "header length past the end" 1 "header length 60000" -- "$LF" $T1 --data "npy:x=hlen.npy,y=y.npy"
case_ "NPY" "unsupported dtype (<f2)" 1 "unsupported dtype" -- "$LF" $T1 --data "npy:x=f16.npy,y=y.npy"
case_ "NPY" "NaN feature" 1 "row 2, column 1" -- "$LF" $T1 --data "npy:x=nan_x.npy,y=y.npy"
case_ "NPY" "negative label" 1 "row 1: label -3" -- "$LF" $T1 --data "npy:x=ok_x.npy,y=neg_y.npy"
case_ "NPY" "label 10^8 in a 4-row file" 1 "huge_y.npy: row 2: label 100000000 is outside the class ids [0, 1024)" -- "$LF" $T1 --data "npy:x=ok_x.npy,y=huge_y.npy"
case_ "NPY" "label 2147483647" 1 "max_y.npy: row 1: label 2147483647 is outside" -- "$LF" $T1 --data "npy:x=ok_x.npy,y=max_y.npy"
"$LF" train --quiet --out npyrun --epochs 1 --model mlp:4 --data "npy:x=ok_x.npy,y=y.npy" >/dev/null || exit 1
case_ "NPY (eval)" "test split of 0 rows" 1 "the test split is empty (0 rows)" -- "$LF" eval --model-file npyrun/model.safetensors --data "npy:x=ok_x.npy,y=y.npy,test_x=empty_x.npy,test_y=empty_y.npy"
case_ "NPY (loss verb)" "Inf prediction" 1 "row 1, column 2" -- "$LF" loss --loss ce --pred inf_pred.npy --label y3.npy
case_ "NPY (loss verb)" "label 1.5" 1 "not an int32 id" -- "$LF" loss --loss ce --pred pred.npy --label frac_y.npy
case_ "IDX" "bad magic" 1 "bad IDX magic" -- "$LF" $T1 --data "fashion-mnist:dir=fm_magic"
case_ "IDX" "header claims 2^31 images" 1 "2147483648" -- "$LF" $T1 --data "fashion-mnist:dir=fm_huge"
case_ "IDX" "dimensions overflow" 1 "overflows" -- "$LF" $T1 --data "fashion-mnist:dir=fm_over"
case_ "IDX" "3 images, 2 labels" 1 "holds 3 images" -- "$LF" $T1 --data "fashion-mnist:dir=fm_count"
case_ "IDX" "truncated gzip" 1 "train-images-idx3-ubyte.gz" -- "$LF" $T1 --data "fashion-mnist:dir=fm_gz"
case_ "model file" "not safetensors" 1 "junk.npy" -- "$LF" eval --model-file junk.npy --data "$DATA"
case_ "model file" "header length past the end" 1 "exceeds" -- "$LF" eval --model-file hlen.safetensors --data "$DATA"
case_ "model file" "overlapping tensors" 1 "overlaps" -- "$LF" eval --model-file overlap.safetensors --data "$DATA"
case_ "model file" "truncated" 1 "past the end" -- "$LF" eval --model-file truncated.safetensors --data "$DATA"
case_ "model file" "no model metadata" 1 "not a lossforge model" -- "$LF" eval --model-file nometa.safetensors --data "$DATA"
case_ "model file" "spec asks for 2^40 parameters" 1 "more than the" -- "$LF" eval --model-file greedy.safetensors --data "$DATA"
case_ "checkpoint" "no checkpoint in the directory" 1 "nowhere/checkpoint.safetensors" -- "$LF" train --resume nowhere
case_ "checkpoint" "one bit flipped in the data" 1 "checksum mismatch" -- "$LF" train --resume flip
case_ "checkpoint" "torn (truncated) file" 1 "torn/checkpoint.safetensors" -- "$LF" train --resume torn
case_ "checkpoint" "option edited in the header" 1 "meta_crc32" -- "$LF" train --resume meta
case_ "checkpoint" "resumed on other data" 1 "other data" -- "$LF" train --resume other --data "csv:train=other.csv,header=1"
case_ "checkpoint" "--resume with --epochs" 2 "--epochs cannot be combined" -- "$LF" train --resume run --epochs 9
case_ "spec string" "unknown loss" 1 "known losses" -- "$LF" $T1 --data "$DATA" --loss nosuchloss
case_ "spec string" "unknown parameter" 1 "unknown parameter \"beta1\"" -- "$LF" $T1 --data "$DATA" --optim lion:beta1=0.9
case_ "spec string" "value out of range" 1 "must be in [0, 1)" -- "$LF" $T1 --data "$DATA" --optim lion:b1=1.5
case_ "spec string" "not a number" 1 "lr" -- "$LF" $T1 --data "$DATA" --optim adamw:lr=fast
case_ "spec string" "unknown model" 1 "known models" -- "$LF" $T1 --data "$DATA" --model resnet
case_ "spec string" "unknown dataset" 1 "known datasets" -- "$LF" $T1 --data "mnist-ish"
case_ "numerics" "--epochs 1000000000 (buffers by the rows; stops at the first non-finite step)" 1 "non-finite" -- "$LF" train --quiet --out nan9 --epochs 1000000000 --batch 2 --data "$DATA" --model mlp:4 --optim sgd:lr=1e30
case_ "numerics" "--batch 2147483647 on 4 rows (one batch of 4)" 0 "" -- "$LF" train --quiet --out bigbatch --epochs 1 --batch 2147483647 --data "$DATA" --model mlp:4
case_ "numerics" "--epochs 70 (the epoch history grows past its first 64 rows)" 0 "" -- sh -c '"$0" train --quiet --out long --epochs 70 --batch 2 --data "$1" --model mlp:4 >/dev/null && test "$(grep -c epoch long/metrics.jsonl)" = 70' "$LF" "$DATA"
case_ "numerics" "exploding learning rate" 1 "non-finite" -- "$LF" train --quiet --out nan --epochs 3 --batch 2 --data "$DATA" --model mlp:4 --optim sgd:lr=1e30
case_ "command line" "unknown option" 2 "unknown option" -- "$LF" train --nope 1
case_ "command line" "integer expected" 2 "not a valid integer" -- "$LF" train --epochs five
case_ "command line" "--on-nan value" 2 "--on-nan must be" -- "$LF" train --on-nan ignore
case_ "command line" "--seed 2^64" 2 '--seed: "18446744073709551616" is not a valid integer in [0, 18446744073709551615]' -- "$LF" train --seed 18446744073709551616
case_ "command line" "--seed 1e30" 2 '--seed: "1e30" is not a valid integer' -- "$LF" train --seed 1e30
case_ "command line" "--seed ' -1'" 2 '--seed: " -1" is not a valid integer' -- "$LF" train --seed " -1"
case_ "command line" "--clip-norm -1" 2 '--clip-norm: "-1" is not a valid number in (0, inf)' -- "$LF" train --clip-norm -1
case_ "command line" "--clip-norm 0" 2 '--clip-norm: "0" is not a valid number in (0, inf)' -- "$LF" train --clip-norm 0
case_ "command line" "--clip-norm nan" 2 '--clip-norm: "nan" is not a valid number in (0, inf)' -- "$LF" train --clip-norm nan
case_ "command line" "--threads -1" 2 '--threads: "-1" is not a valid integer in [1, 256]' -- "$LF" train --threads -1
case_ "command line" "--threads 1000" 2 '--threads: "1000" is not a valid integer in [1, 256]' -- "$LF" train --threads 1000
case_ "command line" "--burn-in -5" 2 '--burn-in: "-5" is not a valid integer in [0, 2147483647]' -- "$LF" train --burn-in -5
case_ "command line" "--ensemble -2" 2 '--ensemble: "-2" is not a valid integer in [1, 2147483647]' -- "$LF" train --ensemble -2
case_ "command line" "--val-split nan" 2 '--val-split: "nan" is not a valid number in [0, 1)' -- "$LF" train --val-split nan
case_ "command line" "--val-split 1e308" 2 '--val-split: "1e308" is not a valid number in [0, 1)' -- "$LF" train --val-split 1e308
case_ "command line" "--val-split -inf" 2 '--val-split: "-inf" is not a valid number in [0, 1)' -- "$LF" train --val-split -inf
case_ "command line" "--dim 0 (embedding)" 2 '--dim: "0" is not a valid integer in [1, 2147483647]' -- "$LF" train --embedding --dim 0
case_ "command line" "--episodes 0 (eval)" 2 '--episodes: "0" is not a valid integer in [1, 2147483647]' -- "$LF" eval --episodes 0
case_ "command line" "--threads 0 (embedding)" 2 '--threads: "0" is not a valid integer in [1, 256]' -- "$LF" train --embedding --threads 0
case_ "output" "unwritable --out" 1 "/proc/nope" -- "$LF" $T1 --data "$DATA" --out /proc/nope/run
case_ "output" "eval >/dev/full" 1 "writing standard output failed: No space left on device" -- \
    sh -c '"$0" eval --model-file model.safetensors --data "$1" --split train >/dev/full' "$LF" "$DATA"
# --out: one writer at a time, no silent overwrite of a finished run, no stray temp files of
# dead processes, no path too long for the run's files.
mkdir -p busy stale forced
cp run/* stale/ && cp run/* forced/
touch stale/model.safetensors.tmp.999999999 stale/checkpoint.safetensors.tmp.999999998
case_ "output" "second run into a directory another run is writing" 1 "another lossforge run is writing to this directory" -- \
    /usr/bin/python3 -c 'import fcntl, subprocess, sys
f = open("busy/.lossforge.lock", "w"); fcntl.flock(f, fcntl.LOCK_EX)
sys.exit(subprocess.call(sys.argv[1:]))' "$LF" $T1 --data "$DATA" --out busy
case_ "output" "--out holding a finished run" 1 "holds the files of another run" -- "$LF" $T1 --data "$DATA" --out run
case_ "output" "--out holding a finished run (train --embedding)" 1 "holds the files of another run" -- "$LF" train --embedding --quiet --data "$DATA" --out run
# --force replaces the old run: the new seed in result.json, the old checkpoint gone.
case_ "output" "--out holding a finished run, with --force" 0 "" -- sh -c '"$0" train --quiet \
    --epochs 1 --data "$1" --out forced --force --seed 7 >/dev/null && grep -q "\"seed\":7" \
    forced/result.json && ! [ -e forced/checkpoint.safetensors ]' "$LF" "$DATA"
case_ "output" "temp files of dead processes, then --resume" 0 "removed 2 temporary files" -- sh -c \
    '"$0" train --quiet --resume stale >/dev/null && ! ls stale | grep -q "\.tmp\."' "$LF"
case_ "output" "--out of 4100 bytes" 1 "is too long; the files of a run need it to be at most 4047 bytes" -- \
    "$LF" $T1 --data "$DATA" --out "$(printf '%04100d' 0)"
# stdout and stderr into a pipe closed by its reader (`train 2>&1 | head -1`): the run goes on,
# writes its model and exits 0; the wrapper fails if the model is missing.
case_ "output" "train 2>&1 into a closed pipe" 0 "" -- /usr/bin/python3 -c 'import os, subprocess, sys
r, w = os.pipe(); os.close(r)
rc = subprocess.call(sys.argv[1:], stdout=w, stderr=w)
sys.exit(rc or (0 if os.path.getsize("pipe/model.safetensors") else 3))' \
    "$LF" train --data "$DATA" --model mlp:4 --epochs 2 --batch 2 --out pipe

# compare (issue 11): what is not a finished run, or not comparable with the others, is refused
# naming the directory or file.
for r in cmp_a cmp_val; do
    "$LF" train --data "$DATA" --model mlp:4 --epochs 2 --batch 2 --quiet --out $r \
        $([ $r = cmp_val ] && echo --val-split 0.5) >/dev/null || exit 1
done
"$LF" train --data "csv:train=ok.csv,test=ok.csv,header=1" --model mlp:4 --epochs 2 --batch 2 \
    --quiet --out cmp_data >/dev/null || exit 1
mkdir -p cmp_empty cmp_torn && cp cmp_a/* cmp_torn/ && head -c -9 cmp_a/metrics.jsonl >cmp_torn/metrics.jsonl
case_ "compare" "a run directory that does not exist" 1 "cmp_nope: cannot open" -- "$LF" compare cmp_a cmp_nope
case_ "compare" "a directory that holds no finished run" 1 "cmp_empty: no result.json" -- "$LF" compare cmp_a cmp_empty
case_ "compare" "a torn metrics.jsonl" 1 "cmp_torn/metrics.jsonl line 2: cut short" -- "$LF" compare cmp_a cmp_torn
case_ "compare" "runs on different datasets" 1 "trained on different data" -- "$LF" compare cmp_a cmp_data
case_ "compare" "runs with and without validation metrics" 1 "cmp_val/metrics.jsonl has validation metrics, cmp_a/metrics.jsonl has none" -- "$LF" compare cmp_a cmp_val
case_ "compare" "a single run" 2 "give at least two run directories" -- "$LF" compare cmp_a
# ---- CPU kernel sets (src/core/cpu.c): LF_CPU caps the set; another value is refused.
case_ "environment" "LF_CPU=sse9 (no such kernel set)" 1 'unknown kernel set "sse9"' -- \
    env LF_CPU=sse9 "$LF" list
case_ "environment" "LF_CPU=baseline" 0 "" -- sh -c \
    'LF_CPU=baseline "$0" --version | grep -q "(baseline kernels)"' "$LF"

# ------------------------------------------------------------------ the table
TABLE="$T/table.md"
{
    echo '| input | case | exit | what the user sees (stderr) |'
    echo '|---|---|---|---|'
    cat "$ROWS"
} >"$TABLE"
BEGIN='<!-- cli_robustness.sh: table begin -->'
END='<!-- cli_robustness.sh: table end -->'
if [ "$MODE" = "--write" ]; then
    awk -v b="$BEGIN" -v e="$END" -v t="$TABLE" '
        $0 == b { print; while ((getline l < t) > 0) print l; skip = 1; next }
        $0 == e { skip = 0 }
        !skip' "$DOC" >"$T/doc" && cp "$T/doc" "$DOC"
    echo "wrote $(wc -l <"$ROWS") rows to $DOC"
else
    awk -v b="$BEGIN" -v e="$END" '$0 == e { on = 0 } on; $0 == b { on = 1 }' "$DOC" >"$T/committed"
    if ! diff -u "$T/committed" "$TABLE"; then
        echo "FAIL: docs/robustness.md's table is not what the binary prints now;"
        echo "      regenerate it: bash tests/cli_robustness.sh BUILD/lossforge --write"
        fails=$((fails + 1))
    fi
fi
echo "cli_robustness: $(wc -l <"$ROWS") cases, $fails failed"
[ "$fails" -eq 0 ]
