/* Retrieval evaluation of embeddings: exact k-nearest-neighbour search through sgemm in blocks of
 * queries, Recall@K and mAP@R, k-means (k-means++ seeding) and NMI. */
#include "internal.h"
#include "loss/embed.h"

#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

const int lf_recall_k[4] = {1, 2, 4, 8};

/* Scores of one block of queries against all keys stay under this many floats. */
#define KNN_BLOCK_FLOATS (1 << 22)

/* ------------------------------------------------------------------ embeddings of a model */
lf_status lf_embed_rows(lf_model *m, const lf_dataset *ds, const int64_t *rows, int64_t nrows,
                        const lf_norm *norm, int64_t batch, float *out)
{
    if (!m || !ds || !out || batch < 1)
        return lf_error(LF_EINVAL, "embed rows: model, dataset, output or batch missing");
    if (!rows) nrows = ds->n;
    const int64_t d = ds->d, k = lf_model_n_out(m);
    float *xb = malloc((size_t)(batch * d) * sizeof *xb);
    int64_t *idx = malloc((size_t)batch * sizeof *idx);
    lf_tape *t = lf_tape_new();
    lf_status s = xb && idx && t ? LF_OK : lf_error(LF_ENOMEM, "embed rows: out of memory");
    for (int64_t off = 0; s == LF_OK && off < nrows; off += batch) {
        const int64_t nb = nrows - off < batch ? nrows - off : batch;
        for (int64_t i = 0; i < nb; i++) idx[i] = rows ? rows[off + i] : off + i;
        lf_gather_rows(ds, idx, nb, norm, xb, NULL);
        int64_t shape[4] = {nb, m->in_shape[0], m->in_shape[1], m->in_shape[2]};
        lf_tape_reset(t);
        lf_tensor *y = lf_model_forward(m, t, lf_tape_wrap(t, xb, m->in_ndim + 1, shape));
        s = lf_tape_status(t);
        if (s == LF_OK) memcpy(out + off * k, y->data, (size_t)(nb * k) * sizeof *out);
    }
    lf_tape_free(t);
    free(xb);
    free(idx);
    return s;
}

/* ------------------------------------------------------------------ nearest neighbours */
/* A key's closeness to the query (similarity, or minus the squared distance) and its index. */
typedef struct knn_pair {
    float key;
    int32_t idx;
} knn_pair;

/* a before b: nearer, then the smaller index. */
static int nearer(knn_pair a, knn_pair b)
{
    return a.key > b.key || (a.key == b.key && a.idx < b.idx);
}

static int cmp_pair(const void *a, const void *b)
{
    knn_pair x = *(const knn_pair *)a, y = *(const knn_pair *)b;
    return nearer(x, y) ? -1 : nearer(y, x);
}

static void swap_pair(knn_pair *a, knn_pair *b)
{
    knn_pair t = *a;
    *a = *b;
    *b = t;
}

/* Moves the k nearest of p[0..n) to the front, sorted (quickselect, then a sort of k). */
static void select_nearest(knn_pair *p, int64_t n, int64_t k)
{
    int64_t lo = 0, hi = n - 1;
    while (k < n && lo < hi) {
        /* median of three as the pivot, parked at hi */
        int64_t mid = lo + (hi - lo) / 2;
        if (nearer(p[mid], p[lo])) swap_pair(&p[mid], &p[lo]);
        if (nearer(p[hi], p[lo])) swap_pair(&p[hi], &p[lo]);
        if (nearer(p[mid], p[hi])) swap_pair(&p[mid], &p[hi]);
        knn_pair pv = p[hi];
        int64_t st = lo;
        for (int64_t i = lo; i < hi; i++)
            if (nearer(p[i], pv)) swap_pair(&p[i], &p[st++]);
        swap_pair(&p[st], &p[hi]);
        if (st == k) break;
        if (st < k) lo = st + 1;
        else hi = st - 1;
    }
    qsort(p, (size_t)k, sizeof *p, cmp_pair);
}

