/* Learning-rate schedules: the multiplier of the optimizer's base lr at a 0-based step.
 *   constant: 1.
 *   cosine:   (step+1)/warmup during the first `warmup` steps, then
 *             min_lr + (1-min_lr) * 0.5 * (1 + cos(pi * p)),
 *   linear:   the same warm-up, then end + (1-end) * (1 - p),
 * where p = (step - warmup) / (total - warmup), clamped to [0, 1]: the decay reaches its floor
 * at step = total and stays there. */
#include "internal.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

struct lf_schedule {
    const lf_desc *desc;
    void *cfg;
    char spec[1024];
};

lf_status lf_schedule_create(const char *spec, lf_schedule **out)
{
    if (!out) return lf_error(LF_EINVAL, "lf_schedule_create: out is NULL");
    lf_schedule *s = calloc(1, sizeof *s);
    if (!s) return lf_error(LF_ENOMEM, "lf_schedule_create: out of memory");
    lf_status st = lf_spec_new(LF_KIND_SCHEDULE, spec, &s->desc, &s->cfg);
    if (st == LF_OK) st = lf_spec_canonical(s->desc, s->cfg, s->spec, sizeof s->spec);
    if (st != LF_OK) {
        lf_schedule_free(s);
        return st;
    }
    *out = s;
    return LF_OK;
}

void lf_schedule_free(lf_schedule *s)
{
    if (!s) return;
    free(s->cfg);
    free(s);
}

double lf_schedule_at(const lf_schedule *s, int64_t step, int64_t total_steps)
{
    return ((const lf_schedule_vt *)s->desc->impl)->at(s->cfg, step, total_steps);
}

const char *lf_schedule_spec(const lf_schedule *s) { return s->spec; }

/* ------------------------------------------------------------------ descriptors */
/* Cosine and linear share the layout; `floor` is min_lr for one and end for the other. */
typedef struct sched_cfg {
    int64_t warmup;
    double floor;
} sched_cfg;

/* Warm-up, then floor + (1 - floor) * shape(p), shape falling from 1 at p=0 to 0 at p=1. */
static double warmup_then(const sched_cfg *c, int64_t step, int64_t total, double (*shape)(double))
{
    if (step < c->warmup) return (double)(step + 1) / (double)c->warmup;
    const double span = total - c->warmup > 1 ? (double)(total - c->warmup) : 1.0;
    const double p = fmin(1.0, fmax(0.0, (double)(step - c->warmup) / span));
    return c->floor + (1 - c->floor) * shape(p);
}

static double shape_cosine(double p) { return 0.5 * (1 + cos(3.14159265358979323846 * p)); }
static double shape_linear(double p) { return 1 - p; }

static double cosine_at(const void *cfg, int64_t step, int64_t total)
{
    return warmup_then(cfg, step, total, shape_cosine);
}

static double linear_at(const void *cfg, int64_t step, int64_t total)
{
    return warmup_then(cfg, step, total, shape_linear);
}

static double constant_at(const void *cfg, int64_t step, int64_t total)
{
    LF_UNUSED(cfg);
    LF_UNUSED(step);
    LF_UNUSED(total);
    return 1.0;
}

static const lf_schedule_vt constant_vt = {constant_at};
static const lf_schedule_vt cosine_vt = {cosine_at};
static const lf_schedule_vt linear_vt = {linear_at};

#define WARMUP_PARAM                                                                            \
    LF_PARAM_INT("warmup", 0, 0, 1e15,                                                          \
                 "steps of linear warm-up, the multiplier rising as (step+1)/warmup",           \
                 sched_cfg, warmup)

static const lf_param_desc cosine_params[] = {
    WARMUP_PARAM,
    LF_PARAM_FLOAT("min_lr", 0, 0, 1, 0, "final multiplier, as a fraction of the base lr",
        sched_cfg, floor),
};

static const lf_param_desc linear_params[] = {
    WARMUP_PARAM,
    LF_PARAM_FLOAT("end", 0, 0, 1, 0, "final multiplier, as a fraction of the base lr", sched_cfg,
        floor),
};

const lf_desc lf_desc_sched_constant = {
    .kind = LF_KIND_SCHEDULE,
    .name = "constant",
    .doc = "constant learning rate",
    .paper = NULL,
    .params = NULL,
    .nparams = 0,
    .cfg_size = 0,
    .impl = &constant_vt,
};

const lf_desc lf_desc_sched_cosine = {
    .kind = LF_KIND_SCHEDULE,
    .name = "cosine",
    .doc = "linear warm-up, then half-cosine decay to min_lr",
    .paper = NULL,
    .params = cosine_params,
    .nparams = LF_NPARAMS(cosine_params),
    .cfg_size = sizeof(sched_cfg),
    .impl = &cosine_vt,
};

const lf_desc lf_desc_sched_linear = {
    .kind = LF_KIND_SCHEDULE,
    .name = "linear",
    .doc = "linear warm-up, then linear decay to end",
    .paper = NULL,
    .params = linear_params,
    .nparams = LF_NPARAMS(linear_params),
    .cfg_size = sizeof(sched_cfg),
    .impl = &linear_vt,
};
