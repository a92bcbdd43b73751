/* One set of checks for every registered optimizer: the test walks the registry and, on the
 * optimizer's default spec and the extra specs listed for it below, checks what holds for every
 * optimizer: a step moves the weights, lr = 0 leaves them bit for bit (except fixed decay,
 * w *= 1 - wd, which does not follow the lr and must still shrink them), the step count is
 * kept, two runs of one spec agree bit for bit, and saving the state to safetensors and loading
 * it into a fresh optimizer resumes bit-identically. Its first steps are compared with a
 * fixture (tu_optim_reference) where one exists. A registered optimizer without an entry fails
 * the test, by name. */
#include "testutil.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EXTRA 8

typedef struct optim_reference {
    const char *spec, *set, *fixture; /* tu_optim_reference arguments */
    unsigned flags;
    double atol, rtol;
} optim_reference;

typedef struct optim_check {
    const char *name;             /* a registered optimizer */
    const char *skip_default;     /* why its default spec is not checked; NULL: it is */
    const char *extra[MAX_EXTRA]; /* specs exercising its options, NULL-terminated */
    optim_reference ref;          /* first steps against a fixture; spec NULL: none */
    const char *no_reference;     /* why there is no fixture (when ref.spec is NULL) */
} optim_check;

static const optim_check checks[] = {
    {"sgd", NULL,
     {"sgd:lr=0.05,momentum=0.9,nesterov=1,wd=0.01", "sgd:momentum=0.9,dampening=0.1,wd=0.1"},
     {"sgd:lr=0.05,momentum=0.9,dampening=0.1,wd=0.01", "optim", "optim_sgd_momentum.npy",
      TU_OPTIM_MASKED, 1e-6, 1e-6},
     NULL},
    {"adamw", NULL,
     {"adamw:wd=0.1", "adamw:lr=0.01,wd=0.05,wd_mode=fixed", "adamw:wd=0.1,wd_mode=l2"},
     {"adamw", "optim", "optim_adamw_default.npy", TU_OPTIM_MASKED, 1e-6, 1e-6},
     NULL},
    {"lion", NULL,
     {"lion:lr=1e-3,wd=0.5", "lion:wd=0.5,mu_dtype=bf16", "lion:lr=0.01,wd=0.02,wd_mode=fixed"},
     {"lion", "optim", "optim_lion_default.npy", 0, 1e-6, 1e-6},
     NULL},
    {"lionk", NULL,
     {"lionk:kappa=l2,lr=0.01,wd=0.5", "lionk:kappa=lp,p=1.5,wd=0.5,mu_dtype=bf16",
      "lionk:kappa=huber,c=0.3,wd=0.5,wd_mode=l2",
      "lionk:kappa=relativistic,c=0.5,wd=0.01,wd_mode=fixed", "lionk:kappa=sq", "lionk:kappa=l1"},
     {"lionk:kappa=l2,lr=0.02,wd=0.5", "lionk", "lionk_lionk_l2.npy",
      TU_OPTIM_MASKED | TU_OPTIM_SEGMENTED, 1e-7, 1e-6},
     NULL},
    /* At temperature 0 with a flat prior SGLD is SGD with lr * n_data: the SGD fixture. */
    {"sgld", "n_data has no default (lf_train sets it to the training set's size)",
     {"sgld:lr=1e-4,n_data=1000,seed=11", "sgld:lr=1e-3,temperature=0,prior_sigma=0.3,n_data=77"},
     {"sgld:lr=0.001,temperature=0,prior_sigma=0,n_data=100", "optim", "optim_sgd_plain.npy", 0,
      1e-6, 1e-6},
     NULL},
    {"ogd", NULL,
     {"ogd:lr=0.05,alpha=0.5,beta=2"},
     {"ogd:lr=0.1", "sgld", "sgld_ogd_default.npy", 0, 1e-6, 1e-6},
     NULL},
    {"oadam", NULL,
     {"oadam:lr=3e-3,optimism=0.5,b1=0.8,b2=0.99,eps=1e-6,eps_root=1e-8,nesterov=0"},
     {"oadam:lr=1e-2", "sgld", "sgld_oadam_default.npy", 0, 1e-6, 1e-6},
     NULL},
};

