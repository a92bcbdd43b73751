/* Run-time CPU dispatch (src/core/cpu.h): every kernel set this CPU runs against the baseline
 * on the same inputs. The sets differ in instruction selection only, so elementwise results
 * must be equal to the last bit; a double reduction may add in another order (vector width),
 * which moves a sum of n terms by up to ~n 2^-53 relative (1e-12 allowed; 2e-14 seen on 1e5
 * terms) and what is derived from it in float by at most ULP_REDUCED ulp (softmax gradients,
 * the norm-based Lion-kappa steps; 0 seen). Also: the tables of
 * the sets are distinct code and the one in use follows lf_cpu_force_isa, and LF_CPU caps the
 * set a process picks. */
#include "testutil.h"
#include "core/cpu.h"
#include "internal.h"
#include "optim/steps.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ULP_REDUCED 2
#define N 4099 /* not a multiple of any vector width: the loops' tails run too */

/* Distance in ulps between two floats (0 when both are NaN). */
static int64_t ulps(float a, float b)
{
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b) ? 0 : INT64_MAX;
    int32_t ia, ib;
    memcpy(&ia, &a, sizeof ia);
    memcpy(&ib, &b, sizeof ib);
    /* Map the sign-magnitude bits onto a monotonic integer line. */
    int64_t la = ia < 0 ? (int64_t)INT32_MIN - ia : ia, lb = ib < 0 ? (int64_t)INT32_MIN - ib : ib;
    return la > lb ? la - lb : lb - la;
}

/* Fails naming the set, what and the first index further apart than max_ulp. */
static void assert_ulps(const float *base, const float *got, int64_t n, int64_t max_ulp,
                        int isa, const char *what)
{
    for (int64_t i = 0; i < n; i++)
        if (ulps(base[i], got[i]) > max_ulp)
            fail_msg("%s, %s kernels: [%lld] = %.9g, baseline %.9g (over %lld ulp)", what,
                     lf_cpu_isa_name(isa), (long long)i, got[i], base[i], (long long)max_ulp);
}

static void assert_rel(double base, double got, double tol, int isa, const char *what)
{
    if (!(fabs(got - base) <= tol * fabs(base)) && !(isnan(got) && isnan(base)))
        fail_msg("%s, %s kernels: %.17g, baseline %.17g", what, lf_cpu_isa_name(isa), got, base);
}

/* Inputs with the edges of exp's range, specials, subnormals and a wide uniform spread. */
static float *edge_inputs(void)
{
    float *x = malloc(N * sizeof *x);
    tu_fill_uniform(x, N, -100.0f, 100.0f, 7);
    const float edges[] = {0.0f, -0.0f, 1.0f, -1.0f, 1e-30f, 1e-40f, -1e-40f, FLT_MIN,
                           -87.33654f, -87.4f, -103.9f, 88.72283f, 88.8f, 1e4f, -1e4f,
                           INFINITY, -INFINITY, NAN, 0.5f, 1e30f};
    memcpy(x + 100, edges, sizeof edges);
    return x;
}

typedef struct outs {
    float exp_[N], pow07[N], pow15[N], aff[N], e[N];
    double lse, row_lse, row_sum;
} outs;

static void run_vmath(const float *x, const float *xr, outs *o)
{
    lf_vexp(o->exp_, x, N);
    lf_vpow(o->pow07, x, 0.7f, N);
    lf_vpow(o->pow15, x, 1.5f, N);
    memcpy(o->aff, x, sizeof o->aff);
    lf_vaffine(o->aff, N, 0.37f, -1.25f);
    o->lse = lf_logsumexp(xr, N);
    o->row_lse = lf_row_exp(xr, N, o->e, &o->row_sum);
}

/* Each supported set above the baseline, made current in turn; the baseline at the end. */
#define FOR_EXTRA_SETS(isa) \
    for (int isa = LF_ISA_BASE + 1; isa < LF_ISA_N; isa++) \
        if (lf_cpu_isa_supported(isa))

static int extra_sets(void)
{
    int n = 0;
    FOR_EXTRA_SETS(isa) n++;
    if (!n) printf("(this CPU runs the baseline only: nothing to compare)\n");
    return n;
}

