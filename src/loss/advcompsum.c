/* Adversarial training objectives: the smooth adversarial comp-sum loss (Mao, Mohri, Zhong,
 * ICML 2023; spec sheet §1) and, as its baseline, PGD adversarial training (Madry et al. 2018).
 * Both need the model, not just the logits, so they train through lf_loss_vt.objective.
 *
 * advcompsum:tau,rho,nu,eps,steps,step_size,norm
 *   Ltilde(x, y) = L_tau(z(x)/rho, y) + nu sup_{||x' - x|| <= eps} ||Delta(x') - Delta(x)||_2,
 *   Delta(x)_j = z(x)_j - z(x)_y (the logit-difference vector), L_tau the comp-sum loss
 *   (loss/compsum.c) on margins scaled by 1/rho. The sup is approximated as TRADES does: `steps`
 *   PGD steps on the penalty alone from x + 0.001 N(0, 1), on a tape of its own with the
 *   parameters frozen; then x' is held fixed and the penalty is taped, so the parameter gradient
 *   flows through both z(x') and z(x) (none through the argmax). The batch value is
 *   mean_i L_tau + nu mean_i ||.||.
 * pgdat:tau,eps,steps,step_size,norm
 *   L_tau(z(x'), y) with x' from PGD on L_tau itself, started uniformly in the ball (Madry).
 * eps, step_size and the clamp are in raw input units (pixels in [0, 1]; model/attack.c).
 * On logits alone (lf_loss_eval: validation and test loss) both are the clean term L_tau(z/rho).
 * The clean term is the plain mean comp-sum loss: no smoothing, class weights or ignore_index.
 * nu: the penalty is linear in the logit shift (TRADES's KL is quadratic for small shifts), so
 * it wants a smaller weight than TRADES's beta = 6: on Fashion-MNIST (repro compsum-adv, eps 0.1)
 * nu = 0.1-0.3 trades 2-5 points of clean accuracy for 20 of PGD accuracy, and nu = 1 shrinks the
 * model towards constant logits (clean accuracy 45%); default 0.3.
 */
#include "internal.h"
#include "ad/ad.h"
#include "model/attack.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef struct adv_cfg {
    double tau, rho, nu, eps, step_size;
    int64_t steps;
    int norm;
} adv_cfg;

typedef struct adv_state {
    lf_loss *cs;       /* compsum:tau=..., mean */
    lf_tape *tape;     /* PGD's own tape */
    double rho;        /* 1 for pgdat */
    int madry;         /* 1: pgdat */
    float *scaled;     /* z / rho for lf_loss_eval, grown as needed */
    int64_t cap;
    const char *name;
} adv_state;

static void adv_free(void *state)
{
    adv_state *st = state;
    if (!st) return;
    lf_loss_free(st->cs);
    lf_tape_free(st->tape);
    free(st->scaled);
    free(st);
}

static lf_status adv_init_as(const adv_cfg *c, int madry, void **state)
{
    adv_state *st = calloc(1, sizeof *st);
    const char *name = madry ? "pgdat" : "advcompsum";
    if (!st) return lf_error(LF_ENOMEM, "loss \"%s\": out of memory", name);
    st->madry = madry;
    st->name = name;
    st->rho = madry ? 1.0 : c->rho;
    char spec[64];
    snprintf(spec, sizeof spec, "compsum:tau=%.17g", c->tau);
    lf_status s = lf_loss_create(spec, &st->cs);
    st->tape = lf_tape_new();
    if (s == LF_OK && !st->tape) s = lf_error(LF_ENOMEM, "loss \"%s\": out of memory", st->name);
    if (s != LF_OK) {
        adv_free(st);
        return s;
    }
    *state = st;
    return LF_OK;
}

static lf_status advcompsum_init(const void *cfg, void **state)
{
    return adv_init_as(cfg, 0, state);
}
static lf_status pgdat_init(const void *cfg, void **state) { return adv_init_as(cfg, 1, state); }

/* The clean term on logits alone: L_tau(z / rho), its gradient times 1/rho. */
static lf_status adv_eval(const void *cfg, void *state, const lf_batch *b, double *value,
                          float *dpred)
{
    LF_UNUSED(cfg);
    adv_state *st = state;
    if (st->rho == 1) return lf_loss_eval(st->cs, b, value, dpred);
    const int64_t size = b->n * b->k;
    if (size > st->cap) {
        float *p = realloc(st->scaled, (size_t)size * sizeof *p);
        if (!p) return lf_error(LF_ENOMEM, "loss \"%s\": out of memory", st->name);
        st->scaled = p;
        st->cap = size;
    }
    const float inv = (float)(1 / st->rho);
    for (int64_t i = 0; i < size; i++) st->scaled[i] = b->pred[i] * inv;
    lf_batch sb = *b;
    sb.pred = st->scaled;
    lf_status s = lf_loss_eval(st->cs, &sb, value, dpred);
    if (s == LF_OK && dpred)
        for (int64_t i = 0; i < size; i++) dpred[i] *= inv;
    return s;
}

/* PGD goals: the comp-sum loss on the perturbed logits (pgdat), or the logit shift against the
 * clean logits (advcompsum). */
typedef struct adv_goal {
    lf_loss *cs;
    const int32_t *y;
    float *clean;      /* clean logits [n, k] */
} adv_goal;

