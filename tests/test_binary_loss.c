/* Margin losses on binary scores (bce, hinge, sqhinge, exp, focal): PyTorch 1.13 and torchvision
 * reference values (tests/gen_fixtures_anyloss.py), gradient checks at several settings, batch
 * of one, scores of ±1e4, reductions and bad input. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ reference values */
typedef struct ref_case {
    const char *fixture, *spec;
    int sample_weights;
} ref_case;

static const ref_case cases[] = {
    {"bin_bce.npy", "bce", 0},
    {"bin_bce_pw.npy", "bce:pos_weight=2.5", 0},
    {"bin_bce_sw_sum.npy", "bce:pos_weight=0.5,reduction=sum", 1},
    {"bin_focal.npy", "focal", 0},
    {"bin_focal_noalpha.npy", "focal:gamma=0.5,alpha=-1", 0},
    {"bin_focal_sw.npy", "focal:gamma=3,alpha=0.6", 1},
    {"bin_hinge.npy", "hinge", 0},
    {"bin_sqhinge.npy", "sqhinge:reduction=sum", 0},
    {"bin_exp.npy", "exp", 0},
};

static void test_reference(void **state)
{
    (void)state;
    int64_t n, ny, nw;
    float *s = tu_fixture_f32("bin_s.npy", &n);
    int32_t *y = tu_fixture_i32("bin_y.npy", &ny);
    float *sw = tu_fixture_f32("bin_sw.npy", &nw);
    assert_int_equal(n, ny);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        lf_batch b = {.pred = s, .n = n, .k = 1, .label = y};
        if (cases[c].sample_weights) b.weight = sw;
        tu_loss_reference(cases[c].spec, &b, cases[c].fixture, 1e-6, 1e-5);
    }
    free(s);
    free(y);
    free(sw);
}

/* ------------------------------------------------------------------ gradient checks */
static const char *const grad_specs[] = {
    "bce", "bce:pos_weight=3", "bce:pos_weight=0.2,reduction=sum", "bce:reduction=none",
    "hinge", "hinge:reduction=sum", "sqhinge", "sqhinge:reduction=none", "exp",
    "exp:reduction=sum", "focal", "focal:gamma=0", "focal:gamma=0.5,alpha=-1",
    "focal:gamma=3,alpha=0.9,reduction=none",
};

static void test_gradcheck(void **state)
{
    (void)state;
    enum { N = 10 };
    const int32_t y[N] = {1, 0, 0, 1, 1, 0, 1, 0, 0, 1};
    const float sw[N] = {0.5f, 2, 1, 0.25f, 1.5f, 1, 3, 0.75f, 1, 2};
    float x[N];
    /* Margins in [-3, 3] that keep off the hinge's kink at z = 1 by more than the step. */
    tu_fill_uniform(x, N, -3, 3, 5);
    for (int i = 0; i < N; i++)
        if (fabsf(fabsf(x[i]) - 1) < 0.05f) x[i] += 0.2f;
    for (size_t c = 0; c < sizeof grad_specs / sizeof grad_specs[0]; c++) {
        lf_batch b = {.n = N, .k = 1, .label = y};
        tu_loss_gradcheck(grad_specs[c], &b, x, 1e-3, 1e-5);
        b.weight = sw;
        tu_loss_gradcheck(grad_specs[c], &b, x, 1e-3, 1e-5);
        lf_batch one = {.n = 1, .k = 1, .label = y + 1};
        tu_loss_gradcheck(grad_specs[c], &one, x + 1, 1e-3, 1e-5);
    }
}

/* ------------------------------------------------------------------ extreme scores */
static void eval(const char *spec, const float *s, const int32_t *y, int64_t n, double *v,
                 float *g)
{
    lf_loss *l = NULL;
    TU_OK(lf_loss_create(spec, &l));
    TU_OK(lf_loss_eval(l, &(lf_batch){.pred = s, .n = n, .k = 1, .label = y}, v, g));
    lf_loss_free(l);
}

