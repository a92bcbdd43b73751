/* Dataset condensation (src/algo/condense.c) and the image grid (src/io/imgrid.c): the layer-wise
 * distance against a PyTorch transcription of DC's distance_wb and a gradient check; the
 * central-difference image gradient against finite differences of the whole DC and DCC
 * objectives on a tiny network; a 2-class toy set condensed to one point per class beats random
 * points; determinism; argument checks. */
#include "testutil.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ the distance */
/* The parameter layout of tests/gen_fixtures_condense.py: conv, bias, linear, bias, linear, bias. */
static void fixture_params(lf_params *p)
{
    static const int64_t s[6][4] = {{4, 2, 3, 3}, {4}, {3, 36}, {3}, {5, 3}, {5}};
    static const int nd[6] = {4, 1, 2, 1, 2, 1};
    memset(p, 0, sizeof *p);
    for (int i = 0; i < 6; i++) {
        char name[16];
        snprintf(name, sizeof name, "t%d", i);
        assert_true(lf_params_add(p, name, nd[i], s[i], 1) == i);
    }
    TU_OK(lf_params_alloc(p));
}

static void check_fixture(const char *name)
{
    char path[64];
    int64_t na, nb, nr;
    snprintf(path, sizeof path, "condense_dist_%s_ga.npy", name);
    float *ga = tu_fixture_f32(path, &na);
    snprintf(path, sizeof path, "condense_dist_%s_gb.npy", name);
    float *gb = tu_fixture_f32(path, &nb);
    snprintf(path, sizeof path, "condense_dist_%s_ref.npy", name);
    double *ref = tu_fixture_f64(path, &nr);
    lf_params p;
    fixture_params(&p);
    assert_int_equal(na, p.size);
    assert_int_equal(nr, p.size + 1);
    float *dga = malloc((size_t)p.size * sizeof *dga), *want = malloc((size_t)p.size * sizeof *want);
    double v = lf_grad_match_distance(&p, ga, gb, dga);
    if (fabs(v - ref[0]) > 1e-5 * fabs(ref[0])) fail_msg("%s: distance %.9g, torch %.9g", name, v, ref[0]);
    for (int64_t i = 0; i < p.size; i++) want[i] = (float)ref[1 + i];
    tu_assert_close(dga, want, p.size, 1e-6 * fabs(ref[1]) + 1e-7, 2e-4, name);
    assert_true(lf_grad_match_distance(&p, ga, gb, NULL) == v);
    lf_params_release(&p);
    free(ga);
    free(gb);
    free(ref);
    free(dga);
    free(want);
}

static void test_distance_reference(void **state)
{
    (void)state;
    check_fixture("unit");
    check_fixture("small"); /* |a||b| of the order of the 1e-6 guard */
}

typedef struct dist_ctx {
    lf_params p;
    const float *gb;
} dist_ctx;

static double dist_fn(void *ctx, const float *x, float *grad)
{
    dist_ctx *c = ctx;
    return lf_grad_match_distance(&c->p, x, c->gb, grad);
}

static void test_distance_gradcheck(void **state)
{
    (void)state;
    dist_ctx c;
    fixture_params(&c.p);
    float *ga = malloc((size_t)c.p.size * sizeof *ga), *gb = malloc((size_t)c.p.size * sizeof *gb);
    for (int setting = 0; setting < 3; setting++) {
        tu_fill_uniform(ga, c.p.size, -1, 1, 10 + (uint64_t)setting);
        tu_fill_uniform(gb, c.p.size, -1, 1, 20 + (uint64_t)setting);
        if (setting == 1) /* b = 3a: every row at distance 0 (the minimum) */
            for (int64_t i = 0; i < c.p.size; i++) gb[i] = 3 * ga[i];
        if (setting == 2) /* large gradients */
            for (int64_t i = 0; i < c.p.size; i++) ga[i] *= 100, gb[i] *= 50;
        c.gb = gb;
        tu_gradcheck(dist_fn, &c, ga, c.p.size, 1e-4, 1e-4);
    }
    free(ga);
    free(gb);
    lf_params_release(&c.p);
}