/* Called once per query (possibly from several threads at once, each with its own q). */
typedef void (*knn_sink)(void *ctx, int64_t q, const knn_pair *top, int k);

typedef struct knn_job {
    const float *query, *keys; /* keys: normalised already for cosine */
    int64_t nq, nk, d, self_offset;
    int k;
    lf_metric metric;
} knn_job;

/* One block of queries [q0, q0 + nb): scores, then per query the k nearest to the sink. */
static void knn_block(const knn_job *j, int64_t q0, int64_t nb, float *sc, float *qn, float *norms,
                      knn_pair *pairs, knn_sink sink, void *ctx)
{
    const float *q = j->query + q0 * j->d;
    if (j->metric == LF_METRIC_COSINE) {
        lf_embed_normalize(q, nb, j->d, qn, norms);
        lf_embed_dot(qn, nb, j->keys, j->nk, j->d, sc);
    } else {
        lf_embed_sqdist(q, nb, j->keys, j->nk, j->d, sc, norms);
    }
    const float sign = j->metric == LF_METRIC_COSINE ? 1.0f : -1.0f;
#pragma omp parallel for schedule(dynamic, 4) if (nb * j->nk > 1 << 15)
    for (int64_t i = 0; i < nb; i++) {
#ifdef _OPENMP
        knn_pair *p = pairs + (int64_t)omp_get_thread_num() * j->nk;
#else
        knn_pair *p = pairs;
#endif
        const int64_t self = j->self_offset >= 0 ? j->self_offset + q0 + i : -1;
        int64_t m = 0;
        for (int64_t c = 0; c < j->nk; c++)
            if (c != self) p[m++] = (knn_pair){sign * sc[i * j->nk + c], (int32_t)c};
        select_nearest(p, m, j->k);
        sink(ctx, q0 + i, p, j->k);
    }
}

static lf_status knn_run(const knn_job *job, knn_sink sink, void *ctx)
{
    const int64_t nk = job->nk, d = job->d;
    int64_t block = KNN_BLOCK_FLOATS / nk;
    block = block < 1 ? 1 : block > 1024 ? 1024 : block;
    if (block > job->nq) block = job->nq;
    const int threads = lf_get_threads();
    float *sc = malloc((size_t)(block * nk) * sizeof *sc);
    float *qn = malloc((size_t)(block * d) * sizeof *qn);
    float *norms = malloc((size_t)(block + nk) * sizeof *norms);
    knn_pair *pairs = malloc((size_t)(threads * nk) * sizeof *pairs);
    float *keys = job->metric == LF_METRIC_COSINE ? malloc((size_t)(nk * d) * sizeof *keys) : NULL;
    float *knorm = keys ? malloc((size_t)nk * sizeof *knorm) : NULL;
    lf_status s = LF_OK;
    if (!sc || !qn || !norms || !pairs || (job->metric == LF_METRIC_COSINE && (!keys || !knorm)))
        s = lf_error(LF_ENOMEM, "knn: out of memory for a %lld × %lld block", (long long)block,
                     (long long)nk);
    knn_job j = *job;
    if (s == LF_OK && keys) {
        lf_embed_normalize(job->keys, nk, d, keys, knorm);
        j.keys = keys;
    }
    for (int64_t q0 = 0; s == LF_OK && q0 < job->nq; q0 += block)
        knn_block(&j, q0, job->nq - q0 < block ? job->nq - q0 : block, sc, qn, norms, pairs, sink,
                  ctx);
    free(sc);
    free(qn);
    free(norms);
    free(pairs);
    free(keys);
    free(knorm);
    return s;
}

typedef struct knn_out {
    int64_t *idx;
    float *score;
    lf_metric metric;
} knn_out;

