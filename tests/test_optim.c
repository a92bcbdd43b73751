/* SGD, AdamW, Lion and the schedules: five steps against torch.optim (and a transcription of
 * lucidrains/lion-pytorch), state enumeration and exact resume, spec errors, schedule values. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lf_optim *make_optim(const char *spec, int64_t n, const uint8_t *mask)
{
    lf_optim *o = NULL;
    TU_OK(lf_optim_create(spec, n, mask, &o));
    return o;
}

/* ------------------------------------------------------------------ reference values */
typedef struct ref_case {
    const char *fixture, *spec;
    int masked;
} ref_case;

/* The same names and specs as tests/gen_fixtures_lossopt.py. */
static const ref_case cases[] = {
    {"optim_sgd_plain.npy", "sgd:lr=0.1", 0},
    {"optim_sgd_momentum.npy", "sgd:lr=0.05,momentum=0.9,dampening=0.1,wd=0.01", 1},
    {"optim_sgd_nesterov.npy", "sgd:lr=0.05,momentum=0.9,nesterov=1,wd=0.001", 0},
    {"optim_adamw_default.npy", "adamw", 1},
    {"optim_adamw_custom.npy", "adamw:lr=0.01,b1=0.8,b2=0.99,eps=1e-6,wd=0.1", 0},
    {"optim_lion_default.npy", "lion", 0},
    {"optim_lion_wd.npy", "lion:lr=0.001,wd=1", 1},
};

static void test_reference(void **state)
{
    (void)state;
    int64_t n, ng, nm;
    float *p0 = tu_fixture_f32("optim_p0.npy", &n);
    float *grads = tu_fixture_f32("optim_grads.npy", &ng);
    int32_t *mask32 = tu_fixture_i32("optim_mask.npy", &nm);
    assert_int_equal(nm, n);
    const int64_t steps = ng / n;
    uint8_t *mask = malloc((size_t)n);
    for (int64_t i = 0; i < n; i++) mask[i] = mask32[i] ? 0x80 : 0; /* any nonzero byte decays */
    float *w = malloc((size_t)n * sizeof *w);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int64_t nr;
        float *ref = tu_fixture_f32(cases[c].fixture, &nr);
        assert_int_equal(nr, steps * n);
        lf_optim *o = make_optim(cases[c].spec, n, cases[c].masked ? mask : NULL);
        memcpy(w, p0, (size_t)n * sizeof *w);
        for (int64_t t = 0; t < steps; t++) {
            TU_OK(lf_optim_step(o, w, grads + t * n, 1.0));
            char what[128];
            snprintf(what, sizeof what, "%s step %lld", cases[c].spec, (long long)t + 1);
            tu_assert_close(w, ref + t * n, n, 1e-6, 1e-6, what);
        }
        assert_int_equal(lf_optim_steps(o), steps);
        lf_optim_free(o);
        free(ref);
    }
    free(w);
    free(mask);
    free(mask32);
    free(grads);
    free(p0);
}

/* ------------------------------------------------------------------ behaviour */
static void run(lf_optim *o, float *w, const float *g, int64_t n, int steps, double scale)
{
    for (int t = 0; t < steps; t++) TU_OK(lf_optim_step(o, w, g + (t % 3) * n, scale));
}

/* lr = base * lr_scale: halving the base and doubling the scale is the same step. */
static void test_lr_scale(void **state)
{
    (void)state;
    enum { N = 40 };
    float g[3 * N], w1[N], w2[N];
    tu_fill_uniform(g, 3 * N, -1, 1, 5);
    tu_fill_uniform(w1, N, -1, 1, 6);
    memcpy(w2, w1, sizeof w1);
    lf_optim *a = make_optim("adamw:lr=2e-3", N, NULL), *b = make_optim("adamw:lr=1e-3", N, NULL);
    assert_true(lf_optim_lr(a) == 2e-3);
    run(a, w1, g, N, 4, 0.5);
    run(b, w2, g, N, 4, 1.0);
    assert_memory_equal(w1, w2, sizeof w1);
    lf_optim_free(a);
    lf_optim_free(b);
}

static void test_state(void **state)
{
    (void)state;
    static const struct {
        const char *spec, *name;
        int nstate;
        const char *first;
    } opts[] = {{"sgd:momentum=0.9", "sgd", 1, "momentum_buffer"},
                {"adamw", "adamw", 2, "exp_avg"},
                {"lion", "lion", 1, "exp_avg"}};
    const int64_t n = 1000;
    for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
        lf_optim *o = make_optim(opts[k].spec, n, NULL);
        assert_int_equal(lf_optim_state_count(o), opts[k].nstate);
        assert_int_equal(lf_optim_state_bytes(o), (size_t)opts[k].nstate * n * 4);
        const char *name;
        int64_t len;
        float *s = lf_optim_state(o, 0, &name, &len);
        assert_non_null(s);
        assert_string_equal(name, opts[k].first);
        assert_int_equal(len, n);
        for (int64_t i = 0; i < n; i++) assert_true(s[i] == 0);
        assert_null(lf_optim_state(o, opts[k].nstate, &name, &len));
        assert_null(lf_optim_state(o, -1, &name, &len));
        assert_string_equal(lf_optim_desc(o)->name, opts[k].name);
        lf_optim_free(o);
    }
    lf_optim *o = make_optim("lion", 4, NULL);
    assert_string_equal(lf_optim_spec(o),
                        "lion:lr=0.0001,b1=0.90000000000000002,b2=0.98999999999999999,wd=0,"
                        "wd_mode=decoupled,mu_dtype=f32");
    assert_string_equal(lf_optim_desc(o)->paper, "lion");
    lf_optim_free(o);
    lf_optim_free(NULL);
}

