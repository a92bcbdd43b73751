#!/usr/bin/env bash
# Crash safety: SIGKILL a training run at random moments, many times over, resuming each time
# from its last checkpoint. Checks that (a) the last checkpoint always loads (as a model file,
# and as the run's state on --resume) and (b) every resumed run ends with a model file
# byte-identical to an uninterrupted run's, with the same per-epoch metrics (timings aside) and
# the same curves.svg.
# Usage: cli_resume.sh /path/to/lossforge [min_kills]
set -u
LF=$1
MIN_KILLS=${2:-50}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

/usr/bin/python3 "$(dirname "$0")/blobs.py" "$T/blobs.csv" 400 6 || exit 1
DATA="csv:train=$T/blobs.csv,header=1"
# Dropout and a cosine schedule make the result depend on the step count and the data order.
ARGS=(--data "$DATA" --model mlp:32,32,dropout=0.1 --optim adamw:lr=1e-2 --schedule cosine
      --epochs 8 --batch 8 --seed 3 --threads 2 --val-split 0.2 --quiet)
EVERY=7
# Timings differ from run to run; everything else in metrics.jsonl must not.
strip() { sed -E 's/"(seconds|samples_per_s)":[^,}]*//g' "$1"; }

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$LF" train "${ARGS[@]}" --out "$T/ref" >/dev/null || { echo "FAIL: reference run"; exit 1; }
t_ms() { echo $(($(date +%s%N) / 1000000)); }
t=$(t_ms)
"$LF" train "${ARGS[@]}" --out "$T/ref_ck" --checkpoint-every $EVERY >/dev/null
# Kills land anywhere in a run: from 20 ms (start-up, data loading) to the length of a whole
# checkpointed run on this machine, whatever its speed.
SPAN=$(($(t_ms) - t))
[ "$SPAN" -gt 40 ] || SPAN=40
cmp -s "$T/ref/model.safetensors" "$T/ref_ck/model.safetensors" ||
    fail "checkpointing changed the result"

kills=0 torn=0 runs=0 t0=$SECONDS
while [ $kills -lt "$MIN_KILLS" ]; do
    D="$T/run$runs"
    runs=$((runs + 1))
    resumed=0
    while :; do
        if [ -f "$D/checkpoint.safetensors" ]; then
            "$LF" train --resume "$D" >/dev/null 2>"$T/err" &
            resumed=1
        else
            "$LF" train "${ARGS[@]}" --out "$D" --checkpoint-every $EVERY >/dev/null 2>"$T/err" &
        fi
        pid=$!
        delay=$((20 + (RANDOM * 32768 + RANDOM) % (SPAN - 19)))
        sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
        if kill -9 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null
            kills=$((kills + 1))
            if [ -f "$D/checkpoint.safetensors" ] &&
                ! "$LF" eval --model-file "$D/checkpoint.safetensors" --data "$DATA" --split train >/dev/null 2>>"$T/err"; then
                fail "after kill $kills the checkpoint does not load: $(cat "$T/err")"
                break
            fi
            continue
        fi
        wait "$pid" || { fail "run $runs (resumed: $resumed) failed: $(cat "$T/err")"; break; }
        break
    done
    [ -f "$D/model.safetensors" ] || continue
    cmp -s "$T/ref/model.safetensors" "$D/model.safetensors" ||
        fail "run $runs: model differs from the uninterrupted run"
    [ "$(strip "$T/ref/metrics.jsonl")" = "$(strip "$D/metrics.jsonl")" ] ||
        fail "run $runs: metrics.jsonl differs from the uninterrupted run"
    cmp -s "$T/ref/curves.svg" "$D/curves.svg" ||
        fail "run $runs: curves.svg differs from the uninterrupted run"
    # Temp files left by kills that landed inside a checkpoint or model write.
    torn=$((torn + $(find "$D" -name '*.tmp.*' | wc -l)))
    rm -rf "$D"
done
echo "cli_resume: $kills kills over $runs runs in $((SECONDS - t0)) s ($torn inside a file write;" \
     "a whole run takes $SPAN ms), $fails failed"
[ "$fails" -eq 0 ]
