/* SGLD (T = 0 is SGD bit for bit; the injected noise has variance 2*lr*T; a 1-D Gaussian
 * posterior is sampled with the right moments; noise independent of threads; exact resume),
 * the MCMC schedules, ogd/oadam against a NumPy transcription of optax, calibration metrics
 * against NumPy, and ensembles end to end on a small synthetic problem. */
#include "testutil.h"
#include "lossforge/ensemble.h"

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

/* ------------------------------------------------------------------ SGLD */
/* With T = 0 the step is SGD with lr*N and wd = 1/(N*sigma^2), on every parameter (the prior
 * ignores the decay mask). */
static void test_t0_is_sgd(void **state)
{
    (void)state;
    enum { N = 301, STEPS = 10 };
    static const struct {
        double lr, sigma;
        int64_t n_data;
    } cases[] = {{1e-5, 1.0, 60000}, {3e-4, 0.3, 77}, {2e-3, 0, 10}};
    float g[STEPS * N], w0[N], wa[N], wb[N];
    uint8_t mask[N];
    tu_fill_uniform(g, STEPS * N, -1, 1, 3);
    tu_fill_uniform(w0, N, -1, 1, 4);
    for (int i = 0; i < N; i++) mask[i] = i % 4 != 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const double N_ = (double)cases[c].n_data, s = cases[c].sigma;
        char a[256], b[256];
        snprintf(a, sizeof a, "sgld:lr=%.17g,temperature=0,prior_sigma=%.17g,n_data=%lld",
                 cases[c].lr, s, (long long)cases[c].n_data);
        snprintf(b, sizeof b, "sgd:lr=%.17g,wd=%.17g", cases[c].lr * N_,
                 s > 0 ? 1.0 / (N_ * s * s) : 0.0);
        lf_optim *sg = make_optim(a, N, mask), *sd = make_optim(b, N, NULL);
        memcpy(wa, w0, sizeof w0);
        memcpy(wb, w0, sizeof w0);
        for (int t = 0; t < STEPS; t++) {
            TU_OK(lf_optim_step(sg, wa, g + t * N, 1.0));
            TU_OK(lf_optim_step(sd, wb, g + t * N, 1.0));
        }
        if (memcmp(wa, wb, sizeof wa)) fail_msg("%s differs from %s", a, b);
        lf_optim_free(sg);
        lf_optim_free(sd);
    }
}

/* One step from w = 0 with g = 0 and a flat prior leaves exactly the noise sqrt(2*lr*T)*xi:
 * its moments, its mass within 1 sd and in the tail (the ziggurat's slow path). */
static void test_noise_moments(void **state)
{
    (void)state;
    const int64_t n = 1 << 20;
    const double lr = 1e-3, T = 2, var = 2 * lr * T;
    float *w = calloc((size_t)n, sizeof *w), *g = calloc((size_t)n, sizeof *g);
    float *w1 = malloc((size_t)n * sizeof *w1);
    lf_optim *o = make_optim("sgld:lr=1e-3,temperature=2,prior_sigma=0,n_data=500,seed=7", n, NULL);
    TU_OK(lf_optim_step(o, w, g, 1.0));
    double s1 = 0, s2 = 0, s4 = 0, within = 0, tail = 0;
    for (int64_t i = 0; i < n; i++) {
        s1 += w[i];
        s2 += (double)w[i] * w[i];
        s4 += pow(w[i], 4);
        within += fabs(w[i]) <= sqrt(var);
        tail += fabs(w[i]) > 3.5 * sqrt(var); /* beyond the ziggurat's base strip (3.44) */
    }
    const double mean = s1 / n, v = s2 / n - mean * mean;
    /* sd of the mean sqrt(var/n); of the variance var*sqrt(2/n) = 0.14%; 1 sigma mass 68.27%. */
    if (fabs(mean) > 5 * sqrt(var / n)) fail_msg("noise mean %g", mean);
    if (fabs(v / var - 1) > 0.01) fail_msg("noise variance %g, want %g", v, var);
    if (fabs(s4 / n / (3 * var * var) - 1) > 0.03) fail_msg("noise kurtosis off: %g", s4 / n / (var * var));
    if (fabs(within / n - 0.682689) > 0.003) fail_msg("mass within 1 sd %g", within / n);
    /* P(|z| > 3.5) = 4.653e-4: ~488 of 2^20, sd 22. */
    if (fabs(tail / n / 4.6527e-4 - 1) > 0.15) fail_msg("mass beyond 3.5 sd %g", tail / n);
    /* The next step draws fresh noise: uncorrelated with the first. */
    memcpy(w1, w, (size_t)n * sizeof *w);
    TU_OK(lf_optim_step(o, w, g, 1.0));
    double cov = 0;
    for (int64_t i = 0; i < n; i++) cov += (double)w1[i] * (w[i] - w1[i]);
    if (fabs(cov / n / var) > 0.01) fail_msg("steps 1 and 2 correlate: %g", cov / n / var);
    lf_optim_free(o);
    free(w);
    free(g);
    free(w1);
}

