/* Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"): one momentum buffer,
 * half of AdamW's state, and every coordinate moves by exactly lr:
 *   c = b1*m + (1-b1)*g;  w = w*(1 - lr*wd) - lr*sign(c)  (sign(0) = 0);  m = b2*m + (1-b2)*g.
 * The decay acts on the pre-update w, where the decay mask is 1 (as lucidrains/lion-pytorch). */
#include "internal.h"

#include <math.h>
#include <stddef.h>

typedef struct lion_cfg {
    double lr, b1, b2, wd;
} lion_cfg;

static double lion_lr(const void *cfg) { return ((const lion_cfg *)cfg)->lr; }

static void lion_step(const void *cfg, float *w, const float *g, float *const *state,
                      const uint8_t *decay, int64_t n, int64_t t, double lr)
{
    LF_UNUSED(t);
    const lion_cfg *c = cfg;
    float *m = state[0];
    /* The decay as an arithmetic blend keeps the loop vectorisable (see adamw.c). */
    const float keep1 = (float)(1 - lr * c->wd) - 1.0f, nlr = (float)-lr;
    const float b1 = (float)c->b1, a1 = (float)(1 - c->b1);
    const float b2 = (float)c->b2, a2 = (float)(1 - c->b2);
#pragma omp parallel for simd schedule(static) if(n > 1 << 15)
    for (int64_t i = 0; i < n; i++) {
        const float p = w[i] * (1.0f + (float)decay[i] * keep1);
        const float ci = m[i] * b1 + a1 * g[i];
        const float sign = (float)((ci > 0.0f) - (ci < 0.0f));
        w[i] = p + nlr * sign;
        m[i] = m[i] * b2 + a2 * g[i];
    }
}

static const char *const lion_state_names[] = {"exp_avg"};

static const lf_optim_vt lion_vt = {
    .nstate = 1,
    .state_names = lion_state_names,
    .base_lr = lion_lr,
    .step = lion_step,
};

static const lf_param_desc lion_params[] = {
    {"lr", LF_PT_FLOAT, 1e-4, 0, INFINITY, LF_OPEN_MIN, NULL,
     "learning rate (3-10x smaller than AdamW's)", offsetof(lion_cfg, lr)},
    {"b1", LF_PT_FLOAT, 0.9, 0, 1, LF_OPEN_MAX, NULL,
     "interpolation between momentum and gradient for the sign", offsetof(lion_cfg, b1)},
    {"b2", LF_PT_FLOAT, 0.99, 0, 1, LF_OPEN_MAX, NULL, "decay rate of the momentum",
     offsetof(lion_cfg, b2)},
    {"wd", LF_PT_FLOAT, 0, 0, INFINITY, 0, NULL,
     "decoupled weight decay: w *= 1 - lr*wd (3-10x larger than AdamW's)", offsetof(lion_cfg, wd)},
};

const lf_desc lf_desc_optim_lion = {
    .kind = LF_KIND_OPTIM,
    .name = "lion",
    .doc = "sign of interpolated momentum, one state buffer (EvoLved Sign Momentum)",
    .paper = "lion",
    .params = lion_params,
    .nparams = LF_NPARAMS(lion_params),
    .cfg_size = sizeof(lion_cfg),
    .impl = &lion_vt,
};
