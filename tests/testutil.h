/* Shared helpers for the cmocka unit tests. */
#ifndef LF_TESTUTIL_H
#define LF_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lossforge.h"

/* Fails the current test with lf_last_error() when s != LF_OK. */
#define TU_OK(expr)                                                                            \
    do {                                                                                       \
        lf_status tu_s_ = (expr);                                                              \
        if (tu_s_ != LF_OK) fail_msg("%s -> %s: %s", #expr, lf_status_name(tu_s_), lf_last_error()); \
    } while (0)

/* Expects status s and an error message containing `needle`. */
#define TU_ERR(expr, s, needle) tu_expect_error((expr), (s), (needle), #expr)
void tu_expect_error(lf_status got, lf_status want, const char *needle, const char *what);

/* A scalar function of n floats; writes d f / d x into grad when grad != NULL. */
typedef double (*tu_scalar_fn)(void *ctx, const float *x, float *grad);

/* Central differences in double around x0 (step h * max(1,|x|)) against the analytic gradient;
 * fails when any |num - ana| > tol * max(1, |num|, |ana|), naming the worst index. Returns the
 * worst error seen. */
double tu_gradcheck(tu_scalar_fn f, void *ctx, const float *x0, int64_t n, double h, double tol);

/* Fixtures written by tests/gen_fixtures.py (NumPy .npy), read through lf_npy_read and converted
 * to float32 / int32. Fail the test when missing. Caller frees. */
float *tu_fixture_f32(const char *name, int64_t *count);
int32_t *tu_fixture_i32(const char *name, int64_t *count);
double *tu_fixture_f64(const char *name, int64_t *count);

/* |a-b| <= atol + rtol*|b| elementwise, fails naming the first bad index. */
void tu_assert_close(const float *a, const float *b, int64_t n, double atol, double rtol,
                     const char *what);

/* Path of a fresh scratch directory under $TMPDIR (removed by the OS; tests may reuse it). */
const char *tu_tmpdir(void);
/* Writes a file with the given bytes; returns its path (static buffer, per call). */
const char *tu_write_tmp(const char *name, const void *data, size_t n);

void tu_fill_uniform(float *x, int64_t n, float lo, float hi, uint64_t seed);

/* n rows of three Gaussian blobs in 4-D (class c centred at 2 on feature c, all shifted by 5),
 * labels 0..2; release with lf_dataset_release. */
void tu_blobs(lf_dataset *ds, int64_t n, uint64_t seed);

/* The loss `spec` on batch b against ref = [value, grad...] (1 + n*k values): the value within
 * 1e-5 relative, each gradient entry within atol + rtol*|ref|, and the value-only pass within
 * 1e-6 of the fused one; failures name `what`. A stateful loss is evaluated from its initial
 * state (lf_loss_bind before each call). */
void tu_loss_reference_at(const char *spec, const lf_batch *b, const double *ref, double atol,
                          double rtol, const char *what);
/* tu_loss_reference_at against a fixture [value, grad...] (float64). */
void tu_loss_reference(const char *spec, const lf_batch *b, const char *fixture, double atol,
                       double rtol);
/* A table of classification-loss reference cases on one logits fixture: each runs
 * tu_loss_reference(spec) on labels from its own fixture, with the sample weights of sw_fixture
 * when sample_weights is set. */
typedef struct tu_ref_case {
    const char *fixture, *spec, *labels;
    int sample_weights;
} tu_ref_case;
void tu_loss_reference_cases(const char *x_fixture, const char *sw_fixture,
                             const tu_ref_case *cases, size_t n, double atol, double rtol);
/* tu_gradcheck of the loss `spec` with respect to pred at x (b->n * b->k floats; b->pred is
 * ignored). A stateful loss is rebound (lf_loss_bind) before every evaluation, so its state
 * (a draw stream, per-sample temperatures) is the same at every point the check visits. */
double tu_loss_gradcheck(const char *spec, const lf_batch *b, const float *x, double h,
                         double tol);

/* The optimizer `spec` from fixture set `set` (<set>_p0.npy, <set>_grads.npy: steps × n, and
 * with the flags <set>_mask.npy: where decay applies, <set>_seg.npy: tensor offsets) against
 * `fixture` (the weights after each step, steps × n): every step within atol + rtol*|ref|. */
enum { TU_OPTIM_MASKED = 1, TU_OPTIM_SEGMENTED = 2 };
void tu_optim_reference(const char *spec, const char *set, const char *fixture, unsigned flags,
                        double atol, double rtol);

/* Every state buffer of optimizer a to a safetensors file at path and back into b (same spec),
 * with the step count: what a checkpoint does for an optimizer. */
void tu_optim_state_roundtrip(lf_optim *a, lf_optim *b, const char *path);

#endif
