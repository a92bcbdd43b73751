/* Stratified k-fold, class subsampling to an imbalance ratio, one-vs-rest copies. */
#include "testutil.h"
#include "lossforge/crossval.h"

#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Labels with uneven classes: 0 x 53, 1 x 31, 2 x 7, 3 x 2. */
static int32_t *uneven_labels(int64_t *n)
{
    static const int counts[4] = {53, 31, 7, 2};
    *n = 93;
    int32_t *y = malloc((size_t)*n * sizeof *y);
    int64_t i = 0;
    for (int c = 0; c < 4; c++)
        for (int j = 0; j < counts[c]; j++) y[i++] = c;
    lf_rng r;
    lf_rng_seed(&r, 5); /* interleave the classes */
    for (int64_t a = *n - 1; a > 0; a--) {
        int64_t b = (int64_t)lf_rng_below(&r, (uint64_t)a + 1);
        int32_t t = y[a];
        y[a] = y[b];
        y[b] = t;
    }
    return y;
}

static void test_stratified_kfold(void **state)
{
    (void)state;
    int64_t n;
    int32_t *y = uneven_labels(&n);
    const int64_t counts[4] = {53, 31, 7, 2};
    for (int k = 2; k <= 7; k++) {
        int32_t *fold = malloc((size_t)n * sizeof *fold);
        TU_OK(lf_stratified_kfold(y, n, k, 11, fold));
        int64_t per[7][4] = {{0}}, size[7] = {0};
        for (int64_t i = 0; i < n; i++) {
            assert_true(fold[i] >= 0 && fold[i] < k); /* every row in exactly one fold */
            per[fold[i]][y[i]]++;
            size[fold[i]]++;
        }
        for (int f = 0; f < k; f++) {
            for (int c = 0; c < 4; c++) /* stratified: floor or ceil of n_c / k */
                assert_true(per[f][c] == counts[c] / k || per[f][c] == (counts[c] + k - 1) / k);
            assert_true(size[f] == n / k || size[f] == n / k + 1);
        }
        /* Train and test rows of each fold: disjoint, increasing, covering all rows. */
        int64_t *tr = malloc((size_t)n * sizeof *tr), *te = malloc((size_t)n * sizeof *te);
        int64_t seen = 0;
        for (int f = 0; f < k; f++) {
            int64_t ntr, nte;
            lf_fold_rows(fold, n, f, tr, &ntr, te, &nte);
            assert_int_equal(ntr + nte, n);
            assert_int_equal(nte, size[f]);
            for (int64_t i = 1; i < nte; i++) assert_true(te[i] > te[i - 1]);
            for (int64_t i = 1; i < ntr; i++) assert_true(tr[i] > tr[i - 1]);
            for (int64_t i = 0; i < nte; i++) assert_int_equal(fold[te[i]], f);
            for (int64_t i = 0; i < ntr; i++) assert_true(fold[tr[i]] != f);
            seen += nte;
        }
        assert_int_equal(seen, n);
        free(tr);
        free(te);
        free(fold);
    }
    /* Seeded: same seed, same folds; another seed, other folds. */
    int32_t *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b);
    TU_OK(lf_stratified_kfold(y, n, 5, 3, a));
    TU_OK(lf_stratified_kfold(y, n, 5, 3, b));
    assert_memory_equal(a, b, (size_t)n * sizeof *a);
    TU_OK(lf_stratified_kfold(y, n, 5, 4, b));
    assert_memory_not_equal(a, b, (size_t)n * sizeof *a);
    TU_ERR(lf_stratified_kfold(y, n, 1, 3, a), LF_EINVAL, "k = 1");
    TU_ERR(lf_stratified_kfold(y, 3, 5, 3, a), LF_EINVAL, "2 <= k <= n");
    y[4] = -2;
    TU_ERR(lf_stratified_kfold(y, n, 5, 3, a), LF_EINVAL, "label -2 at row 4");
    free(a);
    free(b);
    free(y);
}

