/* lossforge repro sgld-ensemble: the universality-lens thesis (Feder, Urbanke & Fogel 2025) in
 * practice. A Bayesian mixture over a huge model class predicts well; SGLD samples approximate
 * the posterior, so an ensemble of SGLD samples approximates the mixture. On Fashion-MNIST MLPs
 * 784-h-10 with h in {32, 256, 2048}: a single SGD model vs an SGLD ensemble (T = 1, prior
 * N(0, 1)) vs a deep ensemble of 5 SGD runs, scored by test NLL, ECE and accuracy of the averaged
 * probabilities. Expected (spec sheet §4d, qualitative): the ensembles have lower NLL and ECE than
 * the single model, and the widest model's ensemble NLL is no worse than the narrow ones'.
 * To keep the run to ~4 CPU-minutes (8.5-15 minutes wall on 2 cores shared at load 6-12)
 * the models train on a random subset of the training set (5000 rows) for a few epochs; the test
 * set is the full 10000 rows. */
#include "xp.h"

#include <math.h>

typedef struct sgld_ens_cfg {
    int64_t train, test, seed;
} sgld_ens_cfg;

enum { N_WIDTH = 3 };
static const int widths[N_WIDTH] = {32, 256, 2048};

/* What one experiment size trains: epochs of the SGD runs, the SGLD chain's burn-in and
 * samples (one per epoch). */
typedef struct plan {
    int64_t n_train, n_test;
    int sgd_epochs, deep_m, burn_in, samples;
    double sgld_lr_n;     /* SGLD step on the mean-loss scale: lr * N */
    const char *sgd;
} plan;

typedef struct width_result {
    lf_ensemble_result deep, sgld;
    double seconds;
} width_result;

static lf_status run_width(lf_xp *xp, const plan *p, const sgld_ens_cfg *c, int width,
                           const lf_dataset *tr, const lf_dataset *te, width_result *out)
{
    char model[32], sgld[128], cycles[48];
    snprintf(model, sizeof model, "mlp:%d", width);
    snprintf(sgld, sizeof sgld, "sgld:lr=%.17g,temperature=1,prior_sigma=1,seed=%lld",
             p->sgld_lr_n / (double)p->n_train, (long long)c->seed);
    lf_train_opts o = lf_xp_opts(model, p->sgd, p->sgd_epochs, 64, 0);
    o.loss = "ce";
    o.seed = (uint64_t)c->seed;
    const double t0 = lf_now();
    lf_ensemble_opts deep = {.members = p->deep_m, .kind = LF_ENSEMBLE_DEEP, .thin = 1};
    lf_status s = lf_train_ensemble(&o, &deep, tr, te, &out->deep);
    if (s != LF_OK) return s;
    lf_xp_tick(xp, "width %d: deep ensemble", width);
    o.optim = sgld;
    o.epochs = p->burn_in + p->samples;
    /* cSGLD: one cosine cycle per epoch, sampled at its end where the step is smallest. */
    snprintf(cycles, sizeof cycles, "cyclical:cycles=%d", o.epochs);
    o.schedule = cycles;
    lf_ensemble_opts chain = {.members = p->samples, .kind = LF_ENSEMBLE_SGLD,
                              .burn_in = p->burn_in, .thin = 1};
    s = lf_train_ensemble(&o, &chain, tr, te, &out->sgld);
    out->seconds = lf_now() - t0;
    lf_xp_tick(xp, "width %d: SGLD ensemble", width);
    return s;
}

static void table(lf_xp *r, const width_result *w)
{
    lf_xp_table(r, "by_width",
                "| width | predictor | members | test acc | test NLL | ECE (15 bins) |");
    for (int i = 0; i < N_WIDTH; i++) {
        const struct {
            const char *name;
            const lf_calib *c;
            int m;
        } rows[] = {{"single SGD model", &w[i].deep.single, 1},
                    {"SGD runs on average", &w[i].deep.member_mean, 1},
                    {"**deep ensemble**", &w[i].deep.ensemble, w[i].deep.members},
                    {"SGLD, last sample", &w[i].sgld.single, 1},
                    {"SGLD samples on average", &w[i].sgld.member_mean, 1},
                    {"**SGLD ensemble**", &w[i].sgld.ensemble, w[i].sgld.members}};
        for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++)
            lf_xp_row(r, "| %d | %s | %d | %.2f%% | %.4f | %.4f |", widths[i], rows[k].name,
                      rows[k].m, 100 * rows[k].c->acc, rows[k].c->nll, rows[k].c->ece);
    }
}

/* The two claims, each for the deep then the SGLD ensemble: below the single SGD model in NLL and
 * in ECE at every width; the widest model's ensemble NLL no worse than each narrower one's. */
