/* Adversarial machinery: the logit-shift penalty op (value, gradient checks), the PGD attack
 * (raises the loss, stays in the eps ball, clamps to the pixel range, leaves the parameters'
 * gradients alone), adversarial accuracy, the attack spec parser, and the advcompsum / pgdat
 * losses (their clean term on logits, their objective at eps = 0, training through lf_train). */
#include "testutil.h"

#include "ad/ad.h"
#include "model/attack.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ penalty op */
typedef struct pen_ctx {
    int which;           /* 0: differentiate w.r.t. za, 1: w.r.t. z */
    const float *other;  /* the fixed argument */
    const int32_t *y;
    int64_t n, k;
} pen_ctx;

/* The penalty in double, written out independently of the op. */
static double pen_ref(const float *za, const float *z, const int32_t *y, int64_t n, int64_t k)
{
    double total = 0;
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int64_t j = 0; j < k; j++) {
            const int64_t a = i * k + j, b = i * k + y[i];
            const double u = ((double)za[a] - z[a]) - ((double)za[b] - z[b]);
            s += u * u;
        }
        total += sqrt(s);
    }
    return total;
}

/* Value from pen_ref (double, for finite differences); gradient through the tape op, under an
 * upstream scale of 0.5. */
static double pen_fn(void *ctx, const float *v, float *grad)
{
    pen_ctx *c = ctx;
    const float *za = c->which ? c->other : v, *z = c->which ? v : c->other;
    if (!grad) return pen_ref(za, z, c->y, c->n, c->k);
    lf_tape *t = lf_tape_new();
    const int64_t shape[2] = {c->n, c->k};
    lf_tensor *var = lf_tape_tensor(t, 2, shape, v);
    lf_tensor *fix = lf_tape_tensor(t, 2, shape, c->other);
    var->requires_grad = 1;
    lf_tensor *p = c->which ? lf_logit_shift_penalty(t, fix, var, c->y)
                            : lf_logit_shift_penalty(t, var, fix, c->y);
    lf_tensor *out = lf_scale(t, p, 0.5f);
    TU_OK(lf_tape_status(t));
    const double value = pen_ref(za, z, c->y, c->n, c->k);
    assert_true(fabs(p->data[0] - value) <= 1e-6 * fmax(1, value));
    TU_OK(lf_backward(t, out));
    for (int64_t i = 0; i < c->n * c->k; i++) grad[i] = 2 * var->grad[i];
    lf_tape_free(t);
    return value;
}

static void test_penalty_value(void **state)
{
    (void)state;
    /* Row 0: za - z = (1, 2, 3), y = 1: u = (-1, 0, 1), ||u|| = sqrt 2. Row 1: za = z + 5 on every
     * logit (a shift the logit differences do not see): 0. */
    const float za[6] = {1, 2, 3, 5, 6, 7}, z[6] = {0, 0, 0, 0, 1, 2};
    const int32_t y[2] = {1, 0};
    pen_ctx c = {0, z, y, 2, 3};
    float g[6];
    double v = pen_fn(&c, za, g);
    assert_true(fabs(v - sqrt(2.0)) < 1e-6);
    /* Row 0: d/dza = u/||u|| with the label's entry -sum(u)/||u|| = 0; row 1 did not move: 0. */
    const float want[6] = {(float)(-1 / sqrt(2.0)), 0, (float)(1 / sqrt(2.0)), 0, 0, 0};
    tu_assert_close(g, want, 6, 1e-6, 1e-5, "penalty gradient");
}

static void test_penalty_gradcheck(void **state)
{
    (void)state;
    enum { N = 4, K = 5 };
    float za[N * K], z[N * K];
    tu_fill_uniform(za, N * K, -3, 3, 1);
    tu_fill_uniform(z, N * K, -3, 3, 2);
    const int32_t y[N] = {0, 4, 2, 2};
    for (int which = 0; which < 2; which++) {
        pen_ctx c = {which, which ? za : z, y, N, K};
        tu_gradcheck(pen_fn, &c, which ? z : za, N * K, 1e-3, 1e-4);
        pen_ctx one = {which, which ? za : z, y, 1, K}; /* batch of one */
        tu_gradcheck(pen_fn, &one, which ? z : za, K, 1e-3, 1e-4);
    }
    /* Labels outside [0, k) are an error recorded in the tape. */
    lf_tape *t = lf_tape_new();
    const int64_t shape[2] = {N, K};
    const int32_t bad[N] = {0, 5, 1, 1};
    assert_null(lf_logit_shift_penalty(t, lf_tape_tensor(t, 2, shape, za),
                                       lf_tape_tensor(t, 2, shape, z), bad));
    TU_ERR(lf_tape_status(t), LF_EINVAL, "label 5 at row 1");
    lf_tape_free(t);
}

