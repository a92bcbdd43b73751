/* Multi-similarity loss and its miner (Wang et al., CVPR 2019), with pytorch-metric-learning's
 * definitions (MultiSimilarityLoss, MultiSimilarityMiner).
 *
 * m is the n × n matrix of embedding similarities S (distance=cosine) or distances D
 * (euclidean); sign = +1 / -1 turns either into a closeness c = sign * m. With P_i / N_i the
 * positives / negatives of anchor i (another row of its label / a row of another label, cut to
 * the mined pairs when the batch carries a mask):
 *   L = (1/n) sum_i [ (1/alpha) log(1 + sum_{P_i} exp(alpha sign (lambda - m_ij)))
 *                   + (1/beta)  log(1 + sum_{N_i} exp(beta  sign (m_ij - lambda))) ]
 * (for cosine: exp(-alpha (S - lambda)) and exp(beta (S - lambda)), the paper's form). Every
 * anchor counts in the mean, as in PML's MeanReducer and the official code's division by the
 * batch size; an anchor with an empty set adds log(1) = 0 for it. Self-pairs are excluded by
 * index, not by the official code's S < 1 - 1e-5 test (msight-tech/research-ms-loss#14), so
 * duplicate positives count.
 *
 * The miner keeps, per anchor, the negatives with c + eps > min_{P_i} c and the positives with
 * c - eps < max_{N_i} c. Both sets come out empty together, so an anchor is either mined on
 * both sides or skipped (Confusezius/Revisiting_Deep_Metric_Learning_PyTorch#3). */
#include "loss/embed.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* ------------------------------------------------------------------ loss */
typedef struct ms_cfg {
    double alpha, beta, lambda;
    int distance, normalize;
} ms_cfg;

/* Shifted exponents below this are taken as it: exp(-80) is ~2e-35 of the sum, and lf_vexp
 * clamped at its floor (about -87.3) computes in subnormals, ten times slower. */
#define MS_EXP_FLOOR -80.0f

/* log(1 + sum_{j<c} exp(z_j)), stable; z becomes the gradient d/dz_j. */
static double log1p_sumexp(float *z, int64_t c)
{
    float mx = 0.0f; /* the 1 is exp(0) */
    for (int64_t j = 0; j < c; j++) mx = z[j] > mx ? z[j] : mx;
#pragma omp simd
    for (int64_t j = 0; j < c; j++) {
        const float v = z[j] - mx;
        z[j] = v > MS_EXP_FLOOR ? v : MS_EXP_FLOOR;
    }
    lf_vexp(z, z, c);
    double s = exp(-(double)mx);
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < c; j++) s += z[j];
    const float inv = (float)(1 / s);
#pragma omp simd
    for (int64_t j = 0; j < c; j++) z[j] *= inv;
    return (double)mx + log(s);
}

/* One side of anchor i: the exponents k * (lam - m_ij) of its positives (neg = 0) or
 * k * (m_ij - lam) of its negatives, gathered into t (their columns into idx); returns
 * log(1 + sum exp) and writes gscale * its gradient into the set's entries of g. */
static double ms_side(const lf_pairgeom *pg, const lf_batch *b, int64_t i, int neg, float k,
                      float lam, float gscale, float *t, int32_t *idx, float *g)
{
    const int64_t n = b->n;
    const float *m = pg->m + i * n;
    int64_t c = 0;
    for (int64_t j = 0; j < n; j++)
        if (neg ? lf_embed_is_neg(b, i, j) : lf_embed_is_pos(b, i, j)) {
            idx[c] = (int32_t)j;
            t[c++] = neg ? k * (m[j] - lam) : k * (lam - m[j]);
        }
    const double v = log1p_sumexp(t, c);
    if (g)
        for (int64_t q = 0; q < c; q++) g[idx[q]] = gscale * t[q];
    return v;
}

/* One anchor's two terms; writes scale * d/dm into its row g (the sets are disjoint). */
static double ms_anchor(const ms_cfg *c, const lf_pairgeom *pg, const lf_batch *b, int64_t i,
                        float scale, float *g)
{
    const int64_t n = b->n;
    const float sg = pg->sign, lam = (float)c->lambda;
    float *t = pg->tmp + i * n;
    int32_t *idx = pg->idx + i * n;
    const double vp = ms_side(pg, b, i, 0, (float)c->alpha * sg, lam, -sg * scale, t, idx, g);
    const double vn = ms_side(pg, b, i, 1, (float)c->beta * sg, lam, sg * scale, t, idx, g);
    return vp / c->alpha + vn / c->beta;
}

static lf_status ms_eval(const void *cfg, void *state, const lf_batch *b, double *value,
                         float *dpred)
{
    const ms_cfg *c = cfg;
    lf_pairgeom pg;
    lf_status s = lf_pairgeom_compute(&pg, state, c->distance, c->normalize, b, "loss \"ms\"");
    if (s != LF_OK) return s;
    const int64_t n = b->n;
    const float scale = (float)(1.0 / (double)n);
    double total = 0;
#pragma omp parallel for reduction(+ : total) schedule(static) if (n * n > 1 << 15)
    for (int64_t i = 0; i < n; i++)
        total += ms_anchor(c, &pg, b, i, scale, dpred ? pg.g + i * n : NULL);
    if (dpred) lf_pairgeom_backward(&pg, dpred);
    *value = total / (double)n;
    return LF_OK;
}

