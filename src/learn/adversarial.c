/* Adversarial inputs: projected gradient ascent (PGD, Madry et al. 2018) through the tape, the
 * plain PGD attack on the cross-entropy, adversarial accuracy, the logit-shift penalty of the
 * smooth adversarial comp-sum loss, and the training-objective dispatch for losses that need the
 * model (lf_loss_vt.objective).
 *
 * Space: the attack acts on raw inputs (pixels in [0, 1] for image datasets stored as bytes, so
 * eps = 0.1 means a tenth of the pixel range, as the Fashion-MNIST literature uses it), clamped
 * to the valid range after every step; the model keeps seeing standardised inputs, converted
 * back at each forward. An eps in standardised units would change meaning with the dataset's
 * moments.
 */
#include "learn/adversarial.h"
#include "ad/ad.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------ attack spec */
typedef struct atk_cfg {
    double eps, step_size;
    int64_t steps;
    int norm, start;
} atk_cfg;

static const lf_param_desc atk_params[] = {
    {"eps", LF_PT_FLOAT, 0.1, 0, INFINITY, 0, NULL, "radius in raw input units (pixels: [0, 1])",
     offsetof(atk_cfg, eps)},
    {"steps", LF_PT_INT, 10, 0, 100000, 0, NULL, "gradient ascent steps", offsetof(atk_cfg, steps)},
    {"step_size", LF_PT_FLOAT, 0, 0, INFINITY, 0, NULL, "per step; 0 = 2.5 eps / steps",
     offsetof(atk_cfg, step_size)},
    {"norm", LF_PT_ENUM, LF_ATTACK_LINF, 0, 0, 0, "linf|l2", "the ball: l-infinity or l2",
     offsetof(atk_cfg, norm)},
    {"start", LF_PT_ENUM, LF_START_UNIFORM, 0, 0, 0, "uniform|none|small",
     "random start: uniform in the ball, none, or 0.001 N(0,1) (TRADES)", offsetof(atk_cfg, start)},
};

/* Not in the registry (an attack is no training component); the parser only needs a table. */
static const lf_desc atk_desc = {
    .kind = LF_KIND_LOSS, .name = "pgd", .doc = "projected gradient attack", .params = atk_params,
    .nparams = LF_NPARAMS(atk_params), .cfg_size = sizeof(atk_cfg),
};

lf_status lf_attack_parse(const char *spec, lf_attack *out)
{
    if (!spec || !out) return lf_error(LF_EINVAL, "lf_attack_parse: spec or out is NULL");
    const char *colon = strchr(spec, ':');
    size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
    if (n != 3 || strncmp(spec, "pgd", 3))
        return lf_error(LF_ENOTFOUND, "unknown attack \"%.*s\"; known attacks: pgd", (int)n, spec);
    atk_cfg c;
    lf_status s = lf_spec_parse_args(&atk_desc, colon ? colon + 1 : NULL, &c);
    if (s != LF_OK) { /* the parser names the kind of its table ("loss"); say "attack" */
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", lf_last_error());
        const size_t skip = strncmp(msg, "loss ", 5) ? 0 : 5;
        return lf_error(s, "%s%s", skip ? "attack " : "", msg + skip);
    }
    *out = (lf_attack){.eps = c.eps, .steps = (int)c.steps, .step_size = c.step_size,
                       .norm = (lf_attack_norm)c.norm, .start = (lf_attack_start)c.start,
                       .lo = -INFINITY, .hi = INFINITY};
    return LF_OK;
}

void lf_attack_range(const lf_dataset *ds, float *lo, float *hi)
{
    *lo = ds->x8 ? 0.0f : -INFINITY;
    *hi = ds->x8 ? 1.0f : INFINITY;
}

/* ------------------------------------------------------------------ PGD */
typedef struct pgd_space {
    int64_t n, d;
    const float *mean, *std; /* NULL: the model sees raw inputs */
} pgd_space;

static void to_raw(const pgd_space *sp, const float *x, float *raw)
{
    for (int64_t i = 0; i < sp->n; i++)
        for (int64_t j = 0; j < sp->d; j++)
            raw[i * sp->d + j] = sp->std ? x[i * sp->d + j] * sp->std[j] + sp->mean[j]
                                         : x[i * sp->d + j];
}

