/* Disjoint class splits and class-balanced samplers (P×K batches, N-way K-shot Q-query
 * episodes) for metric and few-shot learning. A sampler keeps each class's rows in one array
 * and draws by partial Fisher–Yates shuffles of those segments in place, so a draw costs what
 * it returns and allocates nothing. */
#include "internal.h"

#include <string.h>

struct lf_sampler {
    int nc;
    int32_t *classes; /* nc labels, ascending */
    int64_t *start;   /* nc + 1 offsets into rows */
    int64_t *rows;    /* dataset rows grouped by class */
    int32_t *order;   /* a permutation of 0..nc-1, reshuffled partly by each draw */
    lf_rng rng;
};

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Index of y in the ascending list, or -1. */
static int find_class(const int32_t *sorted, int nc, int32_t y)
{
    const int32_t *p = bsearch(&y, sorted, (size_t)nc, sizeof *sorted, cmp_i32);
    return p ? (int)(p - sorted) : -1;
}

/* ------------------------------------------------------------------ class splits */
lf_status lf_class_split(int32_t n_classes, int32_t n_first, uint64_t seed, int32_t *first,
                         int32_t *second)
{
    if (n_classes < 1 || n_first < 0 || n_first > n_classes || !first)
        return lf_error(LF_EINVAL, "class split: %d of %d classes (need 0 <= first <= classes, "
                        "classes >= 1, an output array)", (int)n_first, (int)n_classes);
    int64_t *perm = malloc((size_t)n_classes * sizeof *perm);
    if (!perm) return lf_error(LF_ENOMEM, "class split: out of memory");
    lf_rng r;
    lf_rng_seed(&r, seed);
    lf_rng_permutation(&r, perm, n_classes);
    for (int32_t i = 0; i < n_classes; i++) {
        if (i < n_first) first[i] = (int32_t)perm[i];
        else if (second) second[i - n_first] = (int32_t)perm[i];
    }
    free(perm);
    qsort(first, (size_t)n_first, sizeof *first, cmp_i32);
    if (second) qsort(second, (size_t)(n_classes - n_first), sizeof *second, cmp_i32);
    return LF_OK;
}

/* A sorted, duplicate-free copy of classes (malloc'd). */
static lf_status sorted_classes(const int32_t *classes, int nc, int32_t **out, int *nout)
{
    int32_t *c = malloc((size_t)(nc > 0 ? nc : 1) * sizeof *c);
    if (!c) return lf_error(LF_ENOMEM, "classes: out of memory");
    memcpy(c, classes, (size_t)nc * sizeof *c);
    qsort(c, (size_t)nc, sizeof *c, cmp_i32);
    int m = 0;
    for (int i = 0; i < nc; i++)
        if (m == 0 || c[i] != c[m - 1]) c[m++] = c[i];
    *out = c;
    *nout = m;
    return LF_OK;
}

lf_status lf_rows_of_classes(const int32_t *y, int64_t n, const int32_t *classes, int nc,
                             int64_t **rows, int64_t *m)
{
    if (!y || !classes || nc < 1 || n < 0 || !rows || !m)
        return lf_error(LF_EINVAL, "rows of classes: labels, classes (%d) or outputs missing", nc);
    int32_t *c;
    int k;
    lf_status s = sorted_classes(classes, nc, &c, &k);
    if (s != LF_OK) return s;
    int64_t *r = malloc((size_t)(n > 0 ? n : 1) * sizeof *r), cnt = 0;
    if (!r) {
        free(c);
        return lf_error(LF_ENOMEM, "rows of classes: out of memory for %lld rows", (long long)n);
    }
    for (int64_t i = 0; i < n; i++)
        if (find_class(c, k, y[i]) >= 0) r[cnt++] = i;
    free(c);
    *rows = r;
    *m = cnt;
    return LF_OK;
}

/* ------------------------------------------------------------------ sampler */
/* Every label present among the rows, ascending. */
static lf_status present_classes(const int32_t *y, const int64_t *rows, int64_t nrows,
                                 int32_t **out, int *nout)
{
    int32_t *all = malloc((size_t)(nrows > 0 ? nrows : 1) * sizeof *all);
    if (!all) return lf_error(LF_ENOMEM, "sampler: out of memory");
    for (int64_t i = 0; i < nrows; i++) all[i] = y[rows ? rows[i] : i];
    if (nrows > INT32_MAX) {
        free(all);
        return lf_error(LF_EINVAL, "sampler: %lld rows is too many", (long long)nrows);
    }
    lf_status s = sorted_classes(all, (int)nrows, out, nout);
    free(all);
    return s;
}

void lf_sampler_free(lf_sampler *s)
{
    if (!s) return;
    free(s->classes);
    free(s->start);
    free(s->rows);
    free(s->order);
    free(s);
}

/* Buckets the rows by class (counting sort into start/rows). */
static lf_status bucket_rows(lf_sampler *s, const int32_t *y, const int64_t *rows, int64_t nrows)
{
    s->start = calloc((size_t)s->nc + 1, sizeof *s->start);
    s->order = malloc((size_t)s->nc * sizeof *s->order);
    int64_t *fill = calloc((size_t)s->nc, sizeof *fill);
    if (!s->start || !s->order || !fill) {
        free(fill);
        return lf_error(LF_ENOMEM, "sampler: out of memory");
    }
    for (int64_t i = 0; i < nrows; i++) {
        int c = find_class(s->classes, s->nc, y[rows ? rows[i] : i]);
        if (c >= 0) s->start[c + 1]++;
    }
    for (int c = 0; c < s->nc; c++) s->start[c + 1] += s->start[c];
    s->rows = malloc((size_t)(s->start[s->nc] > 0 ? s->start[s->nc] : 1) * sizeof *s->rows);
    lf_status st = s->rows ? LF_OK : lf_error(LF_ENOMEM, "sampler: out of memory");
    for (int64_t i = 0; st == LF_OK && i < nrows; i++) {
        int64_t r = rows ? rows[i] : i;
        int c = find_class(s->classes, s->nc, y[r]);
        if (c >= 0) s->rows[s->start[c] + fill[c]++] = r;
    }
    free(fill);
    for (int c = 0; st == LF_OK && c < s->nc; c++) {
        s->order[c] = c;
        if (s->start[c + 1] == s->start[c])
            st = lf_error(LF_EINVAL, "sampler: class %d has no rows", (int)s->classes[c]);
    }
    return st;
}

