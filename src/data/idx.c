/* IDX files (MNIST / Fashion-MNIST): big-endian header, unsigned bytes, gzip or plain; and the
 * dataset "fashion-mnist" (lf_desc_data_fashion_mnist) read from them. */
#include "reader.h"

#include <stddef.h>
#include <string.h>
#include <unistd.h>

#define IDX_UBYTE 0x08

typedef struct idx_file {
    const char *path;
    unsigned char *buf;
    size_t len;
    int64_t dims[3];
    const unsigned char *data;
} idx_file;

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Validates magic, dims and the data length against the file before anything trusts them. */
static lf_status idx_header(idx_file *f, int ndim, const char *const *field)
{
    size_t head = 4 + 4 * (size_t)ndim;
    uint32_t magic = f->len >= 4 ? be32(f->buf) : 0, want = IDX_UBYTE << 8 | (uint32_t)ndim;
    if (f->len >= 4 && magic != want)
        return lf_error(LF_EFORMAT, "%s: bad IDX magic 0x%08x, expected 0x%08x (unsigned bytes, "
                        "%d dims)", f->path, magic, want, ndim);
    if (f->len < head)
        return lf_error(LF_EFORMAT, "%s: truncated IDX header (%zu bytes, need %zu)", f->path,
                        f->len, head);
    int64_t total = 1;
    for (int i = 0; i < ndim; i++) {
        f->dims[i] = be32(f->buf + 4 + 4 * (size_t)i);
        if (f->dims[i] == 0) return lf_error(LF_EFORMAT, "%s: header field \"%s\" is 0", f->path,
                                             field[i]);
        if (lf_mul_overflows(total, f->dims[i], &total))
            return lf_error(LF_EFORMAT, "%s: header field \"%s\" = %lld overflows the size",
                            f->path, field[i], (long long)f->dims[i]);
    }
    size_t have = f->len - head;
    if ((uint64_t)total != have)
        return lf_error(LF_EFORMAT, "%s: header field \"%s\" = %lld implies %lld data bytes, but "
                        "the file holds %zu", f->path, field[0], (long long)f->dims[0],
                        (long long)total, have);
    f->data = f->buf + head;
    return LF_OK;
}

static lf_status idx_open(idx_file *f, const char *path, int ndim, const char *const *field)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    lf_status s = lf_read_file(path, 1, &f->buf, &f->len);
    if (s == LF_OK) s = idx_header(f, ndim, field);
    return s;
}

static void to_dataset(idx_file *im, const idx_file *lb, lf_dataset *ds)
{
    /* Adopt the decompressed buffer rather than copy it: halves the peak memory of a load. */
    size_t nd = (size_t)(ds->n * ds->d);
    memmove(im->buf, im->data, nd);
    free(ds->x8);
    ds->x8 = im->buf;
    im->buf = NULL;
    int32_t top = 0;
    for (int64_t i = 0; i < ds->n; i++) {
        ds->y[i] = lb->data[i];
        if (ds->y[i] > top) top = ds->y[i];
    }
    ds->n_classes = top + 1;
    ds->ndim = 3;
    ds->shape[0] = 1;
    ds->shape[1] = im->dims[1];
    ds->shape[2] = im->dims[2];
    snprintf(ds->name, sizeof ds->name, "idx");
}

static lf_status read_pair(const char *images_path, const char *labels_path, idx_file *im,
                           idx_file *lb, lf_dataset *out)
{
    static const char *const im_fields[] = {"number of images", "rows", "columns"};
    static const char *const lb_fields[] = {"number of labels"};
    lf_status s = idx_open(im, images_path, 3, im_fields);
    if (s == LF_OK) s = idx_open(lb, labels_path, 1, lb_fields);
    if (s != LF_OK) return s;
    if (im->dims[0] != lb->dims[0])
        return lf_error(LF_EFORMAT, "%s holds %lld images but %s holds %lld labels", images_path,
                        (long long)im->dims[0], labels_path, (long long)lb->dims[0]);
    lf_dataset ds;
    /* Pixels stay bytes (x8): a quarter of the memory of floats. */
    s = lf_ds_alloc_bytes(&ds, im->dims[0], im->dims[1] * im->dims[2], 1, images_path);
    if (s != LF_OK) return s;
    to_dataset(im, lb, &ds);
    *out = ds;
    return LF_OK;
}

lf_status lf_read_idx(const char *images_path, const char *labels_path, lf_dataset *out)
{
    if (!images_path || !labels_path || !out) return lf_error(LF_EINVAL, "lf_read_idx: NULL argument");
    idx_file im = {0}, lb = {0};
    lf_status s = read_pair(images_path, labels_path, &im, &lb, out);
    free(im.buf);
    free(lb.buf);
    return s;
}

/* ------------------------------------------------------------------ dataset "fashion-mnist" */
#define FMNIST_DIR "/usr/share/datasets/fashion-mnist"
#define FMNIST_CLASSES 10

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
    LF_PARAM_STR("dir", FMNIST_DIR, "directory with the four IDX files (.gz or plain)", fmnist_cfg,
        dir),
};
static const lf_dataset_vt fmnist_vt = {fmnist_load};
const lf_desc lf_desc_data_fashion_mnist = {
    LF_KIND_DATASET, "fashion-mnist",
    "Fashion-MNIST: 60000/10000 28x28 grey images in [0,1], 10 classes", NULL, fmnist_params,
    LF_NPARAMS(fmnist_params), sizeof(fmnist_cfg), &fmnist_vt};
