/* The autodiff tape and its ops: a gradient check for every op (one table), PyTorch 1.13
 * references for conv2d, max-pool, gelu and log_softmax, dropout masks, steady-state reuse
 * after lf_tape_reset, and shape errors. */
#include "testutil.h"
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* ------------------------------------------------------------------ the op table */
#define MAX_IN 5

typedef struct op_case op_case;
typedef lf_tensor *(*op_build)(lf_tape *t, lf_tensor **in, const op_case *c);

struct op_case {
    const char *name;
    op_build build;
    int nin;
    int ndim[MAX_IN];
    int64_t shape[MAX_IN][4];
    int arg[2];  /* stride/pad, k/stride, dropout p in percent, ... */
    int spaced;  /* inputs well apart (kinks: relu, max-pool) */
};

static lf_tensor *b_linear(lf_tape *t, lf_tensor **in, const op_case *c)
{
    return lf_linear(t, in[0], in[1], c->nin > 2 ? in[2] : NULL);
}
static lf_tensor *b_add(lf_tape *t, lf_tensor **in, const op_case *c) { (void)c; return lf_add(t, in[0], in[1]); }
static lf_tensor *b_mul(lf_tape *t, lf_tensor **in, const op_case *c)
{
    return lf_mul(t, in[0], c->nin > 1 ? in[1] : in[0]); /* one input: x * x */
}
static lf_tensor *b_scale(lf_tape *t, lf_tensor **in, const op_case *c) { (void)c; return lf_scale(t, in[0], -0.75f); }
static lf_tensor *b_relu(lf_tape *t, lf_tensor **in, const op_case *c) { (void)c; return lf_relu(t, in[0]); }
static lf_tensor *b_tanh(lf_tape *t, lf_tensor **in, const op_case *c) { (void)c; return lf_tanh(t, in[0]); }
static lf_tensor *b_sigmoid(lf_tape *t, lf_tensor **in, const op_case *c) { (void)c; return lf_sigmoid(t, in[0]); }
static lf_tensor *b_gelu(lf_tape *t, lf_tensor **in, const op_case *c) { (void)c; return lf_gelu(t, in[0]); }
static lf_tensor *b_softmax(lf_tape *t, lf_tensor **in, const op_case *c) { (void)c; return lf_softmax(t, in[0]); }
static lf_tensor *b_log_softmax(lf_tape *t, lf_tensor **in, const op_case *c) { (void)c; return lf_log_softmax(t, in[0]); }
static lf_tensor *b_sum(lf_tape *t, lf_tensor **in, const op_case *c) { (void)c; return lf_sum(t, in[0]); }
static lf_tensor *b_mean(lf_tape *t, lf_tensor **in, const op_case *c) { (void)c; return lf_mean(t, in[0]); }
static lf_tensor *b_reshape(lf_tape *t, lf_tensor **in, const op_case *c)
{
    const int64_t shape[2] = {c->arg[0], -1};
    return lf_reshape(t, in[0], 2, shape);
}
static lf_tensor *b_flatten(lf_tape *t, lf_tensor **in, const op_case *c) { (void)c; return lf_flatten(t, in[0]); }
static lf_tensor *b_conv2d(lf_tape *t, lf_tensor **in, const op_case *c)
{
    return lf_conv2d(t, in[0], in[1], c->nin > 2 ? in[2] : NULL, c->arg[0], c->arg[1]);
}
static lf_tensor *b_maxpool2d(lf_tape *t, lf_tensor **in, const op_case *c)
{
    return lf_maxpool2d(t, in[0], c->arg[0], c->arg[1]);
}
static lf_tensor *b_dropout(lf_tape *t, lf_tensor **in, const op_case *c)
{
    lf_tape_set_train(t, 1, 99); /* the same mask on every evaluation */
    return lf_dropout(t, in[0], (float)c->arg[0] / 100.0f);
}
/* conv -> tanh -> maxpool -> flatten -> linear -> log_softmax -> mean: the ops composed. */
static lf_tensor *b_chain(lf_tape *t, lf_tensor **in, const op_case *c)
{
    (void)c;
    lf_tensor *h = lf_maxpool2d(t, lf_tanh(t, lf_conv2d(t, in[0], in[1], in[2], 1, 1)), 2, 2);
    return lf_mean(t, lf_log_softmax(t, lf_linear(t, lf_flatten(t, h), in[3], in[4])));
}

#define S1(a) {1}, {{a}}
#define S2(a, b) {2}, {{a, b}}

