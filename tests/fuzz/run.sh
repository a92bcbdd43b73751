#!/usr/bin/env bash
# Runs every fuzzer of a `make fuzz` build for SECONDS each and prints, per harness, the
# executions and the corpus size. New inputs go to BUILD/fuzz-corpus/<name> (the committed seeds
# in tests/fuzz/corpus/<name> are read, never written); a crash leaves BUILD/fuzz-artifacts/
# crash-* and fails the run: copy it to tests/fuzz/regress/<name>-<what> once fixed.
# Usage: tests/fuzz/run.sh BUILD SECONDS [harness...]; FUZZ_RUNS=N also stops each after N inputs.
set -u
B=$1 SECONDS_EACH=$2
shift 2
SRC=$(cd "$(dirname "$0")" && pwd)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(idx idx_gz csv libsvm npy safetensors checkpoint spec)
# Allocations the readers are asked for by hostile sizes fail (NULL -> LF_ENOMEM) instead of
# stopping the fuzzer: the library must survive a failed malloc, not avoid every large one.
export ASAN_OPTIONS=allocator_may_return_null=1:max_allocation_size_mb=2048:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
mkdir -p "$B/fuzz-artifacts"
status=0
printf '%-12s %12s %10s %8s\n' harness executions exec/s corpus
for n in "${names[@]}"; do
    mkdir -p "$B/fuzz-corpus/$n"
    log="$B/fuzz-artifacts/$n.log"
    "$B/tests/fuzz/fuzz_$n" -max_total_time="$SECONDS_EACH" ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} \
        -timeout=20 -rss_limit_mb=4096 \
        -malloc_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$B/fuzz-artifacts/$n-" \
        "$B/fuzz-corpus/$n" "$SRC/corpus/$n" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    corpus=$(ls "$B/fuzz-corpus/$n" | wc -l)
    printf '%-12s %12s %10s %8s\n' "$n" "${execs:-?}" "${rate:-?}" "$corpus"
    if [ $rc -ne 0 ]; then
        echo "fuzz_$n: FAILED (exit $rc), see $log:"
        grep -m5 -E 'ERROR|SUMMARY|property broken' "$log"
        status=1
    fi
done
exit $status
