/* The hot loops of the optimizer steps (steps.h): a kernel file, compiled once per kernel set
 * (core/cpu.h). What each computes is documented with its optimizer (sgd.c, adamw.c, lionk.c). */
#include "optim/steps.h"

#include <math.h>
#include <string.h>

static void sgd(const lf_sgd_coef *k, float *w, const float *g, float *buf, const uint8_t *decay,
                int64_t n)
{
    const float a = k->a, b = k->b, c1 = k->c1, c2 = k->c2, wd = k->wd, nlr = k->nlr;
#pragma omp parallel for simd schedule(static) if(n > 1 << 15)
    for (int64_t i = 0; i < n; i++) {
        const float d = g[i] + (float)decay[i] * wd * w[i];
        const float bi = a * buf[i] + b * d;
        buf[i] = bi;
        w[i] = w[i] + nlr * (c1 * d + c2 * bi);
    }
}

static void adamw(const lf_adamw_coef *k, float *w, const float *g, float *m, float *v,
                  const uint8_t *decay, int64_t n)
{
    const float shrink = k->shrink, l2 = k->l2, b1 = k->b1, a1 = k->a1, b2 = k->b2, a2 = k->a2;
    const float step = k->step, bc2 = k->bc2, eps = k->eps;
#pragma omp parallel for simd schedule(static) if(n > 1 << 15)
    for (int64_t i = 0; i < n; i++) {
        const float dm = (float)decay[i];
        const float gi = g[i] + dm * l2 * w[i];
        /* w + (mask*shrink)*w rather than a select: a conditional multiply may trap, so GCC
         * would not vectorise it (the mask is 0/1). */
        const float p = w[i] + dm * shrink * w[i];
        const float mi = m[i] * b1 + a1 * gi;
        const float vi = v[i] * b2 + a2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        w[i] = p + step * mi / (sqrtf(vi) / bc2 + eps);
    }
}

static void ogd(const lf_ogd_coef *k, float *w, const float *g, float *prev, int64_t n)
{
    const float ab = k->ab, b = k->b, nlr = k->nlr, first = k->first;
#pragma omp parallel for simd schedule(static) if(n > 1 << 15)
    for (int64_t i = 0; i < n; i++) {
        const float p = first * g[i] + (1.0f - first) * prev[i];
        w[i] = w[i] + nlr * (ab * g[i] - b * p);
        prev[i] = g[i];
    }
}

static void oadam(const lf_oadam_coef *k, float *w, const float *g, float *m, float *v,
                  float *prev, int64_t n)
{
    const float ao = k->ao, of = k->of, b1 = k->b1, a1 = k->a1, b2 = k->b2, a2 = k->a2;
    const float km = k->km, kg = k->kg, ibc2 = k->ibc2, eps = k->eps, eps_root = k->eps_root;
    const float first = k->first;
#pragma omp parallel for simd schedule(static) if(n > 1 << 15)
    for (int64_t i = 0; i < n; i++) {
        const float mi = b1 * m[i] + a1 * g[i];
        const float vi = b2 * v[i] + a2 * g[i] * g[i];
        const float r = (km * mi + kg * g[i]) / (sqrtf(vi * ibc2 + eps_root) + eps);
        const float p = first * r + (1.0f - first) * prev[i];
        m[i] = mi;
        v[i] = vi;
        prev[i] = r;
        w[i] = w[i] - (ao * r - of * p);
    }
}

/* ------------------------------------------------------------------ Lion-kappa */
/* The kernels below are specialised per direction and momentum type by inlining them with
 * constant arguments, so each variant's loop vectorises with no per-element dispatch. */
#if defined(__GNUC__)
#define LK_INLINE static inline __attribute__((always_inline))
#else
#define LK_INLINE static inline
#endif

