#!/usr/bin/env bash
# Every registered experiment runs its --quick variant to the end, writes its report, and its
# tables hold the numbers of tests/golden/repro/NAME.txt (timing columns aside; see
# tests/repro_tables.py). LF_GOLDEN_UPDATE=1 rewrites the golden files instead of comparing.
set -u
LF=$1
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1
passes=0 fails=0
for name in $("$LF" list --kind experiment | awk '/^  [a-z]/ {print $1}'); do
    golden="$HERE/golden/repro/$name.txt"
    if ! "$LF" repro "$name" --quick --out "$T/$name" >"$T/$name.log" 2>&1 || ! test -s "$T/$name/README.md"; then
        echo "FAIL: repro $name --quick"; tail -20 "$T/$name.log"
        fails=$((fails + 1))
        continue
    fi
    python3 "$HERE/repro_tables.py" "$T/$name/README.md" >"$T/$name.txt"
    if [ "${LF_GOLDEN_UPDATE:-0}" = 1 ]; then
        cp "$T/$name.txt" "$golden"
    elif ! diff -u "$golden" "$T/$name.txt"; then
        echo "FAIL: repro $name --quick: table numbers differ from $golden (above)"
        fails=$((fails + 1))
        continue
    fi
    passes=$((passes + 1))
done
echo "cli_repro: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