/* A zero row of ga (a dead unit) contributes 1 and no gradient; bias tensors nothing. */
static void test_distance_zero_row(void **state)
{
    (void)state;
    lf_params p;
    fixture_params(&p);
    float *ga = calloc((size_t)p.size, sizeof *ga), *gb = malloc((size_t)p.size * sizeof *gb);
    float *dga = malloc((size_t)p.size * sizeof *dga);
    tu_fill_uniform(gb, p.size, -1, 1, 5);
    /* every weight row zero: 4 + 3 + 5 rows, each 1 - 0 */
    assert_true(fabs(lf_grad_match_distance(&p, ga, gb, dga) - 12) < 1e-12);
    for (int64_t i = 0; i < p.size; i++) assert_true(dga[i] == 0);
    tu_fill_uniform(ga, p.size, -1, 1, 6);
    lf_grad_match_distance(&p, ga, gb, dga);
    for (int i = 0; i < p.n; i++)
        if (p.t[i].ndim == 1)
            for (int64_t j = 0; j < p.t[i].size; j++) assert_true(dga[p.t[i].data - p.data + j] == 0);
    lf_params_release(&p);
    free(ga);
    free(gb);
    free(dga);
}

/* ------------------------------------------------------------------ the image gradient */
enum { TC = 3, TIPC = 2, TREAL = 4, TH = 4, TW = 4, TD = TH * TW };

typedef struct obj_ctx {
    lf_model *m;
    lf_condense_method method;
    const float *xr;
} obj_ctx;

static double objective(void *ctx, const float *xs, float *grad)
{
    obj_ctx *c = ctx;
    double v;
    TU_OK(lf_condense_match(c->m, c->method, TC, xs, TIPC, c->xr, TREAL, 1e-2, &v, grad));
    return v;
}

/* The central difference of two tape gradients (fd_eps 1e-2) against double-sided finite
 * differences of the whole objective (step 1e-3 on each pixel): within 2e-3 of the largest
 * entry, on a sigmoid and a tanh network (smooth, as the method needs). */
static void test_image_gradient(void **state)
{
    (void)state;
    static const char *const models[] = {"mlp:6,act=sigmoid", "mlp:5,4,act=tanh"};
    float xs[TC * TIPC * TD], xr[TC * TREAL * TD], ana[TC * TIPC * TD];
    tu_fill_uniform(xr, TC * TREAL * TD, -2, 2, 3);
    for (int mi = 0; mi < 2; mi++)
        for (int method = LF_CONDENSE_DC; method <= LF_CONDENSE_DCC; method++) {
            lf_model *m;
            TU_OK(lf_model_create(models[mi], 3, (int64_t[]){1, TH, TW}, TC, 7 + (uint64_t)mi, &m));
            lf_params *p = lf_model_params(m);
            float *theta = malloc((size_t)p->size * sizeof *theta);
            memcpy(theta, p->data, (size_t)p->size * sizeof *theta);
            tu_fill_uniform(xs, TC * TIPC * TD, -2, 2, 4 + (uint64_t)method);
            obj_ctx c = {m, (lf_condense_method)method, xr};
            objective(&c, xs, ana);
            assert_memory_equal(theta, p->data, (size_t)p->size * sizeof *theta);
            double worst = 0, big = 0;
            for (int i = 0; i < TC * TIPC * TD; i++) {
                float x[TC * TIPC * TD];
                memcpy(x, xs, sizeof x);
                x[i] = xs[i] + 1e-3f;
                double up = objective(&c, x, NULL);
                x[i] = xs[i] - 1e-3f;
                double num = (up - objective(&c, x, NULL)) / ((double)(xs[i] + 1e-3f) - (xs[i] - 1e-3f));
                worst = fmax(worst, fabs(num - ana[i]));
                big = fmax(big, fabs(num));
            }
            if (!(worst <= 2e-3 * big) || !(big > 1e-3))
                fail_msg("%s %s: worst error %.3g against a largest entry %.3g", models[mi],
                         method ? "DCC" : "DC", worst, big);
            free(theta);
            lf_model_free(m);
        }
}