/* The noise is a function of (seed, step): same on 1 and 2 threads, and a fresh optimizer told
 * the step count continues a run exactly (the optimizer has no other state). */
static void test_threads_and_resume(void **state)
{
    (void)state;
    const int64_t n = 200003;
    const char *spec = "sgld:lr=1e-4,n_data=1000,seed=11";
    float *g = malloc((size_t)(3 * n) * sizeof *g), *a = malloc((size_t)n * sizeof *a);
    float *b = malloc((size_t)n * sizeof *b);
    tu_fill_uniform(g, 3 * n, -1, 1, 5);
    tu_fill_uniform(a, n, -1, 1, 6);
    memcpy(b, a, (size_t)n * sizeof *a);
    const int threads = lf_get_threads();
    lf_optim *x = make_optim(spec, n, NULL), *y = make_optim(spec, n, NULL);
    assert_int_equal(lf_optim_state_count(x), 0);
    assert_int_equal(lf_optim_state_bytes(x), 0);
    lf_set_threads(1);
    for (int t = 0; t < 5; t++) TU_OK(lf_optim_step(x, a, g + (t % 3) * n, 1.0));
    lf_set_threads(2);
    for (int t = 0; t < 3; t++) TU_OK(lf_optim_step(y, b, g + (t % 3) * n, 1.0));
    lf_optim_free(y);
    y = make_optim(spec, n, NULL);
    lf_optim_set_steps(y, 3);
    for (int t = 3; t < 5; t++) TU_OK(lf_optim_step(y, b, g + (t % 3) * n, 1.0));
    lf_set_threads(threads);
    assert_memory_equal(a, b, (size_t)n * sizeof *a);
    lf_optim_free(x);
    lf_optim_free(y);
    free(g);
    free(a);
    free(b);
}

/* Data y_i ~ N(theta, 1), i = 1..N, prior N(0, s^2): the posterior is Gaussian with precision
 * P = N + 1/s^2 and mean N*ybar/P. 20000 independent chains (coordinates) from a bad start,
 * full-batch gradients of the mean loss (theta - ybar). With lr*P = 0.01 the discretised chain's
 * stationary variance is 1/(P*(1 - lr*P/2)), 0.5% above 1/P. */
static void test_gaussian_posterior(void **state)
{
    (void)state;
    enum { CHAINS = 20000, STEPS = 1500 };
    const double N = 100, s = 2, ybar = 0.7, P = N + 1 / (s * s), lr = 0.01 / P;
    char spec[160];
    snprintf(spec, sizeof spec, "sgld:lr=%.17g,prior_sigma=2,n_data=100,seed=3", lr);
    float *th = malloc(CHAINS * sizeof *th), *g = malloc(CHAINS * sizeof *g);
    for (int i = 0; i < CHAINS; i++) th[i] = -3;
    lf_optim *o = make_optim(spec, CHAINS, NULL);
    for (int t = 0; t < STEPS; t++) {
        for (int i = 0; i < CHAINS; i++) g[i] = th[i] - (float)ybar;
        TU_OK(lf_optim_step(o, th, g, 1.0));
    }
    double s1 = 0, s2 = 0;
    for (int i = 0; i < CHAINS; i++) {
        s1 += th[i];
        s2 += (double)th[i] * th[i];
    }
    const double mean = s1 / CHAINS, var = s2 / CHAINS - mean * mean;
    const double want_mean = N * ybar / P, want_var = 1 / P;
    if (fabs(mean - want_mean) > 4 * sqrt(want_var / CHAINS))
        fail_msg("posterior mean %g, want %g", mean, want_mean);
    if (fabs(var / want_var - 1) > 0.04) fail_msg("posterior variance %g, want %g", var, want_var);
    lf_optim_free(o);
    free(th);
    free(g);
}

