/* AdamW (Loshchilov & Hutter), in torch.optim.AdamW's order of operations so results agree
 * to float rounding:
 *   w *= 1 - lr*wd (where the decay mask is 1);  m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g*g;
 *   w += -(lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
 * wd_mode=fixed decays by 1 - wd instead, and wd_mode=l2 adds wd*w to g before the moments
 * (torch.optim.Adam's weight_decay, i.e. Adam + L2, not AdamW). */
#include "optim/steps.h"

#include <math.h>
#include <stddef.h>

typedef struct adamw_cfg {
    double lr, b1, b2, eps, wd;
    int wd_mode;
} adamw_cfg;

static double adamw_lr(const void *cfg) { return ((const adamw_cfg *)cfg)->lr; }

static lf_status adamw_check(const void *cfg)
{
    const adamw_cfg *c = cfg;
    return lf_wd_check("adamw", c->wd_mode, c->wd);
}

static void adamw_step(const void *cfg, float *w, const float *g, float *const *state,
                       const uint8_t *decay, int64_t n, int64_t t, double lr)
{
    const adamw_cfg *c = cfg;
    const lf_adamw_coef k = {
        .shrink = lf_wd_shrink(c->wd_mode, c->wd, lr),
        .l2 = lf_wd_grad(c->wd_mode, c->wd),
        .b1 = (float)c->b1, .a1 = (float)(1 - c->b1),
        .b2 = (float)c->b2, .a2 = (float)(1 - c->b2),
        .step = (float)(-lr / (1 - pow(c->b1, (double)t))),
        .bc2 = (float)sqrt(1 - pow(c->b2, (double)t)),
        .eps = (float)c->eps,
    };
    LF_STEPS->adamw(&k, w, g, state[0], state[1], decay, n);
}

static const char *const adamw_state_names[] = {"exp_avg", "exp_avg_sq"};

static const lf_optim_vt adamw_vt = {
    .nstate = 2,
    .state_names = adamw_state_names,
    .base_lr = adamw_lr,
    .check = adamw_check,
    .step = adamw_step,
};

static const lf_param_desc adamw_params[] = {
    LF_PARAM_FLOAT("lr", 1e-3, 0, INFINITY, LF_OPEN_MIN, "learning rate", adamw_cfg, lr),
    LF_PARAM_FLOAT("b1", 0.9, 0, 1, LF_OPEN_MAX, "decay rate of the gradient mean (beta1)",
        adamw_cfg, b1),
    LF_PARAM_FLOAT("b2", 0.999, 0, 1, LF_OPEN_MAX,
        "decay rate of the squared-gradient mean (beta2)", adamw_cfg, b2),
    LF_PARAM_FLOAT("eps", 1e-8, 0, INFINITY, LF_OPEN_MIN,
        "added to sqrt of the corrected second moment", adamw_cfg, eps),
    LF_PARAM_FLOAT("wd", 1e-2, 0, INFINITY, 0,
        "weight decay: w *= 1 - lr*wd each step (see wd_mode)", adamw_cfg, wd),
    LF_WD_MODE_PARAM(adamw_cfg, wd_mode),
};

const lf_desc lf_desc_optim_adamw = {
    .kind = LF_KIND_OPTIM,
    .name = "adamw",
    .doc = "Adam with decoupled weight decay (torch.optim.AdamW)",
    .paper = NULL,
    .params = adamw_params,
    .nparams = LF_NPARAMS(adamw_params),
    .cfg_size = sizeof(adamw_cfg),
    .impl = &adamw_vt,
};
