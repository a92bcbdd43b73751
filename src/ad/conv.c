/* 2-d convolution, NCHW, weight [O,C,KH,KW]: per image, im2col then one sgemm
 * (y[O, OH*OW] = W[O, C*KH*KW] col[C*KH*KW, OH*OW]); the backward reuses the same layout, with
 * col2im scattering the input gradient back. Images run on OpenMP threads, each with its own
 * column buffer from the arena. */
#include "ad.h"

#include <cblas.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct geom {
    int64_t n, c, h, w;  /* input */
    int64_t o, kh, kw;   /* weight */
    int64_t oh, ow;      /* output */
    int64_t s, p;        /* stride, padding */
    int64_t ckk, ohw;    /* gemm sizes: column rows, column width */
} geom;

static geom geom_of(const lf_tensor *x, const lf_tensor *w, int64_t s, int64_t p)
{
    geom g = {x->shape[0], x->shape[1], x->shape[2], x->shape[3], w->shape[0], w->shape[2],
              w->shape[3], 0, 0, s, p, 0, 0};
    g.oh = (g.h + 2 * p - g.kh) / s + 1;
    g.ow = (g.w + 2 * p - g.kw) / s + 1;
    g.ckk = g.c * g.kh * g.kw;
    g.ohw = g.oh * g.ow;
    return g;
}

/* Threads over images. The pthreads build of OpenBLAS would stack its own threads on ours, so
 * the images share out only when each sgemm stays serial: OpenBLAS built on OpenMP (serial
 * inside a parallel region) or set to one thread. Tiny convolutions stay on one thread. */
static int image_threads(const geom *g)
{
#ifdef _OPENMP
    int nt = omp_get_max_threads();
    if (nt > g->n) nt = (int)g->n;
    int blas_serial = openblas_get_parallel() == 2 || openblas_get_num_threads() == 1;
    if (nt > 1 && blas_serial && g->n * g->o * g->ohw * g->ckk > (1 << 18)) return nt;
#else
    LF_UNUSED(g);
#endif
    return 1;
}

