/* lossforge repro ms-recall: multi-similarity loss with its miner against contrastive and
 * batch-hard triplet losses on classes never seen in training (X. Wang, X. Han, W. Huang,
 * D. Dong, M. R. Scott, "Multi-Similarity Loss with General Pair Weighting for Deep Metric
 * Learning", CVPR 2019; spec sheet losses.md §6).
 *
 * Claim checked: the paper's ordering, MS (+ its miner) at least as good as contrastive and
 * triplet losses at Recall@1 on unseen classes. Setup (§6 d): Fashion-MNIST, an MLP whose 64
 * outputs are the embedding, trained on classes 0-4 of the training split with P×K batches
 * (5 classes × 8 rows), AdamW; evaluated on classes 5-9 of the test split (5000 images): every
 * image queries all the others by cosine similarity, Recall@1/2/4/8, mAP@R and the NMI of
 * k-means, mean ± sd over seeds. Each loss keeps pytorch-metric-learning's form and the usual
 * settings (MS: the official code's alpha 2, beta 40, lambda 0.5, miner eps 0.1 on cosine, and
 * the lambda = 1 quoted for the paper; contrastive: Euclidean on normalised embeddings, margins
 * 0 / 1; triplet: batch-hard, margin 0.2), with no tuning per loss. The untrained network is the
 * floor, and the test images of the seen classes 0-4 show whether the losses learn at all. Plot:
 * training loss (mean over each stretch, divided by the first) and Recall@1 on 1000 test images
 * against the step (ms_recall_curves.svg, first seed). */
#include "xp.h"

#include <math.h>
#include <stdio.h>

typedef struct msr_cfg {
    int64_t steps, seeds, dim, p, k;
    double lr;
    char model[LF_STR_MAX];
} msr_cfg;

typedef struct msr_loss {
    const char *label, *loss, *miner;
    int baseline; /* 1: a loss MS is compared against in the verdict */
} msr_loss;

/* Row 0 is the claim's MS: the official code's configuration (SCALE_POS 2, SCALE_NEG 40,
 * THRESH 0.5, MARGIN 0.1). Row 1 is the lambda = 1 often quoted for the paper. */
static const msr_loss losses[] = {
    {"MS + miner (official config)", "ms:alpha=2,beta=40,lambda=0.5", "ms-miner:eps=0.1", 0},
    {"MS + miner, λ = 1", "ms:alpha=2,beta=50,lambda=1", "ms-miner:eps=0.1", 0},
    {"contrastive", "contrastive:pos_margin=0,margin=1", NULL, 1},
    {"batch-hard triplet", "triplet:margin=0.2,mining=batch-hard", NULL, 1},
};
enum { NLOSS = sizeof losses / sizeof losses[0], NMETRIC = 6, MAX_SEEDS = 10, CURVE_PTS = 20 };
#define CURVE_ROWS 1000

/* Test rows of a class set and their labels. */
typedef struct msr_split {
    int64_t *rows, n;
    int32_t *y;
} msr_split;

/* The experiment's data: training images of classes 0-4; the test images of the unseen classes
 * 5-9 (the claim) and of the seen classes 0-4 (whether the losses learn at all). */
enum { UNSEEN, SEEN };
typedef struct msr_data {
    lf_dataset train, test;
    msr_split split[2];
} msr_data;

typedef struct msr_curve {
    const msr_data *data;
    int64_t dim;
    double first_loss;
    double loss[CURVE_PTS], r1[CURVE_PTS], step[CURVE_PTS]; /* r1 in % */
    int n;
    float *emb; /* CURVE_ROWS × dim */
} msr_curve;

/* Retrieval metrics of a model on the first n rows of a test split. */
static lf_status evaluate(lf_model *m, const lf_norm *norm, const msr_data *d, int split, int64_t n,
                          int64_t dim, float *emb, uint64_t seed, int nmi, lf_retrieval *r)
{
    const msr_split *sp = &d->split[split];
    lf_status s = lf_embed_rows(m, &d->test, sp->rows, n, norm, 512, emb);
    if (s == LF_OK) s = lf_retrieval_eval(emb, sp->y, n, dim, LF_METRIC_COSINE, nmi, seed, r);
    return s;
}

