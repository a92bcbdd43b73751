/* LDR-KL and ALDR-KL: reference values from a PyTorch transcription of the reference code
 * (tests/gen_fixtures_ldr.py), gradient checks at several margins and temperatures, both
 * variants, n = 1, k = 1 and logits of ±1e4 / -inf, the ALDR lambda_i update over several
 * steps, its per-sample state, errors, and a training run that binds the state. */
#include "testutil.h"
#include "lossforge/retrieval.h"

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

/* ------------------------------------------------------------------ LDR-KL */
static const struct {
    const char *fixture, *spec;
} ldr_cases[] = {
    {"ldr_raw_c0_l1.npy", "ldr:variant=raw,margin=0,lambda=1"},
    {"ldr_raw_c2_l05.npy", "ldr:variant=raw,margin=2,lambda=0.5"},
    {"ldr_raw_c01_l10.npy", "ldr:variant=raw,margin=0.1,lambda=10"},
    {"ldr_norm_c2_l1.npy", "ldr:variant=normalized,margin=2,lambda=1"},
    {"ldr_norm_c01_l03.npy", "ldr:variant=normalized,margin=0.1,lambda=0.3"},
    {"ldr_norm_w_sum.npy", "ldr:variant=normalized,margin=1,lambda=2,reduction=sum," CLASS_W},
    {"ldr_raw_w_mean.npy", "ldr:variant=raw,margin=1,lambda=0.7," CLASS_W},
};
enum { NLDR = (int)(sizeof ldr_cases / sizeof ldr_cases[0]) };

static void test_ldr_reference(void **state)
{
    (void)state;
    int64_t nx, ny;
    float *x = tu_fixture_f32("ldr_x.npy", &nx);
    int32_t *y = tu_fixture_i32("ldr_y.npy", &ny);
    lf_batch b = {.pred = x, .n = ny, .k = nx / ny, .label = y};
    for (int c = 0; c < NLDR; c++) tu_loss_reference(ldr_cases[c].spec, &b, ldr_cases[c].fixture, 1e-6, 1e-4);
    free(x);
    free(y);
}

/* The sheet: with c = 0, lambda = 1 the raw loss is CE - log K, with CE's gradient. */
static void test_ldr_is_shifted_ce(void **state)
{
    (void)state;
    enum { N = 4, K = 7 };
    float x[N * K], gl[N * K], gc[N * K];
    tu_fill_uniform(x, N * K, -6, 6, 3);
    const int32_t y[N] = {0, 6, 3, 3};
    lf_batch b = {.pred = x, .n = N, .k = K, .label = y};
    lf_loss *ldr = make_loss("ldr:variant=raw,margin=0,lambda=1"), *ce = make_loss("ce");
    double vl, vc;
    TU_OK(lf_loss_eval(ldr, &b, &vl, gl));
    TU_OK(lf_loss_eval(ce, &b, &vc, gc));
    assert_true(fabs(vl - (vc - log(K))) < 1e-6);
    tu_assert_close(gl, gc, N * K, 1e-7, 1e-5, "ldr gradient vs ce");
    lf_loss_free(ldr);
    lf_loss_free(ce);
}

