/* Checkpoints: everything a training run needs to continue bit-identically after a kill, in one
 * CRC-checked safetensors file written atomically (temp file, fsync, rename, fsync of the
 * directory: lf_write_atomic). It is a model file too (same tensors and metadata keys plus the
 * run's), so `lossforge eval --model-file` reads it.
 *
 * Tensors: the model's parameters, norm.mean/norm.std, "optim.<name>" per optimizer state
 * buffer (stored in its own dtype), "loss.<name>" per loss state buffer, "train.pos" (I64, the
 * POS_* fields), "train.sums" (F64), "train.rng" (the trainer's xoshiro state before the
 * epoch's permutation, 4 x 64 bits as I64) and "train.hist" (F64 [epochs done, HIST_COLS]: the
 * finished epochs' stats, so metrics.jsonl and the curves continue). Metadata: the canonical
 * spec strings and the options as text, and "meta_crc32" over them (the data section's "crc32"
 * does not cover the header). */
#include "learn.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <string.h>
#include <zlib.h>

#define CKPT_FORMAT "lossforge-checkpoint-1"
#define NUM_TEXT 32

enum { POS_STEP, POS_EPOCH, POS_OFFSET, POS_HITS, POS_COUNTED, POS_SKIPPED, POS_OPTIM_T,
       POS_N_TRAIN, POS_DATA_CRC, POS_N };
enum { SUM_LOSS, SUM_SECONDS, SUM_N };
/* The history's columns after the epoch number: lf_epoch_stats' doubles. */
static const size_t HIST_FIELDS[] = {
    offsetof(lf_epoch_stats, train_loss), offsetof(lf_epoch_stats, train_acc),
    offsetof(lf_epoch_stats, val_loss),   offsetof(lf_epoch_stats, val_acc),
    offsetof(lf_epoch_stats, test_loss),  offsetof(lf_epoch_stats, test_acc),
    offsetof(lf_epoch_stats, lr),         offsetof(lf_epoch_stats, seconds),
    offsetof(lf_epoch_stats, samples_per_s)};
#define HIST_COLS (1 + (int)(sizeof HIST_FIELDS / sizeof HIST_FIELDS[0]))

/* An option's value as metadata text. */
typedef struct opt_text {
    char val[NUM_TEXT];
    const char *str; /* the value when it is a string (spec), else val */
} opt_text;

enum { OPT_MODEL, OPT_LOSS, OPT_OPTIM, OPT_SCHEDULE, OPT_DATA, OPT_EPOCHS, OPT_BATCH, OPT_SEED,
       OPT_VAL_SPLIT, OPT_CLIP_NORM, OPT_ON_NAN, OPT_DECAY_BIAS, OPT_THREADS, OPT_EVERY,
       OPT_GIVEN, OPT_N = OPT_GIVEN + 4 };

/* The options a checkpoint records. must_match: a resumed run must agree on the value, or it
 * would not continue the same computation (threads and checkpoint_every may change; the data
 * spec may name a moved file, which the data CRC still checks). The four specs are recorded
 * canonical (compared) and as given (what --resume passes on, so outputs that quote them, such
 * as the curves' title, stay the same). */
static const struct {
    const char *key;
    int must_match;
} OPTS[OPT_N] = {{"model", 1},     {"loss", 1},      {"optim", 1},  {"schedule", 1},
                 {"data", 0},      {"epochs", 1},    {"batch", 1},  {"seed", 1},
                 {"val_split", 1}, {"clip_norm", 1}, {"on_nan", 1}, {"decay_bias", 1},
                 {"threads", 0},   {"checkpoint_every", 0},
                 {"model_spec", 0}, {"loss_spec", 0}, {"optim_spec", 0}, {"schedule_spec", 0}};

static const char *const on_nan_names[] = {"stop", "skip-batch"};

