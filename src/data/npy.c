/* NumPy .npy files, format versions 1 and 2: little-endian f4/f8/i4/i8/u1, C order.
 * The header dict is parsed strictly (exactly descr, fortran_order, shape), and the data
 * length implied by it must equal what the file holds before anything is allocated for it.
 * The dataset "npy" (lf_desc_data_npy) at the end. */
#include "reader.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "lf_npy assumes a little-endian host"
#endif

static const char MAGIC[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

static const struct {
    const char *descr;
    lf_dtype dtype;
} DTYPES[] = {{"<f4", LF_F32}, {"<f8", LF_F64}, {"<i4", LF_I32}, {"<i8", LF_I64},
              {"|u1", LF_U8},  {"<u1", LF_U8}};

/* Cursor over the header text; errors name the file and the offending spot. */
typedef struct hdr {
    const char *path, *p, *end;
} hdr;

static lf_status bad(const hdr *h, const char *what)
{
    int left = (int)(h->end - h->p);
    return lf_error(LF_EFORMAT, "%s: bad npy header: %s at '%.*s'", h->path, what,
                    left < 30 ? left : 30, h->p);
}

static void ws(hdr *h)
{
    while (h->p < h->end && *h->p == ' ') h->p++;
}

static int eat(hdr *h, char c)
{
    ws(h);
    if (h->p < h->end && *h->p == c) {
        h->p++;
        return 1;
    }
    return 0;
}

static int word(hdr *h, const char *w)
{
    size_t n = strlen(w);
    ws(h);
    if ((size_t)(h->end - h->p) < n || memcmp(h->p, w, n) != 0) return 0;
    h->p += n;
    return 1;
}

/* A single-quoted Python string without escapes. */
static lf_status str(hdr *h, char *out, size_t cap)
{
    if (!eat(h, '\'')) return bad(h, "expected a quoted string");
    const char *q = memchr(h->p, '\'', (size_t)(h->end - h->p));
    if (!q || (size_t)(q - h->p) >= cap) return bad(h, "unterminated or long string");
    memcpy(out, h->p, (size_t)(q - h->p));
    out[q - h->p] = 0;
    h->p = q + 1;
    return LF_OK;
}

static lf_status descr(hdr *h, lf_npy *a)
{
    char s[32];
    lf_status st = str(h, s, sizeof s);
    if (st != LF_OK) return st;
    for (size_t i = 0; i < sizeof DTYPES / sizeof DTYPES[0]; i++)
        if (strcmp(s, DTYPES[i].descr) == 0) {
            a->dtype = DTYPES[i].dtype;
            return LF_OK;
        }
    return lf_error(LF_EFORMAT, "%s: unsupported dtype '%s' (supported: <f4 <f8 <i4 <i8 |u1)",
                    h->path, s);
}

static lf_status fortran(hdr *h)
{
    if (word(h, "False")) return LF_OK;
    if (word(h, "True"))
        return lf_error(LF_EFORMAT, "%s: fortran_order True is not supported (C order only)",
                        h->path);
    return bad(h, "fortran_order must be True or False");
}

static lf_status dim(hdr *h, int64_t *v)
{
    ws(h);
    const char *b = h->p;
    *v = 0;
    for (; h->p < h->end && *h->p >= '0' && *h->p <= '9'; h->p++) {
        if (*v > (INT64_MAX - 9) / 10) return bad(h, "dimension too large");
        *v = *v * 10 + (*h->p - '0');
    }
    return h->p > b ? LF_OK : bad(h, "expected a dimension");
}

/* "()", "(3,)", "(3, 4)" or "(3, 4,)"; one element needs its comma, as in Python. */
static lf_status shape(hdr *h, lf_npy *a)
{
    if (!eat(h, '(')) return bad(h, "shape must be a tuple");
    a->ndim = 0;
    int comma = 1;
    while (!eat(h, ')')) {
        if (!comma) return bad(h, "expected ',' or ')' in shape");
        if (a->ndim == LF_MAX_DIMS)
            return lf_error(LF_EFORMAT, "%s: more than %d dimensions", h->path, LF_MAX_DIMS);
        lf_status s = dim(h, &a->shape[a->ndim++]);
        if (s != LF_OK) return s;
        comma = eat(h, ',');
    }
    if (a->ndim == 1 && !comma) return bad(h, "a one-element shape needs a trailing comma");
    return LF_OK;
}

static lf_status entry(hdr *h, lf_npy *a, unsigned *seen)
{
    static const char *const keys[] = {"descr", "fortran_order", "shape"};
    char key[32];
    lf_status s = str(h, key, sizeof key);
    if (s != LF_OK) return s;
    int k = 0;
    while (k < 3 && strcmp(key, keys[k]) != 0) k++;
    if (k == 3) return lf_error(LF_EFORMAT, "%s: unknown npy header key '%s'", h->path, key);
    if (*seen & 1u << k) return lf_error(LF_EFORMAT, "%s: duplicate npy header key '%s'",
                                         h->path, key);
    *seen |= 1u << k;
    if (!eat(h, ':')) return bad(h, "expected ':'");
    return k == 0 ? descr(h, a) : k == 1 ? fortran(h) : shape(h, a);
}

static lf_status parse_header(hdr *h, lf_npy *a)
{
    unsigned seen = 0;
    if (!eat(h, '{')) return bad(h, "expected '{'");
    while (!eat(h, '}')) {
        if (seen && !eat(h, ',')) return bad(h, "expected ',' or '}'");
        if (eat(h, '}')) break;
        lf_status s = entry(h, a, &seen);
        if (s != LF_OK) return s;
    }
    if (seen != 7) return lf_error(LF_EFORMAT, "%s: npy header lacks %s", h->path,
                                   !(seen & 1) ? "'descr'" : !(seen & 2) ? "'fortran_order'"
                                                                         : "'shape'");
    while (h->p < h->end && (*h->p == ' ' || *h->p == '\n')) h->p++;
    return h->p == h->end ? LF_OK : bad(h, "trailing text after the dict");
}

/* Element count and byte size from the shape, failing on overflow. */
static lf_status data_bytes(const char *path, lf_npy *a, int64_t *bytes)
{
    int64_t n = 1;
    for (int i = 0; i < a->ndim; i++)
        if (lf_mul_overflows(n, a->shape[i], &n))
            return lf_error(LF_EFORMAT, "%s: shape overflows (dimension %d = %lld)", path, i,
                            (long long)a->shape[i]);
    if (lf_mul_overflows(n, (int64_t)lf_dtype_size(a->dtype), bytes))
        return lf_error(LF_EFORMAT, "%s: shape overflows (%lld elements)", path, (long long)n);
    a->count = n;
    return LF_OK;
}

static lf_status read_exact(FILE *f, const char *path, void *buf, size_t n, const char *what)
{
    if (n && fread(buf, 1, n, f) != n)
        return lf_error(LF_EIO, "%s: cannot read the %s: %s", path, what,
                        ferror(f) ? strerror(errno) : "unexpected end of file");
    return LF_OK;
}

/* Magic, version and header length; *off is where the header text starts. */
static lf_status preamble(FILE *f, const char *path, int64_t size, uint32_t *hlen, int *off)
{
    unsigned char p[12];
    if (size < 10)
        return lf_error(LF_EFORMAT, "%s: truncated npy file (%lld bytes)", path, (long long)size);
    lf_status s = read_exact(f, path, p, 10, "preamble");
    if (s != LF_OK) return s;
    if (memcmp(p, MAGIC, 6) != 0) return lf_error(LF_EFORMAT, "%s: bad magic, not an npy file", path);
    if ((p[6] != 1 && p[6] != 2) || p[7] != 0)
        return lf_error(LF_EFORMAT, "%s: unsupported npy version %d.%d (1.0 and 2.0 are)", path,
                        p[6], p[7]);
    *off = p[6] == 1 ? 10 : 12;
    if (p[6] == 2 && (size < 12 || read_exact(f, path, p + 10, 2, "preamble") != LF_OK))
        return lf_error(LF_EFORMAT, "%s: truncated npy preamble", path);
    *hlen = p[6] == 1 ? (uint32_t)p[8] | (uint32_t)p[9] << 8
                      : (uint32_t)p[8] | (uint32_t)p[9] << 8 | (uint32_t)p[10] << 16 |
                            (uint32_t)p[11] << 24;
    if ((int64_t)*hlen > size - *off)
        return lf_error(LF_EFORMAT, "%s: header length %u exceeds the file (%lld bytes)", path,
                        *hlen, (long long)size);
    return LF_OK;
}

static lf_status header(FILE *f, const char *path, int64_t size, lf_npy *a, int64_t *data_off)
{
    uint32_t hlen = 0;
    int off = 0;
    lf_status s = preamble(f, path, size, &hlen, &off);
    if (s != LF_OK) return s;
    char *text = malloc((size_t)hlen + 1);
    if (!text) return lf_error(LF_ENOMEM, "%s: cannot allocate the header", path);
    s = read_exact(f, path, text, hlen, "header");
    if (s == LF_OK) {
        hdr h = {path, text, text + hlen};
        s = parse_header(&h, a);
    }
    free(text);
    *data_off = off + (int64_t)hlen;
    return s;
}

static lf_status read_data(FILE *f, const char *path, int64_t size, lf_npy *a)
{
    int64_t off = 0, bytes = 0;
    lf_status s = header(f, path, size, a, &off);
    if (s == LF_OK) s = data_bytes(path, a, &bytes);
    if (s != LF_OK) return s;
    if (bytes != size - off)
        return lf_error(LF_EFORMAT, "%s: %s data: the shape needs %lld bytes, the file holds %lld",
                        path, bytes > size - off ? "short" : "trailing", (long long)bytes,
                        (long long)(size - off));
    a->data = malloc((size_t)bytes + 1);
    if (!a->data) return lf_error(LF_ENOMEM, "%s: cannot allocate %lld bytes", path,
                                  (long long)bytes);
    s = read_exact(f, path, a->data, (size_t)bytes, "data");
    if (s != LF_OK) free(a->data);
    return s;
}

lf_status lf_npy_read(const char *path, lf_npy *out)
{
    if (!path || !out) return lf_error(LF_EINVAL, "lf_npy_read: NULL argument");
    FILE *f = fopen(path, "rb");
    if (!f) return lf_error(errno == ENOENT ? LF_ENOTFOUND : LF_EIO, "%s: cannot open: %s", path,
                            strerror(errno));
    struct stat st;
    lf_npy a;
    memset(&a, 0, sizeof a);
    lf_status s = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)
                      ? read_data(f, path, (int64_t)st.st_size, &a)
                      : lf_error(LF_EIO, "%s: not a regular file", path);
    (void)fclose(f); /* read-only: nothing to lose */
    if (s == LF_OK) *out = a;
    return s;
}

