/* SGD with momentum, dampening, Nesterov and L2 weight decay, exactly as torch.optim.SGD:
 *   d = g + wd*w;  buf = d at the first step, else momentum*buf + (1-dampening)*d;
 *   w -= lr * (nesterov ? d + momentum*buf : buf)      (w -= lr*d when momentum = 0).
 * The decay mask gates wd per element. */
#include "optim/steps.h"

#include <math.h>
#include <stddef.h>

typedef struct sgd_cfg {
    double lr, momentum, dampening;
    int nesterov;
    double wd;
} sgd_cfg;

static double sgd_lr(const void *cfg) { return ((const sgd_cfg *)cfg)->lr; }

static lf_status sgd_check(const void *cfg)
{
    const sgd_cfg *c = cfg;
    if (c->nesterov && (c->momentum <= 0 || c->dampening != 0))
        return lf_error(LF_EINVAL,
                        "optimizer \"sgd\": nesterov=1 needs momentum > 0 and dampening = 0, got "
                        "momentum=%g, dampening=%g", c->momentum, c->dampening);
    return LF_OK;
}

/* One loop for every variant: buf = a*buf + b*d, update = c1*d + c2*buf. The first step's
 * a = 0, b = 1 copies d into the (zeroed) buffer exactly, as torch's clone does. */
static void sgd_step(const void *cfg, float *w, const float *g, float *const *state,
                     const uint8_t *decay, int64_t n, int64_t t, double lr)
{
    const sgd_cfg *c = cfg;
    const int first = t == 1 || c->momentum == 0;
    const lf_sgd_coef k = {
        .a = first ? 0.0f : (float)c->momentum,
        .b = first ? 1.0f : (float)(1 - c->dampening),
        .c1 = c->momentum == 0 || c->nesterov ? 1.0f : 0.0f,
        .c2 = c->momentum == 0 ? 0.0f : c->nesterov ? (float)c->momentum : 1.0f,
        .wd = (float)c->wd,
        .nlr = (float)-lr,
    };
    LF_STEPS->sgd(&k, w, g, state[0], decay, n);
}

static const char *const sgd_state_names[] = {"momentum_buffer"};

static const lf_optim_vt sgd_vt = {
    .nstate = 1,
    .state_names = sgd_state_names,
    .base_lr = sgd_lr,
    .check = sgd_check,
    .step = sgd_step,
};

static const lf_param_desc sgd_params[] = {
    LF_PARAM_FLOAT("lr", 1e-2, 0, INFINITY, LF_OPEN_MIN, "learning rate", sgd_cfg, lr),
    LF_PARAM_FLOAT("momentum", 0, 0, 1, 0, "momentum factor (0 = plain SGD)", sgd_cfg, momentum),
    LF_PARAM_FLOAT("dampening", 0, 0, 1, 0, "the gradient enters the momentum times 1-dampening",
        sgd_cfg, dampening),
    LF_PARAM_BOOL("nesterov", 0, "Nesterov momentum (needs momentum > 0, dampening = 0)", sgd_cfg,
        nesterov),
    LF_PARAM_FLOAT("wd", 0, 0, INFINITY, 0, "L2 weight decay added to the gradient (wd*w)", sgd_cfg,
        wd),
};

const lf_desc lf_desc_optim_sgd = {
    .kind = LF_KIND_OPTIM,
    .name = "sgd",
    .doc = "stochastic gradient descent with momentum, Nesterov and L2 decay (torch.optim.SGD)",
    .paper = NULL,
    .params = sgd_params,
    .nparams = LF_NPARAMS(sgd_params),
    .cfg_size = sizeof(sgd_cfg),
    .impl = &sgd_vt,
};
