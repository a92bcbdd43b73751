/* Views: reshape and flatten share the input's data; only the gradient is separate, and the
 * backward adds it into the input's. */
#include "ad.h"

static void view_backward(lf_tape *t, lf_node *nd)
{
    LF_UNUSED(t);
    lf_ad_axpy(nd->in[0]->grad, 1.0f, nd->out->grad, nd->out->size);
}

/* One dim may be -1: it takes whatever size is left over, as in torch. */
static int infer_shape(lf_tape *t, const lf_tensor *x, int ndim, const int64_t *shape,
                       int64_t *out)
{
    int free_dim = -1;
    int64_t known = 1;
    for (int d = 0; d < ndim; d++) {
        out[d] = shape[d];
        if (shape[d] == -1 && free_dim < 0) free_dim = d;
        else if (shape[d] > 0) known *= shape[d];
        else {
            lf_tape_fail(t, LF_EINVAL, "reshape: dimension %d is %lld", d, (long long)shape[d]);
            return 0;
        }
    }
    if (free_dim >= 0 && known > 0 && x->size % known == 0) out[free_dim] = x->size / known;
    return 1;
}

lf_tensor *lf_reshape(lf_tape *t, lf_tensor *x, int ndim, const int64_t *shape)
{
    if (!lf_ad_ready(t, "reshape", x, x)) return NULL;
    if (ndim < 1 || ndim > LF_MAX_DIMS || !shape)
        return lf_tape_fail(t, LF_EINVAL, "reshape: %d dimensions (must be 1..%d)", ndim,
                            LF_MAX_DIMS);
    int64_t dims[LF_MAX_DIMS];
    if (!infer_shape(t, x, ndim, shape, dims)) return NULL;
    lf_tensor *y = lf_arena_alloc(lf_tape_arena(t), sizeof *y);
    if (!y) return lf_tape_fail(t, LF_ENOMEM, "reshape: out of memory");
    *y = *x;
    y->grad = NULL;
    y->name = NULL;
    if (lf_tensor_shape(y, ndim, dims) != LF_OK || y->size != x->size) {
        char sx[64];
        return lf_tape_fail(t, LF_EINVAL, "reshape: cannot view %s (%lld elements) as the "
                            "requested %d-d shape", lf_ad_shape(x, sx), (long long)x->size, ndim);
    }
    lf_tape_push(t, view_backward, y, x, NULL, NULL);
    return y;
}

lf_tensor *lf_flatten(lf_tape *t, lf_tensor *x)
{
    if (!lf_ad_ready(t, "flatten", x, x)) return NULL;
    const int64_t shape[2] = {x->shape[0], x->size / x->shape[0]};
    return lf_reshape(t, x, 2, shape);
}
