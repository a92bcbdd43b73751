/* Library hygiene: no hidden shared state. Two threads training two different runs at once end
 * with exactly the parameters and stats the same runs give one after the other, and each
 * thread's error message is its own. */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ROWS = 1200, FEATURES = 48, CLASSES = 4 };

/* Four classes, each lifting its own quarter of the features. */
static void dataset(lf_dataset *ds, uint64_t seed)
{
    memset(ds, 0, sizeof *ds);
    ds->n = ROWS;
    ds->d = FEATURES;
    ds->ndim = 1;
    ds->shape[0] = FEATURES;
    ds->n_classes = CLASSES;
    ds->x = malloc((size_t)ROWS * FEATURES * sizeof(float));
    ds->y = malloc((size_t)ROWS * sizeof(int32_t));
    lf_rng r;
    lf_rng_seed(&r, seed);
    for (int i = 0; i < ROWS; i++) {
        int c = (int)lf_rng_below(&r, CLASSES);
        ds->y[i] = c;
        for (int j = 0; j < FEATURES; j++)
            ds->x[i * FEATURES + j] = (float)lf_rng_normal(&r) + (j / (FEATURES / CLASSES) == c);
    }
}

typedef struct job {
    lf_train_opts o;
    const lf_dataset *train, *test;
    lf_status s;
    lf_train_result r;
    lf_model *m;
    char error[256]; /* this thread's lf_last_error() after a deliberate failure */
} job;

static void *run(void *arg)
{
    job *j = arg;
    j->s = lf_train(&j->o, j->train, j->test, &j->r, &j->m);
    lf_model *none;
    lf_model_create(j->o.optim[0] == 'a' ? "nosuchmodel-a" : "nosuchmodel-l", 1,
                    (const int64_t[]){4}, 2, 1, &none);
    snprintf(j->error, sizeof j->error, "%s", lf_last_error());
    return NULL;
}

static void setup(job *j, const char *model, const char *optim, uint64_t seed,
                  const lf_dataset *train, const lf_dataset *test)
{
    memset(j, 0, sizeof *j);
    lf_train_opts_default(&j->o);
    j->o.model = model;
    j->o.optim = optim;
    j->o.schedule = "cosine";
    j->o.epochs = 3;
    j->o.batch = 64;
    j->o.seed = seed;
    j->o.threads = 2;
    j->o.val_split = 0.1;
    j->train = train;
    j->test = test;
}

static void same_run(const job *a, const job *b)
{
    TU_OK(a->s);
    TU_OK(b->s);
    lf_params *pa = lf_model_params(a->m), *pb = lf_model_params(b->m);
    assert_int_equal(pa->size, pb->size);
    if (memcmp(pa->data, pb->data, (size_t)pa->size * sizeof(float)) != 0)
        fail_msg("%s / %s: parameters differ between the sequential and the concurrent run",
                 a->o.model, a->o.optim);
    assert_memory_equal(&a->r.last.train_loss, &b->r.last.train_loss, sizeof(double));
    assert_memory_equal(&a->r.test_acc, &b->r.test_acc, sizeof(double));
}

static void concurrent_equals_sequential(void **state)
{
    (void)state;
    lf_dataset tr, te;
    dataset(&tr, 1);
    dataset(&te, 2);
    const char *models[2] = {"mlp:128,64,dropout=0.1", "mlp:96"};
    const char *optims[2] = {"adamw:lr=3e-3", "lion:lr=3e-4,wd=0.1"};
    job seq[2], par[2];
    for (int k = 0; k < 2; k++) {
        setup(&seq[k], models[k], optims[k], 7 + (uint64_t)k, &tr, &te);
        run(&seq[k]);
        setup(&par[k], models[k], optims[k], 7 + (uint64_t)k, &tr, &te);
    }
    pthread_t t[2];
    for (int k = 0; k < 2; k++) assert_int_equal(pthread_create(&t[k], NULL, run, &par[k]), 0);
    for (int k = 0; k < 2; k++) assert_int_equal(pthread_join(t[k], NULL), 0);
    for (int k = 0; k < 2; k++) {
        same_run(&seq[k], &par[k]);
        const char *own = k == 0 ? "nosuchmodel-a" : "nosuchmodel-l";
        if (!strstr(par[k].error, own))
            fail_msg("thread %d sees another's error: %s", k, par[k].error);
        lf_model_free(seq[k].m);
        lf_model_free(par[k].m);
    }
    lf_dataset_release(&tr);
    lf_dataset_release(&te);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(concurrent_equals_sequential)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
