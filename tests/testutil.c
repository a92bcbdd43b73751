#include "testutil.h"

#include "internal.h"
#include "lossforge/retrieval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void tu_expect_error(lf_status got, lf_status want, const char *needle, const char *what)
{
    if (got != want)
        fail_msg("%s: expected %s, got %s (%s)", what, lf_status_name(want), lf_status_name(got),
                 got == LF_OK ? "" : lf_last_error());
    if (needle && !strstr(lf_last_error(), needle))
        fail_msg("%s: message \"%s\" lacks \"%s\"", what, lf_last_error(), needle);
}

double tu_gradcheck(tu_scalar_fn f, void *ctx, const float *x0, int64_t n, double h, double tol)
{
    float *x = malloc((size_t)n * sizeof *x), *g = malloc((size_t)n * sizeof *g);
    assert_non_null(x);
    assert_non_null(g);
    memcpy(x, x0, (size_t)n * sizeof *x);
    f(ctx, x, g);
    double worst = 0;
    int64_t worst_i = -1;
    double worst_num = 0;
    for (int64_t i = 0; i < n; i++) {
        double step = h * fmax(1.0, fabs((double)x0[i]));
        /* The perturbed point must be exactly representable: use the realised step. */
        x[i] = (float)((double)x0[i] + step);
        double up = (double)x[i] - (double)x0[i];
        double fp = f(ctx, x, NULL);
        x[i] = (float)((double)x0[i] - step);
        double dn = (double)x0[i] - (double)x[i];
        double fm = f(ctx, x, NULL);
        x[i] = x0[i];
        double num = (fp - fm) / (up + dn);
        double err = fabs(num - g[i]) / fmax(1.0, fmax(fabs(num), fabs((double)g[i])));
        if (err > worst) {
            worst = err;
            worst_i = i;
            worst_num = num;
        }
    }
    if (worst > tol)
        fail_msg("gradcheck: index %lld analytic %.8g numeric %.8g (err %.3g > tol %.3g)",
                 (long long)worst_i, (double)g[worst_i], worst_num, worst, tol);
    free(x);
    free(g);
    return worst;
}

static void *fixture(const char *name, lf_dtype want, int64_t *count)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", LF_FIXTURES, name);
    lf_npy a;
    lf_status s = lf_npy_read(path, &a);
    if (s != LF_OK) fail_msg("fixture %s: %s (run tests/gen_fixtures.py)", path, lf_last_error());
    size_t es = lf_dtype_size(want);
    unsigned char *out = malloc((size_t)(a.count ? a.count : 1) * es);
    assert_non_null(out);
    for (int64_t i = 0; i < a.count; i++) {
        double v;
        switch (a.dtype) {
        case LF_F32: v = ((const float *)a.data)[i]; break;
        case LF_F64: v = ((const double *)a.data)[i]; break;
        case LF_I32: v = ((const int32_t *)a.data)[i]; break;
        case LF_I64: v = (double)((const int64_t *)a.data)[i]; break;
        default: v = ((const uint8_t *)a.data)[i]; break;
        }
        if (want == LF_F32) ((float *)out)[i] = (float)v;
        else if (want == LF_F64) ((double *)out)[i] = v;
        else ((int32_t *)out)[i] = (int32_t)v;
    }
    if (count) *count = a.count;
    lf_npy_release(&a);
    return out;
}

float *tu_fixture_f32(const char *name, int64_t *count) { return fixture(name, LF_F32, count); }
int32_t *tu_fixture_i32(const char *name, int64_t *count) { return fixture(name, LF_I32, count); }
double *tu_fixture_f64(const char *name, int64_t *count) { return fixture(name, LF_F64, count); }

void tu_assert_close(const float *a, const float *b, int64_t n, double atol, double rtol,
                     const char *what)
{
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= atol + rtol * fabs((double)b[i])))
            fail_msg("%s[%lld]: got %.9g, want %.9g", what, (long long)i, (double)a[i],
                     (double)b[i]);
    }
}

const char *tu_tmpdir(void)
{
    static char dir[512];
    if (!dir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/lftestXXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(dir)) fail_msg("mkdtemp failed");
    }
    return dir;
}

const char *tu_write_tmp(const char *name, const void *data, size_t n)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", tu_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (n) assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
    return path;
}

