/* The experiment harness (src/repro/xp.c): tables and their TSV copies, statistics, the
 * experiment registry, and a whole run's report. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "repro/xp.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    (void)fclose(f);
    return buf;
}

static void test_table_and_tsv(void **state)
{
    (void)state;
    lf_xp x = {.desc = lf_xp_at(0), .dir = tu_tmpdir()};
    lf_xp_table(&x, "t", "| loss | a \\| b | `spec` |");
    lf_xp_row(&x, "| **CE** | 1.50 ± 0.25 | `ce:smoothing=0.1` |");
    lf_xp_row(&x, "| GCE | 2 | |");
    lf_xp_line(&x, "after");
    assert_int_equal(x.err, LF_OK);
    assert_string_equal(x.body.p, "| loss | a \\| b | `spec` |\n|---|---|---|\n"
                                  "| **CE** | 1.50 ± 0.25 | `ce:smoothing=0.1` |\n| GCE | 2 | |\nafter\n");
    char path[4096];
    lf_xp_path(&x, "t.tsv", path, sizeof path);
    assert_string_equal(slurp(path), "loss\ta | b\tspec\nCE\t1.50 ± 0.25\tce:smoothing=0.1\nGCE\t2\t\n");
    lf_sbuf_free(&x.body);
}

static void test_section(void **state)
{
    (void)state;
    lf_xp x = {.desc = lf_xp_at(0), .dir = tu_tmpdir()};
    lf_xp_section(&x, "Claims (%d)", 3);
    assert_string_equal(x.body.p, "\n## Claims (3)\n\n");
    lf_sbuf_free(&x.body);
}

static void test_mean_sd(void **state)
{
    (void)state;
    const double v[8] = {1, -1, 2, -1, 3, -1, 4, -1};
    double m, sd;
    lf_xp_mean_sd(v, 4, 2, &m, &sd);
    assert_true(m == 2.5);
    assert_true(fabs(sd - sqrt(5.0 / 3.0)) < 1e-15);
    lf_xp_mean_sd(v, 1, 1, &m, &sd);
    assert_true(m == 1 && sd == 0);
    lf_xp_mean_sd(v, 0, 1, &m, &sd);
    assert_true(isnan(m));
    char buf[64];
    lf_xp_pm(buf, sizeof buf, v, 4, 2, 100, 2);
    assert_string_equal(buf, "250.00 ± 129.10");
    lf_xp_pm(buf, sizeof buf, v, 0, 1, 100, 2);
    assert_string_equal(buf, "—");
}

static void test_grid(void **state)
{
    (void)state;
    lf_xp_grid g;
    TU_OK(lf_xp_grid_init(&g, 2, 3, 4));
    assert_true(isnan(LF_XP_AT(&g, 1, 2, 3)));
    for (int s = 0; s < 4; s++) LF_XP_AT(&g, 1, 2, s) = s;
    LF_XP_AT(&g, 1, 1, 3) = 7; /* a neighbour: must not leak into (1, 2) */
    double m, sd;
    lf_xp_grid_stat(&g, 1, 2, &m, &sd);
    assert_true(m == 1.5);
    lf_xp_grid_stat(&g, 0, 0, &m, &sd);
    assert_true(isnan(m));
    lf_xp_grid_free(&g);
    lf_xp_grid_free(&g); /* idempotent */
}

static void test_registry(void **state)
{
    (void)state;
    assert_true(lf_xp_count() >= 11);
    for (int i = 0; i < lf_xp_count(); i++) {
        const lf_desc *d = lf_xp_at(i), *f = NULL;
        assert_int_equal(d->kind, LF_KIND_REPRO);
        TU_OK(lf_xp_find(d->name, &f));
        assert_ptr_equal(f, d);
        const lf_xp_vt *vt = d->impl;
        assert_non_null(vt->title);
        assert_non_null(vt->run);
        if (d->paper && !lf_paper_find(d->paper))
            fail_msg("experiment \"%s\" cites unknown paper \"%s\"", d->name, d->paper);
    }
    assert_null(lf_xp_at(lf_xp_count()));
    const lf_desc *d;
    TU_ERR(lf_xp_find("lion-bx", &d), LF_ENOTFOUND, "known experiments: ");
    TU_ERR(lf_xp_find("lion-bx", &d), LF_ENOTFOUND, "lion-box");
}

