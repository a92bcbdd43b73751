/* Few-shot evaluation (src/learn/fewshot.c): the 95% confidence interval against NumPy (the
 * FSL-Loss authors' compute_confidence_interval), episode accuracy on embeddings whose answer is
 * known, held-out classes, seeds, spec parsing, and meta-training that beats the untrained net. */
#include "testutil.h"
#include "lossforge/retrieval.h"
#include "lossforge/fewshot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_ci_reference(void **state)
{
    (void)state;
    int64_t n, k;
    double *acc = tu_fixture_f64("fewshot_acc.npy", &n);
    double *ref = tu_fixture_f64("fewshot_ci.npy", &k);
    assert_int_equal(k, 3);
    double mean, sd, ci;
    lf_mean_ci95(acc, n, &mean, &sd, &ci);
    assert_true(fabs(mean - ref[0]) < 1e-12);
    assert_true(fabs(sd - ref[1]) < 1e-12);
    assert_true(fabs(ci - ref[2]) < 1e-12);
    lf_mean_ci95(acc, 1, &mean, &sd, &ci); /* one episode: no spread */
    assert_true(mean == acc[0] && sd == 0 && ci == 0);
    free(acc);
    free(ref);
}

static void test_parse(void **state)
{
    (void)state;
    int w, k, q;
    TU_OK(lf_episodic_parse("5way1shot", &w, &k, &q));
    assert_true(w == 5 && k == 1 && q == 15);
    TU_OK(lf_episodic_parse("20way5shot:q=3", &w, &k, &q));
    assert_true(w == 20 && k == 5 && q == 3);
    static const char *const bad[] = {"", "5way", "1way1shot", "5way0shot", "5way1shot:q=0",
                                      "5way1shot:q=2x", "5way1shotx", "way1shot", "5way1shot:k=3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        TU_ERR(lf_episodic_parse(bad[i], &w, &k, &q), LF_EINVAL, "NwayKshot");
}

enum { C = 6, PER = 30, N = C * PER, D = 6 };

/* A linear model y = x (identity weights, zero bias) in D dimensions. */
static lf_model *identity_model(void)
{
    lf_model *m;
    TU_OK(lf_model_create("mlp:hidden=", 1, (int64_t[]){D}, D, 1, &m));
    lf_params *p = lf_model_params(m);
    memset(p->data, 0, (size_t)p->size * sizeof *p->data);
    for (int i = 0; i < D; i++) p->t[0].data[i * D + i] = 1;
    return m;
}

/* Class c at 10 e_c plus noise of at most 0.5 (spread = 1), or every row at 0 (spread = 0). */
static void dataset(lf_dataset *ds, float *x, int32_t *y, float spread)
{
    tu_fill_uniform(x, N * D, -0.5f, 0.5f, 3);
    for (int i = 0; i < N; i++) {
        y[i] = i % C;
        for (int j = 0; j < D; j++) x[i * D + j] = spread * (x[i * D + j] + 10.0f * (j == y[i]));
    }
    *ds = (lf_dataset){.n = N, .d = D, .ndim = 1, .shape = {D}, .x = x, .y = y, .n_classes = C};
    snprintf(ds->name, sizeof ds->name, "clusters");
}

static void test_known_answers(void **state)
{
    (void)state;
    float x[N * D];
    int32_t y[N];
    lf_dataset ds;
    lf_model *m = identity_model();
    lf_fewshot_result r;
    double acc[50];
    dataset(&ds, x, y, 1);
    TU_OK(lf_fewshot_eval(m, NULL, &ds, NULL, 0, 5, 1, 15, 50, 1, &r, acc));
    assert_true(r.mean == 1 && r.sd == 0 && r.ci95 == 0 && r.episodes == 50);
    /* every row equal: every distance ties, the first prototype wins, 1/way of the queries */
    dataset(&ds, x, y, 0);
    TU_OK(lf_fewshot_eval(m, NULL, &ds, NULL, 0, 4, 2, 5, 50, 1, &r, acc));
    assert_true(fabs(r.mean - 0.25) < 1e-15 && r.sd == 0);
    for (int t = 0; t < 50; t++) assert_true(acc[t] == 0.25);
    lf_model_free(m);
}

static void test_classes_and_seeds(void **state)
{
    (void)state;
    float x[N * D];
    int32_t y[N];
    lf_dataset ds;
    dataset(&ds, x, y, 1);
    float noise[N * D];
    tu_fill_uniform(noise, N * D, -8, 8, 4); /* overlapping classes: some queries miss */
    for (int i = 0; i < N * D; i++) x[i] += noise[i];
    lf_model *m = identity_model();
    const int32_t held_out[3] = {3, 4, 5};
    lf_fewshot_result a, b, c;
    double ea[40], eb[40], ec[40];
    TU_OK(lf_fewshot_eval(m, NULL, &ds, held_out, 3, 3, 1, 5, 40, 7, &a, ea));
    TU_OK(lf_fewshot_eval(m, NULL, &ds, held_out, 3, 3, 1, 5, 40, 7, &b, eb));
    TU_OK(lf_fewshot_eval(m, NULL, &ds, held_out, 3, 3, 1, 5, 40, 8, &c, ec));
    assert_memory_equal(ea, eb, sizeof ea);
    assert_true(memcmp(ea, ec, sizeof ea) != 0);
    assert_true(a.mean > 1.0 / 3 && a.mean < 1);
    double mean, sd, ci;
    lf_mean_ci95(ea, 40, &mean, &sd, &ci);
    assert_true(a.mean == mean && a.sd == sd && a.ci95 == ci);
    TU_ERR(lf_fewshot_eval(m, NULL, &ds, held_out, 3, 4, 1, 5, 40, 7, &a, NULL), LF_EINVAL,
           "4-way episodes need 4 classes");
    TU_ERR(lf_fewshot_eval(m, NULL, &ds, NULL, 0, 5, 10, 25, 40, 7, &a, NULL), LF_EINVAL,
           "rows per class");
    TU_ERR(lf_fewshot_eval(m, NULL, &ds, NULL, 0, 1, 1, 5, 40, 7, &a, NULL), LF_EINVAL, "way >= 2");
    lf_model_free(m);
}

/* ProtoNet meta-training on classes 0-2, evaluated on 3-5: better than the untrained network
 * of the same seed. The class centres differ only in the first 2 features (which 3 training
 * classes span); the other 14 are loud noise, which the embedding should learn to ignore. */
static void test_meta_training(void **state)
{
    (void)state;
    enum { NB = 600, DB = 16 };
    float *x = malloc(NB * DB * sizeof *x), centre[C * DB];
    int32_t *y = malloc(NB * sizeof *y);
    tu_fill_uniform(centre, C * DB, -2.0f, 2.0f, 11);
    tu_fill_uniform(x, NB * DB, -1.0f, 1.0f, 12);
    for (int i = 0; i < NB; i++) {
        y[i] = i % C;
        for (int j = 0; j < DB; j++)
            x[i * DB + j] = j < 2 ? centre[y[i] * DB + j] + 0.5f * x[i * DB + j] : x[i * DB + j];
    }
    lf_dataset ds = {.n = NB, .d = DB, .ndim = 1, .shape = {DB}, .x = x, .y = y, .n_classes = C};
    const int32_t train_cls[3] = {0, 1, 2}, test_cls[3] = {3, 4, 5};
    lf_embed_opts o;
    lf_embed_opts_default(&o);
    o.model = "mlp:32";
    o.loss = "protonet";
    o.dim = 16;
    o.way = 3;
    o.shot = 1;
    o.query = 5;
    o.steps = 300;
    o.classes = train_cls;
    o.n_classes = 3;
    o.threads = 1;
    lf_model *m = NULL, *m0 = NULL;
    lf_norm norm = {0};
    TU_OK(lf_train_embedding(&o, &ds, NULL, &m, &norm));
    TU_OK(lf_model_create(o.model, 1, (int64_t[]){DB}, o.dim, o.seed, &m0));
    lf_fewshot_result trained, untrained;
    TU_OK(lf_fewshot_eval(m, &norm, &ds, test_cls, 3, 3, 1, 5, 300, 1, &trained, NULL));
    TU_OK(lf_fewshot_eval(m0, &norm, &ds, test_cls, 3, 3, 1, 5, 300, 1, &untrained, NULL));
    if (!(trained.mean > untrained.mean + 2 * (trained.ci95 + untrained.ci95)))
        fail_msg("held-out 3-way 1-shot: trained %.3f ± %.3f, untrained %.3f ± %.3f", trained.mean,
                 trained.ci95, untrained.mean, untrained.ci95);
    lf_model_free(m);
    lf_model_free(m0);
    lf_norm_release(&norm);
    free(x);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ci_reference),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_classes_and_seeds),
        cmocka_unit_test(test_meta_training),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
