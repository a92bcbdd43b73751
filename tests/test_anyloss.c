/* AnyLoss and EnsLoss: reference values from independent PyTorch / NumPy transcriptions
 * (tests/gen_fixtures_anyloss.py), gradient checks for every metric and setting, the exact
 * batch-level gradient, empty classes, batch of one, scores of ±1e4, EnsLoss's seeding and
 * derivative properties, and bad input. */
#include "testutil.h"
#include "internal.h"
#include "lossforge/retrieval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const metrics[] = {"acc", "f1", "fbeta", "gmean", "bacc", "mcc"};
enum { NMETRICS = sizeof metrics / sizeof metrics[0] };

/* ------------------------------------------------------------------ reference values */
static void test_anyloss_reference(void **state)
{
    (void)state;
    int64_t n, ny;
    float *s = tu_fixture_f32("any_s.npy", &n);
    int32_t *y = tu_fixture_i32("any_y.npy", &ny);
    assert_int_equal(n, ny);
    lf_batch b = {.pred = s, .n = n, .k = 1, .label = y};
    char spec[128], fixture[64];
    for (int m = 0; m < NMETRICS; m++) {
        snprintf(spec, sizeof spec, "anyloss:metric=%s", metrics[m]);
        snprintf(fixture, sizeof fixture, "any_%s_L73.npy", metrics[m]);
        tu_loss_reference(spec, &b, fixture, 1e-7, 1e-4);
        snprintf(spec, sizeof spec, "anyloss:metric=%s,L=4", metrics[m]);
        snprintf(fixture, sizeof fixture, "any_%s_L4.npy", metrics[m]);
        tu_loss_reference(spec, &b, fixture, 1e-7, 1e-4);
    }
    tu_loss_reference("anyloss:metric=fbeta,beta=2,L=8", &b, "any_fbeta2.npy", 1e-7, 1e-4);
    tu_loss_reference("anyloss:metric=bacc,L=10,r=0.3", &b, "any_hybrid.npy", 1e-7, 1e-4);
    free(s);
    free(y);

    int64_t nm, nym;
    s = tu_fixture_f32("any_mc_s.npy", &nm);
    y = tu_fixture_i32("any_mc_y.npy", &nym);
    b = (lf_batch){.pred = s, .n = nym, .k = nm / nym, .label = y};
    tu_loss_reference("anyloss:metric=f1,L=6", &b, "any_mc_f1.npy", 1e-7, 1e-4);
    tu_loss_reference("anyloss:metric=mcc,L=6,r=0.2", &b, "any_mc_mcc_hybrid.npy", 1e-7, 1e-4);
    free(s);
    free(y);
}

/* ------------------------------------------------------------------ gradient checks */
static void gradcheck_metrics(const char *extra, const lf_batch *b, const float *x, double h,
                              double tol)
{
    char spec[160];
    for (int m = 0; m < NMETRICS; m++) {
        snprintf(spec, sizeof spec, "anyloss:metric=%s%s", metrics[m], extra);
        tu_loss_gradcheck(spec, b, x, h, tol);
    }
}

static void test_anyloss_gradcheck(void **state)
{
    (void)state;
    enum { N = 10, K = 3 };
    const int32_t y[N] = {1, 0, 0, 1, 0, 0, 1, 0, 0, 0};
    const int32_t yk[N] = {0, 2, 1, 1, 0, 2, 2, 1, 0, 1};
    float x[N * K];
    /* Scores near 0, where the amplifier is steep (p - 1/2 small), so every row matters. */
    tu_fill_uniform(x, N * K, -0.6f, 0.6f, 17);
    const lf_batch b = {.n = N, .k = 1, .label = y}, bk = {.n = N, .k = K, .label = yk};
    gradcheck_metrics("", &b, x, 1e-4, 1e-4);
    gradcheck_metrics(",L=4", &b, x, 1e-3, 1e-5);
    gradcheck_metrics(",L=20,r=0.4", &b, x, 1e-3, 1e-5);
    gradcheck_metrics(",L=2,beta=3", &b, x, 1e-3, 1e-5);
    gradcheck_metrics(",L=5", &bk, x, 1e-3, 1e-5);
    gradcheck_metrics(",L=5,r=0.7", &bk, x, 1e-3, 1e-5);
    /* Batch of one: one class is always empty (documented: zero metric gradient). */
    const lf_batch one = {.n = 1, .k = 1, .label = y};
    gradcheck_metrics(",L=4", &one, x, 1e-3, 1e-5);
    gradcheck_metrics(",L=4,r=0.5", &one, x + 1, 1e-3, 1e-5);
}

