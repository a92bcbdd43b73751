/* Reductions to a scalar: sum and mean, accumulated in double. */
#include "ad.h"

static double dsum_serial(const float *x, int64_t n)
{
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; i++) s += x[i];
    return s;
}

double lf_ad_dsum(const float *x, int64_t n)
{
    if (n <= LF_AD_PAR_MIN) return dsum_serial(x, n);
    /* A fixed split, summed in order: the same bits on 1 or 16 threads. */
    enum { PARTS = 64 };
    double part[PARTS];
    int64_t len = (n + PARTS - 1) / PARTS;
#pragma omp parallel for schedule(static)
    for (int p = 0; p < PARTS; p++) {
        int64_t lo = p * len, hi = lo + len < n ? lo + len : n;
        part[p] = lo < hi ? dsum_serial(x + lo, hi - lo) : 0.0;
    }
    double s = 0;
    for (int p = 0; p < PARTS; p++) s += part[p];
    return s;
}

/* Both reductions: y = k * sum(x), so dx += k * dy. */
static void reduce_backward(lf_tape *t, lf_node *nd)
{
    LF_UNUSED(t);
    lf_tensor *x = nd->in[0];
    float g = nd->f[0] * nd->out->grad[0];
    float *dx = x->grad;
    int64_t n = x->size;
#pragma omp parallel for simd schedule(static) if (n > LF_AD_PAR_MIN)
    for (int64_t i = 0; i < n; i++) dx[i] += g;
}

static lf_tensor *reduce(lf_tape *t, const char *op, lf_tensor *x, double k)
{
    if (!lf_ad_ready(t, op, x, x)) return NULL;
    lf_tensor *y;
    lf_node *nd = lf_tape_scalar(t, k * lf_ad_dsum(x->data, x->size), reduce_backward, x, NULL, &y);
    if (nd) nd->f[0] = (float)k;
    return y;
}

lf_tensor *lf_sum(lf_tape *t, lf_tensor *x) { return reduce(t, "sum", x, 1.0); }

lf_tensor *lf_mean(lf_tape *t, lf_tensor *x)
{
    return reduce(t, "mean", x, x ? 1.0 / (double)x->size : 1.0);
}
