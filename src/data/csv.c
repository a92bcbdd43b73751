/* CSV reader: numeric fields, one integer label column, optional header; no quoting. Two passes
 * over the text (count rows, then parse into the final arrays), no allocation per field. The
 * dataset "csv" (lf_desc_data_csv) at the end. */
#include "reader.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#define SHOW 40 /* characters of a bad field quoted in a message */

typedef struct csv_ctx {
    const char *path;
    char delim;
    int64_t ncols;
    int64_t label; /* column of the label, -1 = none */
} csv_ctx;

static lf_status field(const csv_ctx *c, const char *b, const char *e, int64_t line, int64_t col,
                       float *x, int64_t *label)
{
    int len = e - b < SHOW ? (int)(e - b) : SHOW;
    long long ln = (long long)line, cn = (long long)col + 1;
    if (lf_is_blank(b, e))
        return lf_error(LF_EFORMAT, "%s:%lld:%lld: empty field", c->path, ln, cn);
    if (label) {
        if (!lf_parse_label(b, e, label))
            return lf_error(LF_EFORMAT, "%s:%lld:%lld: label '%.*s' is not an integer", c->path,
                            ln, cn, len, b);
        return LF_OK;
    }
    double v;
    if (!lf_parse_number(b, e, &v))
        return lf_error(LF_EFORMAT, "%s:%lld:%lld: not a number: '%.*s'", c->path, ln, cn, len,
                        b);
    *x = (float)v;
    if (!isfinite(*x))
        return lf_error(LF_ENUMERIC, "%s:%lld:%lld: non-finite feature '%.*s'", c->path, ln, cn,
                        len, b);
    return LF_OK;
}

static lf_status row(const csv_ctx *c, const char *b, const char *e, int64_t line, float *x,
                     int64_t *label)
{
    int64_t col = 0;
    for (const char *p = b;; col++) {
        const char *q = memchr(p, c->delim, (size_t)(e - p));
        if (!q) q = e;
        if (col == c->ncols)
            return lf_error(LF_EFORMAT, "%s:%lld:%lld: ragged row: extra column, expected %lld "
                            "columns", c->path, (long long)line, (long long)col + 1,
                            (long long)c->ncols);
        lf_status s = col == c->label ? field(c, p, q, line, col, NULL, label)
                                      : field(c, p, q, line, col, x++, NULL);
        if (s != LF_OK) return s;
        if (q == e) break;
        p = q + 1;
    }
    if (col + 1 < c->ncols)
        return lf_error(LF_EFORMAT, "%s:%lld:%lld: ragged row: %lld columns, expected %lld",
                        c->path, (long long)line, (long long)col + 2, (long long)col + 1,
                        (long long)c->ncols);
    return LF_OK;
}

/* The first data row fixes the column count and so the label column. */
static lf_status columns(csv_ctx *c, const char *b, const char *e, int label_col)
{
    c->ncols = 1;
    for (const char *p = b; (p = memchr(p, c->delim, (size_t)(e - p))); p++) c->ncols++;
    c->label = label_col == -1 ? c->ncols - 1 : label_col;
    if (label_col >= c->ncols)
        return lf_error(LF_EINVAL, "%s: label column %d out of range: the file has %lld columns",
                        c->path, label_col, (long long)c->ncols);
    if (c->ncols - (c->label >= 0) < 1)
        return lf_error(LF_EFORMAT, "%s: no feature columns", c->path);
    return LF_OK;
}

static int64_t count_rows(lf_lines it)
{
    int64_t n = 0;
    const char *b, *e;
    while (lf_lines_next(&it, &b, &e)) n += !lf_is_blank(b, e);
    return n;
}

static lf_status parse_rows(const csv_ctx *c, lf_lines it, lf_dataset *ds, int64_t *raw)
{
    const char *b, *e;
    for (int64_t i = 0; lf_lines_next(&it, &b, &e);) {
        if (lf_is_blank(b, e)) continue;
        lf_status s = row(c, b, e, it.lineno, ds->x + i * ds->d, raw ? raw + i : NULL);
        if (s != LF_OK) return s;
        i++;
    }
    return LF_OK;
}

