/* Adversarial inputs: the attack spec, the valid input range, and projected gradient ascent
 * (PGD, Madry et al. 2018) through the tape on any goal built from the model's logits. Used by
 * the adversarial losses (src/loss/advcompsum.c) and by the plain attack and adversarial
 * evaluation (src/learn/adversarial.c).
 *
 * Space: the attack acts on raw inputs (pixels in [0, 1] for image datasets stored as bytes, so
 * eps = 0.1 means a tenth of the pixel range, as the Fashion-MNIST literature uses it), clamped
 * to the valid range after every step; the model keeps seeing standardised inputs, converted
 * back at each forward. An eps in standardised units would change meaning with the dataset's
 * moments.
 */
#include "model/attack.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------ attack spec */
typedef struct atk_cfg {
    double eps, step_size;
    int64_t steps;
    int norm, start;
} atk_cfg;

static const lf_param_desc atk_params[] = {
    LF_PARAM_FLOAT("eps", 0.1, 0, INFINITY, 0, "radius in raw input units (pixels: [0, 1])",
        atk_cfg, eps),
    LF_PARAM_INT("steps", 10, 0, 100000, "gradient ascent steps", atk_cfg, steps),
    LF_PARAM_FLOAT("step_size", 0, 0, INFINITY, 0, "per step; 0 = 2.5 eps / steps", atk_cfg,
        step_size),
    LF_PARAM_ENUM("norm", LF_ATTACK_LINF, "linf|l2", "the ball: l-infinity or l2", atk_cfg, norm),
    LF_PARAM_ENUM("start", LF_START_UNIFORM, "uniform|none|small",
        "random start: uniform in the ball, none, or 0.001 N(0,1) (TRADES)", atk_cfg, start),
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

lf_status lf_pgd_run(lf_model *m, lf_tape *pt, const lf_norm *norm, float *x, int64_t n,
                     const lf_attack *a, lf_rng *rng, lf_pgd_goal goal, void *ctx, float *raw0,
                     float *raw)
{
    const int64_t d = model_in_size(m);
    const pgd_space sp = {n, d, norm ? norm->mean : NULL, norm ? norm->std : NULL};
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

