/* The experiment harness (xp.h): report, tables and their TSV copies, files, progress,
 * statistics, and the registry of experiments. */
#include "xp.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ registry */
#define LF_XP_PTR(id) &lf_xp_##id,
static const lf_desc *const table[] = {LF_XP_REGISTRY(LF_XP_PTR) NULL};
#undef LF_XP_PTR
#define LF_XP_ONE(id) +1 /* NOLINT(bugprone-macro-parentheses): a term of a sum */
enum { LF_XP_N = 0 LF_XP_REGISTRY(LF_XP_ONE) };
#undef LF_XP_ONE
static_assert(sizeof table / sizeof table[0] == (size_t)LF_XP_N + 1,
              "one table entry per LF_XP_REGISTRY line plus the sentinel");

int lf_xp_count(void) { return LF_XP_N; }

const lf_desc *lf_xp_at(int i) { return i >= 0 && i < LF_XP_N ? table[i] : NULL; }

lf_status lf_xp_find(const char *name, const lf_desc **out)
{
    for (int i = 0; i < LF_XP_N; i++) {
        if (!strcmp(table[i]->name, name)) {
            *out = table[i];
            return LF_OK;
        }
    }
    lf_sbuf known = {0};
    for (int i = 0; i < LF_XP_N; i++) lf_sbuf_printf(&known, "%s%s", i ? ", " : "", table[i]->name);
    lf_status s = lf_error(LF_ENOTFOUND, "unknown experiment \"%s\"; known experiments: %s",
                           name, known.p ? known.p : "(none)");
    lf_sbuf_free(&known);
    return s;
}

/* ------------------------------------------------------------------ tables */
/* The cells of a markdown row, tab-separated: "\|" is a literal bar, backticks and bold
 * markers are dropped. */
static void tsv_row(lf_sbuf *b, const char *row)
{
    const char *q = row + strspn(row, " ");
    if (*q == '|') q++;
    int cell = 0;
    while (*q) {
        const char *start = q;
        while (*q && !(*q == '|' && q[-1] != '\\')) q++;
        if (!*q && q == start) break;
        const char *end = q;
        while (start < end && *start == ' ') start++;
        while (end > start && end[-1] == ' ') end--;
        if (!*q && end == start) break; /* text after the last bar */
        lf_sbuf_printf(b, "%s", cell++ ? "\t" : "");
        for (const char *c = start; c < end; c++) {
            if (*c == '`' || (*c == '*' && c + 1 < end && c[1] == '*')) {
                c += *c == '*';
                continue;
            }
            if (*c == '\\' && c + 1 < end && c[1] == '|') continue;
            lf_sbuf_printf(b, "%c", *c);
        }
        if (*q) q++;
    }
    lf_sbuf_printf(b, "\n");
}

static int count_cells(const char *row)
{
    int bars = 0;
    for (const char *q = row; *q; q++) bars += *q == '|' && (q == row || q[-1] != '\\');
    return bars > 1 ? bars - 1 : 1;
}

/* Writes the open table's TSV copy. */
static void end_table(lf_xp *x)
{
    if (!x->in_table) return;
    x->in_table = 0;
    char name[160];
    snprintf(name, sizeof name, "%s.tsv", x->tsv_name);
    lf_status s = lf_xp_write(x, name, &x->tsv);
    if (x->err == LF_OK) x->err = s;
}

static void body_vline(lf_xp *x, const char *fmt, va_list ap)
{
    lf_sbuf_vprintf(&x->body, fmt, ap);
    lf_sbuf_printf(&x->body, "\n");
}

void lf_xp_line(lf_xp *x, const char *fmt, ...)
{
    end_table(x);
    va_list ap;
    va_start(ap, fmt);
    body_vline(x, fmt, ap);
    va_end(ap);
}

void lf_xp_section(lf_xp *x, const char *fmt, ...)
{
    end_table(x);
    lf_sbuf_printf(&x->body, "\n## ");
    va_list ap;
    va_start(ap, fmt);
    body_vline(x, fmt, ap);
    va_end(ap);
    lf_sbuf_printf(&x->body, "\n");
}

/* The row in x->row as the header of a new table: the separator row follows, and its cells
 * start the TSV copy. */
static void header_row(lf_xp *x, const char *tsv)
{
    if (x->row.oom) x->err = lf_error(LF_ENOMEM, "%s: out of memory", x->desc->name);
    if (x->row.p) {
        end_table(x);
        lf_sbuf_printf(&x->body, "%s\n|", x->row.p);
        for (int i = count_cells(x->row.p); i > 0; i--) lf_sbuf_printf(&x->body, "---|");
        lf_sbuf_printf(&x->body, "\n");
        if (tsv != x->tsv_name) snprintf(x->tsv_name, sizeof x->tsv_name, "%s", tsv);
        tsv_row(&x->tsv, x->row.p);
        x->in_table = 1;
    }
    lf_sbuf_free(&x->row);
}

