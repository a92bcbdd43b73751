/* The vectorised exp kernel, |x|^q and log-sum-exp (src/core/vmath.c). */
#include "testutil.h"
#include "internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

/* Every float in a dense sweep of [-87.3, 88.7] (about 4M points) against double exp. */
static void vexp_relative_error(void **state)
{
    (void)state;
    const int64_t n = 1 << 22;
    const double lo = -87.33, hi = 88.72;
    float *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    for (int64_t i = 0; i < n; i++) x[i] = (float)(lo + (hi - lo) * (double)i / (double)(n - 1));
    lf_vexp(y, x, n);
    double worst = 0;
    int64_t worst_i = 0;
    for (int64_t i = 0; i < n; i++) {
        double want = exp((double)x[i]);
        double err = fabs((double)y[i] - want) / want;
        if (err > worst) {
            worst = err;
            worst_i = i;
        }
    }
    print_message("vexp: max rel error %.3g at x = %.9g\n", worst, (double)x[worst_i]);
    if (worst >= 2e-7) fail_msg("vexp rel error %.3g at x = %.9g", worst, (double)x[worst_i]);
    free(x);
    free(y);
}

static void vexp_edges(void **state)
{
    (void)state;
    const float x[] = {0.0f, -0.0f, 1.0f, -87.4f, -100.0f, -1e30f, -INFINITY, 88.8f, 1e30f,
                       INFINITY, NAN, 88.72f, -87.33f};
    enum { N = sizeof x / sizeof x[0] };
    float y[N];
    lf_vexp(y, x, N);
    assert_true(y[0] == 1.0f && y[1] == 1.0f);
    assert_true(fabs(y[2] - exp(1.0)) < 1e-6);
    for (int i = 3; i <= 6; i++) assert_true(y[i] == 0.0f); /* below ln(FLT_MIN): flushed */
    for (int i = 7; i <= 9; i++) assert_true(isinf(y[i]) && y[i] > 0);
    assert_true(isnan(y[10]));
    assert_true(isfinite(y[11]) && fabs(y[11] / exp((double)x[11]) - 1) < 2e-7);
    assert_true(y[12] >= FLT_MIN && fabs(y[12] / exp((double)x[12]) - 1) < 2e-7);
    /* In place and with a length that leaves a vector remainder. */
    float z[7] = {0.5f, 1.5f, -2.5f, 3.0f, -4.0f, 10.0f, -20.0f};
    lf_vexp(z, z, 7);
    assert_true(fabs(z[6] / exp(-20.0) - 1) < 2e-7);
    assert_true(fabs(z[5] / exp(10.0) - 1) < 2e-7);
}

/* |x|^q for q in [0, 2] (lionk's lp uses p - 1 and p) over magnitudes 1e-30..1e30, both signs:
 * relative error within 2.5e-7 * max(1, q |ln|x||), flushed to 0 below FLT_MIN and inf above
 * FLT_MAX as lf_vexp; 0 and subnormal x give 0; in place. */
static void vpow_values(void **state)
{
    (void)state;
    enum { N = 4001 };
    static float x[N], y[N];
    const float qs[] = {0.0f, 0.2f, 0.5f, 1.0f, 1.25f, 2.0f};
    for (int i = 0; i < N; i++) x[i] = (i % 2 ? -1.0f : 1.0f) * (float)pow(10.0, -30 + 60.0 * i / (N - 1));
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        lf_vpow(y, x, qs[k], N);
        for (int i = 0; i < N; i++) {
            double want = pow(fabs((double)x[i]), qs[k]), lnx = fabs(log(fabs((double)x[i])));
            double tol = 2.5e-7 * fmax(1, qs[k] * lnx);
            int ok = want < FLT_MIN ? y[i] == 0 : want > FLT_MAX ? isinf(y[i]) != 0
                                                                 : fabs(y[i] - want) <= tol * want;
            if (!ok)
                fail_msg("|%g|^%g = %.9g, want %.9g", (double)x[i], (double)qs[k], (double)y[i], want);
        }
    }
    float z[5] = {0.0f, -0.0f, 1e-40f, 4.0f, -9.0f};
    lf_vpow(z, z, 0.5f, 5);
    assert_true(z[0] == 0 && z[1] == 0 && z[2] == 0);
    assert_true(fabs(z[3] - 2.0) < 4e-7 && fabs(z[4] - 3.0) < 6e-7);
}

static double lse_ref(const float *x, int64_t k)
{
    double m = -INFINITY, s = 0;
    for (int64_t i = 0; i < k; i++) m = fmax(m, x[i]);
    for (int64_t i = 0; i < k; i++) s += exp((double)x[i] - m);
    return m + log(s);
}

static void logsumexp_values(void **state)
{
    (void)state;
    float x[1000];
    tu_fill_uniform(x, 1000, -5, 5, 7);
    for (int64_t k = 1; k <= 1000; k += 333) /* crosses the internal chunk size */
        assert_true(fabs(lf_logsumexp(x, k) - lse_ref(x, k)) < 1e-6 * fabs(lse_ref(x, k)) + 1e-6);
    /* Extreme logits: max subtraction keeps it finite and exact. */
    const float big[3] = {1e4f, -1e4f, 1e4f};
    assert_true(fabs(lf_logsumexp(big, 3) - (1e4 + log(2.0))) < 1e-3);
    const float neg[2] = {-1e4f, -1e4f};
    assert_true(fabs(lf_logsumexp(neg, 2) - (-1e4 + log(2.0))) < 1e-3);
    const float one = 3.5f;
    assert_true(lf_logsumexp(&one, 1) == 3.5);
    const float ninf[2] = {-INFINITY, -INFINITY};
    assert_true(isinf(lf_logsumexp(ninf, 2)) && lf_logsumexp(ninf, 2) < 0);
    const float pinf[2] = {INFINITY, 0.0f};
    assert_true(isinf(lf_logsumexp(pinf, 2)) && lf_logsumexp(pinf, 2) > 0);
    const float mixed[2] = {-INFINITY, 2.0f};
    assert_true(fabs(lf_logsumexp(mixed, 2) - 2.0) < 1e-7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vexp_relative_error),
        cmocka_unit_test(vexp_edges),
        cmocka_unit_test(vpow_values),
        cmocka_unit_test(logsumexp_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
