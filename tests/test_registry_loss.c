/* One gradient check for every registered loss: the test walks the registry, builds a valid
 * batch for each loss from what it declares (lf_loss_needs: the fields it reads and the layout
 * its batches need), and runs the double-precision central-difference check (tu_loss_gradcheck)
 * on the loss's default spec and on the extra specs listed for it below, each on a batch of the
 * fields it needs, on one with every field filled, and (row-wise losses) on a batch of one row.
 * A registered loss with neither an entry in `checks` nor one in `exceptions` fails the test, by
 * name, so adding a loss means adding its check. Reference values against PyTorch stay in the
 * loss families' own test files. */
#include "testutil.h"
#include "lossforge/retrieval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLASS_W "weights=0.5;1;2;1.5;0.25" /* five classes: the row-wise batch has k = 5 */
#define MAX_EXTRA 16

typedef struct loss_check {
    const char *name;         /* a registered loss */
    const char *skip_default; /* why its default spec is not checked; NULL: it is */
    float scale;              /* pred drawn from U(-scale, scale); 0: 2 */
    uint64_t seed;            /* of that draw; 0: 7 */
    double h, tol;            /* finite-difference step and tolerance; 0: 1e-3 and 1e-4 */
    const char *extra[MAX_EXTRA]; /* specs exercising its options, NULL-terminated */
} loss_check;

/* The embedding losses are checked at 2e-3: their pairwise passes run in float through sgemm. */
#define EMBED_H 1e-3, 2e-3

