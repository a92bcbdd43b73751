/* Embedding training (lf_train_embedding): P×K batches with a miner and episodes both learn on
 * a synthetic set (loss falls, retrieval improves on held-out rows), the outputs, errors. */
#include "testutil.h"
#include "lossforge/retrieval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N = 600, D = 16, C = 6 };

/* Class c: a random centre of norm ~1.5 plus unit noise in 16 dimensions. */
static void blobs(lf_dataset *ds, float *x, int32_t *y)
{
    float centre[C * D], noise[N * D];
    tu_fill_uniform(centre, C * D, -0.6f, 0.6f, 51);
    tu_fill_uniform(noise, N * D, -1.7f, 1.7f, 52);
    for (int i = 0; i < N; i++) {
        y[i] = i % C;
        for (int j = 0; j < D; j++) x[i * D + j] = centre[y[i] * D + j] + noise[i * D + j];
    }
    *ds = (lf_dataset){.n = N, .d = D, .ndim = 1, .shape = {D}, .x = x, .y = y, .n_classes = C};
    snprintf(ds->name, sizeof ds->name, "blobs");
}

/* Recall@1 of a model's embeddings over rows [N/2, N) of classes 0..2 (not trained on). */
static double recall1(lf_model *m, const lf_dataset *ds, const lf_norm *norm)
{
    int64_t rows[N / 2];
    int32_t y[N / 2];
    int64_t n = 0;
    for (int64_t i = N / 2; i < N; i++)
        if (ds->y[i] < 3) {
            y[n] = ds->y[i];
            rows[n++] = i;
        }
    float *e = malloc((size_t)(n * lf_model_n_out(m)) * sizeof *e);
    TU_OK(lf_embed_rows(m, ds, rows, n, norm, 64, e));
    lf_retrieval r;
    TU_OK(lf_retrieval_eval(e, y, n, lf_model_n_out(m), LF_METRIC_COSINE, 0, 1, &r));
    free(e);
    return r.recall[0];
}

static void train_and_check(lf_embed_opts *o, const lf_dataset *ds)
{
    lf_embed_result r;
    lf_model *m = NULL;
    lf_norm norm = {0};
    TU_OK(lf_train_embedding(o, ds, &r, &m, &norm));
    /* the ms loss has a floor (its positive term stays > 0 at S = 1) */
    if (!(r.last_loss < 0.9 * r.first_loss))
        fail_msg("%s: loss %.4f -> %.4f", o->loss, r.first_loss, r.last_loss);
    assert_true(o->miner ? r.mined_pairs > 0 : isnan(r.mined_pairs));
    /* the untrained model of the same seed, for comparison */
    lf_model *m0 = NULL;
    TU_OK(lf_model_create(o->model, 1, (int64_t[]){D}, o->dim, o->seed, &m0));
    double before = recall1(m0, ds, &norm), after = recall1(m, ds, &norm);
    if (!(after > before + 0.05))
        fail_msg("%s: Recall@1 %.3f untrained, %.3f trained", o->loss, before, after);
    lf_model_free(m);
    lf_model_free(m0);
    lf_norm_release(&norm);
}

/* Options shared by the runs: a small MLP, 8-d embeddings, 200 steps on classes 0..2. */
static void small_opts(lf_embed_opts *o)
{
    static const int32_t cls[3] = {0, 1, 2};
    lf_embed_opts_default(o);
    o->model = "mlp:32";
    o->dim = 8;
    o->steps = 200;
    o->classes = cls;
    o->n_classes = 3;
}

/* Trains on the first half of the rows (classes 0..2), as rows of their own dataset. */
static void train_half(lf_embed_opts *o)
{
    float x[N * D];
    int32_t y[N];
    lf_dataset ds;
    blobs(&ds, x, y);
    lf_dataset half = ds;
    half.n = N / 2;
    train_and_check(o, &half);
}

static void test_pk_with_miner(void **state)
{
    (void)state;
    lf_embed_opts o;
    small_opts(&o);
    o.loss = "ms:alpha=2,beta=20,lambda=0.5";
    o.miner = "ms-miner:eps=0.1";
    o.p = 3;
    o.k = 8;
    o.out_dir = tu_tmpdir();
    train_half(&o);
    char path[1024];
    snprintf(path, sizeof path, "%s/model.safetensors", tu_tmpdir());
    lf_model *m = NULL;
    lf_norm norm = {0};
    TU_OK(lf_model_load(path, &m, &norm));
    assert_int_equal(lf_model_n_out(m), 8);
    lf_model_free(m);
    lf_norm_release(&norm);
}

static void test_episodes(void **state)
{
    (void)state;
    lf_embed_opts o;
    small_opts(&o);
    o.loss = "proto-triplet:ce=1";
    o.way = 3;
    o.shot = 3;
    o.query = 4;
    train_half(&o);
}

static void test_errors(void **state)
{
    (void)state;
    float x[N * D];
    int32_t y[N];
    lf_dataset ds;
    blobs(&ds, x, y);
    lf_embed_opts o;
    lf_embed_opts_default(&o);
    o.k = 1;
    TU_ERR(lf_train_embedding(&o, &ds, NULL, NULL, NULL), LF_EINVAL, "K >= 2");
    lf_embed_opts_default(&o);
    o.way = 5;
    TU_ERR(lf_train_embedding(&o, &ds, NULL, NULL, NULL), LF_EINVAL, "shot >= 1");
    lf_embed_opts_default(&o);
    o.p = 7;
    TU_ERR(lf_train_embedding(&o, &ds, NULL, NULL, NULL), LF_EINVAL, "P×K batch 7×4");
    lf_embed_opts_default(&o);
    o.miner = "nope";
    TU_ERR(lf_train_embedding(&o, &ds, NULL, NULL, NULL), LF_ENOTFOUND, "unknown miner");
    lf_embed_opts_default(&o);
    o.loss = "protonet"; /* P×K batches have no query rows */
    o.p = 3;
    TU_ERR(lf_train_embedding(&o, &ds, NULL, NULL, NULL), LF_EINVAL, "no query rows");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pk_with_miner),
        cmocka_unit_test(test_episodes),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