static void test_paired_ttest(void **state)
{
    (void)state;
    const double a[5] = {0.80, 0.82, 0.79, 0.85, 0.81}, b[5] = {0.70, 0.71, 0.72, 0.74, 0.69};
    const double c[5] = {0.81, 0.80, 0.80, 0.84, 0.82};
    assert_int_equal(lf_xp_ttest(a, b, 5, 1), 1);
    assert_int_equal(lf_xp_ttest(b, a, 5, 1), -1);
    assert_int_equal(lf_xp_ttest(a, c, 5, 1), 0);
    /* stride: every second value */
    const double ab[10] = {0.80, 0.70, 0.82, 0.71, 0.79, 0.72, 0.85, 0.74, 0.81, 0.69};
    assert_int_equal(lf_xp_ttest(ab, ab + 1, 5, 2), 1);
}

static void test_cells_and_claims(void **state)
{
    (void)state;
    lf_xp x = {.desc = lf_xp_at(0), .dir = tu_tmpdir()};
    lf_xp_table_cells(&x, "c");
    lf_xp_cell(&x, "loss");
    for (int i = 0; i < 2; i++) lf_xp_cell(&x, "eps %d", i);
    lf_xp_end_row(&x);
    lf_xp_cell(&x, "CE");
    lf_xp_cell(&x, "%.1f", 1.5);
    lf_xp_cell(&x, "%.1f", 2.5);
    lf_xp_end_row(&x);
    lf_xp_claim(&x, "CE wins", lf_xp_verdict(1, 2), "%d of %d", 1, 2);
    assert_int_equal(x.err, LF_OK);
    assert_string_equal(x.body.p, "| loss | eps 0 | eps 1 |\n|---|---|---|\n| CE | 1.5 | 2.5 |\n"
                                  "- **CE wins** (1 of 2): partly reproduced.\n");
    char path[4096];
    lf_xp_path(&x, "c.tsv", path, sizeof path);
    assert_string_equal(slurp(path), "loss\teps 0\teps 1\nCE\t1.5\t2.5\n");
    assert_string_equal(lf_xp_verdict(2, 2), "reproduced");
    assert_string_equal(lf_xp_verdict(0, 2), "not reproduced");
    assert_string_equal(lf_xp_verdict(0, 0), "not reproduced");
    lf_sbuf_free(&x.body);
}

/* lf_xp_head keeps the first rows; lf_xp_train scores once, and a diverging run scores NaN
 * instead of failing. */
static void test_head_and_train(void **state)
{
    (void)state;
    lf_dataset ds = {0}, head = {0};
    tu_blobs(&ds, 300, 1);
    TU_OK(lf_xp_head(&ds, 200, &head));
    assert_int_equal(head.n, 200);
    assert_memory_equal(head.y, ds.y, 200 * sizeof *ds.y);
    lf_train_opts o;
    lf_train_opts_default(&o);
    o.model = "mlp:16";
    o.loss = "ce";
    o.optim = "adamw:lr=1e-2";
    o.epochs = 3;
    o.batch = 32;
    double test_acc, train_acc;
    TU_OK(lf_xp_train(&o, &head, &ds, &test_acc, &train_acc));
    assert_true(test_acc > 0.9 && train_acc > 0.9);
    o.optim = "sgd:lr=1e30";
    TU_OK(lf_xp_train(&o, &head, &ds, &test_acc, &train_acc));
    assert_true(isnan(test_acc));
    lf_dataset_release(&head);
    lf_dataset_release(&ds);
}

