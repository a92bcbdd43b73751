/* The experiment harness of `lossforge repro`: what every experiment would otherwise repeat.
 *
 * An experiment is one lf_desc of kind LF_KIND_REPRO whose impl is an lf_xp_vt; it computes,
 * then writes its report through an lf_xp: lines and tables (each table also goes to a TSV
 * file), plots, per-run dumps. The harness owns the rest: the title, the "Command:" line with
 * the spec as given and the wall and CPU time, the quick-vs-full choice, the progress bar,
 * mean ± sd over seeds, random row subsets, and writing every file atomically, README.md last
 * and only when the run succeeded. Experiments live above the library (this folder builds as
 * its own target, like cli/), so none of this is in the public API. */
#ifndef LF_XP_H
#define LF_XP_H

#include "internal.h"

typedef struct lf_xp {
    const lf_desc *desc;
    const char *dir; /* where README.md, tables, plots and dumps go */
    int quick;       /* the CI-sized variant */
    /* private to xp.c */
    char command[512];
    double t0, cpu0;
    lf_sbuf body, tsv;
    char tsv_name[128];
    int in_table, header_pending;
    lf_sbuf row; /* the row lf_xp_cell is building */
    lf_progress bar;
    int64_t done;
    lf_status err; /* the first failure of a write whose caller cannot return one */
} lf_xp;

typedef struct lf_xp_grid lf_xp_grid;

typedef struct lf_xp_vt {
    const char *title; /* the report's heading */
    lf_status (*run)(const void *cfg, lf_xp *x);
} lf_xp_vt;

/* The one list of experiments (same rules as LF_REGISTRY). */
#define LF_XP_REGISTRY(X) \
    X(compsum_noise) \
    X(anyloss_imbalance) \
    X(ensloss) \
    X(sgld_ensemble) \
    X(oomd_sea) \
    X(lion_box) \
    X(lion_vs_adamw) \
    X(ms_recall) \
    X(fewshot) \
    X(dcc) \
    X(compsum_adv) \
    /* end of list */

#define LF_XP_DECLARE(id) extern const lf_desc lf_xp_##id;
LF_XP_REGISTRY(LF_XP_DECLARE)
#undef LF_XP_DECLARE

/* Defines the experiment lf_xp_<id> (declared by LF_XP_REGISTRY) once: its name, paper key,
 * one-line doc, the report's title, the config type its parameter table fills, and its run
 * function. */
#define LF_XP_DEFINE(id, name_, paper_, doc_, title_, cfg_type, params_, run_)                    \
    static const lf_xp_vt lf_xp_vt_##id = {.title = title_, .run = run_};                       \
    const lf_desc lf_xp_##id = {.kind = LF_KIND_REPRO, .name = name_, .doc = doc_,               \
                                .paper = paper_, .params = params_,                             \
                                .nparams = LF_NPARAMS(params_), .cfg_size = sizeof(cfg_type),  \
                                .impl = &lf_xp_vt_##id}

int lf_xp_count(void);
const lf_desc *lf_xp_at(int i);
/* Unknown names fail with LF_ENOTFOUND listing the known experiments. */
lf_status lf_xp_find(const char *name, const lf_desc **out);

/* Parses spec ("name[:key=value,...]"), runs the experiment and writes its report to out_dir
 * (NULL: docs/results/NAME). */
lf_status lf_xp_run(const char *spec, int quick, const char *out_dir);

/* The full value, or the CI-sized one under --quick. */
#define LF_XP_PICK(x, full, quick_value) ((x)->quick ? (quick_value) : (full))

/* ------------------------------------------------------------------ the report */
/* One markdown line (echoed to stdout when the report is written). Ends an open table. */
void lf_xp_line(lf_xp *x, const char *fmt, ...) LF_PRINTF(2, 3);
/* A blank line, a "## heading" and a blank line. */
void lf_xp_section(lf_xp *x, const char *fmt, ...) LF_PRINTF(2, 3);
/* Starts a table: the header row ("| a | b |"), the separator row, and <tsv>.tsv with the
 * same cells tab-separated (tsv: a file name without extension, unique in the experiment). */
