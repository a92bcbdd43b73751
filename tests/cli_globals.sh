#!/usr/bin/env bash
# Library hygiene: liblossforge keeps no mutable global state but the thread-local error
# message. Every object symbol in a writable section (.data, .bss, their thread-local forms,
# common) of the built library is listed; anything but error.c's last_error fails, naming the
# object file and symbol (function-level statics show up as name.N). Constant tables live in
# .rodata / .data.rel.ro and are not listed.
# Usage: cli_globals.sh /path/to/lossforge (the library sits next to it)
set -u
LIB="$(dirname "$1")/liblossforge.a"
[ -f "$LIB" ] || { echo "cli_globals: $LIB not found"; exit 1; }
found=$(objdump -t "$LIB" | awk '
    /file format/ { obj = $1 }
    $0 ~ / (\.data|\.bss|\.tdata|\.tbss|\*COM\*)[ \t]/ && $NF !~ /^\./ { print obj, $(NF - 2), $NF }' |
    sort -u)
# cpu.c's isa_in_use: the CPU kernel set, chosen once per process (src/core/cpu.c).
allowed="error.c.o: .tbss last_error
cpu.c.o: .data isa_in_use"
# AddressSanitizer builds add its own bookkeeping symbols (__odr_asan.*, ___asan_gen_*).
bad=$(printf '%s\n' "$found" | grep -vxF "$allowed" | grep -vE ' (__odr_asan\.|___asan_gen_|__asan_)' |
    grep -v '^$')
if [ -n "$bad" ]; then
    echo "FAIL: mutable global state in liblossforge (object section symbol):"
    printf '%s\n' "$bad" | sed 's/^/  /'
    echo "  keep state in the objects the caller owns, or allocate it (see docs/robustness.md)"
    exit 1
fi
echo "cli_globals: the only writable globals are:" $allowed
