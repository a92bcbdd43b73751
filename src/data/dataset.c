/* Datasets in memory: allocation, validation, subsets, splits, moments, loading by spec (each
 * reader file holds its dataset descriptor). */
#include "reader.h"

#include <math.h>
#include <string.h>

/* Below this many floats a pass stays single-threaded: thread start-up would dominate. */
#define PAR_MIN (1 << 16)

void lf_dataset_release(lf_dataset *ds)
{
    if (!ds) return;
    free(ds->x);
    free(ds->x8);
    free(ds->y);
    memset(ds, 0, sizeof *ds);
}

void lf_dataset_row(const lf_dataset *ds, int64_t i, const lf_norm *norm, float *out)
{
    const int64_t d = ds->d;
    if (ds->x8) {
        const uint8_t *p = ds->x8 + i * d;
        /* Division, not multiplication by 1/255, so values equal torchvision's ToTensor. */
#pragma omp simd
        for (int64_t j = 0; j < d; j++) out[j] = (float)p[j] / 255.0f;
    } else {
        memcpy(out, ds->x + i * d, (size_t)d * sizeof *out);
    }
    if (!norm) return;
    const float *mean = norm->mean, *std = norm->std;
#pragma omp simd
    for (int64_t j = 0; j < d; j++) out[j] = (out[j] - mean[j]) / std[j];
}

static lf_status ds_alloc(lf_dataset *ds, int64_t n, int64_t d, int labels, int as_bytes,
                          const char *what)
{
    int64_t nd, bytes, elem = as_bytes ? 1 : (int64_t)sizeof(float);
    if (n < 0 || d < 1 || lf_mul_overflows(n, d, &nd) || lf_mul_overflows(nd, elem, &bytes) ||
        (uint64_t)bytes > SIZE_MAX)
        return lf_error(LF_ENOMEM, "%s: %lld rows x %lld features overflow", what, (long long)n,
                        (long long)d);
    memset(ds, 0, sizeof *ds);
    /* Zeroed (sparse readers rely on it; large blocks come zeroed from the OS for free); one
     * spare element keeps an empty set from getting NULL. */
    void *x = calloc((size_t)bytes + sizeof(float), 1);
    if (as_bytes) ds->x8 = x;
    else ds->x = x;
    ds->y = labels ? malloc((size_t)n * sizeof(int32_t) + sizeof(int32_t)) : NULL;
    if (!x || (labels && !ds->y)) {
        lf_dataset_release(ds);
        return lf_error(LF_ENOMEM, "%s: cannot allocate %lld rows x %lld features", what,
                        (long long)n, (long long)d);
    }
    ds->n = n;
    ds->d = d;
    ds->ndim = 1;
    ds->shape[0] = d;
    return LF_OK;
}

lf_status lf_ds_alloc(lf_dataset *ds, int64_t n, int64_t d, int labels, const char *what)
{
    return ds_alloc(ds, n, d, labels, 0, what);
}

lf_status lf_ds_alloc_bytes(lf_dataset *ds, int64_t n, int64_t d, int labels, const char *what)
{
    return ds_alloc(ds, n, d, labels, 1, what);
}

