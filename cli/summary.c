/* The blocks `lossforge train` prints around a run: what it trains on and with (before), and
 * how the model does per class and where its files went (after). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Class counts listed one by one up to this many classes; beyond it only their number (a
 * thousand counts on one line help nobody). */
#define LISTED_CLASSES 20

void cli_class_name(const lf_dataset *ds, int32_t c, char *buf, size_t cap)
{
    (void)ds; /* its label set (class id -> original label) is to be printed here once datasets
               * carry one; until then classes are their ids */
    snprintf(buf, cap, "%d", c);
}

void cli_class_prf(const int64_t *conf, int64_t k, cli_prf *out)
{
    for (int64_t c = 0; c < k; c++) {
        int64_t tp = conf[c * k + c], truth = 0, predicted = 0;
        for (int64_t j = 0; j < k; j++) {
            truth += conf[c * k + j];
            predicted += conf[j * k + c];
        }
        /* An empty denominator (a class never predicted, or absent) scores 0, as scikit-learn's
         * zero_division default does, so the macro mean counts the class as missed. */
        double p = predicted ? (double)tp / (double)predicted : 0;
        double r = truth ? (double)tp / (double)truth : 0;
        out[c] = (cli_prf){p, r, p + r > 0 ? 2 * p * r / (p + r) : 0, truth};
    }
}

int cli_print_prf(const lf_dataset *ds, const int64_t *conf, int64_t k)
{
    cli_prf *m = malloc((size_t)k * sizeof *m);
    if (!m) return cli_fail("out of memory");
    cli_class_prf(conf, k, m);
    printf("%-12s %9s %9s %9s %9s\n", "class", "precision", "recall", "f1", "support");
    double mean[3] = {0, 0, 0};
    int64_t rows = 0;
    for (int64_t c = 0; c < k; c++) {
        char name[64];
        cli_class_name(ds, (int32_t)c, name, sizeof name);
        printf("%-12s %9.4f %9.4f %9.4f %9lld\n", name, m[c].precision, m[c].recall, m[c].f1,
               (long long)m[c].support);
        mean[0] += m[c].precision / (double)k;
        mean[1] += m[c].recall / (double)k;
        mean[2] += m[c].f1 / (double)k;
        rows += m[c].support;
    }
    printf("%-12s %9.4f %9.4f %9.4f %9lld\n", "macro mean", mean[0], mean[1], mean[2],
           (long long)rows);
    free(m);
    return CLI_OK;
}

static int32_t n_classes(const lf_dataset *train, const lf_dataset *test)
{
    return test->n && test->n_classes > train->n_classes ? test->n_classes : train->n_classes;
}

/* "0: 50  1: 48  2: 52" for the labelled rows of ds. */
static void print_counts(const char *what, const lf_dataset *ds, int32_t k)
{
    if (!ds->n || !ds->y) return;
    int64_t *count = calloc((size_t)k, sizeof *count);
    if (!count) return; /* a summary line is not worth failing the run over */
    for (int64_t i = 0; i < ds->n; i++)
        if (ds->y[i] >= 0 && ds->y[i] < k) count[ds->y[i]]++;
    fprintf(stderr, "  %-10s", what);
    for (int32_t c = 0; c < k && k <= LISTED_CLASSES; c++) {
        char name[64];
        cli_class_name(ds, c, name, sizeof name);
        fprintf(stderr, " %s: %lld%s", name, (long long)count[c], c + 1 < k ? "," : "");
    }
    if (k > LISTED_CLASSES) fprintf(stderr, " (%d classes; counts listed up to %d)", k,
                                    LISTED_CLASSES);
    fputc('\n', stderr);
    free(count);
}

void cli_summary_begin(const lf_train_opts *o, const lf_dataset *train, const lf_dataset *test)
{
    const int32_t k = n_classes(train, test);
    /* The split lf_train makes: round(val_split * rows) held out. */
    const int64_t n_val = (int64_t)llround(o->val_split * (double)train->n);
    fprintf(stderr, "data       %s: %lld rows of %lld features, %d classes\n", o->data,
            (long long)(train->n + test->n), (long long)train->d, k);
    fprintf(stderr, "  split      %lld train, %lld validation (--val-split %g), %lld test\n",
            (long long)(train->n - n_val), (long long)n_val, o->val_split, (long long)test->n);
    print_counts("train rows", train, k);
    print_counts("test rows", test, k);
    fprintf(stderr, "loss       %s\noptimizer  %s\nschedule   %s\nthreads    %d\n", o->loss,
            o->optim, o->schedule ? o->schedule : "constant",
            o->threads > 0 ? o->threads : lf_get_threads());
}

int cli_summary_test(const char *out_dir, const lf_dataset *test)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/model.safetensors", out_dir);
    lf_model *m = NULL;
    lf_norm norm = {0};
    if (lf_model_load(path, &m, &norm) != LF_OK) return cli_fail_status();
    int64_t k = lf_model_n_out(m);
    if (k == 1) k = 2; /* a binary score model: class 1 where its score is > 0 */
    int64_t *conf = calloc((size_t)(k * k), sizeof *conf);
    double acc;
    lf_status s = conf ? lf_evaluate(m, NULL, test, NULL, 0, &norm, 512, &acc, NULL, conf)
                       : lf_error(LF_ENOMEM, "out of memory");
    int rc = s == LF_OK ? CLI_OK : cli_fail_status();
    if (rc == CLI_OK) {
        printf("per class on the %lld test rows (from the confusion matrix; lossforge eval prints "
               "it):\n", (long long)test->n);
        rc = cli_print_prf(test, conf, k);
    }
    free(conf);
    lf_model_free(m);
    lf_norm_release(&norm);
    return rc;
}

void cli_summary_files(const char *out_dir, int checkpoints)
{
    static const char *const what[][2] = {
        {"model.safetensors", "the model (lossforge eval --model-file)"},
        {"metrics.jsonl", "metrics per epoch"},
        {"curves.svg", "loss and accuracy per epoch"},
        {"result.json", "final metrics and the canonical specs"},
        {"checkpoint.safetensors", "the last checkpoint (lossforge train --resume)"},
    };
    printf("files written:\n");
    for (int i = 0; i < 4 + (checkpoints != 0); i++)
        printf("  %s/%-24s %s\n", out_dir, what[i][0], what[i][1]);
}