static const op_case CASES[] = {
    {"linear", b_linear, 3, {2, 2, 1}, {{3, 5}, {4, 5}, {4}}, {0}, 0},
    {"linear batch1", b_linear, 3, {2, 2, 1}, {{1, 5}, {2, 5}, {2}}, {0}, 0},
    {"linear nobias", b_linear, 2, {2, 2}, {{4, 3}, {6, 3}}, {0}, 0},
    {"add", b_add, 2, {2, 2}, {{3, 4}, {3, 4}}, {0}, 0},
    {"add batch1", b_add, 2, {2, 2}, {{1, 6}, {1, 6}}, {0}, 0},
    {"mul", b_mul, 2, {3, 3}, {{2, 3, 4}, {2, 3, 4}}, {0}, 0},
    {"mul batch1", b_mul, 2, {2, 2}, {{1, 5}, {1, 5}}, {0}, 0},
    {"mul self", b_mul, 1, S1(7), {0}, 0},
    {"scale", b_scale, 1, S2(3, 4), {0}, 0},
    {"scale scalar", b_scale, 1, S1(1), {0}, 0},
    {"relu", b_relu, 1, S2(4, 5), {0}, 1},
    {"relu batch1", b_relu, 1, S2(1, 3), {0}, 1},
    {"tanh", b_tanh, 1, S2(3, 4), {0}, 0},
    {"tanh batch1", b_tanh, 1, S2(1, 7), {0}, 0},
    {"sigmoid", b_sigmoid, 1, S2(3, 4), {0}, 0},
    {"sigmoid batch1", b_sigmoid, 1, S2(1, 2), {0}, 0},
    {"gelu", b_gelu, 1, S2(3, 5), {0}, 0},
    {"gelu batch1", b_gelu, 1, S2(1, 4), {0}, 0},
    {"softmax", b_softmax, 1, S2(3, 5), {0}, 0},
    {"softmax batch1", b_softmax, 1, S2(1, 6), {0}, 0},
    {"softmax 3d", b_softmax, 1, {3}, {{2, 3, 4}}, {0}, 0},
    {"softmax k1", b_softmax, 1, S2(4, 1), {0}, 0},
    {"log_softmax", b_log_softmax, 1, S2(3, 5), {0}, 0},
    {"log_softmax batch1", b_log_softmax, 1, S2(1, 6), {0}, 0},
    {"log_softmax 3d", b_log_softmax, 1, {3}, {{2, 3, 4}}, {0}, 0},
    {"sum", b_sum, 1, S2(3, 4), {0}, 0},
    {"sum scalar", b_sum, 1, S1(1), {0}, 0},
    {"mean", b_mean, 1, {3}, {{2, 3, 4}}, {0}, 0},
    {"mean batch1", b_mean, 1, S2(1, 1), {0}, 0},
    {"reshape", b_reshape, 1, {3}, {{2, 3, 4}}, {4}, 0},
    {"reshape batch1", b_reshape, 1, S2(1, 6), {6}, 0},
    {"flatten", b_flatten, 1, {4}, {{2, 3, 2, 2}}, {0}, 0},
    {"flatten batch1", b_flatten, 1, {3}, {{1, 2, 3}}, {0}, 0},
    {"conv2d s1p0", b_conv2d, 3, {4, 4, 1}, {{2, 3, 5, 4}, {4, 3, 3, 3}, {4}}, {1, 0}, 0},
    {"conv2d s2p1 batch1", b_conv2d, 3, {4, 4, 1}, {{1, 2, 6, 5}, {3, 2, 3, 2}, {3}}, {2, 1}, 0},
    {"conv2d s2p0 nobias", b_conv2d, 2, {4, 4}, {{2, 1, 5, 6}, {2, 1, 2, 2}}, {2, 0}, 0},
    {"conv2d s1p1 same", b_conv2d, 3, {4, 4, 1}, {{1, 1, 4, 4}, {1, 1, 3, 3}, {1}}, {1, 1}, 0},
    {"conv2d s1p2 1x1", b_conv2d, 2, {4, 4}, {{1, 2, 3, 2}, {2, 2, 1, 1}}, {1, 2}, 0},
    {"maxpool2d k2s2", b_maxpool2d, 1, {4}, {{2, 2, 6, 5}}, {2, 2}, 1},
    {"maxpool2d k3s2 overlap", b_maxpool2d, 1, {4}, {{1, 3, 7, 7}}, {3, 2}, 1},
    {"maxpool2d k2s1 batch1", b_maxpool2d, 1, {4}, {{1, 1, 4, 5}}, {2, 1}, 1},
    {"dropout", b_dropout, 1, S2(4, 5), {30}, 0},
    {"dropout batch1", b_dropout, 1, S2(1, 8), {50}, 0},
    {"chain", b_chain, 5, {4, 4, 1, 2, 1}, {{2, 1, 4, 4}, {2, 1, 3, 3}, {2}, {3, 8}, {3}}, {0}, 0},
};
enum { NCASES = sizeof CASES / sizeof CASES[0], MAX_OUT = 4096 };