int lf_cmp_i64(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

lf_status lf_ds_check_class_id(const char *path, int64_t row, int64_t label, int64_t rows)
{
    int64_t lim = rows > LF_MAX_CLASSES / LF_CLASSES_PER_ROW ? LF_MAX_CLASSES
                                                             : rows * LF_CLASSES_PER_ROW;
    if (lim < LF_CLASSES_FREE) lim = LF_CLASSES_FREE;
    if (label >= 0 && label < lim) return LF_OK;
    return lf_error(LF_EFORMAT, "%s: row %lld: label %lld is outside the class ids [0, %lld) "
                    "allowed for %lld rows (at most max(%d x rows, %d), never more than %lld "
                    "classes)", path, (long long)row, (long long)label, (long long)lim,
                    (long long)rows, LF_CLASSES_PER_ROW, LF_CLASSES_FREE,
                    (long long)LF_MAX_CLASSES);
}

static void map_into(const int64_t *raw, int64_t n, const int64_t *keys, int64_t nk, int32_t *y)
{
    for (int64_t i = 0; i < n; i++) {
        const int64_t *k = bsearch(&raw[i], keys, (size_t)nk, sizeof *keys, lf_cmp_i64);
        y[i] = (int32_t)(k - keys);
    }
}

static lf_status map_labels(const int64_t *a, int64_t na, const int64_t *b, int64_t nb,
                            int32_t *ya, int32_t *yb, int32_t *n_classes)
{
    int64_t n = na + nb;
    int64_t *keys = malloc((size_t)(n ? n : 1) * sizeof *keys);
    if (!keys) return lf_error(LF_ENOMEM, "labels: cannot allocate %lld keys", (long long)n);
    if (na) memcpy(keys, a, (size_t)na * sizeof *keys);
    if (nb) memcpy(keys + na, b, (size_t)nb * sizeof *keys);
    qsort(keys, (size_t)n, sizeof *keys, lf_cmp_i64);
    int64_t nk = 0;
    for (int64_t i = 0; i < n; i++)
        if (nk == 0 || keys[nk - 1] != keys[i]) keys[nk++] = keys[i];
    if (nk > LF_MAX_CLASSES) {
        free(keys);
        return lf_error(LF_EFORMAT, "labels: %lld distinct values, more than the %lld classes "
                        "a dataset may hold", (long long)nk, (long long)LF_MAX_CLASSES);
    }
    map_into(a, na, keys, nk, ya);
    map_into(b, nb, keys, nk, yb);
    free(keys);
    *n_classes = (int32_t)nk;
    return LF_OK;
}

lf_status lf_ds_finish(lf_dataset *ds, int64_t *raw, lf_dataset *out)
{
    lf_status s = raw ? lf_ds_set_labels(ds, raw, NULL, NULL) : LF_OK;
    free(raw);
    if (s != LF_OK) {
        lf_dataset_release(ds);
        return s;
    }
    *out = *ds;
    return LF_OK;
}

lf_status lf_ds_set_labels(lf_dataset *tr, const int64_t *raw_tr, lf_dataset *te,
                           const int64_t *raw_te)
{
    int64_t nte = te ? te->n : 0;
    int32_t *ytr = malloc((size_t)tr->n * sizeof *ytr + sizeof *ytr);
    int32_t *yte = malloc((size_t)nte * sizeof *yte + sizeof *yte);
    int32_t nc = 0;
    lf_status s = ytr && yte ? map_labels(raw_tr, tr->n, raw_te, nte, ytr, yte, &nc)
                             : lf_error(LF_ENOMEM, "%s: cannot allocate labels", tr->name);
    if (s != LF_OK) {
        free(ytr);
        free(yte);
        return s;
    }
    free(tr->y);
    tr->y = ytr;
    tr->n_classes = nc;
    if (te) {
        free(te->y);
        te->y = yte;
        te->n_classes = nc;
    } else {
        free(yte);
    }
    return LF_OK;
}

lf_status lf_ds_load_pair(lf_raw_reader rd, const void *opts, const char *train_path,
                          const char *test_path, lf_dataset *train, lf_dataset *test)
{
    lf_dataset tr, te;
    int64_t *rtr = NULL, *rte = NULL;
    memset(&te, 0, sizeof te);
    lf_status s = rd(train_path, opts, &tr, &rtr);
    if (s != LF_OK) return s;
    if (*test_path) s = rd(test_path, opts, &te, &rte);
    if (s == LF_OK && !rtr)
        s = lf_error(LF_EINVAL, "%s: a dataset needs a label column", train_path);
    if (s == LF_OK) s = lf_ds_set_labels(&tr, rtr, *test_path ? &te : NULL, rte);
    free(rtr);
    free(rte);
    if (s != LF_OK) {
        lf_dataset_release(&tr);
        lf_dataset_release(&te);
        return s;
    }
    *train = tr;
    *test = te;
    return LF_OK;
}

lf_status lf_ds_need_train(const char *name, const char *train)
{
    if (*train) return LF_OK;
    return lf_error(LF_EINVAL, "dataset \"%s\": parameter \"train\" is required (%s:train=PATH)",
                    name, name);
}

static lf_status check_labels(const lf_dataset *ds)
{
    if (ds->n_classes < 1)
        return lf_error(LF_EINVAL, "dataset %s: has labels but n_classes = %d", ds->name,
                        ds->n_classes);
    for (int64_t i = 0; i < ds->n; i++)
        if (ds->y[i] < 0 || ds->y[i] >= ds->n_classes)
            return lf_error(LF_EINVAL, "dataset %s: row %lld: label %d outside [0, %d)", ds->name,
                            (long long)i, ds->y[i], ds->n_classes);
    return LF_OK;
}

static lf_status check_finite(const lf_dataset *ds)
{
    int64_t i = ds->x8 ? -1 : lf_first_nonfinite(ds->x, ds->n * ds->d);
    if (i < 0) return LF_OK;
    return lf_error(LF_ENUMERIC, "dataset %s: row %lld, column %lld: non-finite feature %g",
                    ds->name, (long long)(i / ds->d), (long long)(i % ds->d), (double)ds->x[i]);
}

lf_status lf_dataset_validate(const lf_dataset *ds)
{
    if (!ds) return lf_error(LF_EINVAL, "lf_dataset_validate: NULL dataset");
    if (ds->n < 0 || ds->d < 1 || (ds->n > 0 && !ds->x && !ds->x8))
        return lf_error(LF_EINVAL, "dataset %s: bad size n=%lld d=%lld", ds->name,
                        (long long)ds->n, (long long)ds->d);
    if (ds->y) {
        lf_status s = check_labels(ds);
        if (s != LF_OK) return s;
    }
    return check_finite(ds);
}

static void copy_meta(const lf_dataset *src, lf_dataset *dst)
{
    dst->ndim = src->ndim;
    memcpy(dst->shape, src->shape, sizeof dst->shape);
    dst->n_classes = src->n_classes;
    memcpy(dst->name, src->name, sizeof dst->name);
}

lf_status lf_dataset_subset(const lf_dataset *src, const int64_t *idx, int64_t m, lf_dataset *dst)
{
    if (!src || !dst || m < 0 || (m > 0 && !idx))
        return lf_error(LF_EINVAL, "lf_dataset_subset: bad arguments (m = %lld)", (long long)m);
    for (int64_t i = 0; i < m; i++)
        if (idx[i] < 0 || idx[i] >= src->n)
            return lf_error(LF_EINVAL, "dataset %s: subset index %lld at position %lld outside "
                            "[0, %lld)", src->name, (long long)idx[i], (long long)i,
                            (long long)src->n);
    lf_dataset out;
    lf_status s = ds_alloc(&out, m, src->d, src->y != NULL, src->x8 != NULL, src->name);
    if (s != LF_OK) return s;
    copy_meta(src, &out);
    const int64_t d = src->d;
    const size_t row = (size_t)d * (src->x8 ? 1 : sizeof(float));
    unsigned char *dst_x = out.x8 ? out.x8 : (unsigned char *)out.x;
    const unsigned char *src_x = src->x8 ? src->x8 : (const unsigned char *)src->x;
#pragma omp parallel for schedule(static) if (m * d > PAR_MIN)
    for (int64_t i = 0; i < m; i++) {
        memcpy(dst_x + (size_t)i * row, src_x + (size_t)idx[i] * row, row);
        if (out.y) out.y[i] = src->y[idx[i]];
    }
    *dst = out;
    return LF_OK;
}

lf_status lf_dataset_split(const lf_dataset *src, double frac, uint64_t seed, lf_dataset *train,
                           lf_dataset *val)
{
    if (!src || !train || !val || !(frac >= 0 && frac <= 1))
        return lf_error(LF_EINVAL, "lf_dataset_split: fraction must be in [0, 1], got %g", frac);
    int64_t n = src->n;
    int64_t *perm = malloc((size_t)(n ? n : 1) * sizeof *perm);
    if (!perm) return lf_error(LF_ENOMEM, "dataset %s: cannot allocate a permutation of %lld",
                               src->name, (long long)n);
    lf_rng r;
    lf_rng_seed(&r, seed);
    lf_rng_permutation(&r, perm, n);
    int64_t n_val = (int64_t)llround(frac * (double)n);
    lf_dataset tr, va;
    lf_status s = lf_dataset_subset(src, perm, n - n_val, &tr);
    if (s == LF_OK) {
        s = lf_dataset_subset(src, perm + (n - n_val), n_val, &va);
        if (s != LF_OK) lf_dataset_release(&tr);
    }
    free(perm);
    if (s != LF_OK) return s;
    *train = tr;
    *val = va;
    return LF_OK;
}

/* A feature whose spread is lost in float rounding counts as constant (std 1), so
 * standardising never divides by noise. */
static float safe_std(double mean, double var)
{
    double sd = sqrt(var);
    return sd <= 1e-6 * fabs(mean) ? 1.0f : (float)sd;
}

/* Two passes (mean, then squared deviations) in double: no cancellation. */
lf_status lf_dataset_moments(const lf_dataset *ds, float *mean, float *std)
{
    if (!ds || !mean || !std || ds->n < 1)
        return lf_error(LF_EINVAL, "lf_dataset_moments: need a non-empty dataset");
    const int64_t n = ds->n, d = ds->d;
    double *m = calloc((size_t)d * 2, sizeof *m);
    float *x = malloc((size_t)d * sizeof *x);
    if (!m || !x) {
        free(m);
        free(x);
        return lf_error(LF_ENOMEM, "dataset %s: cannot allocate moments", ds->name);
    }
    double *v = m + d;
    for (int64_t i = 0; i < n; i++) {
        lf_dataset_row(ds, i, NULL, x);
#pragma omp simd
        for (int64_t j = 0; j < d; j++) m[j] += x[j];
    }
    for (int64_t j = 0; j < d; j++) m[j] /= (double)n;
    for (int64_t i = 0; i < n; i++) {
        lf_dataset_row(ds, i, NULL, x);
#pragma omp simd
        for (int64_t j = 0; j < d; j++) v[j] += (x[j] - m[j]) * (x[j] - m[j]);
    }
    for (int64_t j = 0; j < d; j++) {
        mean[j] = (float)m[j];
        std[j] = safe_std(m[j], v[j] / (double)n);
    }
    free(m);
    free(x);
    return LF_OK;
}

lf_status lf_dataset_standardize(lf_dataset *ds, const float *mean, const float *std)
{
    const int64_t n = ds->n, d = ds->d;
    if (ds->x8) {
        ds->x = malloc((size_t)(n * d) * sizeof *ds->x + sizeof *ds->x);
        if (!ds->x) return lf_error(LF_ENOMEM, "dataset %s: cannot convert bytes to floats", ds->name);
        for (int64_t i = 0; i < n; i++) lf_dataset_row(ds, i, NULL, ds->x + i * d);
        free(ds->x8);
        ds->x8 = NULL;
    }
#pragma omp parallel for schedule(static) if (n * d > PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        float *x = ds->x + i * d;
#pragma omp simd
        for (int64_t j = 0; j < d; j++) x[j] = (x[j] - mean[j]) / std[j];
    }
    return LF_OK;
}