static lf_tensor *goal_loss(lf_tape *t, lf_tensor *logits, void *ctx)
{
    const adv_goal *g = ctx;
    return lf_op_loss(t, g->cs, logits, &(lf_batch){.label = g->y});
}

static lf_tensor *goal_shift(lf_tape *t, lf_tensor *logits, void *ctx)
{
    const adv_goal *g = ctx;
    if (!logits) return NULL;
    lf_tensor *z = lf_tape_wrap(t, g->clean, 2, logits->shape);
    return lf_logit_shift_penalty(t, logits, z, g->y);
}

static lf_tensor *adv_objective(const void *cfg, void *state, const lf_objective_in *in)
{
    const adv_cfg *c = cfg;
    adv_state *st = state;
    lf_tape *t = in->tape;
    lf_tensor *x = in->x, *z = in->logits;
    if (!x || !z) return NULL; /* the forward already failed and said why */
    const int64_t n = x->shape[0], d = x->size / n;
    lf_attack a = {c->eps, (int)c->steps, c->step_size, (lf_attack_norm)c->norm,
                   st->madry ? LF_START_UNIFORM : LF_START_SMALL, 0, 0};
    lf_attack_range(in->data, &a.lo, &a.hi);
    float *buf = lf_arena_alloc(lf_tape_arena(t), (size_t)(3 * n * d) * sizeof *buf);
    if (!buf) return lf_tape_fail(t, LF_ENOMEM, "loss \"%s\": out of memory", st->name);
    float *xa = buf;
    memcpy(xa, x->data, (size_t)(n * d) * sizeof *xa);
    adv_goal g = {st->cs, in->batch->label, z->data};
    lf_status s = lf_pgd_run(in->model, st->tape, in->norm, xa, n, &a, lf_tape_rng(t),
                             st->madry ? goal_loss : goal_shift, &g, buf + n * d, buf + 2 * n * d);
    if (s != LF_OK) return lf_tape_fail(t, s, "%s", lf_last_error());
    lf_tensor *za = lf_model_forward(in->model, t, lf_tape_wrap(t, xa, x->ndim, x->shape));
    if (st->madry) return lf_op_loss(t, st->cs, za, in->batch);
    lf_tensor *zs = st->rho == 1 ? z : lf_scale(t, z, (float)(1 / st->rho));
    lf_tensor *clean = lf_op_loss(t, st->cs, zs, in->batch);
    lf_tensor *pen = lf_logit_shift_penalty(t, za, z, in->batch->label);
    return lf_add(t, clean, lf_scale(t, pen, (float)(c->nu / (double)n)));
}

#define ADV_VT(init_fn)                                                                         \
    {.needs = LF_NEED_LABEL, .init = init_fn, .free_state = adv_free, .eval = adv_eval,         \
     .objective = adv_objective}
static const lf_loss_vt advcompsum_vt = ADV_VT(advcompsum_init), pgdat_vt = ADV_VT(pgdat_init);

#define ADV_TAU                                                                                 \
    LF_PARAM_FLOAT("tau", 1.0, 0.0, 2.0, 0, "comp-sum exponent (1 = cross-entropy)", adv_cfg, tau)
#define ADV_ATTACK                                                                              \
    LF_PARAM_FLOAT("eps", 0.1, 0.0, 1e6, 0, "radius of the ball, raw input units", adv_cfg, eps), \
    LF_PARAM_INT("steps", 10, 1, 1000, "PGD steps for the inner sup", adv_cfg, steps),            \
    LF_PARAM_FLOAT("step_size", 0.0, 0.0, 1e6, 0, "per PGD step; 0 = 2.5 eps / steps", adv_cfg,   \
                   step_size),                                                                    \
    LF_PARAM_ENUM("norm", LF_ATTACK_LINF, "linf|l2", "the ball's norm", adv_cfg, norm)

static const lf_param_desc advcompsum_params[] = {
    ADV_TAU,
    LF_PARAM_FLOAT("rho", 1.0, 0.0, 1e6, LF_OPEN_MIN,
        "margin scale: the comp-sum term sees logits / rho", adv_cfg, rho),
    LF_PARAM_FLOAT("nu", 0.3, 0.0, 1e6, 0,
        "weight of the smoothness penalty ||Delta(x') - Delta(x)||_2 (compsum-adv: 1 collapses)",
        adv_cfg, nu),
    ADV_ATTACK,
};
static const lf_param_desc pgdat_params[] = {ADV_TAU, ADV_ATTACK};

const lf_desc lf_desc_loss_advcompsum = {
    .kind = LF_KIND_LOSS,
    .name = "advcompsum",
    .doc = "smooth adversarial comp-sum: L_tau(z/rho) + nu sup ||Delta(x') - Delta(x)||_2 (PGD)",
    .paper = "compsum",
    .params = advcompsum_params,
    .nparams = LF_NPARAMS(advcompsum_params),
    .cfg_size = sizeof(adv_cfg),
    .impl = &advcompsum_vt,
};

const lf_desc lf_desc_loss_pgdat = {
    .kind = LF_KIND_LOSS,
    .name = "pgdat",
    .doc = "PGD adversarial training (Madry et al. 2018): comp-sum loss on PGD inputs",
    .paper = NULL,
    .params = pgdat_params,
    .nparams = LF_NPARAMS(pgdat_params),
    .cfg_size = sizeof(adv_cfg),
    .impl = &pgdat_vt,
};
