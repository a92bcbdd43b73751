/* Embedding losses (ms, contrastive, triplet; protonet, proto-triplet, icnn) and the ms-miner:
 * PyTorch 1.13 transcriptions of pytorch-metric-learning and of the FSL-Loss code
 * (tests/gen_fixtures_metric.py), gradient checks at every setting, the pitfalls of spec sheet
 * §11 (collapsed embeddings, empty mined sets, anchors without positives, duplicates), edges
 * and errors. */
#include "testutil.h"
#include "lossforge/retrieval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lf_loss *make_loss(const char *spec)
{
    lf_loss *l = NULL;
    TU_OK(lf_loss_create(spec, &l));
    return l;
}

/* ------------------------------------------------------------------ case tables */
typedef struct pair_case {
    const char *name, *spec;
} pair_case;

/* The names and specs of PAIR_CASES in tests/gen_fixtures_metric.py. */
static const pair_case pair_cases[] = {
    {"ms_cos", "ms"},
    {"ms_cos_b05", "ms:alpha=2,beta=10,lambda=0.5"},
    {"ms_euc", "ms:alpha=2,beta=10,lambda=1,distance=euclidean"},
    {"ms_dot", "ms:alpha=2,beta=5,lambda=0.5,normalize=0"},
    {"contr_euc", "contrastive"},
    {"contr_euc_raw", "contrastive:margin=3,pos_margin=0.5,normalize=0"},
    {"contr_cos", "contrastive:margin=0.2,pos_margin=0.9,distance=cosine"},
    {"trip_all", "triplet:margin=0.2"},
    {"trip_all_cos", "triplet:margin=0.1,distance=cosine"},
    {"trip_semi", "triplet:margin=0.5,mining=semi-hard"},
    {"trip_semi_cos", "triplet:margin=0.3,mining=semi-hard,distance=cosine"},
    {"trip_hard", "triplet:margin=0.3,mining=batch-hard"},
    {"trip_hard_cos", "triplet:margin=0.1,mining=batch-hard,distance=cosine"},
    {"trip_hard_raw", "triplet:margin=1,mining=batch-hard,normalize=0"},
};

typedef struct epi_case {
    const char *name, *spec, *episode;
} epi_case;

/* EPI_CASES of the generator. */
static const epi_case epi_cases[] = {
    {"proto", "protonet", "epi"},
    {"proto_t2", "protonet:temperature=2", "epi"},
    {"pt", "proto-triplet", "epi"},
    {"pt_ce", "proto-triplet:margin=1,ce=1", "epi"},
    {"icnn_sup", "icnn:variant=support", "epi"},
    {"icnn_qry", "icnn:variant=query", "epi"},
    {"icnn_full", "icnn", "epi"},
    {"icnn_full_ce", "icnn:k=3,ce=1", "epi"},
    {"icnn_small_sup", "icnn:variant=support", "small"},
    {"icnn_small_full", "icnn", "small"},
    {"pt_small", "proto-triplet:ce=1", "small"},
};

#define NPAIR (sizeof pair_cases / sizeof pair_cases[0])
#define NEPI (sizeof epi_cases / sizeof epi_cases[0])

/* A case's inputs: embeddings, labels, groups (episodes) and its reference. */
typedef struct case_data {
    float *x;
    int32_t *y, *g;
    double *ref;
    int64_t n, d;
} case_data;

static case_data load_case(const char *name, const char *episode)
{
    case_data c = {0};
    char buf[128];
    int64_t nx, ny, nr;
    snprintf(buf, sizeof buf, "metric_%s_x.npy", name);
    c.x = tu_fixture_f32(buf, &nx);
    if (episode) {
        snprintf(buf, sizeof buf, "metric_%s_y.npy", episode);
        c.y = tu_fixture_i32(buf, &ny);
        snprintf(buf, sizeof buf, "metric_%s_g.npy", episode);
        c.g = tu_fixture_i32(buf, NULL);
    } else {
        c.y = tu_fixture_i32("metric_y.npy", &ny);
    }
    snprintf(buf, sizeof buf, "metric_%s.npy", name);
    c.ref = tu_fixture_f64(buf, &nr);
    c.n = ny;
    c.d = nx / ny;
    assert_int_equal(nr, 1 + nx);
    return c;
}

