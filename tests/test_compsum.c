/* The comp-sum family (compsum, gce, mae, sumexp): reference values from an independent PyTorch
 * transcription of the spec sheet (tests/gen_fixtures_compsum.py), equality with ce at tau = 1
 * and between aliases, continuity across tau = 1, logits of ±1e4 (with gradient checks there;
 * those for every tau and option are test_registry_loss.c's) and -inf, the §11 pitfalls
 * (ignored rows, weighted-mean semantics, batch of one) and bad input. The tape op lf_op_loss is
 * the same for every loss (test_loss.c). */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLASS_W "weights=0.5;1;2;1.5;0.25"

static lf_loss *make_loss(const char *spec)
{
    lf_loss *l = NULL;
    TU_OK(lf_loss_create(spec, &l));
    return l;
}

/* member + options: "gce" + "smoothing=0.1" -> "gce:smoothing=0.1", "gce:q=0.2,smoothing=0.1". */
static const char *with(char *buf, size_t cap, const char *member, const char *opts)
{
    if (!*opts) snprintf(buf, cap, "%s", member);
    else snprintf(buf, cap, "%s%c%s", member, strchr(member, ':') ? ',' : ':', opts);
    return buf;
}

static double eval(lf_loss *l, const lf_batch *b, float *g)
{
    double v;
    TU_OK(lf_loss_eval(l, b, &v, g));
    return v;
}

/* ------------------------------------------------------------------ reference values */

static const tu_ref_case cases[] = {
    {"compsum_tau0.npy", "compsum:tau=0", "compsum_y.npy", 0},
    {"compsum_tau05.npy", "compsum:tau=0.5", "compsum_y.npy", 0},
    {"compsum_tau1.npy", "compsum:tau=1", "compsum_y.npy", 0},
    {"compsum_tau15.npy", "compsum:tau=1.5", "compsum_y.npy", 0},
    {"compsum_tau17.npy", "compsum:tau=1.7", "compsum_y.npy", 0},
    {"compsum_tau2.npy", "compsum:tau=2", "compsum_y.npy", 0},
    {"compsum_tau05_all.npy", "compsum:tau=0.5,smoothing=0.1," CLASS_W, "compsum_yign.npy", 0},
    {"compsum_tau17_sum.npy", "compsum:tau=1.7,smoothing=0.2,ignore_index=3,reduction=sum," CLASS_W,
     "compsum_y.npy", 0},
    {"compsum_tau13_n.npy", "compsum:tau=1.3,weighted_mean=n," CLASS_W, "compsum_yign.npy", 0},
    {"compsum_tau03_none.npy", "compsum:tau=0.3,smoothing=0.05,reduction=none", "compsum_yign.npy",
     0},
    {"compsum_tau12_sw.npy", "compsum:tau=1.2,smoothing=0.1," CLASS_W, "compsum_yign.npy", 1},
    {"compsum_gce.npy", "gce", "compsum_y.npy", 0},
    {"compsum_gce_q03.npy", "gce:q=0.3,smoothing=0.1," CLASS_W, "compsum_yign.npy", 0},
    {"compsum_mae.npy", "mae", "compsum_y.npy", 0},
    {"compsum_mae_w.npy", "mae:weighted_mean=n,smoothing=0.3," CLASS_W, "compsum_yign.npy", 0},
    {"compsum_sumexp.npy", "sumexp", "compsum_y.npy", 0},
    {"compsum_sumexp_s.npy", "sumexp:smoothing=0.05,reduction=sum," CLASS_W, "compsum_yign.npy", 0},
    {"compsum_ce_n.npy", "ce:smoothing=0.1,weighted_mean=n," CLASS_W, "compsum_yign.npy", 0},
};

static void test_reference(void **state)
{
    (void)state;
    tu_loss_reference_cases("compsum_x.npy", "compsum_sw.npy", cases, sizeof cases / sizeof cases[0],
                            1e-6, 1e-4);
}

