#!/usr/bin/python3
"""Exports four datasets shipped by Debian's python3-sklearn (BSD-3-Clause) to CSV for lossforge.

Run from the repository root: /usr/bin/python3 data/tabular/export.py
(apt-get install python3-sklearn). Each file: a header line, the numeric features, and a last
column "label". breast-cancer is binary with the minority class (malignant, sklearn target 0)
as 1; iris, wine and digits keep sklearn's class ids 0..C-1. Numbers are written with repr(),
so they round-trip exactly.
"""
import csv
import os

from sklearn import datasets

OUT = os.path.join("data", "tabular")


def export(name, bunch, labels):
    path = os.path.join(OUT, name + ".csv")
    names = [str(f).replace(" ", "_") for f in bunch.feature_names] if hasattr(
        bunch, "feature_names") else ["x%d" % j for j in range(bunch.data.shape[1])]
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(names + ["label"])
        for row, y in zip(bunch.data, labels):
            w.writerow([repr(float(v)) if v != int(v) else str(int(v)) for v in row] + [int(y)])
    print("%s: %d rows, %d features, classes %s" % (path, bunch.data.shape[0],
                                                  bunch.data.shape[1], sorted(set(labels))))


bc = datasets.load_breast_cancer()
export("breast_cancer", bc, [1 - int(t) for t in bc.target])
for name, loader in (("iris", datasets.load_iris), ("wine", datasets.load_wine),
                     ("digits", datasets.load_digits)):
    b = loader()
    export(name, b, [int(t) for t in b.target])
