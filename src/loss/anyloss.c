/* AnyLoss (Han, Moniz, Chawla, KDD 2024, arXiv 2405.14745): a confusion-matrix metric as a loss.
 *
 * Binary (pred n×1 scores s, labels 0/1). With p_i = sigmoid(s_i) and the amplifier
 *   yhat_i = A(p_i) = sigmoid(L (p_i - 1/2)),
 * the batch's soft confusion matrix is TP = sum y yhat, FP = sum (1-y) yhat, FN = P - TP,
 * TN = Nn - FP, with P = sum y, Nn = n - P, and the loss is 1 - M(TP, FP; P, Nn):
 *   acc    (TP + TN) / n
 *   fbeta  (1+b^2) TP / (b^2 P + TP + FP + s)             f1: the same with b = 1
 *   gmean  sqrt(TP TN / (P Nn + s))
 *   bacc   (Nn TP + P TN) / (2 P Nn + s)
 *   mcc    (TP TN - FP FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN) + s)
 * with s = 1e-5 as in the authors' code (doheonhan/anyloss_extension AnyLoss_Code.ipynb and
 * README: Any_Fbeta, Any_Gmean, Any_BAccu, confusion_matrix; L = 73 from the original README).
 * Deviations, on purpose: accuracy divides by the batch size (the original code used the full
 * training-set size); gmean keeps the paper's square root (the extension dropped it); mcc is not
 * in the paper (the obvious form above).
 *
 * Gradient: exact and batch-level (the metric is not a sum over rows). Since P and Nn do not
 * depend on the scores, dM/dyhat_i = y_i dM/dTP + (1-y_i) dM/dFP, and
 * dyhat/ds = L yhat (1-yhat) p (1-p). Each metric supplies its value and those two partials.
 *
 * Hybrid (r > 0): (1-r) (1 - M) + r WBCE, where WBCE = -(1/n) sum [w1 y log p + w0 (1-y)
 * log(1-p)] with w1 = Nn/n, w0 = P/n (the extension's WBCE, but with exact log-sigmoids instead
 * of log(p + 1e-5)). The extension writes (1-r) WBCE + r (1 - metric) and computes that metric on
 * the un-amplified p; here r is the weight of WBCE (r = 0: pure AnyLoss) and the metric keeps the
 * amplifier.
 *
 * Empty classes: with no positive in the batch (P = 0), TP = FN = 0, so fbeta, gmean, bacc and mcc
 * give M = 0 (loss 1) and a zero metric gradient; acc stays defined. Likewise with no negative.
 *
 * Multi-class (pred n×k, k >= 2, labels in [0, k)) -- our extension, none of the references has
 * one: macro-averaged one-vs-rest. Column c is a binary problem with scores s_ic and labels
 * [y_i = c], each with its own sigmoid and soft confusion matrix; the loss is the mean over the k
 * columns of the binary loss above (hybrid included). Predictions are the argmax of the row. */
#include "binary.h"

#include <stddef.h>

#define ANY_EPS 1e-5

enum { M_ACC, M_F1, M_FBETA, M_GMEAN, M_BACC, M_MCC };

typedef struct any_cfg {
    int metric;
    double L, beta, r;
} any_cfg;

/* The soft confusion counts of one column and what the metric makes of them. */
typedef struct soft_cm {
    double tp, fp, pos, neg; /* P and Nn: the column's label counts */
    double m, m_tp, m_fp;    /* metric value and its partials (P, Nn held fixed) */
} soft_cm;

static void metric_fbeta(soft_cm *c, double beta)
{
    const double b2 = beta * beta, d = b2 * c->pos + c->tp + c->fp + ANY_EPS;
    c->m = (1 + b2) * c->tp / d;
    c->m_tp = (1 + b2) * (d - c->tp) / (d * d);
    c->m_fp = -(1 + b2) * c->tp / (d * d);
}

static void metric_gmean(soft_cm *c)
{
    const double q = c->pos * c->neg + ANY_EPS, tn = c->neg - c->fp;
    const double g = sqrt(fmax(c->tp * tn / q, 0));
    c->m = g;
    /* d sqrt(u) = du / (2 sqrt u); at g = 0 one class is empty and its rows carry no gradient. */
    c->m_tp = g > 0 ? tn / (2 * g * q) : 0;
    c->m_fp = g > 0 ? -c->tp / (2 * g * q) : 0;
}

static void metric_bacc(soft_cm *c)
{
    const double d = 2 * c->pos * c->neg + ANY_EPS, tn = c->neg - c->fp;
    c->m = (c->neg * c->tp + c->pos * tn) / d;
    c->m_tp = c->neg / d;
    c->m_fp = -c->pos / d;
}

/* num = TP TN - FP FN = TP Nn - FP P; the denominator's (TP+FN)(TN+FP) = P Nn is fixed and
 * (TP+FP)(TN+FN) = A (n - A) with A = TP + FP. */
static void metric_mcc(soft_cm *c)
{
    const double n = c->pos + c->neg, a = c->tp + c->fp;
    const double num = c->tp * c->neg - c->fp * c->pos;
    const double d = c->pos * c->neg * a * (n - a) + ANY_EPS, sd = sqrt(d);
    const double dd = c->pos * c->neg * (n - 2 * a); /* dD/dTP = dD/dFP */
    c->m = num / sd;
    c->m_tp = c->neg / sd - num * dd / (2 * d * sd);
    c->m_fp = -c->pos / sd - num * dd / (2 * d * sd);
}

