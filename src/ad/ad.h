/* Helpers shared by the tape ops in src/ad/, and the ops that only the losses use (not part of
 * the library's interface). */
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

/* Tape op (src/ad/logit_shift.c): sum_i || Delta(za_i) - Delta(z_i) ||_2 with
 * Delta(z)_j = z_j - z_{y_i}, the movement of the logit-difference vector between clean logits z
 * and perturbed logits za (both [n, k]); the smooth adversarial comp-sum loss's penalty.
 * Gradients flow to both; a row that did not move gets a zero gradient. */
lf_tensor *lf_logit_shift_penalty(lf_tape *t, lf_tensor *za, lf_tensor *z, const int32_t *y);

#endif