static void free_case(case_data *c)
{
    free(c->x);
    free(c->y);
    free(c->g);
    free(c->ref);
}

static lf_batch case_batch(const case_data *c)
{
    return (lf_batch){.pred = c->x, .n = c->n, .k = c->d, .label = c->y, .group = c->g};
}

/* The pairwise passes run in float through sgemm: references hold to 2e-5 + 2e-3 relative. */
#define REF_TOL 2e-5, 2e-3

static void test_pair_reference(void **state)
{
    (void)state;
    for (size_t i = 0; i < NPAIR; i++) {
        case_data c = load_case(pair_cases[i].name, NULL);
        lf_batch b = case_batch(&c);
        tu_loss_reference_at(pair_cases[i].spec, &b, c.ref, REF_TOL, pair_cases[i].name);
        free_case(&c);
    }
}

static void test_fewshot_reference(void **state)
{
    (void)state;
    for (size_t i = 0; i < NEPI; i++) {
        case_data c = load_case(epi_cases[i].name, epi_cases[i].episode);
        lf_batch b = case_batch(&c);
        tu_loss_reference_at(epi_cases[i].spec, &b, c.ref, REF_TOL, epi_cases[i].name);
        free_case(&c);
    }
}

/* ------------------------------------------------------------------ gradient checks */
/* Every setting at its fixture point, where the generator kept each discrete choice (mined
 * pair, hinge, hardest pair, neighbour order) at least 5e-3 from its tie; test_registry_loss.c
 * checks them at points of its own. */
static void test_gradcheck_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < NPAIR; i++) {
        case_data c = load_case(pair_cases[i].name, NULL);
        lf_batch b = case_batch(&c);
        tu_loss_gradcheck(pair_cases[i].spec, &b, c.x, 1e-3, 2e-3);
        free_case(&c);
    }
    for (size_t i = 0; i < NEPI; i++) {
        case_data c = load_case(epi_cases[i].name, epi_cases[i].episode);
        lf_batch b = case_batch(&c);
        tu_loss_gradcheck(epi_cases[i].spec, &b, c.x, 1e-3, 2e-3);
        free_case(&c);
    }
}

/* Embeddings of norm ~1e4 and ~1e-3: the normalised losses are scale-free, so the value must
 * stay and the gradient scale as 1/scale (a finite-difference check at those scales would only
 * measure float rounding); the raw distance losses stay finite. */
static void test_scales(void **state)
{
    (void)state;
    case_data c = load_case("ms_cos_b05", NULL);
    const int64_t m = c.n * c.d;
    float *x = malloc((size_t)m * sizeof *x), *g0 = malloc((size_t)m * sizeof *g0);
    float *g1 = malloc((size_t)m * sizeof *g1);
    const float scales[2] = {1e4f, 1e-3f};
    const char *const specs[3] = {"ms:alpha=2,beta=10,lambda=0.5",
                                  "ms:alpha=2,beta=10,lambda=1,distance=euclidean",
                                  "triplet:margin=0.3,mining=semi-hard"};
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < 3; k++) {
            for (int64_t i = 0; i < m; i++) x[i] = c.x[i] * scales[s];
            lf_batch b = case_batch(&c);
            lf_loss *l = make_loss(specs[k]);
            double v0, v1;
            TU_OK(lf_loss_eval(l, &b, &v0, g0));
            b.pred = x;
            TU_OK(lf_loss_eval(l, &b, &v1, g1));
            if (fabs(v0 - v1) > 1e-5 * fmax(1, fabs(v0)))
                fail_msg("%s at scale %g: value %.9g, at 1: %.9g", specs[k], scales[s], v1, v0);
            for (int64_t i = 0; i < m; i++) g0[i] /= scales[s];
            tu_assert_close(g1, g0, m, 1e-6 / scales[s], 1e-3, specs[k]);
            lf_loss_free(l);
            l = make_loss("contrastive:normalize=0,margin=1e4");
            TU_OK(lf_loss_eval(l, &b, &v1, g1));
            assert_true(isfinite(v1));
            for (int64_t i = 0; i < m; i++) assert_true(isfinite(g1[i]));
            lf_loss_free(l);
        }
    free(x);
    free(g0);
    free(g1);
    free_case(&c);
}

