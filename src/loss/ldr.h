/* The LDR-KL row kernel shared by ldr.c and aldr.c (private to src/loss).
 *
 * Source: the paper's reference code (Optimization-AI/ICML2023_LDR, losses file, classes
 * LDRLoss_V1 and ALDRLoss_V1), as transcribed in shared/papers/losses.md §5; LibAUC has no LDR
 * loss (checked there too). With u the (optionally scale-normalised) logits of one row:
 *   d_k = c [k != y] + u_k - u_y,   L = lambda log( (1/K) sum_k exp(d_k / lambda) ),
 *   q = softmax(d / lambda),        dL/du_k = q_k - [k = y].
 * Class weights multiply a row by w_y; reductions, ignore_index and sample weights come from
 * loss/reduce.h.
 */
#ifndef LF_LOSS_LDR_H
#define LF_LOSS_LDR_H

#include "internal.h"
#include "loss/reduce.h"

/* How a row's logits z become u before the margins are formed. */
typedef enum lf_ldr_scale {
    LF_LDR_RAW,      /* u = z (the paper's formula) */
    LF_LDR_SOFTPLUS, /* u = softplus(z) / mean_k softplus(z_k) (LDRLoss_V1; ALDR softplus=1) */
    LF_LDR_L1        /* u = z / (||z||_1 / K) (ALDRLoss_V1 without softplus) */
} lf_ldr_scale;

/* A row's scale normalisation, computed once per row so u_k is cheap to recompute. */
typedef struct lf_ldr_row {
    lf_ldr_scale mode;
    const float *z;
    int64_t k;
    double inv; /* L1: 1 / (||z||_1 / K), 0 for an all-zero row */
    double logm; /* SOFTPLUS: log mean_k softplus(z_k) */
} lf_ldr_row;

void lf_ldr_row_init(lf_ldr_row *r, lf_ldr_scale mode, const float *z, int64_t k);
double lf_ldr_u(const lf_ldr_row *r, int64_t j); /* u_j */

/* The LDR-KL value of the row with label y, margin c and temperature lambda. With g != NULL
 * also writes scale * dL/dz (k floats), the chain rule through the normalisation included. */
double lf_ldr_value(const lf_ldr_row *r, int32_t y, double c, double lambda, double scale,
                    float *g);

#endif
