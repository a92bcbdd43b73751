/* Fully connected layer, y = x W^T + b with W stored [out, in] as in PyTorch. All three products
 * are single sgemm calls; BLAS owns the threads here (nothing is wrapped in OpenMP). */
#include "ad.h"

#include <cblas.h>

static void linear_backward(lf_tape *t, lf_node *nd)
{
    LF_UNUSED(t);
    lf_tensor *x = nd->in[0], *w = nd->in[1], *b = nd->in[2];
    const float *dy = nd->out->grad;
    int n = (int)x->shape[0], in = (int)x->shape[1], out = (int)w->shape[0];
    if (x->requires_grad) /* dx[n,in] += dy[n,out] W[out,in] */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out, 1.0f, dy, out,
                    w->data, in, 1.0f, x->grad, in);
    if (w->requires_grad) /* dW[out,in] += dy^T x */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n, 1.0f, dy, out, x->data,
                    in, 1.0f, w->grad, in);
    if (b && b->requires_grad)
        for (int o = 0; o < out; o++) {
            double s = 0;
            for (int r = 0; r < n; r++) s += dy[(int64_t)r * out + o];
            b->grad[o] += (float)s;
        }
}

static int linear_check(lf_tape *t, const lf_tensor *x, const lf_tensor *w, const lf_tensor *b)
{
    char sx[64], sw[64];
    if (x->ndim != 2 || w->ndim != 2)
        lf_tape_fail(t, LF_EINVAL, "linear: input %s and weight %s must both be 2-d",
                     lf_ad_shape(x, sx), lf_ad_shape(w, sw));
    else if (x->shape[1] != w->shape[1])
        lf_tape_fail(t, LF_EINVAL, "linear: input has %lld features, weight %s expects %lld",
                     (long long)x->shape[1], lf_ad_shape(w, sw), (long long)w->shape[1]);
    else if (b && (b->ndim != 1 || b->shape[0] != w->shape[0]))
        lf_tape_fail(t, LF_EINVAL, "linear: bias %s does not match %lld outputs",
                     lf_ad_shape(b, sx), (long long)w->shape[0]);
    else return 1;
    return 0;
}

lf_tensor *lf_linear(lf_tape *t, lf_tensor *x, lf_tensor *w, lf_tensor *b)
{
    if (!lf_ad_ready(t, "linear", x, w) || !linear_check(t, x, w, b)) return NULL;
    int n = (int)x->shape[0], in = (int)x->shape[1], out = (int)w->shape[0];
    const int64_t shape[2] = {n, out};
    lf_tensor *y = lf_tape_out(t, 2, shape, x, w);
    if (!y) return NULL;
    if (b) {
        y->requires_grad |= b->requires_grad;
        for (int r = 0; r < n; r++)
            for (int o = 0; o < out; o++) y->data[(int64_t)r * out + o] = b->data[o];
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x->data, in, w->data,
                in, b ? 1.0f : 0.0f, y->data, out);
    lf_tape_push(t, linear_backward, y, x, w, b);
    return y;
}
