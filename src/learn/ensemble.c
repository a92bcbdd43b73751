/* Ensembles scored by their averaged predictive distribution, and the calibration metrics that
 * score them.
 *
 * SGLD ensembles (the Bayesian mixture of the universality-lens paper, approximated by posterior
 * samples): one run of lf_train; at the end of epochs burn_in + thin, burn_in + 2*thin, ... the
 * on_epoch hook scores the current parameters on the test set and adds their probabilities,
 * weighted 1/M, to the mixture. Only probabilities are kept in memory (n_test × k doubles), not
 * M parameter copies; with an output directory each sample is also written as a model file.
 * Deep ensembles: M runs with seeds seed .. seed+M-1, each scored by the same hook at its last
 * epoch (the hook is where the run's input standardisation is at hand). */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------ metrics */
lf_status lf_calibration(const double *prob, const int32_t *y, int64_t n, int64_t k, int bins,
                         lf_calib *out)
{
    if (!prob || !y || !out || n < 1 || k < 1 || bins < 1)
        return lf_error(LF_EINVAL, "calibration: need probabilities, labels, n >= 1, k >= 1 and "
                        "bins >= 1 (got n = %lld, k = %lld, bins = %d)", (long long)n,
                        (long long)k, bins);
    double *acc_b = calloc((size_t)bins * 3, sizeof *acc_b);
    if (!acc_b) return lf_error(LF_ENOMEM, "calibration: out of memory");
    double *conf_b = acc_b + bins, *cnt_b = acc_b + 2 * (size_t)bins;
    double hits = 0, nll = 0;
    for (int64_t i = 0; i < n; i++) {
        const double *p = prob + i * k;
        if (y[i] < 0 || y[i] >= k) {
            free(acc_b);
            return lf_error(LF_EINVAL, "calibration: label %d of row %lld is outside [0, %lld)",
                            y[i], (long long)i, (long long)k);
        }
        int64_t best = 0;
        for (int64_t j = 1; j < k; j++)
            if (p[j] > p[best]) best = j;
        const double conf = p[best], hit = best == y[i];
        /* Bin i holds (i/bins, (i+1)/bins]: ceil(conf*bins) - 1, clamped. */
        int b = (int)ceil(conf * bins) - 1;
        b = b < 0 ? 0 : b >= bins ? bins - 1 : b;
        acc_b[b] += hit;
        conf_b[b] += conf;
        cnt_b[b] += 1;
        hits += hit;
        nll -= log(fmax(p[y[i]], 1e-300));
    }
    double ece = 0;
    for (int b = 0; b < bins; b++) ece += fabs(acc_b[b] - conf_b[b]); /* = |B|*|acc-conf| */
    free(acc_b);
    *out = (lf_calib){.acc = hits / (double)n, .nll = nll / (double)n, .ece = ece / (double)n};
    return LF_OK;
}

/* Row-wise softmax of nb×k logits in double, times weight, added to prob. */
static void add_softmax(const float *logits, int64_t nb, int64_t k, double weight, double *prob)
{
    for (int64_t i = 0; i < nb; i++) {
        const float *z = logits + i * k;
        double mx = z[0], sum = 0;
        for (int64_t j = 1; j < k; j++) mx = fmax(mx, z[j]);
        for (int64_t j = 0; j < k; j++) sum += exp(z[j] - mx);
        for (int64_t j = 0; j < k; j++) prob[i * k + j] += weight * exp(z[j] - mx) / sum;
    }
}

lf_status lf_predict_proba_add(lf_model *m, const lf_dataset *ds, const lf_norm *norm,
                               double weight, double *prob)
{
    if (!m || !ds || !prob) return lf_error(LF_EINVAL, "predict: model, dataset or prob is NULL");
    int64_t d = 1;
    for (int i = 0; i < m->in_ndim; i++) d *= m->in_shape[i];
    if (ds->d != d)
        return lf_error(LF_EINVAL, "predict: dataset \"%s\" has %lld features per row, the model "
                        "takes %s", ds->name, (long long)ds->d, m->spec);
    enum { BATCH = 512 };
    lf_tape *t = lf_tape_new();
    float *xb = malloc((size_t)(BATCH * ds->d) * sizeof *xb);
    int64_t *idx = malloc(BATCH * sizeof *idx);
    lf_status s = t && xb && idx ? LF_OK : lf_error(LF_ENOMEM, "predict: out of memory");
    if (t) lf_tape_set_train(t, 0, 0);
    const int64_t k = m->n_out;
    for (int64_t off = 0; off < ds->n && s == LF_OK; off += BATCH) {
        const int64_t nb = ds->n - off < BATCH ? ds->n - off : BATCH;
        for (int64_t i = 0; i < nb; i++) idx[i] = off + i;
        lf_gather_rows(ds, idx, nb, norm, xb, NULL);
        int64_t shape[4] = {nb, m->in_shape[0], m->in_shape[1], m->in_shape[2]};
        lf_tape_reset(t);
        lf_tensor *logits = lf_model_forward(m, t, lf_tape_wrap(t, xb, m->in_ndim + 1, shape));
        s = lf_tape_status(t);
        if (s == LF_OK) add_softmax(logits->data, nb, k, weight, prob + off * k);
    }
    lf_tape_free(t);
    free(xb);
    free(idx);
    return s;
}

