/* ALDR-KL: LDR-KL with a per-sample temperature lambda_i adapted to how peaked the model's
 * prediction for that sample is (Zhu, Ying, Yang, ICML 2023).
 *
 * Source: shared/papers/losses.md §5, transcribing the authors' reference code
 * (Optimization-AI/ICML2023_LDR, class ALDRLoss_V1; confirmed against a copy of that file found
 * with the code search). Per row, with u = z / (||z||_1 / K) (or softplus(z) / mean softplus(z)
 * with softplus=1) and lambda_prev the sample's stored temperature:
 *   p        = normalize_L1( softmax(u / lambda_prev) + 1e-5 )
 *   lambda_i = lambda0 - lambda0 * KL(p || uniform) / (alpha log K),  KL = sum_k p_k log(K p_k)
 *   L        = LDR-KL(u; c, lambda_i) - (alpha log K / (2 lambda0)) (lambda_i - lambda0)^2
 * lambda_i is stored (rounded to float, as the reference's float tensor) and treated as a
 * constant by the gradient, as the reference detaches it; the second term is constant in z.
 * KL <= log K, so lambda_i >= lambda0 (1 - 1/alpha) > 0 for alpha > 1 (and > 0 for alpha = 1
 * thanks to the 1e-5 floor). With K = 1 there is nothing to adapt: lambda_i = lambda0.
 *
 * State: one float per training row, sized by lf_loss_bind (lf_train passes the training set's
 * row count) and exposed by lf_loss_state for checkpoints. Only calls that ask for a gradient
 * (training steps) read and write it, through the batch's dataset row ids; value-only calls
 * (evaluation, on any split) start every row from lambda0 and leave the state alone, since
 * their row ids may belong to another dataset. adapt=0 freezes the stored lambda_i.
 */
#include "ldr.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

typedef struct aldr_cfg {
    double margin, lambda0, alpha;
    int softplus, adapt;
    lf_reduce_cfg red;
} aldr_cfg;

typedef struct aldr_state {
    lf_reduce *red;
    int64_t n;     /* training rows bound; 0 before lf_loss_bind */
    float *lambda; /* n per-sample temperatures */
} aldr_state;

static void aldr_free_state(void *state)
{
    aldr_state *st = state;
    if (st) {
        lf_reduce_free(st->red);
        free(st->lambda);
    }
    free(st);
}

static lf_status aldr_init(const void *cfg, void **state)
{
    const aldr_cfg *c = cfg;
    aldr_state *st = calloc(1, sizeof *st);
    if (!st) return lf_error(LF_ENOMEM, "loss \"aldr\": out of memory");
    lf_status s = lf_reduce_new("aldr", &c->red, &st->red);
    if (s != LF_OK) {
        free(st);
        return s;
    }
    *state = st;
    return LF_OK;
}

static lf_status aldr_bind(const void *cfg, void *state, int64_t n_rows)
{
    const aldr_cfg *c = cfg;
    aldr_state *st = state;
    float *lam = realloc(st->lambda, (size_t)n_rows * sizeof *lam);
    if (!lam)
        return lf_error(LF_ENOMEM, "loss \"aldr\": out of memory for %lld per-sample lambdas",
                        (long long)n_rows);
    for (int64_t i = 0; i < n_rows; i++) lam[i] = (float)c->lambda0;
    st->lambda = lam;
    st->n = n_rows;
    return LF_OK;
}

static int aldr_state_count(const void *state)
{
    LF_UNUSED(state);
    return 1;
}

static float *aldr_state_at(void *state, int i, const char **name, int64_t *n)
{
    aldr_state *st = state;
    if (i != 0) return NULL;
    if (name) *name = "aldr.lambda";
    if (n) *n = st->n;
    return st->lambda;
}

static lf_status aldr_check(const void *cfg, const lf_batch *b)
{
    const aldr_cfg *c = cfg;
    lf_status s = lf_reduce_check("aldr", &c->red, b);
    /* The L1 normalisation divides by ||z||_1, which an infinite logit makes meaningless. */
    for (int64_t i = 0; s == LF_OK && !c->softplus && i < b->n * b->k; i++)
        if (!isfinite(b->pred[i]))
            s = lf_error(LF_EINVAL, "loss \"aldr\": logit %lld of row %lld is %g; the L1 scale "
                         "normalisation needs finite logits (or softplus=1)",
                         (long long)(i % b->k), (long long)(i / b->k), (double)b->pred[i]);
    return s;
}

/* A training step reads and writes lambda_i: row ids must be there and within the bound rows. */
static lf_status aldr_check_rows(const aldr_state *st, const lf_batch *b)
{
    if (!b->index)
        return lf_error(LF_EINVAL, "loss \"aldr\" needs batch field \"index\" (dataset row ids) "
                        "for a gradient step, which is NULL");
    if (!st->n)
        return lf_error(LF_EINVAL, "loss \"aldr\": per-sample state not sized; call "
                        "lf_loss_bind(loss, n_rows) first (lf_train does)");
    for (int64_t i = 0; i < b->n; i++)
        if (b->index[i] < 0 || b->index[i] >= st->n)
            return lf_error(LF_EINVAL, "loss \"aldr\": row id %lld at batch row %lld is outside "
                            "[0, %lld), the rows bound", (long long)b->index[i], (long long)i,
                            (long long)st->n);
    return LF_OK;
}