/* lr_scale = 0 (a step of size 0) changes nothing, for every optimizer of this file. */
static void test_zero_step_identity(void **state)
{
    (void)state;
    static const char *const specs[] = {"sgld:n_data=10", "ogd", "oadam:nesterov=0", "oadam"};
    enum { N = 50 };
    float w[N], w0[N], g[N];
    tu_fill_uniform(w0, N, -1, 1, 8);
    tu_fill_uniform(g, N, -1, 1, 9);
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
        lf_optim *o = make_optim(specs[k], N, NULL);
        memcpy(w, w0, sizeof w);
        for (int t = 0; t < 3; t++) TU_OK(lf_optim_step(o, w, g, 0.0));
        if (memcmp(w, w0, sizeof w)) fail_msg("%s moved with lr_scale 0", specs[k]);
        lf_optim_free(o);
    }
}

/* ------------------------------------------------------------------ optax references */
static void test_optax_reference(void **state)
{
    (void)state;
    static const struct {
        const char *fixture, *spec;
    } cases[] = {
        /* Same names and parameters as tests/gen_fixtures_sgld.py. */
        {"sgld_ogd_default.npy", "ogd:lr=0.1"},
        {"sgld_ogd_custom.npy", "ogd:lr=0.05,alpha=0.5,beta=2"},
        {"sgld_oadam_default.npy", "oadam:lr=1e-2"},
        {"sgld_oadam_custom.npy",
         "oadam:lr=3e-3,optimism=0.5,b1=0.8,b2=0.99,eps=1e-6,eps_root=1e-8,nesterov=0"},
    };
    int64_t n, ng;
    float *p0 = tu_fixture_f32("sgld_p0.npy", &n), *grads = tu_fixture_f32("sgld_grads.npy", &ng);
    const int64_t steps = ng / n;
    assert_int_equal(steps, 10);
    float *w = malloc((size_t)n * sizeof *w);
    uint8_t *mask = calloc((size_t)n, 1); /* no decay anywhere: these optimizers have none */
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int64_t nr;
        float *ref = tu_fixture_f32(cases[c].fixture, &nr);
        assert_int_equal(nr, steps * n);
        lf_optim *o = make_optim(cases[c].spec, n, mask);
        memcpy(w, p0, (size_t)n * sizeof *w);
        for (int64_t t = 0; t < steps; t++) {
            TU_OK(lf_optim_step(o, w, grads + t * n, 1.0));
            char what[160];
            snprintf(what, sizeof what, "%s step %lld", cases[c].spec, (long long)t + 1);
            tu_assert_close(w, ref + t * n, n, 1e-6, 1e-6, what);
        }
        lf_optim_free(o);
        free(ref);
    }
    free(mask);
    free(w);
    free(grads);
    free(p0);
}

/* Copying the state buffers and the step count into a fresh optimizer resumes exactly. */
static void test_optimistic_resume(void **state)
{
    (void)state;
    static const char *const specs[] = {"ogd:lr=0.1,beta=0.5", "oadam:lr=1e-2"};
    enum { N = 29 };
    float g[3 * N], wa[N], wb[N];
    tu_fill_uniform(g, 3 * N, -1, 1, 10);
    tu_fill_uniform(wa, N, -1, 1, 11);
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
        lf_optim *a = make_optim(specs[k], N, NULL), *b = make_optim(specs[k], N, NULL);
        for (int t = 0; t < 3; t++) TU_OK(lf_optim_step(a, wa, g + (t % 3) * N, 1.0));
        memcpy(wb, wa, sizeof wa);
        for (int i = 0; i < lf_optim_state_count(a); i++) {
            int64_t len;
            const float *from = lf_optim_state(a, i, NULL, &len);
            memcpy(lf_optim_state(b, i, NULL, NULL), from, (size_t)len * sizeof(float));
        }
        lf_optim_set_steps(b, lf_optim_steps(a));
        for (int t = 3; t < 7; t++) {
            TU_OK(lf_optim_step(a, wa, g + (t % 3) * N, 1.0));
            TU_OK(lf_optim_step(b, wb, g + (t % 3) * N, 1.0));
        }
        assert_memory_equal(wa, wb, sizeof wa);
        lf_optim_free(a);
        lf_optim_free(b);
    }
}

/* ------------------------------------------------------------------ schedules */
static void expect_sched(const char *spec, int64_t step, int64_t total, double want)
{
    lf_schedule *s = NULL;
    TU_OK(lf_schedule_create(spec, &s));
    const double got = lf_schedule_at(s, step, total);
    if (fabs(got - want) > 1e-12 * fmax(1, fabs(want)))
        fail_msg("%s at %lld/%lld: %.17g, want %.17g", spec, (long long)step, (long long)total,
                 got, want);
    lf_schedule_free(s);
}