/* A whole run: the harness writes the title, the command as given and the times. */
static void test_run_report(void **state)
{
    (void)state;
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/xp-run", tu_tmpdir());
    TU_OK(lf_xp_run("lion-box:steps=200,dim=2", 1, dir));
    snprintf(path, sizeof path, "%s/README.md", dir);
    const char *r = slurp(path);
    assert_true(strncmp(r, "# lion-box", 10) == 0);
    assert_non_null(strstr(r, "Command: `lossforge repro lion-box:steps=200,dim=2 --quick` (wall time "));
    assert_non_null(strstr(r, "CPU time "));
    char other[4000];
    snprintf(other, sizeof other, "%s/xp-bad", tu_tmpdir());
    TU_ERR(lf_xp_run("lion-box:stepz=200", 1, other), LF_EINVAL, "stepz");
    snprintf(path, sizeof path, "%s/README.md", other);
    assert_int_equal(access(path, F_OK), -1);
    TU_ERR(lf_xp_run("nope", 1, other), LF_ENOTFOUND, "unknown experiment \"nope\"");
}

typedef struct dummy_cfg {
    int64_t seed;
} dummy_cfg;
static lf_status dummy_run(const void *cfg, lf_xp *x)
{
    lf_xp_line(x, "seed %lld", (long long)((const dummy_cfg *)cfg)->seed);
    return LF_OK;
}
static const lf_param_desc dummy_params[] = {LF_XP_SEED(dummy_cfg, seed, 7)};
LF_XP_DEFINE(dummy, "dummy", NULL, "a one-line doc", "dummy: the title", dummy_cfg, dummy_params,
             dummy_run);

/* lf_xp_join: scaled values (every stride-th), "" for none, truncated to the buffer;
 * LF_XP_DEFINE fills the descriptor and its vtable. */
static void test_join_and_define(void **state)
{
    (void)state;
    const double v[4] = {0.5, 9, 0.25, 9};
    char buf[32], small[8];
    assert_string_equal(lf_xp_join(buf, sizeof buf, "%.1f%%", v, 2, 2, 100), "50.0%, 25.0%");
    assert_string_equal(lf_xp_join(buf, sizeof buf, "%.1f", v, 0, 1, 1), "");
    assert_string_equal(lf_xp_join(small, sizeof small, "%.2f", v, 4, 1, 1), "0.50, 9");
    assert_int_equal(lf_xp_dummy.kind, LF_KIND_REPRO);
    assert_string_equal(lf_xp_dummy.name, "dummy");
    assert_int_equal(lf_xp_dummy.nparams, 1);
    assert_int_equal(lf_xp_dummy.cfg_size, sizeof(dummy_cfg));
    const lf_xp_vt *vt = lf_xp_dummy.impl;
    assert_string_equal(vt->title, "dummy: the title");
    dummy_cfg c = {0};
    TU_OK(lf_spec_parse_args(&lf_xp_dummy, NULL, &c));
    assert_int_equal(c.seed, 7);
    lf_xp y = {.desc = &lf_xp_dummy};
    TU_OK(vt->run(&c, &y));
    assert_string_equal(y.body.p, "seed 7\n");
    lf_sbuf_free(&y.body);
}

typedef struct scored {
    const lf_dataset *test;
    int calls;
    double acc;
    lf_status ret;
} scored;

static lf_status score_acc(void *user, lf_model *m, const lf_norm *norm)
{
    scored *c = user;
    c->calls++;
    TU_OK(lf_evaluate(m, NULL, c->test, NULL, 0, norm, 512, &c->acc, NULL, NULL));
    return c->ret;
}

/* lf_xp_train_scored: the scorer runs once, after the last epoch, and sees the same model and
 * standardisation lf_xp_train scores; a diverging run is not scored and does not fail; the
 * scorer's own failure stands. */