/* The row in x->row as a row of the open table. */
static void body_row(lf_xp *x)
{
    if (x->row.oom) x->err = lf_error(LF_ENOMEM, "%s: out of memory", x->desc->name);
    if (x->row.p) {
        lf_sbuf_printf(&x->body, "%s\n", x->row.p);
        if (x->in_table) tsv_row(&x->tsv, x->row.p);
    }
    lf_sbuf_free(&x->row);
}

void lf_xp_table(lf_xp *x, const char *tsv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lf_sbuf_vprintf(&x->row, fmt, ap);
    va_end(ap);
    header_row(x, tsv);
}

void lf_xp_row(lf_xp *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lf_sbuf_vprintf(&x->row, fmt, ap);
    va_end(ap);
    body_row(x);
}

void lf_xp_table_cells(lf_xp *x, const char *tsv)
{
    end_table(x);
    snprintf(x->tsv_name, sizeof x->tsv_name, "%s", tsv);
    x->header_pending = 1;
}

void lf_xp_cell(lf_xp *x, const char *fmt, ...)
{
    if (!x->row.n) lf_sbuf_printf(&x->row, "|");
    lf_sbuf_printf(&x->row, " ");
    va_list ap;
    va_start(ap, fmt);
    lf_sbuf_vprintf(&x->row, fmt, ap);
    va_end(ap);
    lf_sbuf_printf(&x->row, " |");
}

void lf_xp_end_row(lf_xp *x)
{
    if (!x->header_pending) {
        body_row(x);
        return;
    }
    x->header_pending = 0;
    header_row(x, x->tsv_name);
}

void lf_xp_claim(lf_xp *x, const char *claim, const char *verdict, const char *fmt, ...)
{
    end_table(x);
    lf_sbuf_printf(&x->body, "- **%s** (", claim);
    va_list ap;
    va_start(ap, fmt);
    lf_sbuf_vprintf(&x->body, fmt, ap);
    va_end(ap);
    lf_sbuf_printf(&x->body, "): %s.\n", verdict);
}

const char *lf_xp_verdict(int hits, int total)
{
    return total > 0 && hits == total ? "reproduced" : hits > 0 ? "partly reproduced"
                                                               : "not reproduced";
}

/* ------------------------------------------------------------------ files */
void lf_xp_path(const lf_xp *x, const char *name, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", x->dir, name);
}

lf_status lf_xp_plot(lf_xp *x, const char *name, const lf_plot *p, const double *xs, int npts,
                     const lf_series *s, int nseries)
{
    char path[4096];
    lf_xp_path(x, name, path, sizeof path);
    return lf_plot_svg(path, p, xs, npts, s, nseries);
}

lf_status lf_xp_write(lf_xp *x, const char *name, lf_sbuf *b)
{
    char path[4096];
    lf_xp_path(x, name, path, sizeof path);
    lf_status s = b->oom ? lf_error(LF_ENOMEM, "%s: out of memory", path)
                         : lf_write_atomic(path, b->p ? b->p : "", b->n);
    lf_sbuf_free(b);
    return s;
}

/* ------------------------------------------------------------------ running */
void lf_xp_progress(lf_xp *x, int64_t total)
{
    lf_progress_begin(&x->bar, x->desc->name, total, 0);
    x->done = 0;
}

void lf_xp_tick(lf_xp *x, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    lf_progress_update(&x->bar, ++x->done, "%s", what);
}

static double cpu_seconds(void) { return (double)clock() / CLOCKS_PER_SEC; }

/* "12 s", or "0.4 s" under ten seconds. */
static void fmt_seconds(char *buf, size_t cap, double s)
{
    snprintf(buf, cap, s < 10 ? "%.1f s" : "%.0f s", s);
}

/* Title, command and times, then the body: echoed to stdout and written as README.md. */
static lf_status write_report(lf_xp *x)
{
    const lf_xp_vt *vt = x->desc->impl;
    char wall[32], cpu[32];
    fmt_seconds(wall, sizeof wall, lf_now() - x->t0);
    fmt_seconds(cpu, sizeof cpu, cpu_seconds() - x->cpu0);
    lf_sbuf r = {0};
    lf_sbuf_printf(&r, "# %s\n\nCommand: `%s` (wall time %s, CPU time %s).\n\n", vt->title,
                   x->command, wall, cpu);
    lf_sbuf_printf(&r, "%s", x->body.p ? x->body.p : "");
    if (r.p) fputs(r.p, stdout);
    (void)fflush(stdout);
    return lf_xp_write(x, "README.md", &r);
}

