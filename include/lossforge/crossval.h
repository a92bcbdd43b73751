/* lossforge/crossval.h — cross-validation and class-imbalance tools for tabular data:
 * stratified k-fold, subsampling to an imbalance ratio, one-vs-rest relabelling.
 * Part of liblossforge; the core types come from lossforge.h. */
#ifndef LOSSFORGE_CROSSVAL_H
#define LOSSFORGE_CROSSVAL_H

#include "lossforge.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Stratified k-fold (src/data/folds.c): fold[i] in [0, k) for each of n labels y (>= 0). Each
 * class's rows are shuffled (seeded) and dealt to the folds in turn, the turn carrying over from
 * one class to the next, so every fold holds floor or ceil of n_c / k rows of each class c and
 * fold sizes differ by at most one. Needs 2 <= k <= n. */
lf_status lf_stratified_kfold(const int32_t *y, int64_t n, int k, uint64_t seed, int32_t *fold);
/* Rows of fold f (test) and of the other folds (train), each in increasing order; train and test
 * have room for n rows; the counts go to *n_train and *n_test. */
void lf_fold_rows(const int32_t *fold, int64_t n, int f, int64_t *train, int64_t *n_train,
                  int64_t *test, int64_t *n_test);
/* Class subsampling to an imbalance ratio. Of rows[0..m) (NULL = rows 0..m-1) of labels y, keeps
 * every row whose label is not `minority` and a seeded random round(n_other / ratio) (>= 1) of
 * the rows labelled `minority`, so others : minority = ratio : 1; when that class has fewer rows,
 * keeps all of them and thins the others to round(n_minority * ratio) instead. Writes the kept
 * rows in increasing order to out (room for m) and their count to *n_out. */
lf_status lf_subsample_ratio(const int32_t *y, const int64_t *rows, int64_t m, int32_t minority,
                             double ratio, uint64_t seed, int64_t *out, int64_t *n_out);
/* Binary one-vs-rest copy of rows idx[0..m) of src (idx NULL = every row): label 1 where src's
 * label is `positive`, else 0; n_classes = 2. */
lf_status lf_dataset_one_vs_rest(const lf_dataset *src, int32_t positive, const int64_t *idx,
                                 int64_t m, lf_dataset *dst);

#ifdef __cplusplus
}
#endif
#endif
