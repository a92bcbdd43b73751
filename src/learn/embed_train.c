/* Training an embedding model: the model's outputs are the embedding, batches come from the
 * class-balanced sampler (P×K, or N-way K-shot Q-query episodes for the few-shot losses), an
 * optional miner picks the pairs the loss sees, and the step is the usual tape + optimizer. */
#include "internal.h"

#include <math.h>
#include <string.h>

void lf_embed_opts_default(lf_embed_opts *o)
{
    memset(o, 0, sizeof *o);
    o->model = "mlp:256";
    o->loss = "ms";
    o->optim = "adamw:lr=1e-3";
    o->dim = 64;
    o->p = 8;
    o->k = 4;
    o->steps = 1000;
    o->seed = 1;
}

typedef struct embed_trainer {
    const lf_embed_opts *o;
    const lf_dataset *data;
    int64_t *rows, nrows, batch;
    lf_norm norm;
    lf_sampler *sampler;
    lf_model *model;
    lf_loss *loss;
    lf_miner *miner;
    lf_optim *optim;
    lf_schedule *sched;
    lf_tape *tape;
    int64_t *brows;
    float *xb;
    int32_t *yb, *group;
    uint8_t *pairs, *decay;
    double *losses;
    double mined;
} embed_trainer;

static lf_status check_opts(const lf_embed_opts *o)
{
    if (o->steps < 1) return lf_error(LF_EINVAL, "embedding training: steps must be >= 1");
    if (o->dim < 1) return lf_error(LF_EINVAL, "embedding training: dim must be >= 1");
    if (o->way > 0 && (o->shot < 1 || o->query < 1))
        return lf_error(LF_EINVAL, "embedding training: episodes need shot >= 1 and query >= 1, "
                        "got %d-way %d-shot %d-query", o->way, o->shot, o->query);
    if (o->way <= 0 && (o->p < 1 || o->k < 2))
        return lf_error(LF_EINVAL, "embedding training: P×K batches need P >= 1 and K >= 2 (a "
                        "positive per anchor), got %d×%d", o->p, o->k);
    return LF_OK;
}

/* Standardisation from the training rows (lf_norm_fit). */
static lf_status standardisation(embed_trainer *tr)
{
    return lf_norm_fit(tr->data, tr->rows, tr->nrows, &tr->norm);
}

static lf_status select_rows(embed_trainer *tr)
{
    const lf_embed_opts *o = tr->o;
    const lf_dataset *ds = tr->data;
    if (!ds->y || ds->n < 2)
        return lf_error(LF_EINVAL, "embedding training: dataset \"%s\" has no labelled rows",
                        ds->name);
    if (o->classes) return lf_rows_of_classes(ds->y, ds->n, o->classes, o->n_classes, &tr->rows,
                                              &tr->nrows);
    tr->nrows = ds->n;
    tr->rows = malloc((size_t)ds->n * sizeof *tr->rows);
    if (!tr->rows) return lf_error(LF_ENOMEM, "embedding training: out of memory");
    for (int64_t i = 0; i < ds->n; i++) tr->rows[i] = i;
    return LF_OK;
}

