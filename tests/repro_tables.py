#!/usr/bin/env python3
"""The numbers of an experiment report's tables, timing columns left out.

Usage: repro_tables.py README.md  -> one line per table row: the numbers of its cells, tab-
separated, with a line "# <header>" before each table. Columns whose header names a time
("s", "s/run", "seconds", "wall", "time") are dropped: they change from run to run. Used by
tests/cli_repro.sh to check that every `lossforge repro NAME --quick` still prints the numbers
of tests/golden/repro/NAME.txt (LF_GOLDEN_UPDATE=1 rewrites them)."""
import re
import sys

NUM = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|nan|inf|diverged|—")
TIME = re.compile(r"(^|\W)(s|s/run|seconds|wall|time)(\W|$)", re.I)


def cells(line):
    parts = re.split(r"(?<!\\)\|", line.strip())
    return [c.strip() for c in parts[1:-1]]


def tables(text):
    out, keep = [], None
    for line in text.splitlines():
        if not line.startswith("|"):
            keep = None
            continue
        row = cells(line)
        if keep is None:
            keep = [i for i, h in enumerate(row) if not TIME.search(h)]
            out.append("# " + " | ".join(row[i] for i in keep))
            continue
        if all(set(c) <= set("-: ") for c in row):
            continue
        out.append("\t".join(" ".join(NUM.findall(row[i])) for i in keep if i < len(row)))
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        sys.stdout.write(tables(f.read()))
