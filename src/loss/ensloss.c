/* EnsLoss (Dai, ICML 2025, arXiv 2409.00908): an implicit ensemble of calibrated losses.
 *
 * SGD sees a loss only through phi'(z) at the margins z_i = (2y_i-1) s_i, so on every call this
 * loss draws random loss-derivatives that satisfy the convexity-and-calibration conditions
 * (phi' non-decreasing and phi'(0) < 0), exactly as the reference code does (statmlben/ensLoss
 * losses.py, class ensLoss):
 *   1. g_i = -BCinv(e_i), e_i ~ N(0, 1), i = 1..n, with the inverse Box-Cox transform
 *      BCinv(e) = exp(e) (lambda = 0), else max(1 + lambda e, 0)^(1/lambda);
 *   2. sort g ascending and clip it to g >= -1;
 *   3. give the sorted values to the rows in ascending order of z (the smallest margin gets the
 *      most negative derivative: phi' is non-decreasing, i.e. phi convex); ties in z keep row
 *      order;
 *   4. superlinear tail: g_i /= z_i where z_i > 1;
 *   5. g_i -= 1e-6 (strictly negative: calibrated); g is then a constant (detached).
 * The value is the surrogate mean_i g_i z_i, whose gradient mean_i g_i dz_i is the point; the
 * value itself means nothing (and is not the integral of a fixed loss).
 * Draws come from the loss's own xoshiro stream, seeded by `seed`; lf_ensloss_eval runs steps
 * 1-5 on given draws. */
#include "binary.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

typedef struct ens_cfg {
    double lambda;
    int64_t seed;
} ens_cfg;

typedef struct ens_pair {
    double z;
    int64_t i;
} ens_pair;

/* The draw stream and scratch for n rows, grown to the largest batch seen. The stream's 32 bytes
 * are also 8 float slots: the loss-state buffer "rng" that checkpoints save and restore
 * bit-for-bit (lf_loss_state), so a resumed run draws the same derivatives. */
typedef struct ens_state {
    union {
        lf_rng rng;
        float slots[sizeof(lf_rng) / sizeof(float)];
    } draw;
    int64_t cap;
    double *g;
    ens_pair *pair;
} ens_state;

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_pair(const void *a, const void *b)
{
    const ens_pair *x = a, *y = b;
    if (x->z != y->z) return (x->z > y->z) - (x->z < y->z);
    return (x->i > y->i) - (x->i < y->i);
}

static double bc_inv(double e, double lambda)
{
    if (lambda == 0) return exp(e);
    const double d = 1 + lambda * e;
    return pow(d > 0 ? d : 0, 1 / lambda);
}

/* Steps 1-5 on the draws in g (n, overwritten); pair is n of scratch. */
static void ens_core(const float *score, const int32_t *label, int64_t n, double lambda,
                     double *g, ens_pair *pair, double *value, float *dscore)
{
    for (int64_t i = 0; i < n; i++) {
        g[i] = -bc_inv(g[i], lambda);
        pair[i] = (ens_pair){lf_sign_label(label[i]) * (double)score[i], i};
    }
    qsort(g, (size_t)n, sizeof *g, cmp_double);
    qsort(pair, (size_t)n, sizeof *pair, cmp_pair);
    double total = 0;
    for (int64_t r = 0; r < n; r++) {
        const double z = pair[r].z;
        /* fmax also maps a -inf draw (lambda < 0 beyond its support) to the clip. */
        double d = fmax(g[r], -1.0);
        if (z > 1) d /= z;
        d -= 1e-6;
        total += d * z;
        const int64_t i = pair[r].i;
        if (dscore) dscore[i] = (float)(d * lf_sign_label(label[i]) / (double)n);
    }
    *value = total / (double)n;
}

static lf_status ens_check_args(const float *score, const int32_t *label, int64_t n,
                                double lambda, const double *draws)
{
    if (!score || !label || !draws || n < 1 || !isfinite(lambda))
        return lf_error(LF_EINVAL, "lf_ensloss_eval: needs score, label and draws of n >= 1 rows "
                        "and a finite lambda (n = %lld)", (long long)n);
    lf_batch b = {.pred = score, .n = n, .k = 1, .label = label};
    return lf_binary_check("ensloss", &b);
}