/* The gradient is batch-level: moving one row's score changes another row's gradient. */
static void test_anyloss_not_decomposable(void **state)
{
    (void)state;
    float s[4] = {0.1f, -0.2f, 0.05f, 0.3f};
    const int32_t y[4] = {1, 0, 1, 0};
    float g1[4], g2[4];
    double v;
    lf_loss *l = NULL;
    TU_OK(lf_loss_create("anyloss:metric=f1,L=10", &l));
    TU_OK(lf_loss_eval(l, &(lf_batch){.pred = s, .n = 4, .k = 1, .label = y}, &v, g1));
    s[3] = -0.3f;
    TU_OK(lf_loss_eval(l, &(lf_batch){.pred = s, .n = 4, .k = 1, .label = y}, &v, g2));
    assert_true(fabsf(g1[0] - g2[0]) > 1e-4f * fabsf(g1[0]));
    lf_loss_free(l);
}

static double eval_any(const char *spec, const float *s, const int32_t *y, int64_t n, float *g)
{
    lf_loss *l = NULL;
    double v;
    TU_OK(lf_loss_create(spec, &l));
    TU_OK(lf_loss_eval(l, &(lf_batch){.pred = s, .n = n, .k = 1, .label = y}, &v, g));
    lf_loss_free(l);
    return v;
}

/* No positive in the batch: fbeta, gmean, bacc and mcc give loss 1 and a zero gradient, acc
 * stays TN/n; all finite. Same with no negative for gmean, bacc, mcc. */
static void test_anyloss_empty_class(void **state)
{
    (void)state;
    const float s[4] = {0.3f, -0.1f, 0.2f, -0.4f};
    const int32_t none[4] = {0, 0, 0, 0}, all[4] = {1, 1, 1, 1};
    char spec[64];
    float g[4];
    for (int m = 1; m < NMETRICS; m++) {
        snprintf(spec, sizeof spec, "anyloss:metric=%s,L=4", metrics[m]);
        double v = eval_any(spec, s, none, 4, g);
        if (fabs(v - 1) > 1e-12) fail_msg("%s, no positive: loss %.17g, want 1", spec, v);
        for (int i = 0; i < 4; i++) assert_true(g[i] == 0);
        if (m == 1 || m == 2) continue; /* F-beta is defined without negatives */
        v = eval_any(spec, s, all, 4, g);
        if (fabs(v - 1) > 1e-12) fail_msg("%s, no negative: loss %.17g, want 1", spec, v);
        for (int i = 0; i < 4; i++) assert_true(g[i] == 0);
    }
    /* acc: 1 - TN/n with TN = sum (1 - yhat). */
    double tn = 0;
    for (int i = 0; i < 4; i++) {
        const double p = 1 / (1 + exp(-(double)s[i]));
        tn += 1 - 1 / (1 + exp(-4 * (p - 0.5)));
    }
    double v = eval_any("anyloss:metric=acc,L=4", s, none, 4, g);
    assert_true(fabs(v - (1 - tn / 4)) < 1e-12);
    for (int i = 0; i < 4; i++) assert_true(isfinite(g[i]) && g[i] > 0);
    /* The hybrid's WBCE weights the present class by the absent one's share: zero too. */
    v = eval_any("anyloss:metric=f1,L=4,r=0.5", s, none, 4, g);
    assert_true(fabs(v - 0.5) < 1e-12);
}