static lf_status build(embed_trainer *tr)
{
    const lf_embed_opts *o = tr->o;
    const lf_dataset *ds = tr->data;
    lf_status s = lf_sampler_create(ds->y, ds->n, tr->rows, tr->nrows, o->classes, o->n_classes,
                                    o->seed ^ 0x5a3c96e1d2b4f807ULL, &tr->sampler);
    if (s == LF_OK) s = lf_model_create(o->model, ds->ndim, ds->shape, o->dim, o->seed, &tr->model);
    if (s == LF_OK) s = lf_loss_create(o->loss, &tr->loss);
    if (s == LF_OK && o->miner && *o->miner) s = lf_miner_create(o->miner, &tr->miner);
    if (s != LF_OK) return s;
    lf_params *p = lf_model_params(tr->model);
    tr->decay = malloc((size_t)p->size);
    if (!tr->decay) return lf_error(LF_ENOMEM, "embedding training: out of memory");
    for (int i = 0; i < p->n; i++)
        memset(tr->decay + (p->t[i].data - p->data), p->decay[i], (size_t)p->t[i].size);
    s = lf_optim_create(o->optim, p->size, tr->decay, &tr->optim);
    if (s == LF_OK) s = lf_schedule_create(o->schedule ? o->schedule : "constant", &tr->sched);
    if (s != LF_OK) return s;
    const int64_t B = tr->batch = o->way > 0 ? (int64_t)o->way * (o->shot + o->query)
                                             : (int64_t)o->p * o->k;
    tr->tape = lf_tape_new();
    tr->brows = malloc((size_t)B * sizeof *tr->brows);
    tr->xb = malloc((size_t)(B * ds->d) * sizeof *tr->xb);
    tr->yb = malloc((size_t)B * sizeof *tr->yb);
    tr->group = malloc((size_t)B * sizeof *tr->group);
    tr->pairs = tr->miner ? malloc((size_t)(B * B)) : NULL;
    tr->losses = malloc((size_t)o->steps * sizeof *tr->losses);
    if (!tr->tape || !tr->brows || !tr->xb || !tr->yb || !tr->group || !tr->losses ||
        (tr->miner && !tr->pairs))
        return lf_error(LF_ENOMEM, "embedding training: out of memory");
    return LF_OK;
}

/* Draws the next batch: rows, their inputs, labels and (episodes) support/query groups. */
static lf_status draw_batch(embed_trainer *tr)
{
    const lf_embed_opts *o = tr->o;
    lf_status s;
    if (o->way > 0) {
        s = lf_sampler_episode(tr->sampler, o->way, o->shot, o->query, tr->brows, tr->yb,
                               tr->group);
    } else {
        s = lf_sampler_pk(tr->sampler, o->p, o->k, tr->brows);
        for (int64_t i = 0; i < tr->batch; i++) tr->group[i] = LF_EPISODE_SUPPORT;
    }
    if (s != LF_OK) return s;
    lf_gather_rows(tr->data, tr->brows, tr->batch, &tr->norm, tr->xb, o->way > 0 ? NULL : tr->yb);
    return LF_OK;
}

static lf_status train_step(embed_trainer *tr, int64_t step)
{
    const lf_dataset *d = tr->data;
    lf_status s = draw_batch(tr);
    if (s != LF_OK) return s;
    lf_tape *t = tr->tape;
    lf_tape_reset(t);
    lf_tape_set_train(t, 1, tr->o->seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(step + 1)));
    int64_t shape[4] = {tr->batch, d->shape[0], d->shape[1], d->shape[2]};
    lf_tensor *emb = lf_model_forward(tr->model, t, lf_tape_wrap(t, tr->xb, d->ndim + 1, shape));
    if ((s = lf_tape_status(t)) != LF_OK) return s;
    lf_batch b = {.pred = emb->data, .n = tr->batch, .k = tr->o->dim, .label = tr->yb,
                  .group = tr->group, .index = tr->brows};
    if (tr->miner) {
        int64_t np, nn;
        s = lf_miner_mine(tr->miner, &b, tr->pairs, &np, &nn);
        if (s != LF_OK) return s;
        b.pairs = tr->pairs;
        tr->mined += (double)(np + nn);
    }
    lf_tensor *loss = lf_op_loss(t, tr->loss, emb, &b);
    if ((s = lf_tape_status(t)) != LF_OK) return s;
    const double v = loss->data[0];
    if (!isfinite(v))
        return lf_error(LF_ENUMERIC, "embedding training: loss is %g at step %lld", v,
                        (long long)step + 1);
    tr->losses[step] = v;
    lf_params *p = lf_model_params(tr->model);
    lf_params_zero_grad(p);
    s = lf_backward(t, loss);
    if (s == LF_OK && tr->o->clip_norm > 0) lf_clip_grad_norm(p->grad, p->size, tr->o->clip_norm);
    if (s == LF_OK)
        s = lf_optim_step(tr->optim, p->data, p->grad,
                          lf_schedule_at(tr->sched, step, tr->o->steps));
    return s;
}

