/* Projected gradient ascent on model inputs (src/model/attack.c), shared by the adversarial
 * losses (src/loss/advcompsum.c) and the plain attack and adversarial evaluation
 * (src/learn/adversarial.c). Not part of the installed interface. */
#ifndef LF_MODEL_ATTACK_H
#define LF_MODEL_ATTACK_H

#include "internal.h"

/* The scalar a PGD run maximises, built on tape t from the model's logits on the current
 * adversarial inputs. */
typedef lf_tensor *(*lf_pgd_goal)(lf_tape *t, lf_tensor *logits, void *ctx);

/* Projected gradient ascent on goal, in place on x (n rows as the model sees them, i.e.
 * standardised with norm, or raw when norm is NULL). Steps, the ball and the
 * clamp act on raw = x * std + mean (a->eps, a->lo, a->hi are raw units). Runs on tape pt, which
 * it resets; the model's parameters are frozen meanwhile (their gradients are neither computed
 * nor touched). raw0, raw: scratch of n*d floats each. */
lf_status lf_pgd_run(lf_model *m, lf_tape *pt, const lf_norm *norm, float *x, int64_t n,
                     const lf_attack *a, lf_rng *rng, lf_pgd_goal goal, void *ctx, float *raw0,
                     float *raw);

#endif