/* Copying the state buffers and the step count into a fresh optimizer resumes exactly. */
static void test_resume(void **state)
{
    (void)state;
    static const char *const specs[] = {"sgd:lr=0.05,momentum=0.9,nesterov=1,wd=0.01",
                                        "adamw:wd=0.1", "lion:lr=1e-3,wd=0.5"};
    enum { N = 33 };
    float g[3 * N], w0[N], wa[N], wb[N];
    uint8_t mask[N];
    tu_fill_uniform(g, 3 * N, -1, 1, 8);
    tu_fill_uniform(w0, N, -1, 1, 9);
    for (int i = 0; i < N; i++) mask[i] = i % 3 != 0;
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
        lf_optim *a = make_optim(specs[k], N, mask), *b = make_optim(specs[k], N, mask);
        memcpy(wa, w0, sizeof w0);
        run(a, wa, g, N, 3, 1.0);
        memcpy(wb, wa, sizeof wa);
        for (int i = 0; i < lf_optim_state_count(a); i++) {
            int64_t len;
            const float *from = lf_optim_state(a, i, NULL, &len);
            memcpy(lf_optim_state(b, i, NULL, NULL), from, (size_t)len * sizeof(float));
        }
        lf_optim_set_steps(b, lf_optim_steps(a));
        run(a, wa, g, N, 4, 1.0);
        run(b, wb, g, N, 4, 1.0);
        assert_memory_equal(wa, wb, sizeof wa);
        assert_int_equal(lf_optim_steps(b), 7);
        lf_optim_free(a);
        lf_optim_free(b);
    }
}

/* Above 2^15 floats the step runs on threads; elements stay independent of each other. */
static void test_threaded_matches_small(void **state)
{
    (void)state;
    const int64_t big = (1 << 16) + 5, small = 37;
    float *g = malloc((size_t)(3 * big) * sizeof *g), *wb = malloc((size_t)big * sizeof *wb);
    float *gs = malloc((size_t)(3 * small) * sizeof *gs), ws[37];
    uint8_t *mask = malloc((size_t)big);
    tu_fill_uniform(g, 3 * big, -1, 1, 12);
    tu_fill_uniform(wb, big, -1, 1, 13);
    for (int64_t i = 0; i < big; i++) mask[i] = (i * 7) % 5 != 0;
    for (int t = 0; t < 3; t++) memcpy(gs + t * small, g + t * big, (size_t)small * sizeof *gs);
    memcpy(ws, wb, sizeof ws);
    lf_optim *a = make_optim("adamw:wd=0.1", big, mask);
    lf_optim *b = make_optim("adamw:wd=0.1", small, mask);
    run(a, wb, g, big, 5, 1.0);
    run(b, ws, gs, small, 5, 1.0);
    assert_memory_equal(wb, ws, sizeof ws);
    lf_optim_free(a);
    lf_optim_free(b);
    free(g);
    free(gs);
    free(wb);
    free(mask);
}

/* Lion with decay lambda on f = |x - c|^2 / 2 stays inside the box |x| <= 1/lambda (Lion-K,
 * K = l1) and settles within a few lr of clip(c, -1/lambda, 1/lambda). */
static void test_lion_box(void **state)
{
    (void)state;
    enum { N = 8 };
    const float c[N] = {-5, -2.5f, -1, -0.2f, 0.3f, 1.5f, 2.5f, 6};
    float x[N] = {0}, g[N];
    const double lr = 0.01, lambda = 0.5;
    lf_optim *o = make_optim("lion:lr=0.01,wd=0.5", N, NULL);
    for (int t = 0; t < 1500; t++) {
        for (int i = 0; i < N; i++) g[i] = x[i] - c[i];
        TU_OK(lf_optim_step(o, x, g, 1.0));
        for (int i = 0; i < N; i++)
            if (fabsf(x[i]) > 1 / lambda + 1e-5) fail_msg("step %d: |x[%d]| = %g > 2", t, i, x[i]);
    }
    for (int i = 0; i < N; i++) {
        double want = fmin(1 / lambda, fmax(-1 / lambda, c[i]));
        if (fabs(x[i] - want) > 3 * lr) fail_msg("x[%d] = %g, want %g", i, x[i], want);
    }
    lf_optim_free(o);
}

