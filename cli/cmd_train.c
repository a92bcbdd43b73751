/* lossforge train: the main job. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* --label-noise: corrupts the training labels only; the test split stays clean. */
static lf_status add_label_noise(const char *spec, uint64_t seed, lf_dataset *train)
{
    int64_t flipped;
    lf_status s = lf_dataset_label_noise(train, spec, seed, &flipped);
    if (s == LF_OK)
        fprintf(stderr, "label noise %s: %lld of %lld training labels changed (test labels "
                "untouched)\n", spec, (long long)flipped, (long long)train->n);
    return s;
}

/* The end of a run: test accuracy, per class unless quiet, and the files written. */
static int report(const lf_train_opts *o, const lf_train_result *r, const lf_dataset *test,
                  int quiet)
{
    int rc = CLI_OK;
    if (test->n) printf("test accuracy: %.2f%%  (test loss %.4f)\n", 100 * r->test_acc, r->test_loss);
    else if (!isnan(r->last.val_acc))
        printf("no test split; final validation accuracy: %.2f%%\n", 100 * r->last.val_acc);
    else printf("no test split; final training accuracy: %.2f%%\n", 100 * r->last.train_acc);
    if (test->n && !quiet) rc = cli_summary_test(o->out_dir, test);
    printf("trained %d epochs in %.1f s\n", r->epochs_done, r->seconds);
    cli_summary_files(o->out_dir, o->checkpoint_every > 0);
    return rc;
}

