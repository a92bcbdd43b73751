/* Max pooling (k x k windows, given stride, no padding). The forward saves each window's argmax
 * when a backward will need it; ties go to the first maximum in row-major order and a NaN wins,
 * as in PyTorch. */
#include "ad.h"

typedef struct pool_geom {
    int64_t planes, h, w, oh, ow, k, s;
} pool_geom;

static pool_geom pool_geom_of(const lf_tensor *x, int64_t k, int64_t s)
{
    pool_geom g = {x->shape[0] * x->shape[1], x->shape[2], x->shape[3], 0, 0, k, s};
    g.oh = (g.h - k) / s + 1;
    g.ow = (g.w - k) / s + 1;
    return g;
}

/* One plane: y[oh*ow] and, when arg != NULL, the argmax index into the plane. */
static void pool_plane(const pool_geom *g, const float *x, float *y, int32_t *arg)
{
    for (int64_t oh = 0; oh < g->oh; oh++)
        for (int64_t ow = 0; ow < g->ow; ow++) {
            int64_t best = oh * g->s * g->w + ow * g->s;
            for (int64_t i = 0; i < g->k; i++)
                for (int64_t j = 0; j < g->k; j++) {
                    int64_t at = (oh * g->s + i) * g->w + ow * g->s + j;
                    if (x[at] > x[best] || x[at] != x[at]) best = at;
                }
            y[oh * g->ow + ow] = x[best];
            if (arg) arg[oh * g->ow + ow] = (int32_t)best;
        }
}

static void maxpool_backward(lf_tape *t, lf_node *nd)
{
    LF_UNUSED(t);
    pool_geom g = pool_geom_of(nd->in[0], nd->i[0], nd->i[1]);
    const int32_t *arg = nd->ctx;
    const float *dy = nd->out->grad;
    float *dx = nd->in[0]->grad;
    int64_t per_out = g.oh * g.ow, per_in = g.h * g.w;
#pragma omp parallel for schedule(static) if (g.planes * per_in > LF_AD_PAR_MIN)
    for (int64_t p = 0; p < g.planes; p++)
        for (int64_t i = 0; i < per_out; i++)
            dx[p * per_in + arg[p * per_out + i]] += dy[p * per_out + i];
}

lf_tensor *lf_maxpool2d(lf_tape *t, lf_tensor *x, int k, int stride)
{
    char sx[64];
    if (!lf_ad_ready(t, "maxpool2d", x, x)) return NULL;
    if (x->ndim != 4)
        return lf_tape_fail(t, LF_EINVAL, "maxpool2d: input %s must be 4-d [N,C,H,W]",
                            lf_ad_shape(x, sx));
    if (k < 1 || stride < 1 || k > x->shape[2] || k > x->shape[3])
        return lf_tape_fail(t, LF_EINVAL, "maxpool2d: window %d (stride %d) does not fit input %s",
                            k, stride, lf_ad_shape(x, sx));
    pool_geom g = pool_geom_of(x, k, stride);
    const int64_t shape[4] = {x->shape[0], x->shape[1], g.oh, g.ow};
    lf_tensor *y = lf_tape_out(t, 4, shape, x, NULL);
    if (!y) return NULL;
    int32_t *arg = NULL;
    if (y->requires_grad) {
        arg = lf_arena_alloc(lf_tape_arena(t), (size_t)y->size * sizeof *arg);
        if (!arg) return lf_tape_fail(t, LF_ENOMEM, "maxpool2d: out of memory");
    }
    int64_t per_out = g.oh * g.ow, per_in = g.h * g.w;
#pragma omp parallel for schedule(static) if (x->size > LF_AD_PAR_MIN)
    for (int64_t p = 0; p < g.planes; p++)
        pool_plane(&g, x->data + p * per_in, y->data + p * per_out, arg ? arg + p * per_out : NULL);
    lf_node *nd = lf_tape_push(t, maxpool_backward, y, x, NULL, NULL);
    if (nd) {
        nd->ctx = arg;
        nd->i[0] = k;
        nd->i[1] = stride;
    }
    return y;
}