/* ------------------------------------------------------------------ errors */
static void test_errors(void **state)
{
    (void)state;
    lf_optim *o = NULL;
    TU_ERR(lf_optim_create("lion:b1=1.5", 4, NULL, &o), LF_EINVAL,
           "optimizer \"lion\": parameter \"b1\" must be in [0, 1), got 1.5");
    TU_ERR(lf_optim_create("adamw:lr=0", 4, NULL, &o), LF_EINVAL, "\"lr\" must be in (0, inf)");
    TU_ERR(lf_optim_create("adamw:wd=-1", 4, NULL, &o), LF_EINVAL, "\"wd\" must be in [0, inf)");
    TU_ERR(lf_optim_create("sgd:nesterov=1", 4, NULL, &o), LF_EINVAL, "nesterov");
    TU_ERR(lf_optim_create("sgd:momentum=0.9,dampening=0.5,nesterov=1", 4, NULL, &o), LF_EINVAL,
           "dampening = 0");
    TU_ERR(lf_optim_create("lion:beta=0.9", 4, NULL, &o), LF_EINVAL, "lr, b1, b2, wd");
    TU_ERR(lf_optim_create("adam", 4, NULL, &o), LF_ENOTFOUND, "adamw");
    TU_ERR(lf_optim_create("sgd", 0, NULL, &o), LF_EINVAL, "n = 0");
    assert_null(o);

    float w[4] = {1, 2, 3, 4}, g[4] = {1, 1, 1, 1};
    o = make_optim("sgd", 4, NULL);
    TU_ERR(lf_optim_step(o, w, g, NAN), LF_EINVAL, "lr_scale");
    TU_ERR(lf_optim_step(o, w, g, -1), LF_EINVAL, "lr_scale");
    TU_ERR(lf_optim_step(o, w, NULL, 1), LF_EINVAL, "NULL");
    assert_int_equal(lf_optim_steps(o), 0);
    assert_true(w[0] == 1 && w[3] == 4);
    lf_optim_free(o);
}

/* ------------------------------------------------------------------ schedules */
static lf_schedule *make_sched(const char *spec)
{
    lf_schedule *s = NULL;
    TU_OK(lf_schedule_create(spec, &s));
    return s;
}

static void expect_at(const lf_schedule *s, int64_t step, int64_t total, double want)
{
    double got = lf_schedule_at(s, step, total);
    if (fabs(got - want) > 1e-12)
        fail_msg("%s at %lld/%lld: %.17g, want %.17g", lf_schedule_spec(s), (long long)step,
                 (long long)total, got, want);
}

static void test_schedules(void **state)
{
    (void)state;
    lf_schedule *c = make_sched("constant");
    expect_at(c, 0, 10, 1);
    expect_at(c, 99, 10, 1);
    assert_string_equal(lf_schedule_spec(c), "constant");
    lf_schedule_free(c);

    lf_schedule *cs = make_sched("cosine:warmup=10,min_lr=0.1");
    expect_at(cs, 0, 100, 0.1);
    expect_at(cs, 4, 100, 0.5);
    expect_at(cs, 9, 100, 1.0);
    expect_at(cs, 10, 100, 1.0);
    expect_at(cs, 55, 100, 0.55);
    expect_at(cs, 25, 100, 0.1 + 0.9 * 0.5 * (1 + cos(3.14159265358979323846 / 6)));
    expect_at(cs, 100, 100, 0.1);
    expect_at(cs, 500, 100, 0.1);
    lf_schedule_free(cs);

    lf_schedule *lin = make_sched("linear:end=0.2");
    assert_string_equal(lf_schedule_spec(lin), "linear:warmup=0,end=0.20000000000000001");
    expect_at(lin, 0, 100, 1.0);
    expect_at(lin, 50, 100, 0.6);
    expect_at(lin, 100, 100, 0.2);
    lf_schedule_free(lin);
    lin = make_sched("linear:warmup=4");
    expect_at(lin, 0, 12, 0.25);
    expect_at(lin, 6, 12, 0.75);
    lf_schedule_free(lin);

    lf_schedule *bad = NULL;
    TU_ERR(lf_schedule_create("cosine:min_lr=2", &bad), LF_EINVAL, "\"min_lr\" must be in [0, 1]");
    TU_ERR(lf_schedule_create("cosine:warmup=-1", &bad), LF_EINVAL, "\"warmup\"");
    TU_ERR(lf_schedule_create("constant:warmup=3", &bad), LF_EINVAL, "warmup");
    TU_ERR(lf_schedule_create("step", &bad), LF_ENOTFOUND, "cosine");
    assert_null(bad);
    lf_schedule_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference),  cmocka_unit_test(test_lr_scale),
        cmocka_unit_test(test_state),      cmocka_unit_test(test_resume),
        cmocka_unit_test(test_threaded_matches_small), cmocka_unit_test(test_lion_box),
        cmocka_unit_test(test_errors),     cmocka_unit_test(test_schedules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
