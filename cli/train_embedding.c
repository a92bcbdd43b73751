/* lossforge train --embedding: an embedding model trained with an embedding loss on P×K batches
 * of a class subset, then scored by retrieval (Recall@K, mAP@R, NMI) on the test split's rows of
 * the other classes. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lossforge/retrieval.h"

enum { MAX_CLASSES = CLI_MAX_CLASSES };

int cli_parse_classes(const char *verb_opt, const char *text, int32_t *out)
{
    int n = 0;
    const char *p = text;
    for (;;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 0 || v > INT32_MAX || n == MAX_CLASSES || (*end && *end != ',')) {
            fprintf(stderr, "lossforge %s wants class ids like 0,1,2; got \"%s\"\n", verb_opt,
                    text);
            return -1;
        }
        out[n++] = (int32_t)v;
        if (!*end) return n;
        p = end + 1;
    }
}

int cli_other_classes(const lf_dataset *test, const int32_t *train, int ntrain, int32_t *out)
{
    int n = 0;
    for (int32_t c = 0; c < test->n_classes && n < MAX_CLASSES; c++) {
        int used = 0;
        for (int i = 0; i < ntrain; i++) used |= train[i] == c;
        if (!used) out[n++] = c;
    }
    return n;
}

/* Retrieval of the trained embeddings over the test rows of `classes`. */
static lf_status score(lf_model *m, const lf_norm *norm, const lf_dataset *test,
                       const int32_t *classes, int nc, uint64_t seed, int64_t *n, lf_retrieval *r)
{
    int64_t *rows = NULL;
    lf_status s = lf_rows_of_classes(test->y, test->n, classes, nc, &rows, n);
    const int64_t dim = lf_model_n_out(m);
    float *emb = s == LF_OK ? malloc((size_t)(*n * dim) * sizeof *emb) : NULL;
    int32_t *y = s == LF_OK ? malloc((size_t)*n * sizeof *y) : NULL;
    if (s == LF_OK && (!emb || !y)) s = lf_error(LF_ENOMEM, "train --embedding: out of memory");
    if (s == LF_OK && *n < 2)
        s = lf_error(LF_EINVAL, "train --embedding: the test split has %lld rows of the test "
                     "classes; retrieval needs 2", (long long)*n);
    for (int64_t i = 0; s == LF_OK && i < *n; i++) y[i] = test->y[rows[i]];
    if (s == LF_OK) s = lf_embed_rows(m, test, rows, *n, norm, 512, emb);
    if (s == LF_OK) s = lf_retrieval_eval(emb, y, *n, dim, LF_METRIC_COSINE, 1, seed, r);
    free(rows);
    free(emb);
    free(y);
    return s;
}

static int run(lf_embed_opts *o, const char *data, const char *classes_text)
{
    lf_dataset train = {0}, test = {0};
    int32_t train_cls[MAX_CLASSES], test_cls[MAX_CLASSES];
    int ntrain = 0;
    if (classes_text && (ntrain = cli_parse_classes("train: error: --train-classes", classes_text, train_cls)) < 0) return CLI_USAGE;
    if (lf_dataset_load(data, &train, &test) != LF_OK) return cli_fail_status();
    int rc = CLI_OK;
    if (test.n == 0 || !test.y) {
        rc = cli_fail("train --embedding: dataset \"%s\" has no labelled test split to retrieve "
                      "from", data);
    } else {
        o->classes = ntrain ? train_cls : NULL;
        o->n_classes = ntrain;
        const int ntest = ntrain ? cli_other_classes(&test, train_cls, ntrain, test_cls) : 0;
        lf_embed_result er;
        lf_retrieval r;
        lf_model *m = NULL;
        lf_norm norm = {0};
        int64_t n = 0;
        lf_status s = lf_train_embedding(o, &train, &er, &m, &norm);
        if (s == LF_OK && ntrain) s = score(m, &norm, &test, test_cls, ntest, o->seed, &n, &r);
        else if (s == LF_OK) {
            for (int32_t c = 0; c < test.n_classes && c < MAX_CLASSES; c++) test_cls[c] = c;
            s = score(m, &norm, &test, test_cls, test.n_classes, o->seed, &n, &r);
        }
        if (s != LF_OK) rc = cli_fail_status();
        else {
            printf("retrieval on %lld test images of %s classes (cosine): R@1 %.2f%%  R@2 %.2f%%  "
                   "R@4 %.2f%%  R@8 %.2f%%  mAP@R %.2f%%  NMI %.2f%%\n", (long long)n,
                   ntrain ? "the held-out" : "all", 100 * r.recall[0], 100 * r.recall[1],
                   100 * r.recall[2], 100 * r.recall[3], 100 * r.map_at_r, 100 * r.nmi);
            printf("trained %lld steps in %.1f s (loss %.4f -> %.4f)", (long long)o->steps,
                   er.seconds, er.first_loss, er.last_loss);
            if (o->out_dir) printf("; wrote %s/model.safetensors", o->out_dir);
            printf("\n");
        }
        lf_model_free(m);
        lf_norm_release(&norm);
    }
    lf_dataset_release(&train);
    lf_dataset_release(&test);
    return rc;
}

