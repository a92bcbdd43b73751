/* Checkpoints and numerical guards: CRC-checked files, resume ending bit-identical to an
 * uninterrupted run, refusal of a checkpoint from another run, and --on-nan stop|skip-batch. */
#include "testutil.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Dropout, a cosine schedule and a validation split: the result depends on the step count,
 * the data order and the rng, which a resume must all restore. */
static lf_train_opts opts(const char *optim, const char *out)
{
    lf_train_opts o;
    lf_train_opts_default(&o);
    o.model = "mlp:16,dropout=0.2";
    o.optim = optim;
    o.schedule = "cosine";
    o.epochs = 4;
    o.batch = 32;
    o.seed = 11;
    o.val_split = 0.2;
    o.threads = 2;
    o.out_dir = out;
    o.data = "blobs";
    return o;
}

static const char *dir_of(const char *name)
{
    static char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s", tu_tmpdir(), name);
    return dir;
}

static char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(*n + 1);
    if (fread(buf, 1, *n, f) != *n) fail_msg("cannot read %s", path);
    fclose(f);
    return buf;
}

static void st_crc_detects_corruption(void **state)
{
    (void)state;
    float w[6] = {1, 2, 3, 4, 5, 6};
    lf_st_entry e = {"w", LF_F32, 2, {2, 3, 1, 1}, w};
    const char *kv[2] = {"k", "v"};
    const char *path = tu_write_tmp("crc.safetensors", "", 0);
    TU_OK(lf_st_write_crc(path, &e, 1, kv, 1));
    lf_st *st;
    TU_OK(lf_st_read(path, &st));
    assert_string_equal(lf_st_meta(st, "crc32"), "1939e524");
    lf_st_free(st);
    size_t n;
    char *buf = read_all(path, &n);
    buf[n - 3] ^= 1; /* one bit of the last float */
    path = tu_write_tmp("crc.safetensors", buf, n);
    free(buf);
    TU_ERR(lf_st_read(path, &st), LF_EFORMAT, "checksum mismatch");
    const char *bad[2] = {"crc32", "x"};
    TU_ERR(lf_st_write_crc(path, &e, 1, bad, 1), LF_EINVAL, "reserved");
}

static lf_status stop_at(void *user, lf_model *m, const lf_norm *norm, const lf_epoch_stats *e)
{
    (void)m;
    (void)norm;
    if (e->epoch == *(int *)user) return lf_error(LF_EINVAL, "stopped after epoch %d", e->epoch);
    return LF_OK;
}

static void same_stats(const lf_epoch_stats *a, const lf_epoch_stats *b)
{
    assert_int_equal(a->epoch, b->epoch);
    assert_memory_equal(&a->train_loss, &b->train_loss, sizeof a->train_loss);
    assert_memory_equal(&a->train_acc, &b->train_acc, sizeof a->train_acc);
    assert_memory_equal(&a->val_loss, &b->val_loss, sizeof a->val_loss);
    assert_memory_equal(&a->lr, &b->lr, sizeof a->lr);
}

/* A run stopped after epoch `stop` (its last checkpoint some steps earlier) and resumed ends
 * with the parameters and stats of the uninterrupted run. */
static void resume_case(const lf_dataset *tr, const lf_dataset *te, const char *loss,
                        const char *optim, int64_t every, int stop)
{
    lf_train_opts o = opts(optim, NULL);
    o.loss = loss;
    lf_train_result want, got;
    lf_model *a, *b;
    TU_OK(lf_train(&o, tr, te, &want, &a));
    char dir[1100], ckpt[1200];
    snprintf(dir, sizeof dir, "%s", dir_of("resume"));
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", dir);
    unlink(ckpt);
    o = opts(optim, dir);
    o.loss = loss;
    o.checkpoint_every = every;
    o.on_epoch = stop_at;
    o.user = &stop;
    TU_ERR(lf_train(&o, tr, te, NULL, NULL), LF_EINVAL, "stopped after epoch");
    lf_checkpoint_info ci;
    TU_OK(lf_checkpoint_read_info(ckpt, &ci));
    assert_true(ci.step > 0 && ci.step % every == 0);
    o.on_epoch = NULL;
    o.resume = ckpt;
    TU_OK(lf_train(&o, tr, te, &got, &b));
    lf_params *pa = lf_model_params(a), *pb = lf_model_params(b);
    assert_int_equal(pa->size, pb->size);
    if (memcmp(pa->data, pb->data, (size_t)pa->size * sizeof(float)) != 0)
        fail_msg("%s, every %lld, stop %d: resumed parameters differ", optim, (long long)every,
                 stop);
    same_stats(&want.last, &got.last);
    assert_int_equal(got.epochs_done, o.epochs);
    lf_model_free(a);
    lf_model_free(b);
}

