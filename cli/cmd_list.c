/* lossforge list / papers / repro: what the registry holds, and running experiments. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "repro/xp.h"

static void format_range(const lf_param_desc *p, char *buf, size_t cap)
{
    if (p->type == LF_PT_ENUM) {
        snprintf(buf, cap, "{%s}", p->choices);
        return;
    }
    if (p->type != LF_PT_FLOAT && p->type != LF_PT_INT && p->type != LF_PT_INTLIST) {
        buf[0] = '\0';
        return;
    }
    char lo[32], hi[32];
    snprintf(lo, sizeof lo, isinf(p->min) ? "-inf" : "%g", p->min);
    snprintf(hi, sizeof hi, isinf(p->max) ? "inf" : "%g", p->max);
    snprintf(buf, cap, "%c%s, %s%c", p->flags & LF_OPEN_MIN ? '(' : '[', lo, hi,
             p->flags & LF_OPEN_MAX ? ')' : ']');
}

static void format_default(const lf_param_desc *p, char *buf, size_t cap)
{
    switch (p->type) {
    case LF_PT_STR:
    case LF_PT_INTLIST: snprintf(buf, cap, "\"%s\"", p->choices ? p->choices : ""); break;
    case LF_PT_ENUM: {
        const char *c = p->choices;
        for (int i = 0; i < (int)p->def && strchr(c, '|'); i++) c = strchr(c, '|') + 1;
        size_t n = strcspn(c, "|");
        snprintf(buf, cap, "%.*s", (int)n, c);
        break;
    }
    case LF_PT_BOOL: snprintf(buf, cap, "%s", p->def != 0 ? "true" : "false"); break;
    default: snprintf(buf, cap, "%g", p->def);
    }
}

static const char *type_name(lf_ptype t)
{
    static const char *const n[] = {"float", "int", "bool", "enum", "string", "int list"};
    return n[t];
}

static void print_paper_ref(const char *key)
{
    const lf_paper *p = key ? lf_paper_find(key) : NULL;
    if (p)
        printf("      paper: %s (%s, %d%s%s)\n", p->title, p->authors, p->year,
               p->arxiv[0] ? ", arXiv " : "", p->arxiv);
}

static void print_desc(const lf_desc *d)
{
    printf("  %-16s %s\n", d->name, d->doc);
    print_paper_ref(d->paper);
    for (int j = 0; j < d->nparams; j++) {
        const lf_param_desc *p = &d->params[j];
        char def[128], range[160];
        format_default(p, def, sizeof def);
        format_range(p, range, sizeof range);
        printf("      %-12s %-8s default %-10s %-16s %s\n", p->key, type_name(p->type), def, range,
               p->doc);
    }
}

int cmd_list(int argc, char **argv)
{
    const char *kind = NULL;
    const cli_opt opts[] = {{"kind", OPT_STR, &kind,
                             "only this kind: loss, optimizer, schedule, model, dataset, experiment",
                             CLI_ANY}};
    int rc = cli_parse("list", "Print every registered method with its parameters and defaults.",
                       argc, argv, opts, 1);
    if (rc != CLI_OK) return rc == CLI_HELP ? CLI_OK : rc;
    int shown = 0;
    for (int k = 0; k < LF_KIND_COUNT; k++) {
        if (kind && strcmp(kind, lf_kind_name((lf_kind)k))) continue;
        const char *kn = lf_kind_name((lf_kind)k);
        printf("%s%s:\n", kn, kn[strlen(kn) - 1] == 's' ? "es" : "s");
        shown++;
        for (int i = 0; i < lf_registry_count(); i++)
            if (lf_registry_at(i)->kind == (lf_kind)k) print_desc(lf_registry_at(i));
        for (int i = 0; k == LF_KIND_REPRO && i < lf_xp_count(); i++) print_desc(lf_xp_at(i));
        printf("\n");
    }
    if (!shown) {
        fprintf(stderr, "lossforge list: error: unknown kind \"%s\"\n", kind);
        return CLI_USAGE;
    }
    printf("spec strings: name:key=value,...  e.g. --optim lion:lr=3e-4,wd=1 --model mlp:512,256\n");
    printf("kernels: %s (the best this CPU runs; LF_CPU=baseline|avx2 caps it)\n", lf_cpu_kernels());
    return CLI_OK;
}

/* 1 when `name` is one of the comma/space separated names in `list`. */
static int lists_name(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *q = list; *q;) {
        q += strspn(q, ", ");
        size_t len = strcspn(q, ", ");
        if (len == n && !strncmp(q, name, n)) return 1;
        q += len;
    }
    return 0;
}

/* Methods name the paper in their descriptor; an experiment may also be one that the paper's
 * table row names (one experiment can reproduce two papers). */
static void print_users(const lf_paper *p, int experiments)
{
    int n = 0;
    const int count = experiments ? lf_xp_count() : lf_registry_count();
    for (int i = 0; i < count; i++) {
        const lf_desc *d = experiments ? lf_xp_at(i) : lf_registry_at(i);
        int mine = d->paper && !strcmp(d->paper, p->key);
        if (!mine && !(experiments && lists_name(p->repro, d->name))) continue;
        printf("%s%s", n++ ? ", " : "", d->name);
    }
    printf("%s\n", n ? "" : "not yet");
}

int cmd_papers(int argc, char **argv)
{
    int rc = cli_parse("papers", "The papers lossforge implements, with their methods and experiments.",
                       argc, argv, NULL, 0);
    if (rc != CLI_OK) return rc == CLI_HELP ? CLI_OK : rc;
    for (int i = 0; i < lf_paper_count(); i++) {
        const lf_paper *p = lf_paper_at(i);
        printf("%2d. %s\n    %s, %d%s%s  [key %s]\n    methods:     ", i + 1, p->title, p->authors,
               p->year, p->arxiv[0] ? ", arXiv " : "", p->arxiv, p->key);
        print_users(p, 0);
        printf("    experiment:  ");
        print_users(p, 1);
    }
    return CLI_OK;
}

int cmd_repro(int argc, char **argv)
{
    const char *spec = NULL, *out = NULL;
    int quick = 0;
    if (argc > 1 && argv[1][0] != '-') {
        spec = argv[1];
        argv++;
        argc--;
    }
    const cli_opt opts[] = {
        {"quick", OPT_FLAG, &quick, "the small variant CI runs", CLI_ANY},
        {"out", OPT_STR, &out, "output directory (default docs/results/NAME)", CLI_ANY},
    };
    int rc = cli_parse("repro", "usage: lossforge repro NAME[:params] [--quick]\n"
                                "Run a paper's reproduction experiment (names: lossforge list --kind experiment).",
                       argc, argv, opts, 2);
    if (rc != CLI_OK) return rc == CLI_HELP ? CLI_OK : rc;
    if (!spec) {
        fprintf(stderr, "lossforge repro: error: which experiment? (lossforge list --kind experiment)\n");
        return CLI_USAGE;
    }
    return lf_xp_run(spec, quick, out) == LF_OK ? CLI_OK : cli_fail_status();
}