static int64_t shape_size(int ndim, const int64_t *shape)
{
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) n *= shape[d];
    return n;
}

typedef struct gc_ctx {
    const op_case *c;
    lf_tape *t;
    float r[MAX_OUT];
} gc_ctx;

/* f(inputs) = sum(r * op(inputs)) in double; the gradient comes from the tape. */
static double objective(void *vctx, const float *x, float *grad)
{
    gc_ctx *g = vctx;
    lf_tape_reset(g->t);
    lf_tensor *in[MAX_IN];
    int64_t off = 0;
    for (int i = 0; i < g->c->nin; i++) {
        in[i] = lf_tape_tensor(g->t, g->c->ndim[i], g->c->shape[i], x + off);
        assert_non_null(in[i]);
        in[i]->requires_grad = 1;
        off += in[i]->size;
    }
    lf_tensor *y = g->c->build(g->t, in, g->c);
    TU_OK(lf_tape_status(g->t));
    assert_true(y->size <= MAX_OUT);
    double v = 0;
    for (int64_t i = 0; i < y->size; i++) v += (double)g->r[i] * y->data[i];
    if (grad) {
        lf_tensor *r = lf_tape_tensor(g->t, y->ndim, y->shape, g->r);
        TU_OK(lf_backward(g->t, lf_sum(g->t, lf_mul(g->t, y, r))));
        for (int i = 0, o = 0; i < g->c->nin; o += (int)in[i]->size, i++)
            memcpy(grad + o, lf_tensor_grad(g->t, in[i]), (size_t)in[i]->size * sizeof(float));
    }
    return v;
}

/* Distinct values at least 0.05 apart, symmetric about 0 and never 0, in a seeded order. */
static void fill_spaced(float *x, int64_t n, uint64_t seed)
{
    int64_t *perm = malloc((size_t)n * sizeof *perm);
    assert_non_null(perm);
    lf_rng r;
    lf_rng_seed(&r, seed);
    lf_rng_permutation(&r, perm, n);
    for (int64_t i = 0; i < n; i++) x[i] = 0.05f * ((float)(perm[i] - n / 2) + 0.5f);
    free(perm);
}

static void gradcheck_every_op(void **state)
{
    (void)state;
    gc_ctx *g = malloc(sizeof *g);
    assert_non_null(g);
    g->t = lf_tape_new();
    assert_non_null(g->t);
    tu_fill_uniform(g->r, MAX_OUT, -1, 1, 3);
    for (int k = 0; k < NCASES; k++) {
        g->c = &CASES[k];
        int64_t n = 0;
        for (int i = 0; i < g->c->nin; i++) n += shape_size(g->c->ndim[i], g->c->shape[i]);
        float *x = malloc((size_t)n * sizeof *x);
        assert_non_null(x);
        if (g->c->spaced) fill_spaced(x, n, 100 + (uint64_t)k);
        else tu_fill_uniform(x, n, -2, 2, 100 + (uint64_t)k);
        print_message("gradcheck %-24s %4lld inputs", g->c->name, (long long)n);
        double err = tu_gradcheck(objective, g, x, n, 1e-2, 1e-3);
        print_message("  worst rel err %.2e\n", err);
        free(x);
    }
    lf_tape_free(g->t);
    free(g);
}

/* ------------------------------------------------------------------ PyTorch references */
typedef struct ref_reader {
    float *a;
    int64_t n, at;
} ref_reader;

static const float *ref_next(ref_reader *r, int64_t n)
{
    if (r->at + n > r->n) fail_msg("fixture too short: need %lld more of %lld", (long long)n, (long long)r->n);
    const float *p = r->a + r->at;
    r->at += n;
    return p;
}

static lf_tensor *grad_input(lf_tape *t, int ndim, const int64_t *shape, ref_reader *rd)
{
    lf_tensor *x = lf_tape_tensor(t, ndim, shape, ref_next(rd, shape_size(ndim, shape)));
    assert_non_null(x);
    x->requires_grad = 1;
    return x;
}

/* Backward of sum(r * y), r read from the fixture. */
static void backward_weighted(lf_tape *t, lf_tensor *y, ref_reader *rd)
{
    lf_tensor *r = lf_tape_tensor(t, y->ndim, y->shape, ref_next(rd, y->size));
    TU_OK(lf_backward(t, lf_sum(t, lf_mul(t, y, r))));
}

