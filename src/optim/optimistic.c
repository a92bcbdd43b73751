/* Optimistic gradient methods, as optax implements them.
 *
 * ogd (optax.optimistic_gradient_descent; Mokhtari et al. 2019):
 *   u_t = (alpha + beta) * g_t - beta * g_{t-1};   w -= lr * u_t.
 * With alpha = beta = 1 and constant lr this is w_{t+1} = w_t - lr*(2 g_t - g_{t-1}), the
 * unconstrained Euclidean optimistic mirror descent with hint M_t = g_{t-1}
 * (optimizers-and-online.md §2b).
 *
 * oadam (optax.optimistic_adam; Daskalakis et al. 2018): Adam's direction r_t, then the same
 * extrapolation with alpha = lr and beta = optimism:
 *   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
 *   mh = nesterov ? b1 m / (1-b1^(t+1)) + (1-b1) g / (1-b1^t) : m / (1-b1^t);
 *   vh = v / (1-b2^t);   r_t = mh / (sqrt(vh + eps_root) + eps);
 *   w -= (lr + optimism) * r_t - optimism * r_{t-1}.
 * optax's defaults: nesterov on, optimism = lr.
 *
 * Both follow current optax (google-deepmind/optax#1082) at the first step: g_0 (r_0) is taken
 * equal to g_1 (r_1), so the first step is plain lr * g_1 (lr * r_1); older optax releases used
 * g_0 = 0. A schedule multiplies lr and optimism alike. State: the previous gradient (ogd), the
 * two Adam moments and the previous direction (oadam). */
#include "optim/steps.h"

#include <math.h>
#include <stddef.h>

/* ------------------------------------------------------------------ ogd */
typedef struct ogd_cfg {
    double lr, alpha, beta;
} ogd_cfg;

static double ogd_lr(const void *cfg) { return ((const ogd_cfg *)cfg)->lr; }

static void ogd_step(const void *cfg, float *w, const float *g, float *const *state,
                     const uint8_t *decay, int64_t n, int64_t t, double lr)
{
    LF_UNUSED(decay);
    const ogd_cfg *c = cfg;
    /* At t = 1 the "previous" gradient is the current one (a 0/1 blend keeps the loop simple). */
    const lf_ogd_coef k = {.ab = (float)(c->alpha + c->beta), .b = (float)c->beta,
                           .nlr = (float)-lr, .first = t == 1 ? 1.0f : 0.0f};
    LF_STEPS->ogd(&k, w, g, state[0], n);
}

static const char *const ogd_state_names[] = {"prev_grad"};

static const lf_optim_vt ogd_vt = {
    .nstate = 1,
    .state_names = ogd_state_names,
    .base_lr = ogd_lr,
    .step = ogd_step,
};

static const lf_param_desc ogd_params[] = {
    LF_PARAM_FLOAT("lr", 1e-2, 0, INFINITY, LF_OPEN_MIN, "learning rate", ogd_cfg, lr),
    LF_PARAM_FLOAT("alpha", 1, 0, INFINITY, 0, "weight of the current gradient", ogd_cfg, alpha),
    LF_PARAM_FLOAT("beta", 1, 0, INFINITY, 0, "optimism: extrapolation by beta*(g_t - g_{t-1})",
        ogd_cfg, beta),
};

const lf_desc lf_desc_optim_ogd = {
    .kind = LF_KIND_OPTIM,
    .name = "ogd",
    .doc = "optimistic gradient descent: lr*((alpha+beta)*g_t - beta*g_{t-1}) (optax)",
    .paper = "oomd",
    .params = ogd_params,
    .nparams = LF_NPARAMS(ogd_params),
    .cfg_size = sizeof(ogd_cfg),
    .impl = &ogd_vt,
};

/* ------------------------------------------------------------------ oadam */
typedef struct oadam_cfg {
    double lr, optimism, b1, b2, eps, eps_root;
    int nesterov;
} oadam_cfg;

static double oadam_lr(const void *cfg) { return ((const oadam_cfg *)cfg)->lr; }

