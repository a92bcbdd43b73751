/* The training loop: minibatch SGD-style training of a registered model with a registered loss,
 * optimizer and schedule; per-epoch metrics, model file and curves in the output directory. */
#include "learn.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct trainer {
    const lf_train_opts *o;
    const lf_dataset *data, *test;
    int64_t *rows;          /* train rows [0, n_train), then validation rows [n_train, +n_val) */
    int64_t n_train, n_val;
    int64_t *perm;          /* this epoch's permutation of 0..n_train-1 */
    lf_norm norm;           /* of the training rows; applied per batch */
    lf_model *model;
    lf_loss *loss;
    lf_optim *optim;
    lf_schedule *sched;
    lf_tape *tape;
    float *xb;
    int32_t *yb;
    int64_t *order;
    uint8_t *decay;
    lf_rng rng;
    lf_train_pos pos;       /* step, epoch, offset, the epoch's sums: what checkpoints save */
    int64_t total_steps;
    double epoch_t0;        /* lf_now() at the start of the epoch, less its checkpointed time */
    uint32_t data_crc;      /* of the training data, when checkpointing or resuming */
    FILE *metrics;
    int64_t hist_cap;       /* room in pos.hist, grown as epochs finish (not sized by --epochs) */
} trainer;

void lf_train_opts_default(lf_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->model = "mlp:256,256";
    o->loss = "ce";
    o->optim = "adamw:lr=1e-3";
    o->schedule = "constant";
    o->epochs = 5;
    o->batch = 128;
    o->seed = 1;
}

/* The standardisation of the training rows (lf_norm_fit). The data stay as loaded; batches are
 * standardised as they are gathered. */
static lf_status moments(trainer *tr)
{
    return lf_norm_fit(tr->data, tr->n_val ? tr->rows : NULL, tr->n_train, &tr->norm);
}

/* A classifier learns nothing from one class (its loss is 0 from the start): refused. */
static lf_status check_classes(const trainer *tr)
{
    const int32_t *y = tr->data->y, first = y[tr->rows[0]];
    for (int64_t i = 1; i < tr->n_train; i++)
        if (y[tr->rows[i]] != first) return LF_OK;
    return lf_error(LF_EINVAL, "train: the %lld training rows of dataset \"%s\" hold a single "
                    "class; a classifier needs at least 2 classes", (long long)tr->n_train,
                    tr->o->data ? tr->o->data : tr->data->name);
}

static lf_status prepare_data(trainer *tr, const lf_dataset *train, const lf_dataset *test)
{
    if (!train->y || train->n < 1)
        return lf_error(LF_EINVAL, "train: dataset \"%s\" has no labelled rows", train->name);
    lf_status s = lf_dataset_validate(train);
    if (s == LF_OK && test->n) s = lf_dataset_validate(test);
    if (s == LF_OK && test->n && test->d != train->d)
        s = lf_error(LF_EINVAL, "train: test rows have %lld features, train rows %lld",
                     (long long)test->d, (long long)train->d);
    if (s != LF_OK) return s;
    tr->data = train;
    tr->test = test;
    int64_t n = train->n;
    tr->rows = malloc((size_t)n * sizeof *tr->rows);
    tr->perm = malloc((size_t)n * sizeof *tr->perm);
    if (!tr->rows || !tr->perm) return lf_error(LF_ENOMEM, "train: out of memory");
    /* The split draws from its own stream of the seed, as lf_dataset_split does. */
    lf_rng r;
    lf_rng_seed(&r, tr->o->seed);
    if (tr->o->val_split > 0) lf_rng_permutation(&r, tr->rows, n);
    else
        for (int64_t i = 0; i < n; i++) tr->rows[i] = i;
    tr->n_val = (int64_t)llround(tr->o->val_split * (double)n);
    tr->n_train = n - tr->n_val;
    if (tr->n_train < 1)
        return lf_error(LF_EINVAL, "train: --val-split %g leaves no training rows", tr->o->val_split);
    s = check_classes(tr);
    return s == LF_OK ? moments(tr) : s;
}