static void opt_texts(const lf_ckpt_run *run, opt_text *t)
{
    const lf_train_opts *o = run->o;
    for (int i = 0; i < OPT_N; i++) {
        t[i].val[0] = 0;
        t[i].str = t[i].val;
    }
    t[OPT_MODEL].str = lf_model_spec(run->model);
    t[OPT_LOSS].str = lf_loss_spec(run->loss);
    t[OPT_OPTIM].str = lf_optim_spec(run->optim);
    t[OPT_SCHEDULE].str = lf_schedule_spec(run->sched);
    t[OPT_DATA].str = o->data ? o->data : "";
    const char *given[4] = {o->model, o->loss, o->optim, o->schedule ? o->schedule : "constant"};
    for (int i = 0; i < 4; i++) t[OPT_GIVEN + i].str = given[i] ? given[i] : "";
    t[OPT_ON_NAN].str = on_nan_names[o->on_nan == LF_ON_NAN_SKIP];
    snprintf(t[OPT_EPOCHS].val, NUM_TEXT, "%d", o->epochs);
    snprintf(t[OPT_BATCH].val, NUM_TEXT, "%lld", (long long)o->batch);
    snprintf(t[OPT_SEED].val, NUM_TEXT, "%llu", (unsigned long long)o->seed);
    snprintf(t[OPT_VAL_SPLIT].val, NUM_TEXT, "%.17g", o->val_split);
    snprintf(t[OPT_CLIP_NORM].val, NUM_TEXT, "%.17g", o->clip_norm);
    snprintf(t[OPT_DECAY_BIAS].val, NUM_TEXT, "%d", o->decay_bias != 0);
    snprintf(t[OPT_THREADS].val, NUM_TEXT, "%d", lf_get_threads());
    snprintf(t[OPT_EVERY].val, NUM_TEXT, "%lld", (long long)o->checkpoint_every);
}

/* CRC-32 of "key=value\n" over the option keys, in table order. */
static uint32_t meta_crc(const char *const *key, const char *const *val, int n)
{
    uLong c = crc32_z(0, Z_NULL, 0);
    for (int i = 0; i < n; i++) {
        c = crc32_z(c, (const Bytef *)key[i], strlen(key[i]));
        c = crc32_z(c, (const Bytef *)"=", 1);
        c = crc32_z(c, (const Bytef *)val[i], strlen(val[i]));
        c = crc32_z(c, (const Bytef *)"\n", 1);
    }
    return (uint32_t)c;
}

uint32_t lf_dataset_crc(const lf_dataset *ds)
{
    int64_t head[6] = {ds->n, ds->d, ds->ndim, ds->shape[0], ds->shape[1], ds->shape[2]};
    uLong c = crc32_z(crc32_z(0, Z_NULL, 0), (const Bytef *)head, sizeof head);
    size_t nd = (size_t)(ds->n * ds->d);
    if (ds->x8) c = crc32_z(c, ds->x8, nd);
    else if (ds->x) c = crc32_z(c, (const Bytef *)ds->x, nd * sizeof *ds->x);
    if (ds->y) c = crc32_z(c, (const Bytef *)ds->y, (size_t)ds->n * sizeof *ds->y);
    return (uint32_t)c;
}

/* ------------------------------------------------------------------ save */

typedef struct ckpt_buf {
    int64_t pos[POS_N];
    double sums[SUM_N];
    int64_t rng[4];
    double *hist;
} ckpt_buf;

static void fill_buf(const lf_ckpt_run *run, const lf_train_pos *p, ckpt_buf *b)
{
    int64_t v[POS_N] = {p->step, p->epoch, p->offset, p->hits, p->counted, p->skipped,
                        lf_optim_steps(run->optim), run->n_train, run->data_crc};
    memcpy(b->pos, v, sizeof v);
    b->sums[SUM_LOSS] = p->loss_sum;
    b->sums[SUM_SECONDS] = p->seconds;
    memcpy(b->rng, p->rng_epoch.s, sizeof b->rng);
    for (int i = 0; i + 1 < p->epoch; i++) {
        double *row = b->hist + (size_t)i * HIST_COLS;
        row[0] = p->hist[i].epoch;
        for (int j = 1; j < HIST_COLS; j++)
            memcpy(&row[j], (const char *)&p->hist[i] + HIST_FIELDS[j - 1], sizeof *row);
    }
}

