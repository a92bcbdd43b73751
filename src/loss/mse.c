/* Mean squared error between pred and target (both n×k), as PyTorch's F.mse_loss:
 * mean: sum (p - t)^2 / (n k); sum: sum (p - t)^2. */
#include "internal.h"

#include <stddef.h>

enum { MSE_MEAN, MSE_SUM };

typedef struct mse_cfg {
    int reduction;
} mse_cfg;

static lf_status mse_eval(const void *cfg, void *state, const lf_batch *b, double *value,
                          float *dpred)
{
    LF_UNUSED(state);
    const mse_cfg *c = cfg;
    const int64_t m = b->n * b->k;
    const double scale = c->reduction == MSE_MEAN ? 1.0 / (double)m : 1.0;
    const double gs = 2 * scale;
    double total = 0;
#pragma omp parallel for reduction(+ : total) schedule(static) if(m > 1 << 15)
    for (int64_t i = 0; i < m; i++) {
        const double d = (double)b->pred[i] - (double)b->target[i];
        total += d * d;
        if (dpred) dpred[i] = (float)(gs * d);
    }
    *value = total * scale;
    return LF_OK;
}

static const lf_loss_vt mse_vt = {
    .needs = LF_NEED_TARGET,
    .eval = mse_eval,
};

static const lf_param_desc mse_params[] = {
    LF_PARAM_ENUM("reduction", MSE_MEAN, "mean|sum",
        "mean: divide the summed squared error by n*k; sum: no division", mse_cfg, reduction),
};

const lf_desc lf_desc_loss_mse = {
    .kind = LF_KIND_LOSS,
    .name = "mse",
    .doc = "mean squared error between pred and target (PyTorch F.mse_loss)",
    .paper = NULL,
    .params = mse_params,
    .nparams = LF_NPARAMS(mse_params),
    .cfg_size = sizeof(mse_cfg),
    .impl = &mse_vt,
};
