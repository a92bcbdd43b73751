/* Cross-entropy on logits, with PyTorch's label smoothing, class weights and ignore_index.
 *
 * Row loss (p = softmax(x), y = label, eps = smoothing, w = class weights, 1 when absent):
 *   L_i = (1-eps) w_y (-log p_y) + (eps/k) sum_c w_c (-log p_c)
 * times the per-sample weight b->weight[i] when the batch has one. Ignored rows, the reductions
 * and the two weighted-mean semantics are those of loss/reduce.h (PyTorch's by default).
 */
#include "internal.h"
#include "loss/reduce.h"

#include <math.h>
#include <stddef.h>

typedef struct ce_cfg {
    double smoothing;
    lf_reduce_cfg red;
} ce_cfg;

static lf_status ce_init(const void *cfg, void **state)
{
    const ce_cfg *c = cfg;
    lf_reduce *r;
    lf_status s = lf_reduce_new("ce", &c->red, &r);
    if (s == LF_OK) *state = r;
    return s;
}

static void ce_free_state(void *state) { lf_reduce_free(state); }

static lf_status ce_check(const void *cfg, const lf_batch *b)
{
    const ce_cfg *c = cfg;
    return lf_reduce_check("ce", &c->red, b);
}

/* sum_c w_c x_c (w = 1 when unweighted). */
static double ce_weighted_sum(const lf_reduce *st, const float *x, int64_t k)
{
    double s = 0;
    if (st->nw) {
#pragma omp simd reduction(+ : s)
        for (int64_t c = 0; c < k; c++) s += st->w[c] * (double)x[c];
    } else {
#pragma omp simd reduction(+ : s)
        for (int64_t c = 0; c < k; c++) s += (double)x[c];
    }
    return s;
}

typedef struct ce_ctx {
    const ce_cfg *c;
    const lf_reduce *st;
} ce_ctx;

/* Loss of one counted row. With g != NULL, also writes scale * dL/dx into g: one exp pass
 * (lf_row_exp) gives both the softmax and, through its sum, the log-sum-exp. */
static double ce_row(const void *ctx, const float *x, int64_t k, int32_t y, double scale, float *g)
{
    const ce_cfg *c = ((const ce_ctx *)ctx)->c;
    const lf_reduce *st = ((const ce_ctx *)ctx)->st;
    const double eps = c->smoothing, wy = lf_reduce_weight(st, y);
    const double wall = lf_reduce_wall(st, k);
    double lse;
    if (g) {
        double s;
        lse = lf_row_exp(x, k, g, &s);
        /* dL/dx_j = p_j ((1-eps) w_y + (eps/k) W) - (eps/k) w_j - (1-eps) w_y [j = y] */
        const float a = (float)(scale * ((1 - eps) * wy + eps / (double)k * wall) / s);
        const double b = scale * eps / (double)k;
        if (st->nw) {
#pragma omp simd
            for (int64_t j = 0; j < k; j++) g[j] = g[j] * a - (float)(b * st->w[j]);
        } else {
            lf_vaffine(g, k, a, -(float)b);
        }
        g[y] -= (float)(scale * (1 - eps) * wy);
    } else {
        lse = lf_logsumexp(x, k);
    }
    double loss = (1 - eps) * wy * (lse - (double)x[y]);
    if (eps > 0) loss += eps / (double)k * (wall * lse - ce_weighted_sum(st, x, k));
    return loss;
}

static lf_status ce_eval(const void *cfg, void *state, const lf_batch *b, double *value,
                         float *dpred)
{
    const ce_cfg *c = cfg;
    const ce_ctx ctx = {c, state};
    return lf_reduce_rows(&c->red, state, b, ce_row, &ctx, value, dpred);
}

static const lf_loss_vt ce_vt = {
    .needs = LF_NEED_LABEL,
    .init = ce_init,
    .free_state = ce_free_state,
    .check = ce_check,
    .eval = ce_eval,
};

static const lf_param_desc ce_params[] = {
    LF_PARAM_FLOAT("smoothing", 0.0, 0.0, 1.0, 0,
        "label smoothing: the target is (1-s) one-hot + s/k uniform (PyTorch label_smoothing)",
        ce_cfg, smoothing),
    LF_REDUCE_PARAMS(ce_cfg, red),
};

const lf_desc lf_desc_loss_ce = {
    .kind = LF_KIND_LOSS,
    .name = "ce",
    .doc = "cross-entropy on logits with label smoothing, class and sample weights, ignore_index",
    .paper = NULL,
    .params = ce_params,
    .nparams = LF_NPARAMS(ce_params),
    .cfg_size = sizeof(ce_cfg),
    .impl = &ce_vt,
};