static lf_status parse(csv_ctx *c, const char *text, size_t len, const lf_csv_opts *o,
                       lf_dataset *out, int64_t **raw)
{
    lf_lines it, start;
    const char *b, *e;
    lf_lines_init(&it, text, len);
    if (o->header) lf_lines_next(&it, &b, &e);
    do {
        start = it;
        if (!lf_lines_next(&it, &b, &e)) return lf_error(LF_EFORMAT, "%s: no data rows", c->path);
    } while (lf_is_blank(b, e));
    lf_status s = columns(c, b, e, o->label_col);
    if (s != LF_OK) return s;
    int64_t n = count_rows(start), cells;
    /* Every row needs a byte per column at least: a first row of a million delimiters over a
     * million short lines is refused here rather than allocated as a 10^12-cell table. */
    if (lf_mul_overflows(n, c->ncols, &cells) || (uint64_t)cells > (uint64_t)len)
        return lf_error(LF_EFORMAT, "%s: %lld rows of the first row's %lld columns cannot fit in "
                        "%zu bytes: ragged rows", c->path, (long long)n, (long long)c->ncols, len);
    lf_dataset ds;
    s = lf_ds_alloc(&ds, n, c->ncols - (c->label >= 0), 0, c->path);
    if (s != LF_OK) return s;
    int64_t *r = c->label >= 0 ? malloc((size_t)n * sizeof *r) : NULL;
    if (c->label >= 0 && !r) s = lf_error(LF_ENOMEM, "%s: cannot allocate %lld labels", c->path,
                                          (long long)n);
    if (s == LF_OK) s = parse_rows(c, start, &ds, r);
    if (s != LF_OK) {
        lf_dataset_release(&ds);
        free(r);
        return s;
    }
    snprintf(ds.name, sizeof ds.name, "%s", c->path);
    *out = ds;
    *raw = r;
    return LF_OK;
}

static lf_status check_opts(const char *path, const lf_csv_opts *o, char *delim)
{
    *delim = o->delim;
    if (!*delim) *delim = ',';
    if (!strchr(",;|\t ", *delim))
        return lf_error(LF_EINVAL, "%s: delimiter '%c' not supported (use , ; | tab or space)",
                        path, *delim);
    if (o->label_col < -2)
        return lf_error(LF_EINVAL, "%s: label column %d: use >= 0, -1 (last) or -2 (none)", path,
                        o->label_col);
    return LF_OK;
}

lf_status lf_csv_read_raw(const char *path, const lf_csv_opts *o, lf_dataset *out, int64_t **raw)
{
    static const lf_csv_opts defaults = {0, -1, ','};
    if (!path || !out || !raw) return lf_error(LF_EINVAL, "lf_read_csv: NULL argument");
    if (!o) o = &defaults;
    csv_ctx c = {path, ',', 0, -1};
    lf_status s = check_opts(path, o, &c.delim);
    unsigned char *text = NULL;
    size_t len = 0;
    if (s == LF_OK) s = lf_read_file(path, 1, &text, &len);
    if (s != LF_OK) return s;
    lf_c_numeric loc;
    lf_c_numeric_begin(&loc);
    s = parse(&c, (const char *)text, len, o, out, raw);
    lf_c_numeric_end(&loc);
    free(text);
    return s;
}

lf_status lf_read_csv(const char *path, const lf_csv_opts *o, lf_dataset *out)
{
    lf_dataset ds;
    int64_t *raw;
    lf_status s = lf_csv_read_raw(path, o, &ds, &raw);
    return s == LF_OK ? lf_ds_finish(&ds, raw, out) : s;
}

/* ------------------------------------------------------------------ dataset "csv" */
typedef struct csv_cfg {
    char train[LF_STR_MAX];
    char test[LF_STR_MAX];
    int64_t label;
    int header;
} csv_cfg;

static lf_status csv_raw(const char *path, const void *opts, lf_dataset *out, int64_t **raw)
{
    return lf_csv_read_raw(path, opts, out, raw);
}

static lf_status csv_load(const void *cfg, lf_dataset *train, lf_dataset *test)
{
    const csv_cfg *c = cfg;
    lf_csv_opts o = {c->header, (int)c->label, ','};
    lf_status s = lf_ds_need_train("csv", c->train);
    return s != LF_OK ? s : lf_ds_load_pair(csv_raw, &o, c->train, c->test, train, test);
}

static const lf_param_desc csv_params[] = {
    LF_PARAM_STR("train", "", "training file (required; .gz accepted)", csv_cfg, train),
    LF_PARAM_STR("test", "", "test file (optional)", csv_cfg, test),
    LF_PARAM_INT("label", -1, -1, 1e6, "label column, 0-based (-1 = last)", csv_cfg, label),
    LF_PARAM_BOOL("header", 0, "first line is a header", csv_cfg, header),
};
static const lf_dataset_vt csv_vt = {csv_load};
const lf_desc lf_desc_data_csv = {
    LF_KIND_DATASET, "csv", "numeric CSV files with one integer label column", NULL, csv_params,
    LF_NPARAMS(csv_params), sizeof(csv_cfg), &csv_vt};