static void test_schedules(void **state)
{
    (void)state;
    expect_sched("polynomial", 0, 100, 1);
    expect_sched("polynomial:a=2,b=10,gamma=0.55", 90, 100, 2 * pow(100, -0.55));
    expect_sched("polynomial:gamma=1", 3, 100, 0.25);
    const double pi = 3.14159265358979323846;
    /* 100 steps, 4 cycles of 25: restarts at 0, 25, 50, 75. */
    expect_sched("cyclical", 0, 100, 1);
    expect_sched("cyclical", 25, 100, 1);
    expect_sched("cyclical", 10, 100, 0.5 * (cos(pi * 10 / 25) + 1));
    expect_sched("cyclical", 99, 100, 0.5 * (cos(pi * 24 / 25) + 1));
    /* ceil(10/3) = 4 steps per cycle. */
    expect_sched("cyclical:cycles=3", 5, 10, 0.5 * (cos(pi / 4) + 1));
    expect_sched("cyclical:cycles=50", 7, 10, 1);
}

/* ------------------------------------------------------------------ errors */
static void test_bad_specs(void **state)
{
    (void)state;
    lf_optim *o = NULL;
    TU_ERR(lf_optim_create("sgld:lr=1e-5", 4, NULL, &o), LF_EINVAL, "\"n_data\"");
    TU_ERR(lf_optim_create("sgld:temperature=-1,n_data=5", 4, NULL, &o), LF_EINVAL,
           "\"temperature\" must be in [0, inf)");
    TU_ERR(lf_optim_create("sgld:prior=1", 4, NULL, &o), LF_EINVAL,
           "lr, temperature, prior_sigma, n_data, seed");
    TU_ERR(lf_optim_create("ogd:beta=-1", 4, NULL, &o), LF_EINVAL, "\"beta\"");
    TU_ERR(lf_optim_create("oadam:optimism=-0.5", 4, NULL, &o), LF_EINVAL, "\"optimism\"");
    TU_ERR(lf_optim_create("oadam:eps=0", 4, NULL, &o), LF_EINVAL, "\"eps_root\"");
    TU_ERR(lf_optim_create("oadam:b1=1", 4, NULL, &o), LF_EINVAL, "\"b1\" must be in [0, 1)");
    assert_null(o);
    lf_schedule *s = NULL;
    TU_ERR(lf_schedule_create("cyclical:cycles=0", &s), LF_EINVAL, "\"cycles\"");
    TU_ERR(lf_schedule_create("polynomial:gamma=2", &s), LF_EINVAL, "\"gamma\" must be in [0, 1]");
    assert_null(s);
    char buf[256];
    TU_OK(lf_sgld_spec_fill("sgld:lr=1e-5", 1234, buf, sizeof buf));
    assert_non_null(strstr(buf, "n_data=1234"));
    TU_OK(lf_sgld_spec_fill("sgld:lr=1e-5,n_data=9", 1234, buf, sizeof buf));
    assert_non_null(strstr(buf, "n_data=9,"));
    TU_OK(lf_sgld_spec_fill("sgd", 1234, buf, sizeof buf));
    assert_null(strstr(buf, "n_data"));
    TU_ERR(lf_sgld_spec_fill("sgld:tmp=1", 5, buf, sizeof buf), LF_EINVAL, "\"tmp\"");
}

/* ------------------------------------------------------------------ calibration */
static void test_calibration_reference(void **state)
{
    (void)state;
    int64_t np, ny, nr;
    double *prob = tu_fixture_f64("sgld_calib_prob.npy", &np);
    int32_t *y = tu_fixture_i32("sgld_calib_y.npy", &ny);
    double *ref = tu_fixture_f64("sgld_calib_ref.npy", &nr);
    assert_int_equal(nr, 3);
    lf_calib c;
    TU_OK(lf_calibration(prob, y, ny, np / ny, LF_ECE_BINS, &c));
    if (fabs(c.acc - ref[0]) > 1e-12 || fabs(c.nll - ref[1]) > 1e-9 * ref[1] ||
        fabs(c.ece - ref[2]) > 1e-12)
        fail_msg("acc/nll/ece %.12g %.12g %.12g, want %.12g %.12g %.12g", c.acc, c.nll, c.ece,
                 ref[0], ref[1], ref[2]);
    /* Perfectly calibrated by construction: confidence 0.75 on 4 rows, 3 right. */
    const double p[8] = {0.75, 0.25, 0.75, 0.25, 0.25, 0.75, 0.25, 0.75};
    const int32_t yy[4] = {0, 0, 1, 0};
    TU_OK(lf_calibration(p, yy, 4, 2, LF_ECE_BINS, &c));
    assert_true(fabs(c.ece) < 1e-15 && c.acc == 0.75);
    TU_ERR(lf_calibration(p, (const int32_t[]){0, 2, 0, 0}, 4, 2, 15, &c), LF_EINVAL, "row 1");
    TU_ERR(lf_calibration(p, yy, 4, 2, 0, &c), LF_EINVAL, "bins");
    free(prob);
    free(y);
    free(ref);
}

