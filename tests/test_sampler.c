/* Class splits and samplers: P×K batches, N-way K-shot Q-query episodes, disjoint class
 * splits, seeded reproducibility, balance over many draws, errors. */
#include "testutil.h"
#include "lossforge/retrieval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { N = 200, C = 10 };

/* Labels dealt round-robin, class c up to 8 + 3c rows, until N rows: class 0 has 8. */
static void labels(int32_t *y)
{
    int64_t k = 0;
    for (int r = 0; k < N; r++)
        for (int c = 0; c < C && k < N; c++)
            if (r < 8 + 3 * c) y[k++] = c;
}

static lf_sampler *make(const int32_t *y, const int64_t *rows, int64_t nrows,
                        const int32_t *classes, int nc, uint64_t seed)
{
    lf_sampler *s = NULL;
    TU_OK(lf_sampler_create(y, N, rows, nrows, classes, nc, seed, &s));
    return s;
}

static void test_class_split(void **state)
{
    (void)state;
    int32_t a[C], b[C], a2[C], b2[C];
    TU_OK(lf_class_split(C, 4, 7, a, b));
    int seen[C] = {0};
    for (int i = 0; i < 4; i++) seen[a[i]]++;
    for (int i = 0; i < 6; i++) seen[b[i]]++;
    for (int c = 0; c < C; c++) assert_int_equal(seen[c], 1); /* disjoint, covering */
    for (int i = 1; i < 4; i++) assert_true(a[i - 1] < a[i]);
    for (int i = 1; i < 6; i++) assert_true(b[i - 1] < b[i]);
    TU_OK(lf_class_split(C, 4, 7, a2, b2));
    assert_memory_equal(a, a2, sizeof(int32_t) * 4);
    int differs = 0;
    for (uint64_t seed = 8; seed < 12 && !differs; seed++) {
        TU_OK(lf_class_split(C, 4, seed, a2, NULL));
        differs = memcmp(a, a2, sizeof(int32_t) * 4) != 0;
    }
    assert_true(differs);
    TU_ERR(lf_class_split(C, 11, 1, a, b), LF_EINVAL, "11 of 10 classes");
}

static void test_rows_of_classes(void **state)
{
    (void)state;
    int32_t y[N];
    labels(y);
    const int32_t cls[3] = {4, 2, 4};
    int64_t *rows, m;
    TU_OK(lf_rows_of_classes(y, N, cls, 3, &rows, &m));
    assert_int_equal(m, (8 + 3 * 2) + (8 + 3 * 4));
    for (int64_t i = 0; i < m; i++) {
        assert_true(y[rows[i]] == 2 || y[rows[i]] == 4);
        if (i) assert_true(rows[i - 1] < rows[i]);
    }
    free(rows);
}

static void test_pk(void **state)
{
    (void)state;
    int32_t y[N];
    labels(y);
    const int32_t subset[5] = {0, 3, 4, 8, 9};
    lf_sampler *s = make(y, NULL, 0, subset, 5, 3), *t = make(y, NULL, 0, subset, 5, 3);
    assert_int_equal(lf_sampler_classes(s), 5);
    assert_int_equal(lf_sampler_min_class_rows(s), 8);
    enum { P = 4, K = 9, DRAWS = 2000 };
    int64_t rows[P * K], rows2[P * K];
    int64_t count[C] = {0};
    for (int it = 0; it < DRAWS; it++) {
        TU_OK(lf_sampler_pk(s, P, K, rows));
        TU_OK(lf_sampler_pk(t, P, K, rows2));
        assert_memory_equal(rows, rows2, sizeof rows); /* seeded */
        int used[C] = {0};
        for (int p = 0; p < P; p++) {
            const int32_t c = y[rows[p * K]];
            assert_true(c == 0 || c == 3 || c == 4 || c == 8 || c == 9);
            assert_int_equal(used[c]++, 0); /* distinct classes */
            count[c]++;
            for (int k = 0; k < K; k++) {
                assert_int_equal(y[rows[p * K + k]], c);
                /* without replacement unless the class is smaller than K (class 0: 8 rows) */
                for (int j = 0; j < k && c != 0; j++)
                    assert_true(rows[p * K + j] != rows[p * K + k]);
            }
        }
    }
    /* every class drawn P/5 of the time: 1600 expected each, sd ~18 */
    for (int i = 0; i < 5; i++)
        assert_true(fabs((double)count[subset[i]] - DRAWS * P / 5.0) < 120);
    TU_ERR(lf_sampler_pk(s, 6, 2, rows), LF_EINVAL, "<= 5 classes");
    lf_sampler_free(s);
    lf_sampler_free(t);
    lf_sampler_free(NULL);
}

static void test_episode(void **state)
{
    (void)state;
    int32_t y[N];
    labels(y);
    /* rows restricted to the first half of the dataset; classes: all present there */
    int64_t half[N / 2];
    for (int i = 0; i < N / 2; i++) half[i] = i;
    lf_sampler *s = make(y, half, N / 2, NULL, 0, 11);
    assert_int_equal(lf_sampler_classes(s), C);
    enum { W = 5, S = 2, Q = 3, B = W * (S + Q) };
    int64_t rows[B];
    int32_t lab[B], grp[B];
    for (int it = 0; it < 200; it++) {
        TU_OK(lf_sampler_episode(s, W, S, Q, rows, lab, grp));
        int32_t cls_of[W];
        for (int i = 0; i < B; i++) {
            assert_true(rows[i] < N / 2);
            const int support = i < W * S;
            assert_int_equal(grp[i], support ? LF_EPISODE_SUPPORT : LF_EPISODE_QUERY);
            const int w = support ? i / S : (i - W * S) / Q;
            assert_int_equal(lab[i], w);
            if (i % (support ? S : Q) == 0 && support) cls_of[w] = y[rows[i]];
            assert_int_equal(y[rows[i]], cls_of[w]);
            for (int j = 0; j < i; j++) assert_true(rows[j] != rows[i]); /* distinct rows */
        }
        for (int a = 0; a < W; a++)
            for (int b = 0; b < a; b++) assert_true(cls_of[a] != cls_of[b]);
    }
    /* class 0 has 8 rows among the first 100 */
    TU_ERR(lf_sampler_episode(s, 2, 5, 4, rows, NULL, NULL), LF_EINVAL, "smallest class has 8");
    TU_ERR(lf_sampler_episode(s, 11, 1, 1, rows, NULL, NULL), LF_EINVAL, "way <= 10");
    lf_sampler_free(s);
}

static void test_sampler_errors(void **state)
{
    (void)state;
    int32_t y[N];
    labels(y);
    lf_sampler *s = NULL;
    const int32_t missing[2] = {1, 42};
    TU_ERR(lf_sampler_create(y, N, NULL, 0, missing, 2, 1, &s), LF_EINVAL, "class 42 has no rows");
    const int64_t bad[2] = {3, N};
    TU_ERR(lf_sampler_create(y, N, bad, 2, NULL, 0, 1, &s), LF_EINVAL, "row 200 (item 1)");
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_class_split), cmocka_unit_test(test_rows_of_classes),
        cmocka_unit_test(test_pk),          cmocka_unit_test(test_episode),
        cmocka_unit_test(test_sampler_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
