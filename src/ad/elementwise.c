/* Elementwise ops: add, mul, scale and the activations. Each forward sits next to its backward;
 * backwards accumulate into the input gradients. */
#include "ad.h"

#include <math.h>

#define PAR_FOR _Pragma("omp parallel for simd schedule(static) if (n > LF_AD_PAR_MIN)")

void lf_ad_axpy(float *y, float a, const float *x, int64_t n)
{
    PAR_FOR
    for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
}

static lf_tensor *unary_out(lf_tape *t, const char *op, lf_tensor *x)
{
    if (!lf_ad_ready(t, op, x, x)) return NULL;
    return lf_tape_out(t, x->ndim, x->shape, x, NULL);
}

static lf_tensor *binary_out(lf_tape *t, const char *op, lf_tensor *a, lf_tensor *b)
{
    if (!lf_ad_ready(t, op, a, b)) return NULL;
    if (!lf_tensor_same_shape(a, b)) {
        char sa[64], sb[64];
        return lf_tape_fail(t, LF_EINVAL, "%s: shapes %s and %s differ", op, lf_ad_shape(a, sa),
                            lf_ad_shape(b, sb));
    }
    return lf_tape_out(t, a->ndim, a->shape, a, b);
}

/* ---------------------------------------------------------------- add */
static void add_backward(lf_tape *t, lf_node *nd)
{
    LF_UNUSED(t);
    const lf_tensor *y = nd->out;
    for (int j = 0; j < 2; j++)
        if (nd->in[j]->requires_grad) lf_ad_axpy(nd->in[j]->grad, 1.0f, y->grad, y->size);
}

lf_tensor *lf_add(lf_tape *t, lf_tensor *a, lf_tensor *b)
{
    lf_tensor *y = binary_out(t, "add", a, b);
    if (!y) return NULL;
    const float *pa = a->data, *pb = b->data;
    float *py = y->data;
    int64_t n = y->size;
    PAR_FOR
    for (int64_t i = 0; i < n; i++) py[i] = pa[i] + pb[i];
    lf_tape_push(t, add_backward, y, a, b, NULL);
    return y;
}

/* ---------------------------------------------------------------- mul */
static void mul_backward(lf_tape *t, lf_node *nd)
{
    LF_UNUSED(t);
    const float *dy = nd->out->grad;
    int64_t n = nd->out->size;
    for (int j = 0; j < 2; j++) {
        lf_tensor *x = nd->in[j];
        const float *other = nd->in[1 - j]->data;
        if (!x->requires_grad) continue;
        float *dx = x->grad;
        PAR_FOR
        for (int64_t i = 0; i < n; i++) dx[i] += dy[i] * other[i];
    }
}

lf_tensor *lf_mul(lf_tape *t, lf_tensor *a, lf_tensor *b)
{
    lf_tensor *y = binary_out(t, "mul", a, b);
    if (!y) return NULL;
    const float *pa = a->data, *pb = b->data;
    float *py = y->data;
    int64_t n = y->size;
    PAR_FOR
    for (int64_t i = 0; i < n; i++) py[i] = pa[i] * pb[i];
    lf_tape_push(t, mul_backward, y, a, b, NULL);
    return y;
}

/* ---------------------------------------------------------------- scale */
static void scale_backward(lf_tape *t, lf_node *nd)
{
    LF_UNUSED(t);
    lf_ad_axpy(nd->in[0]->grad, nd->f[0], nd->out->grad, nd->out->size);
}

lf_tensor *lf_scale(lf_tape *t, lf_tensor *a, float s)
{
    lf_tensor *y = unary_out(t, "scale", a);
    if (!y) return NULL;
    const float *pa = a->data;
    float *py = y->data;
    int64_t n = y->size;
    PAR_FOR
    for (int64_t i = 0; i < n; i++) py[i] = s * pa[i];
    lf_node *nd = lf_tape_push(t, scale_backward, y, a, NULL, NULL);
    if (nd) nd->f[0] = s;
    return y;
}

