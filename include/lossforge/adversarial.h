/* lossforge/adversarial.h — PGD attacks on a model's input and accuracy under attack.
 * Part of liblossforge; the core types come from lossforge.h. */
#ifndef LOSSFORGE_ADVERSARIAL_H
#define LOSSFORGE_ADVERSARIAL_H

#include "lossforge.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ adversarial */
/* Projected gradient descent attack (Madry et al. 2018) and adversarial accuracy. The attack
 * acts on raw inputs: pixels in [0, 1] for datasets stored as bytes (images; eps = 0.1 is a
 * tenth of the pixel range), the features as loaded otherwise; it is clamped to the valid range
 * after every step, and the model keeps seeing standardised inputs. */
typedef enum lf_attack_norm { LF_ATTACK_LINF, LF_ATTACK_L2 } lf_attack_norm;
typedef enum lf_attack_start {
    LF_START_UNIFORM, /* uniform in the ball (Madry et al.) */
    LF_START_NONE,    /* from the clean input */
    LF_START_SMALL    /* clean + 0.001 N(0, 1) (TRADES) */
} lf_attack_start;

typedef struct lf_attack {
    double eps;            /* radius of the ball around the clean input, raw units */
    int steps;             /* ascent steps */
    double step_size;      /* raw units per step; 0 = 2.5 eps / steps (Madry et al.) */
    lf_attack_norm norm;   /* linf: sign steps, box projection; l2: normalised steps, ball */
    lf_attack_start start;
    float lo, hi;          /* valid raw range; -inf, inf for none */
} lf_attack;

/* "pgd:eps=0.1,steps=10,step_size=0,norm=linf|l2,start=uniform|none|small" (these are the
 * defaults); lo, hi come back unbounded. */
lf_status lf_attack_parse(const char *spec, lf_attack *out);
/* The valid raw range of a dataset's features: [0, 1] when stored as bytes (pixels), else
 * unbounded. */
void lf_attack_range(const lf_dataset *ds, float *lo, float *hi);
/* PGD ascent on the cross-entropy (sum over the rows) of m: x, n rows as the model sees them
 * (standardised with norm; NULL = raw), is replaced by its adversarial
 * version; y holds their labels, rng draws the random start. The parameters' gradients are left
 * untouched. */
lf_status lf_pgd_attack(lf_model *m, const lf_norm *norm, float *x, const int32_t *y, int64_t n,
                        const lf_attack *a, lf_rng *rng);
/* Clean and PGD accuracy on rows[0..nrows) (rows NULL = all) of ds, the attack clamped to
 * lf_attack_range(ds) whatever a->lo/hi say, its random starts drawn from seed. Outputs may be
 * NULL. */
lf_status lf_evaluate_attack(lf_model *m, const lf_dataset *ds, const int64_t *rows,
                             int64_t nrows, const lf_norm *norm, const lf_attack *a, int64_t batch,
                             uint64_t seed, double *clean_acc, double *adv_acc);

#ifdef __cplusplus
}
#endif
#endif