static void resume_is_bit_identical(void **state)
{
    (void)state;
    lf_dataset tr, te;
    tu_blobs(&tr, 300, 1);
    tu_blobs(&te, 100, 2);
    resume_case(&tr, &te, "ce", "adamw:lr=1e-2", 7, 1);
    resume_case(&tr, &te, "ce", "adamw:lr=1e-2", 1, 3);
    resume_case(&tr, &te, "ce", "lion:lr=1e-3", 6, 2); /* 6 steps = one epoch: at its very end */
    resume_case(&tr, &te, "ce", "sgd:lr=0.1,momentum=0.9", 5, 2);
    resume_case(&tr, &te, "ce", "lion:lr=1e-3,mu_dtype=bf16", 4, 2); /* bf16 optimizer state */
    resume_case(&tr, &te, "aldr", "adamw:lr=1e-2", 5, 1);           /* per-sample loss state */
    lf_dataset_release(&tr);
    lf_dataset_release(&te);
}

static void checkpoint_info_and_model_file(void **state)
{
    (void)state;
    lf_dataset tr, te = {0};
    tu_blobs(&tr, 200, 3);
    const char *dir = dir_of("info");
    lf_train_opts o = opts("adamw:lr=1e-2", dir);
    o.checkpoint_every = 4;
    o.epochs = 2;
    o.clip_norm = 2.5;
    TU_OK(lf_train(&o, &tr, &te, NULL, NULL));
    char ckpt[1200];
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", dir);
    lf_checkpoint_info ci;
    TU_OK(lf_checkpoint_read_info(ckpt, &ci));
    assert_int_equal(ci.epochs, 2);
    assert_int_equal(ci.batch, 32);
    assert_int_equal(ci.seed, 11);
    assert_true(ci.clip_norm == 2.5 && ci.val_split == 0.2);
    assert_string_equal(ci.data, "blobs");
    assert_string_equal(ci.optim, "adamw:lr=1e-2"); /* as given, not canonical */
    assert_int_equal(ci.step, 8); /* 160 training rows = 5 batches an epoch; 10 steps */
    assert_int_equal(ci.epoch, 2);
    lf_train_opts back;
    lf_train_opts_default(&back);
    lf_checkpoint_train_opts(&ci, &back);
    assert_int_equal(back.checkpoint_every, 4);
    assert_string_equal(back.model, ci.model);
    lf_model *m;
    lf_norm norm;
    TU_OK(lf_model_load(ckpt, &m, &norm)); /* a checkpoint is a model file too */
    lf_model_free(m);
    lf_norm_release(&norm);
    lf_dataset_release(&tr);
}

