/* Evaluation: accuracy, mean loss and confusion matrix of a model on a dataset; binary metrics
 * (F1, balanced accuracy, AUC) of scores. */
#include "internal.h"

#include <math.h>
#include <string.h>

static int64_t row_argmax(const float *r, int64_t k)
{
    int64_t best = 0;
    for (int64_t j = 1; j < k; j++)
        if (r[j] > r[best]) best = j;
    return best;
}

/* A one-output model scores binary problems (losses with LF_LOSS_SCORES): class 1 where the
 * score is > 0, so it predicts 2 classes. */
static int64_t row_class(const float *r, int64_t k) { return k == 1 ? r[0] > 0 : row_argmax(r, k); }
static int64_t classes_of(int64_t k) { return k == 1 ? 2 : k; }

int64_t lf_count_correct(const float *logits, int64_t n, int64_t k, const int32_t *y)
{
    int64_t hits = 0;
    for (int64_t i = 0; i < n; i++) hits += row_class(logits + i * k, k) == y[i];
    return hits;
}

void lf_gather_rows(const lf_dataset *ds, const int64_t *idx, int64_t m, const lf_norm *norm,
                    float *x, int32_t *y)
{
#pragma omp parallel for schedule(static) if (m * ds->d > (1 << 16))
    for (int64_t i = 0; i < m; i++) lf_dataset_row(ds, idx[i], norm, x + i * ds->d);
    if (y && ds->y)
        for (int64_t i = 0; i < m; i++) y[i] = ds->y[idx[i]];
}

void lf_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

void lf_json_number(FILE *f, const char *key, double v)
{
    if (isfinite(v)) fprintf(f, ",\"%s\":%.9g", key, v);
    else fprintf(f, ",\"%s\":null", key); /* JSON has no NaN or Inf */
}

static int cmp_score(const void *a, const void *b)
{
    const float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

typedef struct scored {
    float s;
    int32_t y;
} scored;

/* Mann-Whitney: P(s+ > s-) + P(s+ = s-)/2 from the ranks of the sorted scores (ties share
 * their mean rank). */
static double auc_of(const float *score, const int32_t *y, int64_t n)
{
    scored *v = malloc((size_t)n * sizeof *v);
    if (!v) return NAN;
    int64_t pos = 0;
    for (int64_t i = 0; i < n; i++) {
        v[i] = (scored){score[i], y[i]};
        pos += y[i] == 1;
    }
    qsort(v, (size_t)n, sizeof *v, cmp_score); /* the score is the struct's first member */
    double rank_sum = 0;
    for (int64_t i = 0; i < n;) {
        int64_t j = i;
        while (j < n && v[j].s == v[i].s) j++;
        const double mid = 0.5 * (double)(i + 1 + j); /* mean of ranks i+1..j */
        for (int64_t k = i; k < j; k++) rank_sum += v[k].y == 1 ? mid : 0;
        i = j;
    }
    free(v);
    const int64_t neg = n - pos;
    if (!pos || !neg) return 0;
    return (rank_sum - 0.5 * (double)pos * (double)(pos + 1)) / ((double)pos * (double)neg);
}

void lf_binary_metrics(const float *score, const int32_t *y, int64_t n, lf_binmetrics *m)
{
    int64_t tp = 0, fp = 0, fn = 0, tn = 0;
    for (int64_t i = 0; i < n; i++) {
        const int pred = score[i] > 0;
        tp += pred && y[i];
        fp += pred && !y[i];
        fn += !pred && y[i];
        tn += !pred && !y[i];
    }
    const double P = (double)(tp + fn), N = (double)(tn + fp);
    m->acc = n ? (double)(tp + tn) / (double)n : 0;
    m->f1 = tp ? 2.0 * (double)tp / (double)(2 * tp + fp + fn) : 0;
    m->bacc = 0.5 * ((P > 0 ? (double)tp / P : 0) + (N > 0 ? (double)tn / N : 0));
    m->auc = auc_of(score, y, n);
}

static void count_confusion(const float *logits, int64_t n, int64_t k, const int32_t *y,
                            int64_t *confusion)
{
    for (int64_t i = 0; i < n; i++) confusion[y[i] * classes_of(k) + row_class(logits + i * k, k)]++;
}

typedef struct eval_acc {
    int64_t hits;
    double loss_sum;
} eval_acc;

/* Forward pass and tallies for one batch of rows. */
static lf_status eval_batch(lf_model *m, lf_loss *loss, lf_tape *t, const lf_dataset *ds,
                            const int64_t *idx, int64_t nb, const lf_norm *norm, float *xb,
                            int32_t *yb, eval_acc *acc, int64_t *confusion)
{
    lf_gather_rows(ds, idx, nb, norm, xb, yb);
    int64_t shape[4] = {nb, m->in_shape[0], m->in_shape[1], m->in_shape[2]};
    lf_tape_reset(t);
    lf_tensor *logits = lf_model_forward(m, t, lf_tape_wrap(t, xb, m->in_ndim + 1, shape));
    lf_status s = lf_tape_status(t);
    if (s != LF_OK) return s;
    int64_t k = m->n_out;
    acc->hits += lf_count_correct(logits->data, nb, k, yb);
    if (confusion) count_confusion(logits->data, nb, k, yb, confusion);
    if (!loss) return LF_OK;
    lf_batch b = {.pred = logits->data, .n = nb, .k = k, .label = yb, .index = idx};
    double v;
    s = lf_loss_eval(loss, &b, &v, NULL);
    acc->loss_sum += v * (double)nb;
    return s;
}

lf_status lf_evaluate(lf_model *m, lf_loss *loss, const lf_dataset *ds, const int64_t *rows,
                      int64_t nrows, const lf_norm *norm, int64_t batch, double *acc,
                      double *mean_loss, int64_t *confusion)
{
    if (!ds->y) return lf_error(LF_EINVAL, "evaluate: dataset \"%s\" has no labels", ds->name);
    if (ds->n_classes > classes_of(m->n_out))
        return lf_error(LF_EINVAL, "evaluate: dataset \"%s\" has %d classes, model has %lld outputs",
                        ds->name, ds->n_classes, (long long)m->n_out);
    if (batch < 1) batch = 256;
    if (!rows) nrows = ds->n;
    lf_tape *t = lf_tape_new();
    float *xb = malloc((size_t)(batch * ds->d) * sizeof *xb);
    int32_t *yb = malloc((size_t)batch * sizeof *yb);
    int64_t *idx = malloc((size_t)batch * sizeof *idx);
    lf_status s = t && xb && yb && idx ? LF_OK : lf_error(LF_ENOMEM, "evaluate: out of memory");
    int64_t c = classes_of(m->n_out);
    if (confusion) memset(confusion, 0, (size_t)(c * c) * sizeof *confusion);
    if (t) lf_tape_set_train(t, 0, 0);
    eval_acc tally = {0, 0};
    for (int64_t off = 0; off < nrows && s == LF_OK; off += batch) {
        int64_t nb = nrows - off < batch ? nrows - off : batch;
        for (int64_t i = 0; i < nb; i++) idx[i] = rows ? rows[off + i] : off + i;
        s = eval_batch(m, loss, t, ds, idx, nb, norm, xb, yb, &tally, confusion);
    }
    lf_tape_free(t);
    free(xb);
    free(yb);
    free(idx);
    if (s != LF_OK) return s;
    if (acc) *acc = nrows ? (double)tally.hits / (double)nrows : 0;
    if (mean_loss) *mean_loss = nrows && loss ? tally.loss_sum / (double)nrows : 0;
    return LF_OK;
}
