/* lossforge compare DIR1 DIR2 ...: the final metrics of finished train runs side by side, and
 * one SVG overlaying their curves. Reads each run's result.json (written last, so its presence
 * means the run finished) and metrics.jsonl. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "internal.h"

/* Two curves per run in one plot (loss, accuracy), and the plot's palette has 6 colours. */
#define MAX_RUNS 6

typedef struct run {
    const char *dir;
    cJSON *res;          /* result.json */
    lf_epoch_stats *ep;  /* metrics.jsonl, epoch i + 1 at i */
    int n;
    char label[200];
} run;

/* The keys of a metrics.jsonl line, in the order of metric_field. */
static const char *const metric_keys[] = {"train_loss", "train_acc", "val_loss", "val_acc",
                                          "test_loss",  "test_acc",  "lr",       "seconds",
                                          "samples_per_s"};
enum { N_METRIC_KEYS = (int)(sizeof metric_keys / sizeof metric_keys[0]) };

static double *metric_field(lf_epoch_stats *e, int k)
{
    double *const f[N_METRIC_KEYS] = {&e->train_loss, &e->train_acc, &e->val_loss,
                                      &e->val_acc,    &e->test_loss, &e->test_acc,
                                      &e->lr,         &e->seconds,   &e->samples_per_s};
    return f[k];
}

static double num_or_nan(const cJSON *v) { return cJSON_IsNumber(v) ? v->valuedouble : NAN; }

static const char *res_str(const run *r, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->res, key));
    return s ? s : "";
}

static double res_num(const run *r, const char *key)
{
    return num_or_nan(cJSON_GetObjectItemCaseSensitive(r->res, key));
}

/* DIR/name into buf; the whole file into *data (NUL-terminated). A missing file fails with
 * `missing` appended to the message. */
static int read_run_file(const char *dir, const char *name, const char *missing, char *path,
                         size_t cap, unsigned char **data, size_t *n)
{
    snprintf(path, cap, "%s/%s", dir, name);
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT)
        return cli_fail("%s: no %s in this directory%s", dir, name, missing);
    return lf_read_file(path, 0, data, n) == LF_OK ? CLI_OK : cli_fail_status();
}

static int read_result(run *r)
{
    char path[4200];
    unsigned char *buf;
    size_t n;
    int rc = read_run_file(r->dir, "result.json", " (lossforge train writes it when a "
                           "classifier run finishes: an unfinished run, an embedding or episodic "
                           "run, or no run at all?)",
                           path, sizeof path, &buf, &n);
    if (rc != CLI_OK) return rc;
    r->res = cJSON_ParseWithLength((const char *)buf, n);
    if (!r->res || !cJSON_IsObject(r->res)) {
        long at = r->res ? -1 : (long)(cJSON_GetErrorPtr() - (const char *)buf);
        free(buf);
        if (at >= 0)
            return cli_fail("%s: not valid JSON (error at byte %ld of %zu: a torn or hand-edited "
                            "file?)", path, at, n);
        return cli_fail("%s: not a JSON object (a torn or hand-edited file?)", path);
    }
    free(buf);
    static const char *const need[] = {"loss", "optim", "epochs", "seconds"};
    for (int i = 0; i < 4; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->res, need[i]);
        if (i < 2 ? !cJSON_IsString(v) : !cJSON_IsNumber(v))
            return cli_fail("%s: \"%s\" is missing or not a %s (not a lossforge train result?)",
                            path, need[i], i < 2 ? "string" : "number");
    }
    double epochs = res_num(r, "epochs");
    if (!(epochs >= 1 && epochs <= CLI_INT_MAX && epochs == floor(epochs)))
        return cli_fail("%s: \"epochs\" is %g, not a whole number of at least 1", path, epochs);
    return CLI_OK;
}

/* One metrics.jsonl line (its text at s, n bytes) into e: every key present, each a number or
 * null, the epoch the line's number. */
