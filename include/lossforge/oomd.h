/* lossforge/oomd.h — Online convex optimisation: optimistic online mirror descent on the l2 ball
 * and the simplex.
 * Part of liblossforge; the core types come from lossforge.h. */
#ifndef LOSSFORGE_OOMD_H
#define LOSSFORGE_OOMD_H

#include "lossforge.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ online convex optimisation */
/* Optimistic online mirror descent (Chen et al. 2023, after Rakhlin & Sridharan 2013). Each
 * round t the learner plays x_t, then is told g_t = grad f_t(x_t):
 *   x_t      = argmin_{x in X} eta_t <M_t, x> + B(x, xh_t)
 *   xh_{t+1} = argmin_{x in X} eta_t <g_t, x> + B(x, xh_t)
 * with hint M_t = g_{t-1} (optimistic; M_1 = 0) or M_t = 0 (plain OGD / Hedge), xh_1 the centre
 * of X. Euclidean on the l2 ball {||x|| <= R} (B = ||x-y||^2/2, steps are projected gradient
 * steps); entropic on the probability simplex (B = KL, steps are multiplicative weights). */
typedef enum lf_oomd_domain { LF_OOMD_BALL, LF_OOMD_SIMPLEX } lf_oomd_domain;

typedef enum lf_oomd_rule {
    LF_OOMD_CONSTANT, /* eta_t = eta */
    LF_OOMD_SQRT,     /* eta_t = eta / sqrt(t): the classic OGD step */
    LF_OOMD_ADAPTIVE, /* eta_t = min(D / sqrt(delta + sum_{s<t} ||g_s - M_s||_*^2), 1/(4L)) */
    LF_OOMD_STRONG    /* eta_t = 2 / (lambda t), for lambda-strongly convex losses */
} lf_oomd_rule;

typedef struct lf_oomd_opts {
    lf_oomd_domain domain;
    int optimistic;     /* 1: M_t = g_{t-1}; 0: M_t = 0 */
    lf_oomd_rule rule;
    double eta;         /* CONSTANT, SQRT */
    double radius;      /* BALL: R > 0 */
    double lipschitz;   /* ADAPTIVE: smoothness L of the losses, caps eta at 1/(4L); 0 = no cap */
    double delta;       /* ADAPTIVE: > 0; 0 = D^2 L^2 (or D^2 when L = 0) */
    double lambda;      /* STRONG: the modulus */
} lf_oomd_opts;
/* D is the diameter 2R on the ball (norm ||.||_2) and sqrt(ln d) on the simplex (||.||_inf). */

/* Ball of radius 1, optimistic, adaptive rule, L = 0, delta = 0 (default), eta = 1, lambda = 1. */
void lf_oomd_opts_default(lf_oomd_opts *o);
typedef struct lf_oomd lf_oomd;
/* Checks the options (errors name the field) and sets up round 1 in d dimensions. */
lf_status lf_oomd_create(int64_t d, const lf_oomd_opts *o, lf_oomd **out);
void lf_oomd_free(lf_oomd *l);
const double *lf_oomd_play(const lf_oomd *l); /* x_t, d values, valid until the next update */
/* Feeds g_t = grad f_t(x_t) (d values, finite) and moves to round t+1. */
lf_status lf_oomd_update(lf_oomd *l, const double *g);
double lf_oomd_eta(const lf_oomd *l);    /* eta_t of the current round */
int64_t lf_oomd_round(const lf_oomd *l); /* t, from 1 */

/* The best fixed point in hindsight of online least squares on the ball, the comparator of
 * its regret: the minimum over ||x|| <= R of sum_t (a_t.x - b_t)^2 / 2 = x'Ax/2 - c'x + bb/2,
 * given A = sum_t a_t a_t' (d×d, symmetric positive semi-definite), c = sum_t b_t a_t and
 * bb = sum_t b_t^2. The unconstrained fit when it lies inside the ball, else the KKT point
 * on the sphere ((A + mu I) x = c with ||x|| = R, mu by bisection). Writes the minimum to
 * value and the minimiser to x (d values; x may be NULL). */
lf_status lf_oomd_lsq_best(int64_t d, const double *A, const double *c, double bb, double radius,
                           double *x, double *value);

#ifdef __cplusplus
}
#endif
#endif
