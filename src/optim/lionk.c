/* Lion-kappa (L. Chen, B. Liu, K. Liang, Q. Liu, "Lion Secretly Solves Constrained
 * Optimization: As Lyapunov Predicts", ICLR 2024): Lion with sign() replaced by the
 * (sub)gradient dK of a convex kappa. In our sign convention (m averages +g):
 *   c = b1*m + (1-b1)*g;  w = w - lr*(dK(c) + wd*w);  m = b2*m + (1-b2)*g   (m after c).
 * With decoupled decay lambda = wd the dynamics minimise the composite problem
 * f(x) + kappa*(lambda*x)/lambda (kappa* the convex conjugate); h below is the parameter c:
 *   l1            dK = sign(c)                        min f  s.t. |x|_inf <= 1/lambda  (Lion)
 *   l2            dK = c/|c|_2, per tensor            min f  s.t. |x|_2 <= 1/lambda
 *   lp            dK = sign(c)|c|^(p-1)/|c|_p^(p-1)   min f  s.t. |x|_q <= 1/lambda, 1/p+1/q=1
 *   sq            dK = c (momentum SGD + decay)       min f + (lambda/2)|x|_2^2
 *   huber         dK = clip(c, -h, h)                 min f + (lambda/2)|x|_2^2 s.t. |x|_inf <= h/lambda
 *   relativistic  dK = c/sqrt(|c|_2^2 + h^2)          min f - (h/lambda) sqrt(1 - lambda^2 |x|_2^2)
 * dK(0) = 0. A norm-based kappa normalises each parameter tensor on its own (the segments of
 * lf_optim_set_segments). Inside its ball an iterate stays inside when lr*lambda <= 1, and
 * outside the distance shrinks by (1 - lr*lambda) per step (lossforge repro lion-box). */
#include "lionk.h"

#include <math.h>
#include <string.h>

/* Passes are split into at most LK_MAX_CHUNKS contiguous ranges of >= LK_CHUNK elements
 * (threads pay off from about 2^15 floats). Threads take whole chunks, and a norm adds its
 * chunks' partial sums in chunk order, so results do not depend on the thread count. */
#define LK_CHUNK (1 << 14)
#define LK_MAX_CHUNKS 64

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
typedef struct lk_coef {
    float b1, a1, b2, a2;
    float shrink;  /* decay step: w += shrink*w where the mask is 1 (lf_wd_shrink) */
    float l2;      /* wd in wd_mode=l2, else 0 */
    float nlr;     /* -lr */
    float q;       /* lp: p - 1; huber: its threshold */
    float p;       /* lp: the exponent */
} lk_coef;

/* How dK(c) is formed from c and the tensor's scale s. */
enum { DIR_SIGN, DIR_LINEAR, DIR_CLIP, DIR_SCALED, DIR_POW };

/* dK(c) given the tensor's scale s; for lp, pq = |c|^(p-1) from lf_vpow. */
LK_INLINE float direction(int dir, float c, float s, float q, float pq)
{
    const float sgn = (float)((c > 0.0f) - (c < 0.0f));
    switch (dir) {
    case DIR_SIGN: return sgn;
    case DIR_LINEAR: return c;
    case DIR_CLIP: return c > q ? q : c < -q ? -q : c;
    case DIR_SCALED: return c * s;
    default: return sgn * pq * s;
    }
}

/* The gradient as the step sees it: g, plus wd*w where decayed in wd_mode=l2 (wl2). */
LK_INLINE float grad_at(int wl2, const lk_coef *k, const float *w, const float *g,
                        const uint8_t *decay, int64_t i)
{
    return wl2 ? g[i] + (float)decay[i] * k->l2 * w[i] : g[i];
}

