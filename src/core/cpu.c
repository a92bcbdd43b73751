/* Which kernel set runs: chosen once per process from the CPU (__builtin_cpu_supports, which
 * also checks that the OS saves the wider registers) and LF_CPU. */
#include "core/cpu.h"
#include "internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const char *const ISA_NAMES[LF_ISA_N] = {"baseline", "avx2", "avx512"};

/* The library's one process-wide setting besides the error message (tests/cli_globals.sh): the
 * set in use, -1 until the first call. Every thread computes the same value, so the race of two
 * first calls is benign. */
static _Atomic int isa_in_use = -1;

const char *lf_cpu_isa_name(int isa) { return ISA_NAMES[isa]; }

int lf_cpu_isa_supported(int isa)
{
#if defined(LF_HAVE_KSETS)
    __builtin_cpu_init();
    switch (isa) {
    case LF_ISA_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
               lf_cpu_isa_supported(LF_ISA_AVX2);
    case LF_ISA_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    default: return isa == LF_ISA_BASE;
    }
#else
    return isa == LF_ISA_BASE;
#endif
}

/* The index of LF_CPU's value in ISA_NAMES, LF_ISA_N when unset or empty, -1 when invalid. */
static int env_cap(void)
{
    const char *v = getenv("LF_CPU");
    if (!v || !*v) return LF_ISA_N;
    for (int i = 0; i < LF_ISA_N; i++)
        if (!strcmp(v, ISA_NAMES[i])) return i;
    return -1;
}

static int choose(void)
{
    int cap = env_cap();
    if (cap < 0) cap = LF_ISA_N;
    int isa = LF_ISA_BASE;
    for (int i = LF_ISA_BASE + 1; i < LF_ISA_N && i <= cap; i++)
        if (lf_cpu_isa_supported(i)) isa = i;
    return isa;
}

int lf_cpu_isa(void)
{
    int isa = atomic_load_explicit(&isa_in_use, memory_order_relaxed);
    if (isa < 0) {
        isa = choose();
        atomic_store_explicit(&isa_in_use, isa, memory_order_relaxed);
    }
    return isa;
}

void lf_cpu_force_isa(int isa)
{
    LF_ASSERT(lf_cpu_isa_supported(isa));
    atomic_store_explicit(&isa_in_use, isa, memory_order_relaxed);
}

const char *lf_cpu_kernels(void) { return ISA_NAMES[lf_cpu_isa()]; }

lf_status lf_cpu_check_env(void)
{
    if (env_cap() >= 0) return LF_OK;
    return lf_error(LF_EINVAL, "environment variable LF_CPU: unknown kernel set \"%s\" (valid: "
                               "baseline, avx2, avx512)", getenv("LF_CPU"));
}