#define NCHECKS (sizeof checks / sizeof checks[0])

static const optim_check *find_check(const char *name)
{
    for (size_t i = 0; i < NCHECKS; i++)
        if (!strcmp(checks[i].name, name)) return &checks[i];
    return NULL;
}

/* ------------------------------------------------------------------ a small run */
enum { N = 300, NG = 5 };

/* Weights in [-2, 2], NG rotating gradients in [-1, 1], decay on about 2/3 of the weights and
 * three parameter tensors (for the per-tensor norms of lionk). */
typedef struct run_data {
    float w[N], g[NG * N];
    uint8_t mask[N];
    int64_t seg[4];
} run_data;

static void run_data_init(run_data *d)
{
    tu_fill_uniform(d->w, N, -2, 2, 41);
    tu_fill_uniform(d->g, NG * N, -1, 1, 42);
    for (int i = 0; i < N; i++) d->mask[i] = (i * 7) % 3 != 0;
    const int64_t seg[4] = {0, 200, 210, N};
    memcpy(d->seg, seg, sizeof seg);
}

static lf_optim *make_optim(const char *spec, const run_data *d)
{
    lf_optim *o = NULL;
    TU_OK(lf_optim_create(spec, N, d->mask, &o));
    TU_OK(lf_optim_set_segments(o, d->seg, 3));
    return o;
}

static void run(lf_optim *o, float *w, const run_data *d, int steps, double lr_scale)
{
    for (int t = 0; t < steps; t++)
        TU_OK(lf_optim_step(o, w, d->g + (lf_optim_steps(o) % NG) * N, lr_scale));
}

/* Fixed decay (w *= 1 - wd, LF_WD_MODE_PARAM in src/internal.h) acts at lr = 0 when wd > 0. */
static int decays_at_lr0(const char *canonical)
{
    const char *wd = strstr(canonical, ",wd=");
    return strstr(canonical, ",wd_mode=fixed") && wd && strtod(wd + 4, NULL) > 0;
}

/* ------------------------------------------------------------------ invariants */
static void check_spec(const char *spec, const run_data *d, const char *path)
{
    lf_optim *a = make_optim(spec, d), *b = make_optim(spec, d);
    const char *canonical = lf_optim_spec(a);
    float wa[N], wb[N], before[N];
    memcpy(wa, d->w, sizeof wa);
    run(a, wa, d, 3, 1.0);
    if (!memcmp(wa, d->w, sizeof wa))
        fail_msg("%s: three steps left the weights as they were", spec);
    assert_int_equal(lf_optim_steps(a), 3);

    /* lr = 0: the weights stay (the state may move: moments see the gradients). */
    memcpy(before, wa, sizeof wa);
    run(a, wa, d, 2, 0.0);
    const int same = !memcmp(before, wa, sizeof wa), moves = decays_at_lr0(canonical);
    if (same == moves)
        fail_msg("%s: lr = 0 %s the weights%s", canonical, same ? "kept" : "moved",
                 moves ? " (fixed decay should still shrink them)" : "");

    /* Save after 5 steps, load into b, 4 more each: bit-identical. */
    memcpy(wb, wa, sizeof wa);
    tu_optim_state_roundtrip(a, b, path);
    run(a, wa, d, 4, 1.0);
    run(b, wb, d, 4, 1.0);
    if (memcmp(wa, wb, sizeof wa)) fail_msg("%s: the resumed run differs", canonical);
    assert_int_equal(lf_optim_steps(b), 9);
    lf_optim_free(b);

    /* A second run from scratch repeats the first (seeded noise included). */
    b = make_optim(spec, d);
    memcpy(wb, d->w, sizeof wb);
    run(b, wb, d, 3, 1.0);
    run(b, wb, d, 2, 0.0);
    run(b, wb, d, 4, 1.0);
    if (memcmp(wa, wb, sizeof wa)) fail_msg("%s: two runs of one spec differ", canonical);
    lf_optim_free(a);
    lf_optim_free(b);
}

