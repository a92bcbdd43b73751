/* The reverse-mode tape: an arena for tensors and saved context, and a node array that keeps
 * its capacity across resets, so a steady training step allocates nothing. */
#include "ad.h"

#include <stdarg.h>
#include <string.h>

struct lf_tape {
    lf_arena *arena;
    lf_node *nodes;
    int64_t n, cap;
    int train;
    int backward_done;
    lf_rng rng;
    lf_status status; /* first error of this step */
    char msg[512];
};

lf_tape *lf_tape_new(void)
{
    lf_tape *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->arena = lf_arena_new(0);
    if (!t->arena) {
        free(t);
        return NULL;
    }
    lf_rng_seed(&t->rng, 0);
    return t;
}

void lf_tape_free(lf_tape *t)
{
    if (!t) return;
    lf_arena_free(t->arena);
    free(t->nodes);
    free(t);
}

void lf_tape_reset(lf_tape *t)
{
    lf_arena_reset(t->arena);
    t->n = 0;
    t->backward_done = 0;
    t->status = LF_OK;
    t->msg[0] = '\0';
}

void lf_tape_set_train(lf_tape *t, int train, uint64_t seed)
{
    t->train = train != 0;
    lf_rng_seed(&t->rng, seed);
}

int lf_tape_training(const lf_tape *t) { return t->train; }

lf_rng *lf_tape_rng(lf_tape *t) { return &t->rng; }

lf_arena *lf_tape_arena(lf_tape *t) { return t->arena; }

lf_status lf_tape_status(const lf_tape *t)
{
    if (!t) return lf_error(LF_EINVAL, "tape: NULL");
    /* Re-set the message: later calls may have overwritten the thread's last error. */
    if (t->status != LF_OK) lf_error(t->status, "%s", t->msg);
    return t->status;
}

lf_tensor *lf_tape_fail(lf_tape *t, lf_status s, const char *fmt, ...)
{
    if (t->status == LF_OK) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(t->msg, sizeof t->msg, fmt, ap);
        va_end(ap);
        t->status = s;
    }
    lf_error(t->status, "%s", t->msg);
    return NULL;
}

int lf_ad_ready(lf_tape *t, const char *op, const lf_tensor *a, const lf_tensor *b)
{
    if (!t) return 0;
    if (a && b) return 1;
    lf_tape_fail(t, LF_EINVAL, "%s: input is NULL", op);
    return 0;
}

const char *lf_ad_shape(const lf_tensor *x, char buf[64])
{
    int len = snprintf(buf, 64, "[");
    for (int d = 0; d < x->ndim && len < 64; d++)
        len += snprintf(buf + len, (size_t)(64 - len), d ? ",%lld" : "%lld", (long long)x->shape[d]);
    if (len < 64) snprintf(buf + len, (size_t)(64 - len), "]");
    return buf;
}

/* A tensor header in the arena with shape set and no data yet. */
static lf_tensor *tensor_header(lf_tape *t, int ndim, const int64_t *shape)
{
    lf_tensor *x = lf_arena_calloc(t->arena, sizeof *x);
    if (!x) return lf_tape_fail(t, LF_ENOMEM, "tape: out of memory");
    if (lf_tensor_shape(x, ndim, shape) != LF_OK)
        return lf_tape_fail(t, LF_EINVAL, "%s", lf_last_error());
    return x;
}

lf_tensor *lf_tape_out(lf_tape *t, int ndim, const int64_t *shape, lf_tensor *a, lf_tensor *b)
{
    lf_tensor *x = tensor_header(t, ndim, shape);
    if (!x) return NULL;
    x->data = lf_arena_alloc(t->arena, (size_t)x->size * sizeof(float));
    if (!x->data)
        return lf_tape_fail(t, LF_ENOMEM, "tape: out of memory for %lld floats",
                            (long long)x->size);
    x->requires_grad = (a && a->requires_grad) || (b && b->requires_grad);
    return x;
}

