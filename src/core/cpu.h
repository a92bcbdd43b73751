/* Run-time CPU dispatch. The hot kernels (the files of LF_KERNEL_SOURCES in CMakeLists.txt) are
 * compiled once per kernel set, each copy with its names suffixed (LF_K) and the compiler flags
 * of its set; every such file exports one const table of function pointers per kernel family,
 * and its callers index the tables by lf_cpu_isa(), chosen once per process. The sets differ
 * only in instruction selection (no FMA contraction under -std=c11), so elementwise results are
 * equal to the last bit; reductions may add in another order (tests/test_cpu.c states bounds). */
#ifndef LF_CORE_CPU_H
#define LF_CORE_CPU_H

/* Kernel sets, in the order of preference. */
enum { LF_ISA_BASE, LF_ISA_AVX2, LF_ISA_AVX512, LF_ISA_N };

/* The kernel set in use: the best one the CPU supports, capped by the environment variable
 * LF_CPU (baseline|avx2|avx512; another value is ignored, see lf_cpu_check_env). */
int lf_cpu_isa(void);
/* Whether this CPU (and build) can run kernel set isa. */
int lf_cpu_isa_supported(int isa);
/* Makes isa (supported) the set in use, for tests comparing the sets; not thread-safe. */
void lf_cpu_force_isa(int isa);
/* "baseline", "avx2" or "avx512". */
const char *lf_cpu_isa_name(int isa);

/* LF_K(name): name with the suffix of the kernel set this file is being compiled for. */
#ifndef LF_KSUF
#define LF_KSUF _base
#define LF_KBASE 1 /* the baseline copy, which also holds the dispatching entry points */
#endif
#define LF_KCAT2(a, b) a##b
#define LF_KCAT(a, b) LF_KCAT2(a, b)
#define LF_K(name) LF_KCAT(name, LF_KSUF)

/* The three copies of a kernel table; a build without the extra sets (not x86-64) points
 * them at the baseline. */
#if defined(LF_HAVE_KSETS)
#define LF_KTABLE_DECLARE(type, name) extern const type name##_base, name##_avx2, name##_avx512
#define LF_KTABLE_PICK(name) \
    ((const void *const[LF_ISA_N]){&name##_base, &name##_avx2, &name##_avx512}[lf_cpu_isa()])
#else
#define LF_KTABLE_DECLARE(type, name) extern const type name##_base
#define LF_KTABLE_PICK(name) ((const void *)&name##_base)
#endif
/* The table of kernel family name for the set in use, as a pointer to type. */
#define LF_KTABLE(type, name) ((const type *)LF_KTABLE_PICK(name))

#endif