static void claims(lf_xp *r, const width_result *w)
{
    char lower[512], widest[400];
    int nl = 0, nw = 0;
    for (int k = 1; k >= 0; k--) {
        int nll = 0, ece = 0;
        double e[N_WIDTH];
        for (int i = 0; i < N_WIDTH; i++) {
            const lf_calib *c = k ? &w[i].deep.ensemble : &w[i].sgld.ensemble;
            nll += c->nll < w[i].deep.single.nll;
            ece += c->ece < w[i].deep.single.ece;
            e[i] = c->nll;
        }
        nl += snprintf(lower + nl, sizeof lower - (size_t)nl, "%s%s ensemble: %s (NLL lower at "
                       "%d of %d widths, ECE at %d of %d)", k ? "" : "; ", k ? "deep" : "SGLD",
                       nll == N_WIDTH && ece == N_WIDTH ? "reproduced"
                       : ece == N_WIDTH                 ? "reproduced for ECE, not for NLL"
                       : nll == N_WIDTH                 ? "reproduced for NLL, not for ECE"
                                                        : "not reproduced",
                       nll, N_WIDTH, ece, N_WIDTH);
        nw += snprintf(widest + nw, sizeof widest - (size_t)nw, "%s%s ensemble: %s (NLL %.4f / "
                       "%.4f / %.4f at width 32 / 256 / 2048)", k ? "" : "; ", k ? "deep" : "SGLD",
                       e[2] <= e[0] && e[2] <= e[1] ? "reproduced" : "not reproduced", e[0], e[1],
                       e[2]);
    }
    lf_xp_claim(r, "Ensembles have lower NLL and ECE than a single model", lower, "paper: yes");
    lf_xp_claim(r, "The widest model's ensemble NLL is no worse than the narrow ones'", widest,
                "paper: yes, the mixture does not suffer from size");
}

/* What the single SGLD samples say about the T = 1 posterior the ensemble averages over. */
static void note_samples(lf_xp *r, const width_result *w)
{
    int closes = 0;
    for (int i = 0; i < N_WIDTH; i++) closes += w[i].sgld.ensemble.nll <= w[i].deep.single.nll;
    lf_xp_line(r, "- Single SGLD samples (T = 1, prior N(0, 1)) score NLL %.3f / %.3f / %.3f "
                   "at width 32 / 256 / 2048 against %.3f / %.3f / %.3f for single SGD models: "
                   "with few examples per weight the posterior of the wide nets is broad; "
                   "averaging the samples %s. The \"cold posterior\" remedies "
                   "(T < 1, or a prior scaled by fan-in) were not run: the theory asks for T = 1.",
                   w[0].sgld.member_mean.nll, w[1].sgld.member_mean.nll,
                   w[2].sgld.member_mean.nll, w[0].deep.member_mean.nll,
                   w[1].deep.member_mean.nll, w[2].deep.member_mean.nll,
                   closes == N_WIDTH ? "closes the gap to the single SGD model at every width"
                                     : "closes only part of the gap to the single SGD model");
}

/* NLL (left) and accuracy (right) of the single model and the two ensembles against the width;
 * a colour per predictor in both panels. */
static lf_status plot(lf_xp *xp, const width_result *w)
{
    double x[N_WIDTH], y[6][N_WIDTH];
    for (int i = 0; i < N_WIDTH; i++) {
        x[i] = log2(widths[i]);
        const lf_calib *c[3] = {&w[i].deep.single, &w[i].sgld.ensemble, &w[i].deep.ensemble};
        for (int k = 0; k < 3; k++) {
            y[k][i] = c[k]->nll;
            y[3 + k][i] = 100 * c[k]->acc;
        }
    }
    static const char *const names[3] = {"single SGD model", "SGLD ensemble", "deep ensemble"};
    lf_series s[6];
    for (int k = 0; k < 6; k++)
        s[k] = (lf_series){.label = names[k % 3], .y = y[k], .panel = k / 3, .color = k % 3 + 1};
    const lf_plot p = {.title = "Fashion-MNIST MLP 784-h-10: test NLL and accuracy of one SGD "
                                "model, an SGLD ensemble and a deep ensemble against the width",
                       .xlabel = "log2(h), hidden width h",
                       .panel = {"test NLL", "test accuracy"},
                       .ylabel = {"NLL (nats)", "accuracy (%)"}};
    return lf_xp_plot(xp, "nll_vs_width.svg", &p, x, N_WIDTH, s, 6);
}