/* ---------------------------------------------------------------- relu */
static void relu_backward(lf_tape *t, lf_node *nd)
{
    LF_UNUSED(t);
    const float *y = nd->out->data, *dy = nd->out->grad;
    float *dx = nd->in[0]->grad;
    int64_t n = nd->out->size;
    PAR_FOR
    for (int64_t i = 0; i < n; i++) dx[i] += y[i] > 0.0f ? dy[i] : 0.0f;
}

lf_tensor *lf_relu(lf_tape *t, lf_tensor *x)
{
    lf_tensor *y = unary_out(t, "relu", x);
    if (!y) return NULL;
    const float *px = x->data;
    float *py = y->data;
    int64_t n = y->size;
    PAR_FOR
    for (int64_t i = 0; i < n; i++) py[i] = px[i] > 0.0f ? px[i] : 0.0f;
    lf_tape_push(t, relu_backward, y, x, NULL, NULL);
    return y;
}

/* ---------------------------------------------------------------- tanh */
static void tanh_backward(lf_tape *t, lf_node *nd)
{
    LF_UNUSED(t);
    const float *y = nd->out->data, *dy = nd->out->grad;
    float *dx = nd->in[0]->grad;
    int64_t n = nd->out->size;
    PAR_FOR
    for (int64_t i = 0; i < n; i++) dx[i] += dy[i] * (1.0f - y[i] * y[i]);
}

lf_tensor *lf_tanh(lf_tape *t, lf_tensor *x)
{
    lf_tensor *y = unary_out(t, "tanh", x);
    if (!y) return NULL;
    const float *px = x->data;
    float *py = y->data;
    int64_t n = y->size;
    PAR_FOR
    for (int64_t i = 0; i < n; i++) py[i] = tanhf(px[i]);
    lf_tape_push(t, tanh_backward, y, x, NULL, NULL);
    return y;
}

/* ---------------------------------------------------------------- sigmoid */
static void sigmoid_backward(lf_tape *t, lf_node *nd)
{
    LF_UNUSED(t);
    const float *y = nd->out->data, *dy = nd->out->grad;
    float *dx = nd->in[0]->grad;
    int64_t n = nd->out->size;
    PAR_FOR
    for (int64_t i = 0; i < n; i++) dx[i] += dy[i] * y[i] * (1.0f - y[i]);
}

lf_tensor *lf_sigmoid(lf_tape *t, lf_tensor *x)
{
    lf_tensor *y = unary_out(t, "sigmoid", x);
    if (!y) return NULL;
    const float *px = x->data;
    float *py = y->data;
    int64_t n = y->size;
    PAR_FOR
    for (int64_t i = 0; i < n; i++) py[i] = -px[i];
    lf_vexp(py, py, n); /* exp(-x) overflows to inf for x < -88: 1/(1+inf) = 0, as it should */
    PAR_FOR
    for (int64_t i = 0; i < n; i++) py[i] = 1.0f / (1.0f + py[i]);
    lf_tape_push(t, sigmoid_backward, y, x, NULL, NULL);
    return y;
}

/* ---------------------------------------------------------------- gelu */
#define INV_SQRT2 0.70710678118654752f
#define INV_SQRT2PI 0.39894228040143268f

static void gelu_backward(lf_tape *t, lf_node *nd)
{
    LF_UNUSED(t);
    const float *x = nd->in[0]->data, *dy = nd->out->grad;
    float *dx = nd->in[0]->grad;
    int64_t n = nd->out->size;
    /* d/dx x Phi(x) = Phi(x) + x phi(x) */
    PAR_FOR
    for (int64_t i = 0; i < n; i++) {
        float cdf = 0.5f * (1.0f + erff(x[i] * INV_SQRT2));
        float pdf = INV_SQRT2PI * expf(-0.5f * x[i] * x[i]);
        dx[i] += dy[i] * (cdf + x[i] * pdf);
    }
}

lf_tensor *lf_gelu(lf_tape *t, lf_tensor *x)
{
    lf_tensor *y = unary_out(t, "gelu", x);
    if (!y) return NULL;
    const float *px = x->data;
    float *py = y->data;
    int64_t n = y->size;
    PAR_FOR
    for (int64_t i = 0; i < n; i++) py[i] = 0.5f * px[i] * (1.0f + erff(px[i] * INV_SQRT2));
    lf_tape_push(t, gelu_backward, y, x, NULL, NULL);
    return y;
}