lf_status lf_sampler_create(const int32_t *y, int64_t n, const int64_t *rows, int64_t nrows,
                            const int32_t *classes, int nc, uint64_t seed, lf_sampler **out)
{
    if (!y || !out || n < 1)
        return lf_error(LF_EINVAL, "sampler: labels or output missing, or n < 1");
    if (!rows) nrows = n;
    for (int64_t i = 0; rows && i < nrows; i++)
        if (rows[i] < 0 || rows[i] >= n)
            return lf_error(LF_EINVAL, "sampler: row %lld (item %lld) outside [0, %lld)",
                            (long long)rows[i], (long long)i, (long long)n);
    lf_sampler *s = calloc(1, sizeof *s);
    if (!s) return lf_error(LF_ENOMEM, "sampler: out of memory");
    lf_status st = classes ? sorted_classes(classes, nc, &s->classes, &s->nc)
                           : present_classes(y, rows, nrows, &s->classes, &s->nc);
    if (st == LF_OK && s->nc < 1) st = lf_error(LF_EINVAL, "sampler: no classes to draw from");
    if (st == LF_OK) st = bucket_rows(s, y, rows, nrows);
    if (st != LF_OK) {
        lf_sampler_free(s);
        return st;
    }
    lf_rng_seed(&s->rng, seed);
    *out = s;
    return LF_OK;
}

int lf_sampler_classes(const lf_sampler *s) { return s->nc; }

int64_t lf_sampler_min_class_rows(const lf_sampler *s)
{
    int64_t m = INT64_MAX;
    for (int c = 0; c < s->nc; c++) {
        int64_t k = s->start[c + 1] - s->start[c];
        m = k < m ? k : m;
    }
    return m;
}

/* Moves p distinct random classes to order[0..p). */
static void draw_classes(lf_sampler *s, int p)
{
    for (int i = 0; i < p; i++) {
        int j = i + (int)lf_rng_below(&s->rng, (uint64_t)(s->nc - i));
        int32_t t = s->order[i];
        s->order[i] = s->order[j];
        s->order[j] = t;
    }
}

/* Moves k distinct random rows of class c to the front of its segment. */
static void draw_rows(lf_sampler *s, int c, int64_t k)
{
    int64_t *seg = s->rows + s->start[c], m = s->start[c + 1] - s->start[c];
    for (int64_t i = 0; i < k; i++) {
        int64_t j = i + (int64_t)lf_rng_below(&s->rng, (uint64_t)(m - i));
        int64_t t = seg[i];
        seg[i] = seg[j];
        seg[j] = t;
    }
}

lf_status lf_sampler_pk(lf_sampler *s, int p, int k, int64_t *rows)
{
    if (!s || !rows || p < 1 || k < 1 || p > s->nc)
        return lf_error(LF_EINVAL, "sampler: P×K batch %d×%d needs 1 <= P <= %d classes and "
                        "K >= 1", p, k, s ? s->nc : 0);
    draw_classes(s, p);
    for (int i = 0; i < p; i++) {
        const int c = s->order[i];
        const int64_t *seg = s->rows + s->start[c], m = s->start[c + 1] - s->start[c];
        int64_t *o = rows + (int64_t)i * k;
        if (m >= k) {
            draw_rows(s, c, k);
            memcpy(o, seg, (size_t)k * sizeof *o);
        } else {
            for (int j = 0; j < k; j++) o[j] = seg[lf_rng_below(&s->rng, (uint64_t)m)];
        }
    }
    return LF_OK;
}

lf_status lf_sampler_episode(lf_sampler *s, int n_way, int k_shot, int q_query, int64_t *rows,
                             int32_t *label, int32_t *group)
{
    if (!s || !rows || n_way < 1 || k_shot < 1 || q_query < 0 || n_way > s->nc)
        return lf_error(LF_EINVAL, "sampler: episode %d-way %d-shot %d-query needs 1 <= way <= %d "
                        "classes, shot >= 1, query >= 0", n_way, k_shot, q_query, s ? s->nc : 0);
    const int64_t per = (int64_t)k_shot + q_query;
    if (lf_sampler_min_class_rows(s) < per)
        return lf_error(LF_EINVAL, "sampler: a %d-shot %d-query episode needs %lld rows per class; "
                        "the smallest class has %lld", k_shot, q_query, (long long)per,
                        (long long)lf_sampler_min_class_rows(s));
    draw_classes(s, n_way);
    const int64_t nsup = (int64_t)n_way * k_shot;
    for (int i = 0; i < n_way; i++) {
        const int c = s->order[i];
        draw_rows(s, c, per);
        const int64_t *seg = s->rows + s->start[c];
        for (int64_t j = 0; j < per; j++) {
            int64_t at = j < k_shot ? (int64_t)i * k_shot + j
                                    : nsup + (int64_t)i * q_query + (j - k_shot);
            rows[at] = seg[j];
            if (label) label[at] = i;
            if (group) group[at] = j < k_shot ? LF_EPISODE_SUPPORT : LF_EPISODE_QUERY;
        }
    }
    return LF_OK;
}
