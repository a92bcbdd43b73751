/* Evaluation: accuracy, mean loss and confusion matrix of a model on a dataset. */
#include "internal.h"

#include <string.h>

static int64_t row_argmax(const float *r, int64_t k)
{
    int64_t best = 0;
    for (int64_t j = 1; j < k; j++)
        if (r[j] > r[best]) best = j;
    return best;
}

int64_t lf_count_correct(const float *logits, int64_t n, int64_t k, const int32_t *y)
{
    int64_t hits = 0;
    for (int64_t i = 0; i < n; i++) hits += row_argmax(logits + i * k, k) == y[i];
    return hits;
}

void lf_gather_rows(const lf_dataset *ds, const int64_t *idx, int64_t m, float *x, int32_t *y)
{
    for (int64_t i = 0; i < m; i++) {
        memcpy(x + i * ds->d, ds->x + idx[i] * ds->d, (size_t)ds->d * sizeof *x);
        if (y && ds->y) y[i] = ds->y[idx[i]];
    }
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

static void count_confusion(const float *logits, int64_t n, int64_t k, const int32_t *y,
                            int64_t *confusion)
{
    for (int64_t i = 0; i < n; i++) confusion[y[i] * k + row_argmax(logits + i * k, k)]++;
}

lf_status lf_evaluate(lf_model *m, lf_loss *loss, const lf_dataset *ds, int64_t batch,
                      double *acc, double *mean_loss, int64_t *confusion)
{
    if (!ds->y) return lf_error(LF_EINVAL, "evaluate: dataset \"%s\" has no labels", ds->name);
    if (ds->n_classes > m->n_out)
        return lf_error(LF_EINVAL, "evaluate: dataset \"%s\" has %d classes, model has %lld outputs",
                        ds->name, ds->n_classes, (long long)m->n_out);
    if (batch < 1) batch = 256;
    lf_tape *t = lf_tape_new();
    if (!t) return lf_error(LF_ENOMEM, "evaluate: out of memory");
    lf_tape_set_train(t, 0, 0);
    int64_t k = m->n_out, hits = 0;
    double loss_sum = 0;
    if (confusion) memset(confusion, 0, (size_t)(k * k) * sizeof *confusion);
    lf_status s = LF_OK;
    for (int64_t off = 0; off < ds->n && s == LF_OK; off += batch) {
        int64_t nb = ds->n - off < batch ? ds->n - off : batch;
        int64_t shape[4] = {nb, m->in_shape[0], m->in_shape[1], m->in_shape[2]};
        lf_tape_reset(t);
        lf_tensor *x = lf_tape_wrap(t, ds->x + off * ds->d, m->in_ndim + 1, shape);
        lf_tensor *logits = lf_model_forward(m, t, x);
        s = lf_tape_status(t);
        if (s != LF_OK) break;
        const int32_t *y = ds->y + off;
        hits += lf_count_correct(logits->data, nb, k, y);
        if (confusion) count_confusion(logits->data, nb, k, y, confusion);
        if (loss) {
            lf_batch b = {.pred = logits->data, .n = nb, .k = k, .label = y};
            double v;
            s = lf_loss_eval(loss, &b, &v, NULL);
            loss_sum += v * (double)nb;
        }
    }
    lf_tape_free(t);
    if (s != LF_OK) return s;
    if (acc) *acc = ds->n ? (double)hits / (double)ds->n : 0;
    if (mean_loss) *mean_loss = ds->n && loss ? loss_sum / (double)ds->n : 0;
    return LF_OK;
}
