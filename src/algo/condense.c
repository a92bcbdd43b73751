/* Dataset condensation by gradient matching: DC (Zhao, Mopuri & Bilen, ICLR 2021) and DCC
 * (Lee, Chun, Jung, Yun & Yoon, ICML 2022), after the authors' code (VICO-UoE/DatasetCondensation
 * utils.match_loss / distance_wb; Saehyung-Lee/DCC main.py, utils.get_loops). Spec sheet §9.
 *
 * The bi-level loop (DCC main.py): every outer iteration draws a fresh network; then `inner`
 * times: one SGD step on the synthetic images S (lr_img, momentum 0.5) down the matching loss
 * of a fresh real batch (batch_real per class), followed (except after the last) by net_steps
 * full-batch SGD steps of the network on S (lr_net). DCC uses the class-wise DC loss while
 * outer < outer_warmup and inner < inner_warmup (its bi-level warm-up), its own loss after.
 *
 * The image gradient. With G(theta, S) = grad_theta CE(theta; S) and v = dD/dG at the current
 * point, dD/dS = d/dS <v, G(theta, S)> = grad_S [d/de CE(theta + e v; S)] at e = 0, which the
 * first-order tape gives as a central difference of two input gradients:
 *   (grad_S CE(theta + e v; S) - grad_S CE(theta - e v; S)) / 2e,   e = fd_eps / ||v||,
 * so theta moves by fd_eps in norm (DARTS' choice: 0.01). Its error is O(e^2) where the network
 * is smooth; a ReLU kink between theta - e v and theta + e v adds an O(1)-in-e error on the
 * few units it touches. The parameters are copied back bit for bit afterwards. */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MATCH_EPS 1e-6 /* distance_wb's guard in the cosine denominator */

/* ------------------------------------------------------------------ layer-wise distance */
/* One (out, rest) tensor: sum over rows of 1 - cos(a_r, b_r); adds d/da into da. */
static double rows_distance(const float *a, const float *b, int64_t rows, int64_t cols, float *da)
{
    double total = 0;
    for (int64_t r = 0; r < rows; r++) {
        const float *ar = a + r * cols, *br = b + r * cols;
        double ab = 0, aa = 0, bb = 0;
        for (int64_t j = 0; j < cols; j++) {
            ab += (double)ar[j] * br[j];
            aa += (double)ar[j] * ar[j];
            bb += (double)br[j] * br[j];
        }
        const double na = sqrt(aa), nb = sqrt(bb), den = na * nb + MATCH_EPS;
        total += 1 - ab / den;
        if (!da) continue;
        /* d/da [-ab / (|a||b| + eps)] = -b / den + ab |b| a / (|a| den^2). A row with a = 0
         * (a ReLU unit dead on every synthetic image) gets 0: the distance has a cone point
         * there (torch would give -b / eps), and the row stays 0 while S moves a little, so
         * its part of d D / d S is 0 anyway; a huge v there would only make the central
         * difference's parameter move flip dead units. */
        const double kb = na > 0 ? -1 / den : 0, ka = na > 0 ? ab * nb / (na * den * den) : 0;
        float *dr = da + r * cols;
        for (int64_t j = 0; j < cols; j++) dr[j] = (float)(kb * br[j] + ka * ar[j]);
    }
    return total;
}

double lf_grad_match_distance(const lf_params *p, const float *ga, const float *gb, float *dga)
{
    double total = 0;
    for (int i = 0; i < p->n; i++) {
        const lf_tensor *t = &p->t[i];
        const int64_t off = t->data - p->data;
        if (t->ndim < 2) {
            if (dga) memset(dga + off, 0, (size_t)t->size * sizeof *dga);
            continue;
        }
        total += rows_distance(ga + off, gb + off, t->shape[0], t->size / t->shape[0],
                               dga ? dga + off : NULL);
    }
    return total;
}

/* ------------------------------------------------------------------ one match */
/* What a matching step needs, allocated once per condensation. */
typedef struct matcher {
    lf_model *m;
    lf_tape *tape;
    lf_loss *ce;
    int nc;
    int64_t d, P;
    float *gt;      /* nc × P: real gradients per class (their mean in row 0 for DCC) */
    float *gs, *v;  /* P: synthetic gradient, d D / d gs */
    float *theta0;  /* P: the parameters during a central difference */
    float *gx;      /* rows × d: input gradient at theta + e v */
    int32_t *y;     /* labels of the largest pass */
} matcher;

