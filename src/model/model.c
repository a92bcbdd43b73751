/* Model objects: spec parsing, build, forward dispatch. */
#include "internal.h"

#include <string.h>

static const lf_model_vt *vt(const lf_model *m) { return m->desc->impl; }

lf_status lf_model_create(const char *spec, int in_ndim, const int64_t *in_shape, int64_t n_out,
                          uint64_t seed, lf_model **out)
{
    return lf_model_create_max(spec, in_ndim, in_shape, n_out, seed, INT64_MAX, out);
}

lf_status lf_model_create_max(const char *spec, int in_ndim, const int64_t *in_shape,
                              int64_t n_out, uint64_t seed, int64_t max_params, lf_model **out)
{
    if (in_ndim < 1 || in_ndim > 3)
        return lf_error(LF_EINVAL, "model: input has %d dimensions (must be 1..3)", in_ndim);
    if (n_out < 1) return lf_error(LF_EINVAL, "model: %lld outputs (must be >= 1)", (long long)n_out);
    lf_model *m = calloc(1, sizeof *m);
    if (!m) return lf_error(LF_ENOMEM, "model: out of memory");
    lf_status s = lf_spec_new(LF_KIND_MODEL, spec, &m->desc, &m->cfg);
    if (s != LF_OK) {
        free(m);
        return s;
    }
    m->in_ndim = in_ndim;
    memcpy(m->in_shape, in_shape, (size_t)in_ndim * sizeof *in_shape);
    m->n_out = n_out;
    lf_rng rng;
    lf_rng_seed(&rng, seed);
    s = lf_spec_canonical(m->desc, m->cfg, m->spec, sizeof m->spec);
    if (s == LF_OK) s = vt(m)->build(m, &rng);
    if (s == LF_OK && m->params.size > max_params)
        s = lf_error(LF_EFORMAT, "model \"%s\": %lld parameters, more than the %lld available",
                     m->spec, (long long)m->params.size, (long long)max_params);
    if (s == LF_OK) s = lf_params_alloc(&m->params);
    if (s != LF_OK) {
        lf_model_free(m);
        return s;
    }
    lf_model_init_params(m, &rng);
    *out = m;
    return LF_OK;
}

void lf_model_free(lf_model *m)
{
    if (!m) return;
    if (m->impl && vt(m)->free_impl) vt(m)->free_impl(m->impl);
    lf_params_release(&m->params);
    free(m->cfg);
    free(m);
}

lf_tensor *lf_model_forward(lf_model *m, lf_tape *t, lf_tensor *x)
{
    if (!x) return NULL;
    int64_t per = 1;
    for (int i = 0; i < m->in_ndim; i++) per *= m->in_shape[i];
    if (x->size != x->shape[0] * per)
        return lf_tape_fail(t, LF_EINVAL, "model \"%s\": input rows have %lld values, expected %lld",
                            m->desc->name, (long long)(x->size / x->shape[0]), (long long)per);
    return vt(m)->forward(m, t, x);
}

lf_params *lf_model_params(lf_model *m) { return &m->params; }
const char *lf_model_spec(const lf_model *m) { return m->spec; }
int lf_model_in_ndim(const lf_model *m) { return m->in_ndim; }
const int64_t *lf_model_in_shape(const lf_model *m) { return m->in_shape; }
int64_t lf_model_n_out(const lf_model *m) { return m->n_out; }
