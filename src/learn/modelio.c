/* Model files: parameters plus the input standardisation, as safetensors with metadata
 * {format, model (canonical spec), in_shape, n_out}. */
#include "learn.h"

#include <stdio.h>
#include <string.h>

static int64_t in_size(const lf_model *m)
{
    int64_t d = 1;
    for (int i = 0; i < m->in_ndim; i++) d *= m->in_shape[i];
    return d;
}

lf_status lf_model_file_init(lf_model_file *f, const lf_model *m, const lf_norm *norm)
{
    const lf_params *p = &m->params;
    memset(f, 0, sizeof *f);
    f->n = p->n + 2;
    f->e = calloc((size_t)f->n, sizeof *f->e);
    if (!f->e) return lf_error(LF_ENOMEM, "model file: out of memory");
    for (int i = 0; i < p->n; i++) {
        f->e[i].name = p->t[i].name;
        f->e[i].dtype = LF_F32;
        f->e[i].ndim = p->t[i].ndim;
        memcpy(f->e[i].shape, p->t[i].shape, sizeof f->e[i].shape);
        f->e[i].data = p->t[i].data;
    }
    int64_t d = in_size(m);
    const char *names[2] = {"norm.mean", "norm.std"};
    for (int j = 0; j < 2; j++) {
        lf_st_entry *x = &f->e[p->n + j];
        x->name = names[j];
        x->dtype = LF_F32;
        x->ndim = 1;
        x->shape[0] = d;
        x->data = j ? norm->std : norm->mean;
    }
    int len = 0;
    for (int i = 0; i < m->in_ndim; i++)
        len += snprintf(f->shape + len, sizeof f->shape - (size_t)len, i ? ",%lld" : "%lld",
                        (long long)m->in_shape[i]);
    snprintf(f->nout, sizeof f->nout, "%lld", (long long)m->n_out);
    const char *meta[8] = {"format", "lossforge-model-1", "model", m->spec,
                           "in_shape", f->shape, "n_out", f->nout};
    memcpy(f->meta, meta, sizeof meta);
    return LF_OK;
}

void lf_model_file_release(lf_model_file *f)
{
    free(f->e);
    f->e = NULL;
}

lf_status lf_model_save(const lf_model *m, const lf_norm *norm, const char *path)
{
    lf_model_file f;
    lf_status s = lf_model_file_init(&f, m, norm);
    if (s == LF_OK) s = lf_st_write(path, f.e, f.n, f.meta, 4);
    lf_model_file_release(&f);
    return s;
}

static lf_status parse_shape(const char *path, const char *text, int *ndim, int64_t *shape)
{
    int n = 0;
    const char *q = text;
    while (*q && n < 3) {
        char *end;
        long long v = strtoll(q, &end, 10);
        if (end == q || v <= 0) break;
        shape[n++] = v;
        q = *end == ',' ? end + 1 : end;
        if (*end != ',' && *end != '\0') break;
    }
    int64_t d = 1;
    for (int i = 0; i < n; i++)
        if (lf_mul_overflows(d, shape[i], &d)) n = 0;
    if (n == 0 || *q)
        return lf_error(LF_EFORMAT, "%s: metadata \"in_shape\" is \"%.40s\", not 1-3 positive "
                        "integers with a product that fits", path, text);
    *ndim = n;
    return LF_OK;
}

/* The sizes a model file's metadata claims, checked against what the file holds before the
 * model is built: in_shape against norm.mean, n_out as a plain positive integer, and the
 * parameter count bounded by the file's F32 values (*max_params). */
static lf_status file_sizes(const char *path, const lf_st *st, const char *shape,
                            const char *nout, int *ndim, int64_t *in_shape, int64_t *n_out,
                            int64_t *max_params)
{
    lf_status s = parse_shape(path, shape, ndim, in_shape);
    if (s != LF_OK) return s;
    int64_t d = 1;
    for (int i = 0; i < *ndim; i++) d *= in_shape[i];
    const lf_st_entry *mean = lf_st_get(st, "norm.mean");
    if (!mean || mean->dtype != LF_F32 || mean->ndim != 1 || mean->shape[0] != d)
        return lf_error(LF_EFORMAT, "%s: tensor \"norm.mean\" must be F32 [%lld], the product "
                        "of in_shape %.40s", path, (long long)d, shape);
    char *end;
    long long k = strtoll(nout, &end, 10);
    if (end == nout || *end || k < 1 || k > INT32_MAX)
        return lf_error(LF_EFORMAT, "%s: metadata \"n_out\" is \"%.40s\", not an integer in "
                        "[1, %d]", path, nout, INT32_MAX);
    *n_out = k;
    *max_params = 0;
    for (int i = 0; i < lf_st_count(st); i++) {
        const lf_st_entry *e = lf_st_at(st, i);
        int64_t c = 1;
        for (int j = 0; j < e->ndim; j++) c *= e->shape[j]; /* the reader checked the bytes */
        if (e->dtype == LF_F32) *max_params += c;
    }
    return LF_OK;
}

lf_status lf_st_copy_f32(const char *path, const lf_st *st, const char *name, float *dst,
                         int64_t count)
{
    const lf_st_entry *e = lf_st_get(st, name);
    if (!e) return lf_error(LF_EFORMAT, "%s: tensor \"%s\" is missing", path, name);
    int64_t have = 1;
    for (int i = 0; i < e->ndim; i++) have *= e->shape[i];
    if (e->dtype != LF_F32 || have != count)
        return lf_error(LF_EFORMAT, "%s: tensor \"%s\" has %lld values (dtype %d), %lld F32 needed",
                        path, name, (long long)have, (int)e->dtype, (long long)count);
    memcpy(dst, e->data, (size_t)count * sizeof(float));
    return LF_OK;
}

lf_status lf_model_load(const char *path, lf_model **out, lf_norm *norm)
{
    lf_st *st;
    lf_status s = lf_st_read(path, &st);
    if (s != LF_OK) return s;
    const char *spec = lf_st_meta(st, "model"), *shape = lf_st_meta(st, "in_shape"),
               *nout = lf_st_meta(st, "n_out");
    lf_model *m = NULL;
    int ndim = 0;
    int64_t in_shape[3], n_out = 0, max_params = 0;
    if (!spec || !shape || !nout)
        s = lf_error(LF_EFORMAT, "%s: not a lossforge model (metadata model/in_shape/n_out missing)",
                     path);
    if (s == LF_OK) s = file_sizes(path, st, shape, nout, &ndim, in_shape, &n_out, &max_params);
    if (s == LF_OK) s = lf_model_create_max(spec, ndim, in_shape, n_out, 0, max_params, &m);
    for (int i = 0; s == LF_OK && i < m->params.n; i++)
        s = lf_st_copy_f32(path, st, m->params.t[i].name, m->params.t[i].data, m->params.t[i].size);
    lf_norm nm = {0};
    if (s == LF_OK && norm) {
        int64_t d = in_size(m);
        s = lf_norm_alloc(&nm, d);
        if (s == LF_OK) s = lf_st_copy_f32(path, st, "norm.mean", nm.mean, d);
        if (s == LF_OK) s = lf_st_copy_f32(path, st, "norm.std", nm.std, d);
    }
    lf_st_free(st);
    if (s != LF_OK) {
        lf_norm_release(&nm);
        lf_model_free(m);
        return s;
    }
    if (norm) *norm = nm;
    *out = m;
    return LF_OK;
}
