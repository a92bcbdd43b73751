/* Online (optimistic) mirror descent: iterates and regret on a fixed sequence of linear losses
 * against a NumPy transcription (tests/gen_fixtures_sgld.py), the ball / simplex invariants
 * under wild gradients, the step-size rules, and option errors. */
#include "testutil.h"
#include "lossforge/oomd.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lf_oomd *make(int64_t d, const lf_oomd_opts *o)
{
    lf_oomd *l = NULL;
    TU_OK(lf_oomd_create(d, o, &l));
    return l;
}

typedef struct ref_case {
    const char *name;
    lf_oomd_domain domain;
    int optimistic;
    lf_oomd_rule rule;
    double eta, radius, lipschitz, delta, lambda;
} ref_case;

/* Same names and options as tests/gen_fixtures_sgld.py. */
static const ref_case cases[] = {
    {"ball_opt_adaptive", LF_OOMD_BALL, 1, LF_OOMD_ADAPTIVE, 1, 1.5, 0, 0, 1},
    {"ball_opt_adaptive_lip", LF_OOMD_BALL, 1, LF_OOMD_ADAPTIVE, 1, 1, 2, 0, 1},
    {"ball_ogd_sqrt", LF_OOMD_BALL, 0, LF_OOMD_SQRT, 0.3, 1, 0, 0, 1},
    {"ball_opt_strong", LF_OOMD_BALL, 1, LF_OOMD_STRONG, 1, 1, 0, 0, 4},
    {"simplex_opt_adaptive", LF_OOMD_SIMPLEX, 1, LF_OOMD_ADAPTIVE, 1, 1, 0, 0.5, 1},
    {"simplex_hedge_const", LF_OOMD_SIMPLEX, 0, LF_OOMD_CONSTANT, 0.2, 1, 0, 0, 1},
};

/* Regret after each round against the best fixed point in hindsight of linear losses:
 * -R*|sum g| on the ball, min_i sum g_i on the simplex. */
static void test_reference(void **state)
{
    (void)state;
    int64_t nl;
    double *G = tu_fixture_f64("oomd_losses.npy", &nl);
    const int64_t T = 60, d = nl / T;
    assert_int_equal(d * T, nl);
    double cum[16], loss;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char file[96];
        snprintf(file, sizeof file, "oomd_%s.npy", cases[c].name);
        int64_t nr;
        double *ref = tu_fixture_f64(file, &nr);
        assert_int_equal(nr, T * d + T);
        const ref_case *k = &cases[c];
        lf_oomd_opts o = {k->domain, k->optimistic, k->rule, k->eta, k->radius,
                          k->lipschitz, k->delta, k->lambda};
        lf_oomd *l = make(d, &o);
        memset(cum, 0, sizeof cum);
        loss = 0;
        for (int64_t t = 0; t < T; t++) {
            assert_int_equal(lf_oomd_round(l), t + 1);
            const double *x = lf_oomd_play(l), *g = G + t * d;
            double best = INFINITY, sq = 0;
            for (int64_t i = 0; i < d; i++) {
                if (fabs(x[i] - ref[t * d + i]) > 1e-10)
                    fail_msg("%s round %lld: x[%lld] = %.15g, want %.15g", k->name,
                             (long long)t + 1, (long long)i, x[i], ref[t * d + i]);
                loss += g[i] * x[i];
                cum[i] += g[i];
                sq += cum[i] * cum[i];
                best = fmin(best, cum[i]);
            }
            if (k->domain == LF_OOMD_BALL) best = -k->radius * sqrt(sq);
            const double want = ref[T * d + t];
            if (fabs(loss - best - want) > 1e-9 * fmax(1, fabs(want)))
                fail_msg("%s round %lld: regret %.15g, want %.15g", k->name, (long long)t + 1,
                         loss - best, want);
            TU_OK(lf_oomd_update(l, g));
        }
        lf_oomd_free(l);
        free(ref);
    }
    free(G);
}

/* Huge and tiny gradients: the ball's iterates never leave it, the simplex's stay a
 * distribution (no NaN from exp overflow). */