static int parse_epoch(const char *path, int line, const char *s, size_t n, lf_epoch_stats *e)
{
    cJSON *o = cJSON_ParseWithLength(s, n);
    int rc = CLI_OK;
    const cJSON *ep = cJSON_GetObjectItemCaseSensitive(o, "epoch");
    if (!cJSON_IsObject(o))
        rc = cli_fail("%s line %d: not a JSON object (a torn or corrupt file?)", path, line);
    else if (!cJSON_IsNumber(ep) || ep->valuedouble != line)
        rc = cli_fail("%s line %d: \"epoch\" is not %d (lines must be epochs 1, 2, ... in order)",
                      path, line, line);
    for (int k = 0; rc == CLI_OK && k < N_METRIC_KEYS; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, metric_keys[k]);
        if (!cJSON_IsNumber(v) && !cJSON_IsNull(v))
            rc = cli_fail("%s line %d: \"%s\" is missing or not a number or null", path, line,
                          metric_keys[k]);
        else *metric_field(e, k) = num_or_nan(v);
    }
    e->epoch = line;
    cJSON_Delete(o);
    return rc;
}

static int read_metrics(run *r)
{
    char path[4200];
    unsigned char *buf;
    size_t n;
    int rc = read_run_file(r->dir, "metrics.jsonl", " (result.json is there: a run whose "
                           "metrics were removed?)", path, sizeof path, &buf, &n);
    if (rc != CLI_OK) return rc;
    const char *s = (const char *)buf, *end = s + n;
    int64_t lines = 0;
    for (const char *p = s; p < end; p++) lines += *p == '\n';
    if (n && end[-1] != '\n') rc = cli_fail("%s line %lld: cut short (no newline at its end: a "
                                            "torn write?)", path, (long long)lines + 1);
    const int want = (int)res_num(r, "epochs"); /* read_result checked it is in [1, INT_MAX] */
    if (rc == CLI_OK && lines != want)
        rc = cli_fail("%s: %lld epochs, but result.json says %d", path, (long long)lines, want);
    r->ep = rc == CLI_OK ? calloc((size_t)want, sizeof *r->ep) : NULL;
    if (rc == CLI_OK && !r->ep) rc = cli_fail("out of memory");
    for (int i = 0; rc == CLI_OK && i < want; i++) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        rc = parse_epoch(path, i + 1, s, (size_t)(nl - s), &r->ep[i]);
        s = nl + 1;
    }
    r->n = rc == CLI_OK ? want : 0;
    free(buf);
    return rc;
}

/* What a run measured: validation, test. Runs compared must agree on it and on their data. */
static int measured(const run *r, int val)
{
    const lf_epoch_stats *e = &r->ep[r->n - 1];
    return !isnan(val ? e->val_acc : e->test_acc);
}

static int check_alike(const run *a, const run *b)
{
    const char *da = res_str(a, "data"), *db = res_str(b, "data");
    if (*da && *db && strcmp(da, db) != 0)
        return cli_fail("%s/result.json and %s/result.json: trained on different data (\"%s\" and "
                        "\"%s\"); compare runs on the same dataset", a->dir, b->dir, da, db);
    for (int val = 1; val >= 0; val--)
        if (measured(a, val) != measured(b, val)) {
            const run *has = measured(a, val) ? a : b, *lacks = has == a ? b : a;
            return cli_fail("%s/metrics.jsonl has %s metrics, %s/metrics.jsonl has none; "
                            "compare runs with the same %s", has->dir, val ? "validation" : "test",
                            lacks->dir, val ? "--val-split" : "test split");
        }
    return CLI_OK;
}

/* ------------------------------------------------------------------ labels */
/* A spec's value shortened: a number as %g (canonical specs carry %.17g), else as is. */
static void short_value(const char *v, size_t n, char *out, size_t cap)
{
    char tmp[128], *end;
    snprintf(tmp, sizeof tmp, "%.*s", (int)n, v);
    double x = strtod(tmp, &end);
    if (n && n < sizeof tmp && !*end) snprintf(out, cap, "%g", x);
    else snprintf(out, cap, "%s", tmp);
}

/* The value of key in spec "name:k=v,k=v" (length into *n), or NULL. */
static const char *spec_value(const char *spec, const char *key, size_t *n)
{
    const char *p = strchr(spec, ':');
    size_t klen = strlen(key);
    while (p) {
        p++;
        if (!strncmp(p, key, klen) && p[klen] == '=') {
            *n = strcspn(p + klen + 1, ",");
            return p + klen + 1;
        }
        p = strchr(p, ',');
    }
    return NULL;
}

