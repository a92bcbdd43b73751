/* Lion-kappa, the weight-decay modes of lion/lionk/adamw, bf16 momentum and parameter
 * segments: 10 steps against tests/gen_fixtures_lionk.py, lionk:kappa=l1 == lion bit for bit,
 * lr = 0 is the identity, exact resume through a safetensors file (bf16 too), 1 and 2 threads
 * agree, the box invariant of the Lion-kappa paper at every step, spec errors, and lf_train's
 * per-tensor segments and --decay-bias. */
#include "testutil.h"
#include "internal.h"
#include "optim/lionk.h"

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
    int masked, segmented;
} ref_case;

/* The same names and settings as tests/gen_fixtures_lionk.py. */
static const ref_case cases[] = {
    {"lion_decoupled", "lion:lr=0.01,wd=0.5", 1, 0},
    {"lion_fixed", "lion:lr=0.01,wd=0.02,wd_mode=fixed", 1, 0},
    {"lion_l2", "lion:lr=0.01,wd=0.5,wd_mode=l2", 1, 0},
    {"lion_bf16", "lion:lr=0.01,wd=0.5,mu_dtype=bf16", 1, 0},
    {"lionk_l1", "lionk:kappa=l1,lr=0.02,b1=0.8,b2=0.95,wd=1", 0, 1},
    {"lionk_l2", "lionk:kappa=l2,lr=0.02,wd=0.5", 1, 1},
    {"lionk_l2_whole", "lionk:kappa=l2,lr=0.02,wd=0.5", 1, 0},
    {"lionk_lp", "lionk:kappa=lp,p=1.5,lr=0.02,wd=0.5", 1, 1},
    {"lionk_lp_p12", "lionk:kappa=lp,p=1.2,lr=0.02,wd=0.5", 0, 1},
    {"lionk_lp_p2", "lionk:kappa=lp,p=2,lr=0.02,wd=0.5", 0, 1},
    {"lionk_sq", "lionk:kappa=sq,lr=0.05,wd=0.5", 1, 1},
    {"lionk_huber", "lionk:kappa=huber,c=0.3,lr=0.02,wd=0.5", 1, 1},
    {"lionk_rel", "lionk:kappa=relativistic,c=0.5,lr=0.02,wd=0.5", 1, 1},
    {"lionk_l2_fixed", "lionk:kappa=l2,lr=0.02,wd=0.01,wd_mode=fixed", 1, 1},
    {"lionk_l2_l2", "lionk:kappa=l2,lr=0.02,wd=0.5,wd_mode=l2", 1, 1},
    {"lionk_huber_l2", "lionk:kappa=huber,c=0.3,lr=0.02,wd=0.5,wd_mode=l2", 0, 1},
    {"lionk_l2_bf16", "lionk:kappa=l2,lr=0.02,wd=0.5,mu_dtype=bf16", 1, 1},
    {"lionk_sq_bf16_fixed", "lionk:kappa=sq,lr=0.05,wd=0.05,wd_mode=fixed,mu_dtype=bf16", 0, 1},
    {"adamw_fixed", "adamw:lr=0.01,wd=0.05,wd_mode=fixed", 1, 0},
    {"adamw_l2", "adamw:lr=0.01,wd=0.1,wd_mode=l2", 1, 0},
};

static void test_reference(void **state)
{
    (void)state;
    int64_t n, ng, nm, ns;
    float *p0 = tu_fixture_f32("lionk_p0.npy", &n);
    float *grads = tu_fixture_f32("lionk_grads.npy", &ng);
    int32_t *mask32 = tu_fixture_i32("lionk_mask.npy", &nm);
    int32_t *seg32 = tu_fixture_i32("lionk_seg.npy", &ns);
    assert_int_equal(nm, n);
    const int64_t steps = ng / n;
    assert_int_equal(steps, 10);
    uint8_t *mask = malloc((size_t)n);
    int64_t seg[16];
    assert_true(ns <= 16);
    for (int64_t i = 0; i < n; i++) mask[i] = mask32[i] != 0;
    for (int64_t k = 0; k < ns; k++) seg[k] = seg32[k];
    float *w = malloc((size_t)n * sizeof *w);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char name[128], what[160];
        snprintf(name, sizeof name, "lionk_%s.npy", cases[c].fixture);
        int64_t nr;
        float *ref = tu_fixture_f32(name, &nr);
        assert_int_equal(nr, steps * n);
        lf_optim *o = make_optim(cases[c].spec, n, cases[c].masked ? mask : NULL);
        if (cases[c].segmented) TU_OK(lf_optim_set_segments(o, seg, (int)ns - 1));
        memcpy(w, p0, (size_t)n * sizeof *w);
        for (int64_t t = 0; t < steps; t++) {
            TU_OK(lf_optim_step(o, w, grads + t * n, 1.0));
            snprintf(what, sizeof what, "%s step %lld", cases[c].spec, (long long)t + 1);
            tu_assert_close(w, ref + t * n, n, 1e-7, 1e-6, what);
        }
        lf_optim_free(o);
        free(ref);
    }
    free(w);
    free(mask);
    free(seg32);
    free(mask32);
    free(grads);
    free(p0);
}