/* ------------------------------------------------------------------ PGD */
enum { D = 12, C = 3, N = 16 };

/* n rows of D pixels stored as bytes (so the valid range is [0, 1]); class = which third of
 * the features is brightest. */
static void pixels(lf_dataset *ds, int64_t n, uint64_t seed)
{
    memset(ds, 0, sizeof *ds);
    ds->n = n;
    ds->d = D;
    ds->ndim = 1;
    ds->shape[0] = D;
    ds->n_classes = C;
    ds->x8 = malloc((size_t)(n * D));
    ds->y = malloc((size_t)n * sizeof *ds->y);
    assert_non_null(ds->x8);
    assert_non_null(ds->y);
    lf_rng r;
    lf_rng_seed(&r, seed);
    for (int64_t i = 0; i < n; i++) {
        ds->y[i] = (int32_t)lf_rng_below(&r, C);
        for (int j = 0; j < D; j++)
            ds->x8[i * D + j] = (uint8_t)(lf_rng_below(&r, 120) + (j / (D / C) == ds->y[i]) * 135);
    }
    snprintf(ds->name, sizeof ds->name, "pixels");
}

typedef struct fixture {
    lf_model *m;
    lf_dataset ds;
    float nbuf[2 * D];
    lf_norm norm;
    float x[N * D], x0[N * D];
    int32_t y[N];
} fixture;

static void fixture_init(fixture *f)
{
    const int64_t in = D;
    TU_OK(lf_model_create("mlp:8", 1, &in, C, 5, &f->m));
    pixels(&f->ds, N, 9);
    f->norm = (lf_norm){.mean = f->nbuf, .std = f->nbuf + D, .d = D};
    TU_OK(lf_dataset_moments(&f->ds, f->norm.mean, f->norm.std));
    int64_t idx[N];
    for (int i = 0; i < N; i++) idx[i] = i;
    lf_gather_rows(&f->ds, idx, N, &f->norm, f->x, f->y);
    memcpy(f->x0, f->x, sizeof f->x);
}

static void fixture_free(fixture *f)
{
    lf_model_free(f->m);
    lf_dataset_release(&f->ds);
}

static double ce_sum(fixture *f, const float *x)
{
    lf_loss *l;
    TU_OK(lf_loss_create("ce:reduction=sum", &l));
    lf_tape *t = lf_tape_new();
    const int64_t shape[2] = {N, D};
    lf_tensor *z = lf_model_forward(f->m, t, lf_tape_tensor(t, 2, shape, x));
    double v;
    TU_OK(lf_tape_status(t));
    TU_OK(lf_loss_eval(l, &(lf_batch){.pred = z->data, .n = N, .k = C, .label = f->y}, &v, NULL));
    lf_tape_free(t);
    lf_loss_free(l);
    return v;
}

/* Raw (pixel) value of standardised x. */
static float raw_of(const fixture *f, const float *x, int64_t i)
{
    return x[i] * f->norm.std[i % D] + f->norm.mean[i % D];
}

static void test_pgd_attack(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    lf_params *p = lf_model_params(f.m);
    for (int64_t i = 0; i < p->size; i++) p->grad[i] = 7.0f;
    const double clean = ce_sum(&f, f.x0);
    for (int norm = 0; norm < 2; norm++) {
        lf_attack a;
        TU_OK(lf_attack_parse(norm ? "pgd:eps=0.5,steps=10,norm=l2" : "pgd:eps=0.1,steps=10", &a));
        lf_attack_range(&f.ds, &a.lo, &a.hi);
        assert_true(a.lo == 0 && a.hi == 1);
        lf_rng rng;
        lf_rng_seed(&rng, 3);
        memcpy(f.x, f.x0, sizeof f.x);
        TU_OK(lf_pgd_attack(f.m, &f.norm, f.x, f.y, N, &a, &rng));
        const double adv = ce_sum(&f, f.x);
        if (!(adv > clean * 1.1))
            fail_msg("norm %d: loss %.6g after the attack, %.6g before", norm, adv, clean);
        for (int r = 0; r < N; r++) {
            double l2 = 0, linf = 0;
            for (int j = 0; j < D; j++) {
                const float v = raw_of(&f, f.x, r * D + j), v0 = raw_of(&f, f.x0, r * D + j);
                assert_true(v >= -1e-6f && v <= 1 + 1e-6f); /* clamped to pixels */
                l2 += (double)(v - v0) * (v - v0);
                linf = fmax(linf, fabs(v - v0));
            }
            if (norm ? sqrt(l2) > a.eps * (1 + 1e-5) : linf > a.eps + 1e-6)
                fail_msg("row %d leaves the ball: linf %.9g, l2 %.9g, eps %g", r, linf, sqrt(l2),
                         a.eps);
        }
    }
    for (int64_t i = 0; i < p->size; i++) assert_true(p->grad[i] == 7.0f);
    for (int i = 0; i < p->n; i++) assert_true(p->t[i].requires_grad);
    fixture_free(&f);
}