/* ------------------------------------------------------------------ ensembles */
typedef struct ens_run {
    const lf_train_opts *user; /* the caller's options (its on_epoch is chained) */
    const lf_ensemble_opts *e;
    const lf_dataset *test;
    int burn_in, epochs;
    int taken;
    double *mix, *one;           /* n_test × k: the mixture so far; the latest sample */
    int64_t k;
    lf_calib single, mean;       /* mean: a running sum over the members until the end */
} ens_run;

static int is_sample_epoch(const ens_run *r, int epoch)
{
    if (r->e->kind == LF_ENSEMBLE_DEEP) return epoch == r->epochs;
    return epoch > r->burn_in && (epoch - r->burn_in) % r->e->thin == 0;
}

static lf_status save_sample(const ens_run *r, lf_model *m, const lf_norm *norm)
{
    if (!r->user->out_dir || r->e->kind != LF_ENSEMBLE_SGLD) return LF_OK;
    char path[4096];
    snprintf(path, sizeof path, "%s/sample-%d.safetensors", r->user->out_dir, r->taken);
    return lf_model_save(m, norm, path);
}

static lf_status take_sample(ens_run *r, lf_model *m, const lf_norm *norm)
{
    const int64_t n = r->test->n;
    if (!r->mix) {
        r->k = lf_model_n_out(m);
        r->mix = calloc((size_t)(2 * n * r->k), sizeof *r->mix);
        if (!r->mix) return lf_error(LF_ENOMEM, "ensemble: out of memory");
        r->one = r->mix + n * r->k;
    }
    memset(r->one, 0, (size_t)(n * r->k) * sizeof *r->one);
    lf_status s = lf_predict_proba_add(m, r->test, norm, 1.0, r->one);
    lf_calib c;
    if (s == LF_OK) s = lf_calibration(r->one, r->test->y, n, r->k, LF_ECE_BINS, &c);
    if (s != LF_OK) return s;
    const double w = 1.0 / r->e->members;
    for (int64_t i = 0; i < n * r->k; i++) r->mix[i] += w * r->one[i];
    /* deep: the first member is the single model; SGLD: the last sample (the run's model). */
    if (r->e->kind == LF_ENSEMBLE_SGLD || r->taken == 0) r->single = c;
    r->mean.acc += c.acc;
    r->mean.nll += c.nll;
    r->mean.ece += c.ece;
    r->taken++;
    return save_sample(r, m, norm);
}

static lf_status ens_on_epoch(void *user, lf_model *m, const lf_norm *norm, const lf_epoch_stats *e)
{
    ens_run *r = user;
    if (r->user->on_epoch) {
        lf_status s = r->user->on_epoch(r->user->user, m, norm, e);
        if (s != LF_OK) return s;
    }
    return is_sample_epoch(r, e->epoch) ? take_sample(r, m, norm) : LF_OK;
}

static lf_status check_ensemble(const lf_train_opts *o, const lf_ensemble_opts *e,
                                const lf_dataset *test, int *burn_in)
{
    if (e->members < 1)
        return lf_error(LF_EINVAL, "ensemble: --ensemble must be >= 1, got %d", e->members);
    if (!test->n || !test->y)
        return lf_error(LF_EINVAL, "ensemble: the dataset has no labelled test split to score "
                        "the ensemble on");
    if (e->kind == LF_ENSEMBLE_DEEP) return LF_OK;
    if (e->kind != LF_ENSEMBLE_SGLD) return lf_error(LF_EINVAL, "ensemble: unknown kind %d", e->kind);
    if (e->thin < 1) return lf_error(LF_EINVAL, "ensemble: --thin must be >= 1, got %d", e->thin);
    const int64_t span = (int64_t)e->members * e->thin;
    *burn_in = e->burn_in < 0 ? (int)(o->epochs - span) : e->burn_in;
    if (*burn_in < 0 || *burn_in + span != o->epochs)
        return lf_error(LF_EINVAL, "ensemble: an SGLD ensemble of %d samples every %d epochs "
                        "after a burn-in of %d epochs needs --epochs = burn-in + members*thin, "
                        "got --epochs %d", e->members, e->thin, e->burn_in < 0 ? 0 : e->burn_in,
                        o->epochs);
    return LF_OK;
}