/* x0 moved by raw - raw0, in model space: exactly x0 where the attack did not move. */
static void to_model(const pgd_space *sp, const float *x0, const float *raw0, const float *raw,
                     float *x)
{
    for (int64_t i = 0; i < sp->n; i++)
        for (int64_t j = 0; j < sp->d; j++) {
            const float delta = raw[i * sp->d + j] - raw0[i * sp->d + j];
            x[i * sp->d + j] = x0[i * sp->d + j] + (sp->std ? delta / sp->std[j] : delta);
        }
}

static double row_norm2(const float *v, int64_t d)
{
    double s = 0;
    for (int64_t j = 0; j < d; j++) s += (double)v[j] * v[j];
    return sqrt(s);
}

/* Moves raw back into the ball around raw0, then into [lo, hi]. */
static void project(const pgd_space *sp, const lf_attack *a, const float *raw0, float *raw)
{
    const int64_t d = sp->d;
    const float eps = (float)a->eps;
    for (int64_t i = 0; i < sp->n; i++) {
        float *r = raw + i * d;
        const float *r0 = raw0 + i * d;
        if (a->norm == LF_ATTACK_L2) {
            for (int64_t j = 0; j < d; j++) r[j] -= r0[j];
            double len = row_norm2(r, d);
            float f = len > a->eps ? (float)(a->eps / len) : 1.0f;
            for (int64_t j = 0; j < d; j++) r[j] = r0[j] + r[j] * f;
        } else {
            for (int64_t j = 0; j < d; j++) r[j] = fminf(fmaxf(r[j], r0[j] - eps), r0[j] + eps);
        }
        for (int64_t j = 0; j < d; j++) r[j] = fminf(fmaxf(r[j], a->lo), a->hi);
    }
}

/* Raw start point: raw0 plus the random start, not yet projected. */
static void random_start(const pgd_space *sp, const lf_attack *a, lf_rng *rng, const float *raw0,
                         float *raw)
{
    const int64_t d = sp->d;
    for (int64_t i = 0; i < sp->n; i++) {
        float *r = raw + i * d;
        const float *r0 = raw0 + i * d;
        if (a->start == LF_START_NONE) {
            memcpy(r, r0, (size_t)d * sizeof *r);
        } else if (a->start == LF_START_SMALL) {
            for (int64_t j = 0; j < d; j++) r[j] = r0[j] + (float)(0.001 * lf_rng_normal(rng));
        } else if (a->norm == LF_ATTACK_LINF) {
            for (int64_t j = 0; j < d; j++)
                r[j] = r0[j] + (float)(a->eps * (2 * lf_rng_uniform(rng) - 1));
        } else { /* a uniform direction (normalised Gaussian) at radius eps * U */
            double len2 = 0;
            for (int64_t j = 0; j < d; j++) {
                double z = lf_rng_normal(rng);
                len2 += z * z;
                r[j] = (float)z;
            }
            const double f = a->eps * lf_rng_uniform(rng) / sqrt(len2 > 0 ? len2 : 1);
            for (int64_t j = 0; j < d; j++) r[j] = r0[j] + (float)(f * r[j]);
        }
    }
}

/* Steepest ascent for the ball's norm, from g = d goal / d (model input). Since model input =
 * (raw - mean) / std, d goal / d raw = g / std. */
static void ascend(const pgd_space *sp, const lf_attack *a, double alpha, const float *g,
                   float *raw)
{
    const int64_t d = sp->d;
    for (int64_t i = 0; i < sp->n; i++) {
        const float *gi = g + i * d;
        float *r = raw + i * d;
        if (a->norm == LF_ATTACK_LINF) {
            const float st = (float)alpha;
            for (int64_t j = 0; j < d; j++) r[j] += st * (float)((gi[j] > 0) - (gi[j] < 0));
            continue;
        }
        double len2 = 0;
        for (int64_t j = 0; j < d; j++) {
            double gr = sp->std ? (double)gi[j] / sp->std[j] : gi[j];
            len2 += gr * gr;
        }
        if (len2 == 0) continue;
        const double f = alpha / sqrt(len2);
        for (int64_t j = 0; j < d; j++)
            r[j] += (float)(f * (sp->std ? (double)gi[j] / sp->std[j] : gi[j]));
    }
}

