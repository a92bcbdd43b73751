/* Datasets selectable by spec string: fashion-mnist, csv, libsvm, npy. */
#include "reader.h"

#include <stddef.h>
#include <string.h>
#include <unistd.h>

#define FMNIST_DIR "/usr/share/datasets/fashion-mnist"
#define FMNIST_CLASSES 10

/* ------------------------------------------------------------------ fashion-mnist */
typedef struct fmnist_cfg {
    char dir[LF_STR_MAX];
} fmnist_cfg;

/* Prefers "<dir>/<base>.gz", then the uncompressed "<dir>/<base>". */
static lf_status fmnist_file(const char *dir, const char *base, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s.gz", dir, base);
    if (access(path, F_OK) == 0) return LF_OK;
    snprintf(path, cap, "%s/%s", dir, base);
    if (access(path, F_OK) == 0) return LF_OK;
    return lf_error(LF_ENOTFOUND, "fashion-mnist: %s(.gz) not found; install Debian package "
                    "`dataset-fashion-mnist` (apt-get install dataset-fashion-mnist) or pass "
                    "fashion-mnist:dir=DIR", path);
}

static lf_status fmnist_split(const char *dir, const char *prefix, lf_dataset *out)
{
    char im[LF_STR_MAX + 64], lb[LF_STR_MAX + 64], base[64];
    snprintf(base, sizeof base, "%s-images-idx3-ubyte", prefix);
    lf_status s = fmnist_file(dir, base, im, sizeof im);
    snprintf(base, sizeof base, "%s-labels-idx1-ubyte", prefix);
    if (s == LF_OK) s = fmnist_file(dir, base, lb, sizeof lb);
    lf_dataset ds;
    if (s == LF_OK) s = lf_read_idx(im, lb, &ds);
    if (s != LF_OK) return s;
    if (ds.shape[1] != 28 || ds.shape[2] != 28 || ds.n_classes > FMNIST_CLASSES) {
        s = lf_error(LF_EFORMAT, "%s: expected 28x28 images with labels 0..9, got %lldx%lld and "
                     "labels up to %d", im, (long long)ds.shape[1], (long long)ds.shape[2],
                     ds.n_classes - 1);
        lf_dataset_release(&ds);
        return s;
    }
    ds.n_classes = FMNIST_CLASSES;
    *out = ds;
    return LF_OK;
}

static lf_status fmnist_load(const void *cfg, lf_dataset *train, lf_dataset *test)
{
    const fmnist_cfg *c = cfg;
    lf_status s = fmnist_split(c->dir, "train", train);
    if (s != LF_OK) return s;
    s = fmnist_split(c->dir, "t10k", test);
    if (s != LF_OK) lf_dataset_release(train);
    return s;
}

static const lf_param_desc fmnist_params[] = {
    {"dir", LF_PT_STR, 0, 0, 0, 0, FMNIST_DIR,
     "directory with the four IDX files (.gz or plain)", offsetof(fmnist_cfg, dir)},
};
static const lf_dataset_vt fmnist_vt = {fmnist_load};
const lf_desc lf_desc_data_fashion_mnist = {
    LF_KIND_DATASET, "fashion-mnist",
    "Fashion-MNIST: 60000/10000 28x28 grey images in [0,1], 10 classes", NULL, fmnist_params,
    LF_NPARAMS(fmnist_params), sizeof(fmnist_cfg), &fmnist_vt};

/* ------------------------------------------------------------------ text files */
typedef lf_status (*raw_reader)(const char *path, const void *opts, lf_dataset *out,
                                int64_t **raw);

/* Reads train (and test when given) and maps their labels jointly. */
static lf_status load_pair(raw_reader rd, const void *opts, const char *train_path,
                           const char *test_path, lf_dataset *train, lf_dataset *test)
{
    lf_dataset tr, te;
    int64_t *rtr = NULL, *rte = NULL;
    memset(&te, 0, sizeof te);
    lf_status s = rd(train_path, opts, &tr, &rtr);
    if (s != LF_OK) return s;
    if (*test_path) s = rd(test_path, opts, &te, &rte);
    if (s == LF_OK && !rtr)
        s = lf_error(LF_EINVAL, "%s: a dataset needs a label column", train_path);
    if (s == LF_OK) s = lf_ds_set_labels(&tr, rtr, *test_path ? &te : NULL, rte);
    free(rtr);
    free(rte);
    if (s != LF_OK) {
        lf_dataset_release(&tr);
        lf_dataset_release(&te);
        return s;
    }
    *train = tr;
    *test = te;
    return LF_OK;
}

static lf_status need_train(const char *name, const char *train)
{
    if (*train) return LF_OK;
    return lf_error(LF_EINVAL, "dataset \"%s\": parameter \"train\" is required (%s:train=PATH)",
                    name, name);
}