/* No steps from no start is the identity; eps = 0 keeps every start on the clean input. */
static void test_pgd_degenerate(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    lf_rng rng;
    lf_rng_seed(&rng, 1);
    lf_attack a = {.eps = 0.3, .steps = 0, .norm = LF_ATTACK_LINF, .start = LF_START_NONE,
                   .lo = 0, .hi = 1};
    TU_OK(lf_pgd_attack(f.m, &f.norm, f.x, f.y, N, &a, &rng));
    tu_assert_close(f.x, f.x0, N * D, 1e-6, 1e-6, "no steps");
    a = (lf_attack){.eps = 0, .steps = 5, .norm = LF_ATTACK_L2, .start = LF_START_UNIFORM,
                    .lo = 0, .hi = 1};
    TU_OK(lf_pgd_attack(f.m, &f.norm, f.x, f.y, N, &a, &rng));
    tu_assert_close(f.x, f.x0, N * D, 1e-6, 1e-6, "eps 0");
    double clean, adv;
    a.norm = LF_ATTACK_LINF;
    TU_OK(lf_evaluate_attack(f.m, &f.ds, NULL, 0, &f.norm, &a, 5, 1, &clean, &adv));
    assert_true(clean == adv);
    a.eps = 0.3;
    TU_OK(lf_evaluate_attack(f.m, &f.ds, NULL, 0, &f.norm, &a, 5, 1, &clean, &adv));
    assert_true(adv <= clean);
    a.eps = -1;
    TU_ERR(lf_pgd_attack(f.m, &f.norm, f.x, f.y, N, &a, &rng), LF_EINVAL, "eps");
    fixture_free(&f);
}

static void test_attack_parse(void **state)
{
    (void)state;
    lf_attack a;
    TU_OK(lf_attack_parse("pgd", &a));
    assert_true(a.eps == 0.1 && a.steps == 10 && a.step_size == 0 && a.norm == LF_ATTACK_LINF &&
                a.start == LF_START_UNIFORM && isinf(a.lo) && isinf(a.hi));
    TU_OK(lf_attack_parse("pgd:eps=0.25,steps=3,norm=l2,start=none,step_size=0.1", &a));
    assert_true(a.eps == 0.25 && a.steps == 3 && a.norm == LF_ATTACK_L2 &&
                a.start == LF_START_NONE && a.step_size == 0.1);
    TU_ERR(lf_attack_parse("fgsm:eps=1", &a), LF_ENOTFOUND, "unknown attack \"fgsm\"");
    TU_ERR(lf_attack_parse("pgd:eps=-1", &a), LF_EINVAL, "attack \"pgd\": parameter \"eps\"");
    TU_ERR(lf_attack_parse("pgd:norm=l1", &a), LF_EINVAL, "linf, l2");
    TU_ERR(lf_attack_parse("pgd:radius=1", &a), LF_EINVAL, "steps");
}

/* ------------------------------------------------------------------ advcompsum, pgdat */
static lf_loss *make_loss(const char *spec)
{
    lf_loss *l = NULL;
    TU_OK(lf_loss_create(spec, &l));
    return l;
}

/* On logits alone: the comp-sum loss of z / rho, gradient / rho. */
static void test_adv_clean_term(void **state)
{
    (void)state;
    float x[12], xs[12], g[12], gs[12];
    tu_fill_uniform(x, 12, -3, 3, 4);
    for (int i = 0; i < 12; i++) xs[i] = x[i] / 2;
    const int32_t y[4] = {0, 2, 1, 1};
    lf_loss *adv = make_loss("advcompsum:tau=1.5,rho=2,nu=3"), *cs = make_loss("compsum:tau=1.5");
    double va, vc;
    TU_OK(lf_loss_eval(adv, &(lf_batch){.pred = x, .n = 4, .k = 3, .label = y}, &va, g));
    TU_OK(lf_loss_eval(cs, &(lf_batch){.pred = xs, .n = 4, .k = 3, .label = y}, &vc, gs));
    assert_true(fabs(va - vc) < 1e-12);
    for (int i = 0; i < 12; i++) gs[i] /= 2;
    tu_assert_close(g, gs, 12, 1e-7, 1e-6, "advcompsum clean gradient");
    lf_loss_free(adv);
    lf_loss_free(cs);
    TU_ERR(lf_loss_create("advcompsum:rho=0", &adv), LF_EINVAL, "\"rho\"");
    TU_ERR(lf_loss_create("advcompsum:tau=3", &adv), LF_EINVAL, "\"tau\" must be in [0, 2]");
    TU_ERR(lf_loss_create("pgdat:nu=1", &adv), LF_EINVAL, "eps");
}