static void knn_store(void *ctx, int64_t q, const knn_pair *top, int k)
{
    knn_out *o = ctx;
    for (int i = 0; i < k; i++) {
        o->idx[q * k + i] = top[i].idx;
        if (o->score)
            o->score[q * k + i] = o->metric == LF_METRIC_COSINE ? top[i].key : sqrtf(-top[i].key);
    }
}

static lf_status knn_check(int64_t nq, int64_t nk, int64_t d, int k, int64_t self_offset)
{
    const int64_t avail = nk - (self_offset >= 0);
    if (nq < 1 || nk < 1 || d < 1 || nk > INT32_MAX)
        return lf_error(LF_EINVAL, "knn: %lld queries, %lld keys of %lld dims (all must be >= 1, "
                        "keys < 2^31)", (long long)nq, (long long)nk, (long long)d);
    if (k < 1 || k > avail)
        return lf_error(LF_EINVAL, "knn: k = %d, but %lld keys are available per query", k,
                        (long long)avail);
    if (self_offset >= 0 && self_offset + nq > nk)
        return lf_error(LF_EINVAL, "knn: self_offset %lld + %lld queries runs past %lld keys",
                        (long long)self_offset, (long long)nq, (long long)nk);
    return LF_OK;
}

lf_status lf_knn(const float *query, int64_t nq, const float *keys, int64_t nk, int64_t d, int k,
                 lf_metric metric, int64_t self_offset, int64_t *idx, float *score)
{
    if (!query || !keys || !idx) return lf_error(LF_EINVAL, "knn: query, keys or idx is NULL");
    lf_status s = knn_check(nq, nk, d, k, self_offset);
    if (s != LF_OK) return s;
    knn_job job = {query, keys, nq, nk, d, self_offset, k, metric};
    knn_out o = {idx, score, metric};
    return knn_run(&job, knn_store, &o);
}

/* ------------------------------------------------------------------ k-means */
/* k-means++: the first centre uniform, each next one drawn with probability proportional to
 * the squared distance to the nearest centre so far. */
static void kmeans_pp(const float *x, int64_t n, int64_t d, int k, lf_rng *r, float *cent,
                      double *dmin)
{
    int64_t first = (int64_t)lf_rng_below(r, (uint64_t)n);
    memcpy(cent, x + first * d, (size_t)d * sizeof *cent);
    for (int64_t i = 0; i < n; i++) dmin[i] = INFINITY;
    for (int c = 1; c <= k; c++) {
        const float *cc = cent + (int64_t)(c - 1) * d;
        double total = 0;
        for (int64_t i = 0; i < n; i++) {
            double s = 0;
            for (int64_t j = 0; j < d; j++) {
                double t = (double)x[i * d + j] - cc[j];
                s += t * t;
            }
            dmin[i] = s < dmin[i] ? s : dmin[i];
            total += dmin[i];
        }
        if (c == k) break;
        double u = lf_rng_uniform(r) * total;
        int64_t pick = n - 1;
        for (int64_t i = 0; i < n; i++) {
            u -= dmin[i];
            if (u < 0) {
                pick = i;
                break;
            }
        }
        memcpy(cent + (int64_t)c * d, x + pick * d, (size_t)d * sizeof *cent);
    }
}

/* Nearest centre of every point, in blocks of rows; returns how many assignments changed. */
static int64_t kmeans_assign(const float *x, int64_t n, int64_t d, const float *cent, int k,
                             int32_t *assign, float *dist, float *block, float *scratch)
{
    int64_t changed = 0, rows = KNN_BLOCK_FLOATS / k;
    rows = rows < 1 ? 1 : rows;
    for (int64_t i0 = 0; i0 < n; i0 += rows) {
        int64_t nb = n - i0 < rows ? n - i0 : rows;
        lf_embed_sqdist(x + i0 * d, nb, cent, k, d, block, scratch);
        for (int64_t i = 0; i < nb; i++) {
            int best = 0;
            for (int c = 1; c < k; c++)
                if (block[i * k + c] < block[i * k + best]) best = c;
            changed += assign[i0 + i] != best;
            assign[i0 + i] = best;
            dist[i0 + i] = block[i * k + best];
        }
    }
    return changed;
}