static void test_invariants(void **state)
{
    (void)state;
    enum { D = 12, T = 400 };
    double g[D];
    float u[D];
    for (int dom = 0; dom < 2; dom++) {
        for (int opt = 0; opt < 2; opt++) {
            lf_oomd_opts o;
            lf_oomd_opts_default(&o);
            o.domain = dom ? LF_OOMD_SIMPLEX : LF_OOMD_BALL;
            o.optimistic = opt;
            o.rule = LF_OOMD_CONSTANT;
            o.eta = 3.0;
            o.radius = 0.7;
            lf_oomd *l = make(D, &o);
            for (int t = 0; t < T; t++) {
                tu_fill_uniform(u, D, -1, 1, (uint64_t)(t + 100 * dom + 1000 * opt));
                const double scale = t % 3 == 0 ? 1e150 : t % 3 == 1 ? 1e-150 : 1;
                for (int i = 0; i < D; i++) g[i] = u[i] * scale;
                TU_OK(lf_oomd_update(l, g));
                const double *x = lf_oomd_play(l);
                double sq = 0, sum = 0, lo = INFINITY;
                for (int i = 0; i < D; i++) {
                    if (!isfinite(x[i])) fail_msg("round %d: x[%d] = %g", t, i, x[i]);
                    sq += x[i] * x[i];
                    sum += x[i];
                    lo = fmin(lo, x[i]);
                }
                if (dom == 0 && sqrt(sq) > 0.7 * (1 + 1e-12))
                    fail_msg("round %d: |x| = %.17g outside the ball", t, sqrt(sq));
                if (dom == 1 && (lo < 0 || fabs(sum - 1) > 1e-12))
                    fail_msg("round %d: min %g, sum %.17g: off the simplex", t, lo, sum);
            }
            lf_oomd_free(l);
        }
    }
}

/* Unconstrained (a ball far larger than the iterates) optimistic steps with constant eta are
 * x_{t+1} = x_t - eta*(2 g_t - g_{t-1}) — the ogd optimizer's update with alpha = beta = 1. */
static void test_matches_ogd(void **state)
{
    (void)state;
    enum { D = 5, T = 12 };
    lf_oomd_opts o;
    lf_oomd_opts_default(&o);
    o.rule = LF_OOMD_CONSTANT;
    o.eta = 0.1;
    o.radius = 1e9;
    lf_oomd *l = make(D, &o);
    float g[T * D], w[D] = {0};
    tu_fill_uniform(g, T * D, -1, 1, 77);
    lf_optim *opt = NULL;
    TU_OK(lf_optim_create("ogd:lr=0.1", D, NULL, &opt));
    double gd[D];
    /* OMD's hint M_1 = 0 gives x_2 = -2 eta g_1, while ogd (as current optax) takes g_0 = g_1,
     * so its first step is -lr g_1: it takes that one at twice the lr. */
    for (int t = 0; t < T; t++) {
        for (int i = 0; i < D; i++) gd[i] = g[t * D + i];
        TU_OK(lf_oomd_update(l, gd));
        TU_OK(lf_optim_step(opt, w, g + t * D, t == 0 ? 2.0 : 1.0));
        const double *x = lf_oomd_play(l);
        for (int i = 0; i < D; i++)
            if (fabs(x[i] - w[i]) > 1e-5) fail_msg("round %d: %g vs ogd %g", t + 2, x[i], w[i]);
    }
    lf_optim_free(opt);
    lf_oomd_free(l);
}

static void test_step_rules(void **state)
{
    (void)state;
    lf_oomd_opts o;
    lf_oomd_opts_default(&o);
    o.radius = 2;
    lf_oomd *l = make(3, &o);
    /* D = 4, delta = D^2: eta_1 = 1; after g = (3,0,0) with M_1 = 0: 4/sqrt(16+9). */
    assert_true(fabs(lf_oomd_eta(l) - 1) < 1e-15);
    TU_OK(lf_oomd_update(l, (const double[]){3, 0, 0}));
    assert_true(fabs(lf_oomd_eta(l) - 0.8) < 1e-15);
    /* M_2 = (3,0,0): a repeated gradient adds no variation. */
    TU_OK(lf_oomd_update(l, (const double[]){3, 0, 0}));
    assert_true(fabs(lf_oomd_eta(l) - 0.8) < 1e-15);
    lf_oomd_free(l);
    o.lipschitz = 1;
    l = make(3, &o);
    assert_true(fabs(lf_oomd_eta(l) - 0.25) < 1e-15); /* capped at 1/(4L) */
    lf_oomd_free(l);
    o.rule = LF_OOMD_STRONG;
    o.lambda = 0.5;
    l = make(3, &o);
    TU_OK(lf_oomd_update(l, (const double[]){1, 1, 1}));
    assert_true(fabs(lf_oomd_eta(l) - 2.0) < 1e-15); /* 2/(0.5*2) */
    lf_oomd_free(l);
}