static lf_st_entry entry(const char *name, lf_dtype dtype, int ndim, int64_t d0, int64_t d1,
                         const void *data)
{
    lf_st_entry e = {name, dtype, ndim, {d0, d1, 1, 1}, data};
    return e;
}

/* A state buffer of the optimizer ("optim.<name>", in its own dtype) or of the loss
 * ("loss.<name>", F32, sized by lf_loss_bind): whatever they enumerate is saved and restored. */
typedef struct state_buf {
    char key[80];
    void *data;
    int64_t n;
    lf_dtype dtype;
} state_buf;

static int state_count(const lf_ckpt_run *run)
{
    return lf_optim_state_count(run->optim) + lf_loss_state_count(run->loss);
}

/* Fills b[0..state_count): the optimizer's buffers, then the loss's. */
static lf_status state_bufs(const lf_ckpt_run *run, state_buf *b)
{
    int no = lf_optim_state_count(run->optim);
    for (int i = 0; i < state_count(run); i++) {
        const char *name = NULL;
        b[i].dtype = LF_F32;
        b[i].data = i < no ? lf_optim_state_raw(run->optim, i, &name, &b[i].n, &b[i].dtype)
                           : lf_loss_state(run->loss, i - no, &name, &b[i].n);
        if (!name || (!b[i].data && b[i].n > 0))
            return lf_error(LF_EINVAL, "checkpoint: %s state buffer %d is missing",
                            i < no ? "optimizer" : "loss", i < no ? i : i - no);
        snprintf(b[i].key, sizeof b[i].key, "%s.%s", i < no ? "optim" : "loss", name);
    }
    return LF_OK;
}

/* Metadata: the model file's pairs (format replaced), the options, then their CRC. */
static int build_meta(const lf_model_file *mf, const opt_text *t, const char **kv, char *crc)
{
    int n = 0;
    kv[n++] = "format";
    kv[n++] = CKPT_FORMAT;
    for (int i = 2; i < 8; i += 2) {
        if (!strcmp(mf->meta[i], "model")) continue; /* an option below */
        kv[n++] = mf->meta[i];
        kv[n++] = mf->meta[i + 1];
    }
    const char *keys[OPT_N], *vals[OPT_N];
    for (int i = 0; i < OPT_N; i++) {
        kv[n++] = keys[i] = OPTS[i].key;
        kv[n++] = vals[i] = t[i].str;
    }
    snprintf(crc, 16, "%08" PRIx32, meta_crc(keys, vals, OPT_N));
    kv[n++] = "meta_crc32";
    kv[n++] = crc;
    return n / 2;
}

static lf_status write_file(const char *path, const lf_ckpt_run *run, const lf_model_file *mf,
                            const ckpt_buf *cb, int epochs_done)
{
    int nst = state_count(run), n = mf->n;
    lf_st_entry *e = calloc((size_t)mf->n + (size_t)nst + 4, sizeof *e);
    state_buf *b = calloc((size_t)nst + 1, sizeof *b);
    lf_status s = e && b ? LF_OK : lf_error(LF_ENOMEM, "%s: out of memory", path);
    if (s == LF_OK) s = state_bufs(run, b);
    if (s == LF_OK) {
        memcpy(e, mf->e, (size_t)mf->n * sizeof *e);
        for (int i = 0; i < nst; i++) e[n++] = entry(b[i].key, b[i].dtype, 1, b[i].n, 1, b[i].data);
    }
    if (s == LF_OK) {
        e[n++] = entry("train.pos", LF_I64, 1, POS_N, 1, cb->pos);
        e[n++] = entry("train.sums", LF_F64, 1, SUM_N, 1, cb->sums);
        e[n++] = entry("train.rng", LF_I64, 1, 4, 1, cb->rng);
        e[n++] = entry("train.hist", LF_F64, 2, epochs_done, HIST_COLS, cb->hist);
        opt_text t[OPT_N];
        const char *kv[2 * (OPT_N + 8)];
        char crc[16];
        opt_texts(run, t);
        int nmeta = build_meta(mf, t, kv, crc);
        s = lf_st_write_crc(path, e, n, kv, nmeta);
    }
    free(b);
    free(e);
    return s;
}

