/* The Lion-kappa step, shared by lion.c (kappa = l1, which is Lion) and lionk.c, so that
 * lionk:kappa=l1 and lion are the same code and agree bit for bit. */
#ifndef LF_OPTIM_LIONK_H
#define LF_OPTIM_LIONK_H

#include "internal.h"

#include <stddef.h>

/* kappa: the convex function whose (sub)gradient replaces sign() (order = LK_KAPPA_CHOICES). */
enum { LK_L1, LK_L2, LK_LP, LK_SQ, LK_HUBER, LK_REL };
#define LK_KAPPA_CHOICES "l1|l2|lp|sq|huber|relativistic"

/* Momentum storage: float32, or bfloat16 rounded to nearest even (half the state bytes). */
enum { LK_MU_F32, LK_MU_BF16 };
#define LK_MU_DTYPE_PARAM(cfg_type, field)                                                     \
    LF_PARAM_ENUM("mu_dtype", LK_MU_F32, "f32|bf16",                                               \
                  "momentum storage: f32, or bf16 rounded to nearest even (half the state bytes)", \
                  cfg_type, field)

typedef struct lf_lionk_hyper {
    int kappa;
    double p, c;          /* lp exponent; huber threshold / relativistic constant */
    double b1, b2, wd;
    int wd_mode;          /* LF_WD_* */
    int mu_dtype;         /* LK_MU_* */
} lf_lionk_hyper;

/* One step: c = b1*m + (1-b1)*g;  w = w*(decay factor) - lr*dK(c);  m = b2*m + (1-b2)*g,
 * with g += wd*w first in wd_mode=l2. m is n floats or n bf16 values (mu_dtype). Elementwise
 * kappas (l1, sq, huber) take one pass over the whole slab; the norm-based ones (l2, lp,
 * relativistic) two per tensor segment seg[k]..seg[k+1]. Deterministic for any thread count. */
void lf_lionk_step(const lf_lionk_hyper *h, float *w, const float *g, void *m,
                   const uint8_t *decay, const int64_t *seg, int nseg, double lr);

/* The element type of the momentum buffer for mu_dtype. */
lf_dtype lf_lionk_mu_type(int mu_dtype);

/* The composite problem Lion-kappa with decoupled decay lambda solves on f(x) = |x - c|^2 / 2
 * (h: the huber threshold / relativistic constant): lf_lionk_minimiser writes its minimiser
 * (clip(c, +-1/lambda) for l1, c min(1, 1/(lambda|c|_2)) for l2, c/(1+lambda) for sq,
 * clip(c/(1+lambda), +-h/lambda) for huber, c r/|c| with r(1 + h lambda/sqrt(1 - lambda^2 r^2))
 * = |c| for relativistic) to x and returns 1, or returns 0 for lp (no closed form);
 * lf_lionk_penalty is kappa*(lambda x)/lambda inside its domain, the part of the objective
 * beyond f (0 for the ball constraints of l1, l2, lp). */
int lf_lionk_minimiser(int kappa, double h, const double *c, int d, double lambda, double *x);
double lf_lionk_penalty(int kappa, double h, const double *x, int d, double lambda);

#endif
