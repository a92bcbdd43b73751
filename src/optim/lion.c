/* Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"): one momentum buffer,
 * half of AdamW's state, and every coordinate moves by exactly lr:
 *   c = b1*m + (1-b1)*g;  w = w*(1 - lr*wd) - lr*sign(c)  (sign(0) = 0);  m = b2*m + (1-b2)*g.
 * The decay acts on the pre-update w, where the decay mask is 1 (as lucidrains/lion-pytorch).
 * The step is Lion-kappa's with kappa = l1 (lionk.c), so lion and lionk:kappa=l1 agree bit for
 * bit; wd_mode and mu_dtype are explained there and in internal.h. */
#include "lionk.h"

#include <math.h>
#include <stddef.h>

typedef struct lion_cfg {
    double lr, b1, b2, wd;
    int wd_mode, mu_dtype;
} lion_cfg;

static double lion_lr(const void *cfg) { return ((const lion_cfg *)cfg)->lr; }

static lf_status lion_check(const void *cfg)
{
    const lion_cfg *c = cfg;
    return lf_wd_check("lion", c->wd_mode, c->wd);
}

static lf_dtype lion_state_dtype(const void *cfg, int i)
{
    LF_UNUSED(i);
    return lf_lionk_mu_type(((const lion_cfg *)cfg)->mu_dtype);
}

static void lion_step(const void *cfg, float *w, const float *g, float *const *state,
                      const uint8_t *decay, int64_t n, int64_t t, double lr)
{
    LF_UNUSED(t);
    const lion_cfg *c = cfg;
    const lf_lionk_hyper h = {.kappa = LK_L1, .b1 = c->b1, .b2 = c->b2, .wd = c->wd,
                              .wd_mode = c->wd_mode, .mu_dtype = c->mu_dtype};
    const int64_t whole[2] = {0, n};
    lf_lionk_step(&h, w, g, state[0], decay, whole, 1, lr);
}

static const char *const lion_state_names[] = {"exp_avg"};

static const lf_optim_vt lion_vt = {
    .nstate = 1,
    .state_names = lion_state_names,
    .base_lr = lion_lr,
    .check = lion_check,
    .state_dtype = lion_state_dtype,
    .step = lion_step,
};

static const lf_param_desc lion_params[] = {
    LF_PARAM_FLOAT("lr", 1e-4, 0, INFINITY, LF_OPEN_MIN,
        "learning rate (3-10x smaller than AdamW's)", lion_cfg, lr),
    LF_PARAM_FLOAT("b1", 0.9, 0, 1, LF_OPEN_MAX,
        "interpolation between momentum and gradient for the sign", lion_cfg, b1),
    LF_PARAM_FLOAT("b2", 0.99, 0, 1, LF_OPEN_MAX, "decay rate of the momentum", lion_cfg, b2),
    LF_PARAM_FLOAT("wd", 0, 0, INFINITY, 0,
        "weight decay lambda, w *= 1 - lr*wd by default (3-10x larger than AdamW's); |w| <= "
        "1/lambda", lion_cfg, wd),
    LF_WD_MODE_PARAM(lion_cfg, wd_mode),
    LK_MU_DTYPE_PARAM(lion_cfg, mu_dtype),
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