/* ------------------------------------------------------------------ condensation */
enum { TOY_N = 400, TOY_D = 20 };

/* Two Gaussian classes in 20 dimensions, means +-0.35 on every feature, unit noise: one random
 * point per class gives a poor linear rule, the class means a near-optimal one. */
static void toy(lf_dataset *ds, uint64_t seed)
{
    lf_rng r;
    lf_rng_seed(&r, seed);
    /* an image shape, so lf_train standardises with one scalar, not per feature from 2 rows */
    *ds = (lf_dataset){.n = TOY_N, .d = TOY_D, .ndim = 3, .shape = {1, 4, 5}, .n_classes = 2};
    ds->x = malloc(TOY_N * TOY_D * sizeof *ds->x);
    ds->y = malloc(TOY_N * sizeof *ds->y);
    for (int i = 0; i < TOY_N; i++) {
        ds->y[i] = i % 2;
        for (int j = 0; j < TOY_D; j++)
            ds->x[i * TOY_D + j] = (float)((ds->y[i] ? 0.35 : -0.35) + lf_rng_normal(&r));
    }
    snprintf(ds->name, sizeof ds->name, "toy");
}

static void toy_opts(lf_condense_opts *o, lf_condense_method method, uint64_t seed)
{
    lf_condense_opts_default(o);
    o->model = "mlp:8,act=sigmoid";
    o->method = method;
    o->outer = 20;
    o->batch_real = 32;
    o->outer_warmup = 5;
    o->seed = seed;
    o->threads = 1;
}

#define EVAL_OPTIM "sgd:lr=0.01,momentum=0.9,wd=5e-4"

/* Mean test accuracy of one point per class: condensed (DC, DCC) against 6 random draws. */
static void test_toy_beats_random(void **state)
{
    (void)state;
    lf_dataset train, test;
    toy(&train, 1);
    toy(&test, 2);
    double random_sum = 0;
    for (int r = 0; r < 6; r++) {
        int64_t rows[2] = {2 * (3 * r), 2 * (3 * r + 1) + 1}; /* one of each class */
        lf_dataset sub;
        double acc;
        TU_OK(lf_dataset_subset(&train, rows, 2, &sub));
        TU_OK(lf_condense_evaluate(&sub, &test, "mlp:8", EVAL_OPTIM, 100, 1, 1, NULL, &acc, NULL));
        random_sum += acc;
        lf_dataset_release(&sub);
    }
    for (int method = LF_CONDENSE_DC; method <= LF_CONDENSE_DCC; method++) {
        lf_condense_opts o;
        toy_opts(&o, (lf_condense_method)method, 3);
        lf_dataset syn;
        lf_condense_result res;
        double mean, sd;
        TU_OK(lf_condense(&o, &train, &syn, &res));
        assert_int_equal(syn.n, 2);
        assert_true(syn.y[0] == 0 && syn.y[1] == 1);
        TU_OK(lf_condense_evaluate(&syn, &test, "mlp:8", EVAL_OPTIM, 100, 3, 1, NULL, &mean, &sd));
        if (!(mean > random_sum / 6 + 0.05))
            fail_msg("%s: condensed %.3f, random points %.3f", method ? "DCC" : "DC", mean,
                     random_sum / 6);
        assert_true(res.last_match < res.first_match);
        lf_dataset_release(&syn);
    }
    lf_dataset_release(&train);
    lf_dataset_release(&test);
}