lf_status lf_out_dir_check(const char *dir)
{
    /* Every file name must fit the 4096-byte path buffers, with its ".tmp.<pid>" suffix. */
    const size_t limit = 4096 - sizeof "/checkpoint.safetensors.tmp.01234567890123456789";
    if (strlen(dir) > limit)
        return lf_error(LF_EINVAL, "--out: path of %zu bytes is too long; the files of a run need "
                        "it to be at most %zu bytes (paths are limited to 4096 bytes)",
                        strlen(dir), limit);
    return LF_OK;
}

static lf_status open_outputs(trainer *tr)
{
    const char *dir = tr->o->out_dir;
    if (!dir) return LF_OK;
    lf_status s = lf_out_dir_check(dir);
    if (s == LF_OK) s = lf_mkdirs(dir, "--out");
    if (s != LF_OK) return s;
    char path[4096];
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    tr->metrics = fopen(path, "w");
    if (!tr->metrics) return lf_error(LF_EIO, "%s: cannot write: %s", path, strerror(errno));
    return LF_OK;
}

/* The parameter tensors' boundaries, for optimizers that normalise per tensor (lionk). */
static lf_status set_segments(lf_optim *opt, const lf_params *p)
{
    int64_t *off = malloc((size_t)(p->n + 1) * sizeof *off);
    if (!off) return lf_error(LF_ENOMEM, "train: out of memory");
    for (int i = 0; i < p->n; i++) off[i] = p->t[i].data - p->data;
    off[p->n] = p->size;
    lf_status s = lf_optim_set_segments(opt, off, p->n);
    free(off);
    return s;
}

/* The epoch history's first capacity when not resuming; it doubles as epochs finish. */
#define HIST_START 64

/* Room in pos.hist for `epochs` entries. */
static lf_status hist_reserve(trainer *tr, int64_t epochs)
{
    if (epochs <= tr->hist_cap) return LF_OK;
    int64_t cap = tr->hist_cap * 2 > epochs ? tr->hist_cap * 2 : epochs;
    if (cap > tr->o->epochs) cap = tr->o->epochs;
    lf_epoch_stats *h = realloc(tr->pos.hist, (size_t)cap * sizeof *h);
    if (!h) return lf_error(LF_ENOMEM, "train: cannot allocate the history of %lld epochs",
                            (long long)cap);
    tr->pos.hist = h;
    tr->hist_cap = cap;
    return LF_OK;
}

static lf_status build(trainer *tr)
{
    const lf_train_opts *o = tr->o;
    const lf_dataset *d = tr->data;
    int32_t classes = d->n_classes;
    if (tr->test->n && tr->test->n_classes > classes) classes = tr->test->n_classes;
    lf_status s = lf_loss_create(o->loss, &tr->loss);
    /* Two classes and a loss on binary scores: one output, the score. */
    if (s == LF_OK && (lf_loss_needs(tr->loss) & LF_LOSS_SCORES) && classes <= 2) classes = 1;
    if (s == LF_OK) s = lf_model_create(o->model, d->ndim, d->shape, classes, o->seed, &tr->model);
    /* Per-sample loss state (ALDR-KL's lambda_i) is indexed by dataset row ids. */
    if (s == LF_OK) s = lf_loss_bind(tr->loss, d->n);
    if (s != LF_OK) return s;
    lf_params *p = lf_model_params(tr->model);
    tr->decay = malloc((size_t)p->size);
    if (!tr->decay) return lf_error(LF_ENOMEM, "train: out of memory");
    for (int i = 0; i < p->n; i++)
        memset(tr->decay + (p->t[i].data - p->data), o->decay_bias || p->decay[i],
               (size_t)p->t[i].size);
    s = lf_optim_create(o->optim, p->size, tr->decay, &tr->optim);
    if (s == LF_OK) s = set_segments(tr->optim, p);
    if (s == LF_OK) s = lf_schedule_create(o->schedule ? o->schedule : "constant", &tr->sched);
    if (s != LF_OK) return s;
    tr->tape = lf_tape_new();
    /* Buffers are sized by the rows that exist, not by the request: a batch larger than the
     * training set is the whole set, and the epoch history grows as epochs finish (a resume
     * needs room for the checkpoint's epochs up front). */
    int64_t rows_b = o->batch < tr->n_train ? o->batch : tr->n_train;
    if (rows_b < 1) rows_b = 1;
    tr->hist_cap = o->resume || o->epochs < HIST_START ? o->epochs : HIST_START;
    tr->xb = malloc((size_t)(rows_b * d->d) * sizeof *tr->xb);
    tr->yb = malloc((size_t)rows_b * sizeof *tr->yb);
    tr->order = malloc((size_t)tr->n_train * sizeof *tr->order);
    tr->pos.hist = calloc((size_t)tr->hist_cap, sizeof *tr->pos.hist);
    if (!tr->tape || !tr->xb || !tr->yb || !tr->order || !tr->pos.hist)
        return lf_error(LF_ENOMEM, "train: out of memory");
    if (o->checkpoint_every > 0 || o->resume) tr->data_crc = lf_dataset_crc(d);
    lf_rng_seed(&tr->rng, o->seed);
    tr->total_steps = o->epochs * ((tr->n_train + o->batch - 1) / o->batch);
    return LF_OK;
}

