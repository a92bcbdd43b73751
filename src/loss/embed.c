/* Geometry shared by the embedding losses, miners and retrieval: see embed.h. */
#include "loss/embed.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------ workspace */
float *lf_embed_ws_reserve(lf_embed_ws *w, size_t floats, const char *who)
{
    if (floats <= w->cap) return w->buf;
    float *p = realloc(w->buf, floats * sizeof *p);
    if (!p) {
        lf_error(LF_ENOMEM, "%s: out of memory for a %zu-float workspace", who, floats);
        return NULL;
    }
    w->buf = p;
    w->cap = floats;
    return p;
}

void lf_embed_ws_release(lf_embed_ws *w)
{
    free(w->buf);
    w->buf = NULL;
    w->cap = 0;
}

lf_status lf_embed_ws_init(const void *cfg, void **state)
{
    LF_UNUSED(cfg);
    *state = calloc(1, sizeof(lf_embed_ws));
    return *state ? LF_OK : lf_error(LF_ENOMEM, "embedding loss: out of memory");
}

void lf_embed_ws_free(void *state)
{
    if (!state) return;
    lf_embed_ws_release(state);
    free(state);
}

/* ------------------------------------------------------------------ matrices */
void lf_embed_dot(const float *a, int64_t na, const float *b, int64_t nb, int64_t d, float *out)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)na, (int)nb, (int)d, 1.0f, a,
                (int)d, b, (int)d, 0.0f, out, (int)nb);
}

/* da += alpha h b, db += alpha h^T a. */
static void dot_backward_scaled(const float *a, int64_t na, const float *b, int64_t nb,
                                int64_t d, const float *h, float alpha, float *da, float *db)
{
    if (da)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)na, (int)d, (int)nb, alpha, h,
                    (int)nb, b, (int)d, 1.0f, da, (int)d);
    if (db)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)nb, (int)d, (int)na, alpha, h,
                    (int)nb, a, (int)d, 1.0f, db, (int)d);
}

void lf_embed_dot_backward(const float *a, int64_t na, const float *b, int64_t nb, int64_t d,
                           const float *h, float *da, float *db)
{
    dot_backward_scaled(a, na, b, nb, d, h, 1.0f, da, db);
}

static void row_sqnorms(const float *x, int64_t n, int64_t d, float *out)
{
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        const float *r = x + i * d;
#pragma omp simd reduction(+ : s)
        for (int64_t j = 0; j < d; j++) s += (double)r[j] * r[j];
        out[i] = (float)s;
    }
}

void lf_embed_sqdist(const float *a, int64_t na, const float *b, int64_t nb, int64_t d, float *out,
                     float *scratch)
{
    float *sa = scratch, *sb = scratch + na;
    lf_embed_dot(a, na, b, nb, d, out);
    if (a == b) {
        for (int64_t i = 0; i < na; i++) sa[i] = sb[i] = out[i * nb + i];
    } else {
        row_sqnorms(a, na, d, sa);
        row_sqnorms(b, nb, d, sb);
    }
#pragma omp parallel for schedule(static) if (na * nb > 1 << 16)
    for (int64_t i = 0; i < na; i++) {
        float *o = out + i * nb;
#pragma omp simd
        for (int64_t j = 0; j < nb; j++) {
            float v = sa[i] + sb[j] - 2.0f * o[j];
            o[j] = v > 0.0f ? v : 0.0f;
        }
    }
}

/* da += s a with s per row, for a rows of d floats. */
static void add_row_scaled(float *da, const float *a, const float *s, int64_t n, int64_t d)
{
    for (int64_t i = 0; i < n; i++) {
        const float si = s[i];
        float *o = da + i * d;
        const float *r = a + i * d;
#pragma omp simd
        for (int64_t j = 0; j < d; j++) o[j] += si * r[j];
    }
}

void lf_embed_sqdist_backward(const float *a, int64_t na, const float *b, int64_t nb, int64_t d,
                              const float *h, float *da, float *db, float *scratch)
{
    float *ra = scratch, *cb = scratch + na;
    memset(cb, 0, (size_t)nb * sizeof *cb);
    for (int64_t i = 0; i < na; i++) {
        const float *hr = h + i * nb;
        double s = 0;
#pragma omp simd reduction(+ : s)
        for (int64_t j = 0; j < nb; j++) {
            s += hr[j];
            cb[j] += 2.0f * hr[j];
        }
        ra[i] = (float)(2 * s);
    }
    if (da) add_row_scaled(da, a, ra, na, d);
    if (db) add_row_scaled(db, b, cb, nb, d);
    dot_backward_scaled(a, na, b, nb, d, h, -2.0f, da, db);
}