static void matcher_release(matcher *w)
{
    lf_tape_free(w->tape);
    lf_loss_free(w->ce);
    free(w->gt);
    free(w->gs);
    free(w->v);
    free(w->theta0);
    free(w->gx);
    free(w->y);
}

static lf_status matcher_init(matcher *w, lf_model *m, int nc, int64_t max_rows)
{
    const lf_params *p = lf_model_params(m);
    *w = (matcher){.m = m, .nc = nc, .P = p->size, .d = 1};
    for (int i = 0; i < m->in_ndim; i++) w->d *= m->in_shape[i];
    lf_status s = lf_loss_create("ce", &w->ce);
    w->tape = lf_tape_new();
    w->gt = malloc((size_t)(nc * w->P) * sizeof *w->gt);
    w->gs = malloc((size_t)w->P * sizeof *w->gs);
    w->v = malloc((size_t)w->P * sizeof *w->v);
    w->theta0 = malloc((size_t)w->P * sizeof *w->theta0);
    w->gx = malloc((size_t)(max_rows * w->d) * sizeof *w->gx);
    w->y = malloc((size_t)max_rows * sizeof *w->y);
    if (s == LF_OK && !(w->tape && w->gt && w->gs && w->v && w->theta0 && w->gx && w->y))
        s = lf_error(LF_ENOMEM, "condense: out of memory");
    return s;
}

/* Labels of n class-major rows starting at class c0, `per` rows of each class. */
static void class_labels(matcher *w, int c0, int64_t n, int64_t per)
{
    for (int64_t i = 0; i < n; i++) w->y[i] = (int32_t)(c0 + i / per);
}

/* Mean cross-entropy of the model on x (n rows labelled as w->y), then backward: into the
 * parameter gradient slab (zeroed first) when gx is NULL, else into gx (n × d) with the
 * parameters frozen, which saves their gradient products. */
static lf_status ce_pass(matcher *w, const float *x, int64_t n, float *gx)
{
    lf_model *m = w->m;
    lf_params *p = lf_model_params(m);
    lf_tape *t = w->tape;
    lf_tape_reset(t);
    const int64_t shape[4] = {n, m->in_shape[0], m->in_shape[1], m->in_shape[2]};
    lf_tensor *xt = lf_tape_tensor(t, m->in_ndim + 1, shape, x);
    if (xt) xt->requires_grad = gx != NULL;
    for (int i = 0; i < p->n; i++) p->t[i].requires_grad = gx == NULL;
    lf_tensor *loss = lf_op_loss(t, w->ce, lf_model_forward(m, t, xt), &(lf_batch){.label = w->y});
    lf_status s = lf_tape_status(t);
    if (s == LF_OK && !gx) lf_params_zero_grad(p);
    if (s == LF_OK) s = lf_backward(t, loss);
    for (int i = 0; i < p->n; i++) p->t[i].requires_grad = 1;
    if (s != LF_OK || !gx) return s;
    const float *g = lf_tensor_grad(t, xt);
    if (!g) return lf_tape_status(t);
    memcpy(gx, g, (size_t)(n * w->d) * sizeof *gx);
    return LF_OK;
}

/* dx (n × d) = d <v, grad_theta CE(theta; x)> / dx by the central difference of two input
 * gradients at theta +- e v (see the top of the file). */
static lf_status image_grad(matcher *w, const float *x, int64_t n, double fd_eps, float *dx)
{
    lf_params *p = lf_model_params(w->m);
    const int64_t P = w->P, nd = n * w->d;
    double vv = 0;
    for (int64_t j = 0; j < P; j++) vv += (double)w->v[j] * w->v[j];
    if (!(vv > 0)) {
        memset(dx, 0, (size_t)nd * sizeof *dx);
        return LF_OK;
    }
    const double e = fd_eps / sqrt(vv);
    memcpy(w->theta0, p->data, (size_t)P * sizeof *w->theta0);
    for (int64_t j = 0; j < P; j++) p->data[j] = (float)(w->theta0[j] + e * w->v[j]);
    lf_status s = ce_pass(w, x, n, w->gx);
    for (int64_t j = 0; j < P; j++) p->data[j] = (float)(w->theta0[j] - e * w->v[j]);
    if (s == LF_OK) s = ce_pass(w, x, n, dx);
    memcpy(p->data, w->theta0, (size_t)P * sizeof *w->theta0);
    if (s != LF_OK) return s;
    const float k = (float)(1 / (2 * e));
    for (int64_t j = 0; j < nd; j++) dx[j] = (w->gx[j] - dx[j]) * k;
    return LF_OK;
}