/* The first non-finite tensor of a step, for the message: a parameter, the input batch, the
 * model output, else the loss itself; or with a finite loss, the first parameter gradient. */
static void nonfinite_what(trainer *tr, double v, const lf_tensor *x, const lf_tensor *logits,
                           char *what, size_t cap)
{
    lf_params *p = lf_model_params(tr->model);
    int grad = isfinite(v);
    for (int i = 0; i < p->n; i++) {
        int64_t at = lf_first_nonfinite(grad ? p->t[i].grad : p->t[i].data, p->t[i].size);
        if (at < 0) continue;
        snprintf(what, cap, "%s of parameter \"%s\" (element %lld)", grad ? "gradient" : "value",
                 p->t[i].name, (long long)at);
        return;
    }
    const lf_tensor *t[2] = {x, logits};
    const char *names[2] = {"the input batch", "the model output"};
    for (int i = 0; !grad && i < 2; i++) {
        int64_t at = lf_first_nonfinite(t[i]->data, t[i]->size);
        if (at < 0) continue;
        snprintf(what, cap, "%s (element %lld)", names[i], (long long)at);
        return;
    }
    snprintf(what, cap, "the loss");
}

/* A non-finite loss or gradient: LF_ENUMERIC naming the step, batch and tensor (the update is
 * not applied, so the files written so far stay the last good ones), or with --on-nan
 * skip-batch a skipped batch. */
static lf_status nonfinite(trainer *tr, double v, const lf_tensor *x, const lf_tensor *logits,
                           int64_t off, int64_t nb)
{
    if (tr->o->on_nan == LF_ON_NAN_SKIP) {
        tr->pos.skipped++;
        return LF_OK;
    }
    char what[256];
    nonfinite_what(tr, v, x, logits, what, sizeof what);
    return lf_error(LF_ENUMERIC, "train: non-finite %s (%g) at step %lld (epoch %d, batch %lld = "
                    "rows %lld..%lld of the epoch's order); first non-finite tensor: %s; stopping, "
                    "the last good model file and checkpoint are kept (--on-nan skip-batch "
                    "skips such batches)", isfinite(v) ? "gradient" : "loss", v,
                    (long long)tr->pos.step, tr->pos.epoch, (long long)(off / tr->o->batch) + 1,
                    (long long)off, (long long)(off + nb - 1), what);
}

/* One optimisation step on rows order[off..off+nb); adds the batch's loss and hits to the
 * epoch's sums. */