/* ------------------------------------------------------------------ the miner */
static lf_miner *make_miner(const char *spec)
{
    lf_miner *m = NULL;
    TU_OK(lf_miner_create(spec, &m));
    return m;
}

static void test_miner_reference(void **state)
{
    (void)state;
    const char *const names[2] = {"cos", "euc"};
    const char *const miners[2] = {"ms-miner:eps=0.1", "ms-miner:eps=0.3,distance=euclidean"};
    const char *const losses[2] = {"ms:alpha=2,beta=10,lambda=0.5",
                                   "ms:alpha=2,beta=10,lambda=1,distance=euclidean"};
    for (int t = 0; t < 2; t++) {
        char buf[64];
        int64_t nx, ny, nm, nr;
        snprintf(buf, sizeof buf, "metric_mine_%s_x.npy", names[t]);
        float *x = tu_fixture_f32(buf, &nx);
        int32_t *y = tu_fixture_i32("metric_y.npy", &ny);
        snprintf(buf, sizeof buf, "metric_mine_%s_mask.npy", names[t]);
        int32_t *want = tu_fixture_i32(buf, &nm);
        snprintf(buf, sizeof buf, "metric_mine_%s_ms.npy", names[t]);
        double *ref = tu_fixture_f64(buf, &nr);
        assert_int_equal(nm, ny * ny);
        lf_batch b = {.pred = x, .n = ny, .k = nx / ny, .label = y};
        uint8_t *mask = malloc((size_t)nm);
        int64_t np, nn, wp = 0, wn = 0;
        lf_miner *m = make_miner(miners[t]);
        TU_OK(lf_miner_mine(m, &b, mask, &np, &nn));
        for (int64_t i = 0; i < nm; i++) {
            if (mask[i] != want[i])
                fail_msg("%s: pair (%lld, %lld): mined %d, PyTorch %d", miners[t],
                         (long long)(i / ny), (long long)(i % ny), mask[i], want[i]);
            wp += (want[i] & LF_PAIR_POS) != 0;
            wn += (want[i] & LF_PAIR_NEG) != 0;
        }
        assert_int_equal(np, wp);
        assert_int_equal(nn, wn);
        b.pairs = mask;
        tu_loss_reference_at(losses[t], &b, ref, REF_TOL, buf);
        tu_loss_gradcheck(losses[t], &b, x, 1e-3, 2e-3);
        /* Mining again inside its own output: the mask is a fixed point. */
        uint8_t *again = malloc((size_t)nm);
        memcpy(again, mask, (size_t)nm);
        b.pairs = again;
        TU_OK(lf_miner_mine(m, &b, again, &np, &nn));
        assert_int_equal(np, wp);
        assert_int_equal(nn, wn);
        assert_memory_equal(again, mask, (size_t)nm);
        lf_miner_free(m);
        free(again);
        free(mask);
        free(x);
        free(y);
        free(want);
        free(ref);
    }
}

/* ------------------------------------------------------------------ §11 pitfalls */
static const char *const all_pair_specs[] = {
    "ms", "ms:distance=euclidean", "contrastive",
    "contrastive:distance=cosine,pos_margin=1,margin=0",
    "triplet", "triplet:mining=semi-hard", "triplet:mining=batch-hard,distance=cosine",
};
#define NSPECS (sizeof all_pair_specs / sizeof all_pair_specs[0])

static void expect_zero(const char *spec, const lf_batch *b, const char *what)
{
    lf_loss *l = make_loss(spec);
    const int64_t m = b->n * b->k;
    float *g = malloc((size_t)m * sizeof *g);
    for (int64_t i = 0; i < m; i++) g[i] = NAN;
    double v = NAN;
    TU_OK(lf_loss_eval(l, b, &v, g));
    if (v != 0) fail_msg("%s (%s): value %g, want 0", what, spec, v);
    for (int64_t i = 0; i < m; i++)
        if (g[i] != 0)
            fail_msg("%s (%s): gradient[%lld] = %g, want 0", what, spec, (long long)i, g[i]);
    free(g);
    lf_loss_free(l);
}

/* #10 (SupContrast#141) and #7 (pml#107): anchors without positives, nothing active, a batch
 * of one: 0 and a zero gradient, not 0/0. */