/* Centres as the means of their points; an empty cluster takes the point farthest from its
 * centre (and that point leaves its cluster). */
static void kmeans_update(const float *x, int64_t n, int64_t d, int k, int32_t *assign,
                          float *dist, float *cent, double *acc, int64_t *cnt)
{
    memset(acc, 0, (size_t)((int64_t)k * d) * sizeof *acc);
    memset(cnt, 0, (size_t)k * sizeof *cnt);
    for (int64_t i = 0; i < n; i++) {
        cnt[assign[i]]++;
        for (int64_t j = 0; j < d; j++) acc[assign[i] * d + j] += x[i * d + j];
    }
    for (int c = 0; c < k; c++) {
        if (cnt[c] == 0) {
            int64_t far = 0;
            for (int64_t i = 1; i < n; i++)
                if (dist[i] > dist[far]) far = i;
            cnt[assign[far]]--;
            for (int64_t j = 0; j < d; j++) {
                acc[assign[far] * d + j] -= x[far * d + j];
                acc[(int64_t)c * d + j] = x[far * d + j];
            }
            assign[far] = c;
            dist[far] = 0;
            cnt[c] = 1;
        }
    }
    for (int c = 0; c < k; c++)
        for (int64_t j = 0; j < d; j++)
            cent[(int64_t)c * d + j] = cnt[c] ? (float)(acc[(int64_t)c * d + j] / (double)cnt[c])
                                              : cent[(int64_t)c * d + j];
}

lf_status lf_kmeans(const float *x, int64_t n, int64_t d, int k, int iters, uint64_t seed,
                    int32_t *assign, float *centroids)
{
    if (!x || !assign || n < 1 || d < 1 || k < 1 || k > n || iters < 1)
        return lf_error(LF_EINVAL, "kmeans: n = %lld, d = %lld, k = %d, iters = %d (need 1 <= k "
                        "<= n, iters >= 1)", (long long)n, (long long)d, k, iters);
    int64_t rows = KNN_BLOCK_FLOATS / k;
    rows = rows < 1 ? 1 : rows > n ? n : rows;
    float *cent = malloc((size_t)((int64_t)k * d) * sizeof *cent);
    float *dist = malloc((size_t)n * sizeof *dist);
    float *block = malloc((size_t)(rows * k) * sizeof *block);
    float *scratch = malloc((size_t)(rows + k) * sizeof *scratch);
    double *acc = malloc((size_t)((int64_t)k * d > n ? (int64_t)k * d : n) * sizeof *acc);
    int64_t *cnt = malloc((size_t)k * sizeof *cnt);
    lf_status s = LF_OK;
    if (!cent || !dist || !block || !scratch || !acc || !cnt) {
        s = lf_error(LF_ENOMEM, "kmeans: out of memory for %lld points", (long long)n);
    } else {
        lf_rng r;
        lf_rng_seed(&r, seed);
        kmeans_pp(x, n, d, k, &r, cent, acc);
        for (int64_t i = 0; i < n; i++) assign[i] = -1;
        for (int it = 0; it < iters; it++) {
            if (kmeans_assign(x, n, d, cent, k, assign, dist, block, scratch) == 0) break;
            kmeans_update(x, n, d, k, assign, dist, cent, acc, cnt);
        }
        if (centroids) memcpy(centroids, cent, (size_t)((int64_t)k * d) * sizeof *cent);
    }
    free(cent);
    free(dist);
    free(block);
    free(scratch);
    free(acc);
    free(cnt);
    return s;
}