void lf_xp_table(lf_xp *x, const char *tsv, const char *fmt, ...) LF_PRINTF(3, 4);
/* One row of the open table ("| x | 1.00 |"); its cells also go to the TSV. */
void lf_xp_row(lf_xp *x, const char *fmt, ...) LF_PRINTF(2, 3);
/* Tables whose columns come from a loop: lf_xp_table_cells opens one whose header is the
 * first row built; lf_xp_cell adds a cell to the row being built, lf_xp_end_row ends it. */
void lf_xp_table_cells(lf_xp *x, const char *tsv);
void lf_xp_cell(lf_xp *x, const char *fmt, ...) LF_PRINTF(2, 3);
void lf_xp_end_row(lf_xp *x);
/* A table cell of grid cell (m, s): "mean ± sd" over the seeds (lf_xp_pm), or "diverged" when a
 * seed's value is NaN (lf_xp_train's mark of a run whose loss turned non-finite). */
void lf_xp_cell_pm(lf_xp *x, const lf_xp_grid *g, int m, int s, double scale, int prec);
/* A claim and its verdict: "- **claim** (detail): verdict." */
void lf_xp_claim(lf_xp *x, const char *claim, const char *verdict, const char *fmt, ...)
    LF_PRINTF(4, 5);
/* "reproduced" when hits == total > 0, "partly reproduced" when 0 < hits, else "not
 * reproduced". */
const char *lf_xp_verdict(int hits, int total);

/* ------------------------------------------------------------------ files */
/* <dir>/<name>. */
void lf_xp_path(const lf_xp *x, const char *name, char *path, size_t cap);
/* A plot in <dir>/<name> (lf_plot_svg). */
lf_status lf_xp_plot(lf_xp *x, const char *name, const lf_plot *p, const double *xs, int npts,
                     const lf_series *s, int nseries);
/* A plot (lf_xp_plot) of the means over seeds of g's cells times scale against xs[s]: one series
 * per method m whose labels[m] is not NULL, one point per setting s whose xs[s] is not NaN. */
lf_status lf_xp_plot_grid(lf_xp *x, const char *name, const lf_plot *p, const lf_xp_grid *g,
                          const double *xs, const char *const *labels, double scale);

/* A whole text file in <dir>/<name>, written atomically; frees b. */
lf_status lf_xp_write(lf_xp *x, const char *name, lf_sbuf *b);

/* ------------------------------------------------------------------ running */
/* A progress bar over `total` units of work; lf_xp_tick adds one and says what finished. */
void lf_xp_progress(lf_xp *x, int64_t total);
void lf_xp_tick(lf_xp *x, const char *fmt, ...) LF_PRINTF(2, 3);

/* ------------------------------------------------------------------ numbers */
/* Mean and sample standard deviation (n - 1; 0 for n = 1) of x[0], x[stride], ... x[(n-1)
 * stride]. NaN in, NaN out. */
void lf_xp_mean_sd(const double *x, int n, int stride, double *mean, double *sd);
/* The mean of x[0], x[stride], ... x[(n-1) stride] as lf_xp_mean_sd computes it, and the
 * standard deviation in *sd unless sd is NULL. */
double lf_xp_mean(const double *x, int n, int stride, double *sd);
/* "m ± s" of x (n values, stride) scaled by `scale`, with `prec` decimals; "—" for n = 0. */
void lf_xp_pm(char *buf, size_t cap, const double *x, int n, int stride, double scale, int prec);
/* "a, b, c": scale * v[0], v[stride], ... v[(n-1) stride], each printed with fmt (one double
 * conversion), into buf (truncated to cap; "" for n = 0); returns buf. */
const char *lf_xp_join(char *buf, size_t cap, const char *fmt, const double *v, int n, int stride,
                       double scale);

/* Results indexed [method][setting][seed], NaN until set. */
struct lf_xp_grid {
    int nm, ns, nseed;
    double *v;
};
lf_status lf_xp_grid_init(lf_xp_grid *g, int nm, int ns, int nseed);
void lf_xp_grid_free(lf_xp_grid *g);
#define LF_XP_AT(g, m, s, seed) ((g)->v[((int64_t)(m) * (g)->ns + (s)) * (g)->nseed + (seed)])
/* Mean ± sd over the seeds of cell (m, s). */
void lf_xp_grid_stat(const lf_xp_grid *g, int m, int s, double *mean, double *sd);
/* The mean alone. */
double lf_xp_grid_mean(const lf_xp_grid *g, int m, int s);