static void test_no_positives(void **state)
{
    (void)state;
    float x[18];
    tu_fill_uniform(x, 18, -1, 1, 3);
    const int32_t distinct[6] = {0, 1, 2, 3, 4, 5}, one[1] = {0};
    for (size_t s = 0; s < NSPECS; s++) {
        const char *spec = all_pair_specs[s];
        lf_batch b = {.pred = x, .n = 6, .k = 3, .label = distinct};
        /* ms and contrastive still see the negatives; the rest have nothing */
        if (strncmp(spec, "triplet", 7) == 0) expect_zero(spec, &b, "every label distinct");
        expect_zero(spec, &(lf_batch){.pred = x, .n = 1, .k = 3, .label = one}, "batch of one");
    }
    /* Well separated classes: no triplet and no contrastive pair is active. */
    float sep[12] = {1, 0, 0, 1.01f, 0, 0, -1, 0, 0, -1.01f, 0, 0};
    const int32_t y2[4] = {0, 0, 1, 1};
    lf_batch b = {.pred = sep, .n = 4, .k = 3, .label = y2};
    expect_zero("triplet:margin=0.5", &b, "no active triplet");
    expect_zero("triplet:margin=0.5,mining=batch-hard", &b, "no active hardest triplet");
    expect_zero("triplet:margin=0.5,mining=semi-hard", &b, "no semi-hard triplet");
    expect_zero("contrastive:margin=1,pos_margin=0.05", &b, "no active pair");
}

/* #9 (Revisiting_DML#3): a small batch whose mined sets are empty: no crash, 0 pairs, and the
 * loss on the empty mask is 0 with a zero gradient. */
static void test_empty_mined_sets(void **state)
{
    (void)state;
    float x[12];
    tu_fill_uniform(x, 12, -1, 1, 5);
    const int32_t y[4] = {0, 1, 2, 3};
    lf_batch b = {.pred = x, .n = 4, .k = 3, .label = y};
    uint8_t mask[16];
    int64_t np = -1, nn = -1;
    lf_miner *m = make_miner("ms-miner");
    TU_OK(lf_miner_mine(m, &b, mask, &np, &nn));
    assert_int_equal(np, 0);
    assert_int_equal(nn, 0);
    for (int i = 0; i < 16; i++) assert_int_equal(mask[i], 0);
    b.pairs = mask;
    expect_zero("ms", &b, "ms on an empty mask");
    expect_zero("contrastive", &b, "contrastive on an empty mask");
    expect_zero("triplet", &b, "triplet on an empty mask");
    lf_miner_free(m);
}

/* #6 (pml#723): collapsed embeddings (every cosine ~0.99 or exactly 1): the miner never pairs
 * across labels, and every loss stays finite with a zero (identical rows) or finite gradient. */
static void test_collapsed(void **state)
{
    (void)state;
    enum { N = 8, D = 4 };
    const int32_t y[N] = {0, 0, 1, 1, 2, 2, 3, 3};
    float same[N * D], near[N * D], zero[N * D] = {0};
    float noise[N * D];
    tu_fill_uniform(noise, N * D, -0.05f, 0.05f, 9);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < D; j++) {
            same[i * D + j] = (float)(j + 1);
            near[i * D + j] = (float)(j + 1) + noise[i * D + j];
        }
    const float *inputs[3] = {same, near, zero};
    uint8_t mask[N * N];
    lf_miner *m = make_miner("ms-miner");
    for (int t = 0; t < 3; t++) {
        lf_batch b = {.pred = inputs[t], .n = N, .k = D, .label = y};
        int64_t np, nn;
        TU_OK(lf_miner_mine(m, &b, mask, &np, &nn));
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                if (mask[i * N + j] & LF_PAIR_POS) assert_true(y[i] == y[j] && i != j);
                if (mask[i * N + j] & LF_PAIR_NEG) assert_true(y[i] != y[j]);
            }
        for (size_t s = 0; s < NSPECS; s++)
            for (int mined = 0; mined < 2; mined++) {
                b.pairs = mined ? mask : NULL;
                lf_loss *l = make_loss(all_pair_specs[s]);
                float g[N * D];
                double v;
                TU_OK(lf_loss_eval(l, &b, &v, g));
                assert_true(isfinite(v));
                for (int i = 0; i < N * D; i++) {
                    assert_true(isfinite(g[i]));
                    /* identical or zero rows: no direction to move in */
                    if (t != 1 && fabsf(g[i]) > 1e-5f)
                        fail_msg("%s, input %d: gradient[%d] = %g", all_pair_specs[s], t, i, g[i]);
                }
                lf_loss_free(l);
            }
    }
    lf_miner_free(m);
}