static void test_errors(void **state)
{
    (void)state;
    lf_oomd_opts o;
    lf_oomd *l = NULL;
    lf_oomd_opts_default(&o);
    TU_ERR(lf_oomd_create(0, &o, &l), LF_EINVAL, "d = 0");
    o.radius = -1;
    TU_ERR(lf_oomd_create(3, &o, &l), LF_EINVAL, "radius");
    lf_oomd_opts_default(&o);
    o.rule = LF_OOMD_SQRT;
    o.eta = 0;
    TU_ERR(lf_oomd_create(3, &o, &l), LF_EINVAL, "eta");
    lf_oomd_opts_default(&o);
    o.rule = LF_OOMD_STRONG;
    o.lambda = 0;
    TU_ERR(lf_oomd_create(3, &o, &l), LF_EINVAL, "lambda");
    lf_oomd_opts_default(&o);
    o.delta = -1;
    TU_ERR(lf_oomd_create(3, &o, &l), LF_EINVAL, "delta");
    assert_null(l);
    lf_oomd_opts_default(&o);
    l = make(2, &o);
    TU_ERR(lf_oomd_update(l, (const double[]){1, NAN}), LF_ENUMERIC, "coordinate 1");
    assert_int_equal(lf_oomd_round(l), 1);
    lf_oomd_free(l);
    lf_oomd_free(NULL);
}

/* The least-squares comparator on the ball: the unconstrained fit inside it, the projection
 * onto the sphere when A = I, a singular A against a brute-force search of the circle, and
 * option errors. */
static void test_lsq_best(void **state)
{
    (void)state;
    double x[2], v;
    TU_OK(lf_oomd_lsq_best(2, (const double[]){2, 0, 0, 1}, (const double[]){0.2, 0.3}, 1, 1, x,
                           &v));
    assert_true(fabs(x[0] - 0.1) < 1e-15 && fabs(x[1] - 0.3) < 1e-15);
    assert_true(fabs(v - (0.5 - 0.5 * (0.2 * 0.1 + 0.3 * 0.3))) < 1e-15);
    TU_OK(lf_oomd_lsq_best(2, (const double[]){1, 0, 0, 1}, (const double[]){3, 4}, 2, 1, x, &v));
    assert_true(fabs(x[0] - 0.6) < 1e-12 && fabs(x[1] - 0.8) < 1e-12);
    assert_true(fabs(v - (0.5 - 5 + 1)) < 1e-12);
    const double A[4] = {1, 0, 0, 0}, c[2] = {0.5, 1};
    TU_OK(lf_oomd_lsq_best(2, A, c, 0, 1, NULL, &v));
    double brute = INFINITY;
    for (int k = 0; k < 100000; k++) {
        const double t = 6.283185307179586 * k / 100000, u = cos(t), w = sin(t);
        brute = fmin(brute, 0.5 * u * u - c[0] * u - c[1] * w);
    }
    assert_true(v <= brute + 1e-12 && v > brute - 1e-6);
    TU_ERR(lf_oomd_lsq_best(0, A, c, 0, 1, x, &v), LF_EINVAL, "d = 0");
    TU_ERR(lf_oomd_lsq_best(2, A, c, 0, 0, x, &v), LF_EINVAL, "radius");
    TU_ERR(lf_oomd_lsq_best(2, A, (const double[]){NAN, 1}, 0, 1, x, &v), LF_ENUMERIC,
           "not finite");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference),
        cmocka_unit_test(test_invariants),
        cmocka_unit_test(test_matches_ogd),
        cmocka_unit_test(test_step_rules),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_lsq_best),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
