/* lossforge repro lion-vs-adamw: Lion and Lion-l2 against AdamW on Fashion-MNIST (X. Chen et
 * al. 2023, "Symbolic Discovery of Optimization Algorithms"; L. Chen et al., ICLR 2024, Lion-K;
 * spec sheet optimizers-and-online.md §1, experiment E2). Claims checked, with the same model,
 * batch and number of epochs for every optimizer:
 *  1. with lr 3-10x smaller and decay lambda 3-10x larger than AdamW's, Lion (and Lion-l2)
 *     reaches AdamW's test accuracy within 0.5 point, each family at its tuned setting (the
 *     best validation accuracy, 10% held out, among its candidates);
 *  2. Lion keeps half of AdamW's optimizer state; bf16 momentum halves it again (its accuracy
 *     effect is measured over several seeds);
 *  3. Lion's decayed weights obey |w| <= 1/lambda after burn-in: the excess over 1/lambda
 *     shrinks at least by (1 - lr*lambda) per step (checked after every epoch; biases are not
 *     decayed, so not bounded);
 *  4. a large lambda (a tight box) trains faster early and ends worse (the Lion-K paper).
 * Runs use one thread by default: deterministic, and fast on a shared two-core machine. */
#include "xp.h"

#include <float.h>
#include <math.h>

#define MAX_EPOCHS 64
#define MAX_SEEDS 16
#define MODEL "mlp:256,256"

typedef struct lva_cfg {
    int64_t epochs, bf16_epochs, seeds, threads, batch;
} lva_cfg;

enum { FAM_ADAMW, FAM_LION, FAM_LIONL2, FAM_BOX, NFAM };
static const char *const fam_names[NFAM] = {"AdamW", "Lion", "Lion-ℓ2", "Lion, tight box"};

static const struct lva_case {
    const char *label, *spec;
    int family, quick;
    double lr, lambda;
} cases[] = {
    {"AdamW, lr 1e-3, wd 1e-2", "adamw:lr=1e-3,wd=1e-2", FAM_ADAMW, 1, 1e-3, 1e-2},
    {"Lion, lr 3e-4, λ 0.03 (3×)", "lion:lr=3e-4,wd=0.03", FAM_LION, 1, 3e-4, 0.03},
    {"Lion, lr 1e-4, λ 0.1 (10×)", "lion:lr=1e-4,wd=0.1", FAM_LION, 0, 1e-4, 0.1},
    {"Lion-ℓ2, lr 0.1, λ 0.01", "lionk:kappa=l2,lr=0.1,wd=0.01", FAM_LIONL2, 1, 0.1, 0.01},
    {"Lion-ℓ2, lr 0.03, λ 0.01", "lionk:kappa=l2,lr=0.03,wd=0.01", FAM_LIONL2, 0, 0.03, 0.01},
    {"Lion, lr 1e-4, λ 10", "lion:lr=1e-4,wd=10", FAM_BOX, 0, 1e-4, 10},
    {"Lion, lr 1e-4, λ 30", "lion:lr=1e-4,wd=30", FAM_BOX, 1, 1e-4, 30},
};
enum { NCASE = sizeof cases / sizeof cases[0] };

/* A case's run (seed 1): max |w| over decayed tensors and max |b| over the others (biases) per
 * epoch ([0] = at initialisation), train loss and test accuracy per epoch, the last epoch's
 * validation accuracy, the optimizer's state bytes. */
typedef struct lva_stats {
    double maxw[MAX_EPOCHS + 1], maxb[MAX_EPOCHS + 1];
    double loss[MAX_EPOCHS], test[MAX_EPOCHS], val;
    size_t state_bytes;
} lva_stats;

typedef struct lva_run {
    const lva_cfg *cfg;
    const lf_dataset *train, *test;
    int epochs, seeds, bf16_epochs;
    int64_t steps_per_epoch, nparams;
    lva_stats st[NCASE];
    int ran[NCASE], tuned[NFAM];   /* tuned: the case chosen per family, -1 when none ran */
    int inbox[NCASE], box_ok, box_n; /* Lion runs within the box bound after every epoch */
    double bf16_acc[2][MAX_SEEDS]; /* [f32, bf16][seed] */
    size_t bf16_bytes[2];
} lva_run;

