/* Tensor shapes and the parameter slab of a model. */
#include "internal.h"

#include <string.h>

size_t lf_dtype_size(lf_dtype t)
{
    switch (t) {
    case LF_F32: case LF_I32: return 4;
    case LF_F64: case LF_I64: return 8;
    case LF_U8: return 1;
    case LF_BF16: return 2;
    }
    return 0;
}

lf_status lf_tensor_shape(lf_tensor *t, int ndim, const int64_t *shape)
{
    if (ndim < 1 || ndim > LF_MAX_DIMS)
        return lf_error(LF_EINVAL, "tensor: %d dimensions (must be 1..%d)", ndim, LF_MAX_DIMS);
    int64_t size = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] <= 0)
            return lf_error(LF_EINVAL, "tensor: dimension %d is %lld (must be > 0)", i,
                            (long long)shape[i]);
        if (lf_mul_overflows(size, shape[i], &size))
            return lf_error(LF_ENOMEM, "tensor: shape product overflows");
    }
    t->ndim = ndim;
    for (int i = 0; i < LF_MAX_DIMS; i++) t->shape[i] = i < ndim ? shape[i] : 1;
    t->size = size;
    return LF_OK;
}

int lf_tensor_same_shape(const lf_tensor *a, const lf_tensor *b)
{
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

int lf_params_add(lf_params *p, const char *name, int ndim, const int64_t *shape, int decay)
{
    if (p->data) {
        lf_error(LF_EINVAL, "params: \"%s\" added after lf_params_alloc", name);
        return -1;
    }
    if (lf_params_find(p, name) >= 0) {
        lf_error(LF_EINVAL, "params: duplicate name \"%s\"", name);
        return -1;
    }
    if (p->n == p->cap) {
        int cap = p->cap ? 2 * p->cap : 8;
        lf_tensor *t = realloc(p->t, (size_t)cap * sizeof *t);
        uint8_t *d = realloc(p->decay, (size_t)cap);
        if (t) p->t = t;
        if (d) p->decay = d;
        if (!t || !d) {
            lf_error(LF_ENOMEM, "params: out of memory");
            return -1;
        }
        p->cap = cap;
    }
    lf_tensor *t = &p->t[p->n];
    memset(t, 0, sizeof *t);
    if (lf_tensor_shape(t, ndim, shape) != LF_OK) return -1;
    if (t->size > INT64_MAX - p->size) {
        lf_error(LF_ENOMEM, "params: total size overflows at \"%s\"", name);
        return -1;
    }
    char *copy = malloc(strlen(name) + 1);
    if (!copy) {
        lf_error(LF_ENOMEM, "params: out of memory");
        return -1;
    }
    strcpy(copy, name);
    t->name = copy;
    t->requires_grad = 1;
    p->decay[p->n] = (uint8_t)(decay != 0);
    p->size += t->size;
    return p->n++;
}

lf_status lf_params_alloc(lf_params *p)
{
    size_t bytes = (size_t)(p->size ? p->size : 1) * sizeof(float);
    p->data = calloc(1, bytes);
    p->grad = calloc(1, bytes);
    if (!p->data || !p->grad) {
        free(p->data);
        free(p->grad);
        p->data = p->grad = NULL;
        return lf_error(LF_ENOMEM, "params: cannot allocate %lld floats", (long long)p->size);
    }
    int64_t off = 0;
    for (int i = 0; i < p->n; i++) {
        p->t[i].data = p->data + off;
        p->t[i].grad = p->grad + off;
        off += p->t[i].size;
    }
    return LF_OK;
}

void lf_params_release(lf_params *p)
{
    if (!p) return;
    for (int i = 0; i < p->n; i++) free((char *)p->t[i].name);
    free(p->t);
    free(p->decay);
    free(p->data);
    free(p->grad);
    memset(p, 0, sizeof *p);
}

void lf_params_zero_grad(lf_params *p) { memset(p->grad, 0, (size_t)p->size * sizeof(float)); }

int lf_params_find(const lf_params *p, const char *name)
{
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->t[i].name, name) == 0) return i;
    return -1;
}