static int same_name(const char *a, const char *b)
{
    size_t na = strcspn(a, ":"), nb = strcspn(b, ":");
    return na == nb && !strncmp(a, b, na);
}

static void append(char *label, size_t cap, const char *text, size_t n)
{
    size_t len = strlen(label);
    snprintf(label + len, cap - len, "%s%.*s", len ? " " : "", (int)n, text);
}

/* Adds to runs[i]'s label what tells it apart in field `key` (a spec): the spec's name, and the
 * parameters whose values differ from another run's spec of the same name. */
static void label_field(run *runs, int nruns, int i, const char *key)
{
    const char *mine = res_str(&runs[i], key);
    int differs = 0;
    for (int j = 0; j < nruns; j++) differs |= strcmp(res_str(&runs[j], key), mine) != 0;
    if (!differs) return;
    append(runs[i].label, sizeof runs[i].label, mine, strcspn(mine, ":"));
    for (const char *p = strchr(mine, ':'); p; p = strchr(p, ',')) {
        p++;
        size_t klen = strcspn(p, "=,");
        if (p[klen] != '=') continue; /* a positional value (mlp:256,256) */
        char k[64];
        snprintf(k, sizeof k, "%.*s", (int)klen, p);
        const char *v = p + klen + 1;
        size_t vlen = strcspn(v, ",");
        int varies = 0;
        for (int j = 0; j < nruns; j++) {
            const char *theirs = res_str(&runs[j], key);
            size_t tn = 0;
            const char *tv = same_name(theirs, mine) ? spec_value(theirs, k, &tn) : v;
            varies |= !tv || (tv != v && (tn != vlen || strncmp(tv, v, vlen) != 0));
        }
        if (!varies) continue;
        char val[128], kv[200];
        short_value(v, vlen, val, sizeof val);
        snprintf(kv, sizeof kv, "%s=%s", k, val);
        append(runs[i].label, sizeof runs[i].label, kv, strlen(kv));
    }
}

/* Each run is named by what sets it apart (loss, optimizer, model, schedule, seed), else by its
 * directory; labels that still clash get the directory too. */
static void make_labels(run *runs, int nruns)
{
    static const char *const fields[] = {"loss", "optim", "model", "schedule"};
    for (int i = 0; i < nruns; i++) {
        for (int f = 0; f < 4; f++) label_field(runs, nruns, i, fields[f]);
        int seeds_differ = 0;
        for (int j = 0; j < nruns; j++) seeds_differ |= res_num(&runs[j], "seed") != res_num(&runs[i], "seed");
        char seed[40];
        snprintf(seed, sizeof seed, "seed=%.0f", res_num(&runs[i], "seed"));
        if (seeds_differ) append(runs[i].label, sizeof runs[i].label, seed, strlen(seed));
    }
    for (int i = 0; i < nruns; i++) {
        int clash = !runs[i].label[0];
        for (int j = 0; j < nruns; j++) clash |= j != i && !strcmp(runs[i].label, runs[j].label);
        if (!clash) continue;
        char dir[200];
        snprintf(dir, sizeof dir, "%s%s(%s)", runs[i].label, runs[i].label[0] ? " " : "", runs[i].dir);
        snprintf(runs[i].label, sizeof runs[i].label, "%s", dir);
    }
}

/* ------------------------------------------------------------------ table */
/* One table row: its name and each run's value as text. */
typedef void (*cell_fn)(const run *r, char *buf, size_t cap);

static void pct(double v, char *buf, size_t cap)
{
    if (isnan(v)) snprintf(buf, cap, "-");
    else snprintf(buf, cap, "%.2f%%", 100 * v);
}

static void fixed4(double v, char *buf, size_t cap)
{
    if (isnan(v)) snprintf(buf, cap, "-");
    else snprintf(buf, cap, "%.4f", v);
}