/* pq: DIR_POW only, |c|^(p-1) of elements lo.. (else unread). */
LK_INLINE void update_range(int dir, int bf16, const lk_coef *k, float *w, const float *g,
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
        /* The decay as arithmetic on the 0/1 mask keeps the loop vectorisable (see adamw.c). */
        const float p = w[i] + dm * shrink * w[i];
        const float ci = mi * b1 + a1 * gi;
        w[i] = p + nlr * direction(dir, ci, s, q, dir == DIR_POW ? pq[i - lo] : 0.0f);
        mu_store(m, i, mi * b2 + a2 * gi, bf16);
    }
}

/* c over [lo, hi) into out, or (sq) the sum of c^2 in double. w and the mask are read only in
 * wd_mode=l2 (wl2), where they enter the gradient: the norm pass streams m and g alone. */
LK_INLINE double c_range(int sq, int wl2, int bf16, const lk_coef *k, const float *w,
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

/* lp goes block by block through a stack buffer, so its powers use the vectorised lf_vpow:
 * pass 1 sums |c|^p, pass 2 (pq_out) leaves |c|^(p-1) for update_range. */
#define LK_BLOCK 256

LK_INLINE double pow_block(int wl2, int bf16, const lk_coef *k, const float *w, const float *g,
                           const void *m, const uint8_t *decay, int64_t lo, int64_t hi,
                           float *buf, int sum)
{
    c_range(0, wl2, bf16, k, w, g, m, decay, lo, hi, buf);
    lf_vpow(buf, buf, sum ? k->p : k->q, hi - lo);
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

static void update_chunk(int dir, int bf16, const lk_coef *k, float *w, const float *g, void *m,
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
        LK_BOTH(DIR_SIGN, LK_UPDATE)
        LK_BOTH(DIR_LINEAR, LK_UPDATE)
        LK_BOTH(DIR_CLIP, LK_UPDATE)
        LK_BOTH(DIR_SCALED, LK_UPDATE)
        LK_BOTH(DIR_POW, LK_POW)
    }
#undef LK_POW
#undef LK_UPDATE
}

/* The chunk's sum of c^2 (pw = 0) or |c|^p. */
static double sum_chunk(int pw, int bf16, const lk_coef *k, const float *w, const float *g,
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

static int64_t n_chunks(int64_t len)
{
    const int64_t c = len / LK_CHUNK;
    return c < 1 ? 1 : c > LK_MAX_CHUNKS ? LK_MAX_CHUNKS : c;
}

static void update(int dir, int bf16, const lk_coef *k, float *w, const float *g, void *m,
                   const uint8_t *decay, int64_t lo, int64_t hi, float s)
{
    const int64_t len = hi - lo, nc = n_chunks(len);
#pragma omp parallel for schedule(static) if(nc > 1)
    for (int64_t c = 0; c < nc; c++)
        update_chunk(dir, bf16, k, w, g, m, decay, lo + len * c / nc, lo + len * (c + 1) / nc, s);
}

static double norm_sum(int pw, int bf16, const lk_coef *k, const float *w, const float *g,
                       const void *m, const uint8_t *decay, int64_t lo, int64_t hi)
{
    double part[LK_MAX_CHUNKS];
    const int64_t len = hi - lo, nc = n_chunks(len);
#pragma omp parallel for schedule(static) if(nc > 1)
    for (int64_t c = 0; c < nc; c++)
        part[c] = sum_chunk(pw, bf16, k, w, g, m, decay, lo + len * c / nc,
                            lo + len * (c + 1) / nc);
    double s = 0;
    for (int64_t c = 0; c < nc; c++) s += part[c];
    return s;
}

/* The factor s in dK = c*s (l2, relativistic) or sign(c)|c|^(p-1)*s (lp) from the tensor's sum
 * of c^2 or |c|^p; 0 for a zero c, where the subgradient 0 is taken. */
static float tensor_scale(const lf_lionk_hyper *h, double sum)
{
    if (h->kappa == LK_REL) return (float)(1 / sqrt(sum + h->c * h->c));
    if (!(sum > 0)) return 0.0f;
    if (h->kappa == LK_L2) return (float)(1 / sqrt(sum));
    return (float)pow(sum, -(h->p - 1) / h->p); /* 1 / |c|_p^(p-1) */
}

void lf_lionk_step(const lf_lionk_hyper *h, float *w, const float *g, void *m,
                   const uint8_t *decay, const int64_t *seg, int nseg, double lr)
{
    static const int dir_of[] = {[LK_L1] = DIR_SIGN,    [LK_L2] = DIR_SCALED,
                                 [LK_LP] = DIR_POW,     [LK_SQ] = DIR_LINEAR,
                                 [LK_HUBER] = DIR_CLIP, [LK_REL] = DIR_SCALED};
    const lk_coef k = {(float)h->b1, (float)(1 - h->b1), (float)h->b2, (float)(1 - h->b2),
                       lf_wd_shrink(h->wd_mode, h->wd, lr), lf_wd_grad(h->wd_mode, h->wd),
                       (float)-lr, (float)(h->kappa == LK_LP ? h->p - 1 : h->c), (float)h->p};
    const int dir = dir_of[h->kappa], bf16 = h->mu_dtype == LK_MU_BF16;
    if (dir == DIR_SIGN || dir == DIR_LINEAR || dir == DIR_CLIP) {
        update(dir, bf16, &k, w, g, m, decay, 0, seg[nseg], 1.0f);
        return;
    }
    for (int j = 0; j < nseg; j++) {
        const double sum = norm_sum(h->kappa == LK_LP, bf16, &k, w, g, m, decay, seg[j], seg[j + 1]);
        update(dir, bf16, &k, w, g, m, decay, seg[j], seg[j + 1], tensor_scale(h, sum));
    }
}

lf_dtype lf_lionk_mu_type(int mu_dtype) { return mu_dtype == LK_MU_BF16 ? LF_BF16 : LF_F32; }

/* ------------------------------------------------------------------ the composite problem */
static double norm2(const double *x, int d)
{
    double s = 0;
    for (int i = 0; i < d; i++) s += x[i] * x[i];
    return sqrt(s);
}

/* r with r (1 + h lambda / sqrt(1 - lambda^2 r^2)) = |c|: the radius of the relativistic
 * minimiser (the left side grows from 0 to infinity on [0, 1/lambda)). */
static double rel_radius(double cn, double lambda, double h)
{
    double lo = 0, hi = fmin(cn, 1 / lambda);
    for (int it = 0; it < 200; it++) {
        double r = (lo + hi) / 2, v = r * (1 + h * lambda / sqrt(1 - lambda * lambda * r * r));
        if (v > cn) hi = r;
        else lo = r;
    }
    return (lo + hi) / 2;
}

int lf_lionk_minimiser(int kappa, double h, const double *c, int d, double lambda, double *x)
{
    const double cn = norm2(c, d), R = 1 / lambda;
    for (int i = 0; i < d; i++) {
        switch (kappa) {
        case LK_L1: x[i] = fmax(-R, fmin(R, c[i])); break;
        case LK_L2: x[i] = c[i] * fmin(1, R / cn); break;
        case LK_SQ: x[i] = c[i] / (1 + lambda); break;
        case LK_HUBER: x[i] = fmax(-h * R, fmin(h * R, c[i] / (1 + lambda))); break;
        case LK_REL: x[i] = c[i] * rel_radius(cn, lambda, h) / cn; break;
        default: return 0;
        }
    }
    return 1;
}

double lf_lionk_penalty(int kappa, double h, const double *x, int d, double lambda)
{
    const double n = norm2(x, d);
    if (kappa == LK_SQ || kappa == LK_HUBER) return lambda / 2 * n * n;
    if (kappa == LK_REL) return -h / lambda * sqrt(fmax(0, 1 - lambda * lambda * n * n));
    return 0;
}

/* ------------------------------------------------------------------ the lionk descriptor */
typedef struct lionk_cfg {
    double lr;
    lf_lionk_hyper h;
} lionk_cfg;

static double lionk_lr(const void *cfg) { return ((const lionk_cfg *)cfg)->lr; }

static lf_status lionk_check(const void *cfg)
{
    const lionk_cfg *c = cfg;
    return lf_wd_check("lionk", c->h.wd_mode, c->h.wd);
}

static lf_dtype lionk_state_dtype(const void *cfg, int i)
{
    LF_UNUSED(i);
    return lf_lionk_mu_type(((const lionk_cfg *)cfg)->h.mu_dtype);
}

static void lionk_step(const void *cfg, float *w, const float *g, float *const *state,
                       const uint8_t *decay, const int64_t *seg, int nseg, int64_t t, double lr)
{
    LF_UNUSED(t);
    lf_lionk_step(&((const lionk_cfg *)cfg)->h, w, g, state[0], decay, seg, nseg, lr);
}

static const char *const lionk_state_names[] = {"exp_avg"};

static const lf_optim_vt lionk_vt = {
    .nstate = 1,
    .state_names = lionk_state_names,
    .base_lr = lionk_lr,
    .check = lionk_check,
    .state_dtype = lionk_state_dtype,
    .step_seg = lionk_step,
};

static const lf_param_desc lionk_params[] = {
    LF_PARAM_ENUM("kappa", LK_L1, LK_KAPPA_CHOICES,
        "dK replacing sign, and what it solves with lambda = wd: l1 sign (Lion): |x|_inf <= "
        "1/lambda; l2 c/|c|_2 per tensor: |x|_2 <= 1/lambda; lp sign(c)|c|^(p-1)/|c|_p^(p-1): "
        "|x|_q <= 1/lambda; sq c (momentum SGD): f + lambda/2 |x|^2; huber clip(c, +-c): f + "
        "lambda/2 |x|^2, |x|_inf <= c/lambda; relativistic c/sqrt(|c|^2 + c^2): f - (c/lambda) "
        "sqrt(1 - lambda^2 |x|_2^2)", lionk_cfg, h.kappa),
    LF_PARAM_FLOAT("p", 1.5, 1, 2, 0, "exponent of kappa=lp (1 = Lion, 2 = l2)", lionk_cfg, h.p),
    LF_PARAM_FLOAT("c", 1, 0, INFINITY, LF_OPEN_MIN, "huber threshold / relativistic constant",
        lionk_cfg, h.c),
    LF_PARAM_FLOAT("lr", 1e-4, 0, INFINITY, LF_OPEN_MIN,
        "learning rate (3-10x smaller than AdamW's)", lionk_cfg, lr),
    LF_PARAM_FLOAT("b1", 0.9, 0, 1, LF_OPEN_MAX,
        "interpolation between momentum and gradient inside dK", lionk_cfg, h.b1),
    LF_PARAM_FLOAT("b2", 0.99, 0, 1, LF_OPEN_MAX, "decay rate of the momentum", lionk_cfg, h.b2),
    LF_PARAM_FLOAT("wd", 0, 0, INFINITY, 0,
        "weight decay lambda: the constraint radius is 1/lambda", lionk_cfg, h.wd),
    LF_WD_MODE_PARAM(lionk_cfg, h.wd_mode),
    LK_MU_DTYPE_PARAM(lionk_cfg, h.mu_dtype),
};

const lf_desc lf_desc_optim_lionk = {
    .kind = LF_KIND_OPTIM,
    .name = "lionk",
    .doc = "Lion-kappa: Lion with sign replaced by the gradient of a convex kappa (l1 = Lion)",
    .paper = "lion",
    .params = lionk_params,
    .nparams = LF_NPARAMS(lionk_params),
    .cfg_size = sizeof(lionk_cfg),
    .impl = &lionk_vt,
};