/* Real gradients: class by class into w->gt rows (classwise), or their mean into row 0. */
static lf_status real_grads(matcher *w, const float *xr, int64_t n_real, int classwise)
{
    const lf_params *p = lf_model_params(w->m);
    const int64_t P = w->P;
    if (!classwise) memset(w->gt, 0, (size_t)P * sizeof *w->gt);
    lf_status s = LF_OK;
    for (int c = 0; c < w->nc && s == LF_OK; c++) {
        class_labels(w, c, n_real, n_real);
        s = ce_pass(w, xr + c * n_real * w->d, n_real, NULL);
        if (s != LF_OK) break;
        if (classwise) memcpy(w->gt + c * P, p->grad, (size_t)P * sizeof *w->gt);
        else
            for (int64_t j = 0; j < P; j++) w->gt[j] += p->grad[j] / (float)w->nc;
    }
    return s;
}

/* D(grad CE(theta; rows x, n of them, labelled from class c0, per per class), target) and, when
 * dx is set, its gradient with respect to x. */
static lf_status match_rows(matcher *w, const float *x, int64_t n, int c0, int64_t per,
                            const float *target, double fd_eps, double *value, float *dx)
{
    class_labels(w, c0, n, per);
    lf_status s = ce_pass(w, x, n, NULL);
    if (s != LF_OK) return s;
    const lf_params *p = lf_model_params(w->m);
    memcpy(w->gs, p->grad, (size_t)w->P * sizeof *w->gs);
    *value += lf_grad_match_distance(p, w->gs, target, dx ? w->v : NULL);
    return dx ? image_grad(w, x, n, fd_eps, dx) : LF_OK;
}

static lf_status match_step(matcher *w, int classwise, const float *xs, int64_t ipc,
                            const float *xr, int64_t n_real, double fd_eps, double *value,
                            float *dxs)
{
    lf_status s = real_grads(w, xr, n_real, classwise);
    *value = 0;
    if (!classwise) /* DCC: one CE over all of S against the class-averaged real gradient */
        return s == LF_OK ? match_rows(w, xs, w->nc * ipc, 0, ipc, w->gt, fd_eps, value, dxs) : s;
    const int64_t rows = ipc * w->d;
    for (int c = 0; c < w->nc && s == LF_OK; c++)
        s = match_rows(w, xs + c * rows, ipc, c, ipc, w->gt + c * w->P, fd_eps, value,
                       dxs ? dxs + c * rows : NULL);
    return s;
}

lf_status lf_condense_match(lf_model *m, lf_condense_method method, int n_classes,
                            const float *xs, int64_t ipc, const float *xr, int64_t n_real,
                            double fd_eps, double *value, float *dxs)
{
    if (!m || !xs || !xr || !value || n_classes < 1 || ipc < 1 || n_real < 1 || !(fd_eps > 0))
        return lf_error(LF_EINVAL, "condense match: needs a model, images, n_classes >= 1, ipc "
                        ">= 1, n_real >= 1 and fd_eps > 0");
    const int64_t most = (ipc > n_real ? ipc : n_real) * n_classes;
    matcher w;
    lf_status s = matcher_init(&w, m, n_classes, most);
    double v = 0;
    if (s == LF_OK)
        s = match_step(&w, method == LF_CONDENSE_DC, xs, ipc, xr, n_real, fd_eps, &v, dxs);
    matcher_release(&w);
    if (s == LF_OK) *value = v;
    return s;
}

/* ------------------------------------------------------------------ options */
void lf_condense_loops(int ipc, int *inner, int *net_steps)
{
    /* DCC utils.get_loops; ipc 20-40 (20,25), (30,20), (40,15) as there, others the nearest */
    static const int table[][3] = {{1, 10, 5},   {10, 10, 50}, {20, 20, 25},
                                   {30, 30, 20}, {40, 40, 15}, {50, 50, 10}};
    int best = 0;
    for (int i = 1; i < 6; i++)
        if (abs(table[i][0] - ipc) < abs(table[best][0] - ipc)) best = i;
    *inner = table[best][1];
    *net_steps = table[best][2];
}

void lf_condense_opts_default(lf_condense_opts *o)
{
    *o = (lf_condense_opts){.model = "mlp:128,act=sigmoid", .method = LF_CONDENSE_DC, .ipc = 1, .outer = 100,
                            .inner = 0, .net_steps = -1, .batch_real = 64, .lr_img = 0.1,
                            .momentum_img = 0.5, .lr_net = 0.01, .outer_warmup = 25,
                            .inner_warmup = 10, .fd_eps = 0.01, .seed = 1};
}