static lf_status on_step(void *user, lf_model *m, const lf_norm *norm, int64_t step, double loss)
{
    msr_curve *c = user;
    if (c->n == CURVE_PTS) return LF_OK;
    const int64_t n = c->data->split[UNSEEN].n < CURVE_ROWS ? c->data->split[UNSEEN].n : CURVE_ROWS;
    lf_retrieval r;
    lf_status s = evaluate(m, norm, c->data, UNSEEN, n, c->dim, c->emb, 1, 0, &r);
    if (s != LF_OK) return s;
    if (c->n == 0) c->first_loss = loss;
    c->step[c->n] = (double)step;
    c->loss[c->n] = loss / c->first_loss;
    c->r1[c->n++] = 100 * r.recall[0];
    return LF_OK;
}

static void metrics_of(const lf_retrieval *r, double *out)
{
    for (int k = 0; k < 4; k++) out[k] = r->recall[k];
    out[4] = r->map_at_r;
    out[5] = r->nmi;
}

/* Trains one loss with one seed and scores it on both test splits (metrics[split][...]). */
static lf_status run_one(const msr_cfg *c, const msr_data *d, int li, uint64_t seed,
                         int64_t steps, msr_curve *curve, float *emb, double (*metrics)[NMETRIC],
                         double *seconds)
{
    static const int32_t train_classes[5] = {0, 1, 2, 3, 4};
    char optim[64];
    snprintf(optim, sizeof optim, "adamw:lr=%.17g", c->lr);
    lf_embed_opts o;
    lf_embed_opts_default(&o);
    o.model = c->model;
    o.loss = losses[li].loss;
    o.miner = losses[li].miner;
    o.optim = optim;
    o.dim = c->dim;
    o.p = (int)c->p;
    o.k = (int)c->k;
    o.steps = steps;
    o.seed = seed;
    o.classes = train_classes;
    o.n_classes = 5;
    o.threads = 1;
    if (curve) {
        o.on_step = on_step;
        o.every = o.steps / CURVE_PTS > 0 ? o.steps / CURVE_PTS : 1;
        o.user = curve;
    }
    lf_embed_result res;
    lf_model *m = NULL;
    lf_norm norm = {0};
    lf_status s = lf_train_embedding(&o, &d->train, &res, &m, &norm);
    for (int sp = 0; sp < 2 && s == LF_OK; sp++) {
        lf_retrieval r;
        s = evaluate(m, &norm, d, sp, d->split[sp].n, c->dim, emb, seed, 1, &r);
        if (s == LF_OK) metrics_of(&r, metrics[sp]);
    }
    if (s == LF_OK) *seconds = res.seconds;
    lf_model_free(m);
    lf_norm_release(&norm);
    return s;
}

/* The untrained network (seed 1), standardised as training would. */
static lf_status floor_metrics(const msr_cfg *c, const msr_data *d, float *emb,
                               double (*metrics)[NMETRIC])
{
    lf_model *m = NULL;
    float mean, std;
    lf_norm norm;
    lf_status s = lf_norm_alloc(&norm, d->train.d);
    if (s == LF_OK) s = lf_model_create(c->model, d->train.ndim, d->train.shape, c->dim, 1, &m);
    if (s == LF_OK) {
        lf_dataset_scalar_moments(&d->train, &mean, &std);
        for (int64_t j = 0; j < d->train.d; j++) {
            norm.mean[j] = mean;
            norm.std[j] = std;
        }
        for (int sp = 0; sp < 2 && s == LF_OK; sp++) {
            lf_retrieval r;
            s = evaluate(m, &norm, d, sp, d->split[sp].n, c->dim, emb, 1, 1, &r);
            if (s == LF_OK) metrics_of(&r, metrics[sp]);
        }
    }
    lf_model_free(m);
    lf_norm_release(&norm);
    return s;
}