/* ------------------------------------------------------------------ behaviour */
typedef struct run_buf {
    int64_t n;
    float *g, *w;
    uint8_t *mask;
} run_buf;

/* n parameters in [-2, 2], 5 rotating gradients in [-1, 1], a decay mask of about 2/3. */
static run_buf run_buf_new(int64_t n, uint64_t seed)
{
    run_buf b = {n, malloc((size_t)(5 * n) * sizeof(float)), malloc((size_t)n * sizeof(float)),
                 malloc((size_t)n)};
    tu_fill_uniform(b.g, 5 * n, -1, 1, seed);
    tu_fill_uniform(b.w, n, -2, 2, seed + 1);
    for (int64_t i = 0; i < n; i++) b.mask[i] = (i * 7) % 3 != 0;
    return b;
}

static void run_buf_free(run_buf *b)
{
    free(b->g);
    free(b->w);
    free(b->mask);
}

static void run(lf_optim *o, float *w, const run_buf *b, int steps, double scale)
{
    for (int t = 0; t < steps; t++)
        TU_OK(lf_optim_step(o, w, b->g + (lf_optim_steps(o) % 5) * b->n, scale));
}

static const char *const wd_modes[] = {"decoupled", "fixed", "l2"};
static const char *const mu_types[] = {"f32", "bf16"};

/* lionk:kappa=l1 is Lion bit for bit, single-threaded and threaded, in every mode. */
static void test_l1_is_lion(void **state)
{
    (void)state;
    const int64_t sizes[] = {37, (1 << 16) + 5};
    for (int s = 0; s < 2; s++) {
        run_buf b = run_buf_new(sizes[s], 21);
        float *wa = malloc((size_t)b.n * sizeof *wa), *wb = malloc((size_t)b.n * sizeof *wb);
        for (int m = 0; m < 3; m++)
            for (int d = 0; d < 2; d++) {
                char la[160], lk[160];
                snprintf(la, sizeof la, "lion:lr=3e-3,wd=0.3,wd_mode=%s,mu_dtype=%s", wd_modes[m],
                         mu_types[d]);
                snprintf(lk, sizeof lk, "lionk:kappa=l1,lr=3e-3,wd=0.3,wd_mode=%s,mu_dtype=%s",
                         wd_modes[m], mu_types[d]);
                lf_optim *a = make_optim(la, b.n, b.mask), *k = make_optim(lk, b.n, b.mask);
                const int64_t seg[3] = {0, 10, b.n};
                TU_OK(lf_optim_set_segments(k, seg, 2)); /* l1 is elementwise: no effect */
                memcpy(wa, b.w, (size_t)b.n * sizeof *wa);
                memcpy(wb, b.w, (size_t)b.n * sizeof *wb);
                run(a, wa, &b, 12, 1.0);
                run(k, wb, &b, 12, 1.0);
                if (memcmp(wa, wb, (size_t)b.n * sizeof *wa) != 0) fail_msg("%s != %s", lk, la);
                lf_optim_free(a);
                lf_optim_free(k);
            }
        free(wa);
        free(wb);
        run_buf_free(&b);
    }
}

static const char *const kappas[] = {"l1", "l2", "lp", "sq", "huber", "relativistic"};
#define NKAPPA ((int)(sizeof kappas / sizeof kappas[0]))

/* The per-tensor norms add fixed chunks' partial sums in order: 1 and 2 threads agree bit for
 * bit (a slab above the threading threshold, split in two tensors). */
