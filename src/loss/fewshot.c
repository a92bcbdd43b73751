/* Few-shot episode losses: ProtoNet (Snell et al. 2017), and Proto-Triplet and ICNN from
 * "SuSana Distancia is all you need" (Mendez-Ruiz et al. 2023), after the authors' code
 * (maumruiz/FSL-Loss, ICN_Loss).
 *
 * The batch is one episode: group[i] = LF_EPISODE_SUPPORT or LF_EPISODE_QUERY, label[i] its
 * class (any int32; lf_sampler_episode writes 0..N-1). The prototype of a class is the mean of
 * its support rows; every query's class needs one.
 *   protonet: logits_qk = -||f_q - c_k||^2 / temperature, cross-entropy averaged over queries.
 *   proto-triplet: mean over queries of relu(d(q, c_y) - min_{k != y} d(q, c_k) + margin), with
 *     d = sqrt(||.||^2 + 1e-6) as the authors' code.
 *   icnn: -log S of the authors' modified_score (below), on the support set against itself
 *     (variant=support), the queries against the support set (query) or all rows together
 *     (full, with ipc = rows per class).
 * With ce=1 the proto-triplet and icnn values are (CE + loss) / 2, the paper's total for one
 * extra loss. Distances are squared through sgemm (embed.h); gradients flow through them only.
 *
 * ICNN score of origin rows O against target rows T (Euclidean d as above): k = min(k, |T|-2),
 * ipc = k + 1 (support, query) or rows per class (full). Each origin row takes its ipc + 1
 * nearest targets and drops the first (itself when T = O; as in the authors' code, the query
 * variant drops the nearest support row too). Of those, nn_i = the nearest of another class;
 * over the first k: u_ij = d_ij / (nn_i + eps), v_ij = u_ij / max(1, max_j u_ij);
 *   lam_sc = 1 - sum_i [sum_j same_ij v_ij / (c_i + eps)] / (#{c_i > 0} + eps)
 *   lam_dc = |sum_i [sum_j diff_ij d_ij / (G + eps) / (e_i + eps)] / (#{e_i > 0} + eps) + op|
 * with c_i / e_i the same / other-class counts, G the largest other-class distance of all rows,
 * op = -1 when no row has another-class neighbour (then lam_dc = 1); gamma = mean_i c_i / k, or
 * 1 when k was reduced; S = ((lam_sc + lam_dc) / 2 + gamma) / 2, eps = 1e-7. Fewer than 3
 * targets give 0 (the authors' code fails there). */
#include "loss/embed.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#define FS_DIST_EPS 1e-6  /* inside the square root of the authors' distances */
#define ICNN_EPS 1e-7

typedef struct fs_state {
    lf_embed_ws f;   /* floats */
    lf_embed_ws idx; /* int64 arrays (two floats each; malloc aligns for both) */
} fs_state;

static lf_status fs_init(const void *cfg, void **state)
{
    LF_UNUSED(cfg);
    *state = calloc(1, sizeof(fs_state));
    return *state ? LF_OK : lf_error(LF_ENOMEM, "few-shot loss: out of memory");
}

static void fs_free(void *state)
{
    fs_state *s = state;
    if (!s) return;
    lf_embed_ws_release(&s->f);
    lf_embed_ws_release(&s->idx);
    free(s);
}

/* ------------------------------------------------------------------ episodes */
typedef struct episode {
    int64_t n, d, ns, nq, nc;
    int64_t *srow, *qrow, *count; /* support rows, query rows, support rows per class */
    int32_t *cls;                 /* n: class index of every row */
    float *q, *proto;             /* nq × d queries, nc × d prototypes */
    float *d2, *gd2;              /* nq × nc squared distances and d loss / d them */
    float *dq, *dproto;           /* nq × d, nc × d */
    float *scratch;               /* 2n */
    float *f;                     /* the rest of the float workspace (ICNN) */
    int64_t *ix;                  /* the rest of the index workspace (ICNN) */
} episode;