static const loss_check checks[] = {
    {"ce", NULL, 0, 0, 1e-2, 1e-4,
     {"ce:smoothing=0.2", "ce:smoothing=0.1," CLASS_W, "ce:ignore_index=4,smoothing=0.1",
      "ce:reduction=sum,smoothing=1," CLASS_W, "ce:reduction=none,smoothing=0.1",
      "ce:weighted_mean=n,smoothing=0.05," CLASS_W}},
    {"mse", NULL, 0, 0, 1e-2, 1e-5, {"mse:reduction=sum"}},
    {"ms", NULL, 0, 0, EMBED_H,
     {"ms:alpha=2,beta=10,lambda=0.5", "ms:alpha=2,beta=10,lambda=1,distance=euclidean",
      "ms:alpha=2,beta=5,lambda=0.5,normalize=0"}},
    {"contrastive", NULL, 0, 0, EMBED_H,
     {"contrastive:margin=3,pos_margin=0.5,normalize=0",
      "contrastive:margin=0.2,pos_margin=0.9,distance=cosine"}},
    {"triplet", NULL, 0, 1, EMBED_H,
     {"triplet:margin=0.2", "triplet:margin=0.1,distance=cosine",
      "triplet:margin=0.5,mining=semi-hard", "triplet:margin=0.3,mining=semi-hard,distance=cosine",
      "triplet:margin=0.3,mining=batch-hard",
      "triplet:margin=0.1,mining=batch-hard,distance=cosine",
      "triplet:margin=1,mining=batch-hard,normalize=0"}},
    {"protonet", NULL, 0, 0, EMBED_H, {"protonet:temperature=2"}},
    {"proto-triplet", NULL, 0, 0, EMBED_H, {"proto-triplet:margin=1,ce=1"}},
    {"icnn", NULL, 0, 2, EMBED_H,
     {"icnn:variant=support", "icnn:variant=query", "icnn:k=3,ce=1"}},
    {"compsum", NULL, 0, 0, 1e-2, 1e-4,
     {"compsum:tau=0", "compsum:tau=0.5,smoothing=0.2", "compsum:tau=1,smoothing=0.1," CLASS_W,
      "compsum:tau=1.7,reduction=sum,smoothing=1," CLASS_W,
      "compsum:tau=2,weighted_mean=n,smoothing=0.05," CLASS_W, "compsum:tau=0.3,reduction=none",
      "compsum:tau=1.5,ignore_index=4,smoothing=0.1", "compsum:tau=0,smoothing=0.1," CLASS_W}},
    {"gce", NULL, 0, 0, 1e-2, 1e-4,
     {"gce:q=0.2", "gce:smoothing=0.1," CLASS_W, "gce:q=0.5,reduction=sum,smoothing=1," CLASS_W,
      "gce:weighted_mean=n,smoothing=0.05," CLASS_W, "gce:reduction=none,ignore_index=4"}},
    {"mae", NULL, 0, 0, 1e-2, 1e-4,
     {"mae:smoothing=0.2", "mae:reduction=sum," CLASS_W,
      "mae:weighted_mean=n,smoothing=0.3," CLASS_W}},
    {"sumexp", NULL, 0, 0, 1e-2, 1e-4,
     {"sumexp:smoothing=0.05,reduction=sum," CLASS_W, "sumexp:reduction=none,ignore_index=4"}},
    /* lf_loss_eval of the adversarial losses is their clean term L_tau(z / rho); the PGD
     * objective they train through (lf_loss_vt.objective) is checked in test_adversarial.c. */
    {"advcompsum", NULL, 0, 0, 1e-2, 1e-4,
     {"advcompsum:tau=1.5,rho=2", "advcompsum:tau=0.5,rho=1.5,nu=1"}},
    {"pgdat", NULL, 0, 0, 1e-2, 1e-4, {"pgdat:tau=1.7", "pgdat:tau=0"}},
    {"bce", NULL, 0, 0, 1e-3, 1e-5,
     {"bce:pos_weight=3", "bce:pos_weight=0.2,reduction=sum", "bce:reduction=none"}},
    {"hinge", NULL, 0, 0, 1e-3, 1e-5, {"hinge:reduction=sum"}},
    {"sqhinge", NULL, 0, 0, 1e-3, 1e-5, {"sqhinge:reduction=none"}},
    {"exp", NULL, 0, 0, 1e-3, 1e-5, {"exp:reduction=sum"}},
    {"focal", NULL, 0, 0, 1e-3, 1e-5,
     {"focal:gamma=0", "focal:gamma=0.5,alpha=-1", "focal:gamma=3,alpha=0.9,reduction=none"}},
    /* Scores near 0, where the amplifier is steep, so every row matters. */
    {"anyloss", NULL, 0.6f, 0, 1e-4, 1e-4,
     {"anyloss:metric=acc,L=4", "anyloss:metric=f1,L=20,r=0.4", "anyloss:metric=fbeta,L=2,beta=3",
      "anyloss:metric=gmean,L=4", "anyloss:metric=bacc,L=4,r=0.5", "anyloss:metric=mcc,L=4"}},
    /* Margins within [-1, 1]: no tail scaling, so with the draws fixed (the check rebinds the
     * loss, restarting its stream, before every evaluation) the surrogate is linear in the
     * scores and its gradient is the one the loss returns. */
    {"ensloss", NULL, 1.0f, 0, 1e-3, 1e-6,
     {"ensloss:lambda=0.5,seed=7", "ensloss:lambda=-0.3,seed=3"}},
    {"ldr", NULL, 0, 0, 1e-3, 1e-4,
     {"ldr:variant=raw,margin=0,lambda=1", "ldr:variant=raw,margin=2,lambda=0.3",
      "ldr:variant=raw,margin=0.5,lambda=10", "ldr:variant=normalized,margin=0.1,lambda=0.2",
      "ldr:variant=normalized,margin=3,lambda=5,reduction=sum," CLASS_W}},
    {"aldr",
     "adapt=1 moves lambda_i with the logits and, as the reference code, detaches it: the "
     "gradient is by design not the derivative of the value; checked at adapt=0",
     0, 0, 1e-3, 1e-4,
     {"aldr:adapt=0", "aldr:adapt=0,margin=0.2,lambda0=0.5,alpha=5",
      "aldr:adapt=0,softplus=1,margin=2", "aldr:adapt=0,reduction=sum," CLASS_W}},
};

/* Losses whose gradient is not finite-differenced at all, with the reason. Prefer a check at a
 * sample point away from kinks, or with the loss's randomness fixed, to an entry here. */
typedef struct loss_exception {
    const char *name, *reason;
} loss_exception;

static const loss_exception exceptions[] = {
    {NULL, NULL}, /* none at present; the sentinel keeps the array non-empty */
};

#define NCHECKS (sizeof checks / sizeof checks[0])
#define NEXCEPT (sizeof exceptions / sizeof exceptions[0])

static const loss_check *find_check(const char *name)
{
    for (size_t i = 0; i < NCHECKS; i++)
        if (!strcmp(checks[i].name, name)) return &checks[i];
    return NULL;
}

static const loss_exception *find_exception(const char *name)
{
    for (size_t i = 0; i < NEXCEPT; i++)
        if (exceptions[i].name && !strcmp(exceptions[i].name, name)) return &exceptions[i];
    return NULL;
}