lf_status lf_checkpoint_save(const char *path, const lf_ckpt_run *run, const lf_train_pos *pos)
{
    int done = pos->epoch > 0 ? pos->epoch - 1 : 0;
    ckpt_buf b;
    b.hist = malloc(((size_t)done + 1) * HIST_COLS * sizeof *b.hist);
    if (!b.hist) return lf_error(LF_ENOMEM, "%s: out of memory", path);
    fill_buf(run, pos, &b);
    lf_model_file mf;
    lf_status s = lf_model_file_init(&mf, run->model, run->norm);
    if (s == LF_OK) s = write_file(path, run, &mf, &b, done);
    lf_model_file_release(&mf);
    free(b.hist);
    return s;
}

/* ------------------------------------------------------------------ read */

static lf_status need_meta(const char *path, const lf_st *st, const char *key, const char **out)
{
    *out = lf_st_meta(st, key);
    if (!*out) return lf_error(LF_EFORMAT, "%s: checkpoint metadata \"%s\" is missing", path, key);
    return LF_OK;
}

/* The format tag and the options' CRC; vals[i] receives option i's text. */
static lf_status check_meta(const char *path, const lf_st *st, const char **vals)
{
    const char *fmt, *crc, *keys[OPT_N];
    lf_status s = need_meta(path, st, "format", &fmt);
    if (s == LF_OK && strcmp(fmt, CKPT_FORMAT) != 0)
        s = lf_error(LF_EFORMAT, "%s: not a lossforge checkpoint (format \"%.40s\", expected "
                     "\"%s\")", path, fmt, CKPT_FORMAT);
    for (int i = 0; s == LF_OK && i < OPT_N; i++)
        s = need_meta(path, st, keys[i] = OPTS[i].key, &vals[i]);
    if (s == LF_OK) s = need_meta(path, st, "meta_crc32", &crc);
    if (s != LF_OK) return s;
    char want[16];
    snprintf(want, sizeof want, "%08" PRIx32, meta_crc(keys, vals, OPT_N));
    if (strcmp(crc, want) != 0)
        return lf_error(LF_EFORMAT, "%s: checksum mismatch: meta_crc32 \"%.16s\" stored, %s "
                        "computed over the options (corrupt header)", path, crc, want);
    return LF_OK;
}

/* A tensor of exactly this dtype and shape (d1 = 0: one-dimensional), or an error naming it. */
static lf_status need_tensor(const char *path, const lf_st *st, const char *name, lf_dtype dt,
                             int64_t d0, int64_t d1, const lf_st_entry **out)
{
    const lf_st_entry *e = lf_st_get(st, name);
    int ndim = d1 ? 2 : 1;
    if (!e) return lf_error(LF_EFORMAT, "%s: checkpoint tensor \"%s\" is missing", path, name);
    if (e->dtype != dt || e->ndim != ndim || (d0 >= 0 && e->shape[0] != d0) ||
        (d1 && e->shape[1] != d1))
        return lf_error(LF_EFORMAT, "%s: checkpoint tensor \"%s\" has the wrong dtype or shape",
                        path, name);
    *out = e;
    return LF_OK;
}

/* The position as stored, with every field checked against the others and the options. */
typedef struct ckpt_pos {
    int64_t v[POS_N];
    double sums[SUM_N];
    lf_rng rng;
    const double *hist;
} ckpt_pos;

