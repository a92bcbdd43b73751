/* lossforge loss: any registered loss on .npy inputs, so a script can check values and
 * gradients against another implementation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct inputs {
    lf_npy pred, label, target, weight, group;
} inputs;

/* A value that cannot be `want`: NaN/Inf for floats, a non-integer or one outside int32 for
 * ids. Errors name the file, the row and the column. */
static lf_status check_value(const char *path, const lf_npy *a, int64_t i, double v, lf_dtype want)
{
    int ok = want == LF_F32 ? isfinite(v)
                            : v >= INT32_MIN && v <= INT32_MAX && v == (double)(int64_t)v;
    if (ok) return LF_OK;
    int64_t cols = a->ndim > 1 && a->shape[0] > 0 ? a->count / a->shape[0] : 1;
    return lf_error(LF_ENUMERIC, "%s: row %lld, column %lld: %g is not %s", path,
                    (long long)(i / cols), (long long)(i % cols), v,
                    want == LF_F32 ? "a finite number" : "an int32 id");
}

/* Reads an optional .npy converted to `want` in place; n rows must match. */
static lf_status load(const char *path, const char *what, lf_dtype want, int64_t rows, lf_npy *a)
{
    if (!path) return LF_OK;
    lf_status s = lf_npy_read(path, a);
    if (s != LF_OK) return s;
    if (rows >= 0 && (a->ndim < 1 || a->shape[0] != rows))
        return lf_error(LF_EINVAL, "%s (%s): %lld rows, pred has %lld", path, what,
                        (long long)(a->ndim ? a->shape[0] : 0), (long long)rows);
    size_t es = lf_dtype_size(want);
    unsigned char *out = malloc((size_t)(a->count ? a->count : 1) * es);
    if (!out) return lf_error(LF_ENOMEM, "%s: out of memory", path);
    for (int64_t i = 0; i < a->count; i++) {
        double v;
        switch (a->dtype) {
        case LF_F32: v = ((float *)a->data)[i]; break;
        case LF_F64: v = ((double *)a->data)[i]; break;
        case LF_I32: v = ((int32_t *)a->data)[i]; break;
        case LF_I64: v = (double)((int64_t *)a->data)[i]; break;
        default: v = ((uint8_t *)a->data)[i];
        }
        lf_status st = check_value(path, a, i, v, want);
        if (st != LF_OK) {
            free(out);
            return st;
        }
        if (want == LF_F32) ((float *)out)[i] = (float)v;
        else ((int32_t *)out)[i] = (int32_t)v;
    }
    free(a->data);
    a->data = out;
    a->dtype = want;
    return LF_OK;
}

static void release(inputs *in)
{
    lf_npy_release(&in->pred);
    lf_npy_release(&in->label);
    lf_npy_release(&in->target);
    lf_npy_release(&in->weight);
    lf_npy_release(&in->group);
}

int cmd_loss(int argc, char **argv)
{
    const char *spec = NULL, *pred = NULL, *label = NULL, *target = NULL, *weight = NULL,
               *group = NULL, *grad_out = NULL;
    const cli_opt opts[] = {
        {"loss", OPT_STR, &spec, "loss spec, e.g. ce:smoothing=0.1", CLI_ANY},
        {"pred", OPT_STR, &pred, "predictions .npy, n or n×k float", CLI_ANY},
        {"label", OPT_STR, &label, "labels .npy, n integers", CLI_ANY},
        {"target", OPT_STR, &target, "targets .npy, n×k float", CLI_ANY},
        {"weight", OPT_STR, &weight, "sample weights .npy, n float", CLI_ANY},
        {"group", OPT_STR, &group, "bag / episode ids .npy, n integers", CLI_ANY},
        {"grad-out", OPT_STR, &grad_out, "write d loss / d pred here (.npy, float32)", CLI_ANY},
    };
    int rc = cli_parse("loss", "Print a loss value (%.17g) and optionally write its gradient.", argc,
                       argv, opts, (int)(sizeof opts / sizeof opts[0]));
    if (rc != CLI_OK) return rc == CLI_HELP ? CLI_OK : rc;
    if (!spec || !pred) {
        fprintf(stderr, "lossforge loss: error: --loss and --pred are required\n");
        return CLI_USAGE;
    }
    inputs in;
    memset(&in, 0, sizeof in);
    lf_loss *loss = NULL;
    float *grad = NULL;
    lf_status s = lf_loss_create(spec, &loss);
    if (s == LF_OK) s = load(pred, "pred", LF_F32, -1, &in.pred);
    int64_t n = in.pred.ndim ? in.pred.shape[0] : 0;
    if (s == LF_OK && (in.pred.ndim < 1 || in.pred.ndim > 2))
        s = lf_error(LF_EINVAL, "%s: pred must be 1-D or 2-D, has %d dimensions", pred, in.pred.ndim);
    if (s == LF_OK) s = load(label, "label", LF_I32, n, &in.label);
    if (s == LF_OK) s = load(target, "target", LF_F32, n, &in.target);
    if (s == LF_OK) s = load(weight, "weight", LF_F32, n, &in.weight);
    if (s == LF_OK) s = load(group, "group", LF_I32, n, &in.group);
    if (s == LF_OK && !(grad = malloc((size_t)(in.pred.count ? in.pred.count : 1) * sizeof *grad)))
        s = lf_error(LF_ENOMEM, "out of memory");
    double value = 0;
    if (s == LF_OK) {
        lf_batch b = {.pred = in.pred.data, .n = n, .k = in.pred.ndim == 2 ? in.pred.shape[1] : 1,
                      .label = in.label.data, .target = in.target.data, .weight = in.weight.data,
                      .group = in.group.data};
        s = lf_loss_eval(loss, &b, &value, grad);
    }
    if (s == LF_OK && grad_out) s = lf_npy_write(grad_out, LF_F32, in.pred.ndim, in.pred.shape, grad);
    if (s == LF_OK) printf("%.17g\n", value);
    free(grad);
    release(&in);
    lf_loss_free(loss);
    return s == LF_OK ? CLI_OK : cli_fail_status();
}
