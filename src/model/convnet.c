/* Small convolutional network for images: two [conv k×k (same padding) -> act -> maxpool 2]
 * blocks, then an optional hidden linear layer and the linear head. */
#include "internal.h"

#include <stddef.h>

typedef struct convnet_cfg {
    int64_t c1, c2, k, hidden;
    int act;
    double dropout;
} convnet_cfg;

static lf_status convnet_build(lf_model *m, lf_rng *rng)
{
    LF_UNUSED(rng);
    const convnet_cfg *c = m->cfg;
    if (m->in_ndim != 3)
        return lf_error(LF_EINVAL, "model \"convnet\": needs image input [C,H,W], got %d dimensions",
                        m->in_ndim);
    if (c->k % 2 == 0)
        return lf_error(LF_EINVAL, "model \"convnet\": parameter \"k\" must be odd, got %lld",
                        (long long)c->k);
    int64_t h = m->in_shape[1] / 4, w = m->in_shape[2] / 4;
    if (h < 1 || w < 1)
        return lf_error(LF_EINVAL, "model \"convnet\": images of %lldx%lld are smaller than 4x4",
                        (long long)m->in_shape[1], (long long)m->in_shape[2]);
    int64_t w1[4] = {c->c1, m->in_shape[0], c->k, c->k}, w2[4] = {c->c2, c->c1, c->k, c->k};
    int64_t flat = c->c2 * h * w, fc[2] = {c->hidden, flat};
    int64_t head[2] = {m->n_out, c->hidden ? c->hidden : flat};
    if (lf_model_add_layer(m, "conv1", 4, w1) < 0 || lf_model_add_layer(m, "conv2", 4, w2) < 0 ||
        (c->hidden && lf_model_add_layer(m, "fc", 2, fc) < 0) ||
        lf_model_add_layer(m, "out", 2, head) < 0)
        return LF_EINVAL;
    return LF_OK;
}

static lf_tensor *convnet_forward(lf_model *m, lf_tape *t, lf_tensor *x)
{
    const convnet_cfg *c = m->cfg;
    lf_tensor *p = m->params.t;
    int64_t shape[4] = {x->shape[0], m->in_shape[0], m->in_shape[1], m->in_shape[2]};
    lf_tensor *h = lf_reshape(t, x, 4, shape);
    for (int b = 0; b < 2; b++) {
        h = lf_conv2d(t, h, &p[2 * b], &p[2 * b + 1], 1, (int)(c->k / 2));
        h = lf_activation(t, c->act, h);
        h = lf_maxpool2d(t, h, 2, 2);
    }
    h = lf_flatten(t, h);
    if (c->hidden) h = lf_activation(t, c->act, lf_linear(t, h, &p[4], &p[5]));
    if (c->dropout > 0) h = lf_dropout(t, h, (float)c->dropout);
    int head = c->hidden ? 6 : 4;
    return lf_linear(t, h, &p[head], &p[head + 1]);
}

static const lf_model_vt convnet_vt = {convnet_build, convnet_forward, NULL};

static const lf_param_desc convnet_params[] = {
    LF_PARAM_INT("c1", 16, 1, 4096, "channels of the first conv block", convnet_cfg, c1),
    LF_PARAM_INT("c2", 32, 1, 4096, "channels of the second conv block", convnet_cfg, c2),
    LF_PARAM_INT("k", 3, 1, 15, "kernel size (odd; same padding)", convnet_cfg, k),
    LF_PARAM_INT("hidden", 128, 0, 1 << 20, "width of the hidden linear layer (0 = none)",
        convnet_cfg, hidden),
    LF_PARAM_ENUM("act", 0, LF_ACT_CHOICES, "activation after each conv and the hidden layer",
        convnet_cfg, act),
    LF_PARAM_FLOAT("dropout", 0, 0, 1, LF_OPEN_MAX, "dropout before the linear head", convnet_cfg,
        dropout),
};

const lf_desc lf_desc_model_convnet = {
    LF_KIND_MODEL, "convnet", "two conv+pool blocks and a linear head, for images", NULL,
    convnet_params, LF_NPARAMS(convnet_params), sizeof(convnet_cfg), &convnet_vt,
};
