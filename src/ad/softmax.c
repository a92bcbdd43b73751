/* softmax and log_softmax over the last dim, max-subtracted so logits of +-1e4 stay finite. */
#include "ad.h"

#include <math.h>

#define ROWS_FOR _Pragma("omp parallel for schedule(static) if (rows * k > LF_AD_PAR_MIN)")

static void softmax_row(const float *x, float *y, int64_t k)
{
    float m = x[0];
    for (int64_t i = 1; i < k; i++) m = x[i] > m ? x[i] : m;
    for (int64_t i = 0; i < k; i++) y[i] = x[i] - m;
    lf_vexp(y, y, k);
    float inv = (float)(1.0 / lf_ad_dsum(y, k));
    for (int64_t i = 0; i < k; i++) y[i] *= inv;
}

static void log_softmax_row(const float *x, float *y, int64_t k)
{
    double lse = lf_logsumexp(x, k);
    for (int64_t i = 0; i < k; i++) y[i] = (float)((double)x[i] - lse);
}

/* dx += y * (dy - <dy, y>) */
static void softmax_backward(lf_tape *t, lf_node *nd)
{
    LF_UNUSED(t);
    const lf_tensor *out = nd->out;
    int64_t k = out->shape[out->ndim - 1], rows = out->size / k;
    ROWS_FOR
    for (int64_t r = 0; r < rows; r++) {
        const float *y = out->data + r * k, *dy = out->grad + r * k;
        float *dx = nd->in[0]->grad + r * k;
        double dot = 0;
        for (int64_t i = 0; i < k; i++) dot += (double)dy[i] * y[i];
        for (int64_t i = 0; i < k; i++) dx[i] += y[i] * (dy[i] - (float)dot);
    }
}

/* dx += dy - softmax * sum(dy); softmax = exp(y) */
static void log_softmax_backward(lf_tape *t, lf_node *nd)
{
    LF_UNUSED(t);
    const lf_tensor *out = nd->out;
    int64_t k = out->shape[out->ndim - 1], rows = out->size / k;
    ROWS_FOR
    for (int64_t r = 0; r < rows; r++) {
        const float *y = out->data + r * k, *dy = out->grad + r * k;
        float *dx = nd->in[0]->grad + r * k;
        float s = (float)lf_ad_dsum(dy, k);
        for (int64_t i = 0; i < k; i++) dx[i] += dy[i] - expf(y[i]) * s;
    }
}

static lf_tensor *rowwise(lf_tape *t, const char *op, lf_tensor *x,
                          void (*row)(const float *, float *, int64_t), lf_backward_fn bw)
{
    if (!lf_ad_ready(t, op, x, x)) return NULL;
    lf_tensor *y = lf_tape_out(t, x->ndim, x->shape, x, NULL);
    if (!y) return NULL;
    int64_t k = x->shape[x->ndim - 1], rows = x->size / k;
    ROWS_FOR
    for (int64_t r = 0; r < rows; r++) row(x->data + r * k, y->data + r * k, k);
    lf_tape_push(t, bw, y, x, NULL, NULL);
    return y;
}

lf_tensor *lf_softmax(lf_tape *t, lf_tensor *x)
{
    return rowwise(t, "softmax", x, softmax_row, softmax_backward);
}

lf_tensor *lf_log_softmax(lf_tape *t, lf_tensor *x)
{
    return rowwise(t, "log_softmax", x, log_softmax_row, log_softmax_backward);
}