lf_status lf_xp_run(const char *spec, int quick, const char *out_dir)
{
    char name[64];
    const size_t len = strcspn(spec, ":");
    if (len >= sizeof name) return lf_error(LF_EINVAL, "experiment name \"%s\" too long", spec);
    snprintf(name, sizeof name, "%.*s", (int)len, spec);
    lf_xp x = {.quick = quick, .t0 = lf_now(), .cpu0 = cpu_seconds()};
    lf_status s = lf_xp_find(name, &x.desc);
    void *cfg = s == LF_OK ? calloc(1, x.desc->cfg_size ? x.desc->cfg_size : 1) : NULL;
    if (s == LF_OK && !cfg) s = lf_error(LF_ENOMEM, "%s: out of memory", name);
    if (s == LF_OK) s = lf_spec_parse_args(x.desc, spec[len] ? spec + len + 1 : NULL, cfg);
    char dir[1024];
    snprintf(dir, sizeof dir, "docs/results/%s", name);
    x.dir = out_dir ? out_dir : dir;
    snprintf(x.command, sizeof x.command, "lossforge repro %s%s", spec, quick ? " --quick" : "");
    if (s == LF_OK) s = lf_mkdirs(x.dir, name);
    if (s == LF_OK) s = ((const lf_xp_vt *)x.desc->impl)->run(cfg, &x);
    if (s == LF_OK) end_table(&x); /* a failed run writes nothing more */
    if (s == LF_OK) s = x.err;
    if (s == LF_OK) s = write_report(&x);
    lf_sbuf_free(&x.body);
    lf_sbuf_free(&x.tsv);
    lf_sbuf_free(&x.row);
    free(cfg);
    return s;
}

/* ------------------------------------------------------------------ numbers */
void lf_xp_mean_sd(const double *x, int n, int stride, double *mean, double *sd)
{
    double s = 0, ss = 0;
    for (int i = 0; i < n; i++) s += x[(size_t)i * (size_t)stride];
    const double mu = n ? s / n : NAN;
    for (int i = 0; i < n; i++) {
        const double d = x[(size_t)i * (size_t)stride] - mu;
        ss += d * d;
    }
    *mean = mu;
    *sd = n > 1 ? sqrt(ss / (n - 1)) : 0;
}

void lf_xp_pm(char *buf, size_t cap, const double *x, int n, int stride, double scale, int prec)
{
    double m, sd;
    lf_xp_mean_sd(x, n, stride, &m, &sd);
    if (n == 0) snprintf(buf, cap, "—");
    else snprintf(buf, cap, "%.*f ± %.*f", prec, scale * m, prec, scale * sd);
}

/* Two-sided 5% critical values of Student's t, df = 1..30. */
static const double t975[LF_XP_TTEST_MAX] = {
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};

int lf_xp_ttest(const double *a, const double *b, int n, int stride)
{
    double d[LF_XP_TTEST_MAX], mu, sd;
    if (n < 2 || n > LF_XP_TTEST_MAX) return 0;
    for (int i = 0; i < n; i++) d[i] = a[(size_t)i * (size_t)stride] - b[(size_t)i * (size_t)stride];
    lf_xp_mean_sd(d, n, 1, &mu, &sd);
    if (sd == 0) return mu > 0 ? 1 : mu < 0 ? -1 : 0;
    const double t = mu / (sd / sqrt((double)n));
    return fabs(t) > t975[n - 2] ? (t > 0 ? 1 : -1) : 0;
}

lf_status lf_xp_grid_init(lf_xp_grid *g, int nm, int ns, int nseed)
{
    *g = (lf_xp_grid){nm, ns, nseed, malloc((size_t)nm * (size_t)ns * (size_t)nseed * sizeof(double))};
    if (!g->v) return lf_error(LF_ENOMEM, "experiment: out of memory for a %d x %d x %d grid", nm,
                               ns, nseed);
    for (int64_t i = 0; i < (int64_t)nm * ns * nseed; i++) g->v[i] = NAN;
    return LF_OK;
}

void lf_xp_grid_free(lf_xp_grid *g)
{
    free(g->v);
    g->v = NULL;
}

