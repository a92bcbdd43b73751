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
#include "optim/steps.h"

#include <math.h>

/* Passes are split into at most LK_MAX_CHUNKS contiguous ranges of >= LK_CHUNK elements
 * (threads pay off from about 2^15 floats). Threads take whole chunks, and a norm adds its
 * chunks' partial sums in chunk order, so results do not depend on the thread count. */
#define LK_CHUNK (1 << 14)
#define LK_MAX_CHUNKS 64

static int64_t n_chunks(int64_t len)
{
    const int64_t c = len / LK_CHUNK;
    return c < 1 ? 1 : c > LK_MAX_CHUNKS ? LK_MAX_CHUNKS : c;
}

static void update(int dir, int bf16, const lf_lk_coef *k, float *w, const float *g, void *m,
                   const uint8_t *decay, int64_t lo, int64_t hi, float s)
{
    const lf_step_kern *ks = LF_STEPS;
    const int64_t len = hi - lo, nc = n_chunks(len);
#pragma omp parallel for schedule(static) if(nc > 1)
    for (int64_t c = 0; c < nc; c++)
        ks->lk_update(dir, bf16, k, w, g, m, decay, lo + len * c / nc, lo + len * (c + 1) / nc, s);
}

static double norm_sum(int pw, int bf16, const lf_lk_coef *k, const float *w, const float *g,
                       const void *m, const uint8_t *decay, int64_t lo, int64_t hi)
{
    const lf_step_kern *ks = LF_STEPS;
    double part[LK_MAX_CHUNKS];
    const int64_t len = hi - lo, nc = n_chunks(len);
#pragma omp parallel for schedule(static) if(nc > 1)
    for (int64_t c = 0; c < nc; c++)
        part[c] = ks->lk_sum(pw, bf16, k, w, g, m, decay, lo + len * c / nc,
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
    static const int dir_of[] = {[LK_L1] = LK_DIR_SIGN,    [LK_L2] = LK_DIR_SCALED,
                                 [LK_LP] = LK_DIR_POW,      [LK_SQ] = LK_DIR_LINEAR,
                                 [LK_HUBER] = LK_DIR_CLIP,  [LK_REL] = LK_DIR_SCALED};
    const lf_lk_coef k = {(float)h->b1, (float)(1 - h->b1), (float)h->b2, (float)(1 - h->b2),
                          lf_wd_shrink(h->wd_mode, h->wd, lr), lf_wd_grad(h->wd_mode, h->wd),
                          (float)-lr, (float)(h->kappa == LK_LP ? h->p - 1 : h->c), (float)h->p};
    const int dir = dir_of[h->kappa], bf16 = h->mu_dtype == LK_MU_BF16;
    if (dir == LK_DIR_SIGN || dir == LK_DIR_LINEAR || dir == LK_DIR_CLIP) {
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