/* ------------------------------------------------------------------ csv */
typedef struct csv_cfg {
    char train[LF_STR_MAX];
    char test[LF_STR_MAX];
    int64_t label;
    int header;
} csv_cfg;

static lf_status csv_raw(const char *path, const void *opts, lf_dataset *out, int64_t **raw)
{
    return lf_csv_read_raw(path, opts, out, raw);
}

static lf_status csv_load(const void *cfg, lf_dataset *train, lf_dataset *test)
{
    const csv_cfg *c = cfg;
    lf_csv_opts o = {c->header, (int)c->label, ','};
    lf_status s = need_train("csv", c->train);
    return s != LF_OK ? s : load_pair(csv_raw, &o, c->train, c->test, train, test);
}

static const lf_param_desc csv_params[] = {
    {"train", LF_PT_STR, 0, 0, 0, 0, "", "training file (required; .gz accepted)",
     offsetof(csv_cfg, train)},
    {"test", LF_PT_STR, 0, 0, 0, 0, "", "test file (optional)", offsetof(csv_cfg, test)},
    {"label", LF_PT_INT, -1, -1, 1e6, 0, 0, "label column, 0-based (-1 = last)",
     offsetof(csv_cfg, label)},
    {"header", LF_PT_BOOL, 0, 0, 1, 0, 0, "first line is a header", offsetof(csv_cfg, header)},
};
static const lf_dataset_vt csv_vt = {csv_load};
const lf_desc lf_desc_data_csv = {
    LF_KIND_DATASET, "csv", "numeric CSV files with one integer label column", NULL, csv_params,
    LF_NPARAMS(csv_params), sizeof(csv_cfg), &csv_vt};

/* ------------------------------------------------------------------ libsvm */
typedef struct libsvm_cfg {
    char train[LF_STR_MAX];
    char test[LF_STR_MAX];
    int64_t features;
} libsvm_cfg;

static lf_status libsvm_raw(const char *path, const void *opts, lf_dataset *out, int64_t **raw)
{
    return lf_libsvm_read_raw(path, *(const int64_t *)opts, out, raw);
}

/* Widens rows to d features (zeros on the right): train and test may see different largest
 * indices when the width is found automatically. */
static lf_status widen(lf_dataset *ds, int64_t d)
{
    if (ds->n == 0 || ds->d == d) return LF_OK;
    lf_dataset w;
    lf_status s = lf_ds_alloc(&w, ds->n, d, 0, ds->name);
    if (s != LF_OK) return s;
    for (int64_t i = 0; i < ds->n; i++)
        memcpy(w.x + i * d, ds->x + i * ds->d, (size_t)ds->d * sizeof(float));
    free(ds->x);
    ds->x = w.x;
    ds->d = d;
    ds->shape[0] = d;
    return LF_OK;
}

static lf_status libsvm_load(const void *cfg, lf_dataset *train, lf_dataset *test)
{
    const libsvm_cfg *c = cfg;
    lf_status s = need_train("libsvm", c->train);
    if (s == LF_OK) s = load_pair(libsvm_raw, &c->features, c->train, c->test, train, test);
    if (s != LF_OK) return s;
    int64_t d = train->d > test->d ? train->d : test->d;
    s = widen(train, d);
    if (s == LF_OK) s = widen(test, d);
    if (s != LF_OK) {
        lf_dataset_release(train);
        lf_dataset_release(test);
    }
    return s;
}

static const lf_param_desc libsvm_params[] = {
    {"train", LF_PT_STR, 0, 0, 0, 0, "", "training file (required; .gz accepted)",
     offsetof(libsvm_cfg, train)},
    {"test", LF_PT_STR, 0, 0, 0, 0, "", "test file (optional)", offsetof(libsvm_cfg, test)},
    {"features", LF_PT_INT, 0, 0, 2147483647.0, 0, 0, "feature count (0 = largest index seen)",
     offsetof(libsvm_cfg, features)},
};
static const lf_dataset_vt libsvm_vt = {libsvm_load};
const lf_desc lf_desc_data_libsvm = {
    LF_KIND_DATASET, "libsvm", "LIBSVM/SVMlight sparse text files, densified", NULL,
    libsvm_params, LF_NPARAMS(libsvm_params), sizeof(libsvm_cfg), &libsvm_vt};

/* ------------------------------------------------------------------ npy */
typedef struct npy_cfg {
    char x[LF_STR_MAX];
    char y[LF_STR_MAX];
    char test_x[LF_STR_MAX];
    char test_y[LF_STR_MAX];
} npy_cfg;

/* uint8 features are taken as pixels and scaled to [0,1], as fashion-mnist is. */
static void npy_features(const lf_npy *a, float *x)
{
    const int64_t n = a->count;
    if (a->dtype == LF_F32) {
        memcpy(x, a->data, (size_t)n * sizeof *x);
    } else if (a->dtype == LF_F64) {
        const double *p = a->data;
        for (int64_t i = 0; i < n; i++) x[i] = (float)p[i];
    } else {
        const uint8_t *p = a->data;
        for (int64_t i = 0; i < n; i++) x[i] = (float)p[i] / 255.0f;
    }
}