static lf_status train_step(trainer *tr, int64_t off, int64_t nb)
{
    const lf_dataset *d = tr->data;
    lf_gather_rows(d, tr->order + off, nb, &tr->norm, tr->xb, tr->yb);
    lf_tape *t = tr->tape;
    lf_tape_reset(t);
    lf_tape_set_train(t, 1, tr->o->seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(tr->pos.step + 1)));
    int64_t shape[4] = {nb, d->shape[0], d->shape[1], d->shape[2]};
    lf_tensor *x = lf_tape_wrap(t, tr->xb, d->ndim + 1, shape);
    lf_tensor *logits = lf_model_forward(tr->model, t, x);
    lf_batch b = {.label = tr->yb, .index = tr->order + off};
    /* Adversarial losses need the model and the inputs, not just the logits. */
    const lf_objective_in oin = {tr->model, t, x, logits, &b, &tr->norm, d};
    lf_tensor *loss = lf_loss_objective(tr->loss, &oin);
    lf_status s = lf_tape_status(t);
    if (s != LF_OK) return s;
    double v = loss->data[0];
    lf_params *p = lf_model_params(tr->model);
    lf_params_zero_grad(p);
    if (isfinite(v)) s = lf_backward(t, loss);
    double scale = lf_schedule_at(tr->sched, tr->pos.step, tr->total_steps);
    tr->pos.step++;
    if (s != LF_OK) return s;
    if (!isfinite(v) || lf_first_nonfinite(p->grad, p->size) >= 0)
        return nonfinite(tr, v, x, logits, off, nb);
    if (tr->o->clip_norm > 0) lf_clip_grad_norm(p->grad, p->size, tr->o->clip_norm);
    s = lf_optim_step(tr->optim, p->data, p->grad, scale);
    tr->pos.loss_sum += v * (double)nb;
    tr->pos.counted += nb;
    tr->pos.hits += lf_count_correct(logits->data, nb, logits->shape[1], tr->yb);
    return s;
}

/* One metrics.jsonl line, on disk before the next epoch starts. */
static lf_status write_epoch(trainer *tr, const lf_epoch_stats *e)
{
    if (!tr->metrics) return LF_OK;
    FILE *f = tr->metrics;
    int bad = fprintf(f, "{\"epoch\":%d", e->epoch) < 0;
    const char *keys[] = {"train_loss", "train_acc", "val_loss", "val_acc", "test_loss",
                          "test_acc",   "lr",        "seconds",  "samples_per_s"};
    const double v[] = {e->train_loss, e->train_acc, e->val_loss, e->val_acc, e->test_loss,
                        e->test_acc,   e->lr,        e->seconds,  e->samples_per_s};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) lf_json_number(f, keys[i], v[i]);
    bad |= fputs("}\n", f) < 0;
    bad |= fflush(tr->metrics) != 0 || fsync(fileno(tr->metrics)) != 0;
    return bad ? lf_error(LF_EIO, "%s/metrics.jsonl: write failed: %s", tr->o->out_dir,
                          strerror(errno))
               : LF_OK;
}

static lf_status save_model(trainer *tr)
{
    if (!tr->o->out_dir) return LF_OK;
    char path[4096];
    snprintf(path, sizeof path, "%s/model.safetensors", tr->o->out_dir);
    return lf_model_save(tr->model, &tr->norm, path);
}

static lf_ckpt_run ckpt_run(trainer *tr)
{
    return (lf_ckpt_run){tr->o, tr->model, tr->optim, tr->loss, tr->sched, &tr->norm, tr->n_train,
                         tr->data_crc};
}

static lf_status maybe_checkpoint(trainer *tr)
{
    int64_t every = tr->o->checkpoint_every;
    if (every <= 0 || tr->pos.step % every != 0) return LF_OK;
    char path[4096];
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", tr->o->out_dir);
    tr->pos.seconds = lf_now() - tr->epoch_t0;
    lf_ckpt_run run = ckpt_run(tr);
    return lf_checkpoint_save(path, &run, &tr->pos);
}

/* Starts epoch `epoch` afresh, or continues the resumed one where its checkpoint stopped:
 * either way the order is the permutation drawn from the rng as it was before the epoch. */
