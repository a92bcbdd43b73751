/* lossforge eval: accuracy and confusion matrix of a saved model on a dataset split. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lossforge/adversarial.h"

static void print_confusion(const int64_t *c, int64_t k)
{
    printf("confusion matrix (rows: true class, columns: predicted)\n     ");
    for (int64_t j = 0; j < k; j++) printf(" %6lld", (long long)j);
    printf("\n");
    for (int64_t i = 0; i < k; i++) {
        printf("%4lld ", (long long)i);
        for (int64_t j = 0; j < k; j++) printf(" %6lld", (long long)c[i * k + j]);
        printf("\n");
    }
}

static int evaluate(lf_model *m, const lf_norm *norm, lf_dataset *ds, const char *path,
                    const lf_attack *atk)
{
    int64_t d = 1;
    for (int i = 0; i < lf_model_in_ndim(m); i++) d *= lf_model_in_shape(m)[i];
    if (ds->d != d)
        return cli_fail("%s expects rows of %lld values, dataset \"%s\" has %lld", path,
                        (long long)d, ds->name, (long long)ds->d);
    int64_t k = lf_model_n_out(m);
    if (k == 1) k = 2; /* a binary score model (lf_evaluate: class 1 where the score is > 0) */
    int64_t *conf = calloc((size_t)(k * k), sizeof *conf);
    double acc;
    if (!conf) return cli_fail("out of memory");
    lf_status s = lf_evaluate(m, NULL, ds, NULL, 0, norm, 512, &acc, NULL, conf);
    if (s == LF_OK) {
        printf("accuracy: %.2f%% (%lld rows of %s)\n", 100 * acc, (long long)ds->n, ds->name);
        print_confusion(conf, k);
    }
    double adv;
    if (s == LF_OK && atk) s = lf_evaluate_attack(m, ds, NULL, 0, norm, atk, 512, 1, NULL, &adv);
    if (s == LF_OK && atk)
        printf("PGD accuracy: %.2f%% (eps %g, %d steps, %s, raw input units)\n", 100 * adv,
               atk->eps, atk->steps, atk->norm == LF_ATTACK_L2 ? "l2" : "linf");
    free(conf);
    return s == LF_OK ? CLI_OK : cli_fail_status();
}

int cmd_eval(int argc, char **argv)
{
    const char *path = NULL, *data = "fashion-mnist", *split = "test", *attack = NULL;
    const char *episodic = NULL, *classes = NULL;
    int episodes = 600;
    uint64_t seed = 1;
    const cli_opt opts[] = {
        {"model-file", OPT_STR, &path, "model written by lossforge train (model.safetensors)",
         CLI_ANY},
        {"data", OPT_STR, &data, "dataset spec (default fashion-mnist)", CLI_ANY},
        {"split", OPT_STR, &split, "test or train (default test)", CLI_ANY},
        {"attack", OPT_STR, &attack,
         "also PGD accuracy: pgd:eps=0.1,steps=10,step_size=0,norm=linf|l2 (raw pixel units)",
         CLI_ANY},
        {"episodic", OPT_STR, &episodic, "NwayKshot[:q=Q]: few-shot accuracy of an embedding "
                                         "model (nearest prototype) with its 95% CI instead",
                                         CLI_ANY},
        {"episodes", OPT_INT, &episodes, "--episodic: episodes (default 600)",
         CLI_IN(1, CLI_INT_MAX)},
        {"classes", OPT_STR, &classes, "--episodic: draw episodes from these classes, e.g. "
                                       "5,6,7,8,9 (default all)", CLI_ANY},
        {"seed", OPT_U64, &seed, "--episodic: seed of the episodes (default 1)", CLI_ANY},
    };
    int rc = cli_parse("eval", "Evaluate a saved model: accuracy and confusion matrix.", argc, argv,
                       opts, (int)(sizeof opts / sizeof opts[0]));
    if (rc != CLI_OK) return rc == CLI_HELP ? CLI_OK : rc;
    if (!path) {
        fprintf(stderr, "lossforge eval: error: --model-file is required\n");
        return CLI_USAGE;
    }
    if (strcmp(split, "test") && strcmp(split, "train")) {
        fprintf(stderr, "lossforge eval: error: --split must be test or train, got \"%s\"\n", split);
        return CLI_USAGE;
    }
    lf_attack atk;
    if (attack && lf_attack_parse(attack, &atk) != LF_OK) return cli_fail_status();
    lf_model *m = NULL;
    lf_norm norm = {0};
    lf_dataset train = {0}, test = {0};
    if (lf_model_load(path, &m, &norm) != LF_OK) return cli_fail_status();
    if (lf_dataset_load(data, &train, &test) != LF_OK) rc = cli_fail_status();
    else if (!strcmp(split, "test") && test.n == 0 && test.d > 0)
        rc = cli_fail("dataset \"%s\": the test split is empty (0 rows); give a test file with "
                      "rows, or use --split train", data);
    else if (!strcmp(split, "test") && test.n == 0)
        rc = cli_fail("dataset \"%s\" has no test split; use --split train", data);
    else if (episodic)
        rc = cli_eval_episodic(m, &norm, !strcmp(split, "test") ? &test : &train, episodic,
                               episodes, classes, seed);
    else
        rc = evaluate(m, &norm, !strcmp(split, "test") ? &test : &train, path, attack ? &atk : NULL);
    lf_dataset_release(&train);
    lf_dataset_release(&test);
    lf_model_free(m);
    lf_norm_release(&norm);
    return rc;
}
