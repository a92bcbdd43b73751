/* Cross-entropy and MSE: PyTorch 1.13 reference values (tests/gen_fixtures_lossopt.py), a
 * gradient check at logits of ±1e4 (the other gradient checks are test_registry_loss.c's), edge
 * cases (n = 1, k = 1, logits of ±1e4), errors, and the tape op. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CLASS_W "weights=0.5;1;2;1.5;0.25"

static lf_loss *make_loss(const char *spec)
{
    lf_loss *l = NULL;
    TU_OK(lf_loss_create(spec, &l));
    return l;
}

/* ------------------------------------------------------------------ reference values */

static const tu_ref_case ce_cases[] = {
    {"loss_ce_plain.npy", "ce", "loss_ce_y.npy", 0},
    {"loss_ce_smooth.npy", "ce:smoothing=0.1", "loss_ce_y.npy", 0},
    {"loss_ce_weights.npy", "ce:smoothing=0.2," CLASS_W, "loss_ce_yign.npy", 0},
    {"loss_ce_ignore.npy", "ce:ignore_index=3,smoothing=0.1", "loss_ce_y.npy", 0},
    {"loss_ce_sum.npy", "ce:reduction=sum,smoothing=0.3," CLASS_W, "loss_ce_yign.npy", 0},
    {"loss_ce_sample.npy", "ce:smoothing=0.1," CLASS_W, "loss_ce_yign.npy", 1},
};

static void test_ce_reference(void **state)
{
    (void)state;
    tu_loss_reference_cases("loss_ce_x.npy", "loss_ce_sw.npy", ce_cases,
                            sizeof ce_cases / sizeof ce_cases[0], 1e-6, 1e-4);
}

static void test_mse_reference(void **state)
{
    (void)state;
    int64_t np, nt;
    float *p = tu_fixture_f32("loss_mse_pred.npy", &np);
    float *t = tu_fixture_f32("loss_mse_target.npy", &nt);
    assert_int_equal(np, nt);
    lf_batch b = {.pred = p, .n = 4, .k = np / 4, .target = t};
    tu_loss_reference("mse", &b, "loss_mse_mean.npy", 1e-6, 1e-4);
    tu_loss_reference("mse:reduction=sum", &b, "loss_mse_sum.npy", 1e-6, 1e-4);
    free(p);
    free(t);
}

/* reduction=none: the value is the sum, and each row's gradient is its own. */
static void test_ce_none_is_rowwise(void **state)
{
    (void)state;
    float x[6] = {1, 2, 3, -1, 0, 4};
    int32_t y[2] = {0, 2};
    lf_batch b = {.pred = x, .n = 2, .k = 3, .label = y};
    lf_loss *none = make_loss("ce:reduction=none,smoothing=0.1");
    lf_loss *sum = make_loss("ce:reduction=sum,smoothing=0.1");
    double vn, vs, v0;
    float gn[6], gs[6], g0[3];
    TU_OK(lf_loss_eval(none, &b, &vn, gn));
    TU_OK(lf_loss_eval(sum, &b, &vs, gs));
    lf_batch row0 = {.pred = x, .n = 1, .k = 3, .label = y};
    TU_OK(lf_loss_eval(none, &row0, &v0, g0));
    assert_true(fabs(vn - vs) < 1e-12);
    tu_assert_close(gn, gs, 6, 0, 0, "none vs sum");
    tu_assert_close(gn, g0, 3, 0, 0, "row 0 alone");
    lf_loss_free(none);
    lf_loss_free(sum);
}