static void begin_epoch(trainer *tr, int epoch)
{
    lf_train_pos *ps = &tr->pos;
    if (ps->epoch != epoch) {
        ps->epoch = epoch;
        ps->offset = ps->hits = ps->counted = 0;
        ps->loss_sum = ps->seconds = 0;
        ps->rng_epoch = tr->rng;
    }
    tr->rng = ps->rng_epoch;
    tr->epoch_t0 = lf_now() - ps->seconds;
}

static lf_status run_epoch(trainer *tr, int epoch, lf_epoch_stats *e)
{
    const int64_t n = tr->n_train, B = tr->o->batch;
    lf_train_pos *ps = &tr->pos;
    begin_epoch(tr, epoch);
    double t0 = tr->epoch_t0;
    lf_rng_permutation(&tr->rng, tr->perm, n);
    for (int64_t i = 0; i < n; i++) tr->order[i] = tr->rows[tr->perm[i]];
    lf_progress bar;
    char prefix[32];
    snprintf(prefix, sizeof prefix, "epoch %d/%d", epoch, tr->o->epochs);
    if (tr->o->progress) lf_progress_begin(&bar, prefix, n, tr->o->progress == 2);
    lf_status s = LF_OK;
    while (ps->offset < n && s == LF_OK) {
        int64_t off = ps->offset, nb = n - off < B ? n - off : B;
        s = train_step(tr, off, nb);
        ps->offset = off + nb;
        if (s == LF_OK) s = maybe_checkpoint(tr);
        double done = (double)ps->counted;
        if (tr->o->progress)
            lf_progress_update(&bar, off + nb, "loss %.4f acc %.2f%% %.0f samples/s",
                               ps->loss_sum / done, 100.0 * (double)ps->hits / done,
                               (double)(off + nb) / (lf_now() - t0));
    }
    if (s != LF_OK) {
        if (tr->o->progress) lf_progress_end(&bar, "stopped");
        return s;
    }
    /* Skipped batches (--on-nan skip-batch) count in neither sum. */
    *e = (lf_epoch_stats){.epoch = epoch, .train_loss = ps->loss_sum / (double)ps->counted,
                          .train_acc = (double)ps->hits / (double)ps->counted, .val_loss = NAN,
                          .val_acc = NAN,
                          .test_loss = NAN, .test_acc = NAN};
    e->seconds = lf_now() - t0;
    e->samples_per_s = (double)n / e->seconds;
    e->lr = lf_optim_lr(tr->optim) * lf_schedule_at(tr->sched, ps->step - 1, tr->total_steps);
    if (tr->n_val)
        s = lf_evaluate(tr->model, tr->loss, tr->data, tr->rows + n, tr->n_val, &tr->norm, 512,
                        &e->val_acc, &e->val_loss, NULL);
    /* Test metrics per epoch are for the curves only; nothing is selected on them. */
    if (s == LF_OK && tr->test->n)
        s = lf_evaluate(tr->model, tr->loss, tr->test, NULL, 0, &tr->norm, 512, &e->test_acc,
                        &e->test_loss, NULL);
    if (tr->o->progress && tr->n_val)
        lf_progress_end(&bar, "loss %.4f acc %.2f%% | val loss %.4f acc %.2f%% | %.0f samples/s",
                        e->train_loss, 100 * e->train_acc, e->val_loss, 100 * e->val_acc,
                        e->samples_per_s);
    else if (tr->o->progress)
        lf_progress_end(&bar, "loss %.4f acc %.2f%% | %.0f samples/s", e->train_loss,
                        100 * e->train_acc, e->samples_per_s);
    return s;
}

/* curves.svg: loss and accuracy (in %) against the epoch, titled with the specs as the user
 * gave them (a resumed run gets them back from its checkpoint, so the file stays the same). */
