/* Finding non-finite values: one branch-free reduction in the common all-finite case, the slow
 * search for the culprit only on failure. */
#include "internal.h"

#include <math.h>

/* Below this many floats the pass stays single-threaded: thread start-up would dominate. */
#define PAR_MIN (1 << 16)

int64_t lf_first_nonfinite(const float *x, int64_t n)
{
    int bad = 0;
#pragma omp parallel for simd schedule(static) reduction(| : bad) if (n > PAR_MIN)
    for (int64_t i = 0; i < n; i++) bad |= !isfinite(x[i]);
    if (!bad) return -1;
    int64_t i = 0;
    while (isfinite(x[i])) i++;
    return i;
}
