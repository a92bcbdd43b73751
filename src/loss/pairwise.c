/* Contrastive and triplet losses on embeddings, with pytorch-metric-learning's definitions
 * (ContrastiveLoss, TripletMarginLoss + BatchHardMiner / TripletMarginMiner("semihard")).
 *
 * m is the n × n similarity (distance=cosine) or distance (euclidean) matrix and sign = +1 /
 * -1, so c = sign * m is a closeness and PML's distance.margin(x, y) = sign * (y - x).
 * Pairs (i, j) are ordered, i != j; candidates follow the batch's mined mask when it has one.
 *   contrastive: positive pairs lose relu(sign (pos_margin - m)), negative pairs
 *     relu(sign (m - margin)); each kind is averaged over its pairs with a loss > 0 (PML's
 *     AvgNonZeroReducer) and the two averages are added.
 *   triplet: a triplet (a, p, n) loses relu(c_an - c_ap + margin), averaged over the triplets
 *     with a loss > 0. mining=all: every triplet; semi-hard: those with c_ap > c_an (then the
 *     loss is below the margin); batch-hard: per anchor, its least close positive and closest
 *     negative (Hermans et al. 2017).
 * Nothing active gives 0 and a zero gradient, not 0/0 (pytorch-metric-learning#107). */
#include "loss/embed.h"

#include <stddef.h>

/* g *= 1/count over n × n (0 when nothing was active), then the backward pass. */
static void finish(lf_pairgeom *pg, double count, float *dpred)
{
    if (!dpred) return;
    const float s = count > 0 ? (float)(1 / count) : 0.0f;
    const int64_t nn = pg->n * pg->n;
#pragma omp simd
    for (int64_t i = 0; i < nn; i++) pg->g[i] *= s;
    lf_pairgeom_backward(pg, dpred);
}

/* ------------------------------------------------------------------ contrastive */
typedef struct contrastive_cfg {
    double margin, pos_margin;
    int distance, normalize;
} contrastive_cfg;

typedef struct pair_tally {
    double sum[2];  /* positive, negative */
    int64_t cnt[2];
} pair_tally;

/* Loss of pair (i, j) of kind k (0 positive, 1 negative), or 0 when it is neither. */
static float pair_loss(const contrastive_cfg *c, const lf_pairgeom *pg, const lf_batch *b,
                       int64_t i, int64_t j, int *k)
{
    const float m = pg->m[i * b->n + j];
    if (lf_embed_is_pos(b, i, j)) {
        *k = 0;
        float v = pg->sign * ((float)c->pos_margin - m);
        return v > 0 ? v : 0;
    }
    if (lf_embed_is_neg(b, i, j)) {
        *k = 1;
        float v = pg->sign * (m - (float)c->margin);
        return v > 0 ? v : 0;
    }
    return 0;
}

static lf_status contrastive_eval(const void *cfg, void *state, const lf_batch *b, double *value,
                                  float *dpred)
{
    const contrastive_cfg *c = cfg;
    lf_pairgeom pg;
    lf_status s = lf_pairgeom_compute(&pg, state, c->distance, c->normalize, b,
                                      "loss \"contrastive\"");
    if (s != LF_OK) return s;
    const int64_t n = b->n;
    double sp = 0, sn = 0;
    int64_t cp = 0, cn = 0;
#pragma omp parallel for reduction(+ : sp, sn, cp, cn) schedule(static) if (n * n > 1 << 15)
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            int k = -1;
            float v = pair_loss(c, &pg, b, i, j, &k);
            if (!(v > 0)) continue;
            if (k == 0) {
                sp += v;
                cp++;
            } else {
                sn += v;
                cn++;
            }
        }
    *value = (cp ? sp / (double)cp : 0) + (cn ? sn / (double)cn : 0);
    if (!dpred) return LF_OK;
    /* d/dm of each active pair, already divided by its kind's count. */
    const float gk[2] = {cp ? -pg.sign / (float)cp : 0, cn ? pg.sign / (float)cn : 0};
#pragma omp parallel for schedule(static) if (n * n > 1 << 15)
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            int k = -1;
            if (pair_loss(c, &pg, b, i, j, &k) > 0) pg.g[i * n + j] = gk[k];
        }
    finish(&pg, 1, dpred);
    return LF_OK;
}

static const lf_loss_vt contrastive_vt = LF_EMBED_PAIR_VT(contrastive_eval);

static const lf_param_desc contrastive_params[] = {
    LF_PARAM_FLOAT("margin", 1.0, -1e6, 1e6, 0,
        "negative margin: negatives nearer than it (distance) or more similar (cosine) lose (PML "
        "neg_margin)", contrastive_cfg, margin),
    LF_PARAM_FLOAT("pos_margin", 0.0, -1e6, 1e6, 0,
        "positives farther than it (distance) or less similar (cosine) lose (PML pos_margin)",
        contrastive_cfg, pos_margin),
    LF_EMBED_DISTANCE_PARAM(contrastive_cfg, distance, LF_EMBED_EUCLIDEAN),
    LF_EMBED_NORMALIZE_PARAM(contrastive_cfg, normalize),
};