static const lf_loss_vt ms_vt = LF_EMBED_PAIR_VT(ms_eval);

static const lf_param_desc ms_params[] = {
    LF_PARAM_FLOAT("alpha", 2.0, 0.0, 1e6, LF_OPEN_MIN,
        "scale of the positive term (PML alpha, official SCALE_POS)", ms_cfg, alpha),
    LF_PARAM_FLOAT("beta", 50.0, 0.0, 1e6, LF_OPEN_MIN,
        "scale of the negative term (PML beta, official SCALE_NEG)", ms_cfg, beta),
    LF_PARAM_FLOAT("lambda", 1.0, -1e6, 1e6, 0,
        "similarity (or distance) threshold (PML base, official THRESH)", ms_cfg, lambda),
    LF_EMBED_DISTANCE_PARAM(ms_cfg, distance, LF_EMBED_COSINE),
    LF_EMBED_NORMALIZE_PARAM(ms_cfg, normalize),
};

const lf_desc lf_desc_loss_ms = {
    .kind = LF_KIND_LOSS,
    .name = "ms",
    .doc = "multi-similarity loss on embeddings; pairs from a miner (ms-miner) or all pairs",
    .paper = "ms",
    .params = ms_params,
    .nparams = LF_NPARAMS(ms_params),
    .cfg_size = sizeof(ms_cfg),
    .impl = &ms_vt,
};

/* ------------------------------------------------------------------ miner */
typedef struct ms_miner_cfg {
    double eps;
    int distance, normalize;
} ms_miner_cfg;

/* Mines anchor i's row of the mask; returns its positive and negative counts. */
static void mine_anchor(const ms_miner_cfg *c, const lf_pairgeom *pg, const lf_batch *b,
                        int64_t i, uint8_t *row, int64_t *np, int64_t *nn)
{
    const int64_t n = b->n;
    const float *m = pg->m + i * n, sg = pg->sign, eps = (float)c->eps;
    float min_pos = INFINITY, max_neg = -INFINITY;
    for (int64_t j = 0; j < n; j++) {
        float cl = sg * m[j];
        if (lf_embed_is_pos(b, i, j) && cl < min_pos) min_pos = cl;
        if (lf_embed_is_neg(b, i, j) && cl > max_neg) max_neg = cl;
    }
    int64_t p = 0, q = 0;
    for (int64_t j = 0; j < n; j++) {
        float cl = sg * m[j];
        uint8_t bits = 0;
        if (lf_embed_is_pos(b, i, j) && cl - eps < max_neg) bits |= LF_PAIR_POS;
        if (lf_embed_is_neg(b, i, j) && cl + eps > min_pos) bits |= LF_PAIR_NEG;
        p += (bits & LF_PAIR_POS) != 0;
        q += (bits & LF_PAIR_NEG) != 0;
        row[j] = bits;
    }
    *np = p;
    *nn = q;
}

static lf_status ms_mine(const void *cfg, lf_embed_ws *ws, const lf_batch *b, uint8_t *pairs,
                         int64_t *n_pos, int64_t *n_neg)
{
    const ms_miner_cfg *c = cfg;
    lf_pairgeom pg;
    lf_status s = lf_pairgeom_compute(&pg, ws, c->distance, c->normalize, b, "miner \"ms-miner\"");
    if (s != LF_OK) return s;
    const int64_t n = b->n;
    int64_t tp = 0, tn = 0;
    /* The input mask is read while the output is written: mine into a copy when they alias. */
    lf_batch in = *b;
    if (b->pairs == pairs) {
        memcpy(pg.tmp, b->pairs, (size_t)(n * n));
        in.pairs = (const uint8_t *)pg.tmp;
    }
#pragma omp parallel for reduction(+ : tp, tn) schedule(static) if (n * n > 1 << 15)
    for (int64_t i = 0; i < n; i++) {
        int64_t p, q;
        mine_anchor(c, &pg, &in, i, pairs + i * n, &p, &q);
        tp += p;
        tn += q;
    }
    *n_pos = tp;
    *n_neg = tn;
    return LF_OK;
}

static const lf_miner_vt ms_miner_vt = {.mine = ms_mine};

static const lf_param_desc ms_miner_params[] = {
    LF_PARAM_FLOAT("eps", 0.1, 0.0, 1e6, 0,
        "margin of the hard-pair test against the hardest pair of the other kind (PML epsilon)",
        ms_miner_cfg, eps),
    LF_EMBED_DISTANCE_PARAM(ms_miner_cfg, distance, LF_EMBED_COSINE),
    LF_EMBED_NORMALIZE_PARAM(ms_miner_cfg, normalize),
};

const lf_desc lf_miner_desc_ms = {
    .kind = LF_KIND_LOSS,
    .name = "ms-miner",
    .doc = "multi-similarity pair miner: negatives nearer than the farthest positive + eps, "
           "positives farther than the nearest negative - eps",
    .paper = "ms",
    .params = ms_miner_params,
    .nparams = LF_NPARAMS(ms_miner_params),
    .cfg_size = sizeof(ms_miner_cfg),
    .impl = &ms_miner_vt,
};
