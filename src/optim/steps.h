/* The hot loops of the optimizer steps, in src/optim/steps.c: a kernel file (core/cpu.h),
 * compiled once per kernel set. Each optimizer turns its hyperparameters into float
 * coefficients and calls its loop through the table of the set in use (LF_STEPS). */
#ifndef LF_OPTIM_STEPS_H
#define LF_OPTIM_STEPS_H

#include "core/cpu.h"
#include "internal.h"

/* sgd.c: buf = a*buf + b*d, w += nlr*(c1*d + c2*buf), d = g + wd*w where decayed. */
typedef struct lf_sgd_coef {
    float a, b, c1, c2, wd, nlr;
} lf_sgd_coef;

/* adamw.c: see there; step = -lr/(1-b1^t), bc2 = sqrt(1-b2^t). */
typedef struct lf_adamw_coef {
    float shrink, l2, b1, a1, b2, a2, step, bc2, eps;
} lf_adamw_coef;

/* optimistic.c: ogd and oadam (first = 1 at t = 1, else 0). */
typedef struct lf_ogd_coef {
    float ab, b, nlr, first;
} lf_ogd_coef;
typedef struct lf_oadam_coef {
    float ao, of, b1, a1, b2, a2, km, kg, ibc2, eps, eps_root, first;
} lf_oadam_coef;

/* lionk.c: the Lion-kappa step. */
typedef struct lf_lk_coef {
    float b1, a1, b2, a2;
    float shrink;  /* decay step: w += shrink*w where the mask is 1 (lf_wd_shrink) */
    float l2;      /* wd in wd_mode=l2, else 0 */
    float nlr;     /* -lr */
    float q;       /* lp: p - 1; huber: its threshold */
    float p;       /* lp: the exponent */
} lf_lk_coef;

/* How dK(c) is formed from c and the tensor's scale s. */
enum { LK_DIR_SIGN, LK_DIR_LINEAR, LK_DIR_CLIP, LK_DIR_SCALED, LK_DIR_POW };

typedef struct lf_step_kern {
    void (*sgd)(const lf_sgd_coef *k, float *w, const float *g, float *buf,
                const uint8_t *decay, int64_t n);
    void (*adamw)(const lf_adamw_coef *k, float *w, const float *g, float *m, float *v,
                  const uint8_t *decay, int64_t n);
    void (*ogd)(const lf_ogd_coef *k, float *w, const float *g, float *prev, int64_t n);
    void (*oadam)(const lf_oadam_coef *k, float *w, const float *g, float *m, float *v,
                  float *prev, int64_t n);
    /* Elements [lo, hi) of a Lion-kappa step with direction dir (LK_DIR_*), momentum m as
     * floats or bf16 (bf16 = 1) and the tensor's scale s; one thread's chunk. */
    void (*lk_update)(int dir, int bf16, const lf_lk_coef *k, float *w, const float *g, void *m,
                      const uint8_t *decay, int64_t lo, int64_t hi, float s);
    /* The sum over [lo, hi) of c^2 (pw = 0) or |c|^p (pw = 1). */
    double (*lk_sum)(int pw, int bf16, const lf_lk_coef *k, const float *w, const float *g,
                     const void *m, const uint8_t *decay, int64_t lo, int64_t hi);
} lf_step_kern;

LF_KTABLE_DECLARE(lf_step_kern, lf_steps);
#define LF_STEPS LF_KTABLE(lf_step_kern, lf_steps)

#endif
