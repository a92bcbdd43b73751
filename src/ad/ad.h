/* Helpers shared by the tape ops in src/ad/ (not part of the library's interface). */
#ifndef LF_AD_H
#define LF_AD_H

#include "internal.h"

/* Below this many floats a pass stays on one thread: thread start-up would cost more. */
#define LF_AD_PAR_MIN 32768

/* 1 when t and both required inputs are present (unary ops pass x twice). Otherwise returns 0
 * and, unless an earlier error already explains the NULL, records "op: input is NULL". */
int lf_ad_ready(lf_tape *t, const char *op, const lf_tensor *a, const lf_tensor *b);

/* "[2,3,4]" into buf, for error messages; returns buf. */
const char *lf_ad_shape(const lf_tensor *x, char buf[64]);

/* Whether dropout is active (lf_tape_set_train). */
int lf_tape_training(const lf_tape *t);

/* y += a * x over n floats (threaded when large). */
void lf_ad_axpy(float *y, float a, const float *x, int64_t n);

/* Sum of n floats in double, in an order fixed by n alone, so results do not depend on the
 * thread count. */
double lf_ad_dsum(const float *x, int64_t n);

#endif
