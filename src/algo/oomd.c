/* Optimistic online mirror descent for online convex optimisation (Chen, Zhang, Tu, Zhao &
 * Zhang 2023, "Optimistic Online Mirror Descent for Bridging Stochastic and Adversarial Online
 * Convex Optimization"), with the plain (hint-free) OGD / Hedge learner as its M_t = 0 case.
 * The updates are in lossforge.h; here:
 *   ball:    x_t = P(xh_t - eta_t M_t),  xh_{t+1} = P(xh_t - eta_t g_t),  P(y) = y*min(1, R/|y|);
 *   simplex: x_t ∝ xh_t * exp(-eta_t M_t), xh_{t+1} ∝ xh_t * exp(-eta_t g_t), computed in the log
 *            domain with the maximum subtracted (exp never overflows, no weight underflows to a
 *            NaN).
 * Step-size rules (spec sheet §2b; the adaptive and strongly convex forms are from memory of
 * the paper's Theorems 1-2, flagged there as to be checked against the PDF):
 *   adaptive: eta_t = min(D / sqrt(delta + sum_{s<t} ||g_s - M_s||_*^2), 1/(4L)), the same
 *             eta_t for both half-steps of a round, so it uses only g_1..g_{t-1};
 *   strong:   eta_t = 2 / (lambda t);  sqrt: eta / sqrt(t);  constant: eta. */
#include "internal.h"

#include <math.h>
#include <string.h>

struct lf_oomd {
    lf_oomd_opts o;
    int64_t d, t;
    double diam, delta, var; /* var: sum of ||g_s - M_s||_*^2 over past rounds */
    double eta;              /* eta_t of the current round */
    double *x, *xh, *hint;   /* x_t, xh_t, M_t: one allocation of 3d */
};

void lf_oomd_opts_default(lf_oomd_opts *o)
{
    *o = (lf_oomd_opts){.domain = LF_OOMD_BALL, .optimistic = 1, .rule = LF_OOMD_ADAPTIVE,
                        .eta = 1, .radius = 1, .lipschitz = 0, .delta = 0, .lambda = 1};
}

static lf_status check_opts(int64_t d, const lf_oomd_opts *o)
{
    if (d < 1) return lf_error(LF_EINVAL, "oomd: dimension d = %lld must be >= 1", (long long)d);
    if (o->domain != LF_OOMD_BALL && o->domain != LF_OOMD_SIMPLEX)
        return lf_error(LF_EINVAL, "oomd: domain %d is not ball (0) or simplex (1)", o->domain);
    if (o->rule < LF_OOMD_CONSTANT || o->rule > LF_OOMD_STRONG)
        return lf_error(LF_EINVAL, "oomd: rule %d is not constant, sqrt, adaptive or strong",
                        o->rule);
    if (o->domain == LF_OOMD_BALL && !(o->radius > 0 && isfinite(o->radius)))
        return lf_error(LF_EINVAL, "oomd: radius must be finite and > 0, got %g", o->radius);
    if ((o->rule == LF_OOMD_CONSTANT || o->rule == LF_OOMD_SQRT) && !(o->eta > 0 && isfinite(o->eta)))
        return lf_error(LF_EINVAL, "oomd: eta must be finite and > 0, got %g", o->eta);
    if (!(o->lipschitz >= 0 && isfinite(o->lipschitz)))
        return lf_error(LF_EINVAL, "oomd: lipschitz must be finite and >= 0, got %g", o->lipschitz);
    if (!(o->delta >= 0 && isfinite(o->delta)))
        return lf_error(LF_EINVAL, "oomd: delta must be finite and >= 0, got %g", o->delta);
    if (o->rule == LF_OOMD_STRONG && !(o->lambda > 0 && isfinite(o->lambda)))
        return lf_error(LF_EINVAL, "oomd: lambda must be finite and > 0, got %g", o->lambda);
    return LF_OK;
}