static void test_threads_agree(void **state)
{
    (void)state;
    run_buf b = run_buf_new((1 << 17) + 3, 71);
    const int64_t seg[3] = {0, 100003, b.n};
    float *w1 = malloc((size_t)b.n * sizeof *w1), *w2 = malloc((size_t)b.n * sizeof *w2);
    const int threads0 = lf_get_threads();
    for (int k = 0; k < NKAPPA; k++) {
        char spec[160];
        snprintf(spec, sizeof spec, "lionk:kappa=%s,lr=1e-3,wd=0.5,mu_dtype=%s", kappas[k],
                 mu_types[k % 2]);
        float *w[2] = {w1, w2};
        for (int t = 0; t < 2; t++) {
            lf_set_threads(t + 1);
            lf_optim *o = make_optim(spec, b.n, b.mask);
            TU_OK(lf_optim_set_segments(o, seg, 2));
            memcpy(w[t], b.w, (size_t)b.n * sizeof *w1);
            run(o, w[t], &b, 4, 1.0);
            lf_optim_free(o);
        }
        if (memcmp(w1, w2, (size_t)b.n * sizeof *w1) != 0) fail_msg("%s: 1 and 2 threads differ", spec);
    }
    lf_set_threads(threads0);
    free(w1);
    free(w2);
    run_buf_free(&b);
}

/* A step with lr = 0 (lr_scale 0) leaves the weights as they are in the decoupled and l2
 * modes; fixed decay (w *= 1 - wd) does not follow the lr, so it still shrinks them. */
static void test_lr_zero(void **state)
{
    (void)state;
    run_buf b = run_buf_new(300, 31);
    float w[300];
    for (int k = 0; k < NKAPPA; k++)
        for (int m = 0; m < 3; m++) {
            char spec[160];
            snprintf(spec, sizeof spec, "lionk:kappa=%s,lr=0.01,wd=0.5,wd_mode=%s", kappas[k],
                     wd_modes[m]);
            lf_optim *o = make_optim(spec, b.n, b.mask);
            memcpy(w, b.w, sizeof w);
            run(o, w, &b, 3, 1.0);
            float before[300];
            memcpy(before, w, sizeof w);
            run(o, w, &b, 2, 0.0);
            int same = memcmp(before, w, sizeof w) == 0;
            if (same != (m != 1)) fail_msg("%s: lr = 0 %s the weights", spec, same ? "kept" : "moved");
            lf_optim_free(o);
        }
    static const char *const others[] = {"lion:wd=1", "adamw:wd_mode=l2", "adamw"};
    for (int i = 0; i < 3; i++) {
        lf_optim *o = make_optim(others[i], b.n, b.mask);
        memcpy(w, b.w, sizeof w);
        run(o, w, &b, 2, 0.0);
        if (memcmp(w, b.w, sizeof w) != 0) fail_msg("%s: lr = 0 moved the weights", others[i]);
        lf_optim_free(o);
    }
    run_buf_free(&b);
}

/* Save after 3 steps, load into a fresh optimizer, 5 more steps each: bit-identical. */
static void test_resume(void **state)
{
    (void)state;
    run_buf b = run_buf_new(1000, 41);
    float wa[1000], wb[1000];
    const int64_t seg[4] = {0, 700, 710, 1000};
    char path[4096];
    snprintf(path, sizeof path, "%s/lionk_state.safetensors", tu_tmpdir());
    for (int k = 0; k < NKAPPA + 1; k++)
        for (int d = 0; d < 2; d++) {
            char spec[160];
            if (k < NKAPPA)
                snprintf(spec, sizeof spec, "lionk:kappa=%s,lr=0.01,wd=0.5,mu_dtype=%s", kappas[k],
                         mu_types[d]);
            else
                snprintf(spec, sizeof spec, d ? "adamw:wd_mode=l2" : "lion:mu_dtype=bf16");
            lf_optim *a = make_optim(spec, b.n, b.mask), *c = make_optim(spec, b.n, b.mask);
            TU_OK(lf_optim_set_segments(a, seg, 3));
            TU_OK(lf_optim_set_segments(c, seg, 3));
            memcpy(wa, b.w, sizeof wa);
            run(a, wa, &b, 3, 1.0);
            memcpy(wb, wa, sizeof wa);
            tu_optim_state_roundtrip(a, c, path);
            run(a, wa, &b, 5, 1.0);
            run(c, wb, &b, 5, 1.0);
            if (memcmp(wa, wb, sizeof wa) != 0) fail_msg("%s: resumed run differs", spec);
            assert_int_equal(lf_optim_steps(c), 8);
            lf_optim_free(a);
            lf_optim_free(c);
        }
    run_buf_free(&b);
}

