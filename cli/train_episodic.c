/* lossforge train --episodic NwayKshot[:q=Q]: meta-training of an embedding model on episodes of
 * the training classes with a few-shot loss (protonet, proto-triplet, icnn; ce=1 adds ProtoNet's
 * cross-entropy as the SuSana paper does), then few-shot accuracy with a 95% confidence interval
 * on episodes of the held-out classes of the test split. Also lossforge eval --episodic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lossforge/retrieval.h"
#include "lossforge/fewshot.h"

/* Few-shot accuracy on `classes` (nc of them) of ds, printed. */
static int score(lf_model *m, const lf_norm *norm, const lf_dataset *ds, const int32_t *classes,
                 int nc, int way, int shot, int query, int64_t episodes, uint64_t seed)
{
    lf_fewshot_result r;
    if (lf_fewshot_eval(m, norm, ds, classes, nc, way, shot, query, episodes, seed, &r, NULL) !=
        LF_OK)
        return cli_fail_status();
    printf("%d-way %d-shot accuracy (%d queries per class) on classes ", way, shot, query);
    for (int i = 0; i < nc; i++) printf(i ? ",%d" : "%d", (int)classes[i]);
    printf(" of %s: %.2f%% ± %.2f%% (95%% CI, %lld episodes)\n", ds->name, 100 * r.mean,
           100 * r.ci95, (long long)r.episodes);
    return CLI_OK;
}

/* Every class of ds, or the parsed list; returns the count or -1 (printed). */
static int eval_classes(const lf_dataset *ds, const char *verb_opt, const char *text, int32_t *out)
{
    if (text) return cli_parse_classes(verb_opt, text, out);
    int n = 0;
    for (int32_t c = 0; c < ds->n_classes && c < CLI_MAX_CLASSES; c++) out[n++] = c;
    return n;
}

int cli_eval_episodic(lf_model *m, const lf_norm *norm, const lf_dataset *ds, const char *episodic,
                      int64_t episodes, const char *classes, uint64_t seed)
{
    int way, shot, query;
    int32_t cls[CLI_MAX_CLASSES];
    if (lf_episodic_parse(episodic, &way, &shot, &query) != LF_OK) return cli_fail_status();
    const int nc = eval_classes(ds, "eval: error: --classes", classes, cls);
    if (nc < 0) return CLI_USAGE;
    return score(m, norm, ds, cls, nc, way, shot, query, episodes, seed);
}

/* Trains on train's rows of the training classes, then scores the test split's other classes. */
static int run(lf_embed_opts *o, const char *data, const char *classes_text, int64_t episodes)
{
    lf_dataset train = {0}, test = {0};
    int32_t train_cls[CLI_MAX_CLASSES], test_cls[CLI_MAX_CLASSES];
    int ntrain = 0;
    if (classes_text &&
        (ntrain = cli_parse_classes("train: error: --train-classes", classes_text, train_cls)) < 0)
        return CLI_USAGE;
    if (lf_dataset_load(data, &train, &test) != LF_OK) return cli_fail_status();
    if (!classes_text) /* the first half of the classes, the others held out */
        for (int32_t c = 0; c < train.n_classes / 2; c++) train_cls[ntrain++] = c;
    const int ntest = cli_other_classes(&test, train_cls, ntrain, test_cls);
    int rc = CLI_OK;
    lf_model *m = NULL;
    lf_norm norm = {0};
    lf_embed_result er;
    o->classes = train_cls;
    o->n_classes = ntrain;
    if (test.n == 0 || !test.y || ntest < o->way)
        rc = cli_fail("train --episodic: dataset \"%s\" needs a labelled test split with %d "
                      "classes outside the training classes (it has %d)", data, o->way, ntest);
    else if (lf_train_embedding(o, &train, &er, &m, &norm) != LF_OK)
        rc = cli_fail_status();
    else {
        printf("meta-trained %lld episodes in %.1f s (loss %.4f -> %.4f)%s%s%s\n",
               (long long)o->steps, er.seconds, er.first_loss, er.last_loss,
               o->out_dir ? "; wrote " : "", o->out_dir ? o->out_dir : "",
               o->out_dir ? "/model.safetensors" : "");
        rc = score(m, &norm, &test, test_cls, ntest, o->way, o->shot, o->query, episodes,
                   o->seed);
    }
    lf_model_free(m);
    lf_norm_release(&norm);
    lf_dataset_release(&train);
    lf_dataset_release(&test);
    return rc;
}

int cli_train_episodic(int argc, char **argv)
{
    lf_embed_opts o;
    lf_embed_opts_default(&o);
    o.loss = "protonet";
    o.out_dir = "runs/last";
    const char *data = "fashion-mnist", *episodic = NULL, *classes = NULL;
    int quiet = 0, force = 0, dim = (int)o.dim, steps = (int)o.steps, episodes = 600;
    const cli_opt opts[] = {
        {"episodic", OPT_STR, &episodic, "episodes NwayKshot[:q=Q], e.g. 5way5shot:q=15 (15 "
                                         "queries per class by default)", CLI_ANY},
        {"data", OPT_STR, &data, "dataset spec with a test split (default fashion-mnist)", CLI_ANY},
        {"model", OPT_STR, &o.model, "model spec; its outputs are the embedding (default mlp:256)",
         CLI_ANY},
        {"dim", OPT_INT, &dim, "embedding dimension (default 64)", CLI_IN(1, CLI_INT_MAX)},
        {"loss", OPT_STR, &o.loss, "episode loss: protonet (default), proto-triplet:ce=1 or "
                                   "icnn:ce=1 (CE + the distance loss, each weighted 1/2, as the "
                                   "SuSana paper), or either alone (ce=0)", CLI_ANY},
        {"optim", OPT_STR, &o.optim, "optimizer spec (default adamw:lr=1e-3)", CLI_ANY},
        {"schedule", OPT_STR, &o.schedule, "learning-rate schedule spec (default constant)",
         CLI_ANY},
        {"steps", OPT_INT, &steps, "meta-training episodes (default 1000)", CLI_IN(1, CLI_INT_MAX)},
        {"train-classes", OPT_STR, &classes, "meta-train on these classes (e.g. 0,1,2,3,4) and "
                                             "test on the others (default: the first half)",
                                             CLI_ANY},
        {"episodes", OPT_INT, &episodes, "test episodes on the held-out classes (default 600)",
         CLI_IN(1, CLI_INT_MAX)},
        {"seed", OPT_U64, &o.seed, "seed of init, episodes and test episodes (default 1)", CLI_ANY},
        CLI_EMBED_RUN_OPTS(o, force, quiet),
    };
    int rc = cli_parse("train", "Meta-train an embedding model on few-shot episodes (--episodic) "
                                "and report few-shot accuracy on held-out classes.",
                       argc, argv, opts, (int)(sizeof opts / sizeof opts[0]));
    if (rc != CLI_OK) return rc == CLI_HELP ? CLI_OK : rc;
    if (!episodic || lf_episodic_parse(episodic, &o.way, &o.shot, &o.query) != LF_OK) {
        fprintf(stderr, "lossforge train: error: %s\n",
                episodic ? lf_last_error() : "--episodic wants NwayKshot[:q=Q]");
        return CLI_USAGE;
    }
    o.dim = dim;
    o.steps = steps;
    if ((rc = cli_claim_out(o.out_dir, force, -1)) != CLI_OK) return rc;
    o.progress = quiet ? 0 : isatty(2) ? 2 : 1;
    return run(&o, data, classes, episodes);
}