static lf_status check_pos(const char *path, const int64_t *v, int64_t hist_rows, int epochs)
{
    const char *bad = v[POS_N_TRAIN] < 1                                 ? "n_train"
                      : v[POS_EPOCH] < 1 || v[POS_EPOCH] > epochs         ? "epoch"
                      : v[POS_OFFSET] < 0 || v[POS_OFFSET] > v[POS_N_TRAIN] ? "offset"
                      : v[POS_STEP] < 0                                    ? "step"
                      : v[POS_COUNTED] < 0 || v[POS_COUNTED] > v[POS_OFFSET] ? "counted"
                      : v[POS_HITS] < 0 || v[POS_HITS] > v[POS_COUNTED]   ? "hits"
                      : v[POS_SKIPPED] < 0 || v[POS_SKIPPED] > v[POS_STEP] ? "skipped"
                      : v[POS_OPTIM_T] < 0 || v[POS_OPTIM_T] > v[POS_STEP] ? "optimizer steps"
                      : v[POS_DATA_CRC] < 0 || v[POS_DATA_CRC] > UINT32_MAX ? "data CRC"
                      : hist_rows != v[POS_EPOCH] - 1                      ? "history rows"
                                                                           : NULL;
    if (bad)
        return lf_error(LF_EFORMAT, "%s: checkpoint position field \"%s\" is out of range "
                        "(epoch %lld of %d, offset %lld of %lld)", path, bad,
                        (long long)v[POS_EPOCH], epochs, (long long)v[POS_OFFSET],
                        (long long)v[POS_N_TRAIN]);
    return LF_OK;
}

static lf_status read_pos(const char *path, const lf_st *st, int epochs, ckpt_pos *p)
{
    const lf_st_entry *ep, *es, *er, *eh;
    lf_status s = need_tensor(path, st, "train.pos", LF_I64, POS_N, 0, &ep);
    if (s == LF_OK) s = need_tensor(path, st, "train.sums", LF_F64, SUM_N, 0, &es);
    if (s == LF_OK) s = need_tensor(path, st, "train.rng", LF_I64, 4, 0, &er);
    if (s == LF_OK) s = need_tensor(path, st, "train.hist", LF_F64, -1, HIST_COLS, &eh);
    if (s != LF_OK) return s;
    memcpy(p->v, ep->data, sizeof p->v);
    memcpy(p->sums, es->data, sizeof p->sums);
    memcpy(p->rng.s, er->data, sizeof p->rng.s);
    p->hist = eh->data;
    s = check_pos(path, p->v, eh->shape[0], epochs);
    if (s == LF_OK && !(isfinite(p->sums[SUM_LOSS]) && isfinite(p->sums[SUM_SECONDS])))
        s = lf_error(LF_EFORMAT, "%s: checkpoint sums are not finite", path);
    for (int64_t i = 0; s == LF_OK && i < eh->shape[0]; i++)
        if (p->hist[i * HIST_COLS] != (double)(i + 1))
            s = lf_error(LF_EFORMAT, "%s: checkpoint history row %lld is not epoch %lld", path,
                         (long long)i, (long long)i + 1);
    return s;
}

/* Whole-text number parsing for the options; errors name the key and the text. */
static lf_status parse_num(const char *path, const char *key, const char *text, double lo,
                           double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end || errno || !(v >= lo && v <= hi))
        return lf_error(LF_EFORMAT, "%s: checkpoint option %s = \"%.40s\" is not a number in "
                        "[%g, %g]", path, key, text, lo, hi);
    *out = v;
    return LF_OK;
}

static lf_status copy_text(const char *path, const char *key, const char *text, char *buf,
                           size_t cap)
{
    if (strlen(text) >= cap)
        return lf_error(LF_EFORMAT, "%s: checkpoint option %s is longer than %zu bytes", path,
                        key, cap - 1);
    strcpy(buf, text);
    return LF_OK;
}

