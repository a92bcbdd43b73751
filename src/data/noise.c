/* Synthetic label noise for robustness experiments (training labels only; see lossforge.h).
 *
 * Exactly m = round(rate * n) rows are picked (a seeded partial Fisher-Yates shuffle), so the
 * noise rate is exact rather than binomial, and each picked row gets:
 *   sym      a class drawn uniformly from the C - 1 others: exactly m labels change, so the
 *            rate is the fraction of wrong labels.
 *   uniform  a class drawn uniformly from all C, its own included: about m (C - 1) / C labels
 *            change. Papers differ on which of the two they call "symmetric" or "uniform"
 *            noise at rate r; the report of an experiment should say which it used.
 *   pair     the next class, c -> (c + 1) mod C (pair-flip, a class-dependent noise).
 */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* Keeps the noise stream apart from the streams a training run draws from the same seed. */
#define NOISE_SALT 0x6c6162656c6e6f69ULL /* "labelnoi" */

static const char *const kind_names[] = {"sym", "uniform", "pair"};

lf_status lf_noise_parse(const char *spec, lf_noise_kind *kind, double *rate)
{
    if (!spec) return lf_error(LF_EINVAL, "label noise: spec is NULL");
    const char *colon = strchr(spec, ':');
    if (!colon)
        return lf_error(LF_EINVAL, "label noise \"%s\": expected KIND:RATE, e.g. sym:0.4 "
                        "(kinds sym, uniform, pair)", spec);
    size_t len = (size_t)(colon - spec);
    int found = -1;
    for (int i = 0; i < 3; i++)
        if (strlen(kind_names[i]) == len && !strncmp(spec, kind_names[i], len)) found = i;
    if (found < 0)
        return lf_error(LF_EINVAL, "label noise \"%s\": unknown kind \"%.*s\"; expected sym, "
                        "uniform or pair", spec, (int)len, spec);
    char *end;
    errno = 0;
    double r = strtod(colon + 1, &end);
    if (end == colon + 1 || *end || errno || !(r >= 0 && r <= 1))
        return lf_error(LF_EINVAL, "label noise \"%s\": rate must be a number in [0, 1], got "
                        "\"%s\"", spec, colon + 1);
    *kind = (lf_noise_kind)found;
    *rate = r;
    return LF_OK;
}

static lf_status check_labels(const int32_t *y, int64_t n, int32_t n_classes)
{
    for (int64_t i = 0; i < n; i++)
        if (y[i] < 0 || y[i] >= n_classes)
            return lf_error(LF_EINVAL, "label noise: label %d at row %lld is outside [0, %d)",
                            (int)y[i], (long long)i, (int)n_classes);
    return LF_OK;
}

static int32_t noisy_label(lf_noise_kind kind, int32_t y, int32_t c, lf_rng *r)
{
    switch (kind) {
    case LF_NOISE_SYM: return (int32_t)((y + 1 + (int64_t)lf_rng_below(r, (uint64_t)c - 1)) % c);
    case LF_NOISE_UNIFORM: return (int32_t)lf_rng_below(r, (uint64_t)c);
    default: return (y + 1) % c;
    }
}

lf_status lf_label_noise(int32_t *y, int64_t n, int32_t n_classes, lf_noise_kind kind,
                         double rate, uint64_t seed, int64_t *flipped)
{
    if (!y && n > 0) return lf_error(LF_EINVAL, "label noise: labels are NULL");
    if ((unsigned)kind > LF_NOISE_PAIR)
        return lf_error(LF_EINVAL, "label noise: unknown kind %d", (int)kind);
    if (!(rate >= 0 && rate <= 1))
        return lf_error(LF_EINVAL, "label noise %s: rate must be in [0, 1], got %g",
                        kind_names[kind], rate);
    const int64_t m = (int64_t)llround(rate * (double)n);
    if (m > 0 && n_classes < 2)
        return lf_error(LF_EINVAL, "label noise %s: needs at least 2 classes, got %d",
                        kind_names[kind], (int)n_classes);
    lf_status s = check_labels(y, n, n_classes);
    if (s != LF_OK) return s;
    int64_t *pick = m > 0 ? malloc((size_t)n * sizeof *pick) : NULL;
    if (m > 0 && !pick) return lf_error(LF_ENOMEM, "label noise: out of memory for %lld rows",
                                        (long long)n);
    lf_rng r;
    lf_rng_seed(&r, seed ^ NOISE_SALT);
    for (int64_t i = 0; i < n && m > 0; i++) pick[i] = i;
    int64_t changed = 0;
    for (int64_t i = 0; i < m; i++) {
        int64_t j = i + (int64_t)lf_rng_below(&r, (uint64_t)(n - i));
        int64_t row = pick[j];
        pick[j] = pick[i];
        int32_t v = noisy_label(kind, y[row], n_classes, &r);
        changed += v != y[row];
        y[row] = v;
    }
    free(pick);
    if (flipped) *flipped = changed;
    return LF_OK;
}

lf_status lf_dataset_label_noise(lf_dataset *ds, const char *spec, uint64_t seed,
                                 int64_t *flipped)
{
    lf_noise_kind kind;
    double rate;
    lf_status s = lf_noise_parse(spec, &kind, &rate);
    if (s != LF_OK) return s;
    if (!ds->y) return lf_error(LF_EINVAL, "label noise: dataset \"%s\" has no labels", ds->name);
    return lf_label_noise(ds->y, ds->n, ds->n_classes, kind, rate, seed, flipped);
}