static double mean_of(const double *x, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += x[i];
    return n ? s / (double)n : NAN;
}

static lf_status run(embed_trainer *tr, lf_embed_result *r)
{
    const lf_embed_opts *o = tr->o;
    lf_progress bar;
    if (o->progress) lf_progress_begin(&bar, "embedding", o->steps, o->progress == 2);
    lf_status s = LF_OK;
    double t0 = lf_now();
    int64_t since = 0; /* first step not yet reported to on_step */
    for (int64_t step = 0; step < o->steps && s == LF_OK; step++) {
        s = train_step(tr, step);
        if (s == LF_OK && o->progress)
            lf_progress_update(&bar, step + 1, "loss %.4f", tr->losses[step]);
        const int due = o->every > 0 && ((step + 1) % o->every == 0 || step + 1 == o->steps);
        if (s == LF_OK && o->on_step && due) {
            s = o->on_step(o->user, tr->model, &tr->norm, step + 1,
                           mean_of(tr->losses + since, step + 1 - since));
            since = step + 1;
        }
    }
    const int64_t tenth = o->steps / 10 > 0 ? o->steps / 10 : 1;
    *r = (lf_embed_result){.first_loss = mean_of(tr->losses, tenth),
                           .last_loss = mean_of(tr->losses + o->steps - tenth, tenth),
                           .mined_pairs = tr->miner ? tr->mined / (double)o->steps : NAN,
                           .seconds = lf_now() - t0};
    if (o->progress) lf_progress_end(&bar, s == LF_OK ? "loss %.4f -> %.4f" : "stopped",
                                     r->first_loss, r->last_loss);
    if (s == LF_OK && o->out_dir) {
        char path[4096];
        s = lf_mkdirs(o->out_dir, "--out");
        snprintf(path, sizeof path, "%s/model.safetensors", o->out_dir);
        if (s == LF_OK) s = lf_model_save(tr->model, &tr->norm, path);
    }
    return s;
}

static void release(embed_trainer *tr)
{
    free(tr->rows);
    lf_norm_release(&tr->norm);
    lf_sampler_free(tr->sampler);
    lf_model_free(tr->model);
    lf_loss_free(tr->loss);
    lf_miner_free(tr->miner);
    lf_optim_free(tr->optim);
    lf_schedule_free(tr->sched);
    lf_tape_free(tr->tape);
    free(tr->brows);
    free(tr->xb);
    free(tr->yb);
    free(tr->group);
    free(tr->pairs);
    free(tr->decay);
    free(tr->losses);
}

lf_status lf_train_embedding(const lf_embed_opts *o, const lf_dataset *train, lf_embed_result *res,
                             lf_model **model_out, lf_norm *norm_out)
{
    if (!o || !train) return lf_error(LF_EINVAL, "embedding training: options or data missing");
    lf_status s = check_opts(o);
    if (s != LF_OK) return s;
    if (o->threads > 0) lf_set_threads(o->threads);
    embed_trainer tr = {.o = o, .data = train};
    lf_embed_result r;
    s = select_rows(&tr);
    if (s == LF_OK) s = standardisation(&tr);
    if (s == LF_OK) s = build(&tr);
    if (s == LF_OK) s = run(&tr, &r);
    if (s == LF_OK) {
        if (res) *res = r;
        if (model_out) {
            *model_out = tr.model;
            tr.model = NULL;
        }
        if (norm_out) {
            *norm_out = tr.norm;
            tr.norm = (lf_norm){0};
        }
    }
    release(&tr);
    return s;
}