void lf_npy_release(lf_npy *a)
{
    if (!a) return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

/* Header text padded with spaces and a final newline so the data starts 64-byte aligned. */
static size_t build_header(char *buf, size_t cap, lf_dtype dtype, int ndim, const int64_t *shape)
{
    const char *d = dtype == LF_F32 ? "<f4" : dtype == LF_F64 ? "<f8" : dtype == LF_I32 ? "<i4"
                  : dtype == LF_I64 ? "<i8" : "|u1";
    size_t n = (size_t)snprintf(buf + 10, cap - 10,
                                "{'descr': '%s', 'fortran_order': False, 'shape': (", d);
    for (int i = 0; i < ndim; i++)
        n += (size_t)snprintf(buf + 10 + n, cap - 10 - n, "%s%lld", i ? ", " : "",
                              (long long)shape[i]);
    n += (size_t)snprintf(buf + 10 + n, cap - 10 - n, "%s), }", ndim == 1 ? "," : "");
    while ((10 + n + 1) % 64) buf[10 + n++] = ' ';
    buf[10 + n++] = '\n';
    memcpy(buf, MAGIC, 6);
    buf[6] = 1;
    buf[7] = 0;
    buf[8] = (char)(n & 0xff);
    buf[9] = (char)(n >> 8);
    return 10 + n;
}

static lf_status check_write(const char *path, lf_dtype dtype, int ndim, const int64_t *shape,
                             const void *data, int64_t *bytes)
{
    /* .npy has no bfloat16. */
    if (!path || ndim < 0 || ndim > LF_MAX_DIMS || (ndim && !shape) || lf_dtype_size(dtype) == 0 ||
        dtype == LF_BF16)
        return lf_error(LF_EINVAL, "%s: lf_npy_write: bad dtype or ndim %d", path ? path : "(null)",
                        ndim);
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 0 || lf_mul_overflows(n, shape[i], &n))
            return lf_error(LF_EINVAL, "%s: lf_npy_write: bad dimension %d = %lld", path, i,
                            (long long)shape[i]);
    if (lf_mul_overflows(n, (int64_t)lf_dtype_size(dtype), bytes) || (uint64_t)*bytes > SIZE_MAX - 256)
        return lf_error(LF_EINVAL, "%s: lf_npy_write: %lld elements overflow", path, (long long)n);
    if (*bytes && !data) return lf_error(LF_EINVAL, "%s: lf_npy_write: NULL data", path);
    return LF_OK;
}