static void expect_ref(const float *got, ref_reader *rd, int64_t n, const char *what)
{
    tu_assert_close(got, ref_next(rd, n), n, 2e-5, 2e-5, what);
}

typedef struct conv_ref {
    const char *file;
    int64_t n, c, h, w, o, kh, kw;
    int stride, pad, bias;
} conv_ref;

static void conv2d_matches_torch(void **state)
{
    (void)state;
    static const conv_ref cases[] = {
        {"ad_conv_s1p0.npy", 2, 3, 7, 6, 4, 3, 3, 1, 0, 1},
        {"ad_conv_s2p1.npy", 1, 2, 6, 9, 3, 3, 2, 2, 1, 1},
        {"ad_conv_s2p0_nobias.npy", 3, 1, 5, 5, 2, 2, 2, 2, 0, 0},
    };
    lf_tape *t = lf_tape_new();
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const conv_ref *c = &cases[k];
        ref_reader rd = {0};
        rd.a = tu_fixture_f32(c->file, &rd.n);
        lf_tape_reset(t);
        const int64_t xs[4] = {c->n, c->c, c->h, c->w}, ws[4] = {c->o, c->c, c->kh, c->kw};
        lf_tensor *x = grad_input(t, 4, xs, &rd), *w = grad_input(t, 4, ws, &rd);
        lf_tensor *b = c->bias ? grad_input(t, 1, &c->o, &rd) : NULL;
        lf_tensor *y = lf_conv2d(t, x, w, b, c->stride, c->pad);
        TU_OK(lf_tape_status(t));
        backward_weighted(t, y, &rd);
        expect_ref(y->data, &rd, y->size, c->file);
        expect_ref(x->grad, &rd, x->size, "conv2d dx");
        expect_ref(w->grad, &rd, w->size, "conv2d dw");
        if (b) expect_ref(b->grad, &rd, b->size, "conv2d db");
        assert_int_equal(rd.at, rd.n);
        free(rd.a);
    }
    lf_tape_free(t);
}

static void maxpool_matches_torch(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int64_t shape[4];
        int k, stride;
    } cases[] = {{"ad_pool_k2s2.npy", {2, 2, 7, 6}, 2, 2}, {"ad_pool_k3s2.npy", {1, 3, 7, 8}, 3, 2}};
    lf_tape *t = lf_tape_new();
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ref_reader rd = {0};
        rd.a = tu_fixture_f32(cases[k].file, &rd.n);
        lf_tape_reset(t);
        lf_tensor *x = grad_input(t, 4, cases[k].shape, &rd);
        lf_tensor *y = lf_maxpool2d(t, x, cases[k].k, cases[k].stride);
        TU_OK(lf_tape_status(t));
        backward_weighted(t, y, &rd);
        /* Values repeat (ties), so exact equality also checks which maximum took the grad. */
        expect_ref(y->data, &rd, y->size, cases[k].file);
        expect_ref(x->grad, &rd, x->size, "maxpool2d dx");
        assert_int_equal(rd.at, rd.n);
        free(rd.a);
    }
    lf_tape_free(t);
}

static void unary_matches_torch(const char *file, int ndim, const int64_t *shape,
                                lf_tensor *(*op)(lf_tape *, lf_tensor *))
{
    lf_tape *t = lf_tape_new();
    ref_reader rd = {0};
    rd.a = tu_fixture_f32(file, &rd.n);
    lf_tensor *x = grad_input(t, ndim, shape, &rd);
    lf_tensor *y = op(t, x);
    TU_OK(lf_tape_status(t));
    backward_weighted(t, y, &rd);
    expect_ref(y->data, &rd, y->size, file);
    expect_ref(x->grad, &rd, x->size, "dx");
    assert_int_equal(rd.at, rd.n);
    free(rd.a);
    lf_tape_free(t);
}

static void gelu_matches_torch(void **state)
{
    (void)state;
    const int64_t n = 40;
    unary_matches_torch("ad_gelu.npy", 1, &n, lf_gelu);
}

static void log_softmax_matches_torch(void **state)
{
    (void)state;
    const int64_t shape[2] = {4, 7}; /* row 2 holds logits of order 1e4 */
    unary_matches_torch("ad_log_softmax.npy", 2, shape, lf_log_softmax);
}

static void softmax_extreme_logits(void **state)
{
    (void)state;
    lf_tape *t = lf_tape_new();
    const float v[6] = {1e4f, -1e4f, 0.0f, -1e4f, -1e4f, -1e4f};
    const int64_t shape[2] = {2, 3};
    lf_tensor *y = lf_softmax(t, lf_tape_tensor(t, 2, shape, v));
    TU_OK(lf_tape_status(t));
    const float want[6] = {1, 0, 0, 1.0f / 3, 1.0f / 3, 1.0f / 3};
    tu_assert_close(y->data, want, 6, 1e-7, 1e-6, "softmax");
    lf_tape_free(t);
}