/* Test rows of classes[0..5) (at most `most`) and their labels. */
static lf_status load_split(const lf_dataset *test, const int32_t *classes, int64_t most,
                            msr_split *sp)
{
    lf_status s = lf_rows_of_classes(test->y, test->n, classes, 5, &sp->rows, &sp->n);
    if (s == LF_OK && sp->n > most) sp->n = most;
    sp->y = s == LF_OK ? malloc((size_t)sp->n * sizeof *sp->y) : NULL;
    if (s == LF_OK && !sp->y) s = lf_error(LF_ENOMEM, "ms-recall: out of memory");
    for (int64_t i = 0; s == LF_OK && i < sp->n; i++) sp->y[i] = test->y[sp->rows[i]];
    return s;
}

static lf_status load_data(int64_t test_rows, msr_data *d)
{
    static const int32_t test_classes[5] = {5, 6, 7, 8, 9}, train_classes[5] = {0, 1, 2, 3, 4};
    lf_dataset train, test;
    lf_status s = lf_dataset_load("fashion-mnist", &train, &test);
    if (s != LF_OK) return s;
    int64_t *rows = NULL, m = 0;
    /* the training set keeps only classes 0-4, so nothing of 5-9 is ever standardised with */
    s = lf_rows_of_classes(train.y, train.n, train_classes, 5, &rows, &m);
    if (s == LF_OK) s = lf_dataset_subset(&train, rows, m, &d->train);
    free(rows);
    lf_dataset_release(&train);
    d->test = test;
    if (s == LF_OK) s = load_split(&test, test_classes, test_rows, &d->split[UNSEEN]);
    if (s == LF_OK) s = load_split(&test, train_classes, test_rows, &d->split[SEEN]);
    return s;
}

static void release_data(msr_data *d)
{
    lf_dataset_release(&d->train);
    lf_dataset_release(&d->test);
    for (int sp = 0; sp < 2; sp++) {
        free(d->split[sp].rows);
        free(d->split[sp].y);
    }
}

typedef struct msr_results {
    int seeds;
    int64_t steps;
    double m[NLOSS][MAX_SEEDS][2][NMETRIC]; /* [loss][seed][split][metric], fractions */
    double seconds[NLOSS][MAX_SEEDS];
    double floor[2][NMETRIC];
    msr_curve curve[NLOSS];
} msr_results;

/* 100 × metric k of loss li on a split, one value per seed, into x (scaled before the mean, as
 * the numbers were always computed). */
static int in_percent(const msr_results *r, int li, int split, int k, double *x)
{
    for (int s = 0; s < r->seeds; s++) x[s] = 100 * r->m[li][s][split][k];
    return r->seeds;
}

static void stat(const msr_results *r, int li, int split, int k, double *mean, double *sd)
{
    double x[MAX_SEEDS];
    lf_xp_mean_sd(x, in_percent(r, li, split, k, x), 1, mean, sd);
}

/* Retrieval metrics in % (mean ± sd over seeds) per loss, then the untrained network; the
 * unseen split also shows the training time per run. */
static void report_table(lf_xp *xp, const msr_results *r, int split)
{
    const int unseen = split == UNSEEN;
    lf_xp_table(xp, unseen ? "unseen" : "seen", "| loss | R@1 | R@2 | R@4 | R@8 | mAP@R | NMI |%s",
                unseen ? " train s/run |" : "");
    for (int li = 0; li < NLOSS; li++) {
        char row[512], pm[64];
        int len = snprintf(row, sizeof row, "| %s |", losses[li].label);
        for (int k = 0; k < NMETRIC; k++) {
            double x[MAX_SEEDS];
            lf_xp_pm(pm, sizeof pm, x, in_percent(r, li, split, k, x), 1, 1, 1);
            len += snprintf(row + len, sizeof row - (size_t)len, " %s |", pm);
        }
        double secs, sd;
        lf_xp_mean_sd(r->seconds[li], r->seeds, 1, &secs, &sd);
        if (unseen) lf_xp_row(xp, "%s %.0f |", row, secs);
        else lf_xp_row(xp, "%s", row);
    }
    char row[512];
    int len = snprintf(row, sizeof row, "| untrained network |");
    for (int k = 0; k < NMETRIC; k++)
        len += snprintf(row + len, sizeof row - (size_t)len, " %.1f |", 100 * r->floor[split][k]);
    lf_xp_row(xp, "%s%s", row, unseen ? " – |" : "");
}

