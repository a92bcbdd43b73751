/* lossforge train --ensemble M: posterior-sample (SGLD) or deep ensembles, scored by their
 * averaged probabilities; and the n_data an sgld optimizer needs. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "lossforge/ensemble.h"

/* Any other spec stays as the user gave it (outputs quote it: the curves' title). The filled
 * one is the user's with ",n_data=N" appended, or the canonical form should that not parse to
 * the same optimizer. */
void cli_fill_n_data(lf_train_opts *o, const lf_dataset *train, char *buf, size_t cap)
{
    const int64_t n_val = (int64_t)llround(o->val_split * (double)train->n);
    char plain[1024], given[1024];
    /* A spec that does not parse is left for lf_train to report. */
    if (lf_sgld_spec_fill(o->optim, train->n - n_val, buf, cap) != LF_OK ||
        lf_sgld_spec_fill(o->optim, 0, plain, sizeof plain) != LF_OK || !strcmp(buf, plain))
        return;
    int len = snprintf(given, sizeof given, "%s%sn_data=%lld", o->optim,
                       strchr(o->optim, ':') ? "," : ":", (long long)(train->n - n_val));
    if (len > 0 && (size_t)len < sizeof given && (size_t)len < cap &&
        lf_sgld_spec_fill(given, 0, plain, sizeof plain) == LF_OK && !strcmp(buf, plain))
        memcpy(buf, given, (size_t)len + 1);
    o->optim = buf;
}

static void print_calib(const char *what, const lf_calib *c)
{
    printf("%-22s acc %6.2f%%  nll %.4f  ece %.4f\n", what, 100 * c->acc, c->nll, c->ece);
}

int cli_train_ensemble(const lf_train_opts *o, int members, const char *kind, int burn_in,
                       int thin, const lf_dataset *train, const lf_dataset *test)
{
    const int deep = !strcmp(kind, "deep");
    if (!deep && strcmp(kind, "sgld") != 0) {
        fprintf(stderr, "lossforge train: error: --ensemble-kind must be sgld or deep, got \"%s\"\n",
                kind);
        return CLI_USAGE;
    }
    lf_ensemble_opts e = {.members = members, .kind = deep ? LF_ENSEMBLE_DEEP : LF_ENSEMBLE_SGLD,
                          .burn_in = burn_in, .thin = thin};
    lf_ensemble_result r;
    if (lf_train_ensemble(o, &e, train, test, &r) != LF_OK) return cli_fail_status();
    char what[64];
    snprintf(what, sizeof what, "ensemble of %d (%s):", r.members, kind);
    print_calib(what, &r.ensemble);
    print_calib(deep ? "single (first member):" : "single (last sample):", &r.single);
    print_calib("members on average:", &r.member_mean);
    printf("(test set; NLL = mean -log p(label), ECE over %d equal-width confidence bins)\n",
           LF_ECE_BINS);
    printf("trained in %.1f s", r.seconds);
    if (o->out_dir) printf("; wrote %s/ensemble.json", o->out_dir);
    printf("\n");
    return CLI_OK;
}