/* ------------------------------------------------------------------ threads */
/* The image-parallel conv (per-thread column buffers and dW partials) against one thread. */
static void conv2d_threads_agree(void **state)
{
    (void)state;
#ifdef _OPENMP
    const int64_t xs[4] = {6, 4, 12, 10}, ws[4] = {8, 4, 3, 3}, bs = 8;
    float *xv = malloc(6 * 4 * 12 * 10 * sizeof *xv);
    float wv[8 * 4 * 9], bv[8];
    assert_non_null(xv);
    tu_fill_uniform(xv, 6 * 4 * 12 * 10, -1, 1, 1);
    tu_fill_uniform(wv, 8 * 4 * 9, -1, 1, 2);
    tu_fill_uniform(bv, 8, -1, 1, 3);
    float *res[2];
    int64_t len[3] = {0};
    int saved = omp_get_max_threads();
    for (int run = 0; run < 2; run++) {
        omp_set_num_threads(run ? 2 : 1);
        lf_tape *t = lf_tape_new();
        lf_tensor *x = lf_tape_tensor(t, 4, xs, xv), *w = lf_tape_tensor(t, 4, ws, wv);
        lf_tensor *b = lf_tape_tensor(t, 1, &bs, bv);
        x->requires_grad = w->requires_grad = b->requires_grad = 1;
        lf_tensor *y = lf_conv2d(t, x, w, b, 1, 1);
        TU_OK(lf_backward(t, lf_sum(t, lf_mul(t, y, y))));
        len[0] = y->size;
        len[1] = len[0] + x->size;
        len[2] = len[1] + w->size;
        res[run] = malloc((size_t)(len[2] + 8) * sizeof(float));
        assert_non_null(res[run]);
        memcpy(res[run], y->data, (size_t)y->size * sizeof(float));
        memcpy(res[run] + len[0], x->grad, (size_t)x->size * sizeof(float));
        memcpy(res[run] + len[1], w->grad, (size_t)w->size * sizeof(float));
        memcpy(res[run] + len[2], b->grad, 8 * sizeof(float));
        lf_tape_free(t);
    }
    omp_set_num_threads(saved);
    tu_assert_close(res[1], res[0], len[2] + 8, 1e-4, 1e-5, "conv2d 2 threads vs 1");
    free(res[0]);
    free(res[1]);
    free(xv);
#endif
}

/* ------------------------------------------------------------------ dropout */
static void dropout_masks(void **state)
{
    (void)state;
    enum { N = 4000 };
    static float ones[N], first[N];
    for (int i = 0; i < N; i++) ones[i] = 1.0f;
    const int64_t n = N;
    lf_tape *t = lf_tape_new();
    for (int run = 0; run < 3; run++) {
        lf_tape_reset(t);
        lf_tape_set_train(t, 1, run < 2 ? 5 : 6);
        lf_tensor *y = lf_dropout(t, lf_tape_tensor(t, 1, &n, ones), 0.25f);
        TU_OK(lf_tape_status(t));
        int zeros = 0;
        for (int i = 0; i < N; i++) {
            if (y->data[i] == 0.0f) zeros++;
            else assert_true(fabsf(y->data[i] - 1.0f / 0.75f) < 1e-6f);
        }
        assert_true(zeros > 0.22 * N && zeros < 0.28 * N);
        if (run == 0) memcpy(first, y->data, sizeof first);
        else if (run == 1) assert_memory_equal(first, y->data, sizeof first); /* same seed */
        else assert_memory_not_equal(first, y->data, sizeof first);
        /* The stream moves on: a second dropout in the same step draws a new mask. */
        lf_tensor *y2 = lf_dropout(t, lf_tape_tensor(t, 1, &n, ones), 0.25f);
        assert_memory_not_equal(y2->data, y->data, sizeof first);
    }
    lf_tape_free(t);
}

static void dropout_eval_is_identity(void **state)
{
    (void)state;
    float v[6] = {1, -2, 3, -4, 5, -6};
    const int64_t n = 6;
    lf_tape *t = lf_tape_new();
    lf_tensor *x = lf_tape_tensor(t, 1, &n, v);
    x->requires_grad = 1;
    assert_ptr_equal(lf_dropout(t, x, 0.5f), x); /* a new tape is in eval mode */
    lf_tape_set_train(t, 1, 1);
    assert_ptr_equal(lf_dropout(t, x, 0.0f), x);
    lf_tape_set_train(t, 0, 1);
    lf_tensor *y = lf_dropout(t, x, 0.9f);
    assert_ptr_equal(y, x);
    TU_OK(lf_backward(t, lf_sum(t, lf_scale(t, y, 2.0f))));
    const float twos[6] = {2, 2, 2, 2, 2, 2};
    tu_assert_close(x->grad, twos, 6, 0, 0, "dropout eval grad");
    lf_tape_free(t);
}