/* Rows: right at +1e4 (z = 1e4), wrong at -1e4 (z = -1e4), for both labels. */
static void test_extreme_scores(void **state)
{
    (void)state;
    const float s[4] = {1e4f, -1e4f, -1e4f, 1e4f};
    const int32_t y[4] = {1, 1, 0, 0};
    double v;
    float g[4];
    eval("bce:reduction=sum", s, y, 4, &v, g);
    assert_true(fabs(v - 2e4) < 1e-6);
    const float want_bce[4] = {0, -1, 0, 1};
    tu_assert_close(g, want_bce, 4, 0, 0, "bce at ±1e4");
    eval("focal:reduction=sum,alpha=-1", s, y, 4, &v, g);
    assert_true(fabs(v - 2e4) < 1e-6);
    tu_assert_close(g, want_bce, 4, 0, 0, "focal at ±1e4");
    eval("hinge:reduction=sum", s, y, 4, &v, g);
    assert_true(fabs(v - 2 * 10001.0) < 1e-9);
    eval("sqhinge:reduction=sum", s, y, 4, &v, g);
    assert_true(fabs(v - 2 * 10001.0 * 10001.0) < 1e-3);
    const float want_sq[4] = {0, -20002, 0, 20002};
    tu_assert_close(g, want_sq, 4, 0, 1e-7, "sqhinge at ±1e4");
    /* exp: e^-z up to z = -50, then its tangent line: finite, slope -e^50. */
    eval("exp:reduction=sum", s, y, 4, &v, g);
    const double e50 = exp(50.0);
    assert_true(isfinite(v) && fabs(v - 2 * e50 * (1 + 1e4 - 50)) < 1e-9 * v);
    const float want_exp[4] = {0, (float)-e50, 0, (float)e50};
    tu_assert_close(g, want_exp, 4, 0, 1e-7, "exp at ±1e4");
    /* Gradient checks at this scale: a step of 1e-5 * 1e4 = 0.1. */
    const char *specs[] = {"bce:pos_weight=2", "hinge", "sqhinge", "exp", "focal:gamma=1.5"};
    for (size_t c = 0; c < sizeof specs / sizeof specs[0]; c++)
        tu_loss_gradcheck(specs[c], &(lf_batch){.n = 4, .k = 1, .label = y}, s, 1e-5, 1e-4);
}

/* The exponential loss is e^-z exactly down to its knee, and C^1 across it. */
static void test_exp_knee(void **state)
{
    (void)state;
    const int32_t y[1] = {1};
    double v;
    float g[1];
    float s = -49.5f;
    eval("exp", &s, y, 1, &v, g);
    assert_true(fabs(v - exp(49.5)) < 1e-12 * v);
    const float at[2] = {-50.0f, -50.5f};
    for (int i = 0; i < 2; i++) {
        eval("exp", &at[i], y, 1, &v, g);
        assert_true(fabs(g[0] + exp(50.0)) < 1e-6 * exp(50.0));
    }
}

/* reduction=none: the value is the sum, and each row's gradient is its own. */
static void test_reductions(void **state)
{
    (void)state;
    const float s[3] = {0.3f, -1.2f, 2.5f};
    const int32_t y[3] = {1, 1, 0};
    double vn, vs, vm, v0;
    float gn[3], gs[3], gm[3], g0[1];
    eval("focal:reduction=none", s, y, 3, &vn, gn);
    eval("focal:reduction=sum", s, y, 3, &vs, gs);
    eval("focal", s, y, 3, &vm, gm);
    eval("focal:reduction=none", s + 1, y + 1, 1, &v0, g0);
    assert_true(fabs(vn - vs) < 1e-12 && fabs(vm - vs / 3) < 1e-12);
    tu_assert_close(gn, gs, 3, 0, 0, "none vs sum");
    tu_assert_close(gn + 1, g0, 1, 0, 0, "row 1 alone");
    for (int i = 0; i < 3; i++) assert_true(fabsf(gm[i] - gs[i] / 3) < 1e-7f);
}

/* ------------------------------------------------------------------ errors */
static void test_errors(void **state)
{
    (void)state;
    const char *names[] = {"bce", "hinge", "sqhinge", "exp", "focal"};
    float x[6] = {0};
    int32_t y[3] = {1, 0, 2};
    double v = 42;
    for (size_t c = 0; c < sizeof names / sizeof names[0]; c++) {
        lf_loss *l = NULL;
        TU_OK(lf_loss_create(names[c], &l));
        TU_ERR(lf_loss_eval(l, &(lf_batch){.pred = x, .n = 3, .k = 1, .label = y}, &v, NULL),
               LF_EINVAL, "label 2 at row 2 is not binary");
        assert_non_null(strstr(lf_last_error(), names[c]));
        TU_ERR(lf_loss_eval(l, &(lf_batch){.pred = x, .n = 3, .k = 2, .label = y}, &v, NULL),
               LF_EINVAL, "n×1 scores");
        TU_ERR(lf_loss_eval(l, &(lf_batch){.pred = x, .n = 3, .k = 1}, &v, NULL), LF_EINVAL,
               "\"label\"");
        lf_loss_free(l);
    }
    assert_true(v == 42);
    y[2] = -1;
    lf_loss *l = NULL;
    TU_OK(lf_loss_create("bce", &l));
    TU_ERR(lf_loss_eval(l, &(lf_batch){.pred = x, .n = 3, .k = 1, .label = y}, &v, NULL),
           LF_EINVAL, "label -1 at row 2");
    lf_loss_free(l);
    lf_loss *bad = NULL;
    TU_ERR(lf_loss_create("bce:pos_weight=-1", &bad), LF_EINVAL, "pos_weight");
    TU_ERR(lf_loss_create("focal:alpha=2", &bad), LF_EINVAL, "alpha");
    TU_ERR(lf_loss_create("focal:gamma=-1", &bad), LF_EINVAL, "gamma");
    TU_ERR(lf_loss_create("hinge:margin=1", &bad), LF_EINVAL, "reduction");
    assert_null(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference),      cmocka_unit_test(test_gradcheck),
        cmocka_unit_test(test_extreme_scores), cmocka_unit_test(test_exp_knee),
        cmocka_unit_test(test_reductions),     cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
