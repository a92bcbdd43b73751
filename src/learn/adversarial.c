/* The plain PGD attack on the cross-entropy and adversarial accuracy (the machinery, PGD
 * through the tape, is src/model/attack.c). */
#include "model/attack.h"

#include <math.h>
#include <stdlib.h>

static int64_t model_in_size(const lf_model *m)
{
    int64_t d = 1;
    for (int i = 0; i < m->in_ndim; i++) d *= m->in_shape[i];
    return d;
}

static lf_status check_attack(const lf_attack *a)
{
    if (!(a->eps >= 0) || !isfinite(a->eps))
        return lf_error(LF_EINVAL, "attack: eps must be finite and >= 0, got %g", a->eps);
    if (a->steps < 0) return lf_error(LF_EINVAL, "attack: steps must be >= 0, got %d", a->steps);
    if (!(a->step_size >= 0))
        return lf_error(LF_EINVAL, "attack: step_size must be >= 0, got %g", a->step_size);
    if (a->lo > a->hi)
        return lf_error(LF_EINVAL, "attack: valid range [%g, %g] is empty", a->lo, a->hi);
    return LF_OK;
}

typedef struct loss_goal {
    lf_loss *loss;
    const int32_t *y;
} loss_goal;

static lf_tensor *goal_loss(lf_tape *t, lf_tensor *logits, void *ctx)
{
    const loss_goal *g = ctx;
    return lf_op_loss(t, g->loss, logits, &(lf_batch){.label = g->y});
}

/* The plain attack's pieces, allocated once per call. */
typedef struct attacker {
    lf_loss *ce;
    lf_tape *tape;
    float *raw0, *raw;
} attacker;

static lf_status attacker_new(attacker *at, int64_t n, int64_t d)
{
    *at = (attacker){0};
    lf_status s = lf_loss_create("ce:reduction=sum", &at->ce);
    if (s != LF_OK) return s;
    at->tape = lf_tape_new();
    at->raw0 = malloc((size_t)(2 * n * d) * sizeof *at->raw0);
    if (!at->tape || !at->raw0) return lf_error(LF_ENOMEM, "attack: out of memory");
    at->raw = at->raw0 + n * d;
    return LF_OK;
}

static void attacker_free(attacker *at)
{
    lf_loss_free(at->ce);
    lf_tape_free(at->tape);
    free(at->raw0);
}

static lf_status attack_rows(attacker *at, lf_model *m, const lf_norm *norm, float *x,
                             const int32_t *y, int64_t n, const lf_attack *a, lf_rng *rng)
{
    loss_goal g = {at->ce, y};
    return lf_pgd_run(m, at->tape, norm, x, n, a, rng, goal_loss, &g, at->raw0, at->raw);
}

lf_status lf_pgd_attack(lf_model *m, const lf_norm *norm, float *x, const int32_t *y, int64_t n,
                        const lf_attack *a, lf_rng *rng)
{
    if (!m || !x || !y || !a || !rng || n < 1)
        return lf_error(LF_EINVAL, "lf_pgd_attack: NULL argument or n = %lld < 1", (long long)n);
    lf_status s = check_attack(a);
    if (s != LF_OK) return s;
    attacker at;
    s = attacker_new(&at, n, model_in_size(m));
    if (s == LF_OK) s = attack_rows(&at, m, norm, x, y, n, a, rng);
    attacker_free(&at);
    return s;
}

/* Hits of the model on x (n rows, model space), on tape t. */
static lf_status count_hits(lf_model *m, lf_tape *t, float *x, const int32_t *y, int64_t n,
                            int64_t *hits)
{
    lf_tape_reset(t);
    lf_tape_set_train(t, 0, 0);
    const int64_t shape[4] = {n, m->in_shape[0], m->in_shape[1], m->in_shape[2]};
    lf_tensor *logits = lf_model_forward(m, t, lf_tape_wrap(t, x, m->in_ndim + 1, shape));
    lf_status s = lf_tape_status(t);
    if (s == LF_OK) *hits += lf_count_correct(logits->data, n, m->n_out, y);
    return s;
}

lf_status lf_evaluate_attack(lf_model *m, const lf_dataset *ds, const int64_t *rows,
                             int64_t nrows, const lf_norm *norm, const lf_attack *a, int64_t batch,
                             uint64_t seed, double *clean_acc, double *adv_acc)
{
    if (!m || !ds || !a) return lf_error(LF_EINVAL, "lf_evaluate_attack: NULL argument");
    if (!ds->y) return lf_error(LF_EINVAL, "attack: dataset \"%s\" has no labels", ds->name);
    if (ds->d != model_in_size(m))
        return lf_error(LF_EINVAL, "attack: dataset \"%s\" has %lld features, the model takes %lld",
                        ds->name, (long long)ds->d, (long long)model_in_size(m));
    lf_attack ar = *a;
    lf_attack_range(ds, &ar.lo, &ar.hi);
    lf_status s = check_attack(&ar);
    if (s != LF_OK) return s;
    if (batch < 1) batch = 256;
    if (!rows) nrows = ds->n;
    attacker at;
    s = attacker_new(&at, batch, ds->d);
    float *xb = malloc((size_t)(batch * ds->d) * sizeof *xb);
    int32_t *yb = malloc((size_t)batch * sizeof *yb);
    int64_t *idx = malloc((size_t)batch * sizeof *idx);
    if (s == LF_OK && (!xb || !yb || !idx)) s = lf_error(LF_ENOMEM, "attack: out of memory");
    lf_rng rng;
    lf_rng_seed(&rng, seed);
    int64_t clean = 0, adv = 0;
    for (int64_t off = 0; off < nrows && s == LF_OK; off += batch) {
        const int64_t nb = nrows - off < batch ? nrows - off : batch;
        for (int64_t i = 0; i < nb; i++) idx[i] = rows ? rows[off + i] : off + i;
        lf_gather_rows(ds, idx, nb, norm, xb, yb);
        s = count_hits(m, at.tape, xb, yb, nb, &clean);
        if (s == LF_OK) s = attack_rows(&at, m, norm, xb, yb, nb, &ar, &rng);
        if (s == LF_OK) s = count_hits(m, at.tape, xb, yb, nb, &adv);
    }
    attacker_free(&at);
    free(xb);
    free(yb);
    free(idx);
    if (s != LF_OK) return s;
    if (clean_acc) *clean_acc = nrows ? (double)clean / (double)nrows : 0;
    if (adv_acc) *adv_acc = nrows ? (double)adv / (double)nrows : 0;
    return LF_OK;
}