static int thread_id(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* The output columns ow whose input column iw = ow*s - p + kw falls inside the image. */
static void inside_cols(const geom *g, int64_t kw, int64_t *lo, int64_t *hi)
{
    int64_t a = g->p - kw, b = g->w + g->p - kw; /* need a <= ow*s < b */
    *lo = a > 0 ? (a + g->s - 1) / g->s : 0;
    *hi = b > 0 ? (b + g->s - 1) / g->s : 0;
    if (*hi > g->ow) *hi = g->ow;
    if (*lo > *hi) *lo = *hi;
}

/* Strided copy / add of n floats; the stride-1 case (the common one) vectorises. */
static inline void gather(float *restrict dst, const float *restrict src, int64_t n, int64_t s)
{
    if (s == 1)
        for (int64_t i = 0; i < n; i++) dst[i] = src[i];
    else
        for (int64_t i = 0; i < n; i++) dst[i] = src[i * s];
}

static inline void scatter_add(float *restrict dst, const float *restrict src, int64_t n,
                               int64_t s)
{
    if (s == 1)
        for (int64_t i = 0; i < n; i++) dst[i] += src[i];
    else
        for (int64_t i = 0; i < n; i++) dst[i * s] += src[i];
}

/* Walks column rows (c, kh, kw) x output rows oh: im2col gathers x into col (padding as 0);
 * with scatter set, col2im adds col back into x. Each segment's in-image span is computed once,
 * so the inner loops carry no bounds tests. */
static inline void col_walk(const geom *g, float *x, float *col, int scatter)
{
    for (int64_t c = 0; c < g->c; c++)
        for (int64_t kh = 0; kh < g->kh; kh++)
            for (int64_t kw = 0; kw < g->kw; kw++) {
                int64_t lo, hi;
                inside_cols(g, kw, &lo, &hi);
                float *seg = col + ((c * g->kh + kh) * g->kw + kw) * g->ohw;
                for (int64_t oh = 0; oh < g->oh; oh++, seg += g->ow) {
                    int64_t ih = oh * g->s - g->p + kh;
                    int in_rows = ih >= 0 && ih < g->h;
                    int64_t a = in_rows ? lo : 0, b = in_rows ? hi : 0; /* else all padding */
                    /* pixel (ih, iw = a*s - p + kw), the first one inside */
                    float *px = in_rows ? x + (c * g->h + ih) * g->w + a * g->s - g->p + kw : x;
                    if (scatter) {
                        scatter_add(px, seg + a, b - a, g->s);
                        continue;
                    }
                    for (int64_t ow = 0; ow < a; ow++) seg[ow] = 0.0f;
                    gather(seg + a, px, b - a, g->s);
                    for (int64_t ow = b; ow < g->ow; ow++) seg[ow] = 0.0f;
                }
            }
}

static void im2col(const geom *g, const float *x, float *col)
{
    col_walk(g, (float *)x, col, 0); /* gathers only: x is not written */
}

static void col2im(const geom *g, const float *col, float *dx)
{
    col_walk(g, dx, (float *)col, 1); /* scatters only: col is not written */
}

static float *arena_floats(lf_tape *t, int64_t n, int zero)
{
    size_t bytes = (size_t)n * sizeof(float);
    float *p = zero ? lf_arena_calloc(lf_tape_arena(t), bytes)
                    : lf_arena_alloc(lf_tape_arena(t), bytes);
    if (!p) lf_tape_fail(t, LF_ENOMEM, "conv2d: out of memory for %lld floats", (long long)n);
    return p;
}

/* ---------------------------------------------------------------- backward */
typedef struct conv_bufs {
    float *col, *dcol, *dw; /* per thread: ckk*ohw, ckk*ohw, o*ckk floats */
} conv_bufs;

static void conv_image_backward(const geom *g, const lf_tensor *x, const lf_tensor *w,
                                const float *dy, int64_t img, float *col, float *dcol, float *dw)
{
    int o = (int)g->o, ckk = (int)g->ckk, ohw = (int)g->ohw;
    if (w->requires_grad) { /* dW[O,CKK] += dy[O,OHW] col^T */
        im2col(g, x->data + img * g->c * g->h * g->w, col);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, o, ckk, ohw, 1.0f, dy, ohw, col,
                    ohw, 1.0f, dw, ckk);
    }
    if (x->requires_grad) { /* dcol[CKK,OHW] = W^T dy, scattered back into dx */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ckk, ohw, o, 1.0f, w->data, ckk, dy,
                    ohw, 0.0f, dcol, ohw);
        col2im(g, dcol, x->grad + img * g->c * g->h * g->w);
    }
}

static void bias_backward(const geom *g, const float *dy, float *db)
{
    for (int64_t o = 0; o < g->o; o++) {
        double s = 0;
        for (int64_t img = 0; img < g->n; img++) s += lf_ad_dsum(dy + (img * g->o + o) * g->ohw, g->ohw);
        db[o] += (float)s;
    }
}

static void conv_backward(lf_tape *t, lf_node *nd)
{
    lf_tensor *x = nd->in[0], *w = nd->in[1], *b = nd->in[2];
    geom g = geom_of(x, w, nd->i[0], nd->i[1]);
    const float *dy = nd->out->grad;
    if (b && b->requires_grad) bias_backward(&g, dy, b->grad);
    if (!x->requires_grad && !w->requires_grad) return;
    int nt = image_threads(&g);
    int64_t cn = g.ckk * g.ohw, wn = g.o * g.ckk;
    /* One thread accumulates straight into dW; several get zeroed partials summed in order. */
    float *col = NULL, *dcol = NULL, *dw = NULL;
    if (w->requires_grad) {
        col = arena_floats(t, nt * cn, 0);
        dw = nt > 1 ? arena_floats(t, nt * wn, 1) : w->grad;
        if (!col || !dw) return;
    }
    if (x->requires_grad && !(dcol = arena_floats(t, nt * cn, 0))) return;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (int64_t img = 0; img < g.n; img++) {
        int id = thread_id();
        conv_image_backward(&g, x, w, dy + img * g.o * g.ohw, img, col ? col + id * cn : NULL,
                            dcol ? dcol + id * cn : NULL, dw ? dw + id * wn : NULL);
    }
    if (nt > 1 && w->requires_grad)
        for (int id = 0; id < nt; id++) lf_ad_axpy(w->grad, 1.0f, dw + id * wn, wn);
}