static void oadam_step(const void *cfg, float *w, const float *g, float *const *state,
                       const uint8_t *decay, int64_t n, int64_t t, double lr)
{
    LF_UNUSED(decay);
    const oadam_cfg *c = cfg;
    /* The schedule's multiplier is lr / base lr; optimism follows it. */
    const double o = (c->optimism < 0 ? c->lr : c->optimism) * (lr / c->lr);
    const double bc1 = 1 - pow(c->b1, (double)t), bc1n = 1 - pow(c->b1, (double)(t + 1));
    /* mh = km*m + kg*g covers both forms. */
    const lf_oadam_coef k = {
        .ao = (float)(lr + o), .of = (float)o,
        .b1 = (float)c->b1, .a1 = (float)(1 - c->b1),
        .b2 = (float)c->b2, .a2 = (float)(1 - c->b2),
        .km = (float)(c->nesterov ? c->b1 / bc1n : 1 / bc1),
        .kg = (float)(c->nesterov ? (1 - c->b1) / bc1 : 0),
        .ibc2 = (float)(1 / (1 - pow(c->b2, (double)t))),
        .eps = (float)c->eps, .eps_root = (float)c->eps_root,
        .first = t == 1 ? 1.0f : 0.0f,
    };
    LF_STEPS->oadam(&k, w, g, state[0], state[1], state[2], n);
}

static lf_status oadam_check(const void *cfg)
{
    const oadam_cfg *c = cfg;
    if (c->optimism < 0 && c->optimism != -1)
        return lf_error(LF_EINVAL, "optimizer \"oadam\": parameter \"optimism\" must be >= 0 or "
                        "-1 (= lr), got %g", c->optimism);
    if (c->eps == 0 && c->eps_root == 0)
        return lf_error(LF_EINVAL, "optimizer \"oadam\": parameters \"eps\" and \"eps_root\" are "
                        "both 0, so a zero gradient divides 0 by 0");
    return LF_OK;
}

static const char *const oadam_state_names[] = {"exp_avg", "exp_avg_sq", "prev_dir"};

static const lf_optim_vt oadam_vt = {
    .nstate = 3,
    .state_names = oadam_state_names,
    .base_lr = oadam_lr,
    .check = oadam_check,
    .step = oadam_step,
};

static const lf_param_desc oadam_params[] = {
    LF_PARAM_FLOAT("lr", 1e-3, 0, INFINITY, LF_OPEN_MIN, "learning rate (alpha)", oadam_cfg, lr),
    LF_PARAM_FLOAT("optimism", -1, -1, INFINITY, 0,
        "extrapolation weight o: (lr+o)*r_t - o*r_{t-1}; -1 = equal to lr (optax's default)",
        oadam_cfg, optimism),
    LF_PARAM_FLOAT("b1", 0.9, 0, 1, LF_OPEN_MAX, "decay rate of the gradient mean", oadam_cfg, b1),
    LF_PARAM_FLOAT("b2", 0.999, 0, 1, LF_OPEN_MAX, "decay rate of the squared-gradient mean",
        oadam_cfg, b2),
    LF_PARAM_FLOAT("eps", 1e-8, 0, INFINITY, 0, "added to the denominator's square root", oadam_cfg,
        eps),
    LF_PARAM_FLOAT("eps_root", 0, 0, INFINITY, 0, "added inside the square root", oadam_cfg,
        eps_root),
    LF_PARAM_BOOL("nesterov", 1, "Nesterov (NAdam) first moment, optax's default", oadam_cfg,
        nesterov),
};

const lf_desc lf_desc_optim_oadam = {
    .kind = LF_KIND_OPTIM,
    .name = "oadam",
    .doc = "optimistic Adam: Adam direction extrapolated like ogd (optax.optimistic_adam)",
    .paper = NULL,
    .params = oadam_params,
    .nparams = LF_NPARAMS(oadam_params),
    .cfg_size = sizeof(oadam_cfg),
    .impl = &oadam_vt,
};