static lf_status check_opts(const lf_condense_opts *o, const lf_dataset *train)
{
    if (!o->model) return lf_error(LF_EINVAL, "condense: model spec missing");
    if (o->ipc < 1 || o->outer < 1 || o->inner < 0 || o->net_steps < -1 || o->batch_real < 1)
        return lf_error(LF_EINVAL, "condense: needs ipc >= 1, outer >= 1, inner >= 0, net_steps "
                        ">= -1 and batch_real >= 1 (got %d, %d, %d, %d, %d)", o->ipc, o->outer,
                        o->inner, o->net_steps, o->batch_real);
    if (!(o->lr_img > 0) || !(o->lr_net >= 0) || !(o->fd_eps > 0) ||
        !(o->momentum_img >= 0 && o->momentum_img < 1))
        return lf_error(LF_EINVAL, "condense: needs lr_img > 0, lr_net >= 0, fd_eps > 0 and "
                        "momentum_img in [0, 1)");
    if (o->method != LF_CONDENSE_DC && o->method != LF_CONDENSE_DCC)
        return lf_error(LF_EINVAL, "condense: unknown method %d", (int)o->method);
    if (!train || !train->y || train->n < 1 || train->n_classes < 2)
        return lf_error(LF_EINVAL, "condense: the training set needs labelled rows of 2 or more "
                        "classes");
    return LF_OK;
}

/* ------------------------------------------------------------------ the loop */
typedef struct condenser {
    const lf_condense_opts *o;
    const lf_dataset *train;
    int nc, inner, net_steps;
    int64_t d, ns, nr;   /* features, synthetic rows, real rows per match */
    lf_norm norm;        /* the standardisation of train */
    float *xs, *dxs;     /* ns × d synthetic images (standardised) and their gradient */
    float *xr;           /* nr × d real batch, class-major */
    int64_t *rows;       /* nr sampler rows */
    lf_sampler *sampler;
    lf_model *m;
    lf_optim *img_opt, *net_opt;
    matcher w;
    lf_rng rng;
} condenser;

/* The standardisation of train (lf_norm_fit). */
static lf_status standardisation(condenser *c)
{
    return lf_norm_fit(c->train, NULL, 0, &c->norm);
}

/* k rows of every class, class-major into x (standardised), from one P×K draw. */
static lf_status draw_real(condenser *c, int64_t k, float *x)
{
    lf_status s = lf_sampler_pk(c->sampler, c->nc, (int)k, c->rows);
    for (int64_t i = 0; s == LF_OK && i < c->nc * k; i += k) {
        const int32_t y = c->train->y[c->rows[i]];
        lf_gather_rows(c->train, c->rows + i, k, &c->norm, x + y * k * c->d, NULL);
    }
    return s;
}

static lf_status init_images(condenser *c)
{
    if (!c->o->init_noise) return draw_real(c, c->o->ipc, c->xs);
    for (int64_t j = 0; j < c->ns * c->d; j++) c->xs[j] = (float)lf_rng_normal(&c->rng);
    return LF_OK;
}

static lf_status condenser_build(condenser *c)
{
    const lf_condense_opts *o = c->o;
    const lf_dataset *ds = c->train;
    c->nc = ds->n_classes;
    c->d = ds->d;
    c->ns = (int64_t)c->nc * o->ipc;
    c->nr = (int64_t)c->nc * o->batch_real;
    lf_condense_loops(o->ipc, &c->inner, &c->net_steps);
    if (o->inner > 0) c->inner = o->inner;
    if (o->net_steps >= 0) c->net_steps = o->net_steps;
    lf_rng_seed(&c->rng, o->seed);
    c->xs = malloc((size_t)(c->ns * c->d) * sizeof *c->xs);
    c->dxs = malloc((size_t)(c->ns * c->d) * sizeof *c->dxs);
    c->xr = malloc((size_t)(c->nr * c->d) * sizeof *c->xr);
    c->rows = malloc((size_t)(c->nr > c->ns ? c->nr : c->ns) * sizeof *c->rows);
    if (!c->xs || !c->dxs || !c->xr || !c->rows)
        return lf_error(LF_ENOMEM, "condense: out of memory");
    char spec[128];
    snprintf(spec, sizeof spec, "sgd:lr=%.17g,momentum=%.17g", o->lr_img, o->momentum_img);
    lf_status s = standardisation(c);
    if (s == LF_OK) s = lf_sampler_create(ds->y, ds->n, NULL, 0, NULL, 0, lf_rng_u64(&c->rng),
                                          &c->sampler);
    if (s == LF_OK) s = lf_model_create(o->model, ds->ndim, ds->shape, c->nc, o->seed, &c->m);
    if (s == LF_OK) s = lf_optim_create(spec, c->ns * c->d, NULL, &c->img_opt);
    snprintf(spec, sizeof spec, "sgd:lr=%.17g", o->lr_net > 0 ? o->lr_net : 1);
    if (s == LF_OK) s = lf_optim_create(spec, lf_model_params(c->m)->size, NULL, &c->net_opt);
    const int64_t most = (o->ipc > o->batch_real ? o->ipc : o->batch_real) * (int64_t)c->nc;
    if (s == LF_OK) s = matcher_init(&c->w, c->m, c->nc, most);
    if (s == LF_OK) s = init_images(c);
    return s;
}