static lf_status parse_info(const char *path, const char *const *v, lf_checkpoint_info *ci)
{
    char *end;
    lf_status s = LF_OK;
    double x[6];
    const int num[6] = {OPT_EPOCHS,    OPT_BATCH,     OPT_THREADS,
                        OPT_EVERY,     OPT_CLIP_NORM, OPT_DECAY_BIAS};
    const double hi[6] = {INT32_MAX, INT32_MAX, 4096, 9e18, DBL_MAX, 1};
    for (int i = 0; s == LF_OK && i < 6; i++)
        s = parse_num(path, OPTS[num[i]].key, v[num[i]], 0, hi[i], &x[i]);
    if (s == LF_OK) s = parse_num(path, "val_split", v[OPT_VAL_SPLIT], 0, 1, &ci->val_split);
    if (s != LF_OK) return s;
    ci->epochs = (int)x[0];
    ci->batch = (int64_t)x[1];
    ci->threads = (int)x[2];
    ci->checkpoint_every = (int64_t)x[3];
    ci->clip_norm = x[4];
    ci->decay_bias = (int)x[5];
    errno = 0;
    ci->seed = strtoull(v[OPT_SEED], &end, 10);
    if (end == v[OPT_SEED] || *end || errno || v[OPT_SEED][0] == '-')
        return lf_error(LF_EFORMAT, "%s: checkpoint option seed = \"%.40s\" is not an unsigned "
                        "integer", path, v[OPT_SEED]);
    ci->on_nan = !strcmp(v[OPT_ON_NAN], on_nan_names[1]) ? LF_ON_NAN_SKIP : LF_ON_NAN_STOP;
    if (strcmp(v[OPT_ON_NAN], on_nan_names[ci->on_nan]) != 0)
        return lf_error(LF_EFORMAT, "%s: checkpoint option on_nan = \"%.40s\" is not stop or "
                        "skip-batch", path, v[OPT_ON_NAN]);
    char *const dst[5] = {ci->model, ci->loss, ci->optim, ci->schedule, ci->data};
    const size_t cap[5] = {sizeof ci->model, sizeof ci->loss, sizeof ci->optim,
                           sizeof ci->schedule, sizeof ci->data};
    const int from[5] = {OPT_GIVEN, OPT_GIVEN + 1, OPT_GIVEN + 2, OPT_GIVEN + 3, OPT_DATA};
    for (int i = 0; s == LF_OK && i < 5; i++)
        s = copy_text(path, OPTS[from[i]].key, v[from[i]], dst[i], cap[i]);
    return s;
}

lf_status lf_checkpoint_read_info(const char *path, lf_checkpoint_info *out)
{
    if (!path || !out) return lf_error(LF_EINVAL, "lf_checkpoint_read_info: NULL argument");
    lf_checkpoint_info *ci = calloc(1, sizeof *ci);
    if (!ci) return lf_error(LF_ENOMEM, "%s: out of memory", path);
    lf_st *st = NULL;
    const char *vals[OPT_N];
    ckpt_pos p;
    lf_status s = lf_st_read(path, &st);
    if (s == LF_OK) s = check_meta(path, st, vals);
    if (s == LF_OK) s = parse_info(path, vals, ci);
    if (s == LF_OK) s = read_pos(path, st, ci->epochs, &p);
    if (s == LF_OK) {
        ci->step = p.v[POS_STEP];
        ci->epoch = (int)p.v[POS_EPOCH];
        *out = *ci;
    }
    lf_st_free(st);
    free(ci);
    return s;
}

void lf_checkpoint_train_opts(const lf_checkpoint_info *ci, lf_train_opts *o)
{
    o->model = ci->model;
    o->loss = ci->loss;
    o->optim = ci->optim;
    o->schedule = ci->schedule;
    o->data = ci->data[0] ? ci->data : NULL;
    o->epochs = ci->epochs;
    o->batch = ci->batch;
    o->seed = ci->seed;
    o->threads = ci->threads;
    o->val_split = ci->val_split;
    o->clip_norm = ci->clip_norm;
    o->checkpoint_every = ci->checkpoint_every;
    o->on_nan = ci->on_nan;
    o->decay_bias = ci->decay_bias;
}

/* ------------------------------------------------------------------ restore */

/* Every option a resumed run must share with the checkpointed one. */
static lf_status check_same_run(const char *path, const lf_ckpt_run *run, const char *const *vals,
                                const ckpt_pos *p)
{
    opt_text t[OPT_N];
    opt_texts(run, t);
    for (int i = 0; i < OPT_N; i++)
        if (OPTS[i].must_match && strcmp(vals[i], t[i].str) != 0)
            return lf_error(LF_EINVAL, "%s: the checkpoint is of a run with %s \"%.200s\"; this "
                            "run has \"%.200s\"", path, OPTS[i].key, vals[i], t[i].str);
    if (p->v[POS_N_TRAIN] != run->n_train || (uint32_t)p->v[POS_DATA_CRC] != run->data_crc)
        return lf_error(LF_EINVAL, "%s: the checkpoint was trained on other data (%lld training "
                        "rows, data CRC %08" PRIx32 "; now %lld rows, CRC %08" PRIx32 ")", path,
                        (long long)p->v[POS_N_TRAIN], (uint32_t)p->v[POS_DATA_CRC],
                        (long long)run->n_train, run->data_crc);
    return LF_OK;
}

