/* lossforge repro fewshot: ProtoNet with and without the SuSana distance losses on classes never
 * seen in meta-training (Mendez-Ruiz et al., "SuSana Distancia is all you need", 2023; spec
 * sheet losses.md §4; claim and setup (§4 d) in the report). The episode loss with an extra term
 * is (CE + extra) / 2, the authors' total for one extra loss (src/loss/fewshot.c). Every loss is
 * tested on the same episodes (one evaluation seed), so gains are paired differences per episode.
 *
 * With 5 meta-training classes the embedding overfits them fast and transfers worse than the
 * untrained network (a random projection of the pixels), which the report shows as a floor; so
 * the claim is checked at two budgets, a short one (before most of that loss) and a long one,
 * and the curves (first seed, long budget) show held-out accuracy along meta-training. */
#include "xp.h"

#include <math.h>
#include <stdio.h>

typedef struct fs_cfg {
    int64_t steps, short_steps, seeds, episodes, dim, query;
    double lr;
    char model[LF_STR_MAX];
} fs_cfg;

static const struct {
    const char *label, *loss;
} losses[] = {
    {"ProtoNet (CE)", "protonet"},
    {"CE + Proto-Triplet", "proto-triplet:margin=0.5,ce=1"},
    {"CE + ICNN (full)", "icnn:k=4,variant=full,ce=1"},
};
enum { NLOSS = 3, NSHOT = 2, NBUDGET = 2, WAY = 5, MAX_SEEDS = 5, CURVE_PTS = 10,
       PROBE_ROWS = 2000 };
enum { SHORT, LONG };
static const int shots[NSHOT] = {1, 5};
#define EVAL_SEED 777

typedef struct fs_data {
    lf_dataset train, test;
    lf_dataset probe; /* the first PROBE_ROWS test images, for the curves */
} fs_data;

typedef struct fs_results {
    int seeds;
    int64_t episodes, n, steps[NBUDGET]; /* n: episodes over all seeds */
    lf_xp_grid acc;                       /* [loss][budget × shot][seed × episode] accuracies */
    double seconds[NBUDGET][NLOSS][NSHOT];
    double *diff;                         /* n values of scratch */
    lf_xp_curve curve[NLOSS][NSHOT];      /* first seed, long budget: held-out accuracy (%) */
    lf_fewshot_result floor[NSHOT];       /* the untrained network of seed 1 */
} fs_results;

static const int32_t train_classes[5] = {0, 1, 2, 3, 4}, test_classes[5] = {5, 6, 7, 8, 9};

/* The episode accuracies of loss li at budget b and shot si, seed after seed. */
static double *acc_of(const fs_results *r, int b, int li, int si)
{
    return &LF_XP_AT(&r->acc, li, b * NSHOT + si, 0);
}

/* One meta-training run: loss li, shot si, `steps` episodes (0: the untrained network), seed. */
typedef struct fs_job {
    const fs_cfg *c;
    const fs_data *d;
    int li, si;
    int64_t steps;
    uint64_t seed;
} fs_job;

/* Accuracy of m on `episodes` episodes of the held-out classes of ds at the job's shot. */
static lf_status test(const fs_job *j, lf_model *m, const lf_norm *norm, const lf_dataset *ds,
                      int64_t episodes, lf_fewshot_result *out, double *acc)
{
    return lf_fewshot_eval(m, norm, ds, test_classes, 5, WAY, shots[j->si], (int)j->c->query,
                           episodes, EVAL_SEED, out, acc);
}

/* The curves' score: held-out accuracy (%) on 100 episodes of the probe images. */
static lf_status probe(const void *job, lf_model *m, const lf_norm *norm, double *acc)
{
    lf_fewshot_result r = {0};
    const lf_status s = test(job, m, norm, &((const fs_job *)job)->d->probe, 100, &r, NULL);
    *acc = 100 * r.mean;
    return s;
}

/* Meta-trains a job (recording curve unless NULL), tests it on `episodes` held-out episodes
 * (acc: each one's accuracy, out: their mean) and adds its training time to *seconds (may be
 * NULL). */
static lf_status run_one(const fs_job *j, lf_xp_curve *curve, int64_t episodes, double *acc,
                         lf_fewshot_result *out, double *seconds)
{
    char optim[64];
    snprintf(optim, sizeof optim, "adamw:lr=%.17g", j->c->lr);
    lf_embed_opts o = {.model = j->c->model, .loss = losses[j->li].loss, .optim = optim,
                       .dim = j->c->dim, .way = WAY, .shot = shots[j->si],
                       .query = (int)j->c->query, .steps = j->steps, .seed = j->seed,
                       .classes = train_classes, .n_classes = 5, .threads = 1};
    if (curve) *curve = (lf_xp_curve){.score = probe, .ctx = j, .points = CURVE_PTS};
    lf_model *m = NULL;
    lf_norm norm = {0};
    double secs;
    lf_status s = lf_xp_embed(&o, &j->d->train, curve, &m, &norm, &secs);
    if (s == LF_OK) s = test(j, m, &norm, &j->d->test, episodes, out, acc);
    if (s == LF_OK && seconds) *seconds += secs;
    lf_model_free(m);
    lf_norm_release(&norm);
    return s;
}

