/* lossforge/fewshot.h — Few-shot evaluation: nearest-prototype accuracy over episodes with a 95%
 * interval.
 * Part of liblossforge; the core types come from lossforge.h. */
#ifndef LOSSFORGE_FEWSHOT_H
#define LOSSFORGE_FEWSHOT_H

#include "lossforge.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ few-shot */
/* Episodic few-shot learning (src/learn/fewshot.c). Meta-training is lf_train_embedding with
 * way/shot/query set and an episode loss (protonet, proto-triplet, icnn); evaluation follows
 * Snell et al. 2017 and the SuSana authors' code (maumruiz/FSL-Loss): N-way K-shot episodes of
 * held-out classes, each query given the class of the nearest prototype (squared Euclidean
 * distance to the mean of that class's support embeddings), accuracy per episode. */

/* "5way1shot" or "5way5shot:q=15" -> way, shot and queries per class (default 15). */
lf_status lf_episodic_parse(const char *spec, int *way, int *shot, int *query);

/* Mean, standard deviation (ddof 0, as np.std in the authors' compute_confidence_interval) and
 * the half-width of the normal 95% confidence interval 1.96 sd / sqrt(n) of x[0..n), n >= 1. */
void lf_mean_ci95(const double *x, int64_t n, double *mean, double *sd, double *ci95);

typedef struct lf_fewshot_result {
    double mean, sd, ci95; /* accuracy over episodes, as lf_mean_ci95 */
    int64_t episodes;
} lf_fewshot_result;

/* Accuracy of m's embeddings on `episodes` way-shot-query episodes drawn (seeded) from the rows
 * of ds whose label is in classes[0..nc) (NULL = every class), standardised with norm (may be
 * NULL). Each row is embedded once; acc (may be NULL) receives every episode's
 * accuracy. */
lf_status lf_fewshot_eval(lf_model *m, const lf_norm *norm, const lf_dataset *ds,
                          const int32_t *classes, int nc, int way, int shot, int query,
                          int64_t episodes, uint64_t seed, lf_fewshot_result *out, double *acc);

#ifdef __cplusplus
}
#endif
#endif
