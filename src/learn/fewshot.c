/* Few-shot evaluation: N-way K-shot episodes of held-out classes, queries classified by the
 * nearest prototype, mean accuracy with a 95% confidence interval over episodes (Snell et al.
 * 2017; the SuSana authors' maumruiz/FSL-Loss, whose compute_confidence_interval is
 * 1.96 * np.std(acc) / sqrt(n)). Meta-training itself is lf_train_embedding on episodes. */
#include "internal.h"
#include "loss/embed.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_QUERIES 15

/* A decimal integer in [1, INT_MAX] at *p (digits only), advancing *p; -1 when there is none. */
static int take_int(const char **p)
{
    if (!isdigit((unsigned char)**p)) return -1;
    char *end;
    errno = 0;
    const long v = strtol(*p, &end, 10);
    if (errno || v < 1 || v > INT_MAX) return -1;
    *p = end;
    return (int)v;
}

/* Skips the literal w at *p; 0 when it is not there. */
static int take_word(const char **p, const char *w)
{
    const size_t n = strlen(w);
    if (strncmp(*p, w, n)) return 0;
    *p += n;
    return 1;
}

lf_status lf_episodic_parse(const char *spec, int *way, int *shot, int *query)
{
    if (!spec || !way || !shot || !query)
        return lf_error(LF_EINVAL, "episodic spec: NULL argument");
    const char *p = spec;
    int q = DEFAULT_QUERIES;
    const int w = take_int(&p), ok = take_word(&p, "way"), k = take_int(&p);
    int good = ok && take_word(&p, "shot") && w >= 2 && k >= 1;
    if (good && *p) good = take_word(&p, ":q=") && (q = take_int(&p)) >= 1 && !*p;
    if (!good)
        return lf_error(LF_EINVAL, "episodic spec \"%s\": want NwayKshot[:q=Q] with N >= 2, K >= 1, "
                        "Q >= 1, e.g. 5way1shot or 5way5shot:q=15", spec);
    *way = w;
    *shot = k;
    *query = q;
    return LF_OK;
}

void lf_mean_ci95(const double *x, int64_t n, double *mean, double *sd, double *ci95)
{
    double m = 0, v = 0;
    for (int64_t i = 0; i < n; i++) m += x[i];
    m /= (double)n;
    for (int64_t i = 0; i < n; i++) v += (x[i] - m) * (x[i] - m);
    const double s = sqrt(v / (double)n);
    if (mean) *mean = m;
    if (sd) *sd = s;
    if (ci95) *ci95 = 1.96 * s / sqrt((double)n);
}

/* Workspace of one episode: the support and query embeddings, prototypes, distances. */
typedef struct episode_ws {
    int way, shot, query;
    int64_t dim;
    int64_t *rows;   /* way × (shot + query) sampler rows */
    float *proto;    /* way × dim */
    float *q;        /* way·query × dim */
    float *d2;       /* way·query × way */
    float *scratch;  /* way·query + way */
} episode_ws;

/* Fraction of the episode's queries whose nearest prototype is their class. emb: the
 * embeddings of the candidate rows; pos[row]: a row's index in emb. */
static double episode_accuracy(episode_ws *e, const float *emb, const int64_t *pos)
{
    const int64_t d = e->dim, nq = (int64_t)e->way * e->query;
    memset(e->proto, 0, (size_t)(e->way * d) * sizeof *e->proto);
    for (int c = 0; c < e->way; c++)
        for (int s = 0; s < e->shot; s++) {
            const float *x = emb + pos[e->rows[c * e->shot + s]] * d;
            for (int64_t j = 0; j < d; j++) e->proto[c * d + j] += x[j] / (float)e->shot;
        }
    const int64_t *qrows = e->rows + (int64_t)e->way * e->shot;
    for (int64_t i = 0; i < nq; i++)
        memcpy(e->q + i * d, emb + pos[qrows[i]] * d, (size_t)d * sizeof *e->q);
    lf_embed_sqdist(e->q, nq, e->proto, e->way, d, e->d2, e->scratch);
    int64_t hits = 0;
    for (int64_t i = 0; i < nq; i++) {
        const float *r = e->d2 + i * e->way;
        int best = 0;
        for (int c = 1; c < e->way; c++) best = r[c] < r[best] ? c : best;
        hits += best == i / e->query; /* queries are class-major */
    }
    return (double)hits / (double)nq;
}