static double step_size(const lf_oomd *l)
{
    const lf_oomd_opts *o = &l->o;
    const double t = (double)l->t;
    switch (o->rule) {
    case LF_OOMD_CONSTANT: return o->eta;
    case LF_OOMD_SQRT: return o->eta / sqrt(t);
    case LF_OOMD_STRONG: return 2.0 / (o->lambda * t);
    default: {
        const double eta = l->diam / sqrt(l->delta + l->var);
        return o->lipschitz > 0 ? fmin(eta, 1.0 / (4.0 * o->lipschitz)) : eta;
    }
    }
}

/* out = the mirror step from xh along v with step eta (out may not alias xh). */
static void mirror_step(const lf_oomd *l, const double *v, double eta, double *out)
{
    const int64_t d = l->d;
    const double *xh = l->xh;
    if (l->o.domain == LF_OOMD_BALL) {
        double sq = 0;
        for (int64_t i = 0; i < d; i++) {
            out[i] = xh[i] - eta * v[i];
            sq += out[i] * out[i];
        }
        const double nrm = sqrt(sq), R = l->o.radius;
        if (nrm > R)
            for (int64_t i = 0; i < d; i++) out[i] *= R / nrm;
        return;
    }
    double mx = -INFINITY, sum = 0;
    for (int64_t i = 0; i < d; i++) {
        out[i] = log(xh[i]) - eta * v[i];
        mx = fmax(mx, out[i]);
    }
    for (int64_t i = 0; i < d; i++) sum += out[i] = exp(out[i] - mx);
    for (int64_t i = 0; i < d; i++) out[i] /= sum;
}

/* eta_t and x_t of the round just begun. */
static void begin_round(lf_oomd *l)
{
    l->eta = step_size(l);
    mirror_step(l, l->hint, l->eta, l->x);
}

lf_status lf_oomd_create(int64_t d, const lf_oomd_opts *o, lf_oomd **out)
{
    if (!o || !out) return lf_error(LF_EINVAL, "oomd: options or out is NULL");
    lf_status s = check_opts(d, o);
    if (s != LF_OK) return s;
    lf_oomd *l = calloc(1, sizeof *l);
    double *buf = calloc((size_t)(3 * d), sizeof *buf);
    if (!l || !buf) {
        free(l);
        free(buf);
        return lf_error(LF_ENOMEM, "oomd: out of memory for d = %lld", (long long)d);
    }
    l->o = *o;
    l->d = d;
    l->t = 1;
    l->x = buf;
    l->xh = buf + d;
    l->hint = buf + 2 * d;
    const int ball = o->domain == LF_OOMD_BALL;
    /* xh_1: the centre of X (the origin; the uniform distribution). */
    if (!ball)
        for (int64_t i = 0; i < d; i++) l->xh[i] = 1.0 / (double)d;
    l->diam = ball ? 2 * o->radius : sqrt(log((double)d));
    l->delta = o->delta > 0 ? o->delta : l->diam * l->diam * (o->lipschitz > 0 ? o->lipschitz * o->lipschitz : 1);
    /* d = 1 on the simplex has D = 0: one point, every step size plays it. */
    if (l->delta == 0) l->delta = 1;
    begin_round(l);
    *out = l;
    return LF_OK;
}

void lf_oomd_free(lf_oomd *l)
{
    if (!l) return;
    free(l->x);
    free(l);
}

const double *lf_oomd_play(const lf_oomd *l) { return l->x; }
double lf_oomd_eta(const lf_oomd *l) { return l->eta; }
int64_t lf_oomd_round(const lf_oomd *l) { return l->t; }

lf_status lf_oomd_update(lf_oomd *l, const double *g)
{
    if (!l || !g) return lf_error(LF_EINVAL, "oomd: learner or gradient is NULL");
    const int64_t d = l->d;
    double dev = 0;
    for (int64_t i = 0; i < d; i++) {
        if (!isfinite(g[i]))
            return lf_error(LF_ENUMERIC, "oomd: gradient coordinate %lld is %g in round %lld",
                            (long long)i, g[i], (long long)l->t);
        const double e = fabs(g[i] - l->hint[i]);
        dev = l->o.domain == LF_OOMD_BALL ? dev + e * e : fmax(dev, e);
    }
    l->var += l->o.domain == LF_OOMD_BALL ? dev : dev * dev;
    /* xh_{t+1} goes through x (free once the round's play is over), then becomes xh. */
    mirror_step(l, g, l->eta, l->x);
    memcpy(l->xh, l->x, (size_t)d * sizeof *l->xh);
    if (l->o.optimistic) memcpy(l->hint, g, (size_t)d * sizeof *l->hint);
    l->t++;
    begin_round(l);
    return LF_OK;
}