static void test_ldr_gradcheck(void **state)
{
    (void)state;
    enum { N = 6, K = 5 };
    float x[N * K];
    tu_fill_uniform(x, N * K, -4, 4, 11);
    const int32_t y[N] = {0, 4, 2, 2, 1, 3}, y0[N] = {0};
    const float sw[N] = {0.5f, 1, 2, 1.5f, 0.25f, 1};
    static const char *const specs[] = {
        "ldr:variant=raw,margin=0,lambda=1",     "ldr:variant=raw,margin=2,lambda=0.3",
        "ldr:variant=raw,margin=0.5,lambda=10",  "ldr:variant=normalized",
        "ldr:variant=normalized,margin=0.1,lambda=0.2",
        "ldr:variant=normalized,margin=3,lambda=5,reduction=sum," CLASS_W,
    };
    for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++) {
        lf_batch b = {.n = N, .k = K, .label = y};
        tu_loss_gradcheck(specs[s], &b, x, 1e-3, 1e-4);
        b.weight = sw;
        tu_loss_gradcheck(specs[s], &b, x, 1e-3, 1e-4);
        lf_batch one = {.n = 1, .k = K, .label = y + 1};
        tu_loss_gradcheck(specs[s], &one, x, 1e-3, 1e-4);
        lf_batch k1 = {.n = N, .k = 1, .label = y0};
        if (!strstr(specs[s], "weights")) tu_loss_gradcheck(specs[s], &k1, x, 1e-3, 1e-4);
    }
}

/* Logits of ±1e4, -inf on wrong classes, and rows whose softplus underflows everywhere. */
static void test_ldr_extreme_logits(void **state)
{
    (void)state;
    const float big[2 * 5] = {1e4f, -1e4f, 1e4f - 2, 0, 3, -1e4f, 1e4f, -1e4f + 1, 1e4f - 1, 0};
    const int32_t y[2] = {0, 3};
    lf_batch b = {.n = 2, .k = 5, .label = y};
    /* A step of 1e-5 * 1e4 = 0.1 resolves the softmax at this scale. */
    tu_loss_gradcheck("ldr:variant=raw,margin=1,lambda=1", &b, big, 1e-5, 1e-3);
    tu_loss_gradcheck("ldr:variant=normalized,margin=1,lambda=0.5", &b, big, 1e-5, 1e-3);

    const float ninf[2 * 4] = {2, -INFINITY, 1, -INFINITY, -INFINITY, -INFINITY, 0.5f, 3};
    const int32_t yi[2] = {0, 3};
    lf_batch bi = {.pred = ninf, .n = 2, .k = 4, .label = yi};
    for (int v = 0; v < 2; v++) {
        lf_loss *l = make_loss(v ? "ldr:variant=normalized" : "ldr:variant=raw");
        float g[8];
        double val;
        TU_OK(lf_loss_eval(l, &bi, &val, g));
        assert_true(isfinite(val));
        for (int i = 0; i < 8; i++) assert_true(isfinite(g[i]));
        /* A -inf logit's class has probability 0 and gets no gradient. */
        assert_true(g[1] == 0 && g[4] == 0);
        lf_loss_free(l);
    }

    /* normalized, with every logit far below 0: softplus underflows to 0 (where the reference
     * code divides 0 by 0), but u = softplus(z) / mean softplus(z) tends to K softmax(z), so an
     * all -1e4 row is the uniform row u = 1, exactly as an all-zero row, and the gradient is
     * that of a softmax, not 0. */
    const float low[3] = {-1e4f, -1e4f, -1e4f}, zero[3] = {0, 0, 0};
    lf_loss *l = make_loss("ldr:variant=normalized,margin=2,lambda=1");
    double vlow, vzero;
    lf_batch bl = {.pred = low, .n = 1, .k = 3, .label = y};
    TU_OK(lf_loss_eval(l, &bl, &vlow, NULL));
    bl.pred = zero;
    TU_OK(lf_loss_eval(l, &bl, &vzero, NULL));
    assert_true(fabs(vlow - vzero) < 1e-12);
    assert_true(fabs(vzero - log((1 + 2 * exp(2.0)) / 3)) < 1e-12);
    lf_loss_free(l);
    const float low2[3] = {-1e4f, -1e4f + 1, -1e4f - 0.5f};
    tu_loss_gradcheck("ldr:variant=normalized,margin=2,lambda=1", &bl, low2, 1e-5, 1e-3);
}

/* ------------------------------------------------------------------ ALDR-KL */
enum { AROWS = 8 };

