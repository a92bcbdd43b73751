/* Step-size schedules for stochastic-gradient MCMC (multipliers of the optimizer's base lr at a
 * 0-based step):
 *   polynomial: a * (b + step)^(-gamma)   (Welling & Teh 2011: gamma in (0.5, 1] makes
 *               sum eps = inf and sum eps^2 < inf; they used 0.55). a = b^gamma starts at 1.
 *   cyclical:   0.5 * (cos(pi * (step mod L) / L) + 1),  L = ceil(total / cycles)
 *               (cyclical SG-MCMC, Zhang et al. ICLR 2020, eq. 1): each cycle restarts at the
 *               base lr and anneals towards 0, where the chain takes its samples. */
#include "internal.h"

#include <math.h>
#include <stddef.h>

typedef struct poly_cfg {
    double a, b, gamma;
} poly_cfg;

typedef struct cyclical_cfg {
    int64_t cycles;
} cyclical_cfg;

static double poly_at(const void *cfg, int64_t step, int64_t total)
{
    LF_UNUSED(total);
    const poly_cfg *c = cfg;
    return c->a * pow(c->b + (double)step, -c->gamma);
}

static double cyclical_at(const void *cfg, int64_t step, int64_t total)
{
    const cyclical_cfg *c = cfg;
    const int64_t len = total > c->cycles ? (total + c->cycles - 1) / c->cycles : 1;
    const double p = (double)(step % len) / (double)len;
    return 0.5 * (cos(3.14159265358979323846 * p) + 1);
}

static const lf_schedule_vt poly_vt = {poly_at};
static const lf_schedule_vt cyclical_vt = {cyclical_at};

static const lf_param_desc poly_params[] = {
    LF_PARAM_FLOAT("a", 1, 0, INFINITY, LF_OPEN_MIN, "scale of the multiplier", poly_cfg, a),
    LF_PARAM_FLOAT("b", 1, 0, INFINITY, LF_OPEN_MIN, "offset of the step count", poly_cfg, b),
    LF_PARAM_FLOAT("gamma", 0.55, 0, 1, 0, "decay exponent ((0.5, 1] for SGLD's theory)", poly_cfg,
        gamma),
};

static const lf_param_desc cyclical_params[] = {
    LF_PARAM_INT("cycles", 4, 1, 1e15, "number of cosine cycles over the run", cyclical_cfg, cycles),
};

const lf_desc lf_desc_sched_polynomial = {
    .kind = LF_KIND_SCHEDULE,
    .name = "polynomial",
    .doc = "a*(b+step)^-gamma, the SGLD step-size decay",
    .paper = "universality",
    .params = poly_params,
    .nparams = LF_NPARAMS(poly_params),
    .cfg_size = sizeof(poly_cfg),
    .impl = &poly_vt,
};

const lf_desc lf_desc_sched_cyclical = {
    .kind = LF_KIND_SCHEDULE,
    .name = "cyclical",
    .doc = "cosine cycles restarting at the base lr (cyclical SG-MCMC)",
    .paper = "universality",
    .params = cyclical_params,
    .nparams = LF_NPARAMS(cyclical_params),
    .cfg_size = sizeof(cyclical_cfg),
    .impl = &cyclical_vt,
};