/* ------------------------------------------------------------------ batches */
enum { MAXN = 12, MAXK = 5 };

typedef struct sample {
    lf_batch b;
    float x[MAXN * MAXK]; /* the point the check differentiates at */
    float target[MAXN * MAXK], weight[MAXN];
    int32_t label[MAXN], group[MAXN];
    uint8_t event[MAXN];
    int64_t index[MAXN];
} sample;

/* A batch laid out as `needs` declares: one few-shot episode (3-way, 2-shot, 2-query: support
 * and query rows interleaved, class ids not 0-based), P×K embeddings (3 classes × 3 rows), n×1
 * binary scores, or rows of k = 5 class logits whose labels cover every class. full: also every
 * field the loss does not need (it must ignore them or use them validly: sample weights); else
 * only the needed ones, plus the row ids of a loss with per-sample state. rows: 0 = the
 * layout's own, else that many rows; k1: one class. */
static void build(sample *s, unsigned needs, int full, int64_t rows, int k1, float scale,
                  uint64_t seed, int stateful)
{
    memset(s, 0, sizeof *s);
    int64_t n = 6, k = k1 ? 1 : 5;
    if (needs & LF_LOSS_EPISODE) n = 12, k = 4;
    else if (needs & LF_LOSS_PAIRS) n = 9, k = 4;
    else if (needs & LF_LOSS_SCORES) n = 10, k = 1;
    if (rows) n = rows;
    for (int64_t i = 0; i < n; i++) {
        if (needs & LF_LOSS_EPISODE) {
            s->label[i] = 10 + 7 * (int32_t)(i % 3);
            s->group[i] = (i / 3) % 2 ? LF_EPISODE_QUERY : LF_EPISODE_SUPPORT;
        } else if (needs & LF_LOSS_PAIRS) {
            s->label[i] = (int32_t)(i % 3);
        } else if (needs & LF_LOSS_SCORES) {
            s->label[i] = i % 3 != 1;
        } else {
            s->label[i] = (int32_t)((i * 3 + 1) % k);
            s->group[i] = (int32_t)(i % 2);
        }
        s->weight[i] = 0.25f + 0.5f * (float)((i * 5) % 4);
        s->event[i] = i % 3 != 0;
        s->index[i] = n - 1 - i; /* row ids are not batch positions */
    }
    tu_fill_uniform(s->x, n * k, -scale, scale, seed);
    tu_fill_uniform(s->target, n * k, -2, 2, 8);
    /* Kinks of margin losses sit at integer margins (the hinge's at 1): keep off them by far
     * more than the step. */
    for (int64_t i = 0; i < n * k; i++)
        if (fabsf(s->x[i] - roundf(s->x[i])) < 0.02f) s->x[i] += 0.05f;
    lf_batch *b = &s->b;
    *b = (lf_batch){.n = n, .k = k};
    if (full || (needs & LF_NEED_LABEL)) b->label = s->label;
    if (full || (needs & LF_NEED_TARGET)) b->target = s->target;
    if (full || (needs & LF_NEED_WEIGHT)) b->weight = s->weight;
    if (full || (needs & LF_NEED_GROUP)) b->group = s->group;
    if (full || (needs & LF_NEED_EVENT)) b->event = s->event;
    if (full || stateful || (needs & LF_NEED_INDEX)) b->index = s->index;
}

/* ------------------------------------------------------------------ checks */
/* tu_loss_gradcheck, naming the batch before failing. */
static void check_on(const char *spec, const sample *s, const loss_check *c, const char *what)
{
    const double h = c->h > 0 ? c->h : 1e-3, tol = c->tol > 0 ? c->tol : 1e-4;
    double worst = tu_loss_gradcheck(spec, &s->b, s->x, h, INFINITY);
    if (worst > tol) {
        print_message("loss \"%s\" on %s (n = %lld, k = %lld):\n", spec, what,
                      (long long)s->b.n, (long long)s->b.k);
        tu_loss_gradcheck(spec, &s->b, s->x, h, tol);
    }
}