/* ------------------------------------------------------------------ gradient flow */
static void no_grad_for_data_inputs(void **state)
{
    (void)state;
    lf_params p = {0};
    const int64_t w1[2] = {4, 6}, b1 = 4, wc[4] = {2, 1, 3, 3}, bc = 2;
    assert_true(lf_params_add(&p, "fc.weight", 2, w1, 1) == 0);
    assert_true(lf_params_add(&p, "fc.bias", 1, &b1, 0) == 1);
    assert_true(lf_params_add(&p, "conv.weight", 4, wc, 1) == 2);
    assert_true(lf_params_add(&p, "conv.bias", 1, &bc, 0) == 3);
    TU_OK(lf_params_alloc(&p));
    tu_fill_uniform(p.data, p.size, -1, 1, 4);
    float xv[3 * 6], iv[2 * 16];
    tu_fill_uniform(xv, 18, -1, 1, 5);
    tu_fill_uniform(iv, 32, -1, 1, 6);
    const int64_t xs[2] = {3, 6}, is[4] = {2, 1, 4, 4};
    lf_tape *t = lf_tape_new();
    for (int step = 1; step <= 2; step++) {
        lf_tape_reset(t);
        lf_tensor *x = lf_tape_wrap(t, xv, 2, xs), *img = lf_tape_wrap(t, iv, 4, is);
        lf_tensor *y = lf_linear(t, x, &p.t[0], &p.t[1]);
        lf_tensor *z = lf_conv2d(t, img, &p.t[2], &p.t[3], 1, 0);
        assert_true(y->requires_grad && z->requires_grad);
        TU_OK(lf_backward(t, lf_add(t, lf_sum(t, y), lf_sum(t, z))));
        assert_null(x->grad); /* data: no dX computed */
        assert_null(img->grad);
        /* d sum(y) / d b = batch size; gradients accumulate into the slab across steps. */
        for (int i = 0; i < 4; i++) assert_true(p.t[1].grad[i] == 3.0f * step);
        assert_true(p.t[1].grad == p.grad + (p.t[1].data - p.data));
        for (int i = 0; i < 2; i++) assert_true(p.t[3].grad[i] == 2.0f * 4 * step);
    }
    /* Nothing requires grad: no node is recorded and backward has nothing to do. */
    lf_tape_reset(t);
    lf_tensor *x = lf_tape_wrap(t, xv, 2, xs);
    lf_tensor *s = lf_sum(t, lf_tanh(t, x));
    assert_false(s->requires_grad);
    TU_OK(lf_backward(t, s));
    assert_null(x->grad);
    lf_tape_free(t);
    lf_params_release(&p);
}

/* ------------------------------------------------------------------ steady state */
/* A steady step must not touch the heap. With glibc (and no sanitizer, which owns malloc) the
 * test binary interposes the allocation entry points and counts calls while asked to. */
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
static _Atomic long heap_calls = -1; /* -1: not counting */

static void counted(void)
{
    if (heap_calls >= 0) heap_calls++;
}
void *malloc(size_t n) { counted(); return __libc_malloc(n); }
void *calloc(size_t n, size_t m) { counted(); return __libc_calloc(n, m); }
void *realloc(void *p, size_t n) { counted(); return __libc_realloc(p, n); }
void *aligned_alloc(size_t a, size_t n) { counted(); return __libc_memalign(a, n); }

/* Starts counting (on = 1) or stops and returns the count. */
static long count_mallocs(int on)
{
    long n = heap_calls;
    heap_calls = on ? 0 : -1;
    return n;
}
#else
static long count_mallocs(int on) { (void)on; return -1; }
#endif

typedef struct step_out {
    size_t used;
    const lf_node *marker;     /* the node pushed after the step */
    const void *first_alloc;   /* first arena allocation of the step */
    long mallocs;              /* heap allocations during the step (-1: not counted) */
    float loss;
    float grad[512];
} step_out;

static void noop_backward(lf_tape *t, lf_node *nd) { (void)t; (void)nd; }