static lf_status write_curves(trainer *tr, int epochs)
{
    if (!tr->o->out_dir || epochs < 1) return LF_OK;
    const size_t n = (size_t)epochs;
    double *x = malloc(7 * n * sizeof *x); /* x, then 3 loss curves, then 3 accuracy curves in % */
    if (!x) return lf_error(LF_ENOMEM, "train: out of memory");
    double *curve = x + n, *pct = x + 4 * n;
    for (size_t i = 0; i < n; i++) {
        const lf_epoch_stats *e = &tr->pos.hist[i];
        x[i] = (double)i + 1;
        curve[i] = e->train_loss;
        curve[n + i] = e->val_loss;
        curve[2 * n + i] = e->test_loss;
        pct[i] = 100 * e->train_acc;
        pct[n + i] = 100 * e->val_acc;
        pct[2 * n + i] = 100 * e->test_acc;
    }
    static const char *const names[6] = {"train loss", "val loss", "test loss",
                                         "train acc",  "val acc",  "test acc"};
    const int have[3] = {1, tr->n_val > 0, tr->test->n > 0};
    lf_series s[6];
    int ns = 0;
    for (int j = 0; j < 6; j++)
        if (have[j % 3])
            s[ns++] = (lf_series){names[j], j < 3 ? curve + (size_t)j * n
                                                  : pct + (size_t)(j - 3) * n,
                                  j / 3, j % 3 + 1};
    char path[4096], title[3200];
    snprintf(path, sizeof path, "%s/curves.svg", tr->o->out_dir);
    snprintf(title, sizeof title, "%s | %s | %s", tr->o->model, tr->o->loss, tr->o->optim);
    if (tr->o->schedule && strcmp(tr->o->schedule, "constant") != 0)
        snprintf(title + strlen(title), sizeof title - strlen(title), " | %s", tr->o->schedule);
    const lf_plot texts = {title, "epoch", {"loss", "accuracy"}, {"loss", "accuracy (%)"}, {0, 0}};
    lf_status st = lf_plot_svg(path, &texts, x, epochs, s, ns);
    free(x);
    return st;
}

static lf_status write_result(trainer *tr, const lf_train_result *r)
{
    if (!tr->o->out_dir) return LF_OK;
    char path[4096];
    snprintf(path, sizeof path, "%s/result.json", tr->o->out_dir);
    /* Built in memory, then written atomically: a full disk never leaves a torn result.json. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return lf_error(LF_ENOMEM, "%s: out of memory", path);
    fputs("{\"model\":", f);
    lf_json_string(f, lf_model_spec(tr->model));
    fputs(",\"loss\":", f);
    lf_json_string(f, lf_loss_spec(tr->loss));
    fputs(",\"optim\":", f);
    lf_json_string(f, lf_optim_spec(tr->optim));
    fputs(",\"schedule\":", f);
    lf_json_string(f, lf_schedule_spec(tr->sched));
    if (tr->o->data) { /* the dataset spec as given: lossforge compare refuses mixed data */
        fputs(",\"data\":", f);
        lf_json_string(f, tr->o->data);
    }
    fprintf(f, ",\"epochs\":%d,\"batch\":%lld,\"seed\":%llu,\"threads\":%d,\"val_split\":%.17g,"
               "\"skipped_batches\":%lld",
            r->epochs_done, (long long)tr->o->batch, (unsigned long long)tr->o->seed,
            lf_get_threads(), tr->o->val_split, (long long)r->skipped_batches);
    lf_json_number(f, "test_acc", r->test_acc);
    lf_json_number(f, "test_loss", r->test_loss);
    lf_json_number(f, "seconds", r->seconds);
    fputs("}\n", f);
    if (fclose(f) != 0 || !buf) {
        free(buf);
        return lf_error(LF_ENOMEM, "%s: out of memory", path);
    }
    lf_status s = lf_write_atomic(path, buf, len);
    free(buf);
    return s;
}

static void trainer_release(trainer *tr, lf_model **model_out)
{
    if (model_out) *model_out = tr->model;
    else lf_model_free(tr->model);
    free(tr->rows);
    free(tr->perm);
    lf_loss_free(tr->loss);
    lf_optim_free(tr->optim);
    lf_schedule_free(tr->sched);
    lf_tape_free(tr->tape);
    lf_norm_release(&tr->norm);
    free(tr->xb);
    free(tr->yb);
    free(tr->order);
    free(tr->decay);
    free(tr->pos.hist);
    if (tr->metrics) (void)fclose(tr->metrics); /* every line was flushed and synced */
}