static double test_acc(const lva_run *r, int k) { return r->st[k].test[r->epochs - 1]; }

/* Max |w| over the decayed tensors and max |b| over the others into st at `at`. */
static void measure(const lf_params *p, lva_stats *st, int at)
{
    st->maxw[at] = st->maxb[at] = 0;
    for (int i = 0; i < p->n; i++) {
        double *m = p->decay[i] ? &st->maxw[at] : &st->maxb[at];
        for (int64_t j = 0; j < p->t[i].size; j++) *m = fmax(*m, fabs((double)p->t[i].data[j]));
    }
}

static lf_status on_epoch(void *user, lf_model *m, const lf_norm *norm, const lf_epoch_stats *e)
{
    LF_UNUSED(norm);
    lva_stats *st = user;
    if (e->epoch > MAX_EPOCHS) return LF_OK;
    measure(lf_model_params(m), st, e->epoch);
    st->loss[e->epoch - 1] = e->train_loss;
    st->test[e->epoch - 1] = e->test_acc;
    st->val = e->val_acc;
    return LF_OK;
}

/* The bytes of state `spec` keeps for the model's parameters. */
static lf_status state_bytes(const lva_run *r, const char *spec, size_t *bytes)
{
    lf_optim *o = NULL;
    lf_status s = lf_optim_create(spec, r->nparams, NULL, &o);
    if (s == LF_OK) *bytes = lf_optim_state_bytes(o);
    lf_optim_free(o);
    return s;
}

/* What every run shares: MODEL, cross-entropy, the batch, 10% held out for validation. */
static lf_train_opts opts(const lva_run *r, const char *spec, int epochs, uint64_t seed)
{
    lf_train_opts o = lf_xp_opts(MODEL, spec, epochs, r->cfg->batch, (int)r->cfg->threads);
    o.seed = seed;
    o.val_split = 0.1;
    return o;
}

/* The box bound after `steps` steps: 1/lambda plus the initial excess shrunk by
 * (1 - lr*lambda) per step, plus the float32 floor below which no pull-in happens. */
static double box_bound(int k, double maxw0, double steps)
{
    const double R = 1 / cases[k].lambda, lr_l = cases[k].lr * cases[k].lambda;
    return R + fmax(0, maxw0 - R) * pow(1 - lr_l, steps) + R * FLT_EPSILON / lr_l;
}

static int is_lion(int k) { return cases[k].family == FAM_LION || cases[k].family == FAM_BOX; }

/* Case k with seed 1 into r->st[k] (the initial weights from a model built with the same seed,
 * as lf_train builds it); then whether it is its family's best so far on validation, and for
 * Lion whether max|w| stayed within the bound after every epoch. */
static lf_status run_case(lva_run *r, int k)
{
    lva_stats *st = &r->st[k];
    lf_model *m0 = NULL;
    lf_status s = lf_model_create(MODEL, r->train->ndim, r->train->shape, r->train->n_classes, 1,
                                  &m0);
    if (s != LF_OK) return s;
    measure(lf_model_params(m0), st, 0);
    r->nparams = lf_model_params(m0)->size;
    lf_model_free(m0);
    lf_train_opts o = opts(r, cases[k].spec, r->epochs, 1);
    o.on_epoch = on_epoch;
    o.user = st;
    lf_train_result res;
    if ((s = state_bytes(r, cases[k].spec, &st->state_bytes)) != LF_OK) return s;
    if ((s = lf_train(&o, r->train, r->test, &res, NULL)) != LF_OK) return s;
    r->ran[k] = 1;
    int *t = &r->tuned[cases[k].family];
    if (*t < 0 || st->val > r->st[*t].val) *t = k;
    r->inbox[k] = 1;
    for (int e = 1; e <= r->epochs; e++)
        r->inbox[k] &= st->maxw[e] <= box_bound(k, st->maxw[0], (double)(e * r->steps_per_epoch));
    r->box_ok += is_lion(k) && r->inbox[k];
    r->box_n += is_lion(k);
    return LF_OK;
}

