/* Retrieval evaluation: Recall@K and mAP@R against NumPy (tests/gen_fixtures_metric.py), NMI
 * against NumPy's transcription of scikit-learn, the blocked nearest-neighbour search against
 * brute force, k-means on separated blobs, and errors. */
#include "testutil.h"
#include "lossforge/retrieval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_recall_map_reference(void **state)
{
    (void)state;
    int64_t nx, ny, nm;
    float *x = tu_fixture_f32("retr_x.npy", &nx);
    int32_t *y = tu_fixture_i32("retr_y.npy", &ny);
    double *want = tu_fixture_f64("retr_metrics.npy", &nm);
    assert_int_equal(nm, 10);
    const lf_metric metrics[2] = {LF_METRIC_COSINE, LF_METRIC_EUCLIDEAN};
    for (int m = 0; m < 2; m++) {
        lf_retrieval r;
        TU_OK(lf_retrieval_eval(x, y, ny, nx / ny, metrics[m], 0, 1, &r));
        for (int k = 0; k < 4; k++)
            if (fabs(r.recall[k] - want[m * 5 + k]) > 1e-12)
                fail_msg("metric %d: Recall@%d %.6f, NumPy %.6f", m, lf_recall_k[k], r.recall[k],
                         want[m * 5 + k]);
        if (fabs(r.map_at_r - want[m * 5 + 4]) > 1e-9)
            fail_msg("metric %d: mAP@R %.9f, NumPy %.9f", m, r.map_at_r, want[m * 5 + 4]);
        assert_true(isnan(r.nmi));
    }
    free(x);
    free(y);
    free(want);
}

static void test_nmi(void **state)
{
    (void)state;
    int64_t n, nb;
    int32_t *a = tu_fixture_i32("retr_nmi_a.npy", &n);
    int32_t *b = tu_fixture_i32("retr_nmi_b.npy", &nb);
    double *want = tu_fixture_f64("retr_nmi.npy", NULL);
    assert_true(fabs(lf_nmi(a, b, n) - want[0]) < 1e-12);
    assert_true(fabs(lf_nmi(b, a, n) - want[0]) < 1e-12);
    assert_true(fabs(lf_nmi(a, a, n) - 1) < 1e-12);
    /* renaming the clusters changes nothing */
    for (int64_t i = 0; i < n; i++) b[i] = 100 - 3 * b[i];
    assert_true(fabs(lf_nmi(a, b, n) - want[0]) < 1e-12);
    const int32_t one[4] = {2, 2, 2, 2}, two[4] = {0, 1, 0, 1};
    assert_true(lf_nmi(one, one, 4) == 1);  /* both a single cluster */
    assert_true(lf_nmi(one, two, 4) == 0);  /* no shared information */
    assert_true(isnan(lf_nmi(one, two, 0)));
    free(a);
    free(b);
    free(want);
}

/* ------------------------------------------------------------------ nearest neighbours */
typedef struct ref_pair {
    double key;
    int64_t idx;
} ref_pair;

/* a before b: nearer, then the smaller index */
static int ref_before(ref_pair a, ref_pair b)
{
    return a.key > b.key || (a.key == b.key && a.idx < b.idx);
}

/* Brute force in double: the k + 1 nearest keys of query q, nearest first, into top. */
static void brute_knn(const float *q, const float *keys, int64_t nk, int64_t d, int k,
                      lf_metric metric, int64_t self, ref_pair *top)
{
    int m = 0;
    double qn = 0;
    for (int64_t j = 0; j < d; j++) qn += (double)q[j] * q[j];
    for (int64_t c = 0; c < nk; c++) {
        if (c == self) continue;
        double dot = 0, kn = 0, sq = 0;
        for (int64_t j = 0; j < d; j++) {
            dot += (double)q[j] * keys[c * d + j];
            kn += (double)keys[c * d + j] * keys[c * d + j];
            double t = (double)q[j] - keys[c * d + j];
            sq += t * t;
        }
        ref_pair p = {metric == LF_METRIC_COSINE ? dot / sqrt(qn * kn) : -sq, c};
        if (m == k + 1 && !ref_before(p, top[k])) continue;
        int at = m < k + 1 ? m++ : k;
        while (at > 0 && ref_before(p, top[at - 1])) {
            top[at] = top[at - 1];
            at--;
        }
        top[at] = p;
    }
}