/* Index of label y among the nc classes seen so far, or -1. */
static int64_t class_of(const int32_t *labels, int64_t nc, int32_t y)
{
    for (int64_t c = 0; c < nc; c++)
        if (labels[c] == y) return c;
    return -1;
}

static lf_status episode_layout(episode *e, fs_state *st, const lf_batch *b, const char *who)
{
    const int64_t n = b->n, d = b->k;
    int64_t nn, nd;
    if (lf_mul_overflows(n, n, &nn) || lf_mul_overflows(n, d, &nd) || nn > INT64_MAX / 16)
        return lf_error(LF_ENOMEM, "%s: an episode of %lld rows is too large", who, (long long)n);
    /* Upper bounds (nq, nc <= n): episode 4nd + 2nn + 2n; ICNN 4nd + 6nn + 2n. */
    float *f = lf_embed_ws_reserve(&st->f, (size_t)(8 * nd + 8 * nn + 4 * n), who);
    int64_t *ix = (int64_t *)lf_embed_ws_reserve(&st->idx, (size_t)(2 * (nn + 6 * n)), who);
    if (!f || !ix) return LF_ENOMEM;
    *e = (episode){.n = n, .d = d};
    e->srow = ix;
    e->qrow = ix + n;
    e->count = ix + 2 * n;
    e->cls = (int32_t *)(ix + 3 * n);
    e->ix = ix + 4 * n;
    e->q = f;
    e->proto = f + nd;
    e->dq = f + 2 * nd;
    e->dproto = f + 3 * nd;
    e->d2 = f + 4 * nd;
    e->gd2 = e->d2 + nn;
    e->scratch = e->gd2 + nn;
    e->f = e->scratch + 2 * n;
    return LF_OK;
}

/* Splits the batch into support and query rows, maps labels to classes, builds the prototypes
 * and the query-prototype squared distances. */
static lf_status episode_build(episode *e, fs_state *st, const lf_batch *b, const char *who)
{
    lf_status s = episode_layout(e, st, b, who);
    if (s != LF_OK) return s;
    const int64_t n = b->n, d = b->k;
    int32_t *labels = (int32_t *)e->scratch; /* class labels, n at most, until the distances */
    for (int64_t i = 0; i < n; i++) {
        const int32_t g = b->group[i];
        if (g != LF_EPISODE_SUPPORT && g != LF_EPISODE_QUERY)
            return lf_error(LF_EINVAL, "%s: group %d at row %lld is neither support (%d) nor query "
                            "(%d)", who, (int)g, (long long)i, LF_EPISODE_SUPPORT,
                            LF_EPISODE_QUERY);
        if (g != LF_EPISODE_SUPPORT) continue;
        int64_t c = class_of(labels, e->nc, b->label[i]);
        if (c < 0) {
            c = e->nc++;
            labels[c] = b->label[i];
            e->count[c] = 0;
        }
        e->cls[i] = (int32_t)c;
        e->count[c]++;
        e->srow[e->ns++] = i;
    }
    for (int64_t i = 0; i < n; i++) {
        if (b->group[i] != LF_EPISODE_QUERY) continue;
        int64_t c = class_of(labels, e->nc, b->label[i]);
        if (c < 0)
            return lf_error(LF_EINVAL, "%s: query row %lld has label %d, which no support row has",
                            who, (long long)i, (int)b->label[i]);
        e->cls[i] = (int32_t)c;
        e->qrow[e->nq++] = i;
    }
    if (e->nq == 0) return lf_error(LF_EINVAL, "%s: the episode has no query rows", who);
    memset(e->proto, 0, (size_t)(e->nc * d) * sizeof *e->proto);
    for (int64_t t = 0; t < e->ns; t++) {
        const int64_t i = e->srow[t], c = e->cls[i];
        const float w = 1.0f / (float)e->count[c];
        for (int64_t j = 0; j < d; j++) e->proto[c * d + j] += w * b->pred[i * d + j];
    }
    for (int64_t t = 0; t < e->nq; t++)
        memcpy(e->q + t * d, b->pred + e->qrow[t] * d, (size_t)d * sizeof *e->q);
    lf_embed_sqdist(e->q, e->nq, e->proto, e->nc, d, e->d2, e->scratch);
    memset(e->gd2, 0, (size_t)(e->nq * e->nc) * sizeof *e->gd2);
    return LF_OK;
}