/* ------------------------------------------------------------------ NMI */
static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Dense ids 0..m-1 of a labeling (by sorted value) into out; returns m, or -1 on ENOMEM. */
static int64_t dense_ids(const int32_t *a, int64_t n, int32_t *out)
{
    int32_t *u = malloc((size_t)n * sizeof *u);
    if (!u) return -1;
    memcpy(u, a, (size_t)n * sizeof *u);
    qsort(u, (size_t)n, sizeof *u, cmp_i32);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (m == 0 || u[i] != u[m - 1]) u[m++] = u[i];
    for (int64_t i = 0; i < n; i++)
        out[i] = (int32_t)((const int32_t *)bsearch(&a[i], u, (size_t)m, sizeof *u, cmp_i32) - u);
    free(u);
    return m;
}

static double entropy(const int64_t *cnt, int64_t m, int64_t n)
{
    double h = 0;
    for (int64_t i = 0; i < m; i++)
        if (cnt[i]) h -= (double)cnt[i] / (double)n * log((double)cnt[i] / (double)n);
    return h;
}

double lf_nmi(const int32_t *a, const int32_t *b, int64_t n)
{
    if (!a || !b || n < 1) return NAN;
    int32_t *da = malloc((size_t)n * sizeof *da), *db = malloc((size_t)n * sizeof *db);
    int64_t ma = da && db ? dense_ids(a, n, da) : -1, mb = ma > 0 ? dense_ids(b, n, db) : -1;
    int64_t *ca = NULL, *cb = NULL, *joint = NULL;
    if (ma > 0 && mb > 0 && ma <= INT32_MAX / mb) {
        ca = calloc((size_t)ma, sizeof *ca);
        cb = calloc((size_t)mb, sizeof *cb);
        joint = calloc((size_t)(ma * mb), sizeof *joint);
    }
    double nmi = NAN;
    if (ca && cb && joint) {
        for (int64_t i = 0; i < n; i++) {
            ca[da[i]]++;
            cb[db[i]]++;
            joint[da[i] * mb + db[i]]++;
        }
        double mi = 0;
        for (int64_t i = 0; i < ma; i++)
            for (int64_t j = 0; j < mb; j++) {
                double nij = (double)joint[i * mb + j];
                if (nij > 0)
                    mi += nij / (double)n * log((double)n * nij / ((double)ca[i] * (double)cb[j]));
            }
        /* scikit-learn: both one cluster is a perfect match; otherwise MI = 0 gives 0. */
        if (ma == 1 && mb == 1) nmi = 1;
        else if (mi <= 0) nmi = 0;
        else nmi = mi / ((entropy(ca, ma, n) + entropy(cb, mb, n)) / 2);
    }
    free(da);
    free(db);
    free(ca);
    free(cb);
    free(joint);
    return nmi;
}

/* ------------------------------------------------------------------ Recall@K, mAP@R */
typedef struct retr_ctx {
    const int32_t *y;
    const int64_t *same; /* per query: other rows with its label (R) */
    uint8_t *hits;       /* n × 4: a match within the first K */
    double *ap;          /* n: AP@R, NAN when R = 0 */
} retr_ctx;

static void retr_sink(void *ctx, int64_t q, const knn_pair *top, int k)
{
    retr_ctx *c = ctx;
    const int32_t y = c->y[q];
    int first = k; /* rank of the first match */
    for (int i = 0; i < k && first == k; i++)
        if (c->y[top[i].idx] == y) first = i;
    for (int r = 0; r < 4; r++) c->hits[q * 4 + r] = first < lf_recall_k[r];
    const int64_t R = c->same[q];
    double ap = 0;
    int64_t got = 0;
    for (int64_t i = 0; i < R && i < k; i++)
        if (c->y[top[i].idx] == y) ap += (double)++got / (double)(i + 1);
    c->ap[q] = R ? ap / (double)R : NAN;
}