/* Replays the fixture's steps: value, gradient and every lambda_i after each step. */
static void aldr_replay(const char *spec, const char *fixture)
{
    int64_t nx, ny, ni, nref;
    float *x = tu_fixture_f32("aldr_x.npy", &nx);
    int32_t *y = tu_fixture_i32("aldr_y.npy", &ny);
    double *ids_d = tu_fixture_f64("aldr_ids.npy", &ni);
    double *ref = tu_fixture_f64(fixture, &nref);
    const int64_t steps = 4, bsz = ny / steps, k = nx / ny, width = 1 + bsz * k + AROWS;
    assert_int_equal(nref, steps * width);
    lf_loss *l = make_loss(spec);
    TU_OK(lf_loss_bind(l, AROWS));
    for (int64_t t = 0; t < steps; t++) {
        int64_t ids[16];
        for (int64_t i = 0; i < bsz; i++) ids[i] = (int64_t)ids_d[t * bsz + i];
        lf_batch b = {.pred = x + t * bsz * k, .n = bsz, .k = k, .label = y + t * bsz, .index = ids};
        float g[64], want[64];
        double v;
        TU_OK(lf_loss_eval(l, &b, &v, g));
        const double *r = ref + t * width;
        if (fabs(v - r[0]) > 1e-5 * fmax(1, fabs(r[0])))
            fail_msg("%s step %lld: value %.9g, reference %.9g", spec, (long long)t, v, r[0]);
        for (int64_t i = 0; i < bsz * k; i++) want[i] = (float)r[1 + i];
        tu_assert_close(g, want, bsz * k, 1e-6, 1e-4, fixture);
        int64_t n;
        const float *lam = lf_loss_state(l, 0, NULL, &n);
        assert_int_equal(n, AROWS);
        for (int64_t i = 0; i < AROWS; i++)
            if (fabs(lam[i] - r[1 + bsz * k + i]) > 1e-6)
                fail_msg("%s step %lld: lambda[%lld] %.9g, reference %.9g", spec, (long long)t,
                         (long long)i, lam[i], r[1 + bsz * k + i]);
    }
    lf_loss_free(l);
    free(x);
    free(y);
    free(ids_d);
    free(ref);
}

static void test_aldr_reference(void **state)
{
    (void)state;
    aldr_replay("aldr", "aldr_default.npy");
    aldr_replay("aldr:margin=0.5,lambda0=0.7,alpha=3,softplus=1", "aldr_softplus.npy");
}

/* Gradient at fixed per-sample lambdas (adapt=0): every call is a training call, so the state
 * is read; the state holds distinct lambdas per row. */
typedef struct aldr_gc {
    lf_loss *loss;
    lf_batch b;
    float *scratch;
} aldr_gc;

static double aldr_fn(void *ctx, const float *x, float *grad)
{
    aldr_gc *c = ctx;
    c->b.pred = x;
    double v;
    TU_OK(lf_loss_eval(c->loss, &c->b, &v, grad ? grad : c->scratch));
    return v;
}

static void aldr_gradcheck(const char *spec, int64_t n, int64_t k, const float *x, double h)
{
    static const int32_t labels[6] = {0, 4, 2, 2, 1, 3};
    int32_t y[6];
    int64_t ids[6];
    for (int64_t i = 0; i < n; i++) {
        y[i] = labels[i] % (int32_t)k;
        ids[i] = 5 - i; /* not the batch order */
    }
    float scratch[64];
    aldr_gc c = {make_loss(spec), {.n = n, .k = k, .label = y, .index = ids}, scratch};
    TU_OK(lf_loss_bind(c.loss, 6));
    float *lam = lf_loss_state(c.loss, 0, NULL, NULL);
    for (int i = 0; i < 6; i++) lam[i] = 0.3f + 0.35f * (float)i;
    print_message("aldr gradcheck %s n=%lld k=%lld\n", spec, (long long)n, (long long)k);
    tu_gradcheck(aldr_fn, &c, x, n * k, h, 1e-4);
    for (int i = 0; i < 6; i++) assert_true(lam[i] == 0.3f + 0.35f * (float)i); /* frozen */
    lf_loss_free(c.loss);
}