static void test_state(void **state)
{
    (void)state;
    const int64_t n = 1001;
    lf_optim *f = make_optim("lion", n, NULL), *h = make_optim("lion:mu_dtype=bf16", n, NULL);
    lf_optim *k = make_optim("lionk:kappa=huber,mu_dtype=bf16", n, NULL);
    assert_int_equal(lf_optim_state_bytes(f), 4 * n);
    assert_int_equal(lf_optim_state_bytes(h), 2 * n);
    assert_int_equal(lf_optim_state_bytes(k), 2 * n);
    const char *name;
    int64_t len;
    lf_dtype dt;
    assert_null(lf_optim_state(h, 0, &name, &len)); /* not float32 */
    uint16_t *m = lf_optim_state_raw(h, 0, &name, &len, &dt);
    assert_non_null(m);
    assert_string_equal(name, "exp_avg");
    assert_int_equal(len, n);
    assert_int_equal(dt, LF_BF16);
    assert_null(lf_optim_state_raw(h, 1, &name, &len, &dt));
    assert_non_null(lf_optim_state_raw(f, 0, NULL, NULL, &dt));
    assert_int_equal(dt, LF_F32);
    assert_non_null(lf_optim_state(f, 0, NULL, NULL));
    assert_string_equal(lf_optim_spec(k),
                        "lionk:kappa=huber,p=1.5,c=1,lr=0.0001,b1=0.90000000000000002,"
                        "b2=0.98999999999999999,wd=0,wd_mode=decoupled,mu_dtype=bf16");
    assert_string_equal(lf_optim_desc(k)->paper, "lion");
    lf_optim_free(f);
    lf_optim_free(h);
    lf_optim_free(k);
}

/* With b2 = 0 the momentum after one step is g rounded to bfloat16: nearest, ties to even,
 * and NaN / infinity kept. */
static void test_bf16_rounding(void **state)
{
    (void)state;
    enum { N = 8 };
    const float g[N] = {1.0f + 0x1p-8f,      /* tie between 1 and 1 + 2^-7: even is 1 */
                        1.0f + 3 * 0x1p-8f,  /* tie between 1 + 2^-7 and 1 + 2^-6: even up */
                        1.0f + 0x1p-8f + 0x1p-20f, /* just above the tie: up */
                        -3.0f - 0x1p-7f,     /* tie at -3 (even) */
                        0x1.fffffep127f,     /* the largest float rounds to infinity */
                        INFINITY, NAN, -0x1p-130f /* subnormal, exact */};
    const float want[N] = {1.0f, 1.0f + 0x1p-6f, 1.0f + 0x1p-7f, -3.0f, INFINITY, INFINITY, NAN,
                           -0x1p-130f};
    float w[N] = {0};
    lf_optim *o = make_optim("lion:b2=0,mu_dtype=bf16", N, NULL);
    TU_OK(lf_optim_step(o, w, g, 1.0));
    const uint16_t *m = lf_optim_state_raw(o, 0, NULL, NULL, NULL);
    for (int i = 0; i < N; i++) {
        uint32_t u = (uint32_t)m[i] << 16;
        float got;
        memcpy(&got, &u, sizeof got);
        if (isnan(want[i]) ? !isnan(got) : (got != want[i] || signbit(got) != signbit(want[i])))
            fail_msg("g[%d] = %a: momentum %a, want %a", i, (double)g[i], (double)got,
                     (double)want[i]);
    }
    lf_optim_free(o);
}

/* ------------------------------------------------------------------ the box invariant */
/* The norm whose ball {|x| <= R} kappa keeps the iterates in: 0 = max, 2 = Euclidean, else
 * the lp dual exponent q. */
static double ball_norm(const float *x, int64_t n, double q)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) {
        double a = fabs((double)x[i]);
        if (q == 0) s = a > s ? a : s;
        else s += pow(a, q);
    }
    return q == 0 ? s : pow(s, 1 / q);
}

typedef struct box_case {
    const char *spec;
    double lr, lambda;
    double q, radius_times_lambda; /* norm and radius * lambda */
    int per_coord;                 /* the invariant holds per coordinate (max norm) */
} box_case;