/* ------------------------------------------------------------------ equalities */
/* Same value (relative tol) and gradient for two specs on random logits. */
static void expect_same(const char *a, const char *b, const int32_t *y, const float *sw,
                        double vtol, double gtol)
{
    enum { N = 6, K = 5 };
    float x[N * K], ga[N * K], gb[N * K];
    tu_fill_uniform(x, N * K, -4, 4, 17);
    lf_batch bt = {.pred = x, .n = N, .k = K, .label = y, .weight = sw};
    lf_loss *la = make_loss(a), *lb = make_loss(b);
    double va = eval(la, &bt, ga), vb = eval(lb, &bt, gb);
    if (fabs(va - vb) > vtol * fmax(1, fabs(vb)))
        fail_msg("%s = %.12g but %s = %.12g", a, va, b, vb);
    tu_assert_close(ga, gb, N * K, gtol, gtol, a);
    lf_loss_free(la);
    lf_loss_free(lb);
}

static const int32_t Y6[6] = {4, 0, 2, 2, 1, 3}, YIGN[6] = {4, -100, 2, 2, -100, 3};
static const float SW6[6] = {0.5f, 2, 1, 0.25f, 1.5f, 1};

static void test_tau1_is_ce(void **state)
{
    (void)state;
    expect_same("compsum:tau=1", "ce", Y6, NULL, 1e-12, 1e-6);
    expect_same("compsum:tau=1,smoothing=0.2," CLASS_W, "ce:smoothing=0.2," CLASS_W, YIGN, NULL,
                1e-12, 1e-6);
    expect_same("compsum:tau=1,reduction=sum,ignore_index=2,smoothing=0.1",
                "ce:reduction=sum,ignore_index=2,smoothing=0.1", Y6, SW6, 1e-12, 1e-6);
    expect_same("compsum:tau=1,weighted_mean=n," CLASS_W, "ce:weighted_mean=n," CLASS_W, YIGN, SW6,
                1e-12, 1e-6);
    expect_same("compsum:tau=1,reduction=none,smoothing=1", "ce:reduction=none,smoothing=1", Y6,
                NULL, 1e-12, 1e-6);
}

static void test_aliases(void **state)
{
    (void)state;
    expect_same("gce", "compsum:tau=1.7", Y6, NULL, 1e-12, 1e-7);
    expect_same("gce:q=1,smoothing=0.1", "mae:smoothing=0.1", YIGN, SW6, 1e-12, 1e-7);
    expect_same("mae:" CLASS_W, "compsum:tau=2," CLASS_W, Y6, NULL, 1e-12, 1e-7);
    expect_same("sumexp:reduction=sum", "compsum:tau=0,reduction=sum", Y6, SW6, 1e-12, 1e-7);
}

/* tau = 1 ± 1e-6 agrees with tau = 1 to O(1e-6): no switch of formula shows. */
static void test_continuity(void **state)
{
    (void)state;
    expect_same("compsum:tau=0.999999", "compsum:tau=1", Y6, NULL, 1e-5, 1e-5);
    expect_same("compsum:tau=1.000001", "compsum:tau=1", Y6, NULL, 1e-5, 1e-5);
    expect_same("compsum:tau=1.000001,smoothing=0.3," CLASS_W,
                "compsum:tau=1,smoothing=0.3," CLASS_W, YIGN, NULL, 1e-5, 1e-5);
    expect_same("gce:q=1e-6", "ce", Y6, NULL, 1e-5, 1e-5);
}

/* The family's members, for the checks that run on each. */
static const char *const members[] = {
    "compsum:tau=0", "compsum:tau=0.5", "compsum:tau=1", "compsum:tau=1.7", "compsum:tau=2",
    "gce",           "gce:q=0.2",       "mae",           "sumexp",
};
#define NMEMBERS (sizeof members / sizeof members[0])

/* ------------------------------------------------------------------ extreme logits */
static int all_finite(const float *g, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(g[i])) return 0;
    return 1;
}