/* ------------------------------------------------------------------ edge cases */
static void test_ce_extreme_logits(void **state)
{
    (void)state;
    /* Row 0: the label's logit is 2e4 below the max: loss 2e4, gradient (1, -1, 0). Row 1: a
     * confident right answer: loss ~0. */
    float x[6] = {1e4f, -1e4f, 0, -1e4f, 1e4f, 1e4f - 1};
    int32_t y[2] = {1, 1};
    lf_batch b = {.pred = x, .n = 2, .k = 3, .label = y};
    lf_loss *l = make_loss("ce:reduction=sum");
    double v;
    float g[6];
    TU_OK(lf_loss_eval(l, &b, &v, g));
    const double p1 = 1 / (1 + exp(1.0)); /* row 1: softmax over (1e4, 1e4-1) */
    assert_true(fabs(v - (2e4 - log(1 - p1))) < 1e-3);
    const float want[6] = {1, -1, 0, 0, (float)-p1, (float)p1};
    tu_assert_close(g, want, 6, 1e-6, 1e-5, "gradient at ±1e4");
    lf_loss_free(l);
    /* A step of 1e-5 * 1e4 = 0.1 resolves the softmax at this scale. */
    const float big[10] = {1e4f, -1e4f, 1e4f - 2, 0, 3, -1e4f, 1e4f, -1e4f + 1, 1e4f - 1, 0};
    tu_loss_gradcheck("ce:smoothing=0.1," CLASS_W, &(lf_batch){.n = 2, .k = 5, .label = y}, big,
                      1e-5, 1e-3);
}

static void test_ce_edge_shapes(void **state)
{
    (void)state;
    /* One class: the loss and its gradient vanish. */
    float x1[3] = {5, -3, 1e4f}, g1[3];
    int32_t y1[3] = {0, 0, 0};
    lf_loss *l = make_loss("ce:smoothing=0.5");
    double v;
    TU_OK(lf_loss_eval(l, &(lf_batch){.pred = x1, .n = 3, .k = 1, .label = y1}, &v, g1));
    assert_true(v == 0);
    for (int i = 0; i < 3; i++) assert_true(g1[i] == 0);
    /* Every row ignored: 0, not NaN, and a zero gradient. */
    int32_t yi[3] = {-100, -100, -100};
    float x3[6] = {1, 2, 3, 4, 5, 6}, g3[6];
    TU_OK(lf_loss_eval(l, &(lf_batch){.pred = x3, .n = 3, .k = 2, .label = yi}, &v, g3));
    assert_true(v == 0);
    for (int i = 0; i < 6; i++) assert_true(g3[i] == 0);
    /* Value alone equals the value of the fused pass. */
    int32_t y2[3] = {1, 0, 1};
    double v2;
    TU_OK(lf_loss_eval(l, &(lf_batch){.pred = x3, .n = 3, .k = 2, .label = y2}, &v, g3));
    TU_OK(lf_loss_eval(l, &(lf_batch){.pred = x3, .n = 3, .k = 2, .label = y2}, &v2, NULL));
    assert_true(fabs(v - v2) < 1e-6);
    lf_loss_free(l);
}

/* ------------------------------------------------------------------ errors */
static void test_ce_errors(void **state)
{
    (void)state;
    float x[6] = {0};
    int32_t y[2] = {1, 7};
    lf_loss *l = make_loss("ce");
    double v = 42;
    TU_ERR(lf_loss_eval(l, &(lf_batch){.pred = x, .n = 2, .k = 3, .label = y}, &v, NULL),
           LF_EINVAL, "label 7 at row 1");
    assert_non_null(strstr(lf_last_error(), "k = 3"));
    y[1] = -5;
    TU_ERR(lf_loss_eval(l, &(lf_batch){.pred = x, .n = 2, .k = 3, .label = y}, &v, NULL),
           LF_EINVAL, "label -5 at row 1");
    TU_ERR(lf_loss_eval(l, &(lf_batch){.pred = x, .n = 2, .k = 3}, &v, NULL), LF_EINVAL,
           "\"label\"");
    TU_ERR(lf_loss_eval(l, &(lf_batch){.n = 2, .k = 3, .label = y}, &v, NULL), LF_EINVAL,
           "\"pred\"");
    TU_ERR(lf_loss_eval(l, &(lf_batch){.pred = x, .n = 0, .k = 3, .label = y}, &v, NULL),
           LF_EINVAL, "n=0");
    assert_true(v == 42); /* out-parameter untouched */
    lf_loss_free(l);

    l = make_loss("ce:weights=1;2");
    y[1] = 0;
    TU_ERR(lf_loss_eval(l, &(lf_batch){.pred = x, .n = 2, .k = 3, .label = y}, &v, NULL),
           LF_EINVAL, "2 values but k = 3");
    lf_loss_free(l);

    lf_loss *bad = NULL;
    TU_ERR(lf_loss_create("ce:weights=1;x;2", &bad), LF_EINVAL, "item 2");
    TU_ERR(lf_loss_create("ce:weights=1;-2", &bad), LF_EINVAL, "\"weights\"");
    TU_ERR(lf_loss_create("ce:smoothing=1.5", &bad), LF_EINVAL, "\"smoothing\" must be in [0, 1]");
    TU_ERR(lf_loss_create("ce:reduction=avg", &bad), LF_EINVAL, "mean, sum, none");
    TU_ERR(lf_loss_create("ce:q=1", &bad), LF_EINVAL, "ignore_index");
    TU_ERR(lf_loss_create("mse:reduction=none", &bad), LF_EINVAL, "reduction");
    assert_null(bad);
    l = make_loss("mse");
    TU_ERR(lf_loss_eval(l, NULL, &v, NULL), LF_EINVAL, "NULL");
    TU_ERR(lf_loss_eval(l, &(lf_batch){.pred = x, .n = 2, .k = 3}, &v, NULL), LF_EINVAL,
           "\"target\"");
    lf_loss_free(l);
}