static void test_aldr_gradcheck(void **state)
{
    (void)state;
    float x[30];
    tu_fill_uniform(x, 30, -4, 4, 5);
    static const char *const specs[] = {
        "aldr:adapt=0",
        "aldr:adapt=0,margin=0.2,lambda0=0.5,alpha=5",
        "aldr:adapt=0,softplus=1,margin=2",
        "aldr:adapt=0,reduction=sum," CLASS_W,
    };
    for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++) {
        aldr_gradcheck(specs[s], 6, 5, x, 1e-3);
        aldr_gradcheck(specs[s], 1, 5, x, 1e-3);
        if (!strstr(specs[s], "weights")) aldr_gradcheck(specs[s], 6, 1, x, 1e-3);
    }
    /* The L1 normalisation is scale-free, so logits of ±1e4 are as tame as any. */
    const float big[10] = {1e4f, -1e4f, 1e4f - 2, 0, 3, -1e4f, 1e4f, -1e4f + 1, 1e4f - 1, 0};
    aldr_gradcheck("aldr:adapt=0", 2, 5, big, 1e-4);
    aldr_gradcheck("aldr:adapt=0,softplus=1", 2, 5, big, 1e-5);
}

static void test_aldr_state(void **state)
{
    (void)state;
    lf_loss *l = make_loss("aldr:lambda0=0.8");
    const char *name = NULL;
    int64_t n = -1;
    assert_int_equal(lf_loss_state_count(l), 1);
    lf_loss_state(l, 0, &name, &n);
    assert_string_equal(name, "aldr.lambda");
    assert_int_equal(n, 0);
    assert_null(lf_loss_state(l, 1, NULL, NULL));
    assert_null(lf_loss_state(l, -1, NULL, NULL));

    const float x[2 * 3] = {3, -1, 0.5f, -2, 1, 4};
    const int32_t y[2] = {0, 2};
    const int64_t ids[2] = {2, 0}, bad[2] = {2, 3};
    float g[6];
    double v1, v2;
    lf_batch b = {.pred = x, .n = 2, .k = 3, .label = y};
    /* Evaluation (no gradient) needs neither row ids nor a bound state. */
    TU_OK(lf_loss_eval(l, &b, &v1, NULL));
    TU_ERR(lf_loss_eval(l, &b, &v1, g), LF_EINVAL, "\"index\"");
    b.index = ids;
    TU_ERR(lf_loss_eval(l, &b, &v1, g), LF_EINVAL, "lf_loss_bind");
    TU_OK(lf_loss_bind(l, 3));
    float *lam = lf_loss_state(l, 0, NULL, &n);
    assert_int_equal(n, 3);
    for (int i = 0; i < 3; i++) assert_true(lam[i] == 0.8f);
    b.index = bad;
    TU_ERR(lf_loss_eval(l, &b, &v1, g), LF_EINVAL, "row id 3");
    assert_true(lam[2] == 0.8f); /* a failed step changes nothing */
    b.index = ids;
    TU_OK(lf_loss_eval(l, &b, &v1, g));
    assert_true(lam[0] != 0.8f && lam[2] != 0.8f && lam[1] == 0.8f);
    assert_true(lam[0] > 0.8f * 0.5f && lam[0] < 0.8f); /* lambda0 (1 - 1/alpha) < lambda_i */
    /* Value-only calls start from lambda0 and leave the state alone. */
    float before[3];
    memcpy(before, lam, sizeof before);
    TU_OK(lf_loss_eval(l, &b, &v2, NULL));
    assert_memory_equal(before, lam, sizeof before);
    assert_true(fabs(v1 - v2) < 1e-6); /* first step: both adapted from lambda0 */
    /* A checkpoint restore writes saved values back; bind resets them. */
    lam[1] = 0.5f;
    TU_OK(lf_loss_bind(l, 3));
    lam = lf_loss_state(l, 0, NULL, NULL);
    for (int i = 0; i < 3; i++) assert_true(lam[i] == 0.8f);
    lf_loss_free(l);

    /* Losses without per-sample state: bind is a no-op and they expose nothing. */
    lf_loss *ldr = make_loss("ldr");
    TU_OK(lf_loss_bind(ldr, 100));
    assert_int_equal(lf_loss_state_count(ldr), 0);
    assert_null(lf_loss_state(ldr, 0, NULL, NULL));
    lf_loss_free(ldr);
}