/* The adapted lambda_i from the row's prediction and its previous lambda (see the top). */
static double aldr_lambda(const aldr_cfg *c, const lf_ldr_row *r, double prev)
{
    const int64_t k = r->k;
    if (k == 1) return c->lambda0;
    double m = -INFINITY, s = 0, kl = 0;
    for (int64_t j = 0; j < k; j++) m = fmax(m, lf_ldr_u(r, j) / prev);
    for (int64_t j = 0; j < k; j++) s += exp(lf_ldr_u(r, j) / prev - m);
    const double eps = 1e-5, norm = 1 + (double)k * eps;
    for (int64_t j = 0; j < k; j++) {
        double p = (exp(lf_ldr_u(r, j) / prev - m) / s + eps) / norm;
        kl += p * log((double)k * p);
    }
    return c->lambda0 - c->lambda0 * kl / (c->alpha * log((double)k));
}

typedef struct aldr_ctx {
    const aldr_cfg *c;
    aldr_state *st;
    const lf_batch *b;
    int train; /* a gradient step: read and write lambda_i */
} aldr_ctx;

static double aldr_row_fn(const void *ctx, const float *x, int64_t k, int32_t y, double scale,
                          float *g)
{
    const aldr_ctx *cx = ctx;
    const aldr_cfg *c = cx->c;
    lf_ldr_row r;
    lf_ldr_row_init(&r, c->softplus ? LF_LDR_SOFTPLUS : LF_LDR_L1, x, k);
    /* lf_reduce_rows hands over the row, not its number: it is the row's offset in pred. */
    float *lam_i = cx->train ? &cx->st->lambda[cx->b->index[(x - cx->b->pred) / k]] : NULL;
    double lam = lam_i ? (double)*lam_i : c->lambda0;
    if (c->adapt) lam = (double)(float)aldr_lambda(c, &r, lam);
    if (lam_i) *lam_i = (float)lam;
    const double wy = lf_reduce_weight(cx->st->red, y), dl = lam - c->lambda0;
    const double penalty = k > 1 ? c->alpha * log((double)k) / (2 * c->lambda0) * dl * dl : 0;
    return wy * (lf_ldr_value(&r, y, c->margin, lam, wy * scale, g) - penalty);
}

static lf_status aldr_eval(const void *cfg, void *state, const lf_batch *b, double *value,
                           float *dpred)
{
    const aldr_cfg *c = cfg;
    aldr_state *st = state;
    if (dpred) {
        lf_status s = aldr_check_rows(st, b);
        if (s != LF_OK) return s;
    }
    const aldr_ctx ctx = {c, st, b, dpred != NULL};
    return lf_reduce_rows(&c->red, st->red, b, aldr_row_fn, &ctx, value, dpred);
}

static const lf_loss_vt aldr_vt = {
    .needs = LF_NEED_LABEL,
    .init = aldr_init,
    .free_state = aldr_free_state,
    .check = aldr_check,
    .eval = aldr_eval,
    .bind = aldr_bind,
    .state_count = aldr_state_count,
    .state_at = aldr_state_at,
};

static const lf_param_desc aldr_params[] = {
    LF_PARAM_FLOAT("margin", 1.0, 0.0, INFINITY, 0,
        "margin c added to every wrong class's logit difference (ALDRLoss_V1's threshold)",
        aldr_cfg, margin),
    LF_PARAM_FLOAT("lambda0", 1.0, 0.0, INFINITY, LF_OPEN_MIN,
        "initial and reference temperature lambda0", aldr_cfg, lambda0),
    LF_PARAM_FLOAT("alpha", 2.0, 1.0, INFINITY, 0,
        "strength of the prior keeping lambda_i near lambda0 (the authors use 2)", aldr_cfg, alpha),
    LF_PARAM_BOOL("softplus", 0, "normalise softplus(z) by its mean instead of z by ||z||_1 / K",
        aldr_cfg, softplus),
    LF_PARAM_BOOL("adapt", 1,
        "1: each training step moves lambda_i; 0: lambda_i stay at their stored values", aldr_cfg,
        adapt),
    LF_REDUCE_PARAMS(aldr_cfg, red),
};

const lf_desc lf_desc_loss_aldr = {
    .kind = LF_KIND_LOSS,
    .name = "aldr",
    .doc = "ALDR-KL: LDR-KL with a per-sample temperature lambda_i adapted every epoch",
    .paper = "ldr",
    .params = aldr_params,
    .nparams = LF_NPARAMS(aldr_params),
    .cfg_size = sizeof(aldr_cfg),
    .impl = &aldr_vt,
};
