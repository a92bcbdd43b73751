/* lossforge command-line tool: one cmd_* function per verb. Exit 0 ok, 1 failure, 2 usage. */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    {"compare", cmd_compare, "final metrics of train runs side by side, curves in one SVG"},
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

/* "[0, 1)", "(0, inf)", "[1, 256]": the range an option accepts, for its message. */
static void range_text(const cli_opt *o, char *buf, size_t cap)
{
    if (o->type == OPT_U64) {
        snprintf(buf, cap, "[0, %llu]", (unsigned long long)UINT64_MAX);
        return;
    }
    cli_range r = o->range;
    if (r.min == 0 && r.max == 0)
        r = o->type == OPT_INT ? (cli_range)CLI_IN(-CLI_INT_MAX, CLI_INT_MAX)
                               : (cli_range)CLI_IN(-INFINITY, INFINITY);
    snprintf(buf, cap, "%c%.*g, %.*g%c", r.open_min || isinf(r.min) ? '(' : '[', 17, r.min, 17,
             r.max, r.open_max || isinf(r.max) ? ')' : ']');
}

static int in_range(const cli_range *r, double x)
{
    if (r->min == 0 && r->max == 0) return 1;
    return (r->open_min ? x > r->min : x >= r->min) && (r->open_max ? x < r->max : x <= r->max);
}

/* The whole of v, in decimal, with no leading space or '+' (strto* would skip or take them). */
static int plain_start(const char *v, int sign_ok)
{
    return isdigit((unsigned char)v[0]) || (sign_ok && v[0] == '-' && v[1] != '\0');
}

static int set_opt(const char *verb, const cli_opt *o, const char *v)
{
    char *end = NULL;
    errno = 0;
    switch (o->type) {
    case OPT_STR: *(const char **)o->ptr = v; return CLI_OK;
    case OPT_INT: {
        if (!plain_start(v, 1)) break;
        long long x = strtoll(v, &end, 10);
        if (errno || *end || x < -2147483647LL || x > 2147483647LL ||
            !in_range(&o->range, (double)x))
            break;
        *(int *)o->ptr = (int)x;
        return CLI_OK;
    }
    case OPT_U64: {
        if (!plain_start(v, 0)) break;
        unsigned long long x = strtoull(v, &end, 10);
        if (errno || *end) break;
        *(uint64_t *)o->ptr = (uint64_t)x;
        return CLI_OK;
    }
    case OPT_DOUBLE: {
        if (!(plain_start(v, 1) || (v[0] == '.' && isdigit((unsigned char)v[1]))) ||
            strpbrk(v, "xX"))
            break; /* also no hexadecimal, which strtod would take */
        double x = strtod(v, &end);
        if (*end || !isfinite(x) || !in_range(&o->range, x)) break;
        *(double *)o->ptr = x;
        return CLI_OK;
    }
    case OPT_FLAG: *(int *)o->ptr = 1; return CLI_OK;
    }
    char range[96];
    range_text(o, range, sizeof range);
    fprintf(stderr, "lossforge %s: error: --%s: \"%s\" is not a valid %s in %s\n", verb, o->name,
            v, o->type == OPT_DOUBLE ? "number" : "integer", range);
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

/* Whether the reader of standard output has gone (a pipe or socket closed at the other end, as
 * `| head -1` does): what was not read was not wanted, and is no failure. */
static int reader_gone(int err)
{
    if (err == EPIPE) return 1;
    struct pollfd p = {.fd = STDOUT_FILENO, .events = POLLOUT};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

/* Flushes and closes standard output: a write that failed (a full disk, /dev/full) fails the
 * run, with exit 1 where it would have been 0. */
static int finish(int rc)
{
    errno = 0;
    int bad = fflush(stdout) != 0;
    int err = errno;
    bad |= ferror(stdout) != 0;
    if (fclose(stdout) != 0 && !bad) {
        bad = 1;
        err = errno;
    }
    if (!bad || reader_gone(err)) return rc;
    fprintf(stderr, "lossforge: error: writing standard output failed: %s\n",
            err ? strerror(err) : "write error");
    return rc == CLI_OK ? CLI_FAIL : rc;
}

static int run(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (lf_cpu_check_env() != LF_OK) return cli_fail_status();
    if (!strcmp(argv[1], "--version")) {
        printf("lossforge %s (%s kernels)\n", LF_VERSION, lf_cpu_kernels());
        return CLI_OK;
    }
    for (int i = 0; i < NVERBS; i++)
        if (!strcmp(argv[1], verbs[i].name)) return verbs[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "lossforge: error: unknown verb \"%s\"\n\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}

int main(int argc, char **argv)
{
    /* A closed pipe (`train 2>&1 | head -1`) must not kill a run before it writes its model:
     * writes to it fail with EPIPE instead, progress lines are lost and the run goes on. */
    (void)signal(SIGPIPE, SIG_IGN);
    return finish(run(argc, argv));
}
