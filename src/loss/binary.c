/* Margin losses on binary scores: bce (logistic), hinge, exp, sqhinge and focal.
 *
 * pred is n×1 scores s, labels y in {0, 1}, margin z = (2y-1) s. Each loss is
 *   L_i = w_{y_i} * sw_i * phi(z_i)
 * with a per-class weight w (bce: pos_weight on positives; focal: alpha_t) and the batch's
 * sample weight sw (1 when absent), reduced as
 *   mean: sum_i L_i / n (PyTorch's BCEWithLogitsLoss and torchvision's focal loss: the weights
 *         do not enter the denominator); sum: sum_i L_i; none: the value is the sum and dpred
 *         holds each row's own, unscaled gradient.
 *   bce     phi(z) = log(1 + e^-z): BCEWithLogitsLoss(pos_weight) = pw y softplus(-s) +
 *           (1-y) softplus(s).
 *   hinge   phi(z) = max(0, 1 - z) (subgradient 0 at z = 1).
 *   sqhinge phi(z) = max(0, 1 - z)^2.
 *   exp     phi(z) = e^-z for z >= -EXP_KNEE, continued linearly (tangent at the knee) below,
 *           so the value and gradient stay finite at scores of ±1e4 (e^1e4 overflows a double);
 *           the continuation is convex, C^1 and agrees with e^-z wherever e^-z < e^50.
 *   focal   torchvision.ops.sigmoid_focal_loss: CE * (1 - p_t)^gamma * alpha_t, with
 *           p_t = sigmoid(z), CE = softplus(-z), alpha_t = alpha (y = 1) or 1 - alpha (y = 0);
 *           alpha < 0 turns alpha_t off. (1 - p_t)^gamma = exp(-gamma softplus(z)), so it is
 *           exact in both tails.
 * The EnsLoss paper (Dai, ICML 2025; statmlben/ensLoss losses.py) compares against these. */
#include "binary.h"
#include "reduce.h"

#include <stddef.h>

#define EXP_KNEE 50.0

typedef struct margin_cfg {
    int reduction;
    double pos_weight; /* bce */
    double gamma;      /* focal */
    double alpha;      /* focal */
} margin_cfg;

/* phi(z); *dphi receives phi'(z). */
typedef double (*phi_fn)(const margin_cfg *c, double z, double *dphi);

lf_status lf_binary_check(const char *loss, const lf_batch *b)
{
    if (b->k != 1)
        return lf_error(LF_EINVAL, "loss \"%s\": pred must be n×1 scores (one per row), got k = %lld",
                        loss, (long long)b->k);
    for (int64_t i = 0; i < b->n; i++)
        if (b->label[i] != 0 && b->label[i] != 1)
            return lf_error(LF_EINVAL, "loss \"%s\": label %d at row %lld is not binary (labels "
                            "must be 0 or 1)", loss, (int)b->label[i], (long long)i);
    return LF_OK;
}

static double phi_logistic(const margin_cfg *c, double z, double *dphi)
{
    LF_UNUSED(c);
    *dphi = -lf_sigmoid_d(-z);
    return lf_softplus(-z);
}

static double phi_hinge(const margin_cfg *c, double z, double *dphi)
{
    LF_UNUSED(c);
    *dphi = z < 1 ? -1 : 0;
    return z < 1 ? 1 - z : 0;
}

static double phi_sqhinge(const margin_cfg *c, double z, double *dphi)
{
    LF_UNUSED(c);
    const double h = z < 1 ? 1 - z : 0;
    *dphi = -2 * h;
    return h * h;
}

static double phi_exp(const margin_cfg *c, double z, double *dphi)
{
    LF_UNUSED(c);
    if (z >= -EXP_KNEE) {
        const double e = exp(-z);
        *dphi = -e;
        return e;
    }
    const double e = exp(EXP_KNEE);
    *dphi = -e;
    return e * (1 - z - EXP_KNEE);
}

/* phi = s(-z)^g sp(-z), with s = sigmoid, sp = softplus; s(-z)^g = exp(-g sp(z)).
 * phi' = -s(-z)^g [g s(z) sp(-z) + s(-z)]. */
static double phi_focal(const margin_cfg *c, double z, double *dphi)
{
    const double g = c->gamma, mod = exp(-g * lf_softplus(z)), ce = lf_softplus(-z);
    *dphi = -mod * (g * lf_sigmoid_d(z) * ce + lf_sigmoid_d(-z));
    return mod * ce;
}