lf_status lf_npy_write(const char *path, lf_dtype dtype, int ndim, const int64_t *shape,
                       const void *data)
{
    int64_t bytes;
    lf_status s = check_write(path, dtype, ndim, shape, data, &bytes);
    if (s != LF_OK) return s;
    char head[256];
    size_t hn = build_header(head, sizeof head, dtype, ndim, shape);
    unsigned char *buf = malloc(hn + (size_t)bytes);
    if (!buf) return lf_error(LF_ENOMEM, "%s: cannot allocate %lld bytes", path, (long long)bytes);
    memcpy(buf, head, hn);
    if (bytes) memcpy(buf + hn, data, (size_t)bytes);
    s = lf_write_atomic(path, buf, hn + (size_t)bytes);
    free(buf);
    return s;
}

/* ------------------------------------------------------------------ dataset "npy" */
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

/* Labels are class ids as stored: non-negative integers; n_classes = largest + 1, bounded by
 * lf_ds_check_class_id (LF_MAX_CLASSES, and by the rows). */
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
        if (v < 0) {
            s = lf_error(LF_EFORMAT, "%s: row %lld: label %lld is not a class id", path,
                         (long long)i, (long long)v);
            break;
        }
        s = lf_ds_check_class_id(path, i, v, ds->n);
        if (s != LF_OK) break;
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
    LF_PARAM_STR("x", "", "features [n, ...]: float32/float64, or uint8 scaled to [0,1]", npy_cfg,
        x),
    LF_PARAM_STR("y", "", "labels [n]: int32/int64/uint8 class ids", npy_cfg, y),
    LF_PARAM_STR("test_x", "", "test features (optional)", npy_cfg, test_x),
    LF_PARAM_STR("test_y", "", "test labels (with test_x)", npy_cfg, test_y),
};
static const lf_dataset_vt npy_vt = {npy_load};
const lf_desc lf_desc_data_npy = {
    LF_KIND_DATASET, "npy", "NumPy .npy feature and label arrays", NULL, npy_params,
    LF_NPARAMS(npy_params), sizeof(npy_cfg), &npy_vt};
