#!/usr/bin/env bash
# End to end: `train`'s summaries (class counts of the data; per-class precision, recall and F1
# recomputed in Python from `eval`'s confusion matrix of the same model) and `compare` of two
# runs with different losses (its table against each run's result.json and metrics.jsonl, its
# SVG well-formed and naming both runs, its refusals).
set -eu
LF=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$T"
PY=/usr/bin/python3

# 400 rows: the first 300 train, the last 100 test (3 classes, class 2 rare).
$PY "$HERE/blobs.py" all.csv 400 5
head -301 all.csv >train.csv
{ head -1 all.csv; tail -100 all.csv; } >test.csv
DATA="csv:train=train.csv,test=test.csv,header=1"
run() { "$LF" train --data "$DATA" --model mlp:16 --epochs 4 --batch 32 --seed 7 --threads 2 --val-split 0.2 "$@"; }

# ------------------------------------------------------------------ summaries
run --loss ce --out ce >ce.out 2>ce.err
"$LF" eval --model-file ce/model.safetensors --data "$DATA" >eval.out
$PY - <<'PY'
import csv, re
import numpy as np
err, out, ev = open("ce.err").read(), open("ce.out").read(), open("eval.out").read()
labels = lambda f: [int(r["label"]) for r in csv.DictReader(open(f))]
for split, f in (("train rows", "train.csv"), ("test rows", "test.csv")):
    line = re.search(r"^  %s (.*)$" % split, err, re.M).group(1)
    got = {int(k): int(v) for k, v in re.findall(r"(\d+): (\d+)", line)}
    want = {c: labels(f).count(c) for c in range(3)}
    assert got == want, (split, got, want)
assert "240 train, 60 validation (--val-split 0.2), 100 test" in err, err
assert re.search(r"^loss +ce$", err, re.M) and re.search(r"^threads +2$", err, re.M), err
# eval's confusion matrix of the same model and test rows: the reference counts.
rows = re.findall(r"^ +(\d+) +(\d+) +(\d+) +(\d+)$", ev.split("confusion matrix")[1], re.M)
conf = np.array([[int(v) for v in r[1:]] for r in rows], dtype=float)
assert conf.shape == (3, 3) and conf.sum() == 100, conf
tp, truth, pred = np.diag(conf), conf.sum(1), conf.sum(0)
p = np.divide(tp, pred, out=np.zeros(3), where=pred > 0)
r = np.divide(tp, truth, out=np.zeros(3), where=truth > 0)
f1 = np.divide(2 * p * r, p + r, out=np.zeros(3), where=p + r > 0)
table = {m[0]: [float(x) for x in m[1:4]] + [int(m[4])]
         for m in re.findall(r"^(\d+|macro mean) +([\d.]+) +([\d.]+) +([\d.]+) +(\d+)$", out, re.M)}
for c in range(3):
    assert np.allclose(table[str(c)][:3], [p[c], r[c], f1[c]], atol=5e-5), (c, table[str(c)], p, r, f1)
    assert table[str(c)][3] == truth[c]
assert np.allclose(table["macro mean"][:3], [p.mean(), r.mean(), f1.mean()], atol=5e-5)
acc = re.search(r"^test accuracy: ([\d.]+)%", out, re.M).group(1)
assert abs(float(acc) - 100 * tp.sum() / 100) < 5e-3, (acc, tp)
for f in ("model.safetensors", "metrics.jsonl", "curves.svg", "result.json"):
    assert "ce/" + f in out, f
PY
# --quiet: no summary before, no per-class table after; the result lines stay.
run --loss gce:q=0.7 --epochs 3 --out gce --quiet >gce.out 2>gce.err
test ! -s gce.err
grep -q '^test accuracy: ' gce.out
if grep -q 'precision' gce.out; then echo "FAIL: per-class table under --quiet"; exit 1; fi

# ------------------------------------------------------------------ compare
"$LF" compare ce gce --out both.svg >cmp.out
$PY - <<'PY'
import json, re
import xml.etree.ElementTree as ET
out = open("cmp.out").read()
head = out.splitlines()[0].split()
assert head == ["ce", "gce"], head  # columns labelled by what sets the runs apart: the loss
cells = {}
for line in out.splitlines()[1:]:
    m = re.match(r"^(\S.*?)  +(\S.*?)  +(\S.*)$", line)
    if m: cells[m.group(1)] = (m.group(2).strip(), m.group(3).strip())
for i, d in enumerate(("ce", "gce")):
    res = json.load(open(d + "/result.json"))
    last = [json.loads(l) for l in open(d + "/metrics.jsonl")][-1]
    want = {"directory": d, "epochs": "%d" % res["epochs"], "seed": "%d" % res["seed"],
            "test accuracy": "%.2f%%" % (100 * res["test_acc"]), "test loss": "%.4f" % res["test_loss"],
            "wall time": "%.2f s" % res["seconds"], "final train loss": "%.4f" % last["train_loss"],
            "final train acc": "%.2f%%" % (100 * last["train_acc"]),
            "final val acc": "%.2f%%" % (100 * last["val_acc"]),
            "final val loss": "%.4f" % last["val_loss"]}
    for k, v in want.items():
        assert cells[k][i] == v, (d, k, cells[k][i], v)
assert "wrote both.svg" in out
svg = ET.parse("both.svg").getroot()
texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
assert "ce" in texts and "gce" in texts, texts  # the legend names both runs
assert len(list(svg.iter("{http://www.w3.org/2000/svg}polyline"))) == 4  # loss and accuracy of each
PY
"$LF" compare --help | grep -q -- '--out'
# Without --out: compare.svg in the current directory, named on stdout.
"$LF" compare ce gce | grep -q '^wrote compare.svg$'
test -s compare.svg

# Refusals, each naming the file or directory at fault.
fails() { if "$LF" compare "$@" >/dev/null 2>err.txt; then echo "FAIL: compare $* succeeded"; exit 1; fi; }
fails ce missing && grep -q 'missing: cannot open' err.txt
mkdir notrun && fails ce notrun && grep -q 'notrun: no result.json' err.txt
cp -r gce torn && head -c -5 gce/metrics.jsonl >torn/metrics.jsonl
fails ce torn && grep -q 'torn/metrics.jsonl line 3: cut short' err.txt
"$LF" train --data "$DATA" --model mlp:16 --epochs 2 --seed 7 --quiet --out noval >/dev/null
fails ce noval && grep -q 'ce/metrics.jsonl has validation metrics, noval/metrics.jsonl has none' err.txt
"$LF" train --data csv:train=train.csv,header=1 --model mlp:16 --epochs 2 --val-split 0.2 --quiet --out other \
    | grep -q '^no test split; final validation accuracy: '
fails ce other && grep -q 'trained on different data' err.txt
if "$LF" compare ce >/dev/null 2>&1; then echo "FAIL: one run accepted"; exit 1; else test $? -eq 2; fi
echo "cli_compare: 1 passed, 0 failed"