void tu_fill_uniform(float *x, int64_t n, float lo, float hi, uint64_t seed)
{
    lf_rng r;
    lf_rng_seed(&r, seed);
    for (int64_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * (float)lf_rng_uniform(&r);
}

void tu_blobs(lf_dataset *ds, int64_t n, uint64_t seed)
{
    memset(ds, 0, sizeof *ds);
    ds->n = n;
    ds->d = 4;
    ds->ndim = 1;
    ds->shape[0] = 4;
    ds->n_classes = 3;
    ds->x = malloc((size_t)(n * 4) * sizeof(float));
    ds->y = malloc((size_t)n * sizeof(int32_t));
    if (!ds->x || !ds->y) fail_msg("tu_blobs: out of memory");
    snprintf(ds->name, sizeof ds->name, "blobs");
    lf_rng r;
    lf_rng_seed(&r, seed);
    for (int64_t i = 0; i < n; i++) {
        int32_t c = (int32_t)lf_rng_below(&r, 3);
        ds->y[i] = c;
        for (int j = 0; j < 4; j++)
            ds->x[i * 4 + j] = (float)(lf_rng_normal(&r) * 0.7 + (j == c ? 2.0 : 0.0) + 5.0);
    }
}

/* Rows to bind a stateful loss to: past the largest row id of b, or b->n without ids. */
static int64_t bind_rows(const lf_batch *b)
{
    int64_t rows = b->n;
    for (int64_t i = 0; b->index && i < b->n; i++)
        if (b->index[i] >= rows) rows = b->index[i] + 1;
    return rows;
}

/* lf_loss_eval from the loss's initial state: a stateful loss (ALDR-KL's lambda_i, EnsLoss's
 * draw stream) is rebound first, so every call sees the same state and the loss is a function
 * of pred alone. */
static double eval_fresh(lf_loss *l, const lf_batch *b, float *grad)
{
    if (lf_loss_state_count(l) > 0) TU_OK(lf_loss_bind(l, bind_rows(b)));
    double v;
    TU_OK(lf_loss_eval(l, b, &v, grad));
    return v;
}

void tu_loss_reference_at(const char *spec, const lf_batch *b, const double *ref, double atol,
                          double rtol, const char *what)
{
    const int64_t m = b->n * b->k;
    float *g = malloc((size_t)m * sizeof *g), *want = malloc((size_t)m * sizeof *want);
    assert_non_null(g);
    assert_non_null(want);
    for (int64_t i = 0; i < m; i++) want[i] = (float)ref[i + 1];
    lf_loss *l = NULL;
    TU_OK(lf_loss_create(spec, &l));
    double v = eval_fresh(l, b, g);
    if (fabs(v - ref[0]) > 1e-5 * fmax(1, fabs(ref[0])))
        fail_msg("%s (%s): value %.9g, reference %.9g", what, spec, v, ref[0]);
    tu_assert_close(g, want, m, atol, rtol, what);
    /* The value-only pass (evaluation) must agree with the fused one (training). */
    double v2 = eval_fresh(l, b, NULL);
    if (fabs(v2 - v) > 1e-6 * fmax(1, fabs(v)))
        fail_msg("%s (%s): value-only pass %.9g, fused pass %.9g", what, spec, v2, v);
    lf_loss_free(l);
    free(g);
    free(want);
}

void tu_loss_reference(const char *spec, const lf_batch *b, const char *fixture, double atol,
                       double rtol)
{
    int64_t nref, m = b->n * b->k;
    double *ref = tu_fixture_f64(fixture, &nref);
    if (nref != 1 + m)
        fail_msg("%s: %lld values, want %lld", fixture, (long long)nref, (long long)(1 + m));
    tu_loss_reference_at(spec, b, ref, atol, rtol, fixture);
    free(ref);
}

typedef struct loss_gc {
    lf_loss *loss;
    lf_batch b;
} loss_gc;

static double loss_gc_fn(void *ctx, const float *x, float *grad)
{
    loss_gc *c = ctx;
    c->b.pred = x;
    return eval_fresh(c->loss, &c->b, grad);
}

double tu_loss_gradcheck(const char *spec, const lf_batch *b, const float *x, double h,
                         double tol)
{
    loss_gc c = {NULL, *b};
    TU_OK(lf_loss_create(spec, &c.loss));
    /* A first pass that cannot fail finds out whether to name the spec before failing. */
    double worst = tu_gradcheck(loss_gc_fn, &c, x, b->n * b->k, h, INFINITY);
    if (worst > tol) {
        print_message("gradcheck of loss \"%s\" (n = %lld, k = %lld):\n", spec,
                      (long long)b->n, (long long)b->k);
        tu_gradcheck(loss_gc_fn, &c, x, b->n * b->k, h, tol);
    }
    lf_loss_free(c.loss);
    return worst;
}

void tu_optim_reference(const char *spec, const char *set, const char *fixture, unsigned flags,
                        double atol, double rtol)
{
    char name[256];
    int64_t n, ng, nr;
    snprintf(name, sizeof name, "%s_p0.npy", set);
    float *w = tu_fixture_f32(name, &n);
    snprintf(name, sizeof name, "%s_grads.npy", set);
    float *grads = tu_fixture_f32(name, &ng);
    float *ref = tu_fixture_f32(fixture, &nr);
    const int64_t steps = ng / n;
    if (steps < 1 || nr != steps * n)
        fail_msg("%s: %lld values, want %lld steps of %lld", fixture, (long long)nr,
                 (long long)steps, (long long)n);
    uint8_t *mask = NULL;
    if (flags & TU_OPTIM_MASKED) {
        snprintf(name, sizeof name, "%s_mask.npy", set);
        int32_t *m32 = tu_fixture_i32(name, NULL);
        mask = malloc((size_t)n);
        assert_non_null(mask);
        for (int64_t i = 0; i < n; i++) mask[i] = m32[i] ? 0x80 : 0; /* any nonzero byte decays */
        free(m32);
    }
    lf_optim *o = NULL;
    TU_OK(lf_optim_create(spec, n, mask, &o));
    if (flags & TU_OPTIM_SEGMENTED) {
        int64_t ns, seg[64];
        snprintf(name, sizeof name, "%s_seg.npy", set);
        int32_t *s32 = tu_fixture_i32(name, &ns);
        assert_true(ns >= 2 && ns <= 64);
        for (int64_t k = 0; k < ns; k++) seg[k] = s32[k];
        TU_OK(lf_optim_set_segments(o, seg, (int)ns - 1));
        free(s32);
    }
    for (int64_t t = 0; t < steps; t++) {
        TU_OK(lf_optim_step(o, w, grads + t * n, 1.0));
        char what[320];
        snprintf(what, sizeof what, "%s (%s) step %lld", spec, fixture, (long long)t + 1);
        tu_assert_close(w, ref + t * n, n, atol, rtol, what);
    }
    lf_optim_free(o);
    free(mask);
    free(ref);
    free(grads);
    free(w);
}

void tu_loss_reference_cases(const char *x_fixture, const char *sw_fixture,
                             const tu_ref_case *cases, size_t n, double atol, double rtol)
{
    int64_t nx, ny, ns;
    float *x = tu_fixture_f32(x_fixture, &nx);
    float *sw = tu_fixture_f32(sw_fixture, &ns);
    for (size_t c = 0; c < n; c++) {
        int32_t *y = tu_fixture_i32(cases[c].labels, &ny);
        lf_batch b = {.pred = x, .n = ny, .k = nx / ny, .label = y};
        if (cases[c].sample_weights) b.weight = sw;
        tu_loss_reference(cases[c].spec, &b, cases[c].fixture, atol, rtol);
        free(y);
    }
    free(x);
    free(sw);
}

/* Every state buffer of a to a safetensors file and back into b, with the step count. */
void tu_optim_state_roundtrip(lf_optim *a, lf_optim *b, const char *path)
{
    enum { MAXS = 8 };
    lf_st_entry e[MAXS];
    const int ns = lf_optim_state_count(a);
    assert_true(ns >= 0 && ns <= MAXS);
    assert_int_equal(lf_optim_state_count(b), ns);
    for (int i = 0; i < ns; i++) {
        e[i] = (lf_st_entry){.ndim = 1};
        e[i].data = lf_optim_state_raw(a, i, &e[i].name, &e[i].shape[0], &e[i].dtype);
        assert_non_null(e[i].data);
    }
    TU_OK(lf_st_write(path, e, ns, NULL, 0));
    lf_st *st = NULL;
    TU_OK(lf_st_read(path, &st));
    for (int i = 0; i < ns; i++) {
        const char *name;
        int64_t n;
        lf_dtype dt;
        void *dst = lf_optim_state_raw(b, i, &name, &n, &dt);
        const lf_st_entry *got = lf_st_get(st, name);
        if (!got) fail_msg("%s: state \"%s\" not saved", lf_optim_spec(a), name);
        assert_int_equal(got->dtype, dt);
        assert_int_equal(got->shape[0], n);
        memcpy(dst, got->data, (size_t)n * lf_dtype_size(dt));
    }
    lf_st_free(st);
    lf_optim_set_steps(b, lf_optim_steps(a));
}