/* R@1 of the first seed at five points of training, from the curves. */
static void report_curve(lf_xp *xp, const msr_results *r)
{
    const msr_curve *c0 = &r->curve[0];
    const int n = c0->n;
    if (n < 5) return;
    const int at[5] = {0, (n - 1) / 4, (n - 1) / 2, 3 * (n - 1) / 4, n - 1};
    lf_xp_table(xp, "recall_curve", "| R@1 on 1000 test images, seed 1, after step | %.0f | %.0f "
                "| %.0f | %.0f | %.0f |", c0->step[at[0]], c0->step[at[1]], c0->step[at[2]],
                c0->step[at[3]], c0->step[at[4]]);
    for (int li = 0; li < NLOSS; li++) {
        const double *y = r->curve[li].r1;
        if (r->curve[li].n >= n)
            lf_xp_row(xp, "| %s | %.1f | %.1f | %.1f | %.1f | %.1f |", losses[li].label, y[at[0]],
                      y[at[1]], y[at[2]], y[at[3]], y[at[4]]);
    }
}

/* Verdict on R@1 of the unseen classes: row 0's mean against each baseline's mean, with the
 * seeds' spread; then what the untrained network and the seen classes say. */
static void report_verdict(lf_xp *xp, const msr_results *r)
{
    double mean[NLOSS], sd[NLOSS], map[NLOSS], sdv, seen_r1, seen_map;
    int best = 1, wins = 0, beat_r1 = 0, beat_map = 0, len = 0;
    char others[512];
    for (int li = 0; li < NLOSS; li++) {
        stat(r, li, UNSEEN, 0, &mean[li], &sd[li]);
        stat(r, li, UNSEEN, 4, &map[li], &sdv);
        /* how many trained losses beat the untrained network on the unseen classes */
        beat_r1 += mean[li] > 100 * r->floor[UNSEEN][0];
        beat_map += map[li] > 100 * r->floor[UNSEEN][4];
        if (!losses[li].baseline) continue;
        best &= mean[0] >= mean[li];
        len += snprintf(others + len, sizeof others - (size_t)len, "%s %s %.1f ± %.1f",
                        len ? "," : "", losses[li].label, mean[li], sd[li]);
    }
    for (int s = 0; s < r->seeds; s++) {
        int first = 1;
        for (int li = 0; li < NLOSS; li++)
            if (losses[li].baseline) first &= r->m[0][s][UNSEEN][0] >= r->m[li][s][UNSEEN][0];
        wins += first;
    }
    stat(r, 0, SEEN, 0, &seen_r1, &sdv);
    stat(r, 0, SEEN, 4, &seen_map, &sdv);
    lf_xp_line(xp, "**%s** — R@1 on the unseen classes: %s %.1f ± %.1f against%s "
               "(mean ± sd over %d seed(s); MS first in %d of %d). The untrained network scores "
               "R@1 %.1f and mAP@R %.1f there; %d of the %d trained losses beat it at R@1 and %d "
               "at mAP@R. On the seen classes 0-4 MS reaches R@1 %.1f and mAP@R %.1f against "
               "%.1f and %.1f untrained: the losses learn%s. With λ = 1 MS reaches %.1f ± %.1f: "
               "the negative term exp(β(S − 1)) then hardly acts below S ≈ 0.9. The paper's "
               "claim is the ordering at R@1; its absolute numbers are for CUB/Cars/SOP with an "
               "ImageNet-pretrained BN-Inception and are not comparable.",
               best ? "reproduced (the ordering)" : "not reproduced", losses[0].label, mean[0],
               sd[0], others, r->seeds, wins, r->seeds, 100 * r->floor[UNSEEN][0],
               100 * r->floor[UNSEEN][4], beat_r1, NLOSS, beat_map, seen_r1, seen_map,
               100 * r->floor[SEEN][0], 100 * r->floor[SEEN][4],
               beat_r1 ? "" : ", but from 5 training classes little of it carries over to new "
                              "ones", mean[1], sd[1]);
}