static void write_calib(FILE *f, const char *key, const lf_calib *c)
{
    fprintf(f, "\"%s\":{\"acc\":%.9g,\"nll\":%.9g,\"ece\":%.9g},", key, c->acc, c->nll, c->ece);
}

static lf_status write_summary(const lf_train_opts *o, const lf_ensemble_opts *e, int burn_in,
                               const lf_ensemble_result *res)
{
    if (!o->out_dir) return LF_OK;
    char path[4096];
    snprintf(path, sizeof path, "%s/ensemble.json", o->out_dir);
    lf_status s = lf_mkdirs(o->out_dir, "--out");
    FILE *f = s == LF_OK ? fopen(path, "w") : NULL;
    if (s != LF_OK) return s;
    if (!f) return lf_error(LF_EIO, "%s: cannot write: %s", path, strerror(errno));
    fprintf(f, "{\"kind\":\"%s\",\"members\":%d,\"burn_in\":%d,\"thin\":%d,\"optim\":",
            e->kind == LF_ENSEMBLE_SGLD ? "sgld" : "deep", e->members, burn_in, e->thin);
    lf_json_string(f, o->optim);
    fputc(',', f);
    write_calib(f, "single", &res->single);
    write_calib(f, "member_mean", &res->member_mean);
    write_calib(f, "ensemble", &res->ensemble);
    fprintf(f, "\"ece_bins\":%d,\"seconds\":%.6g}\n", LF_ECE_BINS, res->seconds);
    int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    return bad ? lf_error(LF_EIO, "%s: write failed: %s", path, strerror(errno)) : LF_OK;
}

/* The runs: one for SGLD, M for deep (seed+i, output in <out>/member-<i>). The test set is
 * scored by the hook only, so lf_train gets an empty one. */
static lf_status run_members(ens_run *r, const lf_train_opts *base, const lf_dataset *train)
{
    const lf_dataset none = {0};
    const int runs = r->e->kind == LF_ENSEMBLE_DEEP ? r->e->members : 1;
    lf_status s = LF_OK;
    for (int i = 0; i < runs && s == LF_OK; i++) {
        lf_train_opts o = *base;
        char dir[4096];
        o.seed = base->seed + (uint64_t)i;
        o.on_epoch = ens_on_epoch;
        o.user = r;
        if (base->out_dir && runs > 1) {
            snprintf(dir, sizeof dir, "%s/member-%d", base->out_dir, i);
            o.out_dir = dir;
        }
        s = lf_train(&o, train, &none, NULL, NULL);
    }
    return s;
}

lf_status lf_train_ensemble(const lf_train_opts *o, const lf_ensemble_opts *e,
                            const lf_dataset *train, const lf_dataset *test,
                            lf_ensemble_result *res)
{
    if (!o || !e || !train || !test)
        return lf_error(LF_EINVAL, "ensemble: options or datasets are NULL");
    int burn_in = 0;
    lf_status s = check_ensemble(o, e, test, &burn_in);
    if (s != LF_OK) return s;
    const double t0 = lf_now();
    const int64_t n_train = train->n - (int64_t)llround(o->val_split * (double)train->n);
    char optim[1024];
    if ((s = lf_sgld_spec_fill(o->optim, n_train, optim, sizeof optim)) != LF_OK) return s;
    lf_train_opts base = *o;
    base.optim = optim;
    ens_run r = {.user = o, .e = e, .test = test, .burn_in = burn_in, .epochs = o->epochs};
    s = run_members(&r, &base, train);
    const double per = r.taken ? 1.0 / r.taken : 0;
    lf_ensemble_result out = {.single = r.single, .members = r.taken,
                              .member_mean = {r.mean.acc * per, r.mean.nll * per, r.mean.ece * per}};
    if (s == LF_OK && r.taken != e->members)
        s = lf_error(LF_EINVAL, "ensemble: took %d samples, expected %d", r.taken, e->members);
    if (s == LF_OK) s = lf_calibration(r.mix, test->y, test->n, r.k, LF_ECE_BINS, &out.ensemble);
    out.seconds = lf_now() - t0;
    if (s == LF_OK) s = write_summary(&base, e, burn_in, &out);
    free(r.mix);
    if (s == LF_OK && res) *res = out;
    return s;
}