lf_status lf_norm_alloc(lf_norm *norm, int64_t d)
{
    if (!norm || d < 1) return lf_error(LF_EINVAL, "lf_norm_alloc: NULL norm or d < 1");
    float *p = malloc((size_t)(2 * d) * sizeof *p);
    if (!p) return lf_error(LF_ENOMEM, "standardisation of %lld features: out of memory",
                            (long long)d);
    *norm = (lf_norm){.mean = p, .std = p + d, .d = d};
    return LF_OK;
}

void lf_norm_release(lf_norm *norm)
{
    if (!norm) return;
    free(norm->mean);
    *norm = (lf_norm){0};
}

lf_status lf_norm_fit(const lf_dataset *ds, const int64_t *rows, int64_t nrows, lf_norm *out)
{
    if (!ds || !out) return lf_error(LF_EINVAL, "lf_norm_fit: NULL argument");
    lf_dataset part = {0};
    const lf_dataset *src = ds;
    lf_status s = LF_OK;
    if (rows) {
        s = lf_dataset_subset(ds, rows, nrows, &part);
        src = &part;
    }
    lf_norm nm = {0};
    if (s == LF_OK) s = lf_norm_alloc(&nm, ds->d);
    if (s == LF_OK && src->ndim == 3) {
        lf_dataset_scalar_moments(src, nm.mean, nm.std);
        for (int64_t j = 1; j < nm.d; j++) {
            nm.mean[j] = nm.mean[0];
            nm.std[j] = nm.std[0];
        }
    } else if (s == LF_OK) {
        s = lf_dataset_moments(src, nm.mean, nm.std);
    }
    lf_dataset_release(&part);
    if (s != LF_OK) {
        lf_norm_release(&nm);
        return s;
    }
    *out = nm;
    return LF_OK;
}