/* ------------------------------------------------------------------ bfloat16 */
LK_INLINE float bf16_load(uint16_t h)
{
    const uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Round to nearest, ties to even, on the bits; a NaN stays a (quiet) NaN instead of carrying
 * into the exponent. */
LK_INLINE uint16_t bf16_round(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    const uint32_t r = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    return (uint16_t)((u & 0x7fffffffu) > 0x7f800000u ? (u >> 16) | 0x40u : r);
}

LK_INLINE float mu_load(const void *m, int64_t i, int bf16)
{
    return bf16 ? bf16_load(((const uint16_t *)m)[i]) : ((const float *)m)[i];
}

LK_INLINE void mu_store(void *m, int64_t i, float v, int bf16)
{
    if (bf16) ((uint16_t *)m)[i] = bf16_round(v);
    else ((float *)m)[i] = v;
}

/* ------------------------------------------------------------------ kernels */
/* dK(c) given the tensor's scale s; for lp, pq = |c|^(p-1) (abs_pow). */
LK_INLINE float direction(int dir, float c, float s, float q, float pq)
{
    const float sgn = (float)((c > 0.0f) - (c < 0.0f));
    switch (dir) {
    case LK_DIR_SIGN: return sgn;
    case LK_DIR_LINEAR: return c;
    case LK_DIR_CLIP: return c > q ? q : c < -q ? -q : c;
    case LK_DIR_SCALED: return c * s;
    default: return sgn * pq * s;
    }
}

/* The gradient as the step sees it: g, plus wd*w where decayed in wd_mode=l2 (wl2). */
LK_INLINE float grad_at(int wl2, const lf_lk_coef *k, const float *w, const float *g,
                        const uint8_t *decay, int64_t i)
{
    return wl2 ? g[i] + (float)decay[i] * k->l2 * w[i] : g[i];
}

/* pq: LK_DIR_POW only, |c|^(p-1) of elements lo.. (else unread). */
LK_INLINE void update_range(int dir, int bf16, const lf_lk_coef *k, float *w, const float *g,
                            void *m, const uint8_t *decay, int64_t lo, int64_t hi, float s,
                            const float *pq)
{
    const float b1 = k->b1, a1 = k->a1, b2 = k->b2, a2 = k->a2, shrink = k->shrink;
    const float nlr = k->nlr, q = k->q;
#pragma omp simd
    for (int64_t i = lo; i < hi; i++) {
        const float dm = (float)decay[i];
        const float gi = grad_at(1, k, w, g, decay, i);
        const float mi = mu_load(m, i, bf16);
        /* The decay as arithmetic on the 0/1 mask keeps the loop vectorisable (see adamw above). */
        const float p = w[i] + dm * shrink * w[i];
        const float ci = mi * b1 + a1 * gi;
        w[i] = p + nlr * direction(dir, ci, s, q, dir == LK_DIR_POW ? pq[i - lo] : 0.0f);
        mu_store(m, i, mi * b2 + a2 * gi, bf16);
    }
}

/* c over [lo, hi) into out, or (sq) the sum of c^2 in double. w and the mask are read only in
 * wd_mode=l2 (wl2), where they enter the gradient: the norm pass streams m and g alone. */
LK_INLINE double c_range(int sq, int wl2, int bf16, const lf_lk_coef *k, const float *w,
                         const float *g, const void *m, const uint8_t *decay, int64_t lo,
                         int64_t hi, float *out)
{
    const float b1 = k->b1, a1 = k->a1;
    double s = 0;
    if (sq) {
#pragma omp simd reduction(+ : s)
        for (int64_t i = lo; i < hi; i++) {
            const float ci = mu_load(m, i, bf16) * b1 + a1 * grad_at(wl2, k, w, g, decay, i);
            s += (double)ci * (double)ci;
        }
    } else {
#pragma omp simd
        for (int64_t i = lo; i < hi; i++)
            out[i - lo] = mu_load(m, i, bf16) * b1 + a1 * grad_at(wl2, k, w, g, decay, i);
    }
    return s;
}

/* lp goes block by block through a stack buffer, so its powers are vectorised (abs_pow):
 * pass 1 sums |c|^p, pass 2 (pq_out) leaves |c|^(p-1) for update_range. */
#define LK_BLOCK 256

/* x = |x|^e. The exponents of lp's two passes (e = p in [1, 2], e = p-1) have an exact form at
 * the halves, p = 1.5 (the default) and 2, which sqrtf gives correctly rounded; others take
 * lf_vpow (exp and log, ~10x the work). */
static void abs_pow(float *x, int64_t n, float e)
{
    /* One loop per form: a select between them would not vectorise (sqrtf may trap). */
    /* NOLINTNEXTLINE(bugprone-branch-clone): the branches differ inside their omp simd loops */
    if (e == 0.5f) {
#pragma omp simd
        for (int64_t j = 0; j < n; j++) x[j] = sqrtf(fabsf(x[j]));
    } else if (e == 1.5f) {
#pragma omp simd
        for (int64_t j = 0; j < n; j++) x[j] = fabsf(x[j]) * sqrtf(fabsf(x[j]));
    } else if (e == 1.0f) {
#pragma omp simd
        for (int64_t j = 0; j < n; j++) x[j] = fabsf(x[j]);
    } else if (e == 2.0f) {
#pragma omp simd
        for (int64_t j = 0; j < n; j++) x[j] = x[j] * x[j];
    } else {
        lf_vpow(x, x, e, n);
    }
}

LK_INLINE double pow_block(int wl2, int bf16, const lf_lk_coef *k, const float *w, const float *g,
                           const void *m, const uint8_t *decay, int64_t lo, int64_t hi,
                           float *buf, int sum)
{
    c_range(0, wl2, bf16, k, w, g, m, decay, lo, hi, buf);
    abs_pow(buf, hi - lo, sum ? k->p : k->q);
    double s = 0;
    if (sum) {
#pragma omp simd reduction(+ : s)
        for (int64_t j = 0; j < hi - lo; j++) s += buf[j];
    }
    return s;
}

#define LK_BOTH(d, call) \
    case 2 * (d): call(d, 0); break; \
    case 2 * (d) + 1: call(d, 1); break;

static void lk_update(int dir, int bf16, const lf_lk_coef *k, float *w, const float *g, void *m,
                      const uint8_t *decay, int64_t lo, int64_t hi, float s)
{
    float pq[LK_BLOCK];
#define LK_UPDATE(d, b) update_range(d, b, k, w, g, m, decay, lo, hi, s, NULL)
#define LK_POW(d, b)                                                                           \
    for (int64_t b0 = lo; b0 < hi; b0 += LK_BLOCK) {                                           \
        const int64_t be = hi - b0 < LK_BLOCK ? hi : b0 + LK_BLOCK;                            \
        pow_block(1, b, k, w, g, m, decay, b0, be, pq, 0);                                     \
        update_range(d, b, k, w, g, m, decay, b0, be, s, pq);                                  \
    }
    switch (2 * dir + bf16) {
        LK_BOTH(LK_DIR_SIGN, LK_UPDATE)
        LK_BOTH(LK_DIR_LINEAR, LK_UPDATE)
        LK_BOTH(LK_DIR_CLIP, LK_UPDATE)
        LK_BOTH(LK_DIR_SCALED, LK_UPDATE)
        LK_BOTH(LK_DIR_POW, LK_POW)
    }
#undef LK_POW
#undef LK_UPDATE
}

/* The chunk's sum of c^2 (pw = 0) or |c|^p. */
static double lk_sum(int pw, int bf16, const lf_lk_coef *k, const float *w, const float *g,
                   const void *m, const uint8_t *decay, int64_t lo, int64_t hi)
{
    float buf[LK_BLOCK];
    double s = 0;
#define LK_SQ(d, b) s = c_range(1, d, b, k, w, g, m, decay, lo, hi, NULL)
#define LK_PW(d, b)                                                                            \
    for (int64_t b0 = lo; b0 < hi; b0 += LK_BLOCK)                                             \
        s += pow_block(d, b, k, w, g, m, decay, b0, hi - b0 < LK_BLOCK ? hi : b0 + LK_BLOCK, buf, 1);
    const int wl2 = k->l2 != 0.0f;
    if (pw) {
        switch (2 * wl2 + bf16) {
            LK_BOTH(0, LK_PW)
            LK_BOTH(1, LK_PW)
        }
    } else {
        switch (2 * wl2 + bf16) {
            LK_BOTH(0, LK_SQ)
            LK_BOTH(1, LK_SQ)
        }
    }
#undef LK_PW
#undef LK_SQ
    return s;
}
#undef LK_BOTH

const lf_step_kern LF_K(lf_steps) = {sgd, adamw, ogd, oadam, lk_update, lk_sum};