static void metric_eval(const any_cfg *cfg, soft_cm *c)
{
    const double n = c->pos + c->neg;
    switch (cfg->metric) {
    case M_ACC:
        c->m = (c->tp + c->neg - c->fp) / n;
        c->m_tp = 1 / n;
        c->m_fp = -1 / n;
        return;
    case M_F1: metric_fbeta(c, 1); return;
    case M_FBETA: metric_fbeta(c, cfg->beta); return;
    case M_GMEAN: metric_gmean(c); return;
    case M_BACC: metric_bacc(c); return;
    default: metric_mcc(c); return;
    }
}

static int any_label(const lf_batch *b, int64_t i, int64_t col)
{
    return b->k == 1 ? b->label[i] == 1 : b->label[i] == col;
}

/* yhat = A(sigmoid(s)); *dyhat (when not NULL) receives dyhat/ds. */
static double amplify(double L, double s, double *dyhat)
{
    const double p = lf_sigmoid_d(s), a = L * (p - 0.5);
    const double yh = lf_sigmoid_d(a);
    if (dyhat) *dyhat = L * yh * lf_sigmoid_d(-a) * p * lf_sigmoid_d(-s);
    return yh;
}

/* Column col: loss value, and its gradient (times gscale) into dpred[i*k + col]. */
static double any_column(const any_cfg *c, const lf_batch *b, int64_t col, double gscale,
                         float *dpred)
{
    const int64_t n = b->n, k = b->k;
    soft_cm cm = {0};
    double wbce = 0;
    for (int64_t i = 0; i < n; i++) {
        const int y = any_label(b, i, col);
        const double yh = amplify(c->L, (double)b->pred[i * k + col], NULL);
        cm.pos += y;
        cm.tp += y ? yh : 0;
        cm.fp += y ? 0 : yh;
    }
    cm.neg = (double)n - cm.pos;
    metric_eval(c, &cm);
    const double w1 = cm.neg / (double)n, w0 = cm.pos / (double)n, r = c->r;
    for (int64_t i = 0; (r > 0 || dpred) && i < n; i++) {
        const int y = any_label(b, i, col);
        const double s = (double)b->pred[i * k + col];
        /* -log p = softplus(-s), -log(1-p) = softplus(s) */
        wbce += y ? w1 * lf_softplus(-s) : w0 * lf_softplus(s);
        if (!dpred) continue;
        double dy;
        amplify(c->L, s, &dy);
        const double dmetric = -(y ? cm.m_tp : cm.m_fp) * dy;
        const double dw = y ? -w1 * lf_sigmoid_d(-s) : w0 * lf_sigmoid_d(s);
        dpred[i * k + col] = (float)(gscale * ((1 - r) * dmetric + r * dw / (double)n));
    }
    return (1 - r) * (1 - cm.m) + r * wbce / (double)n;
}

static lf_status any_check(const void *cfg, const lf_batch *b)
{
    LF_UNUSED(cfg);
    if (b->k == 1) return lf_binary_check("anyloss", b);
    for (int64_t i = 0; i < b->n; i++)
        if (b->label[i] < 0 || b->label[i] >= b->k)
            return lf_error(LF_EINVAL, "loss \"anyloss\": label %d at row %lld is outside [0, k), "
                            "k = %lld", (int)b->label[i], (long long)i, (long long)b->k);
    return LF_OK;
}

static lf_status any_eval(const void *cfg, void *state, const lf_batch *b, double *value,
                          float *dpred)
{
    LF_UNUSED(state);
    const any_cfg *c = cfg;
    double total = 0;
    for (int64_t col = 0; col < b->k; col++)
        total += any_column(c, b, col, 1.0 / (double)b->k, dpred);
    *value = total / (double)b->k;
    return LF_OK;
}

static const lf_loss_vt any_vt = {
    .needs = LF_NEED_LABEL | LF_LOSS_SCORES,
    .check = any_check,
    .eval = any_eval,
};

static const lf_param_desc any_params[] = {
    LF_PARAM_ENUM("metric", M_F1, "acc|f1|fbeta|gmean|bacc|mcc",
        "the confusion-matrix metric M; the loss is 1 - M", any_cfg, metric),
    LF_PARAM_FLOAT("L", 73, 0, 1e4, LF_OPEN_MIN,
        "amplifier steepness: yhat = sigmoid(L (sigmoid(s) - 0.5))", any_cfg, L),
    LF_PARAM_FLOAT("beta", 1, 0, 1e3, LF_OPEN_MIN, "beta of metric=fbeta", any_cfg, beta),
    LF_PARAM_FLOAT("r", 0, 0, 1, 0,
        "weight of the weighted-BCE term: (1-r)(1-M) + r WBCE (0 = pure AnyLoss)", any_cfg, r),
};

const lf_desc lf_desc_loss_anyloss = {
    .kind = LF_KIND_LOSS,
    .name = "anyloss",
    .doc = "1 - metric of the batch's soft confusion matrix (n×1 scores; n×k: macro one-vs-rest)",
    .paper = "anyloss",
    .params = any_params,
    .nparams = LF_NPARAMS(any_params),
    .cfg_size = sizeof(any_cfg),
    .impl = &any_vt,
};