void lf_xp_grid_stat(const lf_xp_grid *g, int m, int s, double *mean, double *sd)
{
    lf_xp_mean_sd(&LF_XP_AT(g, m, s, 0), g->nseed, 1, mean, sd);
}

double lf_xp_grid_mean(const lf_xp_grid *g, int m, int s)
{
    double mean, sd;
    lf_xp_grid_stat(g, m, s, &mean, &sd);
    return mean;
}

lf_status lf_xp_head(const lf_dataset *full, int64_t rows, lf_dataset *out)
{
    const int64_t m = rows < full->n ? rows : full->n;
    int64_t *idx = malloc((size_t)(m > 0 ? m : 1) * sizeof *idx);
    if (!idx) return lf_error(LF_ENOMEM, "experiment: out of memory");
    for (int64_t i = 0; i < m; i++) idx[i] = i;
    lf_status s = lf_dataset_subset(full, idx, m, out);
    free(idx);
    return s;
}

/* Scores the test set once, after the last epoch: per-epoch test passes would cost a third of
 * the training time and select nothing. */
typedef struct final_score {
    const lf_dataset *test;
    int epochs;
    double test_acc, train_acc;
} final_score;

static lf_status score_last(void *user, lf_model *m, const lf_norm *norm, const lf_epoch_stats *e)
{
    final_score *f = user;
    if (e->epoch < f->epochs) return LF_OK;
    f->train_acc = e->train_acc;
    if (!f->test) return LF_OK;
    return lf_evaluate(m, NULL, f->test, NULL, 0, norm, 512, &f->test_acc, NULL, NULL);
}

typedef lf_status (*epoch_hook)(void *, lf_model *, const lf_norm *, const lf_epoch_stats *);

/* lf_train on a copy of o whose epoch hook is the harness's (the caller's options keep no
 * pointer to the harness's locals). */
static lf_status train_hooked(const lf_train_opts *o, const lf_dataset *train, epoch_hook hook,
                              void *user)
{
    lf_train_opts run = *o;
    run.on_epoch = hook;
    run.user = user;
    const lf_dataset none = {0};
    lf_train_result res;
    return lf_train(&run, train, &none, &res, NULL);
}

lf_status lf_xp_train(const lf_train_opts *o, const lf_dataset *train, const lf_dataset *test,
                      double *test_acc, double *train_acc)
{
    final_score f = {test, o->epochs, NAN, NAN};
    const lf_status s = train_hooked(o, train, score_last, &f);
    if (test_acc) *test_acc = f.test_acc;
    if (train_acc) *train_acc = f.train_acc;
    return s == LF_ENUMERIC ? LF_OK : s;
}

lf_status lf_xp_subset(const lf_dataset *full, int64_t rows, uint64_t seed, lf_dataset *out)
{
    if (rows > full->n)
        return lf_error(LF_EINVAL, "experiment: %lld rows asked of a set of %lld",
                        (long long)rows, (long long)full->n);
    int64_t *perm = malloc((size_t)full->n * sizeof *perm);
    if (!perm) return lf_error(LF_ENOMEM, "experiment: out of memory");
    lf_rng rng;
    lf_rng_seed(&rng, seed);
    lf_rng_permutation(&rng, perm, full->n);
    lf_status s = lf_dataset_subset(full, perm, rows, out);
    free(perm);
    return s;
}

/* ------------------------------------------------------------------ lists */
const char *lf_xp_join(char *buf, size_t cap, const char *fmt, const double *v, int n, int stride,
                       double scale)
{
    lf_sbuf b = {0};
    for (int i = 0; i < n; i++) {
        lf_sbuf_printf(&b, "%s", i ? ", " : "");
        lf_sbuf_printf(&b, fmt, scale * v[(size_t)i * (size_t)stride]);
    }
    snprintf(buf, cap, "%s", b.p ? b.p : "");
    lf_sbuf_free(&b);
    return buf;
}

/* ------------------------------------------------------------------ training runs, grids */
typedef struct custom_score {
    lf_xp_score_fn fn;
    void *user;
    int epochs, scored;
} custom_score;

static lf_status score_custom(void *user, lf_model *m, const lf_norm *norm,
                              const lf_epoch_stats *e)
{
    custom_score *c = user;
    if (e->epoch < c->epochs) return LF_OK;
    c->scored = 1;
    return c->fn(c->user, m, norm);
}

lf_status lf_xp_train_scored(const lf_train_opts *o, const lf_dataset *train,
                             lf_xp_score_fn score, void *user)
{
    custom_score c = {score, user, o->epochs, 0};
    const lf_status s = train_hooked(o, train, score_custom, &c);
    return s == LF_ENUMERIC && !c.scored ? LF_OK : s; /* the scorer's own failures stand */
}