static void train_step(lf_tape *t, lf_params *p, float *xv, step_out *o)
{
    const int64_t xs[4] = {3, 1, 6, 6};
    count_mallocs(1);
    lf_tape_reset(t);
    lf_tape_set_train(t, 1, 7);
    lf_params_zero_grad(p);
    lf_tensor *x = lf_tape_wrap(t, xv, 4, xs);
    lf_tensor *h = lf_maxpool2d(t, lf_relu(t, lf_conv2d(t, x, &p->t[0], &p->t[1], 1, 1)), 2, 2);
    h = lf_dropout(t, lf_gelu(t, lf_flatten(t, h)), 0.25f);
    lf_tensor *logits = lf_linear(t, h, &p->t[2], &p->t[3]);
    lf_tensor *loss = lf_scale(t, lf_mean(t, lf_log_softmax(t, lf_sigmoid(t, logits))), -1.0f);
    TU_OK(lf_backward(t, loss));
    lf_tensor *m = lf_tape_tensor(t, 1, xs, NULL);
    m->requires_grad = 1;
    o->marker = lf_tape_push(t, noop_backward, m, NULL, NULL, NULL);
    o->used = lf_arena_used(lf_tape_arena(t));
    o->mallocs = count_mallocs(0);
    o->first_alloc = x;
    o->loss = loss->data[0];
    assert_true(p->size <= 512);
    memcpy(o->grad, p->grad, (size_t)p->size * sizeof(float));
}

static void reset_reuses_memory(void **state)
{
    (void)state;
    lf_params p = {0};
    const int64_t wc[4] = {4, 1, 3, 3}, bc = 4, wl[2] = {5, 36}, bl = 5;
    lf_params_add(&p, "conv.weight", 4, wc, 1);
    lf_params_add(&p, "conv.bias", 1, &bc, 0);
    lf_params_add(&p, "fc.weight", 2, wl, 1);
    lf_params_add(&p, "fc.bias", 1, &bl, 0);
    TU_OK(lf_params_alloc(&p));
    tu_fill_uniform(p.data, p.size, -0.5f, 0.5f, 8);
    float xv[3 * 36];
    tu_fill_uniform(xv, 3 * 36, -1, 1, 9);
    lf_tape *t = lf_tape_new();
    step_out *s = calloc(3, sizeof *s);
    assert_non_null(s);
    for (int k = 0; k < 3; k++) train_step(t, &p, xv, &s[k]);
    assert_true(s[0].mallocs != 0); /* the first step grows the tape (and the counter works) */
    for (int k = 1; k < 3; k++) {
        if (s[k].mallocs > 0) fail_msg("step %d called malloc %ld times", k + 1, s[k].mallocs);
        assert_int_equal(s[k].used, s[0].used);            /* the arena holds the same bytes */
        assert_ptr_equal(s[k].marker, s[0].marker);        /* node array not reallocated */
        assert_true(s[k].loss == s[0].loss);
        assert_memory_equal(s[k].grad, s[0].grad, (size_t)p.size * sizeof(float));
    }
    /* From the second step on the arena is one settled block: the same addresses come back. */
    assert_ptr_equal(s[2].first_alloc, s[1].first_alloc);
    assert_true(s[0].loss > 0 && isfinite(s[0].loss));
    free(s);
    lf_tape_free(t);
    lf_tape_free(NULL);
    lf_params_release(&p);
}

/* ------------------------------------------------------------------ errors */
static lf_tensor *zeros(lf_tape *t, int ndim, int64_t a, int64_t b, int64_t c, int64_t d)
{
    const int64_t shape[4] = {a, b, c, d};
    return lf_tape_tensor(t, ndim, shape, NULL);
}