/* Embeds rows[0..m) of ds into emb; pos maps a dataset row to its index in emb. */
static lf_status embed_candidates(lf_model *m, const lf_norm *norm, const lf_dataset *ds,
                                  const int64_t *rows, int64_t nrows, float **emb, int64_t **pos)
{
    *emb = malloc((size_t)(nrows * lf_model_n_out(m)) * sizeof **emb);
    *pos = malloc((size_t)ds->n * sizeof **pos);
    if (!*emb || !*pos) return lf_error(LF_ENOMEM, "few-shot eval: out of memory");
    for (int64_t i = 0; i < nrows; i++) (*pos)[rows[i]] = i;
    return lf_embed_rows(m, ds, rows, nrows, norm, 512, *emb);
}

static lf_status episode_ws_init(episode_ws *e, int way, int shot, int query, int64_t dim)
{
    const int64_t nq = (int64_t)way * query;
    *e = (episode_ws){.way = way, .shot = shot, .query = query, .dim = dim};
    e->rows = malloc((size_t)way * (size_t)(shot + query) * sizeof *e->rows);
    e->proto = malloc((size_t)(way * dim) * sizeof *e->proto);
    e->q = malloc((size_t)(nq * dim) * sizeof *e->q);
    e->d2 = malloc((size_t)(nq * way) * sizeof *e->d2);
    e->scratch = malloc((size_t)(nq + way) * sizeof *e->scratch);
    if (!e->rows || !e->proto || !e->q || !e->d2 || !e->scratch)
        return lf_error(LF_ENOMEM, "few-shot eval: out of memory");
    return LF_OK;
}

static void episode_ws_release(episode_ws *e)
{
    free(e->rows);
    free(e->proto);
    free(e->q);
    free(e->d2);
    free(e->scratch);
}

lf_status lf_fewshot_eval(lf_model *m, const lf_norm *norm, const lf_dataset *ds,
                          const int32_t *classes, int nc, int way, int shot, int query,
                          int64_t episodes, uint64_t seed, lf_fewshot_result *out, double *acc)
{
    if (!m || !ds || !out || !ds->y || way < 2 || shot < 1 || query < 1 || episodes < 1)
        return lf_error(LF_EINVAL, "few-shot eval: needs a model, a labelled dataset, way >= 2, "
                        "shot >= 1, query >= 1 and episodes >= 1");
    int64_t *rows = NULL, nrows = ds->n, *pos = NULL;
    lf_status s = classes ? lf_rows_of_classes(ds->y, ds->n, classes, nc, &rows, &nrows) : LF_OK;
    lf_sampler *sp = NULL;
    float *emb = NULL;
    double *accs = acc ? acc : malloc((size_t)episodes * sizeof *accs);
    episode_ws e = {0};
    if (s == LF_OK && !accs) s = lf_error(LF_ENOMEM, "few-shot eval: out of memory");
    if (s == LF_OK) s = lf_sampler_create(ds->y, ds->n, rows, rows ? nrows : 0, classes,
                                          classes ? nc : 0, seed, &sp);
    if (s == LF_OK && lf_sampler_classes(sp) < way)
        s = lf_error(LF_EINVAL, "few-shot eval: %d-way episodes need %d classes, the evaluation "
                     "set has %d", way, way, lf_sampler_classes(sp));
    if (s == LF_OK && !rows) {
        rows = malloc((size_t)nrows * sizeof *rows);
        if (!rows) s = lf_error(LF_ENOMEM, "few-shot eval: out of memory");
        for (int64_t i = 0; s == LF_OK && i < nrows; i++) rows[i] = i;
    }
    if (s == LF_OK) s = episode_ws_init(&e, way, shot, query, lf_model_n_out(m));
    if (s == LF_OK) s = embed_candidates(m, norm, ds, rows, nrows, &emb, &pos);
    for (int64_t t = 0; s == LF_OK && t < episodes; t++) {
        s = lf_sampler_episode(sp, way, shot, query, e.rows, NULL, NULL);
        if (s == LF_OK) accs[t] = episode_accuracy(&e, emb, pos);
    }
    if (s == LF_OK) {
        out->episodes = episodes;
        lf_mean_ci95(accs, episodes, &out->mean, &out->sd, &out->ci95);
    }
    episode_ws_release(&e);
    lf_sampler_free(sp);
    if (accs != acc) free(accs);
    free(rows);
    free(pos);
    free(emb);
    return s;
}
