/* Geometry shared by the embedding losses, the miners and retrieval (not installed): L2
 * normalisation, similarity and squared-distance matrices through sgemm with their backward
 * passes, candidate pairs, and the growable workspace a loss keeps between batches. */
#ifndef LF_LOSS_EMBED_H
#define LF_LOSS_EMBED_H

#include "internal.h"

/* F.normalize's clamp: a row with a smaller norm is divided by this instead. */
#define LF_EMBED_NORM_EPS 1e-12f

/* ------------------------------------------------------------------ workspace */
typedef struct lf_embed_ws {
    float *buf;
    size_t cap; /* floats */
} lf_embed_ws;

/* At least `floats` floats (contents undefined), reallocating only to grow. NULL on ENOMEM with
 * the error set, naming `who`. */
float *lf_embed_ws_reserve(lf_embed_ws *w, size_t floats, const char *who);
void lf_embed_ws_release(lf_embed_ws *w);

/* Loss state for vtables that need only a workspace. */
lf_status lf_embed_ws_init(const void *cfg, void **state);
void lf_embed_ws_free(void *state);
/* The vtable of a pair loss: labels (P×K batches), a workspace, its eval. */
#define LF_EMBED_PAIR_VT(eval_fn)                                                              \
    {.needs = LF_NEED_LABEL | LF_LOSS_PAIRS, .init = lf_embed_ws_init,                         \
     .free_state = lf_embed_ws_free, .eval = eval_fn}

/* ------------------------------------------------------------------ matrices */
/* out (na × nb) = a b^T, rows of d floats. */
void lf_embed_dot(const float *a, int64_t na, const float *b, int64_t nb, int64_t d, float *out);
/* With h = d L / d (a b^T): da += h b, db += h^T a (da, db may be NULL; equal when a == b). */
void lf_embed_dot_backward(const float *a, int64_t na, const float *b, int64_t nb, int64_t d,
                           const float *h, float *da, float *db);
/* out (na × nb) = ||a_i - b_j||^2 from the Gram matrix, clamped at 0. When a == b the norms come
 * from the Gram diagonal, so equal rows are exactly 0 apart. scratch: na + nb floats. */
void lf_embed_sqdist(const float *a, int64_t na, const float *b, int64_t nb, int64_t d, float *out,
                     float *scratch);
/* With h = d L / d out: da += 2 (rowsum(h) a - h b), db += 2 (colsum(h) b - h^T a). scratch:
 * na + nb floats. */
void lf_embed_sqdist_backward(const float *a, int64_t na, const float *b, int64_t nb, int64_t d,
                              const float *h, float *da, float *db, float *scratch);
/* x = e / max(||e||, eps) row by row; norm (n) keeps the clamped norms for the backward. */
void lf_embed_normalize(const float *e, int64_t n, int64_t d, float *x, float *norm);
/* d L / d e from dx = d L / d x, in place: (dx - x (x.dx)) / norm, or dx / eps when clamped. */
void lf_embed_normalize_backward(const float *x, const float *norm, int64_t n, int64_t d,
                                 float *dx);

/* ------------------------------------------------------------------ pair geometry */
/* distance parameter of the pair losses and miners, as pytorch-metric-learning's
 * CosineSimilarity / LpDistance(p=2), both with normalize_embeddings. */
enum { LF_EMBED_COSINE, LF_EMBED_EUCLIDEAN };
#define LF_EMBED_DISTANCE_CHOICES "cosine|euclidean"

/* The n × n matrix m a pair loss reads, and the d loss / d m it fills. */
typedef struct lf_pairgeom {
    int distance, normalize;
    int64_t n, d;
    /* +1 when m is a similarity (larger = nearer), -1 when a distance: pytorch-metric-learning's
     * distance.margin(x, y) is sign * (y - x), so one formula serves both. */
    float sign;
    const float *x; /* n × d rows compared: normalised copy or the input */
    float *norm;    /* n clamped norms (normalize) */
    float *m;       /* n × n: dot product of x, or Euclidean distance */
    float *g;       /* n × n d loss / d m, zeroed; the loss adds into it */
    float *tmp;     /* n × n scratch for the loss (one row per anchor, so rows run in parallel) */
    int32_t *idx;   /* n × n scratch indices, likewise */
    float *scratch; /* 2n floats for the squared-distance passes */
} lf_pairgeom;

/* Computes m for b->pred (n × k) in ws. */
lf_status lf_pairgeom_compute(lf_pairgeom *pg, lf_embed_ws *ws, int distance, int normalize,
                              const lf_batch *b, const char *who);
/* demb (n × d, overwritten) = d loss / d pred from pg->g. pg->g is consumed. */
void lf_pairgeom_backward(lf_pairgeom *pg, float *demb);

/* Candidate pairs of anchor i: a positive is another row with the same label, a negative a row
 * with another label, each kept only where the batch's mined mask (if any) has its bit. */
static inline int lf_embed_is_pos(const lf_batch *b, int64_t i, int64_t j)
{
    return j != i && b->label[j] == b->label[i] &&
           (!b->pairs || (b->pairs[i * b->n + j] & LF_PAIR_POS));
}
static inline int lf_embed_is_neg(const lf_batch *b, int64_t i, int64_t j)
{
    return b->label[j] != b->label[i] && (!b->pairs || (b->pairs[i * b->n + j] & LF_PAIR_NEG));
}

/* The spec parameters every pair loss and miner shares. */
#define LF_EMBED_DISTANCE_PARAM(type, field, def)                                              \
    LF_PARAM_ENUM("distance", def, LF_EMBED_DISTANCE_CHOICES,                                   \
                  "cosine: dot product of the embeddings; euclidean: L2 distance "              \
                  "(pytorch-metric-learning's CosineSimilarity / LpDistance)",                  \
                  type, field)
#define LF_EMBED_NORMALIZE_PARAM(type, field)                                                  \
    LF_PARAM_BOOL("normalize", 1,                                                               \
                  "L2-normalise the embeddings first (normalize_embeddings; the gradient "      \
                  "flows through it)",                                                          \
                  type, field)

/* ------------------------------------------------------------------ miners */
typedef struct lf_miner_vt {
    /* Writes the n × n mask and the counts; ws is the miner's own workspace. */
    lf_status (*mine)(const void *cfg, lf_embed_ws *ws, const lf_batch *b, uint8_t *pairs,
                      int64_t *n_pos, int64_t *n_neg);
} lf_miner_vt;

/* The known miners (src/loss/miner.c lists them). */
extern const lf_desc lf_miner_desc_ms;

#endif