/* Paired two-sided t-test at 5% of a[i*stride] - b[i*stride], i < n (2 <= n <=
 * LF_XP_TTEST_MAX): +1 when a is significantly larger, -1 when smaller, 0 when tied. */
#define LF_XP_TTEST_MAX 30
int lf_xp_ttest(const double *a, const double *b, int n, int stride);

/* rows rows of full drawn without replacement by a permutation seeded with seed (in the
 * permutation's order). */
lf_status lf_xp_subset(const lf_dataset *full, int64_t rows, uint64_t seed, lf_dataset *out);
/* The first rows rows of full (all of them when rows >= full->n). */
lf_status lf_xp_head(const lf_dataset *full, int64_t rows, lf_dataset *out);

/* ------------------------------------------------------------------ training runs */
/* lf_train_opts_default with the fields nearly every run sets; set loss, seed and the rest
 * after. */
lf_train_opts lf_xp_opts(const char *model, const char *optim, int epochs, int64_t batch,
                         int threads);

/* One training run scored once, after its last epoch: the accuracy on test (NaN when test is
 * NULL) and on the training labels as trained (NaN when absent). A run whose loss turns
 * non-finite scores NaN instead of failing (lf_train_opts.on_nan = stop). The run's epoch
 * hook is the harness's (o->on_epoch and o->user are not used). */
lf_status lf_xp_train(const lf_train_opts *o, const lf_dataset *train, const lf_dataset *test,
                      double *test_acc, double *train_acc);
/* lf_xp_train with a score of the caller's choosing: score(user, model, norm) runs once, after
 * the last epoch, with the trained model and its input standardisation (e.g. an attack sweep,
 * a retrieval metric). A run whose loss turns non-finite is not scored and returns LF_OK, so
 * the caller's NaN stands for it, as with lf_xp_train; the epoch hook is the harness's. */
typedef lf_status (*lf_xp_score_fn)(void *user, lf_model *m, const lf_norm *norm);
lf_status lf_xp_train_scored(const lf_train_opts *o, const lf_dataset *train,
                             lf_xp_score_fn score, void *user);

/* A curve along embedding training: at most `points` (<= LF_XP_CURVE_MAX) points, one every
 * steps / points steps; at each, the step, the mean batch loss since the last point, and what
 * score says of the model so far. seconds: the time spent in score. */
#define LF_XP_CURVE_MAX 32
typedef struct lf_xp_curve {
    lf_status (*score)(const void *ctx, lf_model *m, const lf_norm *norm, double *value);
    const void *ctx;
    int points, n;
    double step[LF_XP_CURVE_MAX], loss[LF_XP_CURVE_MAX], value[LF_XP_CURVE_MAX], seconds;
} lf_xp_curve;

/* The embedding training of the metric- and few-shot-learning experiments: lf_train_embedding
 * of o on train, recording curve (may be NULL; else o->on_step, every and user are the
 * harness's). o->steps == 0: the untrained network, o->model initialised with o->seed and
 * standardised as training would be (on the rows of o->classes). *m and *norm receive the model
 * and its standardisation, which the caller frees (also on failure: start from NULL and {0});
 * seconds (may be NULL): the training time less the curve's scoring, 0 untrained. */
lf_status lf_xp_embed(lf_embed_opts *o, const lf_dataset *train, lf_xp_curve *curve,
                      lf_model **m, lf_norm *norm, double *seconds);

/* ------------------------------------------------------------------ parameter rows */
/* The rows most experiments share, so their ranges and wording agree. */
#define LF_XP_SEEDS(type, field, def, max)                                                     \
    LF_PARAM_INT("seeds", def, 1, max, "independent runs (seeds 1..seeds)", type, field)
#define LF_XP_SEED(type, field, def)                                                           \
    LF_PARAM_INT("seed", def, 0, 1e15, "seed of the data, initialisation and order", type, field)
#define LF_XP_THREADS(type, field)                                                             \
    LF_PARAM_INT("threads", 1, 0, 256,                                                         \
                 "threads per run (1: small GEMMs gain nothing from more; 0: all cores)",     \
                 type, field)
#define LF_XP_MODEL(type, field, def) LF_PARAM_STR("model", def, "model spec", type, field)
#define LF_XP_OPTIM(type, field, def) LF_PARAM_STR("optim", def, "optimizer spec", type, field)

#endif
