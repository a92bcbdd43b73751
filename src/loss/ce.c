/* Cross-entropy on logits, with PyTorch's label smoothing, class weights and ignore_index.
 *
 * Row loss (p = softmax(x), y = label, eps = smoothing, w = class weights, 1 when absent):
 *   L_i = (1-eps) w_y (-log p_y) + (eps/k) sum_c w_c (-log p_c)
 * times the per-sample weight b->weight[i] when the batch has one. Rows whose label equals
 * ignore_index add nothing and get a zero gradient.
 *   mean: sum_i L_i / D, with D = number of counted rows, or the sum of w_y over them when class
 *         weights are given (PyTorch's weighted mean). Sample weights do not enter D, so weights
 *         of all 1 give the unweighted loss. D = 0 (every row ignored) gives 0, not NaN.
 *   sum:  sum_i L_i.
 *   none: the value is the sum and dpred holds each row's own, unscaled gradient.
 */
#include "internal.h"

#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

enum { CE_MEAN, CE_SUM, CE_NONE };

typedef struct ce_cfg {
    double smoothing;
    int reduction;
    int64_t ignore_index;
    char weights[LF_STR_MAX];
} ce_cfg;

/* Class weights parsed once at creation; nw = 0 when none were given. */
typedef struct ce_state {
    int64_t nw;
    double wsum;
    double w[];
} ce_state;

static lf_status ce_parse_weights(const char *text, ce_state *st)
{
    const char *p = text;
    while (isspace((unsigned char)*p)) p++;
    if (!*p) return LF_OK;
    for (;;) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || !isfinite(v) || v < 0)
            return lf_error(LF_EINVAL,
                            "loss \"ce\": parameter \"weights\" item %lld must be a finite number "
                            ">= 0, in \"%s\"", (long long)st->nw + 1, text);
        st->w[st->nw++] = v;
        st->wsum += v;
        while (isspace((unsigned char)*end)) end++;
        if (!*end) return LF_OK;
        if (*end != ';')
            return lf_error(LF_EINVAL, "loss \"ce\": parameter \"weights\": expected ';' at \"%s\"",
                            end);
        p = end + 1;
    }
}

static lf_status ce_init(const void *cfg, void **state)
{
    const ce_cfg *c = cfg;
    /* Every item takes at least one character plus its separator. */
    size_t cap = strlen(c->weights) / 2 + 1;
    ce_state *st = calloc(1, sizeof *st + cap * sizeof st->w[0]);
    if (!st) return lf_error(LF_ENOMEM, "loss \"ce\": out of memory");
    lf_status s = ce_parse_weights(c->weights, st);
    if (s != LF_OK) {
        free(st);
        return s;
    }
    *state = st;
    return LF_OK;
}

static void ce_free_state(void *state) { free(state); }

static int ce_counted(const ce_cfg *c, int32_t y) { return (int64_t)y != c->ignore_index; }

static lf_status ce_check(const void *cfg, const lf_batch *b)
{
    const ce_cfg *c = cfg;
    for (int64_t i = 0; i < b->n; i++) {
        int32_t y = b->label[i];
        if (ce_counted(c, y) && (y < 0 || y >= b->k))
            return lf_error(LF_EINVAL,
                            "loss \"ce\": label %d at row %lld is outside [0, k), k = %lld",
                            (int)y, (long long)i, (long long)b->k);
    }
    return LF_OK;
}

static double ce_class_weight(const ce_state *st, int32_t y) { return st->nw ? st->w[y] : 1.0; }

/* sum_c w_c x_c (w = 1 when unweighted). */
static double ce_weighted_sum(const ce_state *st, const float *x, int64_t k)
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

/* Loss of one counted row. With g != NULL, also writes scale * dL/dx into g: one exp pass
 * (lf_vexp) gives both the softmax and, through its sum, the log-sum-exp. */