static lf_status npy_x(const char *path, lf_dataset *ds)
{
    lf_npy a;
    lf_status s = lf_npy_read(path, &a);
    if (s != LF_OK) return s;
    if (a.ndim < 1 || (a.dtype != LF_F32 && a.dtype != LF_F64 && a.dtype != LF_U8))
        s = lf_error(LF_EFORMAT, "%s: features must be float32, float64 or uint8 with shape "
                     "[n, ...]", path);
    int64_t d = 1;
    for (int i = 1; s == LF_OK && i < a.ndim; i++)
        if (lf_mul_overflows(d, a.shape[i], &d) || d == 0)
            s = lf_error(LF_EFORMAT, "%s: per-row shape has a zero or overflowing dimension %d",
                         path, i);
    if (s == LF_OK) s = lf_ds_alloc(ds, a.shape[0], d, 1, path);
    if (s == LF_OK) {
        npy_features(&a, ds->x);
        ds->ndim = a.ndim > 1 ? a.ndim - 1 : 1;
        for (int i = 1; i < a.ndim; i++) ds->shape[i - 1] = a.shape[i];
    }
    lf_npy_release(&a);
    return s;
}

/* Labels are class ids as stored: non-negative integers; n_classes = largest + 1. */
static lf_status npy_y(const char *path, lf_dataset *ds)
{
    lf_npy a;
    lf_status s = lf_npy_read(path, &a);
    if (s != LF_OK) return s;
    if ((a.dtype != LF_I32 && a.dtype != LF_I64 && a.dtype != LF_U8) || a.count != ds->n ||
        a.ndim < 1 || a.shape[0] != ds->n)
        s = lf_error(LF_EFORMAT, "%s: labels must be int32, int64 or uint8 of shape [%lld]",
                     path, (long long)ds->n);
    for (int64_t i = 0; s == LF_OK && i < ds->n; i++) {
        int64_t v = a.dtype == LF_I32 ? ((const int32_t *)a.data)[i]
                  : a.dtype == LF_I64 ? ((const int64_t *)a.data)[i]
                                      : ((const uint8_t *)a.data)[i];
        if (v < 0 || v >= INT32_MAX)
            s = lf_error(LF_EFORMAT, "%s: row %lld: label %lld is not a class id", path,
                         (long long)i, (long long)v);
        ds->y[i] = (int32_t)v;
        if (ds->y[i] >= ds->n_classes) ds->n_classes = ds->y[i] + 1;
    }
    lf_npy_release(&a);
    return s;
}

static lf_status npy_pair(const char *xp, const char *yp, lf_dataset *ds)
{
    lf_status s = npy_x(xp, ds);
    if (s != LF_OK) return s;
    s = npy_y(yp, ds);
    if (s != LF_OK) lf_dataset_release(ds);
    return s;
}

static lf_status npy_load(const void *cfg, lf_dataset *train, lf_dataset *test)
{
    const npy_cfg *c = cfg;
    if (!*c->x || !*c->y || !*c->test_x != !*c->test_y)
        return lf_error(LF_EINVAL, "dataset \"npy\": needs x= and y=, and test_x= with test_y=");
    lf_dataset tr, te;
    memset(&te, 0, sizeof te);
    lf_status s = npy_pair(c->x, c->y, &tr);
    if (s == LF_OK && *c->test_x) {
        s = npy_pair(c->test_x, c->test_y, &te);
        if (s != LF_OK) lf_dataset_release(&tr);
    }
    if (s != LF_OK) return s;
    tr.n_classes = te.n_classes = tr.n_classes > te.n_classes ? tr.n_classes : te.n_classes;
    *train = tr;
    *test = te;
    return LF_OK;
}

static const lf_param_desc npy_params[] = {
    {"x", LF_PT_STR, 0, 0, 0, 0, "", "features [n, ...]: float32/float64, or uint8 scaled to [0,1]",
     offsetof(npy_cfg, x)},
    {"y", LF_PT_STR, 0, 0, 0, 0, "", "labels [n]: int32/int64/uint8 class ids",
     offsetof(npy_cfg, y)},
    {"test_x", LF_PT_STR, 0, 0, 0, 0, "", "test features (optional)", offsetof(npy_cfg, test_x)},
    {"test_y", LF_PT_STR, 0, 0, 0, 0, "", "test labels (with test_x)", offsetof(npy_cfg, test_y)},
};
static const lf_dataset_vt npy_vt = {npy_load};
const lf_desc lf_desc_data_npy = {
    LF_KIND_DATASET, "npy", "NumPy .npy feature and label arrays", NULL, npy_params,
    LF_NPARAMS(npy_params), sizeof(npy_cfg), &npy_vt};