static const lf_epoch_stats *last(const run *r) { return &r->ep[r->n - 1]; }
static void c_dir(const run *r, char *b, size_t n) { snprintf(b, n, "%s", r->dir); }
static void c_seed(const run *r, char *b, size_t n) { snprintf(b, n, "%.0f", res_num(r, "seed")); }
static void c_epochs(const run *r, char *b, size_t n) { snprintf(b, n, "%.0f", res_num(r, "epochs")); }
static void c_tloss(const run *r, char *b, size_t n) { fixed4(last(r)->train_loss, b, n); }
static void c_tacc(const run *r, char *b, size_t n) { pct(last(r)->train_acc, b, n); }
static void c_vloss(const run *r, char *b, size_t n) { fixed4(last(r)->val_loss, b, n); }
static void c_vacc(const run *r, char *b, size_t n) { pct(last(r)->val_acc, b, n); }
static void c_xloss(const run *r, char *b, size_t n) { fixed4(res_num(r, "test_loss"), b, n); }
static void c_xacc(const run *r, char *b, size_t n) { pct(res_num(r, "test_acc"), b, n); }
static void c_wall(const run *r, char *b, size_t n) { snprintf(b, n, "%.2f s", res_num(r, "seconds")); }
static void c_rate(const run *r, char *b, size_t n) { snprintf(b, n, "%.0f", last(r)->samples_per_s); }

static void print_table(const run *runs, int nruns)
{
    const int val = measured(&runs[0], 1), test = measured(&runs[0], 0);
    const struct {
        const char *name;
        cell_fn fn;
        int shown;
    } rows[] = {
        {"directory", c_dir, 1},          {"seed", c_seed, 1},
        {"epochs", c_epochs, 1},
        {"final train loss", c_tloss, 1}, {"final train acc", c_tacc, 1},
        {"final val loss", c_vloss, val}, {"final val acc", c_vacc, val},
        {"test loss", c_xloss, test},     {"test accuracy", c_xacc, test},
        {"wall time", c_wall, 1},         {"samples/s (last epoch)", c_rate, 1},
    };
    const int nrows = (int)(sizeof rows / sizeof rows[0]);
    int width[MAX_RUNS];
    char cell[512];
    for (int i = 0; i < nruns; i++) {
        width[i] = (int)strlen(runs[i].label);
        for (int k = 0; k < nrows; k++) {
            rows[k].fn(&runs[i], cell, sizeof cell);
            if ((int)strlen(cell) > width[i]) width[i] = (int)strlen(cell);
        }
    }
    printf("%-24s", "");
    for (int i = 0; i < nruns; i++) printf("  %-*s", i + 1 < nruns ? width[i] : 0, runs[i].label);
    printf("\n");
    for (int k = 0; k < nrows; k++) {
        if (!rows[k].shown) continue;
        printf("%-24s", rows[k].name);
        for (int i = 0; i < nruns; i++) {
            rows[k].fn(&runs[i], cell, sizeof cell);
            printf("  %-*s", i + 1 < nruns ? width[i] : 0, cell);
        }
        printf("\n");
    }
    /* The specs in full below the table: canonical specs are too long for its columns. */
    for (int i = 0; i < nruns; i++)
        printf("%s: model %s; loss %s; optim %s; schedule %s\n", runs[i].label,
               res_str(&runs[i], "model"), res_str(&runs[i], "loss"), res_str(&runs[i], "optim"),
               res_str(&runs[i], "schedule"));
}

/* ------------------------------------------------------------------ plot */
/* Left: each run's training loss (its own loss function: scales differ across losses); right:
 * the accuracy the runs share, test before validation before training. */
static int write_plot(const run *runs, int nruns, const char *path)
{
    int npts = 0;
    for (int i = 0; i < nruns; i++) npts = runs[i].n > npts ? runs[i].n : npts;
    const int val = measured(&runs[0], 1), test = measured(&runs[0], 0);
    double *x = malloc((size_t)npts * (1 + 2 * (size_t)nruns) * sizeof *x);
    if (!x) return cli_fail("out of memory");
    lf_series s[2 * MAX_RUNS];
    for (int p = 0; p < npts; p++) x[p] = p + 1;
    for (int i = 0; i < nruns; i++) {
        double *loss = x + (size_t)npts * (1 + 2 * (size_t)i), *acc = loss + npts;
        for (int p = 0; p < npts; p++) {
            const lf_epoch_stats *e = p < runs[i].n ? &runs[i].ep[p] : NULL;
            loss[p] = e ? e->train_loss : NAN; /* a shorter run's line ends at its last epoch */
            acc[p] = !e ? NAN : 100 * (test ? e->test_acc : val ? e->val_acc : e->train_acc);
        }
        s[2 * i] = (lf_series){runs[i].label, loss, 0, i + 1};
        s[2 * i + 1] = (lf_series){runs[i].label, acc, 1, i + 1};
    }
    char title[1400] = "compare:";
    for (int i = 0; i < nruns; i++)
        snprintf(title + strlen(title), sizeof title - strlen(title), "%s %s", i ? " |" : "",
                 runs[i].label);
    const char *acc_name = test ? "test accuracy" : val ? "validation accuracy" : "train accuracy";
    const lf_plot texts = {title, "epoch", {"train loss (each run's own loss)", acc_name},
                           {"loss", "accuracy (%)"}, {0, 0}};
    lf_status st = lf_plot_svg(path, &texts, x, npts, s, 2 * nruns);
    free(x);
    return st == LF_OK ? CLI_OK : cli_fail_status();
}

