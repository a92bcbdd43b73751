/* lossforge/ensemble.h — Ensembles (SGLD samples or independent runs) and calibration: NLL and ECE.
 * Part of liblossforge; the core types come from lossforge.h. */
#ifndef LOSSFORGE_ENSEMBLE_H
#define LOSSFORGE_ENSEMBLE_H

#include "lossforge.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ ensembles, calibration */
/* SGLD needs the training-set size N (its parameter n_data). For an "sgld" spec that leaves
 * n_data unset, writes the canonical spec with n_data = n; any other spec comes back in
 * canonical form unchanged. */
lf_status lf_sgld_spec_fill(const char *spec, int64_t n, char *buf, size_t cap);

/* Accuracy, negative log-likelihood and expected calibration error of class probabilities. */
typedef struct lf_calib {
    double acc; /* argmax of the row (first max wins) equals the label */
    double nll; /* mean of -log p[label], p clamped below at 1e-300 */
    double ece; /* sum over bins b of |B_b|/n * |accuracy(B_b) - mean confidence(B_b)| */
} lf_calib;

#define LF_ECE_BINS 15 /* the usual choice (Guo et al. 2017) */
/* prob: n×k rows of probabilities, used as given. The confidence of a row is its largest p;
 * `bins` equal-width bins split [0, 1], bin i holding confidences in (i/bins, (i+1)/bins] (a
 * confidence of exactly 0 falls in bin 0). */
lf_status lf_calibration(const double *prob, const int32_t *y, int64_t n, int64_t k, int bins,
                         lf_calib *out);
/* Adds weight * softmax(model(x)) for every row of ds (standardised with norm, may be
 * NULL) to prob (ds->n × n_out doubles): averaging probabilities over models is repeated
 * calls with weight 1/M. */
lf_status lf_predict_proba_add(lf_model *m, const lf_dataset *ds, const lf_norm *norm,
                               double weight, double *prob);

typedef enum lf_ensemble_kind {
    LF_ENSEMBLE_SGLD, /* M snapshots of one run (posterior samples when the optimizer is sgld) */
    LF_ENSEMBLE_DEEP  /* M independent runs, seeds seed .. seed+M-1 */
} lf_ensemble_kind;

typedef struct lf_ensemble_opts {
    int members;           /* M >= 1 */
    lf_ensemble_kind kind;
    int burn_in;           /* SGLD: epochs before sampling; -1 = epochs - members*thin */
    int thin;              /* SGLD: epochs between samples, >= 1; samples are taken at the end of
                            * epochs burn_in + thin, burn_in + 2*thin, ..., which must end at
                            * the last epoch: epochs = burn_in + members*thin */
} lf_ensemble_opts;

typedef struct lf_ensemble_result {
    lf_calib single;   /* deep: the first member (seed); SGLD: the last sample (the final model) */
    lf_calib ensemble; /* probabilities averaged over the members */
    lf_calib member_mean; /* each member's own metrics, averaged over the members */
    int members;
    double seconds;
} lf_ensemble_result;

/* Trains an ensemble with the options of o and scores it on test (which must have rows). An
 * "sgld" optimizer without n_data gets the number of training rows (after --val-split). With
 * out_dir set: SGLD writes the run's files there plus sample-<j>.safetensors per sample; deep
 * writes each member's files to <out_dir>/member-<i>; both write ensemble.json. o->on_epoch,
 * if set, is called first at every epoch. */
lf_status lf_train_ensemble(const lf_train_opts *o, const lf_ensemble_opts *e,
                            const lf_dataset *train, const lf_dataset *test,
                            lf_ensemble_result *res);

#ifdef __cplusplus
}
#endif
#endif