/* dpred += the gradient collected in gd2, through the queries and the prototype means. */
static void episode_backward(episode *e, float *dpred)
{
    const int64_t d = e->d;
    memset(e->dq, 0, (size_t)(e->nq * d) * sizeof *e->dq);
    memset(e->dproto, 0, (size_t)(e->nc * d) * sizeof *e->dproto);
    lf_embed_sqdist_backward(e->q, e->nq, e->proto, e->nc, d, e->gd2, e->dq, e->dproto, e->scratch);
    for (int64_t t = 0; t < e->nq; t++) {
        float *o = dpred + e->qrow[t] * d;
        const float *g = e->dq + t * d;
        for (int64_t j = 0; j < d; j++) o[j] += g[j];
    }
    for (int64_t t = 0; t < e->ns; t++) {
        const int64_t i = e->srow[t], c = e->cls[i];
        const float w = 1.0f / (float)e->count[c];
        float *o = dpred + i * d;
        for (int64_t j = 0; j < d; j++) o[j] += w * e->dproto[c * d + j];
    }
}

/* Mean cross-entropy of the prototype logits; adds w * d/d d2 into gd2. */
static double protonet_ce(episode *e, double temperature, double w)
{
    const int64_t nq = e->nq, nc = e->nc;
    double total = 0;
    for (int64_t t = 0; t < nq; t++) {
        const float *r = e->d2 + t * nc;
        float *g = e->gd2 + t * nc;
        const int64_t y = e->cls[e->qrow[t]];
        double mn = r[0];
        for (int64_t c = 1; c < nc; c++) mn = r[c] < mn ? r[c] : mn;
        double s = 0;
        for (int64_t c = 0; c < nc; c++) s += exp(-(r[c] - mn) / temperature);
        total += (r[y] - mn) / temperature + log(s);
        /* logits = -d2 / T: d CE / d d2_c = -(p_c - [c = y]) / T */
        const double k = w / ((double)nq * temperature);
        for (int64_t c = 0; c < nc; c++) {
            double p = exp(-(r[c] - mn) / temperature) / s;
            g[c] += (float)(-k * (p - (c == y)));
        }
    }
    return total / (double)nq;
}

/* Mean Proto-Triplet loss over the queries; adds w * d/d d2 into gd2. */
static double proto_triplet(episode *e, double margin, double w)
{
    const int64_t nq = e->nq, nc = e->nc;
    double total = 0;
    for (int64_t t = 0; t < nq; t++) {
        const float *r = e->d2 + t * nc;
        const int64_t y = e->cls[e->qrow[t]];
        int64_t kn = -1;
        for (int64_t c = 0; c < nc; c++)
            if (c != y && (kn < 0 || r[c] < r[kn])) kn = c;
        if (kn < 0) continue; /* one class: no negative, the authors' min over nothing = inf */
        const double dp = sqrt((double)r[y] + FS_DIST_EPS), dn = sqrt((double)r[kn] + FS_DIST_EPS);
        const double v = dp - dn + margin;
        if (!(v > 0)) continue;
        total += v;
        const double k = w / (double)nq;
        e->gd2[t * nc + y] += (float)(k / (2 * dp));
        e->gd2[t * nc + kn] -= (float)(k / (2 * dn));
    }
    return total / (double)nq;
}

/* ------------------------------------------------------------------ ICNN score */
/* Origin rows, target rows and the neighbourhoods of one score. */
typedef struct icnn_set {
    int64_t no, nt, k, kk, ipc;
    int reduced;          /* k was cut to nt - 2: gamma = 1 */
    const int64_t *orow, *trow;
    int64_t *nb;          /* no × ipc: neighbour (target index), nearest first */
    float *dist;          /* no × ipc: their distances */
    float *gdist;         /* no × ipc: d(-log S) / d dist */
} icnn_set;

/* The ipc + 1 nearest targets of origin row i (selection by distance, ties by index), the first
 * dropped. */