static void params_require_grad(lf_model *m, int on)
{
    lf_params *p = lf_model_params(m);
    for (int i = 0; i < p->n; i++) p->t[i].requires_grad = on;
}

/* d goal / d (model input) at raw, on tape pt (the buffer lives in pt's arena). */
static lf_status goal_grad(lf_model *m, lf_tape *pt, const pgd_space *sp, const float *x0,
                           const float *raw0, const float *raw, lf_pgd_goal goal, void *ctx,
                           const float **g)
{
    lf_tape_reset(pt);
    lf_tape_set_train(pt, 0, 0);
    const int64_t shape[4] = {sp->n, m->in_shape[0], m->in_shape[1], m->in_shape[2]};
    lf_tensor *xt = lf_tape_tensor(pt, m->in_ndim + 1, shape, NULL);
    if (!xt) return lf_tape_status(pt);
    to_model(sp, x0, raw0, raw, xt->data);
    xt->requires_grad = 1;
    lf_tensor *obj = goal(pt, lf_model_forward(m, pt, xt), ctx);
    lf_status s = lf_tape_status(pt);
    if (s == LF_OK) s = lf_backward(pt, obj);
    if (s != LF_OK) return s;
    *g = lf_tensor_grad(pt, xt); /* zeros when the goal does not depend on the input */
    return *g ? LF_OK : lf_tape_status(pt);
}

static int64_t model_in_size(const lf_model *m)
{
    int64_t d = 1;
    for (int i = 0; i < m->in_ndim; i++) d *= m->in_shape[i];
    return d;
}