static void test_vmath(void **state)
{
    (void)state;
    float *x = edge_inputs(), *xr = malloc(N * sizeof *xr);
    tu_fill_uniform(xr, N, -30.0f, 30.0f, 8); /* a finite row of logits */
    outs *base = malloc(sizeof *base), *got = malloc(sizeof *got);
    lf_cpu_force_isa(LF_ISA_BASE);
    run_vmath(x, xr, base);
    FOR_EXTRA_SETS(isa) {
        lf_cpu_force_isa(isa);
        run_vmath(x, xr, got);
        assert_ulps(base->exp_, got->exp_, N, 0, isa, "lf_vexp");
        assert_ulps(base->pow07, got->pow07, N, 0, isa, "lf_vpow q=0.7");
        assert_ulps(base->pow15, got->pow15, N, 0, isa, "lf_vpow q=1.5");
        assert_ulps(base->aff, got->aff, N, 0, isa, "lf_vaffine");
        assert_ulps(base->e, got->e, N, 0, isa, "lf_row_exp e");
        assert_rel(base->row_sum, got->row_sum, 1e-12, isa, "lf_row_exp sum");
        assert_rel(base->row_lse, got->row_lse, 1e-12, isa, "lf_row_exp lse");
        assert_rel(base->lse, got->lse, 1e-12, isa, "lf_logsumexp");
    }
    lf_cpu_force_isa(LF_ISA_BASE);
    free(base);
    free(got);
    free(x);
    free(xr);
}

/* Cross-entropy forward+backward (lf_row_exp, lf_vaffine) with and without smoothing. */
static void test_ce(void **state)
{
    (void)state;
    enum { ROWS = 64, K = 1000 };
    float *x = malloc(ROWS * K * sizeof *x), *g[2];
    int32_t y[ROWS];
    tu_fill_uniform(x, ROWS * K, -20.0f, 20.0f, 9);
    for (int i = 0; i < ROWS; i++) y[i] = (i * 37) % K;
    const lf_batch b = {.n = ROWS, .k = K, .pred = x, .label = y};
    for (int i = 0; i < 2; i++) g[i] = malloc(ROWS * K * sizeof *g[i]);
    const char *specs[] = {"ce", "ce:smoothing=0.1"};
    for (int s = 0; s < 2; s++) {
        lf_loss *l = NULL;
        TU_OK(lf_loss_create(specs[s], &l));
        double v0, v;
        lf_cpu_force_isa(LF_ISA_BASE);
        TU_OK(lf_loss_eval(l, &b, &v0, g[0]));
        FOR_EXTRA_SETS(isa) {
            lf_cpu_force_isa(isa);
            TU_OK(lf_loss_eval(l, &b, &v, g[1]));
            assert_rel(v0, v, 1e-12, isa, specs[s]);
            assert_ulps(g[0], g[1], ROWS * K, ULP_REDUCED, isa, specs[s]);
        }
        lf_loss_free(l);
    }
    lf_cpu_force_isa(LF_ISA_BASE);
    for (int i = 0; i < 2; i++) free(g[i]);
    free(x);
}

/* Steps of every optimizer loop; reduced = the step depends on a per-tensor norm. */
static const struct {
    const char *spec;
    int reduced;
} OPTIMS[] = {
    {"sgd:lr=0.1,momentum=0.9,wd=0.01", 0},
    {"sgd:lr=0.1,momentum=0.9,nesterov=1", 0},
    {"adamw:lr=0.01,wd=0.1", 0},
    {"adamw:lr=0.01,wd=0.1,wd_mode=l2", 0},
    {"ogd:lr=0.1,beta=0.5", 0},
    {"oadam:lr=0.01,nesterov=1", 0},
    {"lion:lr=0.01,wd=0.5", 0},
    {"lion:lr=0.01,wd=0.5,mu_dtype=bf16", 0},
    {"lionk:kappa=huber,lr=0.01,wd=0.5", 0},
    {"lionk:kappa=sq,lr=0.01,wd=0.5,mu_dtype=bf16", 0},
    {"lionk:kappa=l2,lr=0.01,wd=0.5", 1},
    {"lionk:kappa=l2,lr=0.01,wd=0.5,mu_dtype=bf16", 1},
    {"lionk:kappa=relativistic,lr=0.01,wd=0.5", 1},
    {"lionk:kappa=lp,p=1.5,lr=0.01,wd=0.5", 1},
    {"lionk:kappa=lp,p=2,lr=0.01,wd=0.5,wd_mode=l2", 1},
    {"lionk:kappa=lp,p=1.2,lr=0.01,wd=0.5", 1},
};

/* 5 steps from the same start (n over the threading threshold, odd tail); w and every state
 * buffer (bf16 ones as their bits widened) into out, which holds 4n floats (3 buffers at most). */
