/* Vectorisable exp (and |x|^q from it), a stable log-sum-exp and the softmax row pass.
 * Softmax-based losses are bound by exp, and glibc's scalar expf does not vectorise, so the
 * library carries its own kernel (Cephes-style). A kernel file (core/cpu.h): compiled once per
 * kernel set; the baseline copy also holds the entry points that dispatch. */
#include "core/cpu.h"
#include "internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* Results below FLT_MIN flush to 0 (subnormals would be slow and carry no useful precision for
 * probabilities); above FLT_MAX they are +inf. */
#define EXP_LO (-87.33654475f) /* ln(FLT_MIN) */
#define EXP_HI 88.72283905f    /* ln(FLT_MAX) */

static inline float from_bits(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static inline uint32_t to_bits(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

/* c ? a : b on the bits. A float select would keep GCC from vectorising under the default
 * -ftrapping-math (it sinks the arithmetic into branches it may not speculate). */
static inline float fsel(int c, float a, float b)
{
    uint32_t m = 0u - (uint32_t)c;
    return from_bits((to_bits(a) & m) | (to_bits(b) & ~m));
}

/* 2^n for n in [-126, 127], built from the exponent bits */
static inline float pow2i(int32_t n) { return from_bits((uint32_t)(n + 127) << 23); }

static inline float vexp1(float x)
{
    /* Cody-Waite: x = n ln2 + r with ln2 split so n*LN2_HI is exact for |n| <= 2^15. */
    const float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    const float ROUND = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer, branch-free */
    /* Lanes that flush to 0 compute e^0 instead: computing at EXP_LO would pass through
     * subnormals, ~10x slower on x86 (seen with masked-out -inf logits). */
    float xc = fsel(x < EXP_LO, 0.0f, x);
    xc = fsel(xc > EXP_HI, EXP_HI, xc); /* NaN fails both tests and propagates */
    float t = xc * LOG2E + ROUND;
    float fn = t - ROUND;
    int32_t n = (int32_t)(to_bits(t) & 0x7fffff) - 0x400000; /* n sits in t's low mantissa */
    float r = xc - fn * LN2_HI;
    r = r - fn * LN2_LO;
    /* Minimax polynomial for (e^r - 1 - r) / r^2 on |r| <= ln2/2 (Cephes expf). */
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * (r * r) + r + 1.0f;
    /* n reaches 128 just below EXP_HI: scale in two halves so each power of two is normal. */
    int32_t n1 = n / 2;
    y = y * pow2i(n1) * pow2i(n - n1);
    y = fsel(x > EXP_HI, HUGE_VALF, y);
    return fsel(x < EXP_LO, 0.0f, y);
}

/* ln(x) for normal x > 0 (Cephes logf): x = 2^e * m with m in [sqrt(1/2), sqrt(2)), then a
 * minimax polynomial in z = m - 1; ln2 split as in vexp1 so e*LN2_HI is exact. */
static inline float vlog1(float x)
{
    const uint32_t b = to_bits(x);
    float m = from_bits((b & 0x7fffffu) | 0x3f800000u); /* [1, 2) */
    const int big = m > 1.41421356f;
    m = fsel(big, 0.5f * m, m);
    const float fe = (float)((int32_t)(b >> 23) - 127 + big);
    const float z = m - 1.0f, zz = z * z;
    float p = 7.0376836292e-2f;
    p = p * z - 1.1514610310e-1f;
    p = p * z + 1.1676998740e-1f;
    p = p * z - 1.2420140846e-1f;
    p = p * z + 1.4249322787e-1f;
    p = p * z - 1.6668057665e-1f;
    p = p * z + 2.0000714765e-1f;
    p = p * z - 2.4999993993e-1f;
    p = p * z + 3.3333331174e-1f;
    float y = p * z * zz + fe * -2.12194440e-4f - 0.5f * zz;
    return z + y + fe * 0.693359375f;
}

static void vexp(float *y, const float *x, int64_t n)
{
#pragma omp simd
    for (int64_t i = 0; i < n; i++) y[i] = vexp1(x[i]);
}

static float row_max(const float *x, int64_t k)
{
    float m = x[0];
#pragma omp simd reduction(max : m)
    for (int64_t j = 1; j < k; j++) m = x[j] > m ? x[j] : m;
    return m;
}

/* e = exp(x - m) and its sum, in one pass. */
static double exp_shift_sum(const float *x, float m, float *e, int64_t k)
{
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < k; j++) {
        e[j] = vexp1(x[j] - m);
        s += e[j];
    }
    return s;
}

static double logsumexp(const float *x, int64_t k)
{
    if (k <= 0) return -INFINITY;
    const float m = row_max(x, k);
    if (isinf(m)) return m; /* all -inf, or a +inf that would give inf - inf below */
    enum { CHUNK = 256 };
    float buf[CHUNK];
    double s = 0;
    for (int64_t i0 = 0; i0 < k; i0 += CHUNK)
        s += exp_shift_sum(x + i0, m, buf, k - i0 < CHUNK ? k - i0 : CHUNK);
    return (double)m + log(s);
}

static double row_exp(const float *x, int64_t k, float *e, double *sum)
{
    const float m = row_max(x, k);
    const double s = exp_shift_sum(x, m, e, k);
    *sum = s;
    return (double)m + log(s);
}

static void vpow(float *y, const float *x, float q, int64_t n)
{
#pragma omp simd
    for (int64_t i = 0; i < n; i++) {
        const float a = fabsf(x[i]);
        /* 0 (and subnormals, which carry no useful precision here) give 0. */
        y[i] = fsel(a < FLT_MIN, 0.0f, vexp1(q * vlog1(a)));
    }
}

static void vaffine(float *x, int64_t n, float a, float b)
{
#pragma omp simd
    for (int64_t i = 0; i < n; i++) x[i] = x[i] * a + b;
}

typedef struct vmath_kern {
    void (*vexp)(float *y, const float *x, int64_t n);
    void (*vpow)(float *y, const float *x, float q, int64_t n);
    double (*logsumexp)(const float *x, int64_t k);
    double (*row_exp)(const float *x, int64_t k, float *e, double *sum);
    void (*vaffine)(float *x, int64_t n, float a, float b);
} vmath_kern;

LF_KTABLE_DECLARE(vmath_kern, lf_vmath_kern);
const vmath_kern LF_K(lf_vmath_kern) = {vexp, vpow, logsumexp, row_exp, vaffine};

#ifdef LF_KBASE
#define VMATH LF_KTABLE(vmath_kern, lf_vmath_kern)

void lf_vexp(float *y, const float *x, int64_t n) { VMATH->vexp(y, x, n); }
void lf_vpow(float *y, const float *x, float q, int64_t n) { VMATH->vpow(y, x, q, n); }
double lf_logsumexp(const float *x, int64_t k) { return VMATH->logsumexp(x, k); }
double lf_row_exp(const float *x, int64_t k, float *e, double *sum)
{
    return VMATH->row_exp(x, k, e, sum);
}
void lf_vaffine(float *x, int64_t n, float a, float b) { VMATH->vaffine(x, n, a, b); }
#endif