static void test_train_scored(void **state)
{
    (void)state;
    lf_dataset ds = {0}, head = {0};
    tu_blobs(&ds, 300, 1);
    TU_OK(lf_xp_head(&ds, 200, &head));
    lf_train_opts o;
    lf_train_opts_default(&o);
    o.model = "mlp:16";
    o.optim = "adamw:lr=1e-2";
    o.epochs = 3;
    o.batch = 32;
    scored c = {&ds, 0, NAN, LF_OK};
    TU_OK(lf_xp_train_scored(&o, &head, score_acc, &c));
    double test_acc;
    TU_OK(lf_xp_train(&o, &head, &ds, &test_acc, NULL));
    assert_int_equal(c.calls, 1);
    assert_true(c.acc == test_acc && c.acc > 0.9);
    o.optim = "sgd:lr=1e30";
    c = (scored){&ds, 0, NAN, LF_OK};
    TU_OK(lf_xp_train_scored(&o, &head, score_acc, &c));
    assert_int_equal(c.calls, 0);
    assert_true(isnan(c.acc));
    o.optim = "adamw:lr=1e-2";
    c = (scored){&ds, 0, NAN, LF_ENUMERIC};
    assert_int_equal(lf_xp_train_scored(&o, &head, score_acc, &c), LF_ENUMERIC);
    lf_dataset_release(&head);
    lf_dataset_release(&ds);
}

/* lf_xp_cell_pm: mean ± sd of a grid cell, "diverged" where a seed is NaN; lf_xp_plot_grid: the
 * labelled methods against the settings whose x is not NaN; lf_xp_opts: defaults plus the
 * common fields. */
static void test_grid_cells_plot_opts(void **state)
{
    (void)state;
    lf_xp x = {.desc = lf_xp_at(0), .dir = tu_tmpdir()};
    lf_xp_grid g;
    TU_OK(lf_xp_grid_init(&g, 2, 3, 2));
    for (int m = 0; m < 2; m++)
        for (int s = 0; s < 3; s++)
            for (int k = 0; k < 2; k++) LF_XP_AT(&g, m, s, k) = 0.1 * (m + s) + 0.02 * k;
    LF_XP_AT(&g, 1, 2, 1) = NAN;
    lf_xp_table_cells(&x, "g");
    lf_xp_cell(&x, "m");
    lf_xp_cell(&x, "s0");
    lf_xp_cell(&x, "s2");
    lf_xp_end_row(&x);
    for (int m = 0; m < 2; m++) {
        lf_xp_cell(&x, "%d", m);
        lf_xp_cell_pm(&x, &g, m, 0, 100, 1);
        lf_xp_cell_pm(&x, &g, m, 2, 100, 1);
        lf_xp_end_row(&x);
    }
    assert_int_equal(x.err, LF_OK);
    assert_string_equal(x.body.p, "| m | s0 | s2 |\n|---|---|---|\n| 0 | 1.0 ± 1.4 | 21.0 ± 1.4 |\n"
                                  "| 1 | 11.0 ± 1.4 | diverged |\n");
    const double xs[3] = {0, NAN, 2};
    const char *labels[2] = {"zero", NULL};
    const lf_plot p = {.title = "t", .xlabel = "x", .panel = {"p"}};
    TU_OK(lf_xp_plot_grid(&x, "g.svg", &p, &g, xs, labels, 100));
    char path[4096];
    lf_xp_path(&x, "g.svg", path, sizeof path);
    const char *svg = slurp(path);
    assert_non_null(strstr(svg, "zero"));
    assert_null(strstr(svg, "diverged"));
    const lf_train_opts o = lf_xp_opts("mlp:8", "sgd:lr=0.1", 7, 32, 2);
    lf_train_opts d;
    lf_train_opts_default(&d);
    assert_string_equal(o.model, "mlp:8");
    assert_string_equal(o.optim, "sgd:lr=0.1");
    assert_string_equal(o.loss, d.loss);
    assert_string_equal(o.schedule, d.schedule);
    assert_true(o.epochs == 7 && o.batch == 32 && o.threads == 2 && o.seed == d.seed);
    lf_xp_grid_free(&g);
    lf_sbuf_free(&x.body);
    lf_sbuf_free(&x.tsv); /* the table is still open: its TSV copy was never written */
}

/* A curve score: the number of calls so far, failing at the call *ctx says (0: never). */
static int score_calls;
static lf_status count_calls(const void *ctx, lf_model *m, const lf_norm *norm, double *v)
{
    (void)m;
    (void)norm;
    *v = ++score_calls;
    if (score_calls == *(const int *)ctx) return lf_error(LF_EINVAL, "score failed");
    return LF_OK;
}