static void test_extreme_logits(void **state)
{
    (void)state;
    /* The label's logit 2e4 below the max (p_y = 0 in float), a confident right answer, and a
     * near tie; a step of 2e-6 * 1e4 = 0.02 (20 ulps) resolves the softmax at this scale. */
    const float big[15] = {1e4f,  -1e4f,      1e4f - 2, 0, 3,
                           -1e4f, 1e4f,       -1e4f + 1, 1e4f - 1, 0,
                           1e4f,  1e4f - 0.5f, -1e4f,    2,        -3};
    const int32_t y[3] = {1, 1, 1};
    char spec[128];
    for (size_t m = 0; m < NMEMBERS; m++) {
        for (int sm = 0; sm < 2; sm++) {
            /* One row per batch: a row in the tau < 1 linear tail (~1e32) would swamp the others
             * in a sum, and finite differences could not see them. */
            const char *opts = sm ? "smoothing=0.1," CLASS_W : "";
            lf_loss *l = make_loss(with(spec, sizeof spec, members[m], opts));
            for (int r = 0; r < 3; r++) {
                lf_batch b = {.pred = big + 5 * r, .n = 1, .k = 5, .label = y};
                float g[5];
                double v = eval(l, &b, g);
                if (!isfinite(v) || !all_finite(g, 5)) fail_msg("%s: not finite at ±1e4", spec);
                tu_loss_gradcheck(spec, &b, big + 5 * r, 2e-6, 1e-3);
            }
            lf_loss_free(l);
        }
    }
    /* tau = 0 with the label 2e4 below: the loss grows linearly past the cap, still finite. */
    lf_loss *l = make_loss("sumexp:reduction=sum");
    float g[15];
    double v = eval(l, &(lf_batch){.pred = big, .n = 1, .k = 5, .label = y}, g);
    assert_true(isfinite(v) && v > 1e30);
    assert_true(all_finite(g, 5) && g[1] < -1e27f && g[0] > 1e27f);
    lf_loss_free(l);
}

/* A -inf logit off the label acts as if the class were absent: same value, same gradient on the
 * other classes, 0 on it (optax #896: no 0 * inf NaN), forward and backward. */
static void test_neg_inf_logits(void **state)
{
    (void)state;
    const float xw[2 * 4] = {1.5f, -INFINITY, -0.5f, 2, -INFINITY, 0.25f, 3, -1};
    const float xo[2 * 3] = {1.5f, -0.5f, 2, 0.25f, 3, -1};
    const int32_t yw[2] = {0, 2}, yo[2] = {0, 1};
    char spec[128];
    for (size_t m = 0; m < NMEMBERS; m++) {
        for (int sm = 0; sm < 2; sm++) {
            /* Smoothing puts weight on the -inf class: finite only where l(0) is (tau > 1). */
            lf_loss *l = make_loss(with(spec, sizeof spec, members[m], sm ? "smoothing=0.1" : ""));
            float gw[8], go[6];
            double vw = eval(l, &(lf_batch){.pred = xw, .n = 2, .k = 4, .label = yw}, gw);
            assert_true(all_finite(gw, 8));
            if (sm) {
                lf_loss_free(l);
                continue;
            }
            double vo = eval(l, &(lf_batch){.pred = xo, .n = 2, .k = 3, .label = yo}, go);
            if (!isfinite(vw) || fabs(vw - vo) > 1e-6 * fmax(1, fabs(vo)))
                fail_msg("%s: %.9g with a -inf logit, %.9g without the class", spec, vw, vo);
            const float gw_kept[6] = {gw[0], gw[2], gw[3], gw[5], gw[6], gw[7]};
            tu_assert_close(gw_kept, go, 6, 1e-7, 1e-5, spec);
            assert_true(gw[1] == 0 && gw[4] == 0);
            lf_loss_free(l);
        }
    }
    /* The label's own logit at -inf: l(0) = 1/(tau-1) for tau > 1 with a zero gradient; +inf
     * (the true value) for tau <= 1, with a finite gradient. */
    const float row[3] = {-INFINITY, 1, 2};
    const int32_t y0[1] = {0};
    float g[3];
    lf_loss *gce = make_loss("gce:q=0.5");
    double v = eval(gce, &(lf_batch){.pred = row, .n = 1, .k = 3, .label = y0}, g);
    assert_true(fabs(v - 2) < 1e-12 && g[0] == 0 && g[1] == 0 && g[2] == 0);
    lf_loss_free(gce);
    lf_loss *ce1 = make_loss("compsum:tau=1");
    v = eval(ce1, &(lf_batch){.pred = row, .n = 1, .k = 3, .label = y0}, g);
    assert_true(isinf(v) && v > 0 && all_finite(g, 3));
    lf_loss_free(ce1);
}