/* Training loss (relative to the first) and R@1 (%) against the step: MS and the baselines. */
static lf_status write_plot(lf_xp *xp, const msr_results *r)
{
    int n = r->curve[0].n;
    for (int li = 1; li < NLOSS; li++) n = r->curve[li].n < n ? r->curve[li].n : n;
    if (n < 2) return LF_OK;
    lf_series s[2 * NLOSS]; /* the plot takes 6: the verdict's losses, loss and R@1 each */
    int ns = 0;
    for (int li = 0; li < NLOSS; li++)
        if (li == 0 || losses[li].baseline) {
            s[ns++] = (lf_series){losses[li].label, r->curve[li].loss, 0, li + 1};
            s[ns++] = (lf_series){losses[li].label, r->curve[li].r1, 1, li + 1};
        }
    const lf_plot p = {.title = "ms-recall: training loss and test Recall@1 (1000 images of the "
                                "unseen classes 5-9), seed 1",
                       .xlabel = "step",
                       .panel = {"training loss / first", "Recall@1, classes 5-9"},
                       .ylabel = {"loss / first loss", "Recall@1 (%)"}};
    return lf_xp_plot(xp, "ms_recall_curves.svg", &p, r->curve[0].step, n, s, ns);
}

/* The floor, then every loss with every seed (the first seed also records the curves). */
static lf_status run_all(lf_xp *xp, const msr_cfg *c, const msr_data *d, msr_results *r,
                         float *emb)
{
    lf_xp_progress(xp, 1 + NLOSS * r->seeds);
    lf_status s = floor_metrics(c, d, emb, r->floor);
    lf_xp_tick(xp, "untrained network");
    for (int li = 0; li < NLOSS && s == LF_OK; li++)
        for (int sd = 0; sd < r->seeds && s == LF_OK; sd++) {
            msr_curve *curve = sd == 0 ? &r->curve[li] : NULL;
            if (curve) *curve = (msr_curve){.data = d, .dim = c->dim, .emb = emb};
            s = run_one(c, d, li, (uint64_t)sd + 1, r->steps, curve, emb, r->m[li][sd],
                        &r->seconds[li][sd]);
            lf_xp_tick(xp, "%s, seed %d", losses[li].label, sd + 1);
        }
    return s;
}

static void report(lf_xp *xp, const msr_cfg *c, const msr_data *d, const msr_results *r)
{
    lf_xp_line(xp, "Paper: Wang et al., *Multi-Similarity Loss with General Pair Weighting for "
               "Deep Metric Learning*, CVPR 2019. Claim: MS (with its pair mining) retrieves at "
               "least as well as contrastive and triplet losses at Recall@1 (paper, CUB-200, "
               "BN-Inception 512-d: MS R@1/2/4/8 = 65.7/77.0/86.3/91.2).");
    lf_xp_line(xp, "%s", "");
    lf_xp_line(xp, "Setup: Fashion-MNIST; `%s` embedding net with %lld outputs, trained on the "
               "%lld training images of classes 0-4 with %lld×%lld P×K batches, AdamW lr %g, "
               "%lld steps, one thread (batches of %lld rows gain nothing from a second); test: "
               "the %lld test images of classes 5-9, each querying all others by cosine "
               "similarity; NMI of k-means (k = 5). Numbers in %% as mean ± sd over %d seed(s)%s.",
               c->model, (long long)c->dim, (long long)d->train.n, (long long)c->p,
               (long long)c->k, c->lr, (long long)r->steps, (long long)(c->p * c->k),
               (long long)d->split[UNSEEN].n, r->seeds,
               xp->quick ? " (--quick: a tenth of the steps, 2000 test images)" : "");
    lf_xp_section(xp, "Unseen classes 5-9 (the claim)");
    report_table(xp, r, UNSEEN);
    lf_xp_section(xp, "Seen classes 0-4");
    lf_xp_line(xp, "The same models on the %lld test images of the training classes 0-4 (not "
               "the claim):", (long long)d->split[SEEN].n);
    lf_xp_line(xp, "%s", "");
    report_table(xp, r, SEEN);
    lf_xp_section(xp, "Verdict");
    report_verdict(xp, r);
    lf_xp_section(xp, "Along training");
    report_curve(xp, r);
    lf_xp_line(xp, "%s", "");
    for (int li = 0; li < NLOSS; li++)
        lf_xp_line(xp, "- %s: `%s`%s%s%s", losses[li].label, losses[li].loss,
                   losses[li].miner ? " with `" : "", losses[li].miner ? losses[li].miner : "",
                   losses[li].miner ? "`" : "");
    lf_xp_line(xp, "%s", "");
    lf_xp_line(xp, "Curves: `ms_recall_curves.svg` (training loss over its first value, and R@1 "
               "on 1000 test images of classes 5-9, against the step; seed 1).");
}

