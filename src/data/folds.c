/* Row selections for imbalanced and cross-validated experiments: stratified k-fold, class
 * subsampling to an imbalance ratio, binary one-vs-rest copies. All seeded, all returning rows
 * in increasing order so results do not depend on the order of the draws. */
#include "internal.h"

#include <math.h>
#include <string.h>

lf_status lf_stratified_kfold(const int32_t *y, int64_t n, int k, uint64_t seed, int32_t *fold)
{
    if (!y || !fold || k < 2 || n < k)
        return lf_error(LF_EINVAL, "stratified k-fold: need 2 <= k <= n rows, got k = %d, n = %lld",
                        k, (long long)n);
    int32_t classes = 0;
    for (int64_t i = 0; i < n; i++) {
        if (y[i] < 0)
            return lf_error(LF_EINVAL, "stratified k-fold: label %d at row %lld is negative",
                            (int)y[i], (long long)i);
        if (y[i] >= classes) classes = y[i] + 1;
    }
    int64_t *perm = malloc((size_t)n * sizeof *perm);
    int64_t *start = calloc((size_t)classes + 1, sizeof *start);
    int64_t *order = malloc((size_t)n * sizeof *order);
    if (!perm || !start || !order) {
        free(perm);
        free(start);
        free(order);
        return lf_error(LF_ENOMEM, "stratified k-fold: out of memory for %lld rows", (long long)n);
    }
    /* A random permutation bucketed by class (counting sort, stable) lists each class's rows in
     * random order, classes one after the other; dealing that list round-robin stratifies. */
    lf_rng r;
    lf_rng_seed(&r, seed);
    lf_rng_permutation(&r, perm, n);
    for (int64_t i = 0; i < n; i++) start[y[i] + 1]++;
    for (int32_t c = 0; c < classes; c++) start[c + 1] += start[c];
    for (int64_t i = 0; i < n; i++) order[start[y[perm[i]]]++] = perm[i];
    for (int64_t j = 0; j < n; j++) fold[order[j]] = (int32_t)(j % k);
    free(perm);
    free(start);
    free(order);
    return LF_OK;
}

void lf_fold_rows(const int32_t *fold, int64_t n, int f, int64_t *train, int64_t *n_train,
                  int64_t *test, int64_t *n_test)
{
    int64_t a = 0, b = 0;
    for (int64_t i = 0; i < n; i++) {
        if (fold[i] == f) test[b++] = i;
        else train[a++] = i;
    }
    *n_train = a;
    *n_test = b;
}

/* Moves a seeded random t of list[0..len) to its front (partial Fisher-Yates). */
static void pick_front(int64_t *list, int64_t len, int64_t t, lf_rng *r)
{
    for (int64_t i = 0; i < t; i++) {
        int64_t j = i + (int64_t)lf_rng_below(r, (uint64_t)(len - i));
        int64_t tmp = list[i];
        list[i] = list[j];
        list[j] = tmp;
    }
}

lf_status lf_subsample_ratio(const int32_t *y, const int64_t *rows, int64_t m, int32_t minority,
                             double ratio, uint64_t seed, int64_t *out, int64_t *n_out)
{
    if (!y || !out || !n_out || m < 1 || !(ratio > 0 && isfinite(ratio)))
        return lf_error(LF_EINVAL, "subsample: need rows (m = %lld) and a finite ratio > 0, got %g",
                        (long long)m, ratio);
    int64_t *cls = malloc((size_t)m * sizeof *cls), *rest = malloc((size_t)m * sizeof *rest);
    if (!cls || !rest) {
        free(cls);
        free(rest);
        return lf_error(LF_ENOMEM, "subsample: out of memory for %lld rows", (long long)m);
    }
    int64_t na = 0, nb = 0;
    for (int64_t i = 0; i < m; i++) {
        const int64_t row = rows ? rows[i] : i;
        if (y[row] == minority) cls[na++] = row;
        else rest[nb++] = row;
    }
    lf_status s = LF_OK;
    if (na == 0 || nb == 0) {
        s = lf_error(LF_EINVAL, "subsample: class %d has %lld of the %lld rows; both it and the "
                     "other classes need at least one", (int)minority, (long long)na, (long long)m);
    } else {
        lf_rng r;
        lf_rng_seed(&r, seed);
        int64_t ta = llround((double)nb / ratio), tb = nb;
        if (ta < 1) ta = 1;
        if (ta > na) { /* too few of the class: keep it all, thin the others instead */
            ta = na;
            tb = llround((double)na * ratio);
            if (tb < 1) tb = 1;
            if (tb > nb) tb = nb;
        }
        pick_front(cls, na, ta, &r);
        pick_front(rest, nb, tb, &r);
        memcpy(out, cls, (size_t)ta * sizeof *out);
        memcpy(out + ta, rest, (size_t)tb * sizeof *out);
        qsort(out, (size_t)(ta + tb), sizeof *out, lf_cmp_i64);
        *n_out = ta + tb;
    }
    free(cls);
    free(rest);
    return s;
}

lf_status lf_dataset_one_vs_rest(const lf_dataset *src, int32_t positive, const int64_t *idx,
                                 int64_t m, lf_dataset *dst)
{
    if (!src || !dst || !src->y)
        return lf_error(LF_EINVAL, "one-vs-rest: needs a labelled dataset");
    if (positive < 0 || positive >= src->n_classes)
        return lf_error(LF_EINVAL, "one-vs-rest: class %d is outside [0, %d) of dataset %s",
                        (int)positive, (int)src->n_classes, src->name);
    int64_t *all = NULL;
    if (!idx) {
        m = src->n;
        all = malloc((size_t)(m ? m : 1) * sizeof *all);
        if (!all) return lf_error(LF_ENOMEM, "one-vs-rest: out of memory for %lld rows", (long long)m);
        for (int64_t i = 0; i < m; i++) all[i] = i;
        idx = all;
    }
    lf_dataset out;
    lf_status s = lf_dataset_subset(src, idx, m, &out);
    free(all);
    if (s != LF_OK) return s;
    for (int64_t i = 0; i < m; i++) out.y[i] = out.y[i] == positive;
    out.n_classes = 2;
    snprintf(out.name, sizeof out.name, "%.100s:%d-vs-rest", src->name, (int)positive);
    *dst = out;
    return LF_OK;
}