static void icnn_neighbours(icnn_set *s, const float *d2, int64_t i, int64_t *pick)
{
    const int64_t nt = s->nt, m = s->ipc + 1;
    for (int64_t r = 0; r < m; r++) {
        int64_t best = -1;
        for (int64_t j = 0; j < nt; j++) {
            int taken = 0;
            for (int64_t q = 0; q < r && !taken; q++) taken = pick[q] == j;
            if (!taken && (best < 0 || d2[i * nt + j] < d2[i * nt + best])) best = j;
        }
        pick[r] = best;
    }
    for (int64_t r = 1; r < m; r++) {
        s->nb[i * s->ipc + r - 1] = pick[r];
        s->dist[i * s->ipc + r - 1] = (float)sqrt((double)d2[i * nt + pick[r]] + FS_DIST_EPS);
    }
}

static int icnn_same(const icnn_set *s, const int32_t *cls, int64_t i, int64_t j)
{
    return cls[s->orow[i]] == cls[s->trow[s->nb[i * s->ipc + j]]];
}

/* -log S; fills s->gdist when grad. */
static double icnn_score(icnn_set *s, const int32_t *cls, double *rowbuf, int grad)
{
    const int64_t no = s->no, kk = s->kk, ipc = s->ipc;
    double *u = rowbuf, *gu = rowbuf + kk;
    double sum_a = 0, sum_b = 0, g_max = 0, n_sc = 0, n_dc = 0, same_total = 0;
    int64_t gi = -1, gj = -1;
    for (int64_t i = 0; i < no; i++)
        for (int64_t j = 0; j < kk; j++)
            if (!icnn_same(s, cls, i, j) && (gi < 0 || s->dist[i * ipc + j] > g_max)) {
                g_max = s->dist[i * ipc + j];
                gi = i;
                gj = j;
            }
    /* Forward, per row: the same-class term A_i and the other-class term B_i. */
    for (int64_t i = 0; i < no; i++) {
        const float *dr = s->dist + i * ipc;
        double nn = INFINITY, c = 0, e = 0, a = 0, bsum = 0, mx = 1;
        for (int64_t j = 0; j < ipc; j++)
            if (!icnn_same(s, cls, i, j) && dr[j] < nn) nn = dr[j];
        for (int64_t j = 0; j < kk; j++) {
            int same = icnn_same(s, cls, i, j);
            u[j] = isinf(nn) ? 0 : dr[j] / (nn + ICNN_EPS);
            mx = u[j] > mx ? u[j] : mx;
            c += same;
            e += !same;
            if (!same) bsum += dr[j];
        }
        for (int64_t j = 0; j < kk; j++) a += icnn_same(s, cls, i, j) * u[j] / mx;
        sum_a += a / (c + ICNN_EPS);
        sum_b += bsum / ((g_max + ICNN_EPS) * (e + ICNN_EPS));
        n_sc += c > 0;
        n_dc += e > 0;
        same_total += c;
    }
    const double z_sc = n_sc + ICNN_EPS, z_dc = n_dc + ICNN_EPS;
    const double lam_sc = 1 - sum_a / z_sc;
    const int no_dc = n_dc == 0;
    const double lam_dc = no_dc ? 1.0 : fabs(sum_b / z_dc);
    const double gamma = s->reduced ? 1.0 : same_total / (double)s->k / (double)no;
    const double score = ((lam_sc + lam_dc) / 2 + gamma) / 2;
    if (!grad) return -log(score);
    /* d(-log S)/d lam_sc = d/d lam_dc = -1 / (4 S); lam_dc is constant when no_dc. */
    const double g_sc = -1 / (4 * score), g_dc = no_dc ? 0 : -1 / (4 * score);
    double g_gmax = 0;
    memset(s->gdist, 0, (size_t)(no * ipc) * sizeof *s->gdist);
    for (int64_t i = 0; i < no; i++) {
        const float *dr = s->dist + i * ipc;
        float *gr = s->gdist + i * ipc;
        double nn = INFINITY, c = 0, e = 0, bsum = 0, mx = 1;
        int64_t pn = -1, pm = -1;
        for (int64_t j = 0; j < ipc; j++)
            if (!icnn_same(s, cls, i, j) && dr[j] < nn) {
                nn = dr[j];
                pn = j;
            }
        for (int64_t j = 0; j < kk; j++) {
            int same = icnn_same(s, cls, i, j);
            u[j] = isinf(nn) ? 0 : dr[j] / (nn + ICNN_EPS);
            if (u[j] > mx) {
                mx = u[j];
                pm = j;
            }
            c += same;
            e += !same;
            if (!same) bsum += dr[j];
        }
        /* lam_sc = 1 - sum_i A_i / z_sc, A_i = sum_j same_ij u_ij / mx_i / (c_i + eps) */
        double dot = 0;
        for (int64_t j = 0; j < kk; j++) {
            double gv = -g_sc / z_sc * icnn_same(s, cls, i, j) / (c + ICNN_EPS);
            gu[j] = gv / mx;
            dot += gv * u[j];
        }
        if (pm >= 0) gu[pm] -= dot / (mx * mx);
        if (pn >= 0) {
            double to_nn = 0;
            for (int64_t j = 0; j < kk; j++) {
                gr[j] += (float)(gu[j] / (nn + ICNN_EPS));
                to_nn -= gu[j] * dr[j] / ((nn + ICNN_EPS) * (nn + ICNN_EPS));
            }
            gr[pn] += (float)to_nn;
        }
        /* lam_dc = sum_i B_i / z_dc, B_i = sum_j diff_ij d_ij / ((G + eps)(e_i + eps)) */
        const double gb = g_dc / z_dc, den = (g_max + ICNN_EPS) * (e + ICNN_EPS);
        for (int64_t j = 0; j < kk; j++)
            if (!icnn_same(s, cls, i, j)) gr[j] += (float)(gb / den);
        g_gmax -= gb * bsum / (den * (g_max + ICNN_EPS));
    }
    if (gi >= 0) s->gdist[gi * ipc + gj] += (float)g_gmax;
    return -log(score);
}