/* The spec on the needed fields, on every field, and on one row (row-wise layouts). */
static void check_spec(const char *spec, const loss_check *c, int is_default)
{
    lf_loss *l = NULL;
    TU_OK(lf_loss_create(spec, &l));
    const unsigned needs = lf_loss_needs(l);
    const int stateful = lf_loss_state_count(l) > 0;
    lf_loss_free(l);
    const float scale = c->scale > 0 ? c->scale : 2.0f;
    const uint64_t seed = c->seed ? c->seed : 7;
    const int rowwise = !(needs & (LF_LOSS_EPISODE | LF_LOSS_PAIRS));
    sample s;
    build(&s, needs, 0, 0, 0, scale, seed, stateful);
    check_on(spec, &s, c, "the fields it needs");
    build(&s, needs, 1, 0, 0, scale, seed, stateful);
    check_on(spec, &s, c, "every field");
    if (!rowwise) return;
    build(&s, needs, 0, 1, 0, scale, seed, stateful);
    check_on(spec, &s, c, "one row");
    /* One class (class weights would need five): the loss and its gradient are defined. */
    if (is_default && !(needs & LF_LOSS_SCORES)) {
        build(&s, needs, 1, 0, 1, scale, seed, stateful);
        check_on(spec, &s, c, "one class");
    }
}

/* Every registered loss has a check or an explained exception; the message names the rest. */
static void test_every_loss_is_checked(void **state)
{
    (void)state;
    char missing[1024] = "";
    size_t len = 0;
    int nloss = 0;
    for (int i = 0; i < lf_registry_count(); i++) {
        const lf_desc *d = lf_registry_at(i);
        if (d->kind != LF_KIND_LOSS) continue;
        nloss++;
        if (find_check(d->name) || find_exception(d->name)) continue;
        int w = snprintf(missing + len, sizeof missing - len, "%s\"%s\"", len ? ", " : "",
                         d->name);
        if (w > 0 && (size_t)w < sizeof missing - len) len += (size_t)w;
    }
    assert_true(nloss > 0);
    if (len)
        fail_msg("no gradient check for registered loss(es) %s: add each to checks[] in "
                 "tests/test_registry_loss.c (its default spec and specs for its options), or "
                 "to exceptions[] with the reason", missing);
}

/* Every entry names a registered loss, once, and its extra specs are specs of that loss. */
static void test_tables_name_registered_losses(void **state)
{
    (void)state;
    const lf_desc *d;
    for (size_t i = 0; i < NCHECKS; i++) {
        const loss_check *c = &checks[i];
        if (lf_registry_find(LF_KIND_LOSS, c->name, &d) != LF_OK)
            fail_msg("checks[] lists loss \"%s\", which is not registered", c->name);
        if (find_check(c->name) != c) fail_msg("checks[] lists loss \"%s\" twice", c->name);
        if (find_exception(c->name))
            fail_msg("loss \"%s\" is both in checks[] and in exceptions[]", c->name);
        if (c->skip_default && !c->extra[0])
            fail_msg("checks[] entry \"%s\" checks nothing: move it to exceptions[]", c->name);
        const size_t len = strlen(c->name);
        for (int e = 0; e < MAX_EXTRA && c->extra[e]; e++)
            if (strncmp(c->extra[e], c->name, len) != 0 || c->extra[e][len] != ':')
                fail_msg("checks[] entry \"%s\" lists spec \"%s\" of another loss", c->name,
                         c->extra[e]);
    }
    for (size_t i = 0; i < NEXCEPT; i++) {
        if (!exceptions[i].name) continue;
        if (lf_registry_find(LF_KIND_LOSS, exceptions[i].name, &d) != LF_OK)
            fail_msg("exceptions[] lists loss \"%s\", which is not registered",
                     exceptions[i].name);
        if (!exceptions[i].reason || !*exceptions[i].reason)
            fail_msg("exceptions[] entry \"%s\" gives no reason", exceptions[i].name);
    }
}

/* Walks the registry (not the table), so a loss without an entry cannot pass unnoticed. */
static void test_gradcheck_every_loss(void **state)
{
    (void)state;
    int checked = 0;
    for (int i = 0; i < lf_registry_count(); i++) {
        const lf_desc *d = lf_registry_at(i);
        if (d->kind != LF_KIND_LOSS || find_exception(d->name)) continue;
        const loss_check *c = find_check(d->name);
        if (!c) fail_msg("loss \"%s\" is registered but has no gradient check", d->name);
        if (!c->skip_default) check_spec(d->name, c, 1);
        for (int e = 0; e < MAX_EXTRA && c->extra[e]; e++) check_spec(c->extra[e], c, 0);
        checked++;
    }
    assert_true(checked > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_loss_is_checked),
        cmocka_unit_test(test_tables_name_registered_losses),
        cmocka_unit_test(test_gradcheck_every_loss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