/* #8 (research-ms-loss#14): a duplicate positive (S = 1) is a positive, excluded only as the
 * anchor itself. The official code's S < 1 - 1e-5 test would drop it. */
static void test_duplicate_positive(void **state)
{
    (void)state;
    /* rows 0 and 1 identical (label 0), row 2 label 1 */
    const float x[6] = {1, 0, 1, 0, 0.6f, 0.8f};
    const int32_t y[3] = {0, 0, 1};
    lf_batch b = {.pred = x, .n = 3, .k = 2, .label = y};
    lf_loss *l = make_loss("ms:alpha=2,beta=10,lambda=0.5");
    double v;
    TU_OK(lf_loss_eval(l, &b, &v, NULL));
    /* anchors 0, 1: pos S = 1, neg S = 0.6; anchor 2: no pos, negs S = 0.6, 0.6 */
    const double a = 2, be = 10, lam = 0.5;
    double pos = log1p(exp(-a * (1 - lam))) / a, neg1 = log1p(exp(be * (0.6 - lam))) / be;
    double neg2 = log1p(2 * exp(be * (0.6 - lam))) / be;
    double want = (2 * (pos + neg1) + neg2) / 3;
    if (fabs(v - want) > 1e-6) fail_msg("duplicate positive: %.9g, want %.9g", v, want);
    /* dropping the duplicate, as the S < 1 - 1e-5 trick does, would give another value */
    assert_true(fabs(v - (2 * neg1 + neg2) / 3) > 1e-3);
    lf_loss_free(l);
}

/* ------------------------------------------------------------------ few-shot edges, errors */
static void test_fewshot_errors(void **state)
{
    (void)state;
    float x[12];
    tu_fill_uniform(x, 12, -1, 1, 2);
    int32_t y[4] = {0, 1, 0, 2}, g[4] = {LF_EPISODE_SUPPORT, LF_EPISODE_SUPPORT, LF_EPISODE_QUERY,
                                         LF_EPISODE_QUERY};
    lf_loss *l = make_loss("protonet");
    double v = 42;
    TU_ERR(lf_loss_eval(l, &(lf_batch){.pred = x, .n = 4, .k = 3, .label = y, .group = g}, &v,
                        NULL), LF_EINVAL, "query row 3 has label 2");
    y[3] = 1;
    g[1] = 7;
    TU_ERR(lf_loss_eval(l, &(lf_batch){.pred = x, .n = 4, .k = 3, .label = y, .group = g}, &v,
                        NULL), LF_EINVAL, "group 7 at row 1");
    g[1] = LF_EPISODE_SUPPORT;
    g[2] = g[3] = LF_EPISODE_SUPPORT;
    TU_ERR(lf_loss_eval(l, &(lf_batch){.pred = x, .n = 4, .k = 3, .label = y, .group = g}, &v,
                        NULL), LF_EINVAL, "no query rows");
    TU_ERR(lf_loss_eval(l, &(lf_batch){.pred = x, .n = 4, .k = 3, .label = y}, &v, NULL),
           LF_EINVAL, "\"group\"");
    assert_true(v == 42);
    lf_loss_free(l);
}

/* One class, or targets too few for ICNN's neighbourhoods: 0, not NaN. */
static void test_fewshot_small(void **state)
{
    (void)state;
    float x[12];
    tu_fill_uniform(x, 12, -1, 1, 4);
    const int32_t y1[4] = {5, 5, 5, 5};
    const int32_t g[4] = {LF_EPISODE_SUPPORT, LF_EPISODE_SUPPORT, LF_EPISODE_QUERY,
                          LF_EPISODE_QUERY};
    lf_batch one = {.pred = x, .n = 4, .k = 3, .label = y1, .group = g};
    expect_zero("protonet", &one, "one class: CE over one logit");
    expect_zero("proto-triplet", &one, "one class: no negative prototype");
    expect_zero("icnn:variant=support", &one, "two support rows");
    expect_zero("icnn:variant=query", &one, "two support rows");
}