/* Scores of ±1e4 saturate the sigmoids: finite values, zero gradients, exact counts. */
static void test_anyloss_extreme(void **state)
{
    (void)state;
    const float s[4] = {1e4f, -1e4f, 1e4f, -1e4f};
    const int32_t y[4] = {1, 0, 0, 1};
    char spec[64];
    float g[4];
    for (int m = 0; m < NMETRICS; m++) {
        snprintf(spec, sizeof spec, "anyloss:metric=%s,r=0.3", metrics[m]);
        double v = eval_any(spec, s, y, 4, g);
        assert_true(isfinite(v));
        for (int i = 0; i < 4; i++) assert_true(isfinite(g[i]));
    }
    /* Pure metric: TP = TN = FP = FN = 1 (up to sigmoid(-36.5)): F1 = 1/2, so loss 1/2. */
    double v = eval_any("anyloss:metric=f1", s, y, 4, g);
    assert_true(fabs(v - 0.5) < 1e-5);
    for (int i = 0; i < 4; i++) assert_true(g[i] == 0);
    const lf_batch b = {.n = 4, .k = 1, .label = y};
    gradcheck_metrics(",L=4,r=0.5", &b, s, 1e-5, 1e-4);
}

/* ------------------------------------------------------------------ EnsLoss */
static void test_ensloss_reference(void **state)
{
    (void)state;
    int64_t n, ny, ne;
    float *s = tu_fixture_f32("ens_s.npy", &n);
    int32_t *y = tu_fixture_i32("ens_y.npy", &ny);
    double *e = tu_fixture_f64("ens_e.npy", &ne);
    assert_int_equal(n, ny);
    assert_int_equal(n, ne);
    const struct {
        const char *fixture;
        double lambda;
    } cases[] = {{"ens_l0.npy", 0}, {"ens_l05.npy", 0.5}, {"ens_lneg.npy", -0.5}};
    float *g = malloc((size_t)n * sizeof *g), *want = malloc((size_t)n * sizeof *want);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int64_t nr;
        double *ref = tu_fixture_f64(cases[c].fixture, &nr);
        assert_int_equal(nr, n + 1);
        double v;
        TU_OK(lf_ensloss_eval(s, y, n, cases[c].lambda, e, &v, g));
        if (fabs(v - ref[0]) > 1e-9) fail_msg("%s: value %.12g, NumPy %.12g", cases[c].fixture, v, ref[0]);
        for (int64_t i = 0; i < n; i++) want[i] = (float)ref[i + 1];
        tu_assert_close(g, want, n, 1e-9, 1e-6, cases[c].fixture);
        free(ref);
    }
    free(g);
    free(want);
    free(s);
    free(y);
    free(e);
}

typedef struct ens_ctx {
    const int32_t *y;
    const double *e;
    int64_t n;
} ens_ctx;

static double ens_fn(void *ctx, const float *x, float *grad)
{
    const ens_ctx *c = ctx;
    double v;
    TU_OK(lf_ensloss_eval(x, c->y, c->n, 0.3, c->e, &v, grad));
    return v;
}

/* With the draws fixed and every margin <= 1 (no tail scaling) and distinct, the surrogate is
 * linear in the scores and its gradient is what the loss returns. */
static void test_ensloss_gradcheck(void **state)
{
    (void)state;
    enum { N = 12 };
    const int32_t y[N] = {1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0};
    float x[N];
    double e[N];
    lf_rng r;
    lf_rng_seed(&r, 3);
    for (int i = 0; i < N; i++) {
        x[i] = (y[i] ? 1.0f : -1.0f) * (-2.5f + 0.3f * (float)i); /* z = -2.5 .. 0.8 */
        e[i] = lf_rng_normal(&r);
    }
    ens_ctx c = {y, e, N};
    tu_gradcheck(ens_fn, &c, x, N, 1e-3, 1e-6);
    ens_ctx one = {y, e, 1};
    tu_gradcheck(ens_fn, &one, x, 1, 1e-3, 1e-6);
}

/* The drawn derivatives are calibrated and convex: phi'(z) < 0, >= -1 - 1e-6 and non-decreasing
 * in z, also with margins beyond 1 (tail) and at ±1e4. */
