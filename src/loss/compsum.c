/* The comp-sum family (Mao, Mohri, Zhong, ICML 2023) on logits, and its named members.
 *
 * With p = softmax(z), lp = log p_y and s = tau - 1, tau in [0, 2]:
 *   l_tau(p_y) = (p_y^s - 1) / (1 - tau) = -expm1(s lp) / s      (tau != 1)
 *              = -lp                                             (tau = 1, the limit)
 *   dl/dz_j   = p_y^s (p_j - [j = y])                            (one formula for every tau)
 * Members, each its own descriptor over this one implementation:
 *   compsum:tau=t   any tau in [0, 2]
 *   sumexp          tau = 0: 1/p_y - 1 = sum_{y' != y} exp(z_y' - z_y)
 *   gce:q=0.7       tau = 1 + q, q in (0, 1]: (1 - p_y^q)/q, exactly Zhang & Sabuncu's L_q
 *                   (no extra factor; q -> 0 is CE, q = 1 is mae)
 *   mae             tau = 2: 1 - p_y, which is half of ||e_y - p||_1 = 2 (1 - p_y)
 * compsum:tau=1 equals ce (tested); ce stays its own file with its fused CE pass.
 *
 * Label smoothing (eps) takes the expectation of the row loss under the smoothed target
 * (1-eps) e_y + eps/k, with class weights inside as PyTorch's CE does:
 *   L_i = (1-eps) w_y l(p_y) + (eps/k) sum_c w_c l(p_c)
 *   dL/dz_j = p_j A - (1-eps) w_y a_y [j = y] - (eps/k) w_j a_j,
 *   a_c = p_c^s, A = (1-eps) w_y a_y + (eps/k) sum_c w_c a_c;
 * at tau = 1 this is ce's smoothing. Ignored rows, reductions, sample weights and the two
 * weighted-mean semantics come from loss/reduce.h.
 *
 * Numerics: everything goes through lp = (z - max) - log sum exp(z - max), so logits of ±1e4
 * and -inf are fine. For tau < 1, p_y^s = exp(s lp) grows without bound as p_y -> 0; past
 * s lp = CS_TMAX the loss is continued linearly in t = s lp (value and gradient stay
 * consistent, the gradient factor stops at e^CS_TMAX ~ 6e27, far inside float range). The
 * value is +inf only where it truly is: a -inf logit on the label (or on any class under
 * smoothing) with tau <= 1; the gradient stays finite there. Zero-weight classes add 0, not
 * 0 * inf.
 */
#include "internal.h"
#include "loss/reduce.h"

#include <math.h>
#include <stddef.h>

#define CS_TMAX 64.0

typedef struct cs_cfg {
    double tau;       /* compsum */
    double q;         /* gce */
    double smoothing;
    lf_reduce_cfg red;
} cs_cfg;

typedef struct cs_state {
    lf_reduce *red;   /* its name is the member's ("gce", ...) for messages */
    double tau;
} cs_state;

typedef struct cs_ctx {
    const cs_cfg *c;
    const cs_state *st;
} cs_ctx;

/* p^s = exp(s lp), capped at e^CS_TMAX. s = 0 gives 1, also at lp = -inf (no 0 * inf). */
static double cs_pow(double s, double lp) { return s == 0 ? 1.0 : exp(fmin(s * lp, CS_TMAX)); }

/* l = -expm1(s lp) / s, -lp at s = 0; linear in t = s lp beyond CS_TMAX. */
static double cs_val(double s, double lp)
{
    if (s == 0) return -lp;
    const double t = s * lp;
    if (t <= CS_TMAX) return -expm1(t) / s;
    return -(exp(CS_TMAX) * (1 + (t - CS_TMAX)) - 1) / s;
}

/* (eps/k) sum_c w_c l(p_c) and (eps/k) sum_c w_c a_c of the smoothing term. */
static void cs_smooth_sums(const cs_ctx *cx, const float *x, int64_t k, double lse, double *val,
                           double *asum)
{
    const double s = cx->st->tau - 1;
    double v = 0, a = 0;
    for (int64_t c = 0; c < k; c++) {
        const double w = lf_reduce_weight(cx->st->red, c), lp = (double)x[c] - lse;
        if (w == 0) continue;
        v += w * cs_val(s, lp);
        a += w * cs_pow(s, lp);
    }
    const double f = cx->c->smoothing / (double)k;
    *val = f * v;
    *asum = f * a;
}