/* ------------------------------------------------------------------ losses */
enum { ICNN_SUPPORT, ICNN_QUERY, ICNN_FULL };

typedef struct icnn_cfg {
    int64_t k;
    int variant;
    int ce;
    double temperature;
} icnn_cfg;

/* Largest number of rows of one class in rows[0..m). */
static int64_t rows_per_class(const episode *e, const int64_t *rows, int64_t m)
{
    int64_t best = 0;
    for (int64_t c = 0; c < e->nc; c++) {
        int64_t k = 0;
        for (int64_t t = 0; t < m; t++) k += e->cls[rows[t]] == c;
        best = k > best ? k : best;
    }
    return best;
}

/* Adds w * -log S of the chosen variant into *value and w * its gradient into dpred. */
static void icnn_term(const icnn_cfg *c, episode *e, const lf_batch *b, double w, double *value,
                      float *dpred)
{
    const int64_t n = e->n, d = e->d;
    int64_t *all = e->ix, *nb = all + n, *pick = nb + n * n;
    for (int64_t t = 0; t < e->ns; t++) all[t] = e->srow[t];
    for (int64_t t = 0; t < e->nq; t++) all[e->ns + t] = e->qrow[t];
    icnn_set s = {.orow = c->variant == ICNN_QUERY ? e->qrow : all, .trow = all, .nb = nb};
    s.no = c->variant == ICNN_SUPPORT ? e->ns : c->variant == ICNN_QUERY ? e->nq : e->ns + e->nq;
    s.nt = c->variant == ICNN_FULL ? e->ns + e->nq : e->ns;
    if (s.nt < 3 || s.no < 1) return;
    s.k = c->k + 2 >= s.nt ? s.nt - 2 : c->k;
    s.reduced = s.k != c->k;
    s.ipc = c->variant == ICNN_FULL ? rows_per_class(e, all, s.nt) : s.k + 1;
    if (s.ipc > s.nt - 1) s.ipc = s.nt - 1;
    s.kk = s.k < s.ipc ? s.k : s.ipc;
    /* float workspace: xo, xt (n·d each), d2, gd2 (n·n), dist, gdist (n·n), dxo, dxt (n·d),
     * row buffers (2n doubles = 4n floats) */
    float *xo = e->f, *xt = xo + n * d, *d2 = xt + n * d, *gd2 = d2 + n * n;
    s.dist = gd2 + n * n;
    s.gdist = s.dist + n * n;
    float *dxo = s.gdist + n * n, *dxt = dxo + n * d;
    double *rowbuf = (double *)(void *)(dxt + n * d);
    for (int64_t i = 0; i < s.no; i++)
        memcpy(xo + i * d, b->pred + s.orow[i] * d, (size_t)d * sizeof *xo);
    for (int64_t j = 0; j < s.nt; j++)
        memcpy(xt + j * d, b->pred + s.trow[j] * d, (size_t)d * sizeof *xt);
    lf_embed_sqdist(xo, s.no, xt, s.nt, d, d2, e->scratch);
    for (int64_t i = 0; i < s.no; i++) icnn_neighbours(&s, d2, i, pick);
    *value += w * icnn_score(&s, e->cls, rowbuf, dpred != NULL);
    if (!dpred) return;
    memset(gd2, 0, (size_t)(s.no * s.nt) * sizeof *gd2);
    for (int64_t i = 0; i < s.no; i++)
        for (int64_t j = 0; j < s.ipc; j++) {
            const int64_t p = i * s.ipc + j;
            gd2[i * s.nt + s.nb[p]] += (float)(w * s.gdist[p] / (2.0 * s.dist[p]));
        }
    memset(dxo, 0, (size_t)(s.no * d) * sizeof *dxo);
    memset(dxt, 0, (size_t)(s.nt * d) * sizeof *dxt);
    lf_embed_sqdist_backward(xo, s.no, xt, s.nt, d, gd2, dxo, dxt, e->scratch);
    for (int64_t i = 0; i < s.no; i++)
        for (int64_t j = 0; j < d; j++) dpred[s.orow[i] * d + j] += dxo[i * d + j];
    for (int64_t i = 0; i < s.nt; i++)
        for (int64_t j = 0; j < d; j++) dpred[s.trow[i] * d + j] += dxt[i * d + j];
}