static int64_t run_optim(const char *spec, int64_t n, const float *w0, const float *g,
                         const uint8_t *mask, float *out)
{
    lf_optim *o = NULL;
    TU_OK(lf_optim_create(spec, n, mask, &o));
    memcpy(out, w0, (size_t)n * sizeof *out);
    for (int t = 0; t < 5; t++) TU_OK(lf_optim_step(o, out, g + t * n, 1.0));
    int64_t len = n;
    assert_true(lf_optim_state_count(o) <= 3);
    for (int i = 0; i < lf_optim_state_count(o); i++) {
        const char *name;
        int64_t m;
        lf_dtype dt;
        const void *raw = lf_optim_state_raw(o, i, &name, &m, &dt);
        for (int64_t j = 0; j < m; j++)
            out[len + j] = dt == LF_F32 ? ((const float *)raw)[j]
                                        : (float)((const uint16_t *)raw)[j];
        len += m;
    }
    lf_optim_free(o);
    return len;
}

static void test_optim(void **state)
{
    (void)state;
    const int64_t n = (1 << 16) + 5;
    float *w0 = malloc((size_t)n * sizeof *w0), *g = malloc(5 * (size_t)n * sizeof *g);
    float *base = malloc(4 * (size_t)n * sizeof *base);
    float *got = malloc(4 * (size_t)n * sizeof *got);
    uint8_t *mask = malloc((size_t)n);
    tu_fill_uniform(w0, n, -1.0f, 1.0f, 10);
    tu_fill_uniform(g, 5 * n, -1.0f, 1.0f, 11);
    for (int64_t i = 0; i < n; i++) mask[i] = (uint8_t)(i % 3 != 0);
    g[17] = 0.0f; /* sign(0) and |0|^q */
    for (size_t c = 0; c < sizeof OPTIMS / sizeof OPTIMS[0]; c++) {
        lf_cpu_force_isa(LF_ISA_BASE);
        const int64_t len = run_optim(OPTIMS[c].spec, n, w0, g, mask, base);
        FOR_EXTRA_SETS(isa) {
            lf_cpu_force_isa(isa);
            assert_int_equal(run_optim(OPTIMS[c].spec, n, w0, g, mask, got), len);
            assert_ulps(base, got, len, OPTIMS[c].reduced ? ULP_REDUCED : 0, isa,
                        OPTIMS[c].spec);
        }
    }
    lf_cpu_force_isa(LF_ISA_BASE);
    free(w0);
    free(g);
    free(base);
    free(got);
    free(mask);
}

/* Each set is its own code, and the table in use follows the set in use. */
static void test_tables(void **state)
{
    (void)state;
#if defined(LF_HAVE_KSETS)
    FOR_EXTRA_SETS(isa) {
        lf_cpu_force_isa(isa);
        const lf_step_kern *want = isa == LF_ISA_AVX2 ? &lf_steps_avx2 : &lf_steps_avx512;
        assert_ptr_equal(LF_STEPS, want);
        assert_ptr_not_equal(want->adamw, lf_steps_base.adamw);
        assert_string_equal(lf_cpu_kernels(), lf_cpu_isa_name(isa));
    }
#endif
    lf_cpu_force_isa(LF_ISA_BASE);
    assert_ptr_equal(LF_STEPS, &lf_steps_base);
    assert_string_equal(lf_cpu_kernels(), "baseline");
}

/* A process picks its set once: the best one, or the one LF_CPU caps it at. */
static void test_env(void **state)
{
    (void)state;
    char line[256];
    const char *cases[][2] = {{"baseline", "baseline kernels"}, {"", NULL}};
    for (int c = 0; c < 2; c++) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "LF_CPU=%s %s --version", cases[c][0], LF_CLI);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        if (!fgets(line, sizeof line, p)) line[0] = '\0';
        assert_int_equal(pclose(p), 0);
        int best = LF_ISA_BASE;
        for (int i = 0; i < LF_ISA_N; i++)
            if (lf_cpu_isa_supported(i)) best = i;
        char want[64];
        snprintf(want, sizeof want, "(%s kernels)", lf_cpu_isa_name(best));
        if (!strstr(line, cases[c][1] ? cases[c][1] : want))
            fail_msg("%s: got \"%s\"", cmd, line);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables), cmocka_unit_test(test_vmath),
        cmocka_unit_test(test_ce),     cmocka_unit_test(test_optim),
        cmocka_unit_test(test_env),
    };
    (void)extra_sets();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