/* ------------------------------------------------------------------ tests */
static void test_every_optimizer_is_checked(void **state)
{
    (void)state;
    char missing[1024] = "";
    size_t len = 0;
    int nopt = 0;
    for (int i = 0; i < lf_registry_count(); i++) {
        const lf_desc *d = lf_registry_at(i);
        if (d->kind != LF_KIND_OPTIM) continue;
        nopt++;
        if (find_check(d->name)) continue;
        int w = snprintf(missing + len, sizeof missing - len, "%s\"%s\"", len ? ", " : "",
                         d->name);
        if (w > 0 && (size_t)w < sizeof missing - len) len += (size_t)w;
    }
    assert_true(nopt > 0);
    if (len)
        fail_msg("no checks for registered optimizer(s) %s: add each to checks[] in "
                 "tests/test_registry_optim.c (specs for its options and a fixture of its first "
                 "steps, or why there is none)", missing);
}

static int spec_of(const char *spec, const char *name)
{
    const size_t len = strlen(name);
    return !strncmp(spec, name, len) && (spec[len] == ':' || spec[len] == '\0');
}

static void test_table_names_registered_optimizers(void **state)
{
    (void)state;
    const lf_desc *d;
    for (size_t i = 0; i < NCHECKS; i++) {
        const optim_check *c = &checks[i];
        if (lf_registry_find(LF_KIND_OPTIM, c->name, &d) != LF_OK)
            fail_msg("checks[] lists optimizer \"%s\", which is not registered", c->name);
        if (find_check(c->name) != c) fail_msg("checks[] lists optimizer \"%s\" twice", c->name);
        for (int e = 0; e < MAX_EXTRA && c->extra[e]; e++)
            if (!spec_of(c->extra[e], c->name))
                fail_msg("checks[] entry \"%s\" lists spec \"%s\" of another optimizer", c->name,
                         c->extra[e]);
        if (c->ref.spec && !spec_of(c->ref.spec, c->name))
            fail_msg("checks[] entry \"%s\" has reference spec \"%s\"", c->name, c->ref.spec);
        if (c->skip_default && !c->extra[0])
            fail_msg("checks[] entry \"%s\" checks no spec", c->name);
        if (!c->ref.spec && (!c->no_reference || !*c->no_reference))
            fail_msg("checks[] entry \"%s\" has no reference fixture and says not why", c->name);
    }
}

/* Walks the registry, so an optimizer without an entry cannot pass unnoticed. */
static void test_every_optimizer(void **state)
{
    (void)state;
    run_data *d = malloc(sizeof *d);
    assert_non_null(d);
    run_data_init(d);
    char path[4096];
    snprintf(path, sizeof path, "%s/registry_optim.safetensors", tu_tmpdir());
    for (int i = 0; i < lf_registry_count(); i++) {
        const lf_desc *desc = lf_registry_at(i);
        if (desc->kind != LF_KIND_OPTIM) continue;
        const optim_check *c = find_check(desc->name);
        if (!c) fail_msg("optimizer \"%s\" is registered but has no checks", desc->name);
        if (!c->skip_default) check_spec(desc->name, d, path);
        for (int e = 0; e < MAX_EXTRA && c->extra[e]; e++) check_spec(c->extra[e], d, path);
        const optim_reference *r = &c->ref;
        if (r->spec) tu_optim_reference(r->spec, r->set, r->fixture, r->flags, r->atol, r->rtol);
    }
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_optimizer_is_checked),
        cmocka_unit_test(test_table_names_registered_optimizers),
        cmocka_unit_test(test_every_optimizer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
