/* Reduction, class weights and ignore_index shared by the multi-class losses on logits (ce, the
 * comp-sum family, ...): one parameter block, one weights parser, one row loop.
 *
 * A loss computes the loss of one row; this helper skips ignored rows (zero gradient), applies
 * sample weights and the reduction:
 *   mean: sum_i sw_i L_i / D over counted rows (label != ignore_index), where D is
 *         weighted_mean=sum_w: the sum of the counted rows' class weights w_{y_i} (PyTorch's
 *                          weighted mean; contributions depend on batch-mates, and class weights
 *                          cancel at batch size 1), or
 *         weighted_mean=n:     the number of counted rows (so mean = mean of 'none' rows, and
 *                          weights keep acting at batch size 1 and under gradient accumulation).
 *         Without class weights both are the number of counted rows. Sample weights sw_i do not
 *         enter D. D = 0 (every row ignored) gives 0, not NaN.
 *   sum:  sum_i sw_i L_i.
 *   none: the value is the sum, and dpred holds each row's own, unscaled gradient.
 */
#ifndef LF_LOSS_REDUCE_H
#define LF_LOSS_REDUCE_H

#include "internal.h"

#include <stddef.h>

enum { LF_RED_MEAN, LF_RED_SUM, LF_RED_NONE };
enum { LF_WMEAN_SUM_W, LF_WMEAN_N };

typedef struct lf_reduce_cfg {
    int reduction;
    int64_t ignore_index;
    char weights[LF_STR_MAX];
    int weighted_mean;
} lf_reduce_cfg;

/* The parameter-table entries of an lf_reduce_cfg held in field `f` of config struct `T`. */
#define LF_REDUCE_PARAMS(T, f)                                                                  \
    LF_PARAM_ENUM("reduction", LF_RED_MEAN, "mean|sum|none",                                    \
                  "mean: divide by D (see weighted_mean); sum; none: the value is the sum "     \
                  "and dpred holds each row's unscaled gradient",                               \
                  T, f.reduction),                                                              \
    LF_PARAM_INT("ignore_index", -100, INT32_MIN, INT32_MAX,                                    \
                 "rows with this label add no loss and no gradient and are not counted by "     \
                 "the mean",                                                                    \
                 T, f.ignore_index),                                                            \
    LF_PARAM_STR("weights", "", "class weights \"w0;w1;...\" (k numbers >= 0; empty = all 1)",  \
                 T, f.weights),                                                                 \
    LF_PARAM_ENUM("weighted_mean", LF_WMEAN_SUM_W, "sum_w|n",                                   \
                  "D of the mean: sum_w = the counted rows' summed class weight (PyTorch), "    \
                  "n = their number",                                                           \
                  T, f.weighted_mean)

/* Class weights parsed once, at loss creation. */
typedef struct lf_reduce {
    const char *loss;  /* loss name for messages (a descriptor's name: static) */
    int64_t nw;        /* number of class weights; 0 = none given */
    double wsum;
    double w[];
} lf_reduce;

lf_status lf_reduce_new(const char *loss, const lf_reduce_cfg *c, lf_reduce **out);
void lf_reduce_free(lf_reduce *r);

/* Labels of counted rows in [0, k). */
lf_status lf_reduce_check(const char *loss, const lf_reduce_cfg *c, const lf_batch *b);

static inline double lf_reduce_weight(const lf_reduce *r, int64_t c)
{
    return r->nw ? r->w[c] : 1.0;
}
/* sum_c w_c (k when unweighted). */
static inline double lf_reduce_wall(const lf_reduce *r, int64_t k)
{
    return r->nw ? r->wsum : (double)k;
}

/* Loss of one counted row with label y; with g != NULL also writes scale * dL/dx into g (k
 * floats). The class weight w_y is the row function's business (smoothing spreads it). */
typedef double (*lf_row_fn)(const void *ctx, const float *x, int64_t k, int32_t y, double scale,
                            float *g);

/* Runs row over the batch: ignored rows get a zero gradient, the others row(...) times their
 * sample weight, reduced as c says. dpred may be NULL. */
lf_status lf_reduce_rows(const lf_reduce_cfg *c, const lf_reduce *r, const lf_batch *b,
                         lf_row_fn row, const void *ctx, double *value, float *dpred);

#endif
