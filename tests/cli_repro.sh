#!/usr/bin/env bash
# Every registered experiment runs its --quick variant to the end and writes its report.
set -u
LF=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
passes=0 fails=0
for name in $("$LF" list --kind experiment | awk '/^  [a-z]/ {print $1}'); do
    if "$LF" repro "$name" --quick --out "$T/$name" >"$T/$name.log" 2>&1 && test -s "$T/$name/README.md"; then
        passes=$((passes + 1))
    else
        echo "FAIL: repro $name --quick"; tail -20 "$T/$name.log"
        fails=$((fails + 1))
    fi
done
echo "cli_repro: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