/* Noisy gradients of f = |x - c|^2 / 2 with c far outside the ball; x starts partly inside,
 * partly outside. Every step: inside stays inside; outside, the distance to the ball shrinks
 * by (1 - lr*lambda). Per coordinate for the l1/huber kappas, per tensor for the others. */
static void test_box_invariant(void **state)
{
    (void)state;
    const box_case bc[] = {
        {"lionk:kappa=l1,lr=0.01,wd=2", 0.01, 2, 0, 1, 1},
        {"lion:lr=0.01,wd=2,mu_dtype=bf16", 0.01, 2, 0, 1, 1},
        {"lionk:kappa=huber,c=0.4,lr=0.01,wd=2", 0.01, 2, 0, 0.4, 1},
        {"lionk:kappa=l2,lr=0.01,wd=2", 0.01, 2, 2, 1, 0},
        {"lionk:kappa=relativistic,c=0.3,lr=0.01,wd=2", 0.01, 2, 2, 1, 0},
        {"lionk:kappa=lp,p=1.5,lr=0.01,wd=2", 0.01, 2, 3, 1, 0},
        {"lionk:kappa=lp,p=1.25,lr=0.02,wd=50", 0.02, 50, 5, 1, 0}, /* lr*lambda = 1 */
    };
    enum { N = 60, T = 400 };
    const int64_t seg[4] = {0, 20, 45, N};
    float x[N], prev[N], c[N], g[N], noise[N];
    for (size_t k = 0; k < sizeof bc / sizeof bc[0]; k++) {
        lf_optim *o = make_optim(bc[k].spec, N, NULL);
        TU_OK(lf_optim_set_segments(o, seg, 3));
        const double R = bc[k].radius_times_lambda / bc[k].lambda;
        const double shrink = 1 - bc[k].lr * bc[k].lambda;
        tu_fill_uniform(c, N, -3, 3, 51 + k);
        tu_fill_uniform(x, N, -1, 1, 52 + k);
        for (int i = 0; i < 20; i++) x[i] *= 0.3f; /* the first tensor starts inside */
        for (int t = 0; t < T; t++) {
            tu_fill_uniform(noise, N, -0.5f, 0.5f, 1000 * k + (uint64_t)t);
            for (int i = 0; i < N; i++) g[i] = x[i] - c[i] + noise[i];
            memcpy(prev, x, sizeof x);
            TU_OK(lf_optim_step(o, x, g, 1.0));
            const int parts = bc[k].per_coord ? N : 3;
            for (int j = 0; j < parts; j++) {
                const int64_t lo = bc[k].per_coord ? j : seg[j];
                const int64_t hi = bc[k].per_coord ? j + 1 : seg[j + 1];
                double before = ball_norm(prev + lo, hi - lo, bc[k].q);
                double after = ball_norm(x + lo, hi - lo, bc[k].q);
                double tol = 1e-6 * R;
                if (before <= R && after > R + tol)
                    fail_msg("%s step %d part %d: left the ball: %.9g -> %.9g > %.9g", bc[k].spec,
                             t + 1, j, before, after, R);
                if (before > R && after - R > shrink * (before - R) + tol)
                    fail_msg("%s step %d part %d: distance %.9g -> %.9g, want <= %.9g", bc[k].spec,
                             t + 1, j, before - R, after - R, shrink * (before - R));
            }
        }
        lf_optim_free(o);
    }
}

/* The closed-form minimisers of |x - c|^2/2 + kappa*(lambda x)/lambda: known values, and no
 * feasible point nearby has a lower objective. */
static double composite(int kappa, double h, const double *x, const double *c, double lambda)
{
    double f = lf_lionk_penalty(kappa, h, x, 2, lambda);
    for (int i = 0; i < 2; i++) f += 0.5 * (x[i] - c[i]) * (x[i] - c[i]);
    return f;
}

