/* Reduction, class weights and ignore_index of the multi-class losses (see reduce.h). */
#include "loss/reduce.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

static lf_status parse_weights(const char *text, lf_reduce *r)
{
    const char *p = text;
    while (isspace((unsigned char)*p)) p++;
    if (!*p) return LF_OK;
    for (;;) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || !isfinite(v) || v < 0)
            return lf_error(LF_EINVAL,
                            "loss \"%s\": parameter \"weights\" item %lld must be a finite number "
                            ">= 0, in \"%s\"", r->loss, (long long)r->nw + 1, text);
        r->w[r->nw++] = v;
        r->wsum += v;
        while (isspace((unsigned char)*end)) end++;
        if (!*end) return LF_OK;
        if (*end != ';')
            return lf_error(LF_EINVAL, "loss \"%s\": parameter \"weights\": expected ';' at \"%s\"",
                            r->loss, end);
        p = end + 1;
    }
}

lf_status lf_reduce_new(const char *loss, const lf_reduce_cfg *c, lf_reduce **out)
{
    /* Every item takes at least one character plus its separator. */
    size_t cap = strlen(c->weights) / 2 + 1;
    lf_reduce *r = calloc(1, sizeof *r + cap * sizeof r->w[0]);
    if (!r) return lf_error(LF_ENOMEM, "loss \"%s\": out of memory", loss);
    r->loss = loss;
    lf_status s = parse_weights(c->weights, r);
    if (s != LF_OK) {
        free(r);
        return s;
    }
    *out = r;
    return LF_OK;
}

void lf_reduce_free(lf_reduce *r) { free(r); }

static int counted(const lf_reduce_cfg *c, int32_t y) { return (int64_t)y != c->ignore_index; }

lf_status lf_reduce_check(const char *loss, const lf_reduce_cfg *c, const lf_batch *b)
{
    for (int64_t i = 0; i < b->n; i++) {
        int32_t y = b->label[i];
        if (counted(c, y) && (y < 0 || y >= b->k))
            return lf_error(LF_EINVAL,
                            "loss \"%s\": label %d at row %lld is outside [0, k), k = %lld", loss,
                            (int)y, (long long)i, (long long)b->k);
    }
    return LF_OK;
}

/* The mean's denominator D (reduce.h). */
static double denominator(const lf_reduce_cfg *c, const lf_reduce *r, const lf_batch *b)
{
    const int by_weight = c->weighted_mean == LF_WMEAN_SUM_W;
    double d = 0;
    for (int64_t i = 0; i < b->n; i++)
        if (counted(c, b->label[i])) d += by_weight ? lf_reduce_weight(r, b->label[i]) : 1.0;
    return d;
}

lf_status lf_reduce_rows(const lf_reduce_cfg *c, const lf_reduce *r, const lf_batch *b,
                         lf_row_fn row, const void *ctx, double *value, float *dpred)
{
    if (r->nw && r->nw != b->k)
        return lf_error(LF_EINVAL,
                        "loss \"%s\": parameter \"weights\" has %lld values but k = %lld", r->loss,
                        (long long)r->nw, (long long)b->k);
    double scale = 1;
    if (c->reduction == LF_RED_MEAN) {
        double d = denominator(c, r, b);
        scale = d > 0 ? 1 / d : 0;
    }
    const int64_t n = b->n, k = b->k;
    double total = 0;
#pragma omp parallel for reduction(+ : total) schedule(static) if(n * k > 1 << 15)
    for (int64_t i = 0; i < n; i++) {
        float *g = dpred ? dpred + i * k : NULL;
        const int32_t y = b->label[i];
        if (!counted(c, y)) {
            if (g) memset(g, 0, (size_t)k * sizeof *g);
            continue;
        }
        const double sw = b->weight ? (double)b->weight[i] : 1.0;
        total += sw * row(ctx, b->pred + i * k, k, y, sw * scale, g);
    }
    *value = total * scale;
    return LF_OK;
}