/* A fixed number of chunks, each summed in order, then combined in order: the result does not
 * depend on the thread count. */
#define CHUNKS 64

static double chunked_sum(const float *x, int64_t n, double shift, int squared)
{
    double part[CHUNKS];
#pragma omp parallel for schedule(static) if (n > PAR_MIN)
    for (int c = 0; c < CHUNKS; c++) {
        int64_t lo = n * c / CHUNKS, hi = n * (c + 1) / CHUNKS;
        double s = 0;
        if (squared) {
#pragma omp simd reduction(+ : s)
            for (int64_t i = lo; i < hi; i++) s += (x[i] - shift) * (x[i] - shift);
        } else {
#pragma omp simd reduction(+ : s)
            for (int64_t i = lo; i < hi; i++) s += x[i];
        }
        part[c] = s;
    }
    double s = 0;
    for (int c = 0; c < CHUNKS; c++) s += part[c];
    return s;
}

/* Bytes take 256 values: a histogram gives the moments exactly, in one pass. */
static void byte_moments(const uint8_t *x, int64_t nd, double *mean, double *var)
{
    int64_t hist[256] = {0};
    for (int64_t i = 0; i < nd; i++) hist[x[i]]++;
    double m = 0, v = 0;
    for (int b = 0; b < 256; b++) m += (double)hist[b] * ((float)b / 255.0f);
    m /= (double)nd;
    for (int b = 0; b < 256; b++) {
        double dv = (float)b / 255.0f - m;
        v += (double)hist[b] * dv * dv;
    }
    *mean = m;
    *var = v / (double)nd;
}