void lf_xp_cell_pm(lf_xp *x, const lf_xp_grid *g, int m, int s, double scale, int prec)
{
    char buf[96] = "diverged";
    if (!isnan(lf_xp_grid_mean(g, m, s)))
        lf_xp_pm(buf, sizeof buf, &LF_XP_AT(g, m, s, 0), g->nseed, 1, scale, prec);
    lf_xp_cell(x, "%s", buf);
}

lf_status lf_xp_plot_grid(lf_xp *x, const char *name, const lf_plot *p, const lf_xp_grid *g,
                          const double *xs, const char *const *labels, double scale)
{
    double *px = malloc((size_t)(g->nm + 1) * (size_t)g->ns * sizeof *px);
    lf_series *ser = malloc((size_t)g->nm * sizeof *ser);
    lf_status st = LF_OK;
    if (!px || !ser) st = lf_error(LF_ENOMEM, "%s: out of memory for %s", x->desc->name, name);
    int npts = 0, nser = 0;
    for (int s = 0; st == LF_OK && s < g->ns; s++) {
        if (isnan(xs[s])) continue;
        px[npts] = xs[s];
        for (int m = 0; m < g->nm; m++)
            px[(size_t)(m + 1) * (size_t)g->ns + (size_t)npts] = scale * lf_xp_grid_mean(g, m, s);
        npts++;
    }
    for (int m = 0; st == LF_OK && m < g->nm; m++)
        if (labels[m])
            ser[nser++] = (lf_series){.label = labels[m], .y = px + (size_t)(m + 1) * (size_t)g->ns};
    if (st == LF_OK) st = lf_xp_plot(x, name, p, px, npts, ser, nser);
    free(px);
    free(ser);
    return st;
}

lf_train_opts lf_xp_opts(const char *model, const char *optim, int epochs, int64_t batch,
                         int threads)
{
    lf_train_opts o;
    lf_train_opts_default(&o);
    o.model = model;
    o.optim = optim;
    o.epochs = epochs;
    o.batch = batch;
    o.threads = threads;
    return o;
}

/* ------------------------------------------------------------------ embedding training */
static lf_status curve_point(void *user, lf_model *m, const lf_norm *norm, int64_t step,
                             double loss)
{
    lf_xp_curve *c = user;
    if (c->n >= c->points) return LF_OK;
    const double t0 = lf_now();
    lf_status s = c->score(c->ctx, m, norm, &c->value[c->n]);
    c->seconds += lf_now() - t0;
    if (s != LF_OK) return s;
    c->step[c->n] = (double)step;
    c->loss[c->n++] = loss;
    return LF_OK;
}

/* o->model with o->seed, and the standardisation lf_train_embedding would fit. */
static lf_status untrained(const lf_embed_opts *o, const lf_dataset *train, lf_model **m,
                           lf_norm *norm)
{
    int64_t *rows = NULL, n = train->n;
    lf_status s = o->classes ? lf_rows_of_classes(train->y, train->n, o->classes, o->n_classes,
                                                  &rows, &n)
                             : LF_OK;
    if (s == LF_OK) s = lf_norm_fit(train, rows, n, norm);
    free(rows);
    if (s == LF_OK) s = lf_model_create(o->model, train->ndim, train->shape, o->dim, o->seed, m);
    return s;
}

lf_status lf_xp_embed(lf_embed_opts *o, const lf_dataset *train, lf_xp_curve *curve,
                      lf_model **m, lf_norm *norm, double *seconds)
{
    if (seconds) *seconds = 0;
    if (o->steps == 0) return untrained(o, train, m, norm);
    if (curve) {
        curve->points = curve->points < LF_XP_CURVE_MAX ? curve->points : LF_XP_CURVE_MAX;
        if (curve->points < 1) curve->points = 1;
        curve->n = 0;
        curve->seconds = 0;
        o->on_step = curve_point;
        o->every = o->steps / curve->points > 0 ? o->steps / curve->points : 1;
        o->user = curve;
    }
    lf_embed_result res;
    lf_status s = lf_train_embedding(o, train, &res, m, norm);
    if (s == LF_OK && seconds) *seconds = res.seconds - (curve ? curve->seconds : 0);
    return s;
}

/* ------------------------------------------------------------------ numbers */
double lf_xp_mean(const double *x, int n, int stride, double *sd)
{
    double mean, dev;
    lf_xp_mean_sd(x, n, stride, &mean, &dev);
    if (sd) *sd = dev;
    return mean;
}