int cmd_train(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--embedding")) return cli_train_embedding(argc, argv);
        if (!strcmp(argv[i], "--episodic") || !strncmp(argv[i], "--episodic=", 11))
            return cli_train_episodic(argc, argv);
    }
    int embedding = 0; /* listed for --help; the flag itself is dispatched above */
    const char *episodic = NULL; /* likewise */
    lf_train_opts o;
    lf_train_opts_default(&o);
    o.data = "fashion-mnist";
    const char *resume = NULL, *on_nan = "stop";
    int batch = (int)o.batch, quiet = 0, every = 0, force = 0;
    const char *noise = NULL;
    int members = 0, burn_in = -1, thin = 1;
    const char *ens_kind = "sgld";
    o.out_dir = "runs/last";
    const cli_opt opts[] = {
        {"data", OPT_STR, &o.data, "dataset spec (default fashion-mnist; see lossforge list)",
         CLI_ANY},
        {"model", OPT_STR, &o.model, "model spec (default mlp:256,256)", CLI_ANY},
        {"loss", OPT_STR, &o.loss, "loss spec (default ce)", CLI_ANY},
        {"optim", OPT_STR, &o.optim, "optimizer spec (default adamw:lr=1e-3)", CLI_ANY},
        {"schedule", OPT_STR, &o.schedule, "learning-rate schedule spec (default constant)",
         CLI_ANY},
        {"epochs", OPT_INT, &o.epochs, "passes over the training set (default 5)",
         CLI_IN(1, CLI_INT_MAX)},
        {"batch", OPT_INT, &batch, "minibatch size (default 128)", CLI_IN(1, CLI_INT_MAX)},
        {"seed", OPT_U64, &o.seed, "seed of init, data order and dropout (default 1)", CLI_ANY},
        {"threads", OPT_INT, &o.threads, "threads (default: all cores)", CLI_THREADS},
        {"val-split", OPT_DOUBLE, &o.val_split, "fraction of train held out for validation (default 0)",
         CLI_BELOW(0, 1)},
        {"out", OPT_STR, &o.out_dir, "output directory (default runs/last)", CLI_ANY},
        {"force", OPT_FLAG, &force, "replace the files of another run in --out (default: refuse)",
         CLI_ANY},
        {"clip-norm", OPT_DOUBLE, &o.clip_norm, "clip the gradient to this global L2 norm (default off)",
         CLI_POSITIVE},
        {"decay-bias", OPT_FLAG, &o.decay_bias, "weight decay on biases too (default: weights only)",
         CLI_ANY},
        {"checkpoint-every", OPT_INT, &every, "write --out/checkpoint.safetensors every N steps "
                                              "(default 0: never)", CLI_IN(0, CLI_INT_MAX)},
        {"resume", OPT_STR, &resume, "continue the run checkpointed in DIR, with its options",
         CLI_ANY},
        {"on-nan", OPT_STR, &on_nan, "non-finite loss or gradient: stop (default) or skip-batch",
         CLI_ANY},
        {"label-noise", OPT_STR, &noise, "corrupt training labels: sym:R (R of them to another "
                                         "class), uniform:R (R redrawn over all classes), pair:R "
                                         "(c -> c+1); seeded by --seed", CLI_ANY},
        {"ensemble", OPT_INT, &members, "train an ensemble of M and score its averaged "
                                        "probabilities (accuracy, NLL, ECE)",
                                        CLI_IN(1, CLI_INT_MAX)},
        {"ensemble-kind", OPT_STR, &ens_kind, "sgld (default: M samples of one run, every --thin "
                                              "epochs after --burn-in) or deep (M seeds)", CLI_ANY},
        {"burn-in", OPT_INT, &burn_in, "sgld ensembles: epochs before the first sample (default "
                                       "epochs - M*thin)", CLI_IN(0, CLI_INT_MAX)},
        {"thin", OPT_INT, &thin, "sgld ensembles: epochs between samples (default 1)",
         CLI_IN(1, CLI_INT_MAX)},
        {"quiet", OPT_FLAG, &quiet, "no progress output", CLI_ANY},
        {"embedding", OPT_FLAG, &embedding, "train an embedding model with an embedding loss on "
                                            "P×K batches instead (lossforge train --embedding --help)",
                                            CLI_ANY},
        {"episodic", OPT_STR, &episodic, "NwayKshot[:q=Q]: meta-train an embedding model on "
                                         "few-shot episodes instead (lossforge train --episodic "
                                         "5way1shot --help)", CLI_ANY},
    };
    const lf_train_opts def = o;
    int rc = cli_parse("train", "Train a model; writes metrics.jsonl, model.safetensors, curves.svg "
                                "and result.json to --out.",
                       argc, argv, opts, (int)(sizeof opts / sizeof opts[0]));
    if (rc != CLI_OK) return rc == CLI_HELP ? CLI_OK : rc;
    o.batch = batch;
    o.checkpoint_every = every;
    if (strcmp(on_nan, "stop") != 0 && strcmp(on_nan, "skip-batch") != 0) {
        fprintf(stderr, "lossforge train: error: --on-nan must be stop or skip-batch, got \"%s\"\n",
                on_nan);
        return CLI_USAGE;
    }
    o.on_nan = strcmp(on_nan, "skip-batch") == 0 ? LF_ON_NAN_SKIP : LF_ON_NAN_STOP;
    lf_checkpoint_info ci;
    char ckpt[4096];
    if (resume && (rc = cli_train_resume(resume, &o, &def, &ci, ckpt, sizeof ckpt)) != CLI_OK)
        return rc;
    if ((rc = cli_claim_out(o.out_dir, force, resume != NULL)) != CLI_OK) return rc;
    o.progress = quiet ? 0 : isatty(2) ? 2 : 1;
    lf_dataset train = {0}, test = {0};
    if (lf_dataset_load(o.data, &train, &test) != LF_OK) return cli_fail_status();
    if (!quiet) cli_summary_begin(&o, &train, &test);
    if (noise && add_label_noise(noise, o.seed, &train) != LF_OK) {
        lf_dataset_release(&train);
        lf_dataset_release(&test);
        return cli_fail_status();
    }
    char optim[1024];
    cli_fill_n_data(&o, &train, optim, sizeof optim);
    if (members > 0) {
        rc = cli_train_ensemble(&o, members, ens_kind, burn_in, thin, &train, &test);
        lf_dataset_release(&train);
        lf_dataset_release(&test);
        return rc;
    }
    lf_train_result r;
    rc = lf_train(&o, &train, &test, &r, NULL) == LF_OK ? report(&o, &r, &test, quiet)
                                                        : cli_fail_status();
    lf_dataset_release(&train);
    lf_dataset_release(&test);
    return rc;
}
