/* The optimizer object: spec parsing, one zeroed slab for all state (float32 or bf16 buffers),
 * parameter-tensor segments, the step glue, the state enumeration used by checkpoints and the
 * weight-decay modes. The update rules live in one file per optimizer family (sgd.c, adamw.c,
 * lion.c, lionk.c, ...). */
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
    lf_dtype state_dtype[OPTIM_MAX_STATE];
    size_t state_bytes;
    int64_t *seg;   /* nseg + 1 tensor boundaries; {0, n} until lf_optim_set_segments */
    int nseg;
    /* Always materialised as 0/1 bytes (all ones when the caller gave none): the kernels blend
     * with it arithmetically, branch-free. */
    uint8_t *decay;
    void *slab;
    char spec[1024];
};

/* Rounds buffer sizes up to a cache line, so every buffer starts aligned. */
#define OPTIM_ALIGN 64

/* One calloc: nstate buffers of n elements (4 or 2 bytes each, by state_dtype), then the
 * n-byte decay mask. */
static lf_status optim_alloc(lf_optim *o, const uint8_t *decay_mask)
{
    int64_t off[OPTIM_MAX_STATE + 1] = {0}, bytes;
    for (int i = 0; i < o->vt->nstate; i++) {
        o->state_dtype[i] = o->vt->state_dtype ? o->vt->state_dtype(o->cfg, i) : LF_F32;
        if (lf_mul_overflows(o->n, (int64_t)lf_dtype_size(o->state_dtype[i]), &bytes) ||
            bytes > INT64_MAX / 2 - off[i])
            return lf_error(LF_ENOMEM, "optimizer \"%s\": state for n = %lld overflows",
                            o->desc->name, (long long)o->n);
        o->state_bytes += (size_t)bytes;
        off[i + 1] = off[i] + (bytes + OPTIM_ALIGN - 1) / OPTIM_ALIGN * OPTIM_ALIGN;
    }
    bytes = off[o->vt->nstate];
    if (bytes > INT64_MAX - o->n)
        return lf_error(LF_ENOMEM, "optimizer \"%s\": state for n = %lld overflows",
                        o->desc->name, (long long)o->n);
    o->slab = calloc(1, (size_t)(bytes + o->n));
    o->seg = malloc(2 * sizeof *o->seg);
    if (!o->slab || !o->seg)
        return lf_error(LF_ENOMEM, "optimizer \"%s\": out of memory for %lld state bytes",
                        o->desc->name, (long long)bytes);
    for (int i = 0; i < o->vt->nstate; i++) o->state[i] = (float *)((char *)o->slab + off[i]);
    o->seg[0] = 0;
    o->seg[1] = o->n;
    o->nseg = 1;
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
    free(o->seg);
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
    double lr = lf_optim_lr(o) * lr_scale;
    if (o->vt->step_seg) o->vt->step_seg(o->cfg, w, g, o->state, o->decay, o->seg, o->nseg, o->t, lr);
    else o->vt->step(o->cfg, w, g, o->state, o->decay, o->n, o->t, lr);
    return LF_OK;
}

double lf_optim_lr(const lf_optim *o) { return o->vt->base_lr(o->cfg); }
int64_t lf_optim_steps(const lf_optim *o) { return o->t; }
size_t lf_optim_state_bytes(const lf_optim *o) { return o->state_bytes; }
const char *lf_optim_spec(const lf_optim *o) { return o->spec; }
const lf_desc *lf_optim_desc(const lf_optim *o) { return o->desc; }
int lf_optim_state_count(const lf_optim *o) { return o->vt->nstate; }

void *lf_optim_state_raw(lf_optim *o, int i, const char **name, int64_t *n, lf_dtype *dtype)
{
    if (i < 0 || i >= o->vt->nstate) return NULL;
    if (name) *name = o->vt->state_names[i];
    if (n) *n = o->n;
    if (dtype) *dtype = o->state_dtype[i];
    return o->state[i];
}

float *lf_optim_state(lf_optim *o, int i, const char **name, int64_t *n)
{
    if (i < 0 || i >= o->vt->nstate || o->state_dtype[i] != LF_F32) return NULL;
    return lf_optim_state_raw(o, i, name, n, NULL);
}

lf_status lf_optim_set_segments(lf_optim *o, const int64_t *offsets, int nseg)
{
    if (!o || !offsets || nseg < 1)
        return lf_error(LF_EINVAL, "lf_optim_set_segments: optimizer or offsets NULL, or nseg = %d "
                        "< 1", nseg);
    if (offsets[0] != 0 || offsets[nseg] != o->n)
        return lf_error(LF_EINVAL, "optimizer \"%s\": segments must span [0, %lld], got [%lld, "
                        "%lld]", o->desc->name, (long long)o->n, (long long)offsets[0],
                        (long long)offsets[nseg]);
    for (int k = 0; k < nseg; k++)
        if (offsets[k + 1] <= offsets[k])
            return lf_error(LF_EINVAL, "optimizer \"%s\": segment %d is empty or reversed "
                            "([%lld, %lld))", o->desc->name, k, (long long)offsets[k],
                            (long long)offsets[k + 1]);
    int64_t *seg = malloc((size_t)(nseg + 1) * sizeof *seg);
    if (!seg) return lf_error(LF_ENOMEM, "optimizer \"%s\": out of memory", o->desc->name);
    for (int k = 0; k <= nseg; k++) seg[k] = offsets[k];
    free(o->seg);
    o->seg = seg;
    o->nseg = nseg;
    return LF_OK;
}

/* ------------------------------------------------------------------ weight-decay modes */
/* 0 - x, not -x: with lr = 0 the step is +0, and w + (+0)*w leaves every w, -0 included. */
float lf_wd_shrink(int mode, double wd, double lr)
{
    if (mode == LF_WD_L2) return 0.0f;
    return (float)(0.0 - (mode == LF_WD_FIXED ? wd : lr * wd));
}

float lf_wd_grad(int mode, double wd) { return mode == LF_WD_L2 ? (float)wd : 0.0f; }

lf_status lf_wd_check(const char *optim, int mode, double wd)
{
    if (mode == LF_WD_FIXED && wd > 1)
        return lf_error(LF_EINVAL, "optimizer \"%s\": wd_mode=fixed multiplies w by 1 - wd, so wd "
                        "must be <= 1, got %g", optim, wd);
    return LF_OK;
}

/* Negative counts are not a step number; they leave the count as it is. */
void lf_optim_set_steps(lf_optim *o, int64_t steps)
{
    if (steps >= 0) o->t = steps;
}