static void test_minimiser(void **state)
{
    (void)state;
    const double c[2] = {3, -0.5}, lambda = 0.5, h = 0.5, cn = sqrt(9.25);
    double x[2];
    assert_int_equal(lf_lionk_minimiser(LK_L1, 1, c, 2, lambda, x), 1);
    assert_true(x[0] == 2 && x[1] == -0.5);
    assert_int_equal(lf_lionk_minimiser(LK_L2, 1, c, 2, lambda, x), 1);
    assert_true(fabs(x[0] - 3 * 2 / cn) < 1e-12 && fabs(x[1] + 0.5 * 2 / cn) < 1e-12);
    assert_int_equal(lf_lionk_minimiser(LK_SQ, 1, c, 2, lambda, x), 1);
    assert_true(fabs(x[0] - 2) < 1e-12 && fabs(x[1] + 1 / 3.0) < 1e-12);
    assert_true(fabs(lf_lionk_penalty(LK_SQ, 1, x, 2, lambda) - 0.25 * (4 + 1 / 9.0)) < 1e-12);
    assert_int_equal(lf_lionk_minimiser(LK_HUBER, h, c, 2, lambda, x), 1);
    assert_true(x[0] == 1 && fabs(x[1] + 1 / 3.0) < 1e-12);
    assert_int_equal(lf_lionk_minimiser(LK_LP, 1, c, 2, lambda, x), 0);
    assert_true(lf_lionk_penalty(LK_L1, 1, c, 2, lambda) == 0);
    const int kappas[5] = {LK_L1, LK_L2, LK_SQ, LK_HUBER, LK_REL};
    const double radius[5] = {2, 2, INFINITY, 1, 2}; /* of the ball (max norm for l1, huber) */
    for (int k = 0; k < 5; k++) {
        const double hk = kappas[k] == LK_HUBER || kappas[k] == LK_REL ? h : 1;
        assert_int_equal(lf_lionk_minimiser(kappas[k], hk, c, 2, lambda, x), 1);
        const double best = composite(kappas[k], hk, x, c, lambda);
        for (int j = 0; j < 16; j++) {
            const double a = 6.283185307179586 * j / 16;
            const double y[2] = {x[0] + 1e-3 * cos(a), x[1] + 1e-3 * sin(a)};
            const int maxn = kappas[k] == LK_L1 || kappas[k] == LK_HUBER;
            const double n = maxn ? fmax(fabs(y[0]), fabs(y[1])) : hypot(y[0], y[1]);
            if (n < radius[k] - 1e-9) assert_true(composite(kappas[k], hk, y, c, lambda) >= best);
        }
    }
}

/* ------------------------------------------------------------------ errors */
static void test_errors(void **state)
{
    (void)state;
    lf_optim *o = NULL;
    TU_ERR(lf_optim_create("lion:b2=1.2", 4, NULL, &o), LF_EINVAL,
           "optimizer \"lion\": parameter \"b2\" must be in [0, 1), got 1.2");
    TU_ERR(lf_optim_create("lionk:kappa=foo", 4, NULL, &o), LF_EINVAL,
           "parameter \"kappa\" must be one of l1, l2, lp, sq, huber, relativistic; got \"foo\"");
    TU_ERR(lf_optim_create("lionk:p=3", 4, NULL, &o), LF_EINVAL, "\"p\" must be in [1, 2]");
    TU_ERR(lf_optim_create("lionk:c=0", 4, NULL, &o), LF_EINVAL, "\"c\" must be in (0, inf)");
    TU_ERR(lf_optim_create("lion:mu_dtype=fp8", 4, NULL, &o), LF_EINVAL,
           "\"mu_dtype\" must be one of f32, bf16");
    TU_ERR(lf_optim_create("adamw:wd_mode=coupled", 4, NULL, &o), LF_EINVAL,
           "\"wd_mode\" must be one of decoupled, fixed, l2");
    TU_ERR(lf_optim_create("lionk:wd_mode=fixed,wd=2", 4, NULL, &o), LF_EINVAL,
           "wd_mode=fixed multiplies w by 1 - wd, so wd must be <= 1, got 2");
    TU_ERR(lf_optim_create("lion:wd_mode=fixed,wd=1.5", 4, NULL, &o), LF_EINVAL, "\"lion\"");
    TU_ERR(lf_optim_create("adamw:wd_mode=fixed,wd=1.5", 4, NULL, &o), LF_EINVAL, "\"adamw\"");
    assert_null(o);

    o = make_optim("lionk:kappa=l2", 10, NULL);
    const int64_t gap[4] = {0, 5, 5, 10}, short_[3] = {0, 5, 9}, ok[3] = {0, 4, 10};
    TU_ERR(lf_optim_set_segments(o, gap, 3), LF_EINVAL, "segment 1 is empty");
    TU_ERR(lf_optim_set_segments(o, short_, 2), LF_EINVAL, "must span [0, 10]");
    TU_ERR(lf_optim_set_segments(o, ok, 0), LF_EINVAL, "nseg = 0");
    TU_ERR(lf_optim_set_segments(o, NULL, 2), LF_EINVAL, "NULL");
    TU_OK(lf_optim_set_segments(o, ok, 2));
    lf_optim_free(o);
}

