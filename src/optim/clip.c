/* Global-norm gradient clipping, as torch.nn.utils.clip_grad_norm_ (one norm over all
 * parameters; scale max_norm / (norm + 1e-6) applied only when it is below 1). */
#include "internal.h"

#include <math.h>

double lf_clip_grad_norm(float *g, int64_t n, double max_norm)
{
    double ss = 0;
#pragma omp parallel for simd schedule(static) reduction(+ : ss) if (n > (1 << 16))
    for (int64_t i = 0; i < n; i++) ss += (double)g[i] * g[i];
    double norm = sqrt(ss), coef = max_norm / (norm + 1e-6);
    if (coef < 1) {
        float c = (float)coef;
#pragma omp parallel for simd schedule(static) if (n > (1 << 16))
        for (int64_t i = 0; i < n; i++) g[i] *= c;
    }
    return norm;
}
