/* Multi-layer perceptron: flatten -> [linear -> act -> dropout] * H -> linear. */
#include "internal.h"

#include <stddef.h>
#include <stdio.h>

typedef struct mlp_cfg {
    lf_intlist hidden;
    int act;
    double dropout;
} mlp_cfg;

static lf_status mlp_build(lf_model *m, lf_rng *rng)
{
    LF_UNUSED(rng);
    const mlp_cfg *c = m->cfg;
    int64_t in = 1;
    for (int i = 0; i < m->in_ndim; i++) in *= m->in_shape[i];
    for (int l = 0; l <= c->hidden.n; l++) {
        int64_t out = l < c->hidden.n ? c->hidden.v[l] : m->n_out;
        int64_t shape[2] = {out, in};
        char name[16];
        if (l < c->hidden.n) snprintf(name, sizeof name, "fc%d", l + 1);
        else snprintf(name, sizeof name, "out");
        if (lf_model_add_layer(m, name, 2, shape) < 0) return LF_EINVAL;
        in = out;
    }
    return LF_OK;
}

static lf_tensor *mlp_forward(lf_model *m, lf_tape *t, lf_tensor *x)
{
    const mlp_cfg *c = m->cfg;
    lf_tensor *h = lf_flatten(t, x);
    lf_tensor *p = m->params.t;
    for (int l = 0; l < c->hidden.n; l++) {
        h = lf_linear(t, h, &p[2 * l], &p[2 * l + 1]);
        h = lf_activation(t, c->act, h);
        if (c->dropout > 0) h = lf_dropout(t, h, (float)c->dropout);
    }
    int l = c->hidden.n;
    return lf_linear(t, h, &p[2 * l], &p[2 * l + 1]);
}

static const lf_model_vt mlp_vt = {mlp_build, mlp_forward, NULL};

static const lf_param_desc mlp_params[] = {
    LF_PARAM_INTLIST("hidden", "256,256", 1, 1 << 20,
        "hidden layer widths, positional: mlp:256,256 (none = linear model)", mlp_cfg, hidden),
    LF_PARAM_ENUM("act", 0, LF_ACT_CHOICES, "activation after each hidden layer", mlp_cfg, act),
    LF_PARAM_FLOAT("dropout", 0, 0, 1, LF_OPEN_MAX,
        "dropout probability after each hidden activation", mlp_cfg, dropout),
};

const lf_desc lf_desc_model_mlp = {
    LF_KIND_MODEL, "mlp", "fully connected network on flattened inputs", NULL,
    mlp_params,    LF_NPARAMS(mlp_params), sizeof(mlp_cfg), &mlp_vt,
};
