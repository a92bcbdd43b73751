/* The binary-score training loop the binary-loss experiments use (src/repro/binfit.c): a
 * separable toy problem learnt by every binary loss (and MSE on sigmoid). */
#include "testutil.h"

#include "repro/binfit.h"

#include <math.h>
#include <stdlib.h>

/* Two Gaussian blobs at ±2 on the first of 3 features: every loss separates them. */
static void test_binfit_learns(void **state)
{
    (void)state;
    enum { N = 200, D = 3 };
    lf_dataset ds = {.n = N, .d = D, .ndim = 1, .shape = {D}, .n_classes = 2};
    ds.x = malloc(N * D * sizeof *ds.x);
    ds.y = malloc(N * sizeof *ds.y);
    lf_rng r;
    lf_rng_seed(&r, 4);
    for (int i = 0; i < N; i++) {
        ds.y[i] = i % 4 == 0; /* 1:3 imbalance */
        for (int j = 0; j < D; j++) ds.x[i * D + j] = (float)lf_rng_normal(&r);
        ds.x[i * D] += ds.y[i] ? 2.5f : -2.5f;
    }
    int64_t tr[150], te[50];
    for (int i = 0; i < 150; i++) tr[i] = i;
    for (int i = 0; i < 50; i++) te[i] = 150 + i;
    const char *losses[] = {"bce", "hinge", "sqhinge", "exp", "focal", "ensloss",
                            "anyloss:metric=f1", "anyloss:metric=mcc,L=10", "mse"};
    lf_binmetrics per[20];
    for (size_t k = 0; k < sizeof losses / sizeof losses[0]; k++) {
        lf_binfit o = {"mlp:8", losses[k], "adamw:lr=1e-2", 20, 32, 3};
        lf_binmetrics m;
        TU_OK(lf_binfit_run(&o, &ds, tr, 150, te, 50, &m, per));
        if (m.acc < 0.95 || m.auc < 0.97)
            fail_msg("%s: test accuracy %.3f, AUC %.3f", losses[k], m.acc, m.auc);
        assert_true(per[19].acc == m.acc);
    }
    lf_binfit bad = {"mlp:8", "ce", "adamw", 2, 32, 3};
    lf_binmetrics m;
    TU_ERR(lf_binfit_run(&bad, &ds, tr, 150, te, 50, &m, NULL), LF_EINVAL, "label");
    free(ds.x);
    free(ds.y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binfit_learns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