/* Every loss, shot, budget and seed (the first seed of the long budget records the curves),
 * then the untrained network of seed 1 at each shot. */
static lf_status run_all(lf_xp *xp, const fs_cfg *c, const fs_data *d, fs_results *r)
{
    lf_xp_progress(xp, NBUDGET * NLOSS * NSHOT * r->seeds);
    lf_fewshot_result res;
    lf_status s = lf_xp_grid_init(&r->acc, NLOSS, NBUDGET * NSHOT, (int)r->n);
    for (int b = 0; b < NBUDGET; b++)
        for (int li = 0; li < NLOSS; li++)
            for (int si = 0; si < NSHOT; si++)
                for (int sd = 0; sd < r->seeds && s == LF_OK; sd++) {
                    const fs_job j = {c, d, li, si, r->steps[b], (uint64_t)sd + 1};
                    s = run_one(&j, sd == 0 && b == LONG ? &r->curve[li][si] : NULL,
                                r->episodes, acc_of(r, b, li, si) + sd * r->episodes, &res,
                                &r->seconds[b][li][si]);
                    lf_xp_tick(xp, "%s, %d-shot, %lld steps, seed %d", losses[li].label,
                               shots[si], (long long)j.steps, sd + 1);
                }
    for (int si = 0; si < NSHOT && s == LF_OK; si++) {
        const fs_job j = {c, d, 0, si, 0, 1};
        s = run_one(&j, NULL, r->episodes, NULL, &r->floor[si], NULL);
    }
    return s;
}

/* Mean ± 95% CI (in %) of loss li at shot si and budget b, or of its gain over row 0 (paired
 * per episode). A CI over episodes, not an sd over seeds: lf_mean_ci95, not lf_xp_pm. */
static double stat(const fs_results *r, int b, int li, int si, int gain, double *ci)
{
    const double *a = acc_of(r, b, li, si), *ce = acc_of(r, b, 0, si);
    double mean;
    for (int64_t i = 0; i < r->n; i++) r->diff[i] = 100 * (a[i] - (gain ? ce[i] : 0));
    lf_mean_ci95(r->diff, r->n, &mean, NULL, ci);
    return mean;
}

static void report_table(lf_xp *xp, const fs_results *r)
{
    lf_xp_table(xp, "accuracy", "| loss | steps | 5-way 1-shot | 5-way 5-shot | gain over CE, "
                "1-shot | gain over CE, 5-shot | train s/run (1 / 5-shot) |");
    double ci;
    for (int b = 0; b < NBUDGET; b++)
        for (int li = 0; li < NLOSS; li++) {
            lf_xp_cell(xp, "%s", losses[li].label);
            lf_xp_cell(xp, "%lld", (long long)r->steps[b]);
            for (int k = 0; k < 2 * NSHOT; k++) { /* accuracy at each shot, then the gain */
                const int gain = k >= NSHOT;
                const double m = stat(r, b, li, k % NSHOT, gain, &ci);
                if (gain && !li) lf_xp_cell(xp, "–");
                else lf_xp_cell(xp, gain ? "%+.2f ± %.2f" : "%.2f ± %.2f", m, ci);
            }
            lf_xp_cell(xp, "%.0f / %.0f", r->seconds[b][li][0] / r->seeds,
                       r->seconds[b][li][1] / r->seeds);
            lf_xp_end_row(xp);
        }
    lf_xp_row(xp, "| untrained network (seed 1) | 0 | %.2f ± %.2f | %.2f ± %.2f | – | – | – |",
              100 * r->floor[0].mean, 100 * r->floor[0].ci95, 100 * r->floor[1].mean,
              100 * r->floor[1].ci95);
}

/* The claim at budget b, per extra loss: (a) a gain at 1-shot beyond its 95% CI, (b) a 1-shot
 * gain above the 5-shot one beyond the CI of the difference (the two come from different
 * models, so their CIs add in quadrature). reproduced: (a) and (b) for every extra loss;
 * partly: (a) for some loss; a gain at 5-shot alone is the opposite pattern. */
