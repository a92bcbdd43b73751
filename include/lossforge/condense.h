/* lossforge/condense.h — Dataset condensation (DC, DCC): learning a small synthetic training set
 * by gradient matching, and image grids of it.
 * Part of liblossforge; the core types come from lossforge.h. */
#ifndef LOSSFORGE_CONDENSE_H
#define LOSSFORGE_CONDENSE_H

#include "lossforge.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ dataset condensation */
/* Gradient-matching dataset condensation (src/algo/condense.c): DC (Zhao, Mopuri, Bilen 2021)
 * and DCC (Lee et al. 2022). A synthetic set S of `ipc` images per class is learned so that a
 * network's gradient on S matches its gradient on real data, over many fresh initialisations.
 *   DC:  min_S sum_c D(grad CE(theta; S_c), grad CE(theta; T_c)), class by class;
 *   DCC: min_S D(grad CE(theta; S), (1/C) sum_c grad CE(theta; T_c)), one CE over all of S
 *        against the class-averaged real gradient (the contrastive signal between classes).
 * D is the layer-wise distance of lf_grad_match_distance. The gradient of D with respect to
 * the images, d/dS <v, grad_theta CE(theta; S)> with v = dD / d grad, is a Hessian-vector
 * product; the first-order tape gives it by central differences,
 *   (grad_S CE(theta + e v; S) - grad_S CE(theta - e v; S)) / 2e,   e = fd_eps / ||v||. */

/* The layer-wise distance of DC's code (distance_wb): every parameter tensor of p with two or
 * more dimensions is viewed as rows (out, rest) and contributes
 *   sum_rows 1 - <a_r, b_r> / (||a_r|| ||b_r|| + 1e-6);
 * one-dimensional tensors (biases) contribute 0. ga, gb: p->size floats laid out as p's slab.
 * dga (may be NULL, p->size floats, overwritten): d D / d ga. */
double lf_grad_match_distance(const lf_params *p, const float *ga, const float *gb, float *dga);

typedef enum lf_condense_method { LF_CONDENSE_DC, LF_CONDENSE_DCC } lf_condense_method;

/* One image update's matching objective and its gradient with respect to the synthetic images,
 * at m's current parameters. xs: n_classes * ipc synthetic rows as the model sees them,
 * class-major (rows c*ipc .. c*ipc+ipc-1 are class c); xr: n_classes * n_real real rows, the
 * same way. DCC sums over classes with the class-wise (DC) loss instead when `classwise` is set
 * (the bi-level warm-up). dxs (n_classes * ipc * d floats, may be NULL): the central-difference
 * gradient. The parameters come back bit-identical; their gradient slab is overwritten. */
lf_status lf_condense_match(lf_model *m, lf_condense_method method, int n_classes,
                            const float *xs, int64_t ipc, const float *xr, int64_t n_real,
                            double fd_eps, double *value, float *dxs);

typedef struct lf_condense_opts {
    const char *model;        /* the network the gradients are matched on */
    lf_condense_method method;
    int ipc;                  /* synthetic images per class */
    int outer;                /* outer iterations, each from a fresh network initialisation */
    int inner;                /* image updates per outer iteration; 0 = get_loops(ipc) */
    int net_steps;            /* network SGD steps on S between image updates; -1 = get_loops */
    int batch_real;           /* real images per class in each match */
    double lr_img, momentum_img; /* SGD on the images (DC: 0.1, 0.5) */
    double lr_net;            /* SGD on the network (DC: 0.01) */
    int outer_warmup, inner_warmup; /* DCC: class-wise DC while outer < ow and inner < iw */
    double fd_eps;            /* central-difference step, as a norm of the parameter move */
    int init_noise;           /* 0: start from random real images (DC); 1: from N(0, 1) */
    uint64_t seed;
    int threads;
    int progress;             /* 0 none, 1 plain lines, 2 tty bar */
    double *curve;            /* NULL or `outer` doubles: mean matching loss per outer iteration */
    /* Called (may be NULL) with the synthetic set so far, as lf_condense returns it, before the
     * first outer iteration (done = 0) and after every `every` of them and the last; a status
     * other than LF_OK stops condensation with it. */
    lf_status (*on_outer)(void *user, int done, const lf_dataset *syn);
    int every;
    void *user;
} lf_condense_opts;

/* DC defaults: mlp:128, ipc 1, 100 outer iterations, get_loops, 64 real images per class,
 * lr_img 0.1, momentum 0.5, lr_net 0.01, warm-up outer/4 and inner 10, fd_eps 0.01, seed 1. */
void lf_condense_opts_default(lf_condense_opts *o);
/* get_loops(ipc) of the DCC code: (inner, net_steps) = (10, 5) for ipc 1, (10, 50) for ipc 10,
 * (50, 10) for ipc 50; between those the nearest. */
void lf_condense_loops(int ipc, int *inner, int *net_steps);

typedef struct lf_condense_result {
    double first_match, last_match; /* mean matching loss of the first / last outer iteration */
    double seconds;
} lf_condense_result;

/* Learns n_classes * ipc synthetic images from train (standardised inside with its scalar
 * moments for images, per-feature ones otherwise). syn receives them in train's raw units (x as
 * floats, class-major labels, train's shape and class count); release with lf_dataset_release. */
lf_status lf_condense(const lf_condense_opts *o, const lf_dataset *train, lf_dataset *syn,
                      lf_condense_result *res);

/* Trains `models` fresh networks of spec `model` on syn (seeds seed .. seed+models-1; optim
 * spec, `epochs` full passes in batches of 256, cosine schedule; lf_train standardises with
 * syn's own moments) and scores each on test: acc (models doubles, may be NULL), their mean
 * and sd (ddof 1; 0 for one model). */
lf_status lf_condense_evaluate(const lf_dataset *syn, const lf_dataset *test, const char *model,
                               const char *optim, int epochs, int models, uint64_t seed,
                               double *acc, double *mean, double *sd);

/* Writes the images x (n × h × w, row-major) as an SVG grid of `cols` columns, grey levels
 * mapped from [lo, hi] (clamped) in 16 steps, one path per level with runs of equal pixels
 * merged, and downsampled by 2 (or more) when the grid would exceed ~20000 pixels, so the file
 * stays small. labels (n strings, may be NULL) go under the images. */
lf_status lf_image_grid_svg(const char *path, const char *title, const float *x, int64_t n,
                            int64_t h, int64_t w, int cols, float lo, float hi,
                            const char *const *labels);

#ifdef __cplusplus
}
#endif
#endif
