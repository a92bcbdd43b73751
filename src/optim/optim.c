/* The optimizer object: spec parsing, one zeroed slab for all state, the step glue and the
 * state enumeration used by checkpoints. The update rules live in sgd.c, adamw.c, lion.c. */
#include "internal.h"

#include <math.h>
#include <string.h>

enum { OPTIM_MAX_STATE = 4 };

struct lf_optim {
    const lf_desc *desc;
    const lf_optim_vt *vt;
    void *cfg;
    int64_t n, t;
    float *state[OPTIM_MAX_STATE];
    /* Always materialised as 0/1 bytes (all ones when the caller gave none): the kernels blend
     * with it arithmetically, branch-free. */
    uint8_t *decay;
    void *slab;
    char spec[1024];
};

/* One calloc: nstate buffers of n floats, then the n-byte decay mask. */
static lf_status optim_alloc(lf_optim *o, const uint8_t *decay_mask)
{
    int64_t floats, bytes;
    if (lf_mul_overflows(o->vt->nstate, o->n, &floats) || lf_mul_overflows(floats, 4, &bytes) ||
        bytes > INT64_MAX - o->n)
        return lf_error(LF_ENOMEM, "optimizer \"%s\": state for n = %lld overflows",
                        o->desc->name, (long long)o->n);
    o->slab = calloc(1, (size_t)(bytes + o->n));
    if (!o->slab)
        return lf_error(LF_ENOMEM, "optimizer \"%s\": out of memory for %lld state bytes",
                        o->desc->name, (long long)bytes);
    for (int i = 0; i < o->vt->nstate; i++) o->state[i] = (float *)o->slab + (int64_t)i * o->n;
    o->decay = (uint8_t *)o->slab + bytes;
    for (int64_t i = 0; i < o->n; i++) o->decay[i] = decay_mask ? decay_mask[i] != 0 : 1;
    return LF_OK;
}

static lf_status optim_init(lf_optim *o, const char *spec, const uint8_t *decay_mask)
{
    lf_status s = lf_spec_new(LF_KIND_OPTIM, spec, &o->desc, &o->cfg);
    if (s != LF_OK) return s;
    o->vt = o->desc->impl;
    LF_ASSERT(o->vt->nstate <= OPTIM_MAX_STATE);
    if (o->vt->check && (s = o->vt->check(o->cfg)) != LF_OK) return s;
    if ((s = lf_spec_canonical(o->desc, o->cfg, o->spec, sizeof o->spec)) != LF_OK) return s;
    return optim_alloc(o, decay_mask);
}

lf_status lf_optim_create(const char *spec, int64_t n, const uint8_t *decay_mask, lf_optim **out)
{
    if (!out) return lf_error(LF_EINVAL, "lf_optim_create: out is NULL");
    if (n <= 0)
        return lf_error(LF_EINVAL, "lf_optim_create: n = %lld must be positive", (long long)n);
    lf_optim *o = calloc(1, sizeof *o);
    if (!o) return lf_error(LF_ENOMEM, "lf_optim_create: out of memory");
    o->n = n;
    lf_status s = optim_init(o, spec, decay_mask);
    if (s != LF_OK) {
        lf_optim_free(o);
        return s;
    }
    *out = o;
    return LF_OK;
}

void lf_optim_free(lf_optim *o)
{
    if (!o) return;
    free(o->slab);
    free(o->cfg);
    free(o);
}

lf_status lf_optim_step(lf_optim *o, float *w, const float *g, double lr_scale)
{
    if (!o || !w || !g) return lf_error(LF_EINVAL, "lf_optim_step: optimizer, w or g is NULL");
    if (!isfinite(lr_scale) || lr_scale < 0)
        return lf_error(LF_EINVAL, "optimizer \"%s\": lr_scale must be finite and >= 0, got %g",
                        o->desc->name, lr_scale);
    o->t++;
    o->vt->step(o->cfg, w, g, o->state, o->decay, o->n, o->t, lf_optim_lr(o) * lr_scale);
    return LF_OK;
}

double lf_optim_lr(const lf_optim *o) { return o->vt->base_lr(o->cfg); }
int64_t lf_optim_steps(const lf_optim *o) { return o->t; }
size_t lf_optim_state_bytes(const lf_optim *o) { return (size_t)o->vt->nstate * (size_t)o->n * 4; }
const char *lf_optim_spec(const lf_optim *o) { return o->spec; }
const lf_desc *lf_optim_desc(const lf_optim *o) { return o->desc; }
int lf_optim_state_count(const lf_optim *o) { return o->vt->nstate; }

float *lf_optim_state(lf_optim *o, int i, const char **name, int64_t *n)
{
    if (i < 0 || i >= o->vt->nstate) return NULL;
    if (name) *name = o->vt->state_names[i];
    if (n) *n = o->n;
    return o->state[i];
}

/* Negative counts are not a step number; they leave the count as it is. */
void lf_optim_set_steps(lf_optim *o, int64_t steps)
{
    if (steps >= 0) o->t = steps;
}
