/* libFuzzer harnesses, one per reader plus the spec-string parser. Each harness is a function
 * lf_fuzz_<name>(data, size) that feeds the bytes to the library and returns 0; a crash, a
 * sanitizer report or abort() on a broken property is a finding. Built as fuzzers by
 * `make fuzz` (tests/fuzz/CMakeLists.txt, each file with -DLF_FUZZ_MAIN) and replayed on
 * tests/fuzz/regress/<name>-* by tests/test_fuzz_regress.c. */
#ifndef LF_FUZZ_H
#define LF_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "lossforge.h"

/* Every harness: X(name). */
#define LF_FUZZ_HARNESSES(X) \
    X(idx) \
    X(idx_gz) \
    X(csv) \
    X(libsvm) \
    X(npy) \
    X(safetensors) \
    X(checkpoint) \
    X(spec)

#define LF_FUZZ_DECLARE(name) int lf_fuzz_##name(const uint8_t *data, size_t size);
LF_FUZZ_HARNESSES(LF_FUZZ_DECLARE)
#undef LF_FUZZ_DECLARE

/* The libFuzzer entry point of a harness file, in the fuzzer build only. */
#ifdef LF_FUZZ_MAIN
#define LF_FUZZ_ENTRY(name)                                                                    \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);                              \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)                               \
    {                                                                                          \
        return lf_fuzz_##name(data, size);                                                     \
    }
#else
#define LF_FUZZ_ENTRY(name)
#endif

/* Writes bytes to a per-process scratch file named by `tag` (on /dev/shm when there is one)
 * and returns its path (static storage, one per tag slot 0..3). Aborts if it cannot. */
const char *lf_fuzz_file(int slot, const char *tag, const void *data, size_t size);

/* Aborts with a message: a broken property, as a sanitizer report would. */
void lf_fuzz_fail(const char *what);

#endif
