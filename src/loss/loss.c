/* The loss object: creation from a spec string, batch checks, and the loss as a tape op. */
#include "internal.h"
#include "ad/ad.h"

#include <stddef.h>
#include <string.h>

lf_status lf_loss_create(const char *spec, lf_loss **out)
{
    if (!out) return lf_error(LF_EINVAL, "lf_loss_create: out is NULL");
    lf_loss *l = calloc(1, sizeof *l);
    if (!l) return lf_error(LF_ENOMEM, "lf_loss_create: out of memory");
    lf_status s = lf_spec_new(LF_KIND_LOSS, spec, &l->desc, &l->cfg);
    if (s == LF_OK) s = lf_spec_canonical(l->desc, l->cfg, l->spec, sizeof l->spec);
    if (s == LF_OK) {
        const lf_loss_vt *vt = l->desc->impl;
        if (vt->init) s = vt->init(l->cfg, &l->state);
    }
    if (s != LF_OK) {
        free(l->cfg);
        free(l);
        return s;
    }
    *out = l;
    return LF_OK;
}

void lf_loss_free(lf_loss *l)
{
    if (!l) return;
    const lf_loss_vt *vt = l->desc->impl;
    if (vt->free_state) vt->free_state(l->state);
    free(l->cfg);
    free(l);
}

/* The optional batch fields, in LF_NEED_* bit order. */
static const struct {
    unsigned bit;
    size_t offset;
    const char *name;
} batch_fields[] = {
    {LF_NEED_LABEL, offsetof(lf_batch, label), "label"},
    {LF_NEED_TARGET, offsetof(lf_batch, target), "target"},
    {LF_NEED_WEIGHT, offsetof(lf_batch, weight), "weight"},
    {LF_NEED_GROUP, offsetof(lf_batch, group), "group"},
    {LF_NEED_EVENT, offsetof(lf_batch, event), "event"},
    {LF_NEED_INDEX, offsetof(lf_batch, index), "index"},
};

static lf_status check_batch(const lf_loss *l, const lf_batch *b)
{
    if (!b->pred)
        return lf_error(LF_EINVAL, "loss \"%s\": batch field \"pred\" is NULL", l->desc->name);
    if (b->n <= 0 || b->k <= 0)
        return lf_error(LF_EINVAL, "loss \"%s\": batch shape n=%lld, k=%lld must be positive",
                        l->desc->name, (long long)b->n, (long long)b->k);
    const lf_loss_vt *vt = l->desc->impl;
    for (size_t i = 0; i < sizeof batch_fields / sizeof batch_fields[0]; i++) {
        const void *field = *(const void *const *)((const char *)b + batch_fields[i].offset);
        if ((vt->needs & batch_fields[i].bit) && !field)
            return lf_error(LF_EINVAL, "loss \"%s\" needs batch field \"%s\", which is NULL",
                            l->desc->name, batch_fields[i].name);
    }
    return vt->check ? vt->check(l->cfg, b) : LF_OK;
}

lf_status lf_loss_eval(lf_loss *l, const lf_batch *b, double *value, float *dpred)
{
    if (!l || !b || !value)
        return lf_error(LF_EINVAL, "lf_loss_eval: loss, batch or value is NULL");
    lf_status s = check_batch(l, b);
    if (s != LF_OK) return s;
    const lf_loss_vt *vt = l->desc->impl;
    double v;
    s = vt->eval(l->cfg, l->state, b, &v, dpred);
    if (s == LF_OK) *value = v;
    return s;
}

unsigned lf_loss_needs(const lf_loss *l) { return ((const lf_loss_vt *)l->desc->impl)->needs; }

lf_status lf_loss_bind(lf_loss *l, int64_t n_rows)
{
    if (!l) return lf_error(LF_EINVAL, "lf_loss_bind: loss is NULL");
    if (n_rows < 0)
        return lf_error(LF_EINVAL, "loss \"%s\": cannot bind %lld rows", l->desc->name,
                        (long long)n_rows);
    const lf_loss_vt *vt = l->desc->impl;
    return vt->bind ? vt->bind(l->cfg, l->state, n_rows) : LF_OK;
}

int lf_loss_state_count(const lf_loss *l)
{
    const lf_loss_vt *vt = l->desc->impl;
    return vt->state_count ? vt->state_count(l->state) : 0;
}

float *lf_loss_state(lf_loss *l, int i, const char **name, int64_t *n)
{
    const lf_loss_vt *vt = l->desc->impl;
    if (i < 0 || i >= lf_loss_state_count(l)) return NULL;
    return vt->state_at(l->state, i, name, n);
}
const lf_desc *lf_loss_desc(const lf_loss *l) { return l->desc; }
const char *lf_loss_spec(const lf_loss *l) { return l->spec; }

/* d loss / d pred was computed by the forward; the chain rule only scales it. */
static void loss_backward(lf_tape *t, lf_node *nd)
{
    LF_UNUSED(t);
    lf_ad_axpy(nd->in[0]->grad, nd->out->grad[0], nd->ctx, nd->in[0]->size);
}

lf_tensor *lf_op_loss(lf_tape *t, lf_loss *l, lf_tensor *pred, const lf_batch *b)
{
    if (!lf_ad_ready(t, "lf_op_loss", pred, pred)) return NULL;
    if (!l || !b) return lf_tape_fail(t, LF_EINVAL, "lf_op_loss: loss or batch is NULL");
    lf_batch pb = *b;
    pb.pred = pred->data;
    pb.n = pred->shape[0];
    pb.k = pred->size / pred->shape[0];
    float *dpred = NULL;
    if (pred->requires_grad) {
        dpred = lf_arena_alloc(lf_tape_arena(t), (size_t)pred->size * sizeof *dpred);
        if (!dpred) return lf_tape_fail(t, LF_ENOMEM, "lf_op_loss: out of memory for %lld floats",
                                        (long long)pred->size);
    }
    double v;
    lf_status s = lf_loss_eval(l, &pb, &v, dpred);
    if (s != LF_OK) return lf_tape_fail(t, s, "%s", lf_last_error());
    lf_tensor *out;
    lf_node *nd = lf_tape_scalar(t, v, loss_backward, pred, NULL, &out);
    if (nd) nd->ctx = dpred;
    return out;
}

lf_tensor *lf_loss_objective(lf_loss *l, const lf_objective_in *in)
{
    const lf_loss_vt *vt = l->desc->impl;
    if (vt->objective) return vt->objective(l->cfg, l->state, in);
    return lf_op_loss(in->tape, l, in->logits, in->batch);
}