static void test_ensloss_properties(void **state)
{
    (void)state;
    enum { N = 64 };
    float s[N], g[N];
    int32_t y[N];
    tu_fill_uniform(s, N, -4, 4, 9);
    s[0] = 1e4f;
    s[1] = -1e4f;
    for (int i = 0; i < N; i++) y[i] = i % 3 == 0;
    lf_loss *l = NULL;
    TU_OK(lf_loss_create("ensloss", &l));
    for (int rep = 0; rep < 5; rep++) {
        double v;
        TU_OK(lf_loss_eval(l, &(lf_batch){.pred = s, .n = N, .k = 1, .label = y}, &v, g));
        assert_true(isfinite(v));
        for (int i = 0; i < N; i++) {
            const double zi = (y[i] ? 1.0 : -1.0) * s[i], di = g[i] * N * (y[i] ? 1.0 : -1.0);
            assert_true(di < 0 && di >= -1 - 1e-6 - 1e-6);
            for (int j = 0; j < N; j++) {
                const double zj = (y[j] ? 1.0 : -1.0) * s[j];
                const double dj = g[j] * N * (y[j] ? 1.0 : -1.0);
                if (zi < zj && di > dj + 1e-6)
                    fail_msg("phi' decreases: z %g -> %g, phi' %g -> %g", zi, zj, di, dj);
            }
        }
    }
    lf_loss_free(l);
}

/* Seeded: the same seed gives the same draws, calls re-draw, another seed differs. */
static void test_ensloss_seeded(void **state)
{
    (void)state;
    enum { N = 32 };
    float s[N], g[4][N];
    int32_t y[N];
    tu_fill_uniform(s, N, -2, 2, 1);
    for (int i = 0; i < N; i++) y[i] = i % 2;
    const lf_batch b = {.pred = s, .n = N, .k = 1, .label = y};
    lf_loss *a = NULL, *a2 = NULL, *c = NULL;
    TU_OK(lf_loss_create("ensloss:seed=7", &a));
    TU_OK(lf_loss_create("ensloss:seed=7", &a2));
    TU_OK(lf_loss_create("ensloss:seed=8", &c));
    double v;
    TU_OK(lf_loss_eval(a, &b, &v, g[0]));
    TU_OK(lf_loss_eval(a2, &b, &v, g[1]));
    TU_OK(lf_loss_eval(a, &b, &v, g[2]));
    TU_OK(lf_loss_eval(c, &b, &v, g[3]));
    assert_memory_equal(g[0], g[1], sizeof g[0]);
    assert_memory_not_equal(g[0], g[2], sizeof g[0]);
    assert_memory_not_equal(g[0], g[3], sizeof g[0]);
    lf_loss_free(a);
    lf_loss_free(a2);
    lf_loss_free(c);
}

/* The draw stream is the loss state "rng": its saved bytes resume the same draws, and bind
 * restarts it from the seed. */
static void test_ensloss_state(void **state)
{
    (void)state;
    enum { N = 16 };
    float s[N], g[4][N], saved[8];
    int32_t y[N];
    tu_fill_uniform(s, N, -2, 2, 2);
    for (int i = 0; i < N; i++) y[i] = i % 3 == 0;
    const lf_batch b = {.pred = s, .n = N, .k = 1, .label = y};
    lf_loss *a = NULL, *c = NULL;
    TU_OK(lf_loss_create("ensloss:seed=5", &a));
    TU_OK(lf_loss_create("ensloss:seed=5", &c));
    TU_OK(lf_loss_bind(a, 100));
    assert_int_equal(lf_loss_state_count(a), 1);
    double v;
    TU_OK(lf_loss_eval(a, &b, &v, g[0]));
    const char *name = NULL;
    int64_t n = 0;
    float *buf = lf_loss_state(a, 0, &name, &n);
    assert_non_null(buf);
    assert_string_equal(name, "rng");
    assert_int_equal(n, 8);
    memcpy(saved, buf, sizeof saved);
    TU_OK(lf_loss_eval(a, &b, &v, g[1]));
    TU_OK(lf_loss_bind(c, 100));
    memcpy(lf_loss_state(c, 0, &name, &n), saved, sizeof saved);
    TU_OK(lf_loss_eval(c, &b, &v, g[2]));
    assert_memory_equal(g[1], g[2], sizeof g[1]);
    TU_OK(lf_loss_bind(a, 100));
    TU_OK(lf_loss_eval(a, &b, &v, g[3]));
    assert_memory_equal(g[0], g[3], sizeof g[0]);
    assert_null(lf_loss_state(a, 1, &name, &n));
    lf_loss_free(a);
    lf_loss_free(c);
}

