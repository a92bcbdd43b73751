/* lossforge/retrieval.h — Embedding losses and miners, P×K and episodic samplers, embedding
 * training, exact kNN retrieval and its metrics (Recall@K, mAP@R, NMI).
 * Part of liblossforge; the core types come from lossforge.h. */
#ifndef LOSSFORGE_RETRIEVAL_H
#define LOSSFORGE_RETRIEVAL_H

#include "lossforge.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ embedding losses, miners */
/* The embedding losses (ms, contrastive, triplet; protonet, proto-triplet, icnn) read pred as n
 * embeddings of k dimensions and label as class ids (any int32). The pair losses compare every
 * row with every other through one n×n matrix (sgemm); the few-shot losses read one episode:
 * group[i] says whether row i is a support or a query row, prototypes are the means of the
 * support rows of each label. A loss object keeps a workspace grown to the largest batch seen,
 * so a steady step does no malloc and one object must not be evaluated by two threads at once.
 * No mined pair, no positive or a collapsed batch gives a finite value and a finite gradient
 * (0 and 0 where nothing is mined), never NaN. */
enum { LF_PAIR_POS = 1, LF_PAIR_NEG = 2 };                  /* lf_batch.pairs bits */
enum { LF_EPISODE_SUPPORT = 0, LF_EPISODE_QUERY = 1 };      /* lf_batch.group of an episode */

/* A miner selects the pairs an embedding loss sees (pytorch-metric-learning's
 * loss(emb, labels, miner(emb, labels))). Specs: "ms-miner:eps=0.1,distance=cosine" (Wang et
 * al. 2019). Miners are not in the registry; lf_miner_desc gives the parameter table. */
typedef struct lf_miner lf_miner;
lf_status lf_miner_create(const char *spec, lf_miner **out);
void lf_miner_free(lf_miner *m);
/* Reads b->pred (n×k embeddings), b->label and, when set, b->pairs (to mine within); writes
 * the n×n mask (row = anchor) to pairs and the pair counts to n_pos / n_neg (may be NULL). */
lf_status lf_miner_mine(lf_miner *m, const lf_batch *b, uint8_t *pairs, int64_t *n_pos,
                        int64_t *n_neg);
const char *lf_miner_spec(const lf_miner *m); /* canonical */
const lf_desc *lf_miner_desc(const lf_miner *m);
/* Parameter tables of the known miners, i in [0, count); NULL past the end. */
int lf_miner_count(void);
const lf_desc *lf_miner_at(int i);
/* ------------------------------------------------------------------ class splits, samplers */
/* Disjoint class splits for metric and few-shot learning: a seeded shuffle of 0..n_classes-1,
 * the first n_first go to first[], the rest to second[] (each sorted ascending; second may be
 * NULL). */
lf_status lf_class_split(int32_t n_classes, int32_t n_first, uint64_t seed, int32_t *first,
                         int32_t *second);
/* The rows (ascending, malloc'd into *rows, *m of them) whose label is one of classes[0..nc). */
lf_status lf_rows_of_classes(const int32_t *y, int64_t n, const int32_t *classes, int nc,
                             int64_t **rows, int64_t *m);

/* Class-balanced batches over a class subset: each class's rows are kept in a list, and draws
 * come from the sampler's own seeded stream. */
typedef struct lf_sampler lf_sampler;
/* y: labels of n rows; rows (may be NULL = 0..n-1): the rows to draw from; classes (may be NULL
 * = every label present among them): the class subset. Classes without rows are an error. */
lf_status lf_sampler_create(const int32_t *y, int64_t n, const int64_t *rows, int64_t nrows,
                            const int32_t *classes, int nc, uint64_t seed, lf_sampler **out);
void lf_sampler_free(lf_sampler *s);
int lf_sampler_classes(const lf_sampler *s);          /* classes in the subset */
int64_t lf_sampler_min_class_rows(const lf_sampler *s);
/* P×K batch: p distinct classes, k rows of each, written class after class to rows[p*k] (dataset
 * row ids). A class with fewer than k rows is drawn with replacement, otherwise without. */
lf_status lf_sampler_pk(lf_sampler *s, int p, int k, int64_t *rows);
/* Episode (N-way K-shot Q-query): n_way distinct classes, then k_shot + q_query distinct rows
 * of each. rows[n_way*(k_shot+q_query)]: the n_way*k_shot support rows (class after class),
 * then the n_way*q_query query rows (likewise). label (may be NULL): the episode's class
 * 0..n_way-1 of each row; group (may be NULL): LF_EPISODE_SUPPORT / LF_EPISODE_QUERY, the
 * layout the few-shot losses read. Classes with fewer than k_shot + q_query rows are an error. */
lf_status lf_sampler_episode(lf_sampler *s, int n_way, int k_shot, int q_query, int64_t *rows,
                             int32_t *label, int32_t *group);

/* ------------------------------------------------------------------ embeddings, retrieval */
/* The outputs of a model (its n_out values per row) for rows[0..nrows) of ds (rows NULL = all),
 * standardised with norm (may be NULL), in batches: out is nrows × n_out. */