/* ------------------------------------------------------------------ the ball's least-squares fit */
/* Cholesky of the d×d matrix a + mu*I into l; 0 when not positive definite. */
static int cholesky(int64_t d, const double *a, double mu, double *l)
{
    for (int64_t i = 0; i < d; i++)
        for (int64_t j = 0; j <= i; j++) {
            double s = a[i * d + j] + (i == j ? mu : 0);
            for (int64_t k = 0; k < j; k++) s -= l[i * d + k] * l[j * d + k];
            if (i == j) {
                if (!(s > 1e-300)) return 0;
                l[i * d + i] = sqrt(s);
            } else {
                l[i * d + j] = s / l[j * d + j];
            }
        }
    return 1;
}

/* x = (A + mu I)^-1 c through the Cholesky factor l (d×d scratch); returns |x|, or INFINITY
 * (x untouched) when A + mu I is not positive definite. */
static double ridge(int64_t d, const double *A, const double *c, double mu, double *l, double *x)
{
    if (!cholesky(d, A, mu, l)) return INFINITY;
    for (int64_t i = 0; i < d; i++) {
        double s = c[i];
        for (int64_t k = 0; k < i; k++) s -= l[i * d + k] * x[k];
        x[i] = s / l[i * d + i];
    }
    double sq = 0;
    for (int64_t i = d - 1; i >= 0; i--) {
        double s = x[i];
        for (int64_t k = i + 1; k < d; k++) s -= l[k * d + i] * x[k];
        x[i] = s / l[i * d + i];
        sq += x[i] * x[i];
    }
    return sqrt(sq);
}

lf_status lf_oomd_lsq_best(int64_t d, const double *A, const double *c, double bb, double radius,
                           double *x, double *value)
{
    if (!A || !c || !value) return lf_error(LF_EINVAL, "oomd_lsq_best: A, c or value is NULL");
    if (d < 1) return lf_error(LF_EINVAL, "oomd_lsq_best: dimension d = %lld must be >= 1",
                               (long long)d);
    if (!(radius > 0 && isfinite(radius)))
        return lf_error(LF_EINVAL, "oomd_lsq_best: radius must be finite and > 0, got %g", radius);
    int finite = isfinite(bb) != 0;
    for (int64_t i = 0; i < d * d; i++) finite &= isfinite(A[i]) != 0;
    for (int64_t i = 0; i < d; i++) finite &= isfinite(c[i]) != 0;
    if (!finite) return lf_error(LF_ENUMERIC, "oomd_lsq_best: A, c or bb is not finite");
    double *l = malloc((size_t)(d * d + d) * sizeof *l);
    if (!l) return lf_error(LF_ENOMEM, "oomd_lsq_best: out of memory for d = %lld", (long long)d);
    double *xs = l + d * d;
    if (ridge(d, A, c, 0, l, xs) > radius) {
        double lo = 0, hi = 1;
        while (ridge(d, A, c, hi, l, xs) > radius) hi *= 2;
        for (int it = 0; it < 200 && hi - lo > 1e-15 * hi; it++) {
            const double mid = 0.5 * (lo + hi);
            if (ridge(d, A, c, mid, l, xs) > radius) lo = mid;
            else hi = mid;
        }
        ridge(d, A, c, hi, l, xs);
    }
    double v = 0.5 * bb;
    for (int64_t i = 0; i < d; i++) {
        double ax = 0;
        for (int64_t j = 0; j < d; j++) ax += A[i * d + j] * xs[j];
        v += 0.5 * xs[i] * ax - c[i] * xs[i];
    }
    if (x) memcpy(x, xs, (size_t)d * sizeof *x);
    *value = v;
    free(l);
    return LF_OK;
}