static void test_loss_spec(void **state)
{
    (void)state;
    lf_loss *l = make_loss("ce:smoothing=0.25");
    assert_string_equal(lf_loss_spec(l),
                        "ce:smoothing=0.25,reduction=mean,ignore_index=-100,weights=,"
                        "weighted_mean=sum_w");
    assert_string_equal(lf_loss_desc(l)->name, "ce");
    assert_int_equal(lf_loss_needs(l), LF_NEED_LABEL);
    lf_loss_free(l);
    l = make_loss("mse");
    assert_int_equal(lf_loss_needs(l), LF_NEED_TARGET);
    lf_loss_free(l);
    lf_loss_free(NULL);
}

/* ------------------------------------------------------------------ tape op */
/* lf_op_loss under an upstream scale of 3 gives 3x the fused gradient. */
static void test_op_loss(void **state)
{
    (void)state;
    float x[12];
    tu_fill_uniform(x, 12, -3, 3, 11);
    int32_t y[4] = {0, 2, -100, 1};
    lf_loss *l = make_loss("ce:smoothing=0.1,weights=1;2;0.5");
    lf_batch b = {.label = y};
    double v;
    float want[12];
    TU_OK(lf_loss_eval(l, &(lf_batch){.pred = x, .n = 4, .k = 3, .label = y}, &v, want));
    for (int i = 0; i < 12; i++) want[i] *= 3;

    lf_tape *t = lf_tape_new();
    assert_non_null(t);
    const int64_t shape[2] = {4, 3};
    lf_tensor *pred = lf_tape_tensor(t, 2, shape, x);
    pred->requires_grad = 1;
    lf_tensor *loss = lf_op_loss(t, l, pred, &b);
    lf_tensor *out = lf_scale(t, loss, 3.0f);
    TU_OK(lf_tape_status(t));
    assert_true(fabs(loss->data[0] - v) < 1e-6);
    TU_OK(lf_backward(t, out));
    tu_assert_close(pred->grad, want, 12, 1e-7, 1e-6, "tape gradient");

    /* A failing eval is recorded in the tape. */
    lf_tape_reset(t);
    y[0] = 9;
    pred = lf_tape_tensor(t, 2, shape, x);
    assert_null(lf_op_loss(t, l, pred, &b));
    TU_ERR(lf_tape_status(t), LF_EINVAL, "label 9 at row 0");
    lf_tape_free(t);
    lf_loss_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ce_reference),     cmocka_unit_test(test_mse_reference),
        cmocka_unit_test(test_ce_none_is_rowwise), cmocka_unit_test(test_ce_extreme_logits),
        cmocka_unit_test(test_ce_edge_shapes),   cmocka_unit_test(test_ce_errors),
        cmocka_unit_test(test_loss_spec),        cmocka_unit_test(test_op_loss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
