/* Training loop: learns a separable problem, is bit-reproducible, stops on a non-finite loss
 * keeping the last good model file, and rejects bad options. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static lf_train_opts opts(const char *optim, const char *out)
{
    lf_train_opts o;
    lf_train_opts_default(&o);
    o.model = "mlp:16";
    o.optim = optim;
    o.epochs = 4;
    o.batch = 32;
    o.seed = 3;
    o.val_split = 0.2;
    o.out_dir = out;
    return o;
}

static void learns_and_reproduces(void **state)
{
    (void)state;
    lf_dataset tr, te;
    tu_blobs(&tr, 600, 1);
    tu_blobs(&te, 300, 2);
    const char *optims[3] = {"adamw:lr=1e-2", "lion:lr=1e-2", "sgd:lr=0.1,momentum=0.9"};
    for (int k = 0; k < 3; k++) {
        lf_train_opts o = opts(optims[k], NULL);
        lf_train_result r1, r2;
        lf_model *m1, *m2;
        TU_OK(lf_train(&o, &tr, &te, &r1, &m1));
        TU_OK(lf_train(&o, &tr, &te, &r2, &m2));
        if (r1.test_acc < 0.9) fail_msg("%s: test accuracy %.3f < 0.9", optims[k], r1.test_acc);
        assert_true(r1.last.val_acc > 0.85);
        lf_params *a = lf_model_params(m1), *b = lf_model_params(m2);
        assert_memory_equal(a->data, b->data, (size_t)a->size * sizeof(float));
        lf_model_free(m1);
        lf_model_free(m2);
    }
    lf_dataset_release(&tr);
    lf_dataset_release(&te);
}

static void writes_outputs(void **state)
{
    (void)state;
    lf_dataset tr, te = {0};
    tu_blobs(&tr, 200, 4);
    char dir[1024], path[1100];
    snprintf(dir, sizeof dir, "%s/run", tu_tmpdir());
    lf_train_opts o = opts("adamw:lr=1e-2", dir);
    lf_train_result r;
    TU_OK(lf_train(&o, &tr, &te, &r, NULL));
    const char *files[4] = {"metrics.jsonl", "model.safetensors", "curves.svg", "result.json"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        FILE *f = fopen(path, "rb");
        if (!f) fail_msg("missing %s", path);
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    FILE *f = fopen(path, "r");
    char line[512];
    int lines = 0;
    while (fgets(line, sizeof line, f)) lines += strstr(line, "\"train_loss\"") != NULL;
    fclose(f);
    assert_int_equal(lines, 4);
    lf_dataset_release(&tr);
}

static void stops_on_nonfinite_loss(void **state)
{
    (void)state;
    lf_dataset tr, te = {0};
    tu_blobs(&tr, 400, 5);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/nan", tu_tmpdir());
    lf_train_opts o = opts("sgd:lr=1e30", dir);
    o.epochs = 6;
    TU_ERR(lf_train(&o, &tr, &te, NULL, NULL), LF_ENUMERIC, "step");
    lf_dataset_release(&tr);
}

static void rejects_bad_options(void **state)
{
    (void)state;
    lf_dataset tr, te = {0};
    tu_blobs(&tr, 50, 6);
    lf_train_opts o = opts("adamw", NULL);
    o.epochs = 0;
    TU_ERR(lf_train(&o, &tr, &te, NULL, NULL), LF_EINVAL, "--epochs");
    o = opts("adamw", NULL);
    o.val_split = 1.5;
    TU_ERR(lf_train(&o, &tr, &te, NULL, NULL), LF_EINVAL, "--val-split");
    o = opts("adamw:lr=-1", NULL);
    TU_ERR(lf_train(&o, &tr, &te, NULL, NULL), LF_EINVAL, "lr");
    tr.y[7] = 9;
    o = opts("adamw", NULL);
    TU_ERR(lf_train(&o, &tr, &te, NULL, NULL), LF_EINVAL, "row 7");
    tr.y[7] = 0;
    tr.x[13] = NAN;
    TU_ERR(lf_train(&o, &tr, &te, NULL, NULL), LF_ENUMERIC, "row 3");
    o.out_dir = "/proc/no/such/dir";
    tr.x[13] = 0;
    TU_ERR(lf_train(&o, &tr, &te, NULL, NULL), LF_EIO, "/proc/no/such/dir");
    /* One class among the training rows: refused (issue 10 item 4); one other label is enough. */
    o.out_dir = NULL;
    o.val_split = 0;
    for (int64_t i = 0; i < tr.n; i++) tr.y[i] = 2;
    TU_ERR(lf_train(&o, &tr, &te, NULL, NULL), LF_EINVAL, "hold a single class");
    tr.y[tr.n - 1] = 0;
    TU_OK(lf_train(&o, &tr, &te, NULL, NULL));
    lf_dataset_release(&tr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(learns_and_reproduces),
        cmocka_unit_test(writes_outputs),
        cmocka_unit_test(stops_on_nonfinite_loss),
        cmocka_unit_test(rejects_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