/* net_steps full-batch SGD steps of the network on the synthetic set. */
static lf_status train_net(condenser *c)
{
    lf_params *p = lf_model_params(c->m);
    lf_status s = LF_OK;
    for (int t = 0; t < c->net_steps && s == LF_OK && c->o->lr_net > 0; t++) {
        class_labels(&c->w, 0, c->ns, c->o->ipc);
        s = ce_pass(&c->w, c->xs, c->ns, NULL);
        if (s == LF_OK) s = lf_optim_step(c->net_opt, p->data, p->grad, 1.0);
    }
    return s;
}

/* One outer iteration; *loss: its mean matching loss. */
static lf_status outer_iteration(condenser *c, int ol, double *loss)
{
    const lf_condense_opts *o = c->o;
    lf_rng init = lf_rng_fork(&c->rng);
    lf_model_init_params(c->m, &init);
    double sum = 0;
    lf_status s = LF_OK;
    for (int il = 0; il < c->inner && s == LF_OK; il++) {
        const int classwise = o->method == LF_CONDENSE_DC ||
                              (ol < o->outer_warmup && il < o->inner_warmup);
        double v = 0;
        s = draw_real(c, o->batch_real, c->xr);
        if (s == LF_OK)
            s = match_step(&c->w, classwise, c->xs, o->ipc, c->xr, o->batch_real, o->fd_eps, &v,
                           c->dxs);
        if (s == LF_OK) s = lf_optim_step(c->img_opt, c->xs, c->dxs, 1.0);
        if (s == LF_OK && lf_first_nonfinite(c->xs, c->ns * c->d) >= 0)
            s = lf_error(LF_ENUMERIC, "condense: synthetic images became non-finite at outer "
                         "iteration %d, image update %d (lower lr_img?)", ol + 1, il + 1);
        sum += v;
        if (s == LF_OK && il + 1 < c->inner) s = train_net(c);
    }
    *loss = sum / c->inner;
    return s;
}

/* The synthetic images in the training set's raw units, as a dataset. */
static lf_status export_set(const condenser *c, lf_dataset *syn)
{
    const lf_dataset *ds = c->train;
    lf_dataset out = {.n = c->ns, .d = c->d, .ndim = ds->ndim, .n_classes = c->nc};
    memcpy(out.shape, ds->shape, sizeof out.shape);
    snprintf(out.name, sizeof out.name, "%.100s-%s-ipc%d", ds->name,
             c->o->method == LF_CONDENSE_DC ? "dc" : "dcc", c->o->ipc);
    out.x = malloc((size_t)(c->ns * c->d) * sizeof *out.x);
    out.y = malloc((size_t)c->ns * sizeof *out.y);
    if (!out.x || !out.y) {
        lf_dataset_release(&out);
        return lf_error(LF_ENOMEM, "condense: out of memory");
    }
    for (int64_t i = 0; i < c->ns; i++) {
        out.y[i] = (int32_t)(i / c->o->ipc);
        for (int64_t j = 0; j < c->d; j++)
            out.x[i * c->d + j] = c->xs[i * c->d + j] * c->norm.std[j] + c->norm.mean[j];
    }
    *syn = out;
    return LF_OK;
}

