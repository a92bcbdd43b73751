/* The logit-shift penalty of the smooth adversarial comp-sum loss (src/loss/advcompsum.c) as a
 * tape op. */
#include "ad.h"

#include <math.h>
#include <string.h>

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
    const int64_t n = za->shape[0], k = za->shape[1];
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
    lf_tensor *out;
    lf_node *nd = lf_tape_scalar(t, total, shift_backward, za, z, &out);
    if (nd) nd->ctx = c;
    return out;
}