static void test_deterministic(void **state)
{
    (void)state;
    lf_dataset train;
    toy(&train, 1);
    lf_dataset a, b, c;
    lf_condense_opts o;
    toy_opts(&o, LF_CONDENSE_DCC, 9);
    o.outer = 8;
    TU_OK(lf_condense(&o, &train, &a, NULL));
    TU_OK(lf_condense(&o, &train, &b, NULL));
    assert_memory_equal(a.x, b.x, (size_t)(a.n * a.d) * sizeof *a.x);
    o.seed = 10;
    TU_OK(lf_condense(&o, &train, &c, NULL));
    assert_true(memcmp(a.x, c.x, (size_t)(a.n * a.d) * sizeof *a.x) != 0);
    lf_dataset_release(&a);
    lf_dataset_release(&b);
    lf_dataset_release(&c);
    lf_dataset_release(&train);
}

static void test_loops_and_errors(void **state)
{
    (void)state;
    int inner, steps;
    lf_condense_loops(1, &inner, &steps);
    assert_true(inner == 10 && steps == 5);
    lf_condense_loops(10, &inner, &steps);
    assert_true(inner == 10 && steps == 50);
    lf_condense_loops(50, &inner, &steps);
    assert_true(inner == 50 && steps == 10);
    lf_dataset train, syn;
    toy(&train, 1);
    lf_condense_opts o;
    toy_opts(&o, LF_CONDENSE_DC, 1);
    o.ipc = 0;
    TU_ERR(lf_condense(&o, &train, &syn, NULL), LF_EINVAL, "ipc >= 1");
    toy_opts(&o, LF_CONDENSE_DC, 1);
    o.fd_eps = 0;
    TU_ERR(lf_condense(&o, &train, &syn, NULL), LF_EINVAL, "fd_eps > 0");
    toy_opts(&o, LF_CONDENSE_DC, 1);
    o.model = "nosuch";
    TU_ERR(lf_condense(&o, &train, &syn, NULL), LF_ENOTFOUND, "nosuch");
    train.n_classes = 1;
    toy_opts(&o, LF_CONDENSE_DC, 1);
    TU_ERR(lf_condense(&o, &train, &syn, NULL), LF_EINVAL, "2 or more classes");
    lf_dataset_release(&train);
}

/* ------------------------------------------------------------------ image grid */
static void test_image_grid(void **state)
{
    (void)state;
    enum { N = 30, H = 28, W = 28 };
    float *x = malloc(N * H * W * sizeof *x);
    tu_fill_uniform(x, N * H * W, -0.2f, 1.2f, 8);
    const char *labels[N];
    for (int i = 0; i < N; i++) labels[i] = i % 2 ? "a<b" : "T-shirt/top";
    char path[512];
    snprintf(path, sizeof path, "%s/grid.svg", tu_tmpdir());
    TU_OK(lf_image_grid_svg(path, "grid & title", x, N, H, W, 10, 0, 1, labels));
    unsigned char *text;
    size_t n;
    TU_OK(lf_read_file(path, 0, &text, &n));
    text = realloc(text, n + 1);
    text[n] = 0;
    assert_non_null(strstr((char *)text, "<svg"));
    assert_non_null(strstr((char *)text, "grid &amp; title"));
    assert_non_null(strstr((char *)text, "a&lt;b"));
    assert_non_null(strstr((char *)text, "fill=\"#ffffff\"")); /* values above hi clamp to white */
    /* 23520 pixels: pooled 2×2, and far below one <rect> per pixel */
    assert_non_null(strstr((char *)text, "width=\"14\" height=\"14\""));
    assert_true(n < 200000);
    free(text);
    TU_ERR(lf_image_grid_svg(path, "t", x, 0, H, W, 10, 0, 1, NULL), LF_EINVAL, "n, h, w");
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distance_reference),
        cmocka_unit_test(test_distance_gradcheck),
        cmocka_unit_test(test_distance_zero_row),
        cmocka_unit_test(test_image_gradient),
        cmocka_unit_test(test_toy_beats_random),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_loops_and_errors),
        cmocka_unit_test(test_image_grid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