/* Every case of the variant with seed 1, then Lion with f32 and bf16 momentum over the seeds. */
static lf_status run_all(lf_xp *xp, lva_run *r)
{
    int n = 0;
    for (int k = 0; k < NCASE; k++) n += !xp->quick || cases[k].quick;
    lf_xp_progress(xp, n + 2 * r->seeds);
    lf_status s = LF_OK;
    for (int f = 0; f < NFAM; f++) r->tuned[f] = -1;
    for (int k = 0; k < NCASE && s == LF_OK; k++) {
        if (xp->quick && !cases[k].quick) continue;
        s = run_case(r, k);
        lf_xp_tick(xp, "%s", cases[k].label);
    }
    for (int b = 0; b < 2 && s == LF_OK; b++) {
        char spec[256];
        snprintf(spec, sizeof spec, "%s%s", cases[1].spec, b ? ",mu_dtype=bf16" : "");
        s = state_bytes(r, spec, &r->bf16_bytes[b]);
        for (int i = 0; i < r->seeds && s == LF_OK; i++) {
            lf_train_opts o = opts(r, spec, r->bf16_epochs, (uint64_t)i + 1);
            s = lf_xp_train(&o, r->train, r->test, &r->bf16_acc[b][i], NULL);
            lf_xp_tick(xp, "%s, seed %d", spec, i + 1);
        }
    }
    return s;
}

/* ------------------------------------------------------------------ report */
static void report_tables(lf_xp *xp, const lva_run *r)
{
    char a[1024], b[32];
    lf_xp_line(xp, "Setup: " MODEL ", cross-entropy, batch %lld, %d epoch(s), constant lr, seed 1, "
               "%lld training rows (10%% held out for validation), %lld test rows, %lld "
               "thread(s); weight decay on weights, not biases.", (long long)r->cfg->batch,
               r->epochs, (long long)r->train->n, (long long)r->test->n,
               (long long)r->cfg->threads);
    lf_xp_section(xp, "Runs (seed 1)");
    lf_xp_table(xp, "runs", "| optimizer | state bytes | val acc | test acc | train loss by epoch "
                "| tuned |");
    for (int k = 0; k < NCASE; k++) {
        const lva_stats *s = &r->st[k];
        if (r->ran[k])
            lf_xp_row(xp, "| %s | %zu | %.2f%% | %.2f%% | %s | %s |", cases[k].label,
                      s->state_bytes, 100 * s->val, 100 * test_acc(r, k),
                      lf_xp_join(a, sizeof a, "%.3f", s->loss, r->epochs, 1, 1),
                      r->tuned[cases[k].family] == k && cases[k].family != FAM_BOX ? "yes" : "");
    }
    lf_xp_section(xp, "The box |w| ≤ 1/λ");
    lf_xp_line(xp, "For the decayed weights (biases: no decay, no bound). Bound after t steps: "
               "1/λ + (max|w₀| − 1/λ)₊(1 − lr·λ)^t (+ the float32 floor (1/λ)·ε/(lr·λ)); %lld "
               "steps per epoch.", (long long)r->steps_per_epoch);
    lf_xp_line(xp, "%s", "");
    lf_xp_table(xp, "box", "| optimizer | 1/λ | max \\|w\\| at init | max \\|w\\| after each "
                "epoch | bound at the last epoch | within the bound every epoch "
                "| max \\|bias\\| |");
    for (int k = 0; k < NCASE; k++) {
        const lva_stats *s = &r->st[k];
        if (r->ran[k] && is_lion(k))
            lf_xp_row(xp, "| %s | %.4g | %.4f | %s | %.4f | %s | %.3f |", cases[k].label,
                      1 / cases[k].lambda, s->maxw[0],
                      lf_xp_join(a, sizeof a, "%.4f", s->maxw + 1, r->epochs, 1, 1),
                      box_bound(k, s->maxw[0], (double)(r->epochs * r->steps_per_epoch)),
                      r->inbox[k] ? "yes" : "**no**", s->maxb[r->epochs]);
    }
    const lva_stats *w = &r->st[0]; /* AdamW, run in both variants */
    lf_xp_row(xp, "| %s (no box; for contrast) | — | %.4f | %.4f at the end | — | — | %.3f |",
              cases[0].label, w->maxw[0], w->maxw[r->epochs], w->maxb[r->epochs]);
    lf_xp_section(xp, "bf16 momentum");
    lf_xp_line(xp, "`mu_dtype=bf16` (round to nearest even) against f32, %s, %d epoch(s), seeds "
               "1..%d:", cases[1].spec, r->bf16_epochs, r->seeds);
    lf_xp_line(xp, "%s", "");
    lf_xp_table(xp, "bf16", "| momentum | state bytes | test acc per seed | mean ± sd |");
    for (int i = 0; i < 2; i++) {
        lf_xp_pm(b, sizeof b, r->bf16_acc[i], r->seeds, 1, 100, 2);
        lf_xp_row(xp, "| %s | %zu | %s | %s%% |", i ? "bf16" : "f32", r->bf16_bytes[i],
                  lf_xp_join(a, sizeof a, "%.2f%%", r->bf16_acc[i], r->seeds, 1, 100), b);
    }
}