/* ------------------------------------------------------------------ verb */
/* Splits argv into the run directories and the options cli_parse reads (argv[0] first). */
static int split_args(int argc, char **argv, const char **dirs, int *ndirs, char **opts,
                      int *nopts)
{
    *ndirs = 0;
    *nopts = 1;
    opts[0] = argv[0];
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1]) {
            opts[(*nopts)++] = argv[i];
            if (!strcmp(argv[i], "--out") && i + 1 < argc) opts[(*nopts)++] = argv[++i];
            continue;
        }
        if (*ndirs == MAX_RUNS) {
            fprintf(stderr, "lossforge compare: error: at most %d runs at a time (one colour "
                            "each in the plot)\n", MAX_RUNS);
            return CLI_USAGE;
        }
        dirs[(*ndirs)++] = argv[i];
    }
    return CLI_OK;
}

static int compare(run *runs, int nruns, const char *out)
{
    int rc = CLI_OK;
    for (int i = 0; rc == CLI_OK && i < nruns; i++) {
        struct stat st;
        if (stat(runs[i].dir, &st) != 0)
            rc = cli_fail("%s: cannot open: %s", runs[i].dir, strerror(errno));
        else if (!S_ISDIR(st.st_mode))
            rc = cli_fail("%s: not a directory (give the --out directory of a lossforge train "
                          "run)", runs[i].dir);
        if (rc == CLI_OK) rc = read_result(&runs[i]);
        if (rc == CLI_OK) rc = read_metrics(&runs[i]);
        if (rc == CLI_OK && i > 0) rc = check_alike(&runs[0], &runs[i]);
    }
    if (rc != CLI_OK) return rc;
    make_labels(runs, nruns);
    print_table(runs, nruns);
    rc = write_plot(runs, nruns, out);
    if (rc == CLI_OK) printf("wrote %s\n", out);
    return rc;
}

int cmd_compare(int argc, char **argv)
{
    const char *out = "compare.svg";
    const cli_opt opts[] = {
        {"out", OPT_STR, &out, "SVG overlaying the runs' curves (default compare.svg)", CLI_ANY},
    };
    const char *dirs[MAX_RUNS];
    char **oargv = malloc((size_t)argc * sizeof *oargv);
    int ndirs, nopts;
    if (!oargv) return cli_fail("out of memory");
    int rc = split_args(argc, argv, dirs, &ndirs, oargv, &nopts);
    if (rc == CLI_OK)
        rc = cli_parse("compare", "Compare finished train runs: usage lossforge compare DIR1 DIR2 "
                                  "... [--out FILE.svg]. Prints their final metrics side by side "
                                  "and writes one SVG overlaying their loss and accuracy curves.",
                       nopts, oargv, opts, 1);
    free(oargv);
    if (rc != CLI_OK) return rc == CLI_HELP ? CLI_OK : rc;
    if (ndirs < 2) {
        fprintf(stderr, "lossforge compare: error: give at least two run directories "
                        "(lossforge compare DIR1 DIR2 ...)\n");
        return CLI_USAGE;
    }
    run runs[MAX_RUNS] = {{0}};
    for (int i = 0; i < ndirs; i++) runs[i].dir = dirs[i];
    rc = compare(runs, ndirs, out);
    for (int i = 0; i < ndirs; i++) {
        cJSON_Delete(runs[i].res);
        free(runs[i].ep);
    }
    return rc;
}