void lf_embed_normalize(const float *e, int64_t n, int64_t d, float *x, float *norm)
{
#pragma omp parallel for schedule(static) if (n * d > 1 << 16)
    for (int64_t i = 0; i < n; i++) {
        const float *r = e + i * d;
        double s = 0;
#pragma omp simd reduction(+ : s)
        for (int64_t j = 0; j < d; j++) s += (double)r[j] * r[j];
        float nr = (float)sqrt(s);
        if (!(nr > LF_EMBED_NORM_EPS)) nr = LF_EMBED_NORM_EPS;
        norm[i] = nr;
        const float inv = 1.0f / nr;
        float *o = x + i * d;
#pragma omp simd
        for (int64_t j = 0; j < d; j++) o[j] = r[j] * inv;
    }
}

void lf_embed_normalize_backward(const float *x, const float *norm, int64_t n, int64_t d,
                                 float *dx)
{
#pragma omp parallel for schedule(static) if (n * d > 1 << 16)
    for (int64_t i = 0; i < n; i++) {
        const float *xr = x + i * d;
        float *g = dx + i * d;
        const float inv = 1.0f / norm[i];
        /* Below the clamp the norm is a constant, so only the division remains. */
        double dot = 0;
        if (norm[i] > LF_EMBED_NORM_EPS) {
#pragma omp simd reduction(+ : dot)
            for (int64_t j = 0; j < d; j++) dot += (double)xr[j] * g[j];
        }
        const float df = (float)dot;
#pragma omp simd
        for (int64_t j = 0; j < d; j++) g[j] = (g[j] - xr[j] * df) * inv;
    }
}

/* ------------------------------------------------------------------ pair geometry */
lf_status lf_pairgeom_compute(lf_pairgeom *pg, lf_embed_ws *ws, int distance, int normalize,
                              const lf_batch *b, const char *who)
{
    const int64_t n = b->n, d = b->k;
    int64_t nn, nd;
    if (lf_mul_overflows(n, n, &nn) || lf_mul_overflows(n, d, &nd))
        return lf_error(LF_ENOMEM, "%s: a batch of %lld × %lld is too large", who, (long long)n,
                        (long long)d);
    /* x (n·d) | norm (n) | m (n·n) | g (n·n) | tmp (n·n) | idx (n·n int32) | scratch (2n) */
    float *w = lf_embed_ws_reserve(ws, (size_t)(nd + 3 * n + 4 * nn), who);
    if (!w) return LF_ENOMEM;
    *pg = (lf_pairgeom){.distance = distance, .normalize = normalize, .n = n, .d = d,
                        .sign = distance == LF_EMBED_COSINE ? 1.0f : -1.0f};
    float *x = w;
    pg->norm = x + nd;
    pg->m = pg->norm + n;
    pg->g = pg->m + nn;
    pg->tmp = pg->g + nn;
    pg->idx = (int32_t *)(void *)(pg->tmp + nn);
    pg->scratch = pg->tmp + 2 * nn;
    if (normalize) lf_embed_normalize(b->pred, n, d, x, pg->norm);
    pg->x = normalize ? x : b->pred;
    if (distance == LF_EMBED_COSINE) {
        lf_embed_dot(pg->x, n, pg->x, n, d, pg->m);
    } else {
        lf_embed_sqdist(pg->x, n, pg->x, n, d, pg->m, pg->scratch);
#pragma omp simd
        for (int64_t i = 0; i < nn; i++) pg->m[i] = sqrtf(pg->m[i]);
    }
    memset(pg->g, 0, (size_t)nn * sizeof *pg->g);
    return LF_OK;
}

void lf_pairgeom_backward(lf_pairgeom *pg, float *demb)
{
    const int64_t n = pg->n, d = pg->d, nn = n * n;
    memset(demb, 0, (size_t)(n * d) * sizeof *demb);
    if (pg->distance == LF_EMBED_COSINE) {
        lf_embed_dot_backward(pg->x, n, pg->x, n, d, pg->g, demb, demb);
    } else {
        /* d D / d D^2 = 1 / (2 D); at D = 0 the direction is undefined and, as torch.cdist,
         * the gradient is taken as 0. */
#pragma omp simd
        for (int64_t i = 0; i < nn; i++)
            pg->g[i] = pg->m[i] > 0.0f ? pg->g[i] / (2.0f * pg->m[i]) : 0.0f;
        lf_embed_sqdist_backward(pg->x, n, pg->x, n, d, pg->g, demb, demb, pg->scratch);
    }
    if (pg->normalize) lf_embed_normalize_backward(pg->x, pg->norm, n, d, demb);
}