/* ---------------------------------------------------------------- forward */
static int conv_check(lf_tape *t, const lf_tensor *x, const lf_tensor *w, const lf_tensor *b,
                      int stride, int pad)
{
    char sx[64], sw[64];
    if (x->ndim != 4 || w->ndim != 4)
        lf_tape_fail(t, LF_EINVAL, "conv2d: input %s and weight %s must be 4-d ([N,C,H,W], "
                     "[O,C,KH,KW])", lf_ad_shape(x, sx), lf_ad_shape(w, sw));
    else if (x->shape[1] != w->shape[1])
        lf_tape_fail(t, LF_EINVAL, "conv2d: input has %lld channels, weight expects %lld",
                     (long long)x->shape[1], (long long)w->shape[1]);
    else if (stride < 1 || pad < 0)
        lf_tape_fail(t, LF_EINVAL, "conv2d: stride %d must be >= 1 and padding %d >= 0", stride,
                     pad);
    else if (x->shape[2] + 2 * (int64_t)pad < w->shape[2] ||
             x->shape[3] + 2 * (int64_t)pad < w->shape[3])
        lf_tape_fail(t, LF_EINVAL, "conv2d: kernel %lldx%lld larger than the padded input %lldx%lld",
                     (long long)w->shape[2], (long long)w->shape[3],
                     (long long)(x->shape[2] + 2 * (int64_t)pad),
                     (long long)(x->shape[3] + 2 * (int64_t)pad));
    else if (b && (b->ndim != 1 || b->shape[0] != w->shape[0]))
        lf_tape_fail(t, LF_EINVAL, "conv2d: bias %s does not match %lld output channels",
                     lf_ad_shape(b, sx), (long long)w->shape[0]);
    else return 1;
    return 0;
}

static void conv_image_forward(const geom *g, const float *x, const float *w, const float *b,
                               float *col, float *y)
{
    im2col(g, x, col);
    if (b)
        for (int64_t o = 0; o < g->o; o++)
            for (int64_t i = 0; i < g->ohw; i++) y[o * g->ohw + i] = b[o];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)g->o, (int)g->ohw, (int)g->ckk,
                1.0f, w, (int)g->ckk, col, (int)g->ohw, b ? 1.0f : 0.0f, y, (int)g->ohw);
}

lf_tensor *lf_conv2d(lf_tape *t, lf_tensor *x, lf_tensor *w, lf_tensor *b, int stride, int pad)
{
    if (!lf_ad_ready(t, "conv2d", x, w) || !conv_check(t, x, w, b, stride, pad)) return NULL;
    geom g = geom_of(x, w, stride, pad);
    const int64_t shape[4] = {g.n, g.o, g.oh, g.ow};
    lf_tensor *y = lf_tape_out(t, 4, shape, x, w);
    if (!y) return NULL;
    if (b) y->requires_grad |= b->requires_grad;
    int nt = image_threads(&g);
    int64_t cn = g.ckk * g.ohw;
    float *col = arena_floats(t, nt * cn, 0);
    if (!col) return NULL;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (int64_t img = 0; img < g.n; img++)
        conv_image_forward(&g, x->data + img * g.c * g.h * g.w, w->data, b ? b->data : NULL,
                           col + thread_id() * cn, y->data + img * g.o * g.ohw);
    lf_node *nd = lf_tape_push(t, conv_backward, y, x, w, b);
    if (nd) {
        nd->i[0] = stride;
        nd->i[1] = pad;
    }
    return y;
}
