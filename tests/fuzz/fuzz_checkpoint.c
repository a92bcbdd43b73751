/* Checkpoint reader: the input is a checkpoint of one fixed tiny run (seeds are real ones, made
 * by `fuzz_checkpoint_seed DIR`); lf_checkpoint_read_info parses it, and lf_train resumes from
 * it and trains to the end, so whatever the reader accepts is used as a run's state. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

enum { ROWS = 40, FEATURES = 3 };

/* 40 rows, 3 features, 2 classes: the same every call. */
static const lf_dataset *tiny(void)
{
    static float x[ROWS * FEATURES];
    static int32_t y[ROWS];
    static lf_dataset ds;
    if (ds.n) return &ds;
    for (int i = 0; i < ROWS; i++) {
        y[i] = i % 2;
        for (int j = 0; j < FEATURES; j++)
            x[i * FEATURES + j] = (float)((i * 7 + j * 3) % 11) + (float)y[i];
    }
    ds = (lf_dataset){.n = ROWS, .d = FEATURES, .ndim = 1, .shape = {FEATURES}, .x = x, .y = y,
                      .n_classes = 2, .name = "tiny"};
    return &ds;
}

static lf_train_opts run_opts(void)
{
    lf_train_opts o;
    lf_train_opts_default(&o);
    o.model = "mlp:4";
    o.optim = "adamw:lr=0.01";
    o.epochs = 2;
    o.batch = 8;
    o.seed = 5;
    o.threads = 1;
    o.val_split = 0.25;
    o.data = "tiny";
    return o;
}

int lf_fuzz_checkpoint(const uint8_t *data, size_t size)
{
    const char *path = lf_fuzz_file(0, "checkpoint.safetensors", data, size);
    lf_checkpoint_info ci;
    int info_ok = lf_checkpoint_read_info(path, &ci) == LF_OK;
    lf_train_opts o = run_opts();
    o.resume = path;
    const lf_dataset none = {0};
    lf_train_result r;
    lf_status s = lf_train(&o, tiny(), &none, &r, NULL);
    if (s == LF_OK && !info_ok) lf_fuzz_fail("checkpoint: resumed from a file whose info fails");
    if (s == LF_OK && r.epochs_done != o.epochs) lf_fuzz_fail("checkpoint: run did not finish");
    return 0;
}
LF_FUZZ_ENTRY(checkpoint)

#ifdef LF_FUZZ_SEED_MAIN
#include <stdio.h>

static lf_status stop_after_first(void *user, lf_model *m, const lf_norm *norm,
                                  const lf_epoch_stats *e)
{
    (void)user, (void)m, (void)norm;
    return e->epoch == 1 ? LF_EINVAL : LF_OK;
}

/* Writes the seed corpus into DIR: the last checkpoint of the fixed run (8 steps) written every
 * k steps, k = 1..8, and of runs stopped after the first epoch. */
int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    char out[1024], src[1100], dst[1100];
    snprintf(out, sizeof out, "%s/run", argv[1]);
    snprintf(src, sizeof src, "%s/checkpoint.safetensors", out);
    const lf_dataset none = {0};
    for (int k = 1; k <= 10; k++) {
        lf_train_opts o = run_opts();
        o.out_dir = out;
        o.checkpoint_every = k <= 8 ? k : k - 8;
        if (k > 8) o.on_epoch = stop_after_first;
        if (lf_train(&o, tiny(), &none, NULL, NULL) != LF_OK && k <= 8) return 1;
        snprintf(dst, sizeof dst, "%s/seed-%d", argv[1], k);
        if (rename(src, dst) != 0) return 1;
    }
    return 0;
}
#endif