static double ce_row(const ce_cfg *c, const ce_state *st, const float *x, int64_t k, int32_t y,
                     double scale, float *g)
{
    const double eps = c->smoothing, wy = ce_class_weight(st, y);
    const double wall = st->nw ? st->wsum : (double)k;
    double lse;
    if (g) {
        float m = x[0];
#pragma omp simd reduction(max : m)
        for (int64_t j = 1; j < k; j++) m = x[j] > m ? x[j] : m;
#pragma omp simd
        for (int64_t j = 0; j < k; j++) g[j] = x[j] - m;
        lf_vexp(g, g, k);
        double s = 0;
#pragma omp simd reduction(+ : s)
        for (int64_t j = 0; j < k; j++) s += g[j];
        lse = (double)m + log(s);
        /* dL/dx_j = p_j ((1-eps) w_y + (eps/k) W) - (eps/k) w_j - (1-eps) w_y [j = y] */
        const float a = (float)(scale * ((1 - eps) * wy + eps / (double)k * wall) / s);
        const double b = scale * eps / (double)k;
        if (st->nw) {
#pragma omp simd
            for (int64_t j = 0; j < k; j++) g[j] = g[j] * a - (float)(b * st->w[j]);
        } else {
            const float bf = (float)b;
#pragma omp simd
            for (int64_t j = 0; j < k; j++) g[j] = g[j] * a - bf;
        }
        g[y] -= (float)(scale * (1 - eps) * wy);
    } else {
        lse = lf_logsumexp(x, k);
    }
    double loss = (1 - eps) * wy * (lse - (double)x[y]);
    if (eps > 0) loss += eps / (double)k * (wall * lse - ce_weighted_sum(st, x, k));
    return loss;
}

/* The mean's denominator: counted rows, or their summed class weight. */
static double ce_denominator(const ce_cfg *c, const ce_state *st, const lf_batch *b)
{
    double d = 0;
    for (int64_t i = 0; i < b->n; i++)
        if (ce_counted(c, b->label[i])) d += ce_class_weight(st, b->label[i]);
    return d;
}

static lf_status ce_eval(const void *cfg, void *state, const lf_batch *b, double *value,
                         float *dpred)
{
    const ce_cfg *c = cfg;
    const ce_state *st = state;
    if (st->nw && st->nw != b->k)
        return lf_error(LF_EINVAL,
                        "loss \"ce\": parameter \"weights\" has %lld values but k = %lld",
                        (long long)st->nw, (long long)b->k);
    double scale = 1;
    if (c->reduction == CE_MEAN) {
        double d = ce_denominator(c, st, b);
        scale = d > 0 ? 1 / d : 0;
    }
    const int64_t n = b->n, k = b->k;
    double total = 0;
#pragma omp parallel for reduction(+ : total) schedule(static) if(n * k > 1 << 15)
    for (int64_t i = 0; i < n; i++) {
        float *g = dpred ? dpred + i * k : NULL;
        const int32_t y = b->label[i];
        if (!ce_counted(c, y)) {
            if (g) memset(g, 0, (size_t)k * sizeof *g);
            continue;
        }
        const double sw = b->weight ? (double)b->weight[i] : 1.0;
        total += sw * ce_row(c, st, b->pred + i * k, k, y, sw * scale, g);
    }
    *value = total * scale;
    return LF_OK;
}

static const lf_loss_vt ce_vt = {
    .needs = LF_NEED_LABEL,
    .init = ce_init,
    .free_state = ce_free_state,
    .check = ce_check,
    .eval = ce_eval,
};

static const lf_param_desc ce_params[] = {
    {"smoothing", LF_PT_FLOAT, 0.0, 0.0, 1.0, 0, NULL,
     "label smoothing: the target is (1-s) one-hot + s/k uniform (PyTorch label_smoothing)",
     offsetof(ce_cfg, smoothing)},
    {"reduction", LF_PT_ENUM, CE_MEAN, 0, 0, 0, "mean|sum|none",
     "mean: divide by the counted rows (or their class weight); sum; none: the value is the sum "
     "and dpred holds each row's unscaled gradient",
     offsetof(ce_cfg, reduction)},
    {"ignore_index", LF_PT_INT, -100, INT32_MIN, INT32_MAX, 0, NULL,
     "rows with this label add no loss and no gradient and are not counted by the mean",
     offsetof(ce_cfg, ignore_index)},
    {"weights", LF_PT_STR, 0, 0, 0, 0, "",
     "class weights \"w0;w1;...\" (k numbers >= 0; empty = all 1), PyTorch's weighted mean",
     offsetof(ce_cfg, weights)},
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