typedef struct protonet_cfg {
    double temperature;
} protonet_cfg;

typedef struct proto_triplet_cfg {
    double margin;
    int ce;
    double temperature;
} proto_triplet_cfg;

/* Shared frame: builds the episode, runs `extra` (may be NULL) next to the CE with weights
 * (CE alone: 1; CE + extra: 1/2 each; extra alone: 1), then the backward pass. */
typedef double (*extra_fn)(const void *cfg, episode *e, const lf_batch *b, double w, float *dpred);

static lf_status fewshot_eval(const char *who, const void *cfg, fs_state *st, const lf_batch *b,
                              int ce, double temperature, extra_fn extra, double *value,
                              float *dpred)
{
    episode e;
    lf_status s = episode_build(&e, st, b, who);
    if (s != LF_OK) return s;
    if (dpred) memset(dpred, 0, (size_t)(b->n * b->k) * sizeof *dpred);
    const double w = ce && extra ? 0.5 : 1.0;
    double v = 0;
    if (ce) v += w * protonet_ce(&e, temperature, w);
    if (extra) v += extra(cfg, &e, b, w, dpred);
    if (dpred) episode_backward(&e, dpred);
    *value = v;
    return LF_OK;
}

static lf_status protonet_eval(const void *cfg, void *state, const lf_batch *b, double *value,
                               float *dpred)
{
    const protonet_cfg *c = cfg;
    return fewshot_eval("loss \"protonet\"", cfg, state, b, 1, c->temperature, NULL, value, dpred);
}

static double proto_triplet_extra(const void *cfg, episode *e, const lf_batch *b, double w,
                                  float *dpred)
{
    LF_UNUSED(b);
    LF_UNUSED(dpred);
    return w * proto_triplet(e, ((const proto_triplet_cfg *)cfg)->margin, w);
}