static lf_status check_opts(const lf_train_opts *o)
{
    if (o->epochs < 1) return lf_error(LF_EINVAL, "train: --epochs must be >= 1, got %d", o->epochs);
    if (o->batch < 1) return lf_error(LF_EINVAL, "train: --batch must be >= 1, got %lld", (long long)o->batch);
    if (!(o->val_split >= 0 && o->val_split < 1))
        return lf_error(LF_EINVAL, "train: --val-split must be in [0, 1), got %g", o->val_split);
    if (o->checkpoint_every < 0 || (o->checkpoint_every > 0 && !o->out_dir))
        return lf_error(LF_EINVAL, "train: --checkpoint-every %lld needs >= 0 and an output "
                        "directory", (long long)o->checkpoint_every);
    if (o->on_nan != LF_ON_NAN_STOP && o->on_nan != LF_ON_NAN_SKIP)
        return lf_error(LF_EINVAL, "train: on_nan must be LF_ON_NAN_STOP or LF_ON_NAN_SKIP, got %d",
                        o->on_nan);
    return LF_OK;
}

/* Continues from o->resume: restores the model, optimizer and position, then replays the
 * finished epochs' stats into metrics.jsonl and the curves. */
static lf_status resume(trainer *tr, lf_train_result *r)
{
    lf_ckpt_run run = ckpt_run(tr);
    lf_status s = lf_checkpoint_restore(tr->o->resume, &run, &tr->pos);
    if (s != LF_OK) return s;
    r->epochs_done = tr->pos.epoch - 1;
    if (r->epochs_done > 0) r->last = tr->pos.hist[r->epochs_done - 1];
    return LF_OK;
}

lf_status lf_train(const lf_train_opts *o, const lf_dataset *train, const lf_dataset *test,
                   lf_train_result *res, lf_model **model_out)
{
    lf_status s = check_opts(o);
    if (s != LF_OK) return s;
    if (o->threads > 0) lf_set_threads(o->threads);
    trainer tr = {.o = o};
    double t0 = lf_now();
    s = prepare_data(&tr, train, test);
    if (s == LF_OK) s = build(&tr);
    lf_train_result r = {.test_acc = NAN, .test_loss = NAN};
    if (s == LF_OK && o->resume) s = resume(&tr, &r);
    if (s == LF_OK) s = open_outputs(&tr);
    for (int i = 0; s == LF_OK && i < r.epochs_done; i++) s = write_epoch(&tr, &tr.pos.hist[i]);
    if (s == LF_OK && o->progress)
        fprintf(stderr, "model %s: %lld parameters; optimizer %s: %zu bytes of state\n",
                lf_model_spec(tr.model), (long long)lf_model_params(tr.model)->size,
                lf_optim_spec(tr.optim), lf_optim_state_bytes(tr.optim));
    for (int epoch = r.epochs_done + 1; s == LF_OK && epoch <= o->epochs; epoch++) {
        s = run_epoch(&tr, epoch, &r.last);
        if (s == LF_OK) s = hist_reserve(&tr, epoch);
        if (s != LF_OK) break;
        tr.pos.hist[epoch - 1] = r.last;
        s = write_epoch(&tr, &r.last);
        if (s == LF_OK && o->on_epoch) s = o->on_epoch(o->user, tr.model, &tr.norm, &r.last);
        if (s != LF_OK) break;
        r.epochs_done = epoch;
        s = save_model(&tr);
    }
    lf_status plot = write_curves(&tr, r.epochs_done);
    if (s == LF_OK) s = plot;
    r.test_acc = r.last.test_acc;
    r.test_loss = r.last.test_loss;
    r.seconds = lf_now() - t0;
    r.skipped_batches = tr.pos.skipped;
    if (s == LF_OK) s = write_result(&tr, &r);
    if (s == LF_OK && res) *res = r;
    trainer_release(&tr, s == LF_OK ? model_out : NULL);
    return s;
}