/* A checkpoint of another run, of other data, or a damaged one is refused. */
static void resume_refuses_other_runs(void **state)
{
    (void)state;
    lf_dataset tr, te = {0};
    tu_blobs(&tr, 200, 3);
    const char *dir = dir_of("refuse");
    lf_train_opts o = opts("adamw:lr=1e-2", dir);
    o.checkpoint_every = 3;
    o.epochs = 2;
    TU_OK(lf_train(&o, &tr, &te, NULL, NULL));
    char ckpt[1200], other[1200];
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", dir);
    snprintf(other, sizeof other, "%s/other", dir);
    lf_train_opts r = opts("adamw:lr=2e-2", other);
    r.epochs = 2;
    r.resume = ckpt;
    TU_ERR(lf_train(&r, &tr, &te, NULL, NULL), LF_EINVAL, "optim");
    r.optim = "adamw:lr=1e-2";
    r.batch = 16;
    TU_ERR(lf_train(&r, &tr, &te, NULL, NULL), LF_EINVAL, "batch");
    r.batch = 32;
    tr.x[5] += 1.0f;
    TU_ERR(lf_train(&r, &tr, &te, NULL, NULL), LF_EINVAL, "other data");
    tr.x[5] -= 1.0f;
    size_t n;
    char *buf = read_all(ckpt, &n);
    char *opt = strstr(buf + 8, "\"epochs\":\"2\""); /* past the length prefix */
    assert_non_null(opt);
    opt[10] = '3'; /* the header's options, which the data CRC does not cover */
    const char *bad = tu_write_tmp("bad_ckpt.safetensors", buf, n);
    r.resume = bad;
    TU_ERR(lf_train(&r, &tr, &te, NULL, NULL), LF_EFORMAT, "meta_crc32");
    buf[n - 1] ^= 0x40;
    opt[10] = '2';
    bad = tu_write_tmp("bad_ckpt.safetensors", buf, n);
    TU_ERR(lf_train(&r, &tr, &te, NULL, NULL), LF_EFORMAT, "checksum mismatch");
    free(buf);
    r.resume = tu_write_tmp("empty.safetensors", "", 0);
    TU_ERR(lf_train(&r, &tr, &te, NULL, NULL), LF_EFORMAT, "too short");
    lf_checkpoint_info ci;
    TU_ERR(lf_checkpoint_read_info(dir_of("none.safetensors"), &ci), LF_ENOTFOUND, "none");
    lf_dataset_release(&tr);
}

/* An exploding learning rate: the run stops naming the step, the batch and a tensor, and the
 * last checkpoint (before the bad step) stays; skip-batch goes on without applying them. */
static void nonfinite_stop_and_skip(void **state)
{
    (void)state;
    lf_dataset tr, te = {0};
    tu_blobs(&tr, 400, 5);
    const char *dir = dir_of("nan");
    lf_train_opts o = opts("sgd:lr=1e30", dir);
    o.model = "mlp:16";
    o.checkpoint_every = 1;
    TU_ERR(lf_train(&o, &tr, &te, NULL, NULL), LF_ENUMERIC, "(epoch 1, batch ");
    const char *msg = lf_last_error();
    if (!strstr(msg, "at step ") || !strstr(msg, "first non-finite tensor: "))
        fail_msg("message lacks the step or the tensor: %s", msg);
    char ckpt[1200];
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", dir);
    lf_checkpoint_info ci;
    TU_OK(lf_checkpoint_read_info(ckpt, &ci));
    char want[64];
    snprintf(want, sizeof want, "at step %lld ", (long long)ci.step + 1);
    if (!strstr(msg, want))
        fail_msg("checkpoint at step %lld, message: %s", (long long)ci.step, msg);
    o.on_nan = LF_ON_NAN_SKIP;
    o.checkpoint_every = 0;
    lf_train_result r;
    lf_model *m;
    TU_OK(lf_train(&o, &tr, &te, &r, &m));
    assert_true(r.skipped_batches > 0);
    lf_params *p = lf_model_params(m);
    for (int64_t i = 0; i < p->size; i++)
        if (!isfinite(p->data[i])) fail_msg("parameter %lld is %g", (long long)i, p->data[i]);
    lf_model_free(m);
    o.on_nan = 7;
    TU_ERR(lf_train(&o, &tr, &te, NULL, NULL), LF_EINVAL, "on_nan");
    lf_dataset_release(&tr);
}

static void first_nonfinite(void **state)
{
    (void)state;
    enum { N = 1 << 17 }; /* above the threaded pass's threshold */
    float *x = calloc(N, sizeof *x);
    assert_int_equal(lf_first_nonfinite(x, N), -1);
    x[N - 2] = INFINITY;
    x[N - 1] = NAN;
    assert_int_equal(lf_first_nonfinite(x, N), N - 2);
    x[3] = -INFINITY;
    assert_int_equal(lf_first_nonfinite(x, 5), 3);
    assert_int_equal(lf_first_nonfinite(x, 0), -1);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(st_crc_detects_corruption),
        cmocka_unit_test(resume_is_bit_identical),
        cmocka_unit_test(checkpoint_info_and_model_file),
        cmocka_unit_test(resume_refuses_other_runs),
        cmocka_unit_test(nonfinite_stop_and_skip),
        cmocka_unit_test(first_nonfinite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