static void budget_verdict(lf_xp *xp, const fs_results *r, int b)
{
    int gains = 0, larger = 0, five = 0; /* larger implies a gain */
    lf_sbuf detail = {0};
    for (int li = 1; li < NLOSS; li++) {
        double g[NSHOT], ci[NSHOT];
        for (int si = 0; si < NSHOT; si++) g[si] = stat(r, b, li, si, 1, &ci[si]);
        const int a = g[0] - ci[0] > 0, l = a && g[0] - g[1] > sqrt(ci[0] * ci[0] + ci[1] * ci[1]);
        gains += a;
        larger += l;
        five += g[1] - ci[1] > 0;
        lf_sbuf_printf(&detail, "%s%s %+.2f / %+.2f", li > 1 ? ", " : "", losses[li].label, g[0],
                       g[1]);
    }
    const int all = NLOSS - 1;
    char claim[64];
    snprintf(claim, sizeof claim, "%lld steps", (long long)r->steps[b]);
    lf_xp_claim(xp, claim, larger == all ? "reproduced" : gains ? "partly reproduced"
                : "not reproduced", "gains at 1 / 5-shot: %s; a significant 1-shot gain for %d "
                "of %d extra losses, larger than at 5-shot (beyond the CI of the difference) for "
                "%d; a significant 5-shot gain for %d", detail.p ? detail.p : "", gains, all,
                larger, five);
    lf_sbuf_free(&detail);
}

static void report_verdict(lf_xp *xp, const fs_results *r)
{
    double best[NSHOT] = {0}, ci;
    for (int b = 0; b < NBUDGET; b++)
        for (int li = 0; li < NLOSS; li++)
            for (int si = 0; si < NSHOT; si++)
                best[si] = fmax(best[si], stat(r, b, li, si, 0, &ci));
    lf_xp_line(xp, "On \"gains over ProtoNet, largest at 1-shot\", per budget:");
    lf_xp_line(xp, "%s", "");
    for (int b = 0; b < NBUDGET; b++) budget_verdict(xp, r, b);
    lf_xp_line(xp, "%s", "");
    const double f1 = 100 * r->floor[0].mean, f5 = 100 * r->floor[1].mean;
    lf_xp_line(xp, "The untrained network (%.1f / %.1f%%) %s the best trained one (%.1f / %.1f%% "
               "at 1 / 5-shot): meta-training on 5 classes transfers badly to 5 others, and the "
               "curves show held-out accuracy along training. The paper reports gains of about "
               "1-2 points on miniImageNet (64 meta-training classes, ResNet-12), largest at "
               "1-shot; with a small MLP and 5 classes only the direction is comparable.", f1, f5,
               f1 > best[0] && f5 > best[1] ? "beats" : f1 < best[0] && f5 < best[1]
                                                        ? "is below" : "is level with",
               best[0], best[1]);
}

/* Fashion-MNIST, and the first PROBE_ROWS test images as the curves' probe (a fixed head of
 * the test split, not lf_xp_subset's random rows, which would change the curves). */
static lf_status load_data(fs_data *d)
{
    lf_status s = lf_dataset_load("fashion-mnist", &d->train, &d->test);
    if (s == LF_OK && (d->train.n_classes != 10 || d->test.n < PROBE_ROWS))
        s = lf_error(LF_EINVAL, "fewshot: fashion-mnist should have 10 classes and a test split");
    return s == LF_OK ? lf_xp_head(&d->test, PROBE_ROWS, &d->probe) : s;
}

/* Per shot: episode loss and held-out accuracy (%) against the step, first seed. */
static lf_status write_plot(lf_xp *xp, const fs_results *r, int si)
{
    int n = CURVE_PTS;
    lf_series s[2 * NLOSS];
    for (int li = 0; li < NLOSS; li++) {
        const lf_xp_curve *c = &r->curve[li][si];
        n = c->n < n ? c->n : n;
        s[2 * li] = (lf_series){losses[li].label, c->loss, 0, li + 1};
        s[2 * li + 1] = (lf_series){losses[li].label, c->value, 1, li + 1};
    }
    if (n < 1) return LF_OK;
    char name[64], title[160];
    snprintf(name, sizeof name, "fewshot_%dshot.svg", shots[si]);
    snprintf(title, sizeof title, "fewshot, 5-way %d-shot, seed 1: episode loss and held-out "
             "accuracy (100 episodes of classes 5-9) by step", shots[si]);
    const lf_plot p = {.title = title, .xlabel = "step",
                       .panel = {"episode loss", "held-out accuracy, classes 5-9"},
                       .ylabel = {"loss", "accuracy (%)"}};
    return lf_xp_plot(xp, name, &p, r->curve[0][si].step, n, s, 2 * NLOSS);
}