static lf_status restore_model(const char *path, const lf_st *st, const lf_ckpt_run *run)
{
    lf_params *p = lf_model_params(run->model);
    lf_status s = LF_OK;
    for (int i = 0; s == LF_OK && i < p->n; i++)
        s = lf_st_copy_f32(path, st, p->t[i].name, p->t[i].data, p->t[i].size);
    int64_t d = 1;
    for (int i = 0; i < lf_model_in_ndim(run->model); i++) d *= lf_model_in_shape(run->model)[i];
    const char *names[2] = {"norm.mean", "norm.std"};
    for (int j = 0; s == LF_OK && j < 2; j++) {
        const lf_st_entry *e;
        s = need_tensor(path, st, names[j], LF_F32, d, 0, &e);
        const float *mine = j ? run->norm->std : run->norm->mean;
        if (s == LF_OK && memcmp(e->data, mine, (size_t)d * sizeof(float)) != 0)
            s = lf_error(LF_EINVAL, "%s: %s differs from this run's: other training data", path,
                         names[j]);
    }
    return s;
}

static lf_status restore_state(const char *path, const lf_st *st, const lf_ckpt_run *run,
                               int64_t optim_steps)
{
    int nst = state_count(run);
    state_buf *b = calloc((size_t)nst + 1, sizeof *b);
    lf_status s = b ? state_bufs(run, b) : lf_error(LF_ENOMEM, "%s: out of memory", path);
    for (int i = 0; s == LF_OK && i < nst; i++) {
        const lf_st_entry *e;
        s = need_tensor(path, st, b[i].key, b[i].dtype, b[i].n, 0, &e);
        if (s == LF_OK && b[i].n > 0)
            memcpy(b[i].data, e->data, (size_t)b[i].n * lf_dtype_size(b[i].dtype));
    }
    free(b);
    if (s == LF_OK) lf_optim_set_steps(run->optim, optim_steps);
    return s;
}

static void restore_pos(const ckpt_pos *p, lf_train_pos *pos)
{
    pos->step = p->v[POS_STEP];
    pos->epoch = (int)p->v[POS_EPOCH];
    pos->offset = p->v[POS_OFFSET];
    pos->hits = p->v[POS_HITS];
    pos->counted = p->v[POS_COUNTED];
    pos->skipped = p->v[POS_SKIPPED];
    pos->loss_sum = p->sums[SUM_LOSS];
    pos->seconds = p->sums[SUM_SECONDS];
    pos->rng_epoch = p->rng;
    for (int i = 0; i + 1 < pos->epoch; i++) {
        const double *row = p->hist + (size_t)i * HIST_COLS;
        pos->hist[i].epoch = i + 1; /* read_pos checked row[0] */
        for (int j = 1; j < HIST_COLS; j++)
            memcpy((char *)&pos->hist[i] + HIST_FIELDS[j - 1], &row[j], sizeof *row);
    }
}

lf_status lf_checkpoint_restore(const char *path, const lf_ckpt_run *run, lf_train_pos *pos)
{
    lf_st *st = NULL;
    const char *vals[OPT_N];
    ckpt_pos p;
    lf_status s = lf_st_read(path, &st);
    if (s == LF_OK) s = check_meta(path, st, vals);
    if (s == LF_OK) s = read_pos(path, st, run->o->epochs, &p);
    if (s == LF_OK) s = check_same_run(path, run, vals, &p);
    if (s == LF_OK) s = restore_model(path, st, run);
    if (s == LF_OK) s = restore_state(path, st, run, p.v[POS_OPTIM_T]);
    if (s == LF_OK) restore_pos(&p, pos);
    lf_st_free(st);
    return s;
}