static lf_status proto_triplet_eval(const void *cfg, void *state, const lf_batch *b,
                                    double *value, float *dpred)
{
    const proto_triplet_cfg *c = cfg;
    return fewshot_eval("loss \"proto-triplet\"", cfg, state, b, c->ce, c->temperature,
                        proto_triplet_extra, value, dpred);
}

static double icnn_extra(const void *cfg, episode *e, const lf_batch *b, double w, float *dpred)
{
    double v = 0;
    icnn_term(cfg, e, b, w, &v, dpred);
    return v;
}

static lf_status icnn_eval(const void *cfg, void *state, const lf_batch *b, double *value,
                           float *dpred)
{
    const icnn_cfg *c = cfg;
    return fewshot_eval("loss \"icnn\"", cfg, state, b, c->ce, c->temperature, icnn_extra, value,
                        dpred);
}

#define FS_VT(fn)                                                                              \
    {.needs = LF_NEED_LABEL | LF_NEED_GROUP | LF_LOSS_EPISODE, .init = fs_init,                \
     .free_state = fs_free, .eval = fn}
static const lf_loss_vt protonet_vt = FS_VT(protonet_eval);
static const lf_loss_vt proto_triplet_vt = FS_VT(proto_triplet_eval);
static const lf_loss_vt icnn_vt = FS_VT(icnn_eval);

#define FS_TEMPERATURE(type)                                                                   \
    LF_PARAM_FLOAT("temperature", 1.0, 0.0, 1e6, LF_OPEN_MIN,                                   \
                   "prototype logits are -squared distance / temperature", type, temperature)
#define FS_CE(type)                                                                            \
    LF_PARAM_BOOL("ce", 0,                                                                      \
                  "1: the value is (ProtoNet cross-entropy + this loss) / 2, the paper's "      \
                  "episode loss",                                                               \
                  type, ce)

static const lf_param_desc protonet_params[] = {FS_TEMPERATURE(protonet_cfg)};

const lf_desc lf_desc_loss_protonet = {
    .kind = LF_KIND_LOSS,
    .name = "protonet",
    .doc = "prototypical networks: cross-entropy over -squared distances to the support means "
           "(episode in group: support/query)",
    .paper = NULL,
    .params = protonet_params,
    .nparams = LF_NPARAMS(protonet_params),
    .cfg_size = sizeof(protonet_cfg),
    .impl = &protonet_vt,
};

static const lf_param_desc proto_triplet_params[] = {
    LF_PARAM_FLOAT("margin", 0.5, 0.0, 1e6, 0,
        "wanted gap between a query's own prototype and the nearest other one", proto_triplet_cfg,
        margin),
    FS_CE(proto_triplet_cfg),
    FS_TEMPERATURE(proto_triplet_cfg),
};

const lf_desc lf_desc_loss_proto_triplet = {
    .kind = LF_KIND_LOSS,
    .name = "proto-triplet",
    .doc = "triplet loss of each query against its prototype and the nearest other prototype",
    .paper = "susana",
    .params = proto_triplet_params,
    .nparams = LF_NPARAMS(proto_triplet_params),
    .cfg_size = sizeof(proto_triplet_cfg),
    .impl = &proto_triplet_vt,
};

static const lf_param_desc icnn_params[] = {
    LF_PARAM_INT("k", 4, 1, 1e6, "neighbours scored per row (cut to the targets - 2 on small sets)",
        icnn_cfg, k),
    LF_PARAM_ENUM("variant", ICNN_FULL, "support|query|full",
        "support: support set against itself; query: queries against the support set; full: all "
        "rows together", icnn_cfg, variant),
    FS_CE(icnn_cfg),
    FS_TEMPERATURE(icnn_cfg),
};

const lf_desc lf_desc_loss_icnn = {
    .kind = LF_KIND_LOSS,
    .name = "icnn",
    .doc = "-log of the inter/intra-class nearest-neighbour score of an episode's embeddings",
    .paper = "susana",
    .params = icnn_params,
    .nparams = LF_NPARAMS(icnn_params),
    .cfg_size = sizeof(icnn_cfg),
    .impl = &icnn_vt,
};