/* Several blocks of queries (5000 keys: blocks of 838) against brute force, cosine and
 * Euclidean, with the queries among the keys (own row skipped) and apart from them. Euclidean
 * distances come from the Gram matrix in float, so they are compared squared, to 1e-4. */
static void test_knn_blocked(void **state)
{
    (void)state;
    enum { NK = 5000, NQ = 2000, D = 8, K = 5 };
    float *keys = malloc((size_t)NK * D * sizeof *keys);
    float *apart = malloc((size_t)NQ * D * sizeof *apart);
    tu_fill_uniform(keys, (int64_t)NK * D, -1, 1, 21);
    tu_fill_uniform(apart, (int64_t)NQ * D, -1, 1, 22);
    int64_t *idx = malloc((size_t)NQ * K * sizeof *idx);
    float *score = malloc((size_t)NQ * K * sizeof *score);
    ref_pair want[K + 1];
    const lf_metric metrics[2] = {LF_METRIC_COSINE, LF_METRIC_EUCLIDEAN};
    const int64_t offsets[2] = {-1, 1000};
    for (int m = 0; m < 2; m++)
        for (int o = 0; o < 2; o++) {
            const int64_t off = offsets[o];
            const float *q = off >= 0 ? keys + off * D : apart;
            TU_OK(lf_knn(q, NQ, keys, NK, D, K, metrics[m], off, idx, score));
            for (int64_t i = 0; i < NQ; i++) {
                brute_knn(q + i * D, keys, NK, D, K, metrics[m], off >= 0 ? off + i : -1, want);
                for (int r = 0; r < K; r++) {
                    const int cos = metrics[m] == LF_METRIC_COSINE;
                    const double sc = score[i * K + r], got = cos ? sc : -sc * sc;
                    if (fabs(got - want[r].key) > (cos ? 1e-5 : 1e-4))
                        fail_msg("metric %d offset %lld query %lld rank %d: score %.8g, brute %.8g",
                                 m, (long long)off, (long long)i, r, got, want[r].key);
                    /* indices must agree unless two keys tie within float rounding */
                    int tie = fabs(want[r + 1].key - want[r].key) < 1e-4 ||
                              (r > 0 && fabs(want[r - 1].key - want[r].key) < 1e-4);
                    if (idx[i * K + r] != want[r].idx && !tie)
                        fail_msg("metric %d offset %lld query %lld rank %d: key %lld, brute %lld",
                                 m, (long long)off, (long long)i, r, (long long)idx[i * K + r],
                                 (long long)want[r].idx);
                    assert_true(off < 0 || idx[i * K + r] != off + i);
                }
            }
        }
    free(keys);
    free(apart);
    free(idx);
    free(score);
}

static void test_knn_errors(void **state)
{
    (void)state;
    float x[12] = {0};
    int64_t idx[12];
    TU_ERR(lf_knn(x, 4, x, 4, 3, 4, LF_METRIC_COSINE, 0, idx, NULL), LF_EINVAL,
           "3 keys are available");
    TU_ERR(lf_knn(x, 4, x, 4, 3, 1, LF_METRIC_COSINE, 2, idx, NULL), LF_EINVAL, "self_offset 2");
    TU_ERR(lf_knn(x, 4, x, 4, 3, 0, LF_METRIC_EUCLIDEAN, -1, idx, NULL), LF_EINVAL, "k = 0");
    TU_ERR(lf_knn(NULL, 4, x, 4, 3, 1, LF_METRIC_EUCLIDEAN, -1, idx, NULL), LF_EINVAL, "NULL");
    /* a duplicate of the query still counts as a neighbour: only its own index is skipped */
    float dup[6] = {1, 2, 1, 2, -3, 1};
    float sc[6]; /* 3 queries x k = 2 */
    TU_OK(lf_knn(dup, 3, dup, 3, 2, 2, LF_METRIC_EUCLIDEAN, 0, idx, sc));
    assert_int_equal(idx[0], 1);
    assert_true(sc[0] == 0);
    assert_int_equal(idx[2], 0);
}

