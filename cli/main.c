/* lossforge command-line tool: one cmd_* function per verb. Exit 0 ok, 1 failure, 2 usage. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} verbs[] = {
    {"train", cmd_train, "train a model on a dataset with a loss and an optimizer"},
    {"eval", cmd_eval, "accuracy and confusion matrix of a saved model"},
    {"list", cmd_list, "every registered loss, optimizer, schedule, model, dataset, experiment"},
    {"papers", cmd_papers, "the papers implemented, their methods and experiments"},
    {"loss", cmd_loss, "value and gradient of any loss on .npy inputs"},
    {"repro", cmd_repro, "run a paper's reproduction experiment"},
};
#define NVERBS ((int)(sizeof verbs / sizeof verbs[0]))

static void usage(FILE *f)
{
    fprintf(f, "lossforge %s: losses, optimizers and learners from recent papers, in C.\n\n"
               "usage: lossforge VERB [options]   (lossforge VERB --help for its options)\n\n",
            LF_VERSION);
    for (int i = 0; i < NVERBS; i++) fprintf(f, "  %-8s %s\n", verbs[i].name, verbs[i].summary);
}

int cli_fail_status(void)
{
    fprintf(stderr, "lossforge: error: %s\n", lf_last_error());
    return CLI_FAIL;
}

int cli_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("lossforge: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CLI_FAIL;
}

static void opt_help(const char *verb, const char *summary, const cli_opt *opts, int nopts)
{
    printf("usage: lossforge %s [options]\n%s\n\noptions:\n", verb, summary);
    for (int i = 0; i < nopts; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s", opts[i].name, opts[i].type == OPT_FLAG ? "" : " V");
        printf("  %-22s %s\n", left, opts[i].help);
    }
    printf("  %-22s %s\n", "--help", "this text");
}

static int set_opt(const char *verb, const cli_opt *o, const char *v)
{
    char *end = NULL;
    switch (o->type) {
    case OPT_STR: *(const char **)o->ptr = v; return CLI_OK;
    case OPT_INT: {
        long x = strtol(v, &end, 10);
        if (*v && !*end && x >= -2147483647L && x <= 2147483647L) {
            *(int *)o->ptr = (int)x;
            return CLI_OK;
        }
        break;
    }
    case OPT_U64: {
        unsigned long long x = strtoull(v, &end, 10);
        if (*v && *v != '-' && !*end) {
            *(uint64_t *)o->ptr = x;
            return CLI_OK;
        }
        break;
    }
    case OPT_DOUBLE: {
        double x = strtod(v, &end);
        if (*v && !*end) {
            *(double *)o->ptr = x;
            return CLI_OK;
        }
        break;
    }
    case OPT_FLAG: *(int *)o->ptr = 1; return CLI_OK;
    }
    fprintf(stderr, "lossforge %s: error: --%s: \"%s\" is not a valid %s\n", verb, o->name, v,
            o->type == OPT_DOUBLE ? "number" : "integer");
    return CLI_USAGE;
}

int cli_parse(const char *verb, const char *summary, int argc, char **argv, const cli_opt *opts,
              int nopts)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            opt_help(verb, summary, opts, nopts);
            return CLI_HELP;
        }
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        const cli_opt *o = NULL;
        for (int j = 0; a[0] == '-' && a[1] == '-' && j < nopts; j++)
            if (strlen(opts[j].name) == len - 2 && !strncmp(a + 2, opts[j].name, len - 2)) o = &opts[j];
        if (!o) {
            fprintf(stderr, "lossforge %s: error: unknown option \"%s\" (see lossforge %s --help)\n",
                    verb, a, verb);
            return CLI_USAGE;
        }
        const char *v = eq ? eq + 1 : NULL;
        if (o->type != OPT_FLAG && !v) {
            if (i + 1 >= argc) {
                fprintf(stderr, "lossforge %s: error: --%s needs a value\n", verb, o->name);
                return CLI_USAGE;
            }
            v = argv[++i];
        }
        int rc = set_opt(verb, o, v ? v : "");
        if (rc != CLI_OK) return rc;
    }
    return CLI_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("lossforge %s\n", LF_VERSION);
        return CLI_OK;
    }
    for (int i = 0; i < NVERBS; i++)
        if (!strcmp(argv[1], verbs[i].name)) return verbs[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "lossforge: error: unknown verb \"%s\"\n\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