static void describe(lf_xp *r, const plan *p, const sgld_ens_cfg *c)
{
    lf_xp_line(r, "Claim (Feder, Urbanke & Fogel 2025, \"The Universality Lens\", via spec "
                   "sheet §4): a Bayesian mixture over a huge class learns well whatever its size; "
                   "an ensemble of SGLD posterior samples approximates that mixture. Expected: "
                   "ensembles have lower test NLL (and ECE) than a single model, and the widest "
                   "MLP's ensemble is no worse than the narrow ones'. The paper has no numeric "
                   "table; these are its qualitative predictions.");
    lf_xp_line(r, "%s", "");
    lf_xp_line(r, "Setup%s: Fashion-MNIST, %lld random training rows (of 60000; a subset so "
                   "the run takes minutes, not hours, on 2 cores), %lld test rows; MLP 784-h-10 (ReLU), "
                   "cross-entropy, batch 64, data seed %lld.", r->quick ? " (--quick)" : "",
                   (long long)p->n_train, (long long)p->n_test, (long long)c->seed);
    lf_xp_line(r, "- single SGD model and deep ensemble: `%s`, %d epochs; the deep ensemble "
                   "is %d such runs with seeds %lld..%lld, the single model is the first.",
                   p->sgd, p->sgd_epochs, p->deep_m, (long long)c->seed,
                   (long long)c->seed + p->deep_m - 1);
    lf_xp_line(r, "- SGLD ensemble: `sgld:lr=%.3g,temperature=1,prior_sigma=1,n_data=%lld` "
                   "(a peak step of %.3g on the mean loss; T = 1 is the true posterior, prior N(0, 1) "
                   "on every weight) with the cyclical schedule of cSG-MCMC (Zhang et al. 2020), "
                   "one cosine cycle per epoch (%lld steps): %d burn-in cycles, then one sample at "
                   "the end of each of %d cycles, where the step is smallest.",
                   p->sgld_lr_n / (double)p->n_train, (long long)p->n_train, p->sgld_lr_n,
                   (long long)((p->n_train + 63) / 64), p->burn_in, p->samples);
    lf_xp_line(r, "- Ensembles average the members' softmax probabilities. NLL = mean "
                   "-log p(label); ECE = sum over 15 equal-width confidence bins of "
                   "(bin share) x |accuracy - mean confidence|.");
}

static lf_status sgld_ensemble_run(const void *cfgp, lf_xp *xp)
{
    const sgld_ens_cfg *c = cfgp;
    const plan full = {.n_train = c->train, .n_test = c->test, .sgd_epochs = 4, .deep_m = 5,
                       .burn_in = 4, .samples = 12, .sgld_lr_n = 0.5,
                       .sgd = "sgd:lr=0.05,momentum=0.9"};
    const plan quick = {.n_train = 400, .n_test = 500, .sgd_epochs = 2, .deep_m = 3,
                        .burn_in = 1, .samples = 2, .sgld_lr_n = 0.5, .sgd = full.sgd};
    plan p = LF_XP_PICK(xp, full, quick);
    lf_dataset full_tr = {0}, full_te = {0}, tr = {0}, te = {0};
    lf_status s = lf_dataset_load("fashion-mnist", &full_tr, &full_te);
    if (s == LF_OK) s = lf_xp_subset(&full_tr, p.n_train, (uint64_t)c->seed, &tr);
    if (s == LF_OK) s = lf_xp_subset(&full_te, p.n_test, (uint64_t)c->seed + 1, &te);
    lf_dataset_release(&full_tr);
    lf_dataset_release(&full_te);
    p.n_train = tr.n;
    p.n_test = te.n;
    width_result w[N_WIDTH];
    lf_xp_progress(xp, 2 * N_WIDTH);
    for (int i = 0; i < N_WIDTH && s == LF_OK; i++)
        s = run_width(xp, &p, c, widths[i], &tr, &te, &w[i]);
    lf_dataset_release(&tr);
    lf_dataset_release(&te);
    if (s != LF_OK) return s;
    describe(xp, &p, c);
    lf_xp_section(xp, "Test accuracy, NLL and calibration by width");
    table(xp, w);
    lf_xp_section(xp, "Claims");
    claims(xp, w);
    note_samples(xp, w);
    lf_xp_line(xp, "%s", "");
    lf_xp_line(xp, "Training time (both ensembles) by width: 32: %.0f s, 256: %.0f s, 2048: %.0f "
                   "s wall. Plot: nll_vs_width.svg.", w[0].seconds, w[1].seconds, w[2].seconds);
    return plot(xp, w);
}

static const lf_param_desc sgld_ens_params[] = {
    LF_PARAM_INT("train", 5000, 100, 60000, "training rows (a random subset)", sgld_ens_cfg,
                 train),
    LF_PARAM_INT("test", 10000, 100, 10000, "test rows (a random subset)", sgld_ens_cfg, test),
    LF_XP_SEED(sgld_ens_cfg, seed, 1),
};

LF_XP_DEFINE(sgld_ensemble, "sgld-ensemble", "universality",
             "SGLD and deep ensembles vs one SGD model: test NLL/ECE across MLP widths",
             "sgld-ensemble: SGLD and deep ensembles vs a single model across MLP widths",
             sgld_ens_cfg, sgld_ens_params, sgld_ensemble_run);