/* The objective of one batch, value and parameter gradient, through lf_loss_objective. */
static double objective(fixture *f, lf_loss *l, float *grad)
{
    lf_tape *t = lf_tape_new();
    lf_tape_set_train(t, 1, 1);
    const int64_t shape[2] = {N, D};
    lf_tensor *x = lf_tape_wrap(t, f->x0, 2, shape);
    lf_tensor *z = lf_model_forward(f->m, t, x);
    lf_batch b = {.label = f->y};
    const lf_objective_in in = {f->m, t, x, z, &b, &f->norm, &f->ds};
    lf_tensor *v = lf_loss_objective(l, &in);
    TU_OK(lf_tape_status(t));
    lf_params *p = lf_model_params(f->m);
    lf_params_zero_grad(p);
    TU_OK(lf_backward(t, v));
    memcpy(grad, p->grad, (size_t)p->size * sizeof *grad);
    const double value = v->data[0];
    lf_tape_free(t);
    return value;
}

/* At eps = 0 the adversarial input is the clean one: the penalty vanishes and both objectives
 * are the plain comp-sum loss, value and parameter gradient; at eps > 0 they exceed it. */
static void test_adv_objective(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    const int64_t np = lf_model_params(f.m)->size;
    float *g0 = malloc((size_t)np * sizeof *g0), *g = malloc((size_t)np * sizeof *g);
    lf_loss *ce = make_loss("ce");
    const double v0 = objective(&f, ce, g0);
    const char *const zero[2] = {"advcompsum:eps=0,nu=5", "pgdat:eps=0"};
    const char *const some[2] = {"advcompsum:eps=0.2,nu=5,steps=5", "pgdat:eps=0.2,steps=5"};
    for (int i = 0; i < 2; i++) {
        lf_loss *l = make_loss(zero[i]);
        assert_true(fabs(objective(&f, l, g) - v0) < 1e-6);
        tu_assert_close(g, g0, np, 1e-6, 1e-5, zero[i]);
        lf_loss_free(l);
        l = make_loss(some[i]);
        const double v = objective(&f, l, g);
        if (!(v > v0 + 1e-3)) fail_msg("%s: objective %.6g, clean loss %.6g", some[i], v, v0);
        lf_loss_free(l);
    }
    lf_loss_free(ce);
    free(g0);
    free(g);
    fixture_free(&f);
}

/* lf_train runs the objective hook: PGD-trained models resist the attack better than CE. */
static void test_adv_training(void **state)
{
    (void)state;
    lf_dataset tr, te;
    pixels(&tr, 400, 11);
    pixels(&te, 200, 12);
    const char *const losses[3] = {"ce", "pgdat:eps=0.2,steps=5",
                                   "advcompsum:eps=0.2,steps=5,nu=0.3"};
    double adv[3], clean[3];
    lf_attack a;
    TU_OK(lf_attack_parse("pgd:eps=0.2,steps=10", &a));
    for (int i = 0; i < 3; i++) {
        lf_train_opts o;
        lf_train_opts_default(&o);
        o.model = "mlp:16";
        o.loss = losses[i];
        o.optim = "adamw:lr=1e-2";
        o.epochs = 6;
        o.batch = 32;
        lf_train_result r;
        lf_model *m;
        lf_dataset none = {0};
        TU_OK(lf_train(&o, &tr, &none, &r, &m));
        float nbuf[2 * D];
        const lf_norm norm = {.mean = nbuf, .std = nbuf + D, .d = D};
        TU_OK(lf_dataset_moments(&tr, norm.mean, norm.std));
        TU_OK(lf_evaluate_attack(m, &te, NULL, 0, &norm, &a, 64, 1, &clean[i], &adv[i]));
        lf_model_free(m);
    }
    if (!(clean[0] > 0.8)) fail_msg("CE clean accuracy %.3f", clean[0]);
    if (!(adv[1] > adv[0] && adv[2] > adv[0]))
        fail_msg("PGD accuracy: ce %.3f, pgdat %.3f, advcompsum %.3f (clean %.3f %.3f %.3f)",
                 adv[0], adv[1], adv[2], clean[0], clean[1], clean[2]);
    lf_dataset_release(&tr);
    lf_dataset_release(&te);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_penalty_value),  cmocka_unit_test(test_penalty_gradcheck),
        cmocka_unit_test(test_pgd_attack),     cmocka_unit_test(test_pgd_degenerate),
        cmocka_unit_test(test_attack_parse),   cmocka_unit_test(test_adv_clean_term),
        cmocka_unit_test(test_adv_objective),  cmocka_unit_test(test_adv_training),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