static void count_kept(const int32_t *y, const int64_t *out, int64_t m, int32_t cls,
                       int64_t *nc, int64_t *no)
{
    *nc = *no = 0;
    for (int64_t i = 0; i < m; i++) {
        if (i) assert_true(out[i] > out[i - 1]);
        if (y[out[i]] == cls) ++*nc;
        else ++*no;
    }
}

static void test_subsample_ratio(void **state)
{
    (void)state;
    int64_t n, m, nc, no;
    int32_t *y = uneven_labels(&n);
    int64_t *out = malloc((size_t)n * sizeof *out);
    /* Class 1 (31 rows) against the other 62 at 1:20: keeps round(62/20) = 3 of class 1. */
    TU_OK(lf_subsample_ratio(y, NULL, n, 1, 20, 9, out, &m));
    count_kept(y, out, m, 1, &nc, &no);
    assert_int_equal(nc, 3);
    assert_int_equal(no, 62);
    /* Class 3 (2 rows) at 1:5 is already rarer: keep both, thin the others to 10. */
    TU_OK(lf_subsample_ratio(y, NULL, n, 3, 5, 9, out, &m));
    count_kept(y, out, m, 3, &nc, &no);
    assert_int_equal(nc, 2);
    assert_int_equal(no, 10);
    /* On a subset of rows (the even ones). */
    int64_t rows[47];
    for (int i = 0; i < 47; i++) rows[i] = 2 * i;
    int64_t na = 0;
    for (int i = 0; i < 47; i++) na += y[rows[i]] == 0;
    TU_OK(lf_subsample_ratio(y, rows, 47, 0, 2, 9, out, &m));
    count_kept(y, out, m, 0, &nc, &no);
    assert_int_equal(no, 47 - na);
    assert_int_equal(nc, llround((double)(47 - na) / 2));
    for (int64_t i = 0; i < m; i++) assert_true(out[i] % 2 == 0);
    /* Seeded. */
    int64_t *out2 = malloc((size_t)n * sizeof *out2), m2;
    TU_OK(lf_subsample_ratio(y, NULL, n, 0, 4, 21, out, &m));
    TU_OK(lf_subsample_ratio(y, NULL, n, 0, 4, 21, out2, &m2));
    assert_int_equal(m, m2);
    assert_memory_equal(out, out2, (size_t)m * sizeof *out);
    TU_ERR(lf_subsample_ratio(y, NULL, n, 7, 4, 21, out, &m), LF_EINVAL, "class 7 has 0");
    TU_ERR(lf_subsample_ratio(y, NULL, n, 0, 0, 21, out, &m), LF_EINVAL, "ratio");
    free(out);
    free(out2);
    free(y);
}

static void test_one_vs_rest(void **state)
{
    (void)state;
    lf_dataset ds = {.n = 5, .d = 2, .ndim = 1, .shape = {2}, .n_classes = 3};
    float x[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    int32_t y[5] = {0, 2, 1, 2, 0};
    ds.x = x;
    ds.y = y;
    snprintf(ds.name, sizeof ds.name, "toy");
    lf_dataset b;
    TU_OK(lf_dataset_one_vs_rest(&ds, 2, NULL, 0, &b));
    assert_int_equal(b.n, 5);
    assert_int_equal(b.n_classes, 2);
    const int32_t want[5] = {0, 1, 0, 1, 0};
    assert_memory_equal(b.y, want, sizeof want);
    assert_memory_equal(b.x, x, sizeof x);
    assert_non_null(strstr(b.name, "2-vs-rest"));
    lf_dataset_release(&b);
    const int64_t idx[2] = {3, 2};
    TU_OK(lf_dataset_one_vs_rest(&ds, 1, idx, 2, &b));
    assert_int_equal(b.n, 2);
    assert_true(b.y[0] == 0 && b.y[1] == 1 && b.x[0] == 6 && b.x[2] == 4);
    lf_dataset_release(&b);
    TU_ERR(lf_dataset_one_vs_rest(&ds, 3, NULL, 0, &b), LF_EINVAL, "class 3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stratified_kfold),
        cmocka_unit_test(test_subsample_ratio),
        cmocka_unit_test(test_one_vs_rest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