/* ------------------------------------------------------------------ k-means */
static void test_kmeans_blobs(void **state)
{
    (void)state;
    enum { N = 300, D = 5, C = 4 };
    float x[N * D], noise[N * D], cent[C * D];
    int32_t y[N], a[N], b[N];
    tu_fill_uniform(noise, N * D, -0.5f, 0.5f, 31);
    for (int i = 0; i < N; i++) {
        y[i] = (i * 7) % C;
        for (int j = 0; j < D; j++) x[i * D + j] = 10.0f * (float)(j == y[i]) + noise[i * D + j];
    }
    TU_OK(lf_kmeans(x, N, D, C, 100, 3, a, cent));
    assert_true(fabs(lf_nmi(a, y, N) - 1) < 1e-12);
    /* each centre sits at its blob's mean */
    for (int c = 0; c < C; c++) {
        int32_t cls = -1;
        for (int i = 0; i < N && cls < 0; i++)
            if (a[i] == c) cls = y[i];
        for (int j = 0; j < D; j++) assert_true(fabs(cent[c * D + j] - 10.0f * (j == cls)) < 0.2);
    }
    TU_OK(lf_kmeans(x, N, D, C, 100, 3, b, NULL));
    assert_memory_equal(a, b, sizeof a); /* seeded */
    lf_retrieval r;
    TU_OK(lf_retrieval_eval(x, y, N, D, LF_METRIC_EUCLIDEAN, 1, 5, &r));
    assert_true(fabs(r.nmi - 1) < 1e-12);
    for (int k = 0; k < 4; k++) assert_true(r.recall[k] == 1);
    assert_true(r.map_at_r == 1);
    /* more clusters than points, and a point set with fewer distinct points than clusters */
    TU_ERR(lf_kmeans(x, 3, D, 4, 10, 1, a, NULL), LF_EINVAL, "k = 4");
    float same[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    TU_OK(lf_kmeans(same, 4, 2, 2, 10, 1, a, NULL));
    assert_true(a[0] != a[1] || a[0] != a[2] || a[0] != a[3]); /* the empty cluster got a point */
}

/* lf_embed_rows equals a forward pass of the model, rows in the given order, any batch size. */
static void test_embed_rows(void **state)
{
    (void)state;
    enum { N = 10, D = 6, E = 3 };
    lf_dataset ds = {.n = N, .d = D, .ndim = 1, .shape = {D}, .n_classes = 2};
    float x[N * D];
    tu_fill_uniform(x, N * D, -1, 1, 41);
    ds.x = x;
    lf_model *m = NULL;
    TU_OK(lf_model_create("mlp:8", 1, (int64_t[]){D}, E, 1, &m));
    const int64_t rows[4] = {7, 2, 2, 9};
    float out[4 * E], all[N * E];
    TU_OK(lf_embed_rows(m, &ds, rows, 4, NULL, 3, out));
    TU_OK(lf_embed_rows(m, &ds, NULL, 0, NULL, 64, all));
    for (int r = 0; r < 4; r++)
        tu_assert_close(out + r * E, all + rows[r] * E, E, 1e-6, 1e-5, "embedding of a row");
    TU_ERR(lf_embed_rows(m, &ds, rows, 4, NULL, 0, out), LF_EINVAL, "batch");
    lf_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recall_map_reference), cmocka_unit_test(test_nmi),
        cmocka_unit_test(test_knn_blocked),          cmocka_unit_test(test_knn_errors),
        cmocka_unit_test(test_kmeans_blobs),         cmocka_unit_test(test_embed_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