static void report(lf_xp *xp, const fs_cfg *c, const fs_results *r)
{
    lf_xp_line(xp, "Paper: Mendez-Ruiz et al., *SuSana Distancia is all you need: Enforcing class "
               "separability in metric learning via two novel distance-based loss functions for "
               "few-shot image classification*, 2023 (arXiv 2305.09062). Claim: Proto-Triplet and "
               "ICNN added to ProtoNet raise few-shot accuracy, most at 1-shot.");
    lf_xp_line(xp, "%s", "");
    lf_xp_line(xp, "Setup: Fashion-MNIST; `%s` embedding with %lld outputs, meta-trained on 5-way "
               "K-shot episodes (15 queries per class) of classes 0-4 of the training split, AdamW "
               "lr %g, %lld or %lld steps, K = the tested shot, one thread; tested on %lld 5-way "
               "episodes (15 queries per class) of classes 5-9 of the test split, the same "
               "episodes for every loss; %d seed(s)%s. Accuracy in %% as mean ± 95%% CI (1.96 sd "
               "/ sqrt(n), n = %lld episodes over all seeds); gains are per-episode paired "
               "differences.", c->model, (long long)c->dim, c->lr, (long long)r->steps[SHORT],
               (long long)r->steps[LONG], (long long)r->episodes, r->seeds,
               xp->quick ? " (--quick: a tenth of the steps, 100 episodes)" : "", (long long)r->n);
    lf_xp_section(xp, "Accuracy on the held-out classes 5-9");
    report_table(xp, r);
    lf_xp_section(xp, "Verdict");
    report_verdict(xp, r);
    lf_xp_line(xp, "%s", "");
    for (int li = 0; li < NLOSS; li++)
        lf_xp_line(xp, "- %s: `%s`", losses[li].label, losses[li].loss);
    lf_xp_line(xp, "%s", "");
    lf_xp_line(xp, "Curves (first seed, %lld steps): `fewshot_1shot.svg`, `fewshot_5shot.svg`.",
               (long long)r->steps[LONG]);
}

static lf_status fs_run(const void *cfg, lf_xp *xp)
{
    const fs_cfg *c = cfg;
    fs_data d = {0};
    fs_results r = {.seeds = (int)LF_XP_PICK(xp, c->seeds, 1),
                    .episodes = LF_XP_PICK(xp, c->episodes, 100),
                    .steps = {LF_XP_PICK(xp, c->short_steps, c->short_steps / 10),
                              LF_XP_PICK(xp, c->steps, c->steps / 10)}};
    r.n = r.seeds * r.episodes;
    r.diff = malloc((size_t)r.n * sizeof *r.diff);
    lf_status s = r.diff ? load_data(&d) : lf_error(LF_ENOMEM, "fewshot: out of memory");
    if (s == LF_OK) s = run_all(xp, c, &d, &r);
    if (s == LF_OK) report(xp, c, &r);
    for (int si = 0; si < NSHOT && s == LF_OK; si++) s = write_plot(xp, &r, si);
    lf_xp_grid_free(&r.acc);
    free(r.diff);
    lf_dataset_release(&d.train);
    lf_dataset_release(&d.test);
    lf_dataset_release(&d.probe);
    return s;
}

static const lf_param_desc fs_params[] = {
    LF_PARAM_INT("steps", 1000, 10, 1e7, "meta-training episodes per run (--quick: a tenth)",
                 fs_cfg, steps),
    LF_PARAM_INT("short_steps", 200, 10, 1e7, "the short budget (--quick: a tenth)", fs_cfg,
                 short_steps),
    LF_XP_SEEDS(fs_cfg, seeds, 3, MAX_SEEDS),
    LF_PARAM_INT("episodes", 600, 10, 1e6, "test episodes per run (--quick: 100)", fs_cfg,
                 episodes),
    LF_PARAM_INT("dim", 64, 2, 4096, "embedding dimension (the model's outputs)", fs_cfg, dim),
    LF_PARAM_INT("query", 15, 1, 100, "queries per class in an episode", fs_cfg, query),
    LF_PARAM_FLOAT("lr", 1e-3, 0, 1, LF_OPEN_MIN, "AdamW learning rate", fs_cfg, lr),
    LF_XP_MODEL(fs_cfg, model, "mlp:256"),
};

LF_XP_DEFINE(fewshot, "fewshot", "susana",
             "ProtoNet CE vs CE + Proto-Triplet vs CE + ICNN: 5-way 1/5-shot on held-out "
             "Fashion-MNIST classes",
             "fewshot: ProtoNet CE vs CE + Proto-Triplet vs CE + ICNN on held-out Fashion-MNIST "
             "classes", fs_cfg, fs_params, fs_run);