static void shape_errors(void **state)
{
    (void)state;
    lf_tape *t = lf_tape_new();
    struct {
        const char *needle;
        int which;
    } cases[] = {
        {"linear: input has 3 features, weight [4,5] expects 5", 0},
        {"linear: bias [3] does not match 4 outputs", 1},
        {"add: shapes [2,3] and [3,2] differ", 2},
        {"mul: shapes [2,3] and [6] differ", 3},
        {"conv2d: input has 3 channels, weight expects 1", 4},
        {"conv2d: input [2,3] and weight [2,1,3,3] must be 4-d", 5},
        {"conv2d: kernel 5x5 larger than the padded input 3x4", 6},
        {"conv2d: stride 0 must be >= 1", 7},
        {"conv2d: bias [3] does not match 2 output channels", 8},
        {"maxpool2d: window 4 (stride 2) does not fit input [1,1,3,8]", 9},
        {"maxpool2d: input [4,4] must be 4-d", 10},
        {"reshape: cannot view [2,3]", 11},
        {"reshape: dimension 1 is -1", 12},
        {"dropout: p must be in [0, 1], got 1.5", 13},
        {"relu: input is NULL", 14},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        lf_tape_reset(t);
        lf_tensor *y = NULL;
        switch (cases[k].which) {
        case 0: y = lf_linear(t, zeros(t, 2, 2, 3, 0, 0), zeros(t, 2, 4, 5, 0, 0), NULL); break;
        case 1: y = lf_linear(t, zeros(t, 2, 2, 5, 0, 0), zeros(t, 2, 4, 5, 0, 0), zeros(t, 1, 3, 0, 0, 0)); break;
        case 2: y = lf_add(t, zeros(t, 2, 2, 3, 0, 0), zeros(t, 2, 3, 2, 0, 0)); break;
        case 3: y = lf_mul(t, zeros(t, 2, 2, 3, 0, 0), zeros(t, 1, 6, 0, 0, 0)); break;
        case 4: y = lf_conv2d(t, zeros(t, 4, 1, 3, 5, 5), zeros(t, 4, 2, 1, 3, 3), NULL, 1, 0); break;
        case 5: y = lf_conv2d(t, zeros(t, 2, 2, 3, 0, 0), zeros(t, 4, 2, 1, 3, 3), NULL, 1, 0); break;
        case 6: y = lf_conv2d(t, zeros(t, 4, 1, 1, 3, 4), zeros(t, 4, 2, 1, 5, 5), NULL, 1, 0); break;
        case 7: y = lf_conv2d(t, zeros(t, 4, 1, 1, 5, 5), zeros(t, 4, 2, 1, 3, 3), NULL, 0, 0); break;
        case 8: y = lf_conv2d(t, zeros(t, 4, 1, 1, 5, 5), zeros(t, 4, 2, 1, 3, 3), zeros(t, 1, 3, 0, 0, 0), 1, 0); break;
        case 9: y = lf_maxpool2d(t, zeros(t, 4, 1, 1, 3, 8), 4, 2); break;
        case 10: y = lf_maxpool2d(t, zeros(t, 2, 4, 4, 0, 0), 2, 2); break;
        case 11: {
            const int64_t s[2] = {4, -1};
            y = lf_reshape(t, zeros(t, 2, 2, 3, 0, 0), 2, s);
            break;
        }
        case 12: {
            const int64_t s[3] = {-1, -1, 2};
            y = lf_reshape(t, zeros(t, 2, 2, 3, 0, 0), 3, s);
            break;
        }
        case 13: y = lf_dropout(t, zeros(t, 1, 4, 0, 0, 0), 1.5f); break;
        case 14: y = lf_relu(t, NULL); break;
        }
        assert_null(y);
        TU_ERR(lf_tape_status(t), LF_EINVAL, cases[k].needle);
        /* Downstream ops pass the NULL along; the first message stays. */
        assert_null(lf_sum(t, lf_tanh(t, y)));
        TU_ERR(lf_tape_status(t), LF_EINVAL, cases[k].needle);
        TU_ERR(lf_backward(t, y), LF_EINVAL, cases[k].needle);
    }
    lf_tape_reset(t);
    TU_OK(lf_tape_status(t));
    lf_tape_free(t);
}

static void backward_errors(void **state)
{
    (void)state;
    lf_tape *t = lf_tape_new();
    lf_tensor *x = zeros(t, 2, 2, 3, 0, 0);
    x->requires_grad = 1;
    lf_tensor *y = lf_tanh(t, x);
    TU_ERR(lf_backward(t, y), LF_EINVAL, "scalar (size 1), got 6 elements");
    TU_ERR(lf_backward(t, NULL), LF_EINVAL, "NULL");
    lf_tensor *s = lf_sum(t, y);
    TU_OK(lf_backward(t, s));
    TU_ERR(lf_backward(t, s), LF_EINVAL, "lf_tape_reset");
    TU_ERR(lf_backward(NULL, s), LF_EINVAL, "tape");
    assert_null(lf_relu(NULL, x));
    lf_tape_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gradcheck_every_op),
        cmocka_unit_test(conv2d_matches_torch),
        cmocka_unit_test(maxpool_matches_torch),
        cmocka_unit_test(gelu_matches_torch),
        cmocka_unit_test(log_softmax_matches_torch),
        cmocka_unit_test(softmax_extreme_logits),
        cmocka_unit_test(conv2d_threads_agree),
        cmocka_unit_test(dropout_masks),
        cmocka_unit_test(dropout_eval_is_identity),
        cmocka_unit_test(no_grad_for_data_inputs),
        cmocka_unit_test(reset_reuses_memory),
        cmocka_unit_test(shape_errors),
        cmocka_unit_test(backward_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