static void test_ldr_errors(void **state)
{
    (void)state;
    lf_loss *l = NULL;
    TU_ERR(lf_loss_create("ldr:lambda=0", &l), LF_EINVAL, "\"lambda\"");
    TU_ERR(lf_loss_create("ldr:margin=-1", &l), LF_EINVAL, "\"margin\"");
    TU_ERR(lf_loss_create("ldr:variant=scaled", &l), LF_EINVAL, "\"variant\"");
    TU_ERR(lf_loss_create("ldr:tau=1", &l), LF_EINVAL, "tau");
    TU_ERR(lf_loss_create("aldr:alpha=0.5", &l), LF_EINVAL, "\"alpha\"");
    TU_ERR(lf_loss_create("aldr:lambda0=-1", &l), LF_EINVAL, "\"lambda0\"");
    TU_ERR(lf_loss_create("aldr:adapt=2", &l), LF_EINVAL, "\"adapt\"");
    assert_null(l);
    const float x[4] = {1, 2, INFINITY, 0};
    const int32_t y[2] = {0, 2};
    lf_batch b = {.pred = x, .n = 2, .k = 2, .label = y};
    double v;
    l = make_loss("ldr");
    TU_ERR(lf_loss_eval(l, &b, &v, NULL), LF_EINVAL, "label 2 at row 1");
    lf_loss_free(l);
    const int32_t y_ok[2] = {0, 1};
    b.label = y_ok;
    l = make_loss("aldr");
    TU_ERR(lf_loss_eval(l, &b, &v, NULL), LF_EINVAL, "logit 0 of row 1");
    lf_loss_free(l);
}

/* lf_train binds the per-sample state to the training rows. */
static void test_aldr_trains(void **state)
{
    (void)state;
    enum { N = 240, D = 4 };
    lf_dataset ds = {.n = N, .d = D, .ndim = 1, .shape = {D}, .n_classes = 3};
    ds.x = malloc(N * D * sizeof *ds.x);
    ds.y = malloc(N * sizeof *ds.y);
    tu_fill_uniform(ds.x, N * D, -1, 1, 9);
    for (int i = 0; i < N; i++) ds.y[i] = ds.x[i * D] > 0.3f ? 2 : ds.x[i * D + 1] > 0 ? 1 : 0;
    lf_dataset empty = {0};
    lf_train_opts o;
    lf_train_opts_default(&o);
    o.model = "mlp:16";
    o.loss = "aldr";
    o.optim = "adamw:lr=1e-2";
    o.epochs = 8;
    o.batch = 32;
    o.val_split = 0.25;
    lf_train_result r;
    TU_OK(lf_train(&o, &ds, &empty, &r, NULL));
    assert_true(r.last.val_acc > 0.75);
    lf_dataset_release(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ldr_reference),   cmocka_unit_test(test_ldr_is_shifted_ce),
        cmocka_unit_test(test_ldr_gradcheck),   cmocka_unit_test(test_ldr_extreme_logits),
        cmocka_unit_test(test_aldr_reference),  cmocka_unit_test(test_aldr_gradcheck),
        cmocka_unit_test(test_aldr_state),      cmocka_unit_test(test_ldr_errors),
        cmocka_unit_test(test_aldr_trains),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