lf_tensor *lf_tape_tensor(lf_tape *t, int ndim, const int64_t *shape, const float *data)
{
    if (!t) return NULL;
    lf_tensor *x = lf_tape_out(t, ndim, shape, NULL, NULL);
    if (!x) return NULL;
    if (data) memcpy(x->data, data, (size_t)x->size * sizeof(float));
    else memset(x->data, 0, (size_t)x->size * sizeof(float));
    return x;
}

lf_tensor *lf_tape_wrap(lf_tape *t, float *data, int ndim, const int64_t *shape)
{
    if (!t) return NULL;
    if (!data) return lf_tape_fail(t, LF_EINVAL, "tape: wrap of NULL data");
    lf_tensor *x = tensor_header(t, ndim, shape);
    if (x) x->data = data;
    return x;
}

float *lf_tensor_grad(lf_tape *t, lf_tensor *x)
{
    if (!x) return NULL;
    if (!x->grad) {
        x->grad = lf_arena_calloc(t->arena, (size_t)x->size * sizeof(float));
        if (!x->grad)
            lf_tape_fail(t, LF_ENOMEM, "tape: out of memory for a gradient of %lld floats",
                         (long long)x->size);
    }
    return x->grad;
}

lf_node *lf_tape_push(lf_tape *t, lf_backward_fn fn, lf_tensor *out, lf_tensor *a, lf_tensor *b,
                      lf_tensor *c)
{
    if (!out || !out->requires_grad) return NULL;
    if (t->n == t->cap) {
        int64_t cap = t->cap ? 2 * t->cap : 64;
        lf_node *nodes = realloc(t->nodes, (size_t)cap * sizeof *nodes);
        if (!nodes) {
            lf_tape_fail(t, LF_ENOMEM, "tape: out of memory for %lld nodes", (long long)cap);
            return NULL;
        }
        t->nodes = nodes;
        t->cap = cap;
    }
    lf_node *nd = &t->nodes[t->n++];
    memset(nd, 0, sizeof *nd);
    nd->backward = fn;
    nd->out = out;
    nd->in[0] = a;
    nd->in[1] = b;
    nd->in[2] = c;
    return nd;
}

lf_node *lf_tape_scalar(lf_tape *t, double v, lf_backward_fn fn, lf_tensor *a, lf_tensor *b,
                        lf_tensor **out)
{
    const int64_t one = 1;
    *out = lf_tape_out(t, 1, &one, a, b);
    if (!*out) return NULL;
    (*out)->data[0] = (float)v;
    return lf_tape_push(t, fn, *out, a, b, NULL);
}

/* Gives every input of nd that wants a gradient its buffer, so backward functions can use
 * in->grad directly. */
static lf_status node_grads(lf_tape *t, lf_node *nd)
{
    for (int j = 0; j < LF_NODE_IN; j++) {
        lf_tensor *x = nd->in[j];
        if (x && x->requires_grad && !lf_tensor_grad(t, x)) return lf_tape_status(t);
    }
    return LF_OK;
}

lf_status lf_backward(lf_tape *t, lf_tensor *scalar)
{
    if (!t) return lf_error(LF_EINVAL, "backward: tape is NULL");
    if (t->status != LF_OK) return lf_tape_status(t);
    if (!scalar) return lf_error(LF_EINVAL, "backward: scalar is NULL");
    if (scalar->size != 1)
        return lf_error(LF_EINVAL, "backward: needs a scalar (size 1), got %lld elements",
                        (long long)scalar->size);
    if (t->backward_done)
        return lf_error(LF_EINVAL, "backward: already ran on this tape; lf_tape_reset first");
    t->backward_done = 1;
    if (!scalar->requires_grad) return LF_OK; /* nothing on the tape leads to it */
    float *seed = lf_tensor_grad(t, scalar);
    if (!seed) return lf_tape_status(t);
    seed[0] = 1.0f;
    for (int64_t i = t->n - 1; i >= 0; i--) {
        lf_node *nd = &t->nodes[i];
        if (!nd->out->grad) continue; /* not upstream of the scalar */
        lf_status s = node_grads(t, nd);
        if (s != LF_OK) return s;
        nd->backward(t, nd);
        if (t->status != LF_OK) return lf_tape_status(t); /* a backward ran out of memory */
    }
    return LF_OK;
}