/* Loss of one counted row; with g, also scale * dL/dz (the formulas of the header). */
static double cs_row(const void *ctx, const float *x, int64_t k, int32_t y, double scale, float *g)
{
    const cs_ctx *cx = ctx;
    const double s = cx->st->tau - 1, eps = cx->c->smoothing;
    const double wy = (1 - eps) * lf_reduce_weight(cx->st->red, y);
    double sum = 1;
    const double lse = g ? lf_row_exp(x, k, g, &sum) : lf_logsumexp(x, k);
    const double lpy = (double)x[y] - lse;
    double loss = wy == 0 ? 0 : wy * cs_val(s, lpy);
    const double ay = wy * cs_pow(s, lpy);
    double sval = 0, asum = 0;
    if (eps > 0) cs_smooth_sums(cx, x, k, lse, &sval, &asum);
    loss += sval;
    if (!g) return loss;
    const float a = (float)(scale * (ay + asum) / sum);
#pragma omp simd
    for (int64_t j = 0; j < k; j++) g[j] *= a;
    if (eps > 0) {
        const double f = scale * eps / (double)k;
        for (int64_t j = 0; j < k; j++)
            g[j] -= (float)(f * lf_reduce_weight(cx->st->red, j) * cs_pow(s, (double)x[j] - lse));
    }
    g[y] -= (float)(scale * ay);
    return loss;
}

static lf_status cs_eval(const void *cfg, void *state, const lf_batch *b, double *value,
                         float *dpred)
{
    const cs_cfg *c = cfg;
    const cs_state *st = state;
    lf_status s = lf_reduce_check(st->red->loss, &c->red, b);
    if (s != LF_OK) return s;
    const cs_ctx ctx = {c, st};
    return lf_reduce_rows(&c->red, st->red, b, cs_row, &ctx, value, dpred);
}

static lf_status cs_init(const char *name, double tau, const cs_cfg *c, void **state)
{
    cs_state *st = calloc(1, sizeof *st);
    if (!st) return lf_error(LF_ENOMEM, "loss \"%s\": out of memory", name);
    st->tau = tau;
    lf_status s = lf_reduce_new(name, &c->red, &st->red);
    if (s != LF_OK) {
        free(st);
        return s;
    }
    *state = st;
    return LF_OK;
}

static void cs_free(void *state)
{
    cs_state *st = state;
    if (st) lf_reduce_free(st->red);
    free(st);
}

static lf_status compsum_init(const void *cfg, void **state)
{
    const cs_cfg *c = cfg;
    return cs_init("compsum", c->tau, c, state);
}

static lf_status gce_init(const void *cfg, void **state)
{
    const cs_cfg *c = cfg;
    return cs_init("gce", 1 + c->q, c, state);
}

static lf_status mae_init(const void *cfg, void **state) { return cs_init("mae", 2, cfg, state); }

static lf_status sumexp_init(const void *cfg, void **state)
{
    return cs_init("sumexp", 0, cfg, state);
}

/* The members differ only in how tau is obtained (init) and in their parameter tables. */
#define CS_VT(init_fn) \
    {.needs = LF_NEED_LABEL, .init = init_fn, .free_state = cs_free, .eval = cs_eval}
static const lf_loss_vt compsum_vt = CS_VT(compsum_init), gce_vt = CS_VT(gce_init),
                        mae_vt = CS_VT(mae_init), sumexp_vt = CS_VT(sumexp_init);

#define CS_COMMON_PARAMS                                                                        \
    LF_PARAM_FLOAT("smoothing", 0.0, 0.0, 1.0, 0,                                                 \
                   "label smoothing: expected loss under the target (1-s) one-hot + s/k uniform", \
                   cs_cfg, smoothing),                                                            \
        LF_REDUCE_PARAMS(cs_cfg, red)

static const lf_param_desc compsum_params[] = {
    LF_PARAM_FLOAT("tau", 1.0, 0.0, 2.0, 0,
        "0 sum-exp, 1 cross-entropy, 1+q GCE, 2 MAE; gradient p_y^(tau-1) (p - e_y)", cs_cfg, tau),
    CS_COMMON_PARAMS,
};
static const lf_param_desc gce_params[] = {
    LF_PARAM_FLOAT("q", 0.7, 0.0, 1.0, LF_OPEN_MIN,
        "GCE exponent: (1 - p_y^q)/q, i.e. compsum tau = 1 + q", cs_cfg, q),
    CS_COMMON_PARAMS,
};
static const lf_param_desc plain_params[] = {CS_COMMON_PARAMS};

#define CS_DESC(nm, text, tbl, vt)                                                              \
    {.kind = LF_KIND_LOSS, .name = nm, .doc = text, .paper = "compsum", .params = tbl,          \
     .nparams = LF_NPARAMS(tbl), .cfg_size = sizeof(cs_cfg), .impl = &vt}

const lf_desc lf_desc_loss_compsum =
    CS_DESC("compsum", "comp-sum loss (p_y^(tau-1) - 1)/(1 - tau) on logits, tau in [0, 2]",
            compsum_params, compsum_vt);
const lf_desc lf_desc_loss_gce =
    CS_DESC("gce", "generalized cross-entropy (1 - p_y^q)/q (Zhang & Sabuncu) = compsum tau=1+q",
            gce_params, gce_vt);
const lf_desc lf_desc_loss_mae =
    CS_DESC("mae", "MAE 1 - p_y (half of ||e_y - p||_1) = compsum tau=2", plain_params, mae_vt);
const lf_desc lf_desc_loss_sumexp =
    CS_DESC("sumexp", "sum-exponential 1/p_y - 1 = sum_{y'!=y} exp(z_y' - z_y) = compsum tau=0",
            plain_params, sumexp_vt);