static lf_status msr_run(const void *cfg, lf_xp *xp)
{
    const msr_cfg *c = cfg;
    msr_data d = {0};
    msr_results *r = calloc(1, sizeof *r); /* large: the heap, not the stack or a static */
    lf_status s = r ? load_data(LF_XP_PICK(xp, INT64_MAX, 2000), &d)
                    : lf_error(LF_ENOMEM, "ms-recall: out of memory");
    const int64_t most = d.split[UNSEEN].n > d.split[SEEN].n ? d.split[UNSEEN].n : d.split[SEEN].n;
    float *emb = s == LF_OK ? malloc((size_t)(most * c->dim) * sizeof *emb) : NULL;
    if (s == LF_OK && !emb) s = lf_error(LF_ENOMEM, "ms-recall: out of memory");
    if (s == LF_OK) {
        r->seeds = (int)LF_XP_PICK(xp, c->seeds, 1);
        r->steps = LF_XP_PICK(xp, c->steps, c->steps / 10);
        s = run_all(xp, c, &d, r, emb);
    }
    if (s == LF_OK) report(xp, c, &d, r);
    if (s == LF_OK) s = write_plot(xp, r);
    free(emb);
    free(r);
    release_data(&d);
    return s;
}

static const lf_xp_vt msr_vt = {
    .title = "ms-recall: multi-similarity loss vs contrastive and triplet on unseen "
             "Fashion-MNIST classes",
    .run = msr_run,
};

static const lf_param_desc msr_params[] = {
    LF_PARAM_INT("steps", 3000, 10, 1e7, "training steps per run (--quick: a tenth)", msr_cfg,
                 steps),
    LF_XP_SEEDS(msr_cfg, seeds, 3, MAX_SEEDS),
    LF_PARAM_INT("dim", 64, 2, 4096, "embedding dimension", msr_cfg, dim),
    LF_PARAM_INT("p", 5, 2, 5, "classes per batch (of the 5 training classes)", msr_cfg, p),
    LF_PARAM_INT("k", 8, 2, 1024, "images per class in a batch", msr_cfg, k),
    LF_PARAM_FLOAT("lr", 1e-3, 0, 1, LF_OPEN_MIN, "AdamW learning rate", msr_cfg, lr),
    LF_XP_MODEL(msr_cfg, model, "mlp:256"),
};

const lf_desc lf_xp_ms_recall = {
    .kind = LF_KIND_REPRO,
    .name = "ms-recall",
    .doc = "MS + miner vs contrastive vs batch-hard triplet: Recall@K on unseen Fashion-MNIST "
           "classes",
    .paper = "ms",
    .params = msr_params,
    .nparams = LF_NPARAMS(msr_params),
    .cfg_size = sizeof(msr_cfg),
    .impl = &msr_vt,
};
