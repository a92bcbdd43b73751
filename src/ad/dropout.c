/* Inverted dropout: in training, keep each element with probability 1-p and scale it by 1/(1-p),
 * so evaluation is the identity. The mask comes from the tape's rng, so a seed fixes it. */
#include "ad.h"

static void dropout_backward(lf_tape *t, lf_node *nd)
{
    LF_UNUSED(t);
    const float *mask = nd->ctx, *dy = nd->out->grad;
    float *dx = nd->in[0]->grad;
    int64_t n = nd->out->size;
#pragma omp parallel for simd schedule(static) if (n > LF_AD_PAR_MIN)
    for (int64_t i = 0; i < n; i++) dx[i] += dy[i] * mask[i];
}

lf_tensor *lf_dropout(lf_tape *t, lf_tensor *x, float p)
{
    if (!lf_ad_ready(t, "dropout", x, x)) return NULL;
    if (!(p >= 0.0f && p <= 1.0f))
        return lf_tape_fail(t, LF_EINVAL, "dropout: p must be in [0, 1], got %g", (double)p);
    if (!lf_tape_training(t) || p == 0.0f) return x;
    lf_tensor *y = lf_tape_out(t, x->ndim, x->shape, x, NULL);
    if (!y) return NULL;
    int64_t n = y->size;
    float *mask = lf_arena_alloc(lf_tape_arena(t), (size_t)n * sizeof *mask);
    if (!mask) return lf_tape_fail(t, LF_ENOMEM, "dropout: out of memory");
    float keep = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
    lf_rng *rng = lf_tape_rng(t); /* one stream, so this loop stays serial */
    for (int64_t i = 0; i < n; i++) mask[i] = lf_rng_uniform(rng) < p ? 0.0f : keep;
    const float *px = x->data;
    float *py = y->data;
#pragma omp parallel for simd schedule(static) if (n > LF_AD_PAR_MIN)
    for (int64_t i = 0; i < n; i++) py[i] = px[i] * mask[i];
    lf_node *nd = lf_tape_push(t, dropout_backward, y, x, NULL, NULL);
    if (nd) nd->ctx = mask;
    return y;
}