/* ------------------------------------------------------------------ lf_train */
/* 64 rows of 6 features, 3 classes, a learnable rule. */
static lf_dataset tiny_data(void)
{
    lf_dataset d = {.n = 64, .d = 6, .ndim = 1, .shape = {6}, .n_classes = 3};
    d.x = malloc(64 * 6 * sizeof *d.x);
    d.y = malloc(64 * sizeof *d.y);
    tu_fill_uniform(d.x, 64 * 6, -1, 1, 61);
    for (int i = 0; i < 64; i++) d.y[i] = d.x[6 * i] > 0.3f ? 2 : d.x[6 * i + 1] > 0 ? 1 : 0;
    snprintf(d.name, sizeof d.name, "tiny");
    return d;
}

static lf_model *train_tiny(const char *optim, int batch, int decay_bias)
{
    lf_dataset d = tiny_data(), none = {0};
    lf_train_opts o;
    lf_train_opts_default(&o);
    o.model = "mlp:5";
    o.optim = optim;
    o.epochs = 1;
    o.batch = batch;
    o.decay_bias = decay_bias;
    lf_model *m = NULL;
    TU_OK(lf_train(&o, &d, &none, NULL, &m));
    lf_dataset_release(&d);
    return m;
}

/* lf_train hands the tensor boundaries to the optimizer: one full-batch step of
 * lionk:kappa=l2 moves every tensor by exactly lr in l2 norm (one slab would move the whole
 * by lr). */
static void test_train_segments(void **state)
{
    (void)state;
    lf_model *init = NULL;
    const int64_t in[1] = {6};
    TU_OK(lf_model_create("mlp:5", 1, in, 3, 1, &init));
    lf_model *m = train_tiny("lionk:kappa=l2,lr=0.01", 64, 0);
    const lf_params *a = lf_model_params(init), *b = lf_model_params(m);
    assert_int_equal(a->n, 4);
    for (int i = 0; i < a->n; i++) {
        double s = 0;
        for (int64_t j = 0; j < a->t[i].size; j++) {
            double d = (double)b->t[i].data[j] - a->t[i].data[j];
            s += d * d;
        }
        if (fabs(sqrt(s) - 0.01) > 1e-6) fail_msg("%s moved by %.9g, want 0.01", a->t[i].name, sqrt(s));
    }
    lf_model_free(init);
    lf_model_free(m);
}

/* Biases get no decay unless decay_bias: a fixed decay of 0.5 per step drives them to ~0. */
static void test_decay_bias(void **state)
{
    (void)state;
    for (int db = 0; db < 2; db++) {
        lf_model *m = train_tiny("adamw:lr=1e-4,wd=0.5,wd_mode=fixed", 8, db);
        const lf_params *p = lf_model_params(m);
        double bias_max = 0, weight_max = 0;
        for (int i = 0; i < p->n; i++)
            for (int64_t j = 0; j < p->t[i].size; j++) {
                double a = fabs(p->t[i].data[j]);
                double *mx = p->t[i].ndim == 1 ? &bias_max : &weight_max;
                *mx = a > *mx ? a : *mx;
            }
        assert_true(weight_max < 1e-2); /* 8 halvings of weights <= 0.41, plus 8 steps of 1e-4 */
        if (db ? bias_max > 1e-2 : bias_max < 0.05)
            fail_msg("decay_bias=%d: max |bias| = %g", db, bias_max);
        lf_model_free(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference),     cmocka_unit_test(test_l1_is_lion),
        cmocka_unit_test(test_lr_zero),       cmocka_unit_test(test_resume),
        cmocka_unit_test(test_threads_agree),
        cmocka_unit_test(test_state),         cmocka_unit_test(test_bf16_rounding),
        cmocka_unit_test(test_box_invariant), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_minimiser),
        cmocka_unit_test(test_train_segments), cmocka_unit_test(test_decay_bias),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