static void test_specs(void **state)
{
    (void)state;
    lf_loss *l = make_loss("ms");
    assert_string_equal(lf_loss_spec(l),
                        "ms:alpha=2,beta=50,lambda=1,distance=cosine,normalize=true");
    assert_string_equal(lf_loss_desc(l)->paper, "ms");
    lf_loss_free(l);
    l = make_loss("icnn");
    assert_string_equal(lf_loss_spec(l), "icnn:k=4,variant=full,ce=false,temperature=1");
    assert_int_equal(lf_loss_needs(l), LF_NEED_LABEL | LF_NEED_GROUP | LF_LOSS_EPISODE);
    lf_loss_free(l);
    l = make_loss("triplet:mining=batch-hard");
    assert_string_equal(lf_loss_spec(l),
                        "triplet:margin=0.050000000000000003,mining=batch-hard,distance=euclidean,"
                        "normalize=true");
    lf_loss_free(l);
    lf_miner *m = make_miner("ms-miner:eps=0.25");
    assert_string_equal(lf_miner_spec(m), "ms-miner:eps=0.25,distance=cosine,normalize=true");
    assert_string_equal(lf_miner_desc(m)->name, "ms-miner");
    lf_miner_free(m);
    lf_miner_free(NULL);
    assert_int_equal(lf_miner_count(), 1);
    assert_string_equal(lf_miner_at(0)->name, "ms-miner");
    assert_null(lf_miner_at(1));
    lf_miner *bad = NULL;
    TU_ERR(lf_miner_create("pair-margin", &bad), LF_ENOTFOUND, "known miners: ms-miner");
    TU_ERR(lf_miner_create("ms-miner:epsilon=1", &bad), LF_EINVAL, "eps");
    TU_ERR(lf_miner_create("ms-miner:eps=-1", &bad), LF_EINVAL, "\"eps\"");
    assert_null(bad);
    lf_loss *bl = NULL;
    TU_ERR(lf_loss_create("triplet:mining=hardest", &bl), LF_EINVAL, "batch-hard");
    TU_ERR(lf_loss_create("ms:distance=manhattan", &bl), LF_EINVAL, "cosine, euclidean");
    TU_ERR(lf_loss_create("icnn:k=0", &bl), LF_EINVAL, "\"k\"");
    float x[6] = {0};
    uint8_t mask[4];
    m = make_miner("ms-miner");
    TU_ERR(lf_miner_mine(m, &(lf_batch){.pred = x, .n = 2, .k = 3}, mask, NULL, NULL), LF_EINVAL,
           "\"label\"");
    lf_miner_free(m);
}

/* The loss as a tape op: 3 × the fused gradient under an upstream scale of 3. */
static void test_op_loss(void **state)
{
    (void)state;
    case_data c = load_case("trip_hard", NULL);
    lf_loss *l = make_loss("triplet:margin=0.3,mining=batch-hard");
    const int64_t m = c.n * c.d;
    float *want = malloc((size_t)m * sizeof *want);
    double v;
    lf_batch b = case_batch(&c);
    TU_OK(lf_loss_eval(l, &b, &v, want));
    lf_tape *t = lf_tape_new();
    const int64_t shape[2] = {c.n, c.d};
    lf_tensor *p = lf_tape_tensor(t, 2, shape, c.x);
    p->requires_grad = 1;
    lf_tensor *out = lf_scale(t, lf_op_loss(t, l, p, &(lf_batch){.label = c.y}), 3.0f);
    TU_OK(lf_tape_status(t));
    TU_OK(lf_backward(t, out));
    for (int64_t i = 0; i < m; i++) want[i] *= 3;
    tu_assert_close(p->grad, want, m, 1e-7, 1e-6, "tape gradient");
    lf_tape_free(t);
    lf_loss_free(l);
    free(want);
    free_case(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pair_reference),    cmocka_unit_test(test_fewshot_reference),
        cmocka_unit_test(test_gradcheck_cases),   cmocka_unit_test(test_scales),
        cmocka_unit_test(test_miner_reference),   cmocka_unit_test(test_no_positives),
        cmocka_unit_test(test_empty_mined_sets),  cmocka_unit_test(test_collapsed),
        cmocka_unit_test(test_duplicate_positive), cmocka_unit_test(test_fewshot_errors),
        cmocka_unit_test(test_fewshot_small),     cmocka_unit_test(test_specs),
        cmocka_unit_test(test_op_loss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