lf_status lf_embed_rows(lf_model *m, const lf_dataset *ds, const int64_t *rows, int64_t nrows,
                        const lf_norm *norm, int64_t batch, float *out);

typedef enum lf_metric {
    LF_METRIC_COSINE,    /* cosine similarity: rows L2-normalised, larger = nearer */
    LF_METRIC_EUCLIDEAN  /* Euclidean distance, smaller = nearer */
} lf_metric;

/* Exact k nearest neighbours of nq queries among nk keys (d dims each), scores through sgemm one
 * block of queries against all keys at a time: memory stays at block × nk floats, never nq × nk.
 * self_offset >= 0: query i is key self_offset + i, and that key is skipped (by index, so
 * duplicates still count); -1: no query is a key. idx (nq × k): nearest first, ties broken by
 * the smaller index; score (nq × k, may be NULL): similarity or distance. k <= keys available. */
lf_status lf_knn(const float *query, int64_t nq, const float *keys, int64_t nk, int64_t d, int k,
                 lf_metric metric, int64_t self_offset, int64_t *idx, float *score);

/* k-means with k-means++ seeding (Arthur & Vassilvitskii 2007) from seed, then Lloyd iterations
 * until no assignment changes or `iters` passes; squared Euclidean distances through sgemm.
 * assign: n cluster ids; centroids (k × d, may be NULL). An emptied cluster takes the point
 * farthest from its centroid. */
lf_status lf_kmeans(const float *x, int64_t n, int64_t d, int k, int iters, uint64_t seed,
                    int32_t *assign, float *centroids);
/* Normalised mutual information of two labelings, MI / ((H(a) + H(b)) / 2), natural logs, as
 * scikit-learn's normalized_mutual_info_score: 1 when both are one cluster, 0 when MI = 0. */
double lf_nmi(const int32_t *a, const int32_t *b, int64_t n);

/* Retrieval quality of embeddings with every row as a query against all the others. */
typedef struct lf_retrieval {
    double recall[4]; /* Recall@1, 2, 4, 8: fraction of queries with a same-class row among
                       * their K nearest (Wang et al. 2019's Recall@K) */
    double map_at_r;  /* mAP@R (Musgrave et al. 2020): R = same-class rows besides the query;
                       * mean over queries of (1/R) sum_{i<=R} precision@i * [i-th is a match] */
    double nmi;       /* NMI of k-means (k = classes, seeded) against the labels; NAN unless
                       * requested */
} lf_retrieval;
extern const int lf_recall_k[4]; /* 1, 2, 4, 8 */
/* emb: n × d, y: n labels. with_nmi: also cluster (k-means++, 100 Lloyd passes at most). */
lf_status lf_retrieval_eval(const float *emb, const int32_t *y, int64_t n, int64_t d,
                            lf_metric metric, int with_nmi, uint64_t seed, lf_retrieval *out);

/* Training an embedding model (a model whose n_out outputs are the embedding) with an embedding
 * loss on class-balanced P×K batches, or on episodes for the few-shot losses. */
typedef struct lf_embed_opts {
    const char *model, *loss, *optim, *schedule; /* specs; schedule NULL = constant */
    const char *miner;       /* NULL or "": every pair; else e.g. "ms-miner:eps=0.1" */
    int64_t dim;             /* embedding dimension = the model's n_out */
    int p, k;                /* P×K batches: p classes × k rows */
    int way, shot, query;    /* way > 0: episodes (group = support/query) instead of P×K */
    int64_t steps;           /* optimisation steps */
    uint64_t seed;           /* init, batches, dropout */
    int threads, progress;   /* progress: 0 none, 1 plain lines, 2 tty bar */
    double clip_norm;        /* > 0: clip the global gradient norm */
    const int32_t *classes;  /* training classes (NULL = every label of train) */
    int n_classes;
    const char *out_dir;     /* NULL: nothing written; else model.safetensors */
    /* Called after every `every` steps and after the last one (may be NULL): the model so far,
     * the standardisation, the steps done and the mean batch loss since the last
     * call. A status other than LF_OK stops training with it. */
    lf_status (*on_step)(void *user, lf_model *m, const lf_norm *norm, int64_t step, double loss);
    int64_t every;
    void *user;
} lf_embed_opts;

typedef struct lf_embed_result {
    double first_loss, last_loss; /* mean loss over the first / last 10% of steps */
    double mined_pairs;           /* mean mined (pos + neg) pairs per batch; NAN without a miner */
    double seconds;
} lf_embed_result;

/* mlp:256, ms:..., adamw:lr=1e-3, P×K 8×4, 1000 steps, seed 1, dim 64, no miner. */
void lf_embed_opts_default(lf_embed_opts *o);
/* Trains on the rows of train whose label is in o->classes (standardised with their moments:
 * one scalar for images). *model_out (may be NULL) receives the model and *norm_out (may be
 * NULL) the standardisation (lf_norm_release frees it) to pass to lf_embed_rows. */
lf_status lf_train_embedding(const lf_embed_opts *o, const lf_dataset *train, lf_embed_result *res,
                             lf_model **model_out, lf_norm *norm_out);

#ifdef __cplusplus
}
#endif
#endif