static lf_status margin_eval(const margin_cfg *c, const lf_batch *b, phi_fn phi, double wneg,
                             double wpos, double *value, float *dpred)
{
    const int64_t n = b->n;
    const double scale = c->reduction == LF_RED_MEAN ? 1.0 / (double)n : 1.0;
    const double gscale = c->reduction == LF_RED_NONE ? 1.0 : scale;
    double total = 0;
#pragma omp parallel for reduction(+ : total) schedule(static) if(n > 1 << 15)
    for (int64_t i = 0; i < n; i++) {
        const int32_t y = b->label[i];
        const double w = (y ? wpos : wneg) * (b->weight ? (double)b->weight[i] : 1.0);
        double d;
        total += w * phi(c, lf_sign_label(y) * (double)b->pred[i], &d);
        if (dpred) dpred[i] = (float)(gscale * w * d * lf_sign_label(y));
    }
    *value = total * scale;
    return LF_OK;
}

/* torchvision: alpha_t = alpha for positives, 1 - alpha for negatives; alpha < 0: none. */
static double focal_weight(const margin_cfg *c, int positive)
{
    if (c->alpha < 0) return 1;
    return positive ? c->alpha : 1 - c->alpha;
}

/* One registered loss: its check (naming it), its eval (its phi and class weights), its vtable.
 * WNEG / WPOS are expressions in the config `c`. */
#define MARGIN_LOSS(id, NAME, PHI, WNEG, WPOS)                                                  \
    static lf_status id##_check(const void *cfg, const lf_batch *b)                            \
    {                                                                                          \
        LF_UNUSED(cfg);                                                                        \
        return lf_binary_check(NAME, b);                                                       \
    }                                                                                          \
    static lf_status id##_eval(const void *cfg, void *state, const lf_batch *b, double *value, \
                               float *dpred)                                                   \
    {                                                                                          \
        LF_UNUSED(state);                                                                      \
        const margin_cfg *c = cfg;                                                             \
        return margin_eval(c, b, PHI, (WNEG), (WPOS), value, dpred);                           \
    }                                                                                          \
    static const lf_loss_vt id##_vt = {                                                        \
        .needs = LF_NEED_LABEL | LF_LOSS_SCORES, .check = id##_check, .eval = id##_eval};

MARGIN_LOSS(bce, "bce", phi_logistic, 1.0, c->pos_weight)
MARGIN_LOSS(hinge, "hinge", phi_hinge, 1.0, 1.0)
MARGIN_LOSS(sqhinge, "sqhinge", phi_sqhinge, 1.0, 1.0)
MARGIN_LOSS(exp, "exp", phi_exp, 1.0, 1.0)
MARGIN_LOSS(focal, "focal", phi_focal, focal_weight(c, 0), focal_weight(c, 1))

#define REDUCTION_PARAM                                                                        \
    LF_PARAM_ENUM("reduction", LF_RED_MEAN, "mean|sum|none",                                    \
                  "mean: divide by n (weights do not enter the denominator); sum; none: the "   \
                  "value is the sum and dpred holds each row's unscaled gradient",              \
                  margin_cfg, reduction)

static const lf_param_desc plain_params[] = {REDUCTION_PARAM};

static const lf_param_desc bce_params[] = {
    REDUCTION_PARAM,
    LF_PARAM_FLOAT("pos_weight", 1.0, 0, 1e6, 0,
        "weight of the positive term (PyTorch BCEWithLogitsLoss pos_weight)", margin_cfg,
        pos_weight),
};

static const lf_param_desc focal_params[] = {
    REDUCTION_PARAM,
    LF_PARAM_FLOAT("gamma", 2.0, 0, 100, 0, "focusing exponent on (1 - p_t)", margin_cfg, gamma),
    LF_PARAM_FLOAT("alpha", 0.25, -1, 1, 0,
        "weight of positives (negatives get 1 - alpha); < 0 turns it off (torchvision's -1)",
        margin_cfg, alpha),
};

#define MARGIN_DESC(id, NAME, DOC, PARAMS)                                                     \
    const lf_desc lf_desc_loss_##id = {                                                        \
        .kind = LF_KIND_LOSS, .name = NAME, .doc = DOC, .paper = NULL, .params = PARAMS,       \
        .nparams = LF_NPARAMS(PARAMS), .cfg_size = sizeof(margin_cfg), .impl = &id##_vt};

MARGIN_DESC(bce, "bce", "binary cross-entropy on n×1 scores, labels 0/1 (BCEWithLogitsLoss)",
            bce_params)
MARGIN_DESC(hinge, "hinge", "hinge loss max(0, 1 - z) on n×1 scores, z = (2y-1) s", plain_params)
MARGIN_DESC(sqhinge, "sqhinge", "squared hinge max(0, 1 - z)^2 on n×1 scores", plain_params)
MARGIN_DESC(exp, "exp", "exponential loss e^-z on n×1 scores (linear beyond z < -50)",
            plain_params)
MARGIN_DESC(focal, "focal", "binary focal loss on n×1 scores (torchvision sigmoid_focal_loss)",
            focal_params)