/* ------------------------------------------------------------------ ensembles */
/* Three Gaussian blobs in 4-D, overlapping enough that probabilities matter. */
static void make_blobs(lf_dataset *ds, int64_t n, uint64_t seed)
{
    memset(ds, 0, sizeof *ds);
    ds->n = n;
    ds->d = 4;
    ds->ndim = 1;
    ds->shape[0] = 4;
    ds->n_classes = 3;
    ds->x = malloc((size_t)(n * 4) * sizeof *ds->x);
    ds->y = malloc((size_t)n * sizeof *ds->y);
    tu_fill_uniform(ds->x, n * 4, -1.5f, 1.5f, seed);
    for (int64_t i = 0; i < n; i++) {
        ds->y[i] = (int32_t)(i % 3);
        ds->x[i * 4 + ds->y[i]] += 1.0f;
    }
    snprintf(ds->name, sizeof ds->name, "blobs");
}

static void test_ensembles(void **state)
{
    (void)state;
    lf_dataset train, test;
    make_blobs(&train, 600, 21);
    make_blobs(&test, 300, 22);
    lf_train_opts o;
    lf_train_opts_default(&o);
    o.model = "mlp:16";
    o.optim = "sgd:lr=0.1";
    o.epochs = 3;
    o.batch = 32;
    lf_ensemble_opts e = {.members = 1, .kind = LF_ENSEMBLE_DEEP, .burn_in = -1, .thin = 1};
    lf_ensemble_result one, deep, sg;
    TU_OK(lf_train_ensemble(&o, &e, &train, &test, &one));
    /* One member: the mixture is the model. */
    assert_true(one.members == 1 && one.ensemble.nll == one.single.nll &&
                one.ensemble.ece == one.single.ece);
    /* The single model's probabilities agree with lf_train's own test evaluation. */
    lf_train_result r;
    TU_OK(lf_train(&o, &train, &test, &r, NULL));
    if (fabs(r.test_acc - one.single.acc) > 1e-12 || fabs(r.test_loss - one.single.nll) > 1e-5)
        fail_msg("acc %g / nll %g vs lf_train %g / %g", one.single.acc, one.single.nll,
                 r.test_acc, r.test_loss);
    e.members = 3;
    TU_OK(lf_train_ensemble(&o, &e, &train, &test, &deep));
    assert_int_equal(deep.members, 3);
    assert_true(deep.single.nll == one.single.nll); /* member 0 has the same seed */
    /* Averaging probabilities: the mixture's NLL is at most the members' mean (Jensen). */
    assert_true(deep.ensemble.nll <= deep.member_mean.nll + 1e-12);

    o.optim = "sgld:lr=2e-4";
    o.epochs = 5;
    e = (lf_ensemble_opts){.members = 2, .kind = LF_ENSEMBLE_SGLD, .burn_in = 1, .thin = 2};
    o.out_dir = tu_tmpdir();
    TU_OK(lf_train_ensemble(&o, &e, &train, &test, &sg));
    assert_int_equal(sg.members, 2);
    assert_true(sg.ensemble.acc > 0.5 && isfinite(sg.ensemble.nll));
    char path[4096];
    snprintf(path, sizeof path, "%s/sample-1.safetensors", o.out_dir);
    lf_model *m = NULL;
    TU_OK(lf_model_load(path, &m, NULL));
    lf_model_free(m);
    o.out_dir = NULL;
    e.burn_in = 2;
    TU_ERR(lf_train_ensemble(&o, &e, &train, &test, &sg), LF_EINVAL, "--epochs");
    e = (lf_ensemble_opts){.members = 0, .kind = LF_ENSEMBLE_DEEP, .thin = 1};
    TU_ERR(lf_train_ensemble(&o, &e, &train, &test, &sg), LF_EINVAL, "--ensemble");
    lf_dataset_release(&train);
    lf_dataset_release(&test);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_t0_is_sgd),
        cmocka_unit_test(test_noise_moments),
        cmocka_unit_test(test_threads_and_resume),
        cmocka_unit_test(test_gaussian_posterior),
        cmocka_unit_test(test_zero_step_identity),
        cmocka_unit_test(test_optax_reference),
        cmocka_unit_test(test_optimistic_resume),
        cmocka_unit_test(test_schedules),
        cmocka_unit_test(test_bad_specs),
        cmocka_unit_test(test_calibration_reference),
        cmocka_unit_test(test_ensembles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