lf_status lf_ensloss_eval(const float *score, const int32_t *label, int64_t n, double lambda,
                          const double *draws, double *value, float *dscore)
{
    lf_status s = ens_check_args(score, label, n, lambda, draws);
    if (s != LF_OK) return s;
    if (!value) return lf_error(LF_EINVAL, "lf_ensloss_eval: value is NULL");
    double *g = malloc((size_t)n * sizeof *g);
    ens_pair *pair = malloc((size_t)n * sizeof *pair);
    if (!g || !pair) {
        free(g);
        free(pair);
        return lf_error(LF_ENOMEM, "lf_ensloss_eval: out of memory for %lld rows", (long long)n);
    }
    memcpy(g, draws, (size_t)n * sizeof *g);
    ens_core(score, label, n, lambda, g, pair, value, dscore);
    free(g);
    free(pair);
    return LF_OK;
}

static lf_status ens_init(const void *cfg, void **state)
{
    const ens_cfg *c = cfg;
    ens_state *st = calloc(1, sizeof *st);
    if (!st) return lf_error(LF_ENOMEM, "loss \"ensloss\": out of memory");
    lf_rng_seed(&st->draw.rng, (uint64_t)c->seed);
    *state = st;
    return LF_OK;
}

static void ens_free_state(void *state)
{
    ens_state *st = state;
    if (!st) return;
    free(st->g);
    free(st->pair);
    free(st);
}

/* A new run (lf_loss_bind) starts the stream afresh from the seed. */
static lf_status ens_bind(const void *cfg, void *state, int64_t n_rows)
{
    LF_UNUSED(n_rows);
    lf_rng_seed(&((ens_state *)state)->draw.rng, (uint64_t)((const ens_cfg *)cfg)->seed);
    return LF_OK;
}

static int ens_state_count(const void *state)
{
    LF_UNUSED(state);
    return 1;
}

static float *ens_state_at(void *state, int i, const char **name, int64_t *n)
{
    LF_UNUSED(i);
    ens_state *st = state;
    *name = "rng";
    *n = (int64_t)(sizeof st->draw.slots / sizeof st->draw.slots[0]);
    return st->draw.slots;
}

static lf_status ens_reserve(ens_state *st, int64_t n)
{
    if (n <= st->cap) return LF_OK;
    double *g = realloc(st->g, (size_t)n * sizeof *g);
    if (g) st->g = g;
    ens_pair *p = realloc(st->pair, (size_t)n * sizeof *p);
    if (p) st->pair = p;
    if (!g || !p) return lf_error(LF_ENOMEM, "loss \"ensloss\": out of memory for %lld rows",
                                  (long long)n);
    st->cap = n;
    return LF_OK;
}

static lf_status ens_check(const void *cfg, const lf_batch *b)
{
    LF_UNUSED(cfg);
    return lf_binary_check("ensloss", b);
}

static lf_status ens_eval(const void *cfg, void *state, const lf_batch *b, double *value,
                          float *dpred)
{
    const ens_cfg *c = cfg;
    ens_state *st = state;
    lf_status s = ens_reserve(st, b->n);
    if (s != LF_OK) return s;
    for (int64_t i = 0; i < b->n; i++) st->g[i] = lf_rng_normal(&st->draw.rng);
    ens_core(b->pred, b->label, b->n, c->lambda, st->g, st->pair, value, dpred);
    return LF_OK;
}

static const lf_loss_vt ens_vt = {
    .needs = LF_NEED_LABEL | LF_LOSS_SCORES,
    .init = ens_init,
    .free_state = ens_free_state,
    .check = ens_check,
    .eval = ens_eval,
    .bind = ens_bind,
    .state_count = ens_state_count,
    .state_at = ens_state_at,
};

static const lf_param_desc ens_params[] = {
    LF_PARAM_FLOAT("lambda", 0, -10, 10, 0,
        "Box-Cox parameter of the derivative distribution: -g = BCinv(N(0,1)); 0 = lognormal",
        ens_cfg, lambda),
    LF_PARAM_INT("seed", 0, 0, 9007199254740992.0, "seed of the loss's draw stream", ens_cfg, seed),
};

const lf_desc lf_desc_loss_ensloss = {
    .kind = LF_KIND_LOSS,
    .name = "ensloss",
    .doc = "EnsLoss: random calibrated loss-derivatives per batch on n×1 scores (labels 0/1)",
    .paper = "ensloss",
    .params = ens_params,
    .nparams = LF_NPARAMS(ens_params),
    .cfg_size = sizeof(ens_cfg),
    .impl = &ens_vt,
};
