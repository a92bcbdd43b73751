/* Helpers shared by the losses on binary scores (src/loss/binary.c, anyloss.c, ensloss.c):
 * pred is n×1 (one real score per row), labels are 0 or 1, and the margin is z = (2y-1) s. */
#ifndef LF_LOSS_BINARY_H
#define LF_LOSS_BINARY_H

#include "internal.h"

#include <math.h>

/* k == 1 and every label 0 or 1; the error names the loss, the row and the label. */
lf_status lf_binary_check(const char *loss, const lf_batch *b);

/* Signed label: -1 for class 0, +1 for class 1. */
static inline double lf_sign_label(int32_t y) { return y ? 1.0 : -1.0; }

/* log(1 + e^x) without overflow (x + log1p(e^-x) for x > 0). */
static inline double lf_softplus(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

/* 1 / (1 + e^-x), exact in both tails (no 1 - tiny cancellation). */
static inline double lf_sigmoid_d(double x)
{
    if (x >= 0) return 1 / (1 + exp(-x));
    const double e = exp(x);
    return e / (1 + e);
}

#endif