/* lf_xp_embed: a curve of `points` points (clamped to LF_XP_CURVE_MAX), a failing score stops
 * training with its status, and steps = 0 gives the model of that seed with the
 * standardisation training fits on the rows of the training classes. */
static void test_embed(void **state)
{
    (void)state;
    static const int32_t cls[2] = {0, 1};
    lf_dataset ds = {0};
    tu_blobs(&ds, 300, 3);
    lf_embed_opts o = {.model = "mlp:8", .loss = "contrastive", .optim = "adamw:lr=1e-2",
                       .dim = 4, .p = 2, .k = 4, .steps = 40, .seed = 5, .classes = cls,
                       .n_classes = 2, .threads = 1};
    int never = 0, second = 2;
    lf_xp_curve c = {.score = count_calls, .ctx = &never, .points = 4};
    lf_model *m = NULL, *m0 = NULL, *ref = NULL;
    lf_norm norm = {0}, norm0 = {0};
    double secs = -1;
    score_calls = 0;
    TU_OK(lf_xp_embed(&o, &ds, &c, &m, &norm, &secs));
    assert_int_equal(c.n, 4);
    for (int i = 0; i < 4; i++) {
        assert_true(c.step[i] == 10.0 * (i + 1) && c.value[i] == i + 1);
        assert_true(isfinite(c.loss[i]) && c.loss[i] >= 0);
    }
    assert_true(secs >= 0 && c.seconds >= 0);
    c = (lf_xp_curve){.score = count_calls, .ctx = &second, .points = 1000};
    score_calls = 0;
    lf_model *none = NULL;
    lf_norm none_norm = {0};
    TU_ERR(lf_xp_embed(&o, &ds, &c, &none, &none_norm, NULL), LF_EINVAL, "score failed");
    assert_int_equal(c.points, LF_XP_CURVE_MAX);
    assert_int_equal(c.n, 1);
    assert_null(none);
    o.steps = 0;
    TU_OK(lf_xp_embed(&o, &ds, NULL, &m0, &norm0, &secs));
    assert_true(secs == 0);
    assert_int_equal(norm0.d, norm.d);
    assert_memory_equal(norm0.mean, norm.mean, (size_t)norm.d * sizeof *norm.mean);
    assert_memory_equal(norm0.std, norm.std, (size_t)norm.d * sizeof *norm.std);
    TU_OK(lf_model_create("mlp:8", 1, ds.shape, 4, 5, &ref));
    const lf_params *p0 = lf_model_params(m0), *pr = lf_model_params(ref);
    assert_int_equal(p0->size, pr->size);
    assert_memory_equal(p0->data, pr->data, (size_t)pr->size * sizeof *pr->data);
    lf_model_free(m);
    lf_model_free(m0);
    lf_model_free(ref);
    lf_norm_release(&norm);
    lf_norm_release(&norm0);
    lf_dataset_release(&ds);
}

/* lf_xp_mean: lf_xp_mean_sd's mean, the sd only when asked. */
static void test_mean(void **state)
{
    (void)state;
    const double x[4] = {1, 9, 3, 9};
    double sd = -1;
    assert_true(lf_xp_mean(x, 2, 2, NULL) == 2);
    assert_true(lf_xp_mean(x, 2, 2, &sd) == 2 && fabs(sd - sqrt(2.0)) < 1e-12);
    assert_true(isnan(lf_xp_mean(x, 0, 1, NULL)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_and_tsv), cmocka_unit_test(test_section),
        cmocka_unit_test(test_mean_sd),       cmocka_unit_test(test_grid),
        cmocka_unit_test(test_registry),      cmocka_unit_test(test_run_report),
        cmocka_unit_test(test_paired_ttest),  cmocka_unit_test(test_cells_and_claims),
        cmocka_unit_test(test_head_and_train),
        cmocka_unit_test(test_join_and_define),
        cmocka_unit_test(test_train_scored),
        cmocka_unit_test(test_grid_cells_plot_opts),
        cmocka_unit_test(test_embed),         cmocka_unit_test(test_mean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