static void report_verdicts(lf_xp *xp, const lva_run *r)
{
    const int ta = r->tuned[FAM_ADAMW], tl = r->tuned[FAM_LION], t2 = r->tuned[FAM_LIONL2];
    const double aa = 100 * test_acc(r, ta), la = 100 * test_acc(r, tl);
    const double l2 = t2 >= 0 ? 100 * test_acc(r, t2) : NAN;
    const int acc_ok = fabs(la - aa) <= 0.5 && (t2 < 0 || fabs(l2 - aa) <= 0.5);
    const size_t sa = r->st[ta].state_bytes, sl = r->st[tl].state_bytes;
    lf_xp_section(xp, "Verdicts");
    lf_xp_line(xp, "Paper: Lion with lr 3-10× smaller and λ 3-10× larger matches AdamW (spec "
               "sheet: ~88-89%% here), with half the optimizer state; |w| ≤ 1/λ after burn-in.");
    lf_xp_line(xp, "%s", "");
    lf_xp_claim(xp, "Lion matches AdamW's accuracy (within 0.5 point)",
                xp->quick ? "not judged (quick variant: one epoch on 10k rows)"
                          : lf_xp_verdict(acc_ok, 1),
                "tuned AdamW %.2f%%, Lion %.2f%% (%+.2f), Lion-ℓ2 %.2f%% (%+.2f) test accuracy",
                aa, la, la - aa, l2, l2 - aa);
    lf_xp_claim(xp, "Lion keeps half of AdamW's state", lf_xp_verdict(sl * 2 == sa, 1),
                "AdamW %zu bytes, Lion %zu (%.2f×), Lion bf16 momentum %zu (%.2f×)", sa, sl,
                (double)sl / (double)sa, r->bf16_bytes[1], (double)r->bf16_bytes[1] / (double)sa);
    lf_xp_claim(xp, "|w| ≤ 1/λ after burn-in", lf_xp_verdict(r->box_ok == r->box_n, 1),
                "in %d of %d Lion runs max|w| stayed within 1/λ plus the shrinking initial "
                "excess after every epoch", r->box_ok, r->box_n);
    /* Large lambda at the same lr: lr 1e-4 with lambda 0.1 (case 2) and with lambda 30 (last) */
    const lva_stats *a = &r->st[2], *b = &r->st[NCASE - 1];
    const int early = b->loss[0] < a->loss[0], worse = test_acc(r, NCASE - 1) < test_acc(r, 2);
    if (r->ran[2] && r->ran[NCASE - 1])
        lf_xp_claim(xp, "tight box (λ 30 vs 0.1 at lr 1e-4)", lf_xp_verdict(early + worse, 2),
                    "first-epoch train loss %.3f vs %.3f (paper: faster early: %s), final test "
                    "accuracy %.2f%% vs %.2f%% (paper: worse final: %s)", b->loss[0], a->loss[0],
                    early ? "yes" : "no", 100 * test_acc(r, NCASE - 1), 100 * test_acc(r, 2),
                    worse ? "yes" : "no");
    double m[2], sd[2];
    for (int i = 0; i < 2; i++) lf_xp_mean_sd(r->bf16_acc[i], r->seeds, 1, &m[i], &sd[i]);
    lf_xp_line(xp, "- **bf16 momentum:** %+.2f points of test accuracy on average (seed sd %.2f "
               "/ %.2f), for half of Lion's state.", 100 * (m[1] - m[0]), 100 * sd[0],
               100 * sd[1]);
}