lf_status lf_pgd_run(lf_model *m, lf_tape *pt, const float *norm, float *x, int64_t n,
                     const lf_attack *a, lf_rng *rng, lf_pgd_goal goal, void *ctx, float *raw0,
                     float *raw)
{
    const int64_t d = model_in_size(m);
    const pgd_space sp = {n, d, norm, norm ? norm + d : NULL};
    to_raw(&sp, x, raw0);
    /* The clean point itself in range (standardising may leave a pixel at -1e-8), so that an
     * attack that does not move leaves x bit-identical. */
    for (int64_t i = 0; i < n * d; i++) raw0[i] = fminf(fmaxf(raw0[i], a->lo), a->hi);
    random_start(&sp, a, rng, raw0, raw);
    project(&sp, a, raw0, raw);
    const double alpha = a->step_size > 0 ? a->step_size : 2.5 * a->eps / (a->steps ? a->steps : 1);
    params_require_grad(m, 0);
    lf_status s = LF_OK;
    for (int step = 0; step < a->steps && s == LF_OK; step++) {
        const float *g = NULL;
        s = goal_grad(m, pt, &sp, x, raw0, raw, goal, ctx, &g);
        if (s != LF_OK) break;
        ascend(&sp, a, alpha, g, raw);
        project(&sp, a, raw0, raw);
    }
    params_require_grad(m, 1);
    if (s == LF_OK) to_model(&sp, x, raw0, raw, x);
    return s;
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

static lf_status attack_rows(attacker *at, lf_model *m, const float *norm, float *x,
                             const int32_t *y, int64_t n, const lf_attack *a, lf_rng *rng)
{
    loss_goal g = {at->ce, y};
    return lf_pgd_run(m, at->tape, norm, x, n, a, rng, goal_loss, &g, at->raw0, at->raw);
}

lf_status lf_pgd_attack(lf_model *m, const float *norm, float *x, const int32_t *y, int64_t n,
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
                             int64_t nrows, const float *norm, const lf_attack *a, int64_t batch,
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

/* ------------------------------------------------------------------ logit-shift penalty */
typedef struct shift_ctx {
    int32_t *y;
    double *len; /* per row ||u_i|| */
} shift_ctx;

/* u_j = (za_j - z_j) - (za_y - z_y); d||u||/d za_j = u_j/||u|| - [j = y] sum_j' u_j'/||u||, and
 * d/d z = -d/d za. */
static void shift_backward(lf_tape *t, lf_node *nd)
{
    LF_UNUSED(t);
    lf_tensor *za = nd->in[0], *z = nd->in[1];
    const shift_ctx *c = nd->ctx;
    const int64_t n = za->shape[0], k = za->size / n;
    const double dout = nd->out->grad[0];
    for (int64_t i = 0; i < n; i++) {
        if (c->len[i] == 0) continue;
        const float *a = za->data + i * k, *b = z->data + i * k;
        const int32_t y = c->y[i];
        const double f = dout / c->len[i], uy = (double)a[y] - b[y];
        double su = 0;
        for (int64_t j = 0; j < k; j++) {
            const double g = f * (((double)a[j] - b[j]) - uy);
            su += g;
            if (za->requires_grad) za->grad[i * k + j] += (float)g;
            if (z->requires_grad) z->grad[i * k + j] -= (float)g;
        }
        if (za->requires_grad) za->grad[i * k + y] -= (float)su;
        if (z->requires_grad) z->grad[i * k + y] += (float)su;
    }
}

static int shift_check(lf_tape *t, const lf_tensor *za, const lf_tensor *z, const int32_t *y)
{
    char sa[64], sb[64];
    if (za->ndim != 2 || !lf_tensor_same_shape(za, z)) {
        lf_tape_fail(t, LF_EINVAL, "logit shift penalty: logits %s and %s must be the same [n, k]",
                     lf_ad_shape(za, sa), lf_ad_shape(z, sb));
        return 0;
    }
    if (!y) {
        lf_tape_fail(t, LF_EINVAL, "logit shift penalty: labels are NULL");
        return 0;
    }
    for (int64_t i = 0; i < za->shape[0]; i++)
        if (y[i] < 0 || y[i] >= za->shape[1]) {
            lf_tape_fail(t, LF_EINVAL,
                         "logit shift penalty: label %d at row %lld is outside [0, %lld)", (int)y[i],
                         (long long)i, (long long)za->shape[1]);
            return 0;
        }
    return 1;
}

lf_tensor *lf_logit_shift_penalty(lf_tape *t, lf_tensor *za, lf_tensor *z, const int32_t *y)
{
    if (!lf_ad_ready(t, "logit shift penalty", za, z) || !shift_check(t, za, z, y)) return NULL;
    const int64_t n = za->shape[0], k = za->shape[1], one = 1;
    lf_arena *ar = lf_tape_arena(t);
    shift_ctx *c = lf_arena_alloc(ar, sizeof *c);
    if (c) c->y = lf_arena_alloc(ar, (size_t)n * sizeof *c->y);
    if (c && c->y) c->len = lf_arena_alloc(ar, (size_t)n * sizeof *c->len);
    if (!c || !c->y || !c->len)
        return lf_tape_fail(t, LF_ENOMEM, "logit shift penalty: out of memory");
    memcpy(c->y, y, (size_t)n * sizeof *y);
    double total = 0;
    for (int64_t i = 0; i < n; i++) {
        const float *a = za->data + i * k, *b = z->data + i * k;
        const double uy = (double)a[y[i]] - b[y[i]];
        double s = 0;
        for (int64_t j = 0; j < k; j++) {
            const double u = ((double)a[j] - b[j]) - uy;
            s += u * u;
        }
        c->len[i] = sqrt(s);
        total += c->len[i];
    }
    lf_tensor *out = lf_tape_out(t, 1, &one, za, z);
    if (!out) return NULL;
    out->data[0] = (float)total;
    lf_node *nd = lf_tape_push(t, shift_backward, out, za, z, NULL);
    if (nd) nd->ctx = c;
    return out;
}

/* ------------------------------------------------------------------ training objective */
lf_tensor *lf_loss_objective(lf_loss *l, const lf_objective_in *in)
{
    const lf_loss_vt *vt = l->desc->impl;
    if (vt->objective) return vt->objective(l->cfg, l->state, in);
    return lf_op_loss(in->tape, l, in->logits, in->batch);
}