int cli_train_embedding(int argc, char **argv)
{
    lf_embed_opts o;
    lf_embed_opts_default(&o);
    const char *data = "fashion-mnist", *pk = "8x4", *classes = NULL;
    int embedding = 0, quiet = 0, force = 0, dim = (int)o.dim, steps = (int)o.steps;
    o.out_dir = "runs/last";
    const cli_opt opts[] = {
        {"embedding", OPT_FLAG, &embedding, "train an embedding model (this mode)", CLI_ANY},
        {"data", OPT_STR, &data, "dataset spec with a test split (default fashion-mnist)", CLI_ANY},
        {"model", OPT_STR, &o.model, "model spec; its outputs are the embedding (default mlp:256)",
         CLI_ANY},
        {"dim", OPT_INT, &dim, "embedding dimension (default 64)", CLI_IN(1, CLI_INT_MAX)},
        {"loss", OPT_STR, &o.loss, "embedding loss spec: ms, contrastive, triplet, ... (default "
                                   "ms)", CLI_ANY},
        {"miner", OPT_STR, &o.miner, "pair miner spec, e.g. ms-miner:eps=0.1 (default: all pairs)",
         CLI_ANY},
        {"optim", OPT_STR, &o.optim, "optimizer spec (default adamw:lr=1e-3)", CLI_ANY},
        {"schedule", OPT_STR, &o.schedule, "learning-rate schedule spec (default constant)",
         CLI_ANY},
        {"pk", OPT_STR, &pk, "class-balanced batches: P classes x K images (default 8x4)", CLI_ANY},
        {"steps", OPT_INT, &steps, "optimisation steps (default 1000)", CLI_IN(1, CLI_INT_MAX)},
        {"train-classes", OPT_STR, &classes, "train on these classes (e.g. 0,1,2,3,4) and retrieve "
                                             "among the others; default: all classes, both",
                                             CLI_ANY},
        {"seed", OPT_U64, &o.seed, "seed of init, batches and k-means (default 1)", CLI_ANY},
        CLI_EMBED_RUN_OPTS(o, force, quiet),
    };
    int rc = cli_parse("train", "Train an embedding model (--embedding) on P×K batches and score "
                                "it by retrieval on the test split.",
                       argc, argv, opts, (int)(sizeof opts / sizeof opts[0]));
    if (rc != CLI_OK) return rc == CLI_HELP ? CLI_OK : rc;
    char *x, *end = NULL;
    long p = strtol(pk, &x, 10), k = *x == 'x' ? strtol(x + 1, &end, 10) : 0;
    if (x == pk || *x != 'x' || !end || end == x + 1 || *end || p < INT_MIN || p > INT_MAX ||
        k < INT_MIN || k > INT_MAX) {
        fprintf(stderr, "lossforge train: error: --pk wants PxK, e.g. 8x4; got \"%s\"\n", pk);
        return CLI_USAGE;
    }
    o.p = (int)p;
    o.k = (int)k;
    o.dim = dim;
    o.steps = steps;
    if ((rc = cli_claim_out(o.out_dir, force, -1)) != CLI_OK) return rc;
    o.progress = quiet ? 0 : isatty(2) ? 2 : 1;
    return run(&o, data, classes);
}