/* ------------------------------------------------------------------ errors */
static void test_errors(void **state)
{
    (void)state;
    lf_loss *bad = NULL;
    TU_ERR(lf_loss_create("anyloss:metric=auc", &bad), LF_EINVAL,
           "acc, f1, fbeta, gmean, bacc, mcc");
    TU_ERR(lf_loss_create("anyloss:L=0", &bad), LF_EINVAL, "\"L\"");
    TU_ERR(lf_loss_create("anyloss:r=1.5", &bad), LF_EINVAL, "\"r\"");
    TU_ERR(lf_loss_create("anyloss:beta=0", &bad), LF_EINVAL, "\"beta\"");
    TU_ERR(lf_loss_create("ensloss:lambda=20", &bad), LF_EINVAL, "\"lambda\"");
    assert_null(bad);

    float x[6] = {0};
    int32_t y[3] = {0, 1, 3};
    double v = 42;
    const char *specs[] = {"anyloss", "ensloss"};
    for (int c = 0; c < 2; c++) {
        lf_loss *l = NULL;
        TU_OK(lf_loss_create(specs[c], &l));
        TU_ERR(lf_loss_eval(l, &(lf_batch){.pred = x, .n = 3, .k = 1, .label = y}, &v, NULL),
               LF_EINVAL, "label 3 at row 2 is not binary");
        assert_non_null(strstr(lf_last_error(), specs[c]));
        lf_loss_free(l);
    }
    lf_loss *l = NULL;
    TU_OK(lf_loss_create("anyloss", &l));
    TU_ERR(lf_loss_eval(l, &(lf_batch){.pred = x, .n = 3, .k = 2, .label = y}, &v, NULL),
           LF_EINVAL, "label 3 at row 2 is outside [0, k), k = 2");
    lf_loss_free(l);
    TU_OK(lf_loss_create("ensloss", &l));
    TU_ERR(lf_loss_eval(l, &(lf_batch){.pred = x, .n = 3, .k = 2, .label = y}, &v, NULL),
           LF_EINVAL, "n×1 scores");
    lf_loss_free(l);
    assert_true(v == 42);
    double e[3] = {0};
    TU_ERR(lf_ensloss_eval(x, y, 3, 0, e, &v, NULL), LF_EINVAL, "row 2");
    TU_ERR(lf_ensloss_eval(x, y, 0, 0, e, &v, NULL), LF_EINVAL, "n = 0");
    TU_ERR(lf_ensloss_eval(x, y, 2, NAN, e, &v, NULL), LF_EINVAL, "lambda");
}

/* Both losses run as tape ops: upstream scale 2 doubles the fused gradient. */
static void test_tape_op(void **state)
{
    (void)state;
    float x[5] = {0.2f, -0.4f, 0.1f, 0.5f, -0.3f};
    int32_t y[5] = {1, 0, 1, 0, 0};
    lf_loss *l = NULL;
    TU_OK(lf_loss_create("anyloss:metric=bacc,L=8,r=0.2", &l));
    float want[5];
    double v;
    TU_OK(lf_loss_eval(l, &(lf_batch){.pred = x, .n = 5, .k = 1, .label = y}, &v, want));
    lf_tape *t = lf_tape_new();
    const int64_t shape[2] = {5, 1};
    lf_tensor *pred = lf_tape_tensor(t, 2, shape, x);
    pred->requires_grad = 1;
    lf_tensor *loss = lf_op_loss(t, l, pred, &(lf_batch){.label = y});
    lf_tensor *out = lf_scale(t, loss, 2.0f);
    TU_OK(lf_tape_status(t));
    TU_OK(lf_backward(t, out));
    for (int i = 0; i < 5; i++) want[i] *= 2;
    tu_assert_close(pred->grad, want, 5, 1e-8, 1e-6, "tape gradient");
    lf_tape_free(t);
    lf_loss_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_anyloss_reference),
        cmocka_unit_test(test_anyloss_gradcheck),
        cmocka_unit_test(test_anyloss_not_decomposable),
        cmocka_unit_test(test_anyloss_empty_class),
        cmocka_unit_test(test_anyloss_extreme),
        cmocka_unit_test(test_ensloss_reference),
        cmocka_unit_test(test_ensloss_gradcheck),
        cmocka_unit_test(test_ensloss_properties),
        cmocka_unit_test(test_ensloss_seeded),
        cmocka_unit_test(test_ensloss_state),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_tape_op),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
