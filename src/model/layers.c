/* Helpers shared by the models: activations by name, layer declaration, PyTorch default init. */
#include "internal.h"

#include <math.h>
#include <stdio.h>

lf_tensor *lf_activation(lf_tape *t, int act, lf_tensor *x)
{
    switch (act) {
    case 0: return lf_relu(t, x);
    case 1: return lf_tanh(t, x);
    case 2: return lf_gelu(t, x);
    default: return lf_sigmoid(t, x);
    }
}

int lf_model_add_layer(lf_model *m, const char *name, int ndim, const int64_t *wshape)
{
    char key[128];
    snprintf(key, sizeof key, "%s.weight", name);
    int w = lf_params_add(&m->params, key, ndim, wshape, 1);
    snprintf(key, sizeof key, "%s.bias", name);
    if (w < 0 || lf_params_add(&m->params, key, 1, wshape, 0) < 0) return -1;
    return w;
}

void lf_model_init_params(lf_model *m, lf_rng *rng)
{
    lf_params *p = &m->params;
    for (int i = 0; i + 1 < p->n; i += 2) {
        lf_tensor *w = &p->t[i], *b = &p->t[i + 1];
        const int64_t fan_in = w->size / w->shape[0];
        double bound = 1.0 / sqrt((double)fan_in);
        for (int64_t j = 0; j < w->size; j++)
            w->data[j] = (float)(bound * (2.0 * lf_rng_uniform(rng) - 1.0));
        for (int64_t j = 0; j < b->size; j++)
            b->data[j] = (float)(bound * (2.0 * lf_rng_uniform(rng) - 1.0));
    }
}