/* ------------------------------------------------------------------ §11 pitfalls */
/* pytorch#73205: a row with ignore_index changes neither the value nor the other rows'
 * gradients, for mean and sum, with smoothing and weights (the smoothing term must skip it). */
static void test_ignored_rows(void **state)
{
    (void)state;
    float x[4 * 5], gi[4 * 5], gd[3 * 5];
    tu_fill_uniform(x, 20, -3, 3, 5);
    const int32_t yi[4] = {1, -100, 4, 0}, yd[3] = {1, 4, 0};
    float xd[3 * 5];
    memcpy(xd, x, 5 * sizeof *x);
    memcpy(xd + 5, x + 10, 10 * sizeof *x);
    const char *const specs[] = {"compsum:tau=0.4,smoothing=0.2," CLASS_W,
                                 "gce:reduction=sum,smoothing=0.1," CLASS_W,
                                 "mae:weighted_mean=n,smoothing=0.5", "sumexp:smoothing=0.1"};
    for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++) {
        lf_loss *l = make_loss(specs[s]);
        double vi = eval(l, &(lf_batch){.pred = x, .n = 4, .k = 5, .label = yi}, gi);
        double vd = eval(l, &(lf_batch){.pred = xd, .n = 3, .k = 5, .label = yd}, gd);
        assert_true(fabs(vi - vd) < 1e-9 * fmax(1, fabs(vd)));
        for (int j = 0; j < 5; j++) assert_true(gi[5 + j] == 0);
        tu_assert_close(gi, gd, 5, 0, 1e-6, specs[s]);
        tu_assert_close(gi + 10, gd + 5, 10, 0, 1e-6, specs[s]);
        lf_loss_free(l);
    }
    /* Every row ignored: 0, not NaN. */
    const int32_t all[4] = {-100, -100, -100, -100};
    lf_loss *l = make_loss("gce:" CLASS_W);
    assert_true(eval(l, &(lf_batch){.pred = x, .n = 4, .k = 5, .label = all}, gi) == 0);
    for (int j = 0; j < 20; j++) assert_true(gi[j] == 0);
    lf_loss_free(l);
}

/* pytorch#61309 & co: weighted_mean=sum_w divides by the batch's summed class weight, so class
 * weights cancel at batch size 1; weighted_mean=n divides by the row count, so mean = the mean of
 * the 'none' rows and the weights keep acting. */
static void test_weighted_mean(void **state)
{
    (void)state;
    float x[4 * 5];
    tu_fill_uniform(x, 20, -3, 3, 9);
    const int32_t y[4] = {1, -100, 2, 0};
    const double w[5] = {0.5, 1, 2, 1.5, 0.25};
    lf_batch b = {.pred = x, .n = 4, .k = 5, .label = y};
    for (int m = 0; m < 2; m++) {
        const char *base = m ? "gce:q=0.4" : "ce";
        char s_sw[128], s_n[128], s_sum[128];
        with(s_sw, sizeof s_sw, base, CLASS_W);
        with(s_n, sizeof s_n, base, "weighted_mean=n," CLASS_W);
        with(s_sum, sizeof s_sum, base, "reduction=none," CLASS_W);
        lf_loss *lsw = make_loss(s_sw), *ln = make_loss(s_n), *lsum = make_loss(s_sum),
                *lp = make_loss(base);
        const double total = eval(lsum, &b, NULL);
        assert_true(fabs(eval(lsw, &b, NULL) - total / (w[1] + w[2] + w[0])) < 1e-9);
        assert_true(fabs(eval(ln, &b, NULL) - total / 3) < 1e-9);
        /* Batch of one (row 2, class weight 2): sum_w cancels the weight, n keeps it. */
        lf_batch one = {.pred = x + 10, .n = 1, .k = 5, .label = y + 2};
        const double plain = eval(lp, &one, NULL);
        assert_true(fabs(eval(lsw, &one, NULL) - plain) < 1e-9);
        assert_true(fabs(eval(ln, &one, NULL) - 2 * plain) < 1e-9);
        lf_loss_free(lsw);
        lf_loss_free(ln);
        lf_loss_free(lsum);
        lf_loss_free(lp);
    }
}