/* Train loss and test accuracy (%) per epoch of each family's tuned setting. */
static lf_status plot_curves(lf_xp *xp, const lva_run *r)
{
    lf_xp_line(xp, "%s", "");
    lf_xp_line(xp, "Plot: `lion_vs_adamw.svg` (train loss and test accuracy per epoch of the "
                   "tuned settings).");
    double x[MAX_EPOCHS], acc[3][MAX_EPOCHS];
    lf_series s[6];
    int ns = 0;
    for (int e = 0; e < r->epochs; e++) x[e] = e + 1;
    for (int f = FAM_ADAMW; f <= FAM_LIONL2; f++) {
        const int k = r->tuned[f];
        if (k < 0) continue;
        for (int e = 0; e < r->epochs; e++) acc[f][e] = 100 * r->st[k].test[e];
        s[ns++] = (lf_series){fam_names[f], r->st[k].loss, 0, f + 1};
        s[ns++] = (lf_series){fam_names[f], acc[f], 1, f + 1};
    }
    const lf_plot p = {.title = "lion-vs-adamw: Fashion-MNIST " MODEL ", tuned settings",
                       .xlabel = "epoch", .panel = {"train loss", "test accuracy"},
                       .ylabel = {"cross-entropy", "accuracy (%)"}};
    return lf_xp_plot(xp, "lion_vs_adamw.svg", &p, x, r->epochs, s, ns);
}

static lf_status lva_run_xp(const void *cfgv, lf_xp *xp)
{
    const lva_cfg *cfg = cfgv;
    lf_dataset full = {0}, test = {0}, head = {0};
    lf_status s = lf_dataset_load("fashion-mnist", &full, &test);
    /* --quick: the first 10k rows (lf_xp_subset's random rows would change every number) */
    if (s == LF_OK && xp->quick) s = lf_xp_head(&full, 10000, &head);
    const lf_dataset *train = xp->quick ? &head : &full;
    const int64_t n_train = train->n - llround(0.1 * (double)train->n);
    lva_run r = {.cfg = cfg, .train = train, .test = &test,
                 .epochs = (int)LF_XP_PICK(xp, cfg->epochs, 1),
                 .seeds = (int)LF_XP_PICK(xp, cfg->seeds, 1),
                 .bf16_epochs = (int)LF_XP_PICK(xp, cfg->bf16_epochs, 1),
                 .steps_per_epoch = (n_train + cfg->batch - 1) / cfg->batch};
    if (s == LF_OK) s = run_all(xp, &r);
    if (s == LF_OK) report_tables(xp, &r);
    if (s == LF_OK) report_verdicts(xp, &r);
    if (s == LF_OK) s = plot_curves(xp, &r);
    lf_dataset_release(&head);
    lf_dataset_release(&full);
    lf_dataset_release(&test);
    return s;
}

static const lf_param_desc lva_params[] = {
    LF_PARAM_INT("epochs", 5, 1, MAX_EPOCHS, "epochs of the main comparison", lva_cfg, epochs),
    LF_PARAM_INT("bf16_epochs", 3, 1, MAX_EPOCHS, "epochs of the bf16-momentum runs", lva_cfg,
                 bf16_epochs),
    LF_XP_SEEDS(lva_cfg, seeds, 3, MAX_SEEDS),
    LF_XP_THREADS(lva_cfg, threads),
    LF_PARAM_INT("batch", 128, 1, 65536, "minibatch size", lva_cfg, batch),
};

LF_XP_DEFINE(lion_vs_adamw, "lion-vs-adamw", "lion",
             "AdamW vs Lion vs Lion-l2 on Fashion-MNIST: accuracy, state bytes, |w| <= 1/lambda, "
             "bf16 momentum", "lion-vs-adamw: Lion, Lion-ℓ2 and AdamW on Fashion-MNIST", lva_cfg,
             lva_params, lva_run_xp);
