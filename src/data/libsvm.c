/* LIBSVM / SVMlight text: "label idx:val idx:val ... # comment", 1-based ascending indices.
 * Pass 1 checks the structure and finds the rows and the largest index; pass 2 parses labels
 * and values straight into the dense arrays. The dataset "libsvm" (lf_desc_data_libsvm) at the
 * end. */
#include "reader.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#define SHOW 40
#define MAX_INDEX INT32_MAX
/* Without features=, the dense table may hold at most this many cells per byte of the file (and
 * always 2^24): a 20-byte file naming feature 10^9 must not become a 4 GB allocation. A real
 * sparse file past it (density below ~1/512) states its width with features=. */
#define AUTO_CELLS_PER_BYTE 64
#define AUTO_CELLS_MIN ((int64_t)1 << 24)

typedef struct svm_ctx {
    const char *path;
    int64_t features; /* 0 = the largest index seen */
    int64_t limit;    /* largest index allowed */
    int64_t max_index;
} svm_ctx;

static int blank(char c) { return c == ' ' || c == '\t'; }

static const char *token_end(const char *p, const char *e)
{
    while (p < e && !blank(*p)) p++;
    return p;
}

static lf_status bad_token(const svm_ctx *c, int64_t line, const char *b, const char *e,
                           const char *why)
{
    int len = e - b < SHOW ? (int)(e - b) : SHOW;
    return lf_error(LF_EFORMAT, "%s:%lld: %s: '%.*s'", c->path, (long long)line, why, len, b);
}

/* Digits only: no sign, no blanks, no overflow past MAX_INDEX. */
static int parse_index(const char *b, const char *e, int64_t *idx)
{
    int64_t v = 0;
    if (b == e) return 0;
    for (; b < e; b++) {
        if (*b < '0' || *b > '9') return 0;
        v = v * 10 + (*b - '0');
        if (v > MAX_INDEX) return 0;
    }
    *idx = v;
    return 1;
}

/* One "idx:val" token; with x != NULL (pass 2) the value is parsed and stored at x[idx-1]. */
static lf_status feature(svm_ctx *c, int64_t line, const char *b, const char *e, int64_t *prev,
                         float *x)
{
    const char *colon = memchr(b, ':', (size_t)(e - b));
    int64_t idx;
    if (!colon || !parse_index(b, colon, &idx) || idx < 1)
        return bad_token(c, line, b, e, "expected index:value with an index in 1..2147483647");
    if (idx <= *prev) return bad_token(c, line, b, e, "feature indices must be ascending");
    if (idx > c->limit)
        return lf_error(LF_EFORMAT, "%s:%lld: feature index %lld exceeds features=%lld", c->path,
                        (long long)line, (long long)idx, (long long)c->limit);
    if (colon + 1 == e || blank(colon[1])) return bad_token(c, line, b, e, "missing value");
    *prev = idx;
    if (idx > c->max_index) c->max_index = idx;
    if (!x) return LF_OK;
    double v;
    if (!lf_parse_number(colon + 1, e, &v)) return bad_token(c, line, b, e, "not a number");
    x[idx - 1] = (float)v;
    if (!isfinite(x[idx - 1]))
        return lf_error(LF_ENUMERIC, "%s:%lld: feature %lld: non-finite value '%.*s'", c->path,
                        (long long)line, (long long)idx, (int)(e - colon - 1), colon + 1);
    return LF_OK;
}

/* Returns LF_OK with *empty set for blank and comment-only lines. */
static lf_status line(svm_ctx *c, int64_t ln, const char *b, const char *e, float *x,
                      int64_t *label, int *empty)
{
    const char *hash = memchr(b, '#', (size_t)(e - b));
    if (hash) e = hash;
    while (b < e && blank(*b)) b++;
    *empty = b == e;
    if (*empty) return LF_OK;
    const char *t = token_end(b, e);
    if (label && !lf_parse_label(b, t, label))
        return bad_token(c, ln, b, t, "label is not an integer");
    int64_t prev = 0;
    for (b = t; b < e; b = t) {
        while (b < e && blank(*b)) b++;
        if (b == e) break;
        t = token_end(b, e);
        lf_status s = feature(c, ln, b, t, &prev, x);
        if (s != LF_OK) return s;
    }
    return LF_OK;
}

static lf_status pass(svm_ctx *c, const char *text, size_t len, lf_dataset *ds, int64_t *raw,
                      int64_t *rows)
{
    lf_lines it;
    const char *b, *e;
    int empty;
    int64_t n = 0;
    lf_lines_init(&it, text, len);
    while (lf_lines_next(&it, &b, &e)) {
        float *x = ds ? ds->x + n * ds->d : NULL;
        lf_status s = line(c, it.lineno, b, e, x, raw ? raw + n : NULL, &empty);
        if (s != LF_OK) return s;
        n += !empty;
    }
    *rows = n;
    return LF_OK;
}

