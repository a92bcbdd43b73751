/* Training and scoring of one-output (binary score) models on rows of a dataset, for the
 * experiments on binary losses (anyloss-imbalance, ensloss). Private to src/repro. */
#ifndef LF_REPRO_BINFIT_H
#define LF_REPRO_BINFIT_H

#include "xp.h"

typedef struct lf_binfit {
    const char *model;  /* model spec; built with one output (the score s) */
    const char *loss;   /* a binary-score loss spec, or "mse": squared error of sigmoid(s) against
                         * the 0/1 label (the AnyLoss paper's MSE baseline) */
    const char *optim;
    int epochs;
    int64_t batch;
    uint64_t seed;      /* model init, batch order, dropout */
} lf_binfit;

/* Trains on rows train[0..ntr) of ds (labels 0/1), standardised with the moments of those rows
 * (one scalar for images, per feature otherwise), and scores rows test[0..nte). *final gets the
 * test metrics (lf_binary_metrics, internal.h) after the last epoch; per_epoch (epochs entries,
 * may be NULL) those after each. */
lf_status lf_binfit_run(const lf_binfit *o, const lf_dataset *ds, const int64_t *train,
                        int64_t ntr, const int64_t *test, int64_t nte, lf_binmetrics *final,
                        lf_binmetrics *per_epoch);

#endif