/* Per row: how many other rows share its label; sets *max_same. */
static lf_status count_same(const int32_t *y, int64_t n, int64_t *same, int64_t *max_same)
{
    int32_t *dense = malloc((size_t)n * sizeof *dense);
    int64_t m = dense ? dense_ids(y, n, dense) : -1;
    int64_t *cnt = m > 0 ? calloc((size_t)m, sizeof *cnt) : NULL;
    if (!cnt) {
        free(dense);
        return lf_error(LF_ENOMEM, "retrieval: out of memory");
    }
    for (int64_t i = 0; i < n; i++) cnt[dense[i]]++;
    *max_same = 0;
    for (int64_t i = 0; i < n; i++) {
        same[i] = cnt[dense[i]] - 1;
        *max_same = same[i] > *max_same ? same[i] : *max_same;
    }
    free(dense);
    free(cnt);
    return LF_OK;
}

/* NMI of k-means (k = number of labels) on the embeddings, normalised first for cosine. */
static lf_status cluster_nmi(const float *emb, const int32_t *y, int64_t n, int64_t d,
                             lf_metric metric, uint64_t seed, double *nmi)
{
    int32_t *dense = malloc((size_t)n * sizeof *dense);
    int32_t *assign = malloc((size_t)n * sizeof *assign);
    float *x = metric == LF_METRIC_COSINE ? malloc((size_t)(n * d) * sizeof *x) : NULL;
    float *norm = x ? malloc((size_t)n * sizeof *norm) : NULL;
    lf_status s = LF_OK;
    int64_t k = dense ? dense_ids(y, n, dense) : -1;
    if (!dense || !assign || k < 1 || (metric == LF_METRIC_COSINE && (!x || !norm)))
        s = lf_error(LF_ENOMEM, "retrieval: out of memory for clustering");
    if (s == LF_OK && x) lf_embed_normalize(emb, n, d, x, norm);
    if (s == LF_OK) s = lf_kmeans(x ? x : emb, n, d, (int)k, 100, seed, assign, NULL);
    if (s == LF_OK) *nmi = lf_nmi(assign, y, n);
    free(dense);
    free(assign);
    free(x);
    free(norm);
    return s;
}

lf_status lf_retrieval_eval(const float *emb, const int32_t *y, int64_t n, int64_t d,
                            lf_metric metric, int with_nmi, uint64_t seed, lf_retrieval *out)
{
    if (!emb || !y || !out || n < 2 || d < 1)
        return lf_error(LF_EINVAL, "retrieval: need embeddings, labels and n >= 2 (n = %lld)",
                        (long long)n);
    int64_t *same = malloc((size_t)n * sizeof *same), max_same = 0;
    uint8_t *hits = malloc((size_t)n * 4);
    double *ap = malloc((size_t)n * sizeof *ap);
    lf_status s = same && hits && ap ? count_same(y, n, same, &max_same)
                                     : lf_error(LF_ENOMEM, "retrieval: out of memory");
    /* enough neighbours for Recall@8 and for the largest R */
    int64_t want = max_same > 8 ? max_same : 8;
    const int k = (int)(want < n - 1 ? want : n - 1);
    if (s == LF_OK) {
        knn_job job = {emb, emb, n, n, d, 0, k, metric};
        retr_ctx c = {y, same, hits, ap};
        s = knn_run(&job, retr_sink, &c);
    }
    lf_retrieval r = {.nmi = NAN};
    if (s == LF_OK) {
        int64_t with_r = 0;
        for (int64_t i = 0; i < n; i++) {
            for (int j = 0; j < 4; j++) r.recall[j] += hits[i * 4 + j];
            if (!isnan(ap[i])) {
                r.map_at_r += ap[i];
                with_r++;
            }
        }
        for (int j = 0; j < 4; j++) r.recall[j] /= (double)n;
        r.map_at_r = with_r ? r.map_at_r / (double)with_r : NAN;
        if (with_nmi) s = cluster_nmi(emb, y, n, d, metric, seed, &r.nmi);
    }
    free(same);
    free(hits);
    free(ap);
    if (s == LF_OK) *out = r;
    return s;
}