static lf_status parse(svm_ctx *c, const char *text, size_t len, lf_dataset *out, int64_t **raw)
{
    int64_t n;
    lf_status s = pass(c, text, len, NULL, NULL, &n);
    if (s != LF_OK) return s;
    if (n == 0) return lf_error(LF_EFORMAT, "%s: no data rows", c->path);
    lf_dataset ds;
    int64_t d = c->features ? c->features : c->max_index, cells;
    if (d < 1) d = 1;
    if (!c->features && (lf_mul_overflows(n, d, &cells) ||
                         (cells > AUTO_CELLS_MIN && (uint64_t)cells / AUTO_CELLS_PER_BYTE > len)))
        return lf_error(LF_EFORMAT, "%s: %lld rows x %lld columns (the largest feature index) is a "
                        "dense table far larger than the %zu-byte file; if that is meant, give "
                        "the width with features=%lld", c->path, (long long)n, (long long)d, len,
                        (long long)d);
    if (lf_mul_overflows(n, d, &cells) || cells > LF_MAX_DENSE_CELLS)
        return lf_error(LF_EFORMAT, "%s: %lld rows x %lld features is a dense table of more than "
                        "the %lld cells (4 GiB) a sparse file may be read into; use a smaller "
                        "width (features=%lld at most for %lld rows)", c->path, (long long)n,
                        (long long)d, (long long)LF_MAX_DENSE_CELLS,
                        (long long)(LF_MAX_DENSE_CELLS / n), (long long)n);
    s = lf_ds_alloc(&ds, n, d, 0, c->path);
    if (s != LF_OK) return s;
    int64_t *r = malloc((size_t)n * sizeof *r);
    s = r ? pass(c, text, len, &ds, r, &n)
          : lf_error(LF_ENOMEM, "%s: cannot allocate %lld labels", c->path, (long long)n);
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

lf_status lf_libsvm_read_raw(const char *path, int64_t n_features, lf_dataset *out, int64_t **raw)
{
    if (!path || !out || !raw) return lf_error(LF_EINVAL, "lf_read_libsvm: NULL argument");
    if (n_features < 0 || n_features > MAX_INDEX)
        return lf_error(LF_EINVAL, "%s: features=%lld outside [0, %d]", path,
                        (long long)n_features, MAX_INDEX);
    unsigned char *text;
    size_t len;
    lf_status s = lf_read_file(path, 1, &text, &len);
    if (s != LF_OK) return s;
    svm_ctx c = {path, n_features, n_features ? n_features : MAX_INDEX, 0};
    lf_c_numeric loc;
    lf_c_numeric_begin(&loc);
    s = parse(&c, (const char *)text, len, out, raw);
    lf_c_numeric_end(&loc);
    free(text);
    return s;
}

lf_status lf_read_libsvm(const char *path, int64_t n_features, lf_dataset *out)
{
    lf_dataset ds;
    int64_t *raw;
    lf_status s = lf_libsvm_read_raw(path, n_features, &ds, &raw);
    return s == LF_OK ? lf_ds_finish(&ds, raw, out) : s;
}

/* ------------------------------------------------------------------ dataset "libsvm" */
typedef struct libsvm_cfg {
    char train[LF_STR_MAX];
    char test[LF_STR_MAX];
    int64_t features;
} libsvm_cfg;

static lf_status libsvm_raw(const char *path, const void *opts, lf_dataset *out, int64_t **raw)
{
    return lf_libsvm_read_raw(path, *(const int64_t *)opts, out, raw);
}

/* Widens rows to d features (zeros on the right): train and test may see different largest
 * indices when the width is found automatically. */
static lf_status widen(lf_dataset *ds, int64_t d)
{
    if (ds->n == 0 || ds->d == d) return LF_OK;
    lf_dataset w;
    lf_status s = lf_ds_alloc(&w, ds->n, d, 0, ds->name);
    if (s != LF_OK) return s;
    for (int64_t i = 0; i < ds->n; i++)
        memcpy(w.x + i * d, ds->x + i * ds->d, (size_t)ds->d * sizeof(float));
    free(ds->x);
    ds->x = w.x;
    ds->d = d;
    ds->shape[0] = d;
    return LF_OK;
}

static lf_status libsvm_load(const void *cfg, lf_dataset *train, lf_dataset *test)
{
    const libsvm_cfg *c = cfg;
    lf_status s = lf_ds_need_train("libsvm", c->train);
    if (s == LF_OK) s = lf_ds_load_pair(libsvm_raw, &c->features, c->train, c->test, train, test);
    if (s != LF_OK) return s;
    int64_t d = train->d > test->d ? train->d : test->d;
    s = widen(train, d);
    if (s == LF_OK) s = widen(test, d);
    if (s != LF_OK) {
        lf_dataset_release(train);
        lf_dataset_release(test);
    }
    return s;
}

static const lf_param_desc libsvm_params[] = {
    LF_PARAM_STR("train", "", "training file (required; .gz accepted)", libsvm_cfg, train),
    LF_PARAM_STR("test", "", "test file (optional)", libsvm_cfg, test),
    LF_PARAM_INT("features", 0, 0, 2147483647.0, "feature count (0 = largest index seen)",
        libsvm_cfg, features),
};
static const lf_dataset_vt libsvm_vt = {libsvm_load};
const lf_desc lf_desc_data_libsvm = {
    LF_KIND_DATASET, "libsvm", "LIBSVM/SVMlight sparse text files, densified", NULL,
    libsvm_params, LF_NPARAMS(libsvm_params), sizeof(libsvm_cfg), &libsvm_vt};
