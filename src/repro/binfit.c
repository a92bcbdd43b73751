/* One-output (binary score) training for the binary-loss experiments: minibatches through the
 * public pieces (lf_model_forward, lf_op_loss, lf_backward, lf_optim_step), scored by
 * lf_binary_metrics (accuracy, F1, balanced accuracy, AUC). Unlike lf_train it takes row
 * subsets of one dataset (cross-validation folds, no copies), scores F1 / AUC after every
 * epoch, and runs the AnyLoss paper's MSE baseline on sigmoid(score). */
#include "binfit.h"

#include <math.h>
#include <string.h>

#define SCORE_BATCH 512

typedef struct fit {
    const lf_binfit *o;
    const lf_dataset *ds;
    lf_norm norm;          /* of the training rows */
    lf_model *model;
    lf_loss *loss;
    lf_optim *optim;
    lf_tape *tape;
    int mse;               /* loss on sigmoid(s) with the label as target */
    float *xb, *tb, *scores;
    int32_t *yb;
    int64_t *perm, *order, step;
} fit;

static lf_status fit_build(fit *f, int64_t ntr, int64_t nte)
{
    const lf_binfit *o = f->o;
    const lf_dataset *ds = f->ds;
    f->mse = strcmp(o->loss, "mse") == 0;
    lf_status s = lf_model_create(o->model, ds->ndim, ds->shape, 1, o->seed, &f->model);
    if (s == LF_OK) s = lf_loss_create(o->loss, &f->loss);
    if (s == LF_OK) s = lf_optim_create(o->optim, lf_model_params(f->model)->size, NULL, &f->optim);
    if (s != LF_OK) return s;
    const int64_t rows = o->batch > SCORE_BATCH ? o->batch : SCORE_BATCH;
    f->tape = lf_tape_new();
    f->xb = malloc((size_t)(rows * ds->d) * sizeof *f->xb);
    f->tb = malloc((size_t)rows * sizeof *f->tb);
    f->yb = malloc((size_t)rows * sizeof *f->yb);
    f->scores = malloc((size_t)(nte ? nte : 1) * sizeof *f->scores);
    f->perm = malloc((size_t)ntr * sizeof *f->perm);
    f->order = malloc((size_t)ntr * sizeof *f->order);
    if (!f->tape || !f->xb || !f->tb || !f->yb || !f->scores || !f->perm || !f->order)
        return lf_error(LF_ENOMEM, "binfit: out of memory");
    return LF_OK;
}

static void fit_release(fit *f)
{
    lf_model_free(f->model);
    lf_loss_free(f->loss);
    lf_optim_free(f->optim);
    lf_tape_free(f->tape);
    lf_norm_release(&f->norm);
    free(f->xb);
    free(f->tb);
    free(f->yb);
    free(f->scores);
    free(f->perm);
    free(f->order);
}

/* The model's scores of rows idx[0..nb), gathered into f->xb, on the reset tape. */
static lf_tensor *forward(fit *f, const int64_t *idx, int64_t nb)
{
    const lf_dataset *ds = f->ds;
    lf_gather_rows(ds, idx, nb, &f->norm, f->xb, f->yb);
    int64_t shape[4] = {nb, ds->shape[0], ds->shape[1], ds->shape[2]};
    lf_tape_reset(f->tape);
    return lf_model_forward(f->model, f->tape, lf_tape_wrap(f->tape, f->xb, ds->ndim + 1, shape));
}

static lf_status train_step(fit *f, const int64_t *idx, int64_t nb)
{
    lf_tape *t = f->tape;
    lf_tape_set_train(t, 1, f->o->seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(++f->step)));
    lf_tensor *s = forward(f, idx, nb), *loss;
    if (f->mse) {
        for (int64_t i = 0; i < nb; i++) f->tb[i] = (float)f->yb[i];
        loss = lf_op_loss(t, f->loss, lf_sigmoid(t, s), &(lf_batch){.label = f->yb, .target = f->tb});
    } else {
        loss = lf_op_loss(t, f->loss, s, &(lf_batch){.label = f->yb});
    }
    lf_status st = lf_tape_status(t);
    if (st != LF_OK) return st;
    if (!isfinite(loss->data[0]))
        return lf_error(LF_ENUMERIC, "binfit: loss %s is %g at step %lld", lf_loss_spec(f->loss),
                        (double)loss->data[0], (long long)f->step);
    lf_params *p = lf_model_params(f->model);
    lf_params_zero_grad(p);
    st = lf_backward(t, loss);
    return st == LF_OK ? lf_optim_step(f->optim, p->data, p->grad, 1.0) : st;
}

static lf_status score_rows(fit *f, const int64_t *rows, int64_t n, lf_binmetrics *m)
{
    int32_t *y = malloc((size_t)(n ? n : 1) * sizeof *y);
    if (!y) return lf_error(LF_ENOMEM, "binfit: out of memory");
    lf_tape_set_train(f->tape, 0, 0);
    lf_status s = LF_OK;
    for (int64_t off = 0; off < n && s == LF_OK; off += SCORE_BATCH) {
        const int64_t nb = n - off < SCORE_BATCH ? n - off : SCORE_BATCH;
        lf_tensor *out = forward(f, rows + off, nb);
        s = lf_tape_status(f->tape);
        if (s != LF_OK) break;
        memcpy(f->scores + off, out->data, (size_t)nb * sizeof *f->scores);
        memcpy(y + off, f->yb, (size_t)nb * sizeof *y);
    }
    if (s == LF_OK) lf_binary_metrics(f->scores, y, n, m);
    free(y);
    return s;
}

static lf_status run_epoch(fit *f, const int64_t *train, int64_t ntr, lf_rng *rng)
{
    lf_rng_permutation(rng, f->perm, ntr);
    for (int64_t i = 0; i < ntr; i++) f->order[i] = train[f->perm[i]];
    lf_status s = LF_OK;
    for (int64_t off = 0; off < ntr && s == LF_OK; off += f->o->batch) {
        const int64_t nb = ntr - off < f->o->batch ? ntr - off : f->o->batch;
        s = train_step(f, f->order + off, nb);
    }
    return s;
}

lf_status lf_binfit_run(const lf_binfit *o, const lf_dataset *ds, const int64_t *train,
                        int64_t ntr, const int64_t *test, int64_t nte, lf_binmetrics *final,
                        lf_binmetrics *per_epoch)
{
    if (ntr < 1 || o->epochs < 1 || o->batch < 1)
        return lf_error(LF_EINVAL, "binfit: needs training rows, epochs >= 1 and batch >= 1");
    fit f = {.o = o, .ds = ds};
    lf_status s = lf_norm_fit(ds, train, ntr, &f.norm);
    if (s == LF_OK) s = fit_build(&f, ntr, nte);
    lf_rng rng;
    lf_rng_seed(&rng, o->seed);
    for (int e = 0; s == LF_OK && e < o->epochs; e++) {
        s = run_epoch(&f, train, ntr, &rng);
        if (s == LF_OK && per_epoch) s = score_rows(&f, test, nte, &per_epoch[e]);
    }
    if (s == LF_OK) s = score_rows(&f, test, nte, final);
    fit_release(&f);
    return s;
}