/* The on_outer hook with the set after `done` outer iterations, when it is due. */
static lf_status report_set(const condenser *c, int done)
{
    const lf_condense_opts *o = c->o;
    const int due = done == 0 || done == o->outer || (o->every > 0 && done % o->every == 0);
    if (!o->on_outer || !due) return LF_OK;
    lf_dataset syn;
    lf_status s = export_set(c, &syn);
    if (s == LF_OK) s = o->on_outer(o->user, done, &syn);
    lf_dataset_release(&syn);
    return s;
}

static lf_status run(condenser *c, lf_condense_result *r)
{
    const lf_condense_opts *o = c->o;
    lf_progress bar;
    if (o->progress) lf_progress_begin(&bar, o->method == LF_CONDENSE_DC ? "DC" : "DCC", o->outer,
                                       o->progress == 2);
    const double t0 = lf_now();
    lf_status s = report_set(c, 0);
    for (int ol = 0; ol < o->outer && s == LF_OK; ol++) {
        double loss;
        s = outer_iteration(c, ol, &loss);
        if (s != LF_OK) break;
        if (ol == 0) r->first_match = loss;
        r->last_match = loss;
        if (o->curve) o->curve[ol] = loss;
        if (o->progress) lf_progress_update(&bar, ol + 1, "matching loss %.4f", loss);
        s = report_set(c, ol + 1);
    }
    r->seconds = lf_now() - t0;
    if (o->progress) lf_progress_end(&bar, s == LF_OK ? "matching loss %.4f -> %.4f" : "stopped",
                                     r->first_match, r->last_match);
    return s;
}

static void condenser_release(condenser *c)
{
    matcher_release(&c->w);
    lf_norm_release(&c->norm);
    free(c->xs);
    free(c->dxs);
    free(c->xr);
    free(c->rows);
    lf_sampler_free(c->sampler);
    lf_model_free(c->m);
    lf_optim_free(c->img_opt);
    lf_optim_free(c->net_opt);
}

lf_status lf_condense(const lf_condense_opts *o, const lf_dataset *train, lf_dataset *syn,
                      lf_condense_result *res)
{
    if (!o || !syn) return lf_error(LF_EINVAL, "condense: options or output missing");
    lf_status s = check_opts(o, train);
    if (s != LF_OK) return s;
    if (o->threads > 0) lf_set_threads(o->threads);
    condenser c = {.o = o, .train = train};
    lf_condense_result r = {0};
    s = condenser_build(&c);
    if (s == LF_OK) s = run(&c, &r);
    if (s == LF_OK) s = export_set(&c, syn);
    if (s == LF_OK && res) *res = r;
    condenser_release(&c);
    return s;
}

/* ------------------------------------------------------------------ evaluation */
typedef struct eval_hook {
    const lf_dataset *test;
    int epochs;
    double acc;
} eval_hook;

/* After the last epoch: test accuracy with the standardisation lf_train used. */
static lf_status eval_last(void *user, lf_model *m, const lf_norm *norm, const lf_epoch_stats *e)
{
    eval_hook *h = user;
    if (e->epoch < h->epochs) return LF_OK;
    return lf_evaluate(m, NULL, h->test, NULL, 0, norm, 512, &h->acc, NULL, NULL);
}

lf_status lf_condense_evaluate(const lf_dataset *syn, const lf_dataset *test, const char *model,
                               const char *optim, int epochs, int models, uint64_t seed,
                               double *acc, double *mean, double *sd)
{
    if (!syn || !test || test->n < 1 || !model || !optim || epochs < 1 || models < 1)
        return lf_error(LF_EINVAL, "condense evaluate: needs a synthetic set, a test set with "
                        "rows, model and optim specs, epochs >= 1 and models >= 1");
    lf_train_opts o;
    lf_train_opts_default(&o);
    eval_hook h = {.test = test, .epochs = epochs};
    o.model = model;
    o.optim = optim;
    o.schedule = "cosine";
    o.epochs = epochs;
    o.batch = 256;
    o.on_epoch = eval_last;
    o.user = &h;
    const lf_dataset none = {0};
    double sum = 0, sq = 0;
    for (int i = 0; i < models; i++) {
        o.seed = seed + (uint64_t)i;
        lf_status s = lf_train(&o, syn, &none, NULL, NULL);
        if (s != LF_OK) return s;
        if (acc) acc[i] = h.acc;
        sum += h.acc;
        sq += h.acc * h.acc;
    }
    const double m = sum / models;
    if (mean) *mean = m;
    if (sd) *sd = models > 1 ? sqrt(fmax(0, (sq - models * m * m) / (models - 1))) : 0;
    return LF_OK;
}