/* ------------------------------------------------------------------ registry and errors */
static void test_registry(void **state)
{
    (void)state;
    const char *const names[] = {"compsum", "gce", "mae", "sumexp"};
    for (int i = 0; i < 4; i++) {
        const lf_desc *d;
        TU_OK(lf_registry_find(LF_KIND_LOSS, names[i], &d));
        assert_string_equal(d->paper, "compsum");
        int has_reduction = 0;
        for (int p = 0; p < d->nparams; p++)
            has_reduction |= !strcmp(d->params[p].key, "reduction");
        assert_true(has_reduction);
    }
    lf_loss *l = make_loss("gce");
    assert_string_equal(lf_loss_spec(l), "gce:q=0.69999999999999996,smoothing=0,reduction=mean,"
                                         "ignore_index=-100,weights=,weighted_mean=sum_w");
    lf_loss_free(l);
    l = make_loss("mae");
    assert_string_equal(lf_loss_spec(l),
                        "mae:smoothing=0,reduction=mean,ignore_index=-100,weights=,"
                        "weighted_mean=sum_w");
    lf_loss_free(l);
}

static void test_errors(void **state)
{
    (void)state;
    lf_loss *bad = NULL;
    TU_ERR(lf_loss_create("compsum:tau=2.5", &bad), LF_EINVAL,
           "\"tau\" must be in [0, 2], got 2.5");
    TU_ERR(lf_loss_create("compsum:tau=-0.1", &bad), LF_EINVAL, "\"tau\" must be in [0, 2]");
    TU_ERR(lf_loss_create("gce:q=0", &bad), LF_EINVAL, "\"q\" must be in (0, 1], got 0");
    TU_ERR(lf_loss_create("gce:q=1.5", &bad), LF_EINVAL, "\"q\" must be in (0, 1]");
    TU_ERR(lf_loss_create("mae:tau=1", &bad), LF_EINVAL, "smoothing");
    TU_ERR(lf_loss_create("sumexp:weights=1;;2", &bad), LF_EINVAL, "loss \"sumexp\"");
    TU_ERR(lf_loss_create("gce:weighted_mean=rows", &bad), LF_EINVAL, "sum_w, n");
    assert_null(bad);
    float x[6] = {0};
    int32_t y[2] = {1, 3};
    double v = 7;
    lf_loss *l = make_loss("gce");
    TU_ERR(lf_loss_eval(l, &(lf_batch){.pred = x, .n = 2, .k = 3, .label = y}, &v, NULL),
           LF_EINVAL, "loss \"gce\": label 3 at row 1");
    TU_ERR(lf_loss_eval(l, &(lf_batch){.pred = x, .n = 2, .k = 3}, &v, NULL), LF_EINVAL,
           "\"label\"");
    lf_loss_free(l);
    l = make_loss("mae:weights=1;2");
    y[1] = 0;
    TU_ERR(lf_loss_eval(l, &(lf_batch){.pred = x, .n = 2, .k = 3, .label = y}, &v, NULL),
           LF_EINVAL, "loss \"mae\": parameter \"weights\" has 2 values but k = 3");
    assert_true(v == 7);
    lf_loss_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference),      cmocka_unit_test(test_tau1_is_ce),
        cmocka_unit_test(test_aliases),        cmocka_unit_test(test_continuity),
        cmocka_unit_test(test_extreme_logits),
        cmocka_unit_test(test_neg_inf_logits), cmocka_unit_test(test_ignored_rows),
        cmocka_unit_test(test_weighted_mean),  cmocka_unit_test(test_registry),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