void lf_dataset_scalar_moments(const lf_dataset *ds, float *mean, float *std)
{
    int64_t nd = ds->n * ds->d;
    if (nd < 1) {
        *mean = 0.0f;
        *std = 1.0f;
        return;
    }
    double m, var;
    if (ds->x8) {
        byte_moments(ds->x8, nd, &m, &var);
    } else {
        m = chunked_sum(ds->x, nd, 0, 0) / (double)nd;
        var = chunked_sum(ds->x, nd, m, 1) / (double)nd;
    }
    *mean = (float)m;
    *std = safe_std(m, var);
}

static lf_status check_pair(const lf_dataset *tr, const lf_dataset *te)
{
    if (tr->n < 1) return lf_error(LF_EFORMAT, "dataset %s: the training set is empty", tr->name);
    lf_status s = lf_dataset_validate(tr);
    if (s != LF_OK || te->n == 0) return s;
    if (te->d != tr->d)
        return lf_error(LF_EFORMAT, "dataset %s: test rows have %lld features, train rows %lld",
                        tr->name, (long long)te->d, (long long)tr->d);
    return lf_dataset_validate(te);
}

lf_status lf_dataset_load(const char *spec, lf_dataset *train, lf_dataset *test)
{
    if (!spec || !train) return lf_error(LF_EINVAL, "lf_dataset_load: NULL argument");
    const lf_desc *desc;
    void *cfg;
    lf_status s = lf_spec_new(LF_KIND_DATASET, spec, &desc, &cfg);
    if (s != LF_OK) return s;
    lf_dataset tr = {0}, te = {0};
    s = ((const lf_dataset_vt *)desc->impl)->load(cfg, &tr, &te);
    free(cfg);
    if (s == LF_OK) {
        snprintf(tr.name, sizeof tr.name, "%s", desc->name);
        snprintf(te.name, sizeof te.name, "%s:test", desc->name);
        s = check_pair(&tr, &te);
    }
    if (s != LF_OK || !test) lf_dataset_release(&te);
    if (s != LF_OK) {
        lf_dataset_release(&tr);
        return s;
    }
    *train = tr;
    if (test) *test = te;
    return LF_OK;
}