const lf_desc lf_desc_loss_contrastive = {
    .kind = LF_KIND_LOSS,
    .name = "contrastive",
    .doc = "contrastive pair loss on embeddings (Hadsell et al. 2006), pytorch-metric-learning "
           "form",
    .paper = NULL,
    .params = contrastive_params,
    .nparams = LF_NPARAMS(contrastive_params),
    .cfg_size = sizeof(contrastive_cfg),
    .impl = &contrastive_vt,
};

/* ------------------------------------------------------------------ triplet */
enum { MINE_ALL, MINE_SEMI_HARD, MINE_BATCH_HARD };

typedef struct triplet_cfg {
    double margin;
    int mining, distance, normalize;
} triplet_cfg;

/* Triplets of anchor a over its candidate sets: adds their losses and counts, and (when g is
 * set) the unscaled d/dm into row a of g. */
static void triplets_all(const triplet_cfg *c, const lf_pairgeom *pg, const lf_batch *b,
                         int64_t a, float *g, double *sum, int64_t *cnt)
{
    const int64_t n = b->n;
    const float *m = pg->m + a * n, sg = pg->sign, mg = (float)c->margin;
    const int semi = c->mining == MINE_SEMI_HARD;
    for (int64_t p = 0; p < n; p++) {
        if (!lf_embed_is_pos(b, a, p)) continue;
        const float cp = sg * m[p];
        for (int64_t q = 0; q < n; q++) {
            if (!lf_embed_is_neg(b, a, q)) continue;
            const float cq = sg * m[q], v = cq - cp + mg;
            if (!(v > 0) || (semi && !(cp > cq))) continue;
            *sum += v;
            ++*cnt;
            if (g) {
                g[q] += sg;
                g[p] -= sg;
            }
        }
    }
}

static void triplet_hardest(const triplet_cfg *c, const lf_pairgeom *pg, const lf_batch *b,
                            int64_t a, float *g, double *sum, int64_t *cnt)
{
    const int64_t n = b->n;
    const float *m = pg->m + a * n, sg = pg->sign;
    int64_t p = -1, q = -1;
    for (int64_t j = 0; j < n; j++) {
        if (lf_embed_is_pos(b, a, j) && (p < 0 || sg * m[j] < sg * m[p])) p = j;
        if (lf_embed_is_neg(b, a, j) && (q < 0 || sg * m[j] > sg * m[q])) q = j;
    }
    if (p < 0 || q < 0) return;
    const float v = sg * (m[q] - m[p]) + (float)c->margin;
    if (!(v > 0)) return;
    *sum += v;
    ++*cnt;
    if (g) {
        g[q] += sg;
        g[p] -= sg;
    }
}

static lf_status triplet_eval(const void *cfg, void *state, const lf_batch *b, double *value,
                              float *dpred)
{
    const triplet_cfg *c = cfg;
    lf_pairgeom pg;
    lf_status s = lf_pairgeom_compute(&pg, state, c->distance, c->normalize, b, "loss \"triplet\"");
    if (s != LF_OK) return s;
    const int64_t n = b->n;
    double sum = 0;
    int64_t cnt = 0;
#pragma omp parallel for reduction(+ : sum, cnt) schedule(static) if (n * n > 1 << 12)
    for (int64_t a = 0; a < n; a++) {
        float *g = dpred ? pg.g + a * n : NULL;
        if (c->mining == MINE_BATCH_HARD) triplet_hardest(c, &pg, b, a, g, &sum, &cnt);
        else triplets_all(c, &pg, b, a, g, &sum, &cnt);
    }
    *value = cnt ? sum / (double)cnt : 0;
    finish(&pg, (double)cnt, dpred);
    return LF_OK;
}

static const lf_loss_vt triplet_vt = LF_EMBED_PAIR_VT(triplet_eval);

static const lf_param_desc triplet_params[] = {
    LF_PARAM_FLOAT("margin", 0.05, 0.0, 1e6, 0,
        "wanted gap between the negative and the positive (PML margin, default 0.05)", triplet_cfg,
        margin),
    LF_PARAM_ENUM("mining", MINE_ALL, "all|semi-hard|batch-hard",
        "all: every triplet; semi-hard: negatives farther than the positive but inside the "
        "margin (PML TripletMarginMiner semihard); batch-hard: hardest positive and negative per "
        "anchor (PML BatchHardMiner)", triplet_cfg, mining),
    LF_EMBED_DISTANCE_PARAM(triplet_cfg, distance, LF_EMBED_EUCLIDEAN),
    LF_EMBED_NORMALIZE_PARAM(triplet_cfg, normalize),
};

const lf_desc lf_desc_loss_triplet = {
    .kind = LF_KIND_LOSS,
    .name = "triplet",
    .doc = "triplet margin loss on embeddings with all / semi-hard / batch-hard mining",
    .paper = NULL,
    .params = triplet_params,
    .nparams = LF_NPARAMS(triplet_params),
    .cfg_size = sizeof(triplet_cfg),
    .impl = &triplet_vt,
};
