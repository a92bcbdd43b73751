/* safetensors (https://github.com/huggingface/safetensors): an 8-byte little-endian header
 * length N, N bytes of JSON {"__metadata__": {str: str}, name: {"dtype", "shape",
 * "data_offsets": [begin, end]}} padded with spaces to a multiple of 8, then the data section.
 * Offsets are relative to the data section, and the tensors must tile it exactly. */
#include "internal.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <string.h>
#include <zlib.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c copies tensor bytes as stored: it assumes a little-endian host"
#endif

#define ST_ALIGN 8
#define ST_META "__metadata__"
/* Metadata key of the optional data-section checksum (zlib CRC-32, 8 lowercase hex digits). */
#define ST_CRC "crc32"
/* Largest integer a JSON number (a double in cJSON) holds exactly. */
#define ST_MAX_INT 9007199254740992.0

static const struct {
    lf_dtype dtype;
    const char *name;
} st_dtypes[] = {{LF_F32, "F32"}, {LF_F64, "F64"}, {LF_I32, "I32"}, {LF_I64, "I64"}, {LF_U8, "U8"},
                 {LF_BF16, "BF16"}};
#define ST_NDTYPES ((int)(sizeof st_dtypes / sizeof st_dtypes[0]))

static const char *st_dtype_name(lf_dtype t)
{
    for (int i = 0; i < ST_NDTYPES; i++)
        if (st_dtypes[i].dtype == t) return st_dtypes[i].name;
    return NULL;
}

static int st_dtype_parse(const char *s, lf_dtype *out)
{
    for (int i = 0; i < ST_NDTYPES; i++)
        if (!strcmp(st_dtypes[i].name, s)) {
            *out = st_dtypes[i].dtype;
            return 1;
        }
    return 0;
}

/* Byte count of an entry, or -1 when the shape is invalid or the product overflows. */
static int64_t st_nbytes(lf_dtype dtype, int ndim, const int64_t *shape)
{
    int64_t n = (int64_t)lf_dtype_size(dtype);
    for (int i = 0; i < ndim; i++)
        if (lf_mul_overflows(n, shape[i], &n)) return -1;
    return n;
}

/* ------------------------------------------------------------------ writer */

/* Writes "[a,b,...]" into buf (integers printed exactly, not through a double). */
static void st_int_array(char *buf, size_t cap, const int64_t *v, int n)
{
    size_t len = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%" PRId64, i ? "," : "", v[i]);
    snprintf(buf + len, cap - len, "]");
}

static lf_status st_check_entry(const char *path, const lf_st_entry *e, int64_t *nbytes)
{
    if (!e->name || !e->name[0] || !strcmp(e->name, ST_META))
        return lf_error(LF_EINVAL, "%s: tensor name \"%s\" is empty or reserved", path,
                        e->name ? e->name : "(null)");
    if (!st_dtype_name(e->dtype))
        return lf_error(LF_EINVAL, "%s: tensor \"%s\": invalid dtype %d", path, e->name,
                        (int)e->dtype);
    if (e->ndim < 0 || e->ndim > LF_MAX_DIMS)
        return lf_error(LF_EINVAL, "%s: tensor \"%s\": ndim %d outside 0..%d", path, e->name,
                        e->ndim, LF_MAX_DIMS);
    *nbytes = st_nbytes(e->dtype, e->ndim, e->shape);
    if (*nbytes < 0)
        return lf_error(LF_EINVAL, "%s: tensor \"%s\": negative dimension or size overflow",
                        path, e->name);
    if (*nbytes > 0 && !e->data)
        return lf_error(LF_EINVAL, "%s: tensor \"%s\": data is NULL", path, e->name);
    return LF_OK;
}

/* The caller's pairs, then the checksum pair when crc is not NULL. */
static lf_status st_add_meta(const char *path, cJSON *root, const char *const *kv, int n_meta,
                             const char *crc)
{
    if (n_meta <= 0 && !crc) return LF_OK;
    cJSON *meta = cJSON_AddObjectToObject(root, ST_META);
    if (!meta) return lf_error(LF_ENOMEM, "%s: out of memory building the header", path);
    for (int i = 0; i < n_meta; i++) {
        const char *k = kv[2 * (size_t)i], *v = kv[2 * (size_t)i + 1];
        if (!k || !v)
            return lf_error(LF_EINVAL, "%s: metadata pair %d has a NULL key or value", path, i);
        if (cJSON_GetObjectItemCaseSensitive(meta, k))
            return lf_error(LF_EINVAL, "%s: duplicate metadata key \"%s\"", path, k);
        if (crc && !strcmp(k, ST_CRC))
            return lf_error(LF_EINVAL, "%s: metadata key \"%s\" is reserved for the checksum",
                            path, k);
        if (!cJSON_AddStringToObject(meta, k, v))
            return lf_error(LF_ENOMEM, "%s: out of memory building the header", path);
    }
    if (crc && !cJSON_AddStringToObject(meta, ST_CRC, crc))
        return lf_error(LF_ENOMEM, "%s: out of memory building the header", path);
    return LF_OK;
}

/* Checks every entry and places it in the data section: 8-byte types first, then 4-byte,
 * then bytes (each group in the caller's order), so every tensor is naturally aligned in the
 * file and a reader can use it in place. *data_bytes receives the section size and *crc (when
 * not NULL) the CRC-32 of the section, accumulated in that same order. */
static lf_status st_layout(const char *path, const lf_st_entry *e, int n, int64_t *off,
                           int64_t *data_bytes, uint32_t *crc)
{
    for (int i = 0; i < n; i++) {
        lf_status s = st_check_entry(path, &e[i], &off[i]);
        if (s != LF_OK) return s;
    }
    int64_t at = 0;
    for (size_t size = 8; size >= 1; size /= 2)
        for (int i = 0; i < n; i++) {
            if (lf_dtype_size(e[i].dtype) != size) continue;
            int64_t nb = off[i];
            if (nb > INT64_MAX - at)
                return lf_error(LF_EINVAL, "%s: total tensor size overflows", path);
            off[i] = at;
            at += nb;
            if (crc && nb) *crc = (uint32_t)crc32_z(*crc, e[i].data, (size_t)nb);
        }
    *data_bytes = at;
    return LF_OK;
}

/* The JSON header: metadata first, then the entries in the caller's order. */
static lf_status st_build_header(const char *path, const lf_st_entry *e, int n,
                                 const char *const *meta_kv, int n_meta, const char *crc,
                                 const int64_t *off, cJSON *root)
{
    lf_status s = st_add_meta(path, root, meta_kv, n_meta, crc);
    if (s != LF_OK) return s;
    for (int i = 0; i < n; i++) {
        char shape[LF_MAX_DIMS * 24 + 4], offs[52];
        st_int_array(shape, sizeof shape, e[i].shape, e[i].ndim);
        int64_t range[2] = {off[i], off[i] + st_nbytes(e[i].dtype, e[i].ndim, e[i].shape)};
        st_int_array(offs, sizeof offs, range, 2);
        if (cJSON_GetObjectItemCaseSensitive(root, e[i].name))
            return lf_error(LF_EINVAL, "%s: duplicate tensor name \"%s\"", path, e[i].name);
        cJSON *t = cJSON_AddObjectToObject(root, e[i].name);
        if (!t || !cJSON_AddStringToObject(t, "dtype", st_dtype_name(e[i].dtype)) ||
            !cJSON_AddRawToObject(t, "shape", shape) ||
            !cJSON_AddRawToObject(t, "data_offsets", offs))
            return lf_error(LF_ENOMEM, "%s: out of memory building the header", path);
    }
    return LF_OK;
}

/* Lays out length, padded header and data into one buffer (caller frees). */
static lf_status st_serialize(const char *path, const char *json, const lf_st_entry *e, int n,
                              const int64_t *off, int64_t data_bytes, unsigned char **out,
                              size_t *out_n)
{
    size_t jlen = strlen(json);
    size_t hlen = (jlen + ST_ALIGN - 1) / ST_ALIGN * ST_ALIGN;
    if ((uint64_t)data_bytes > SIZE_MAX - 8 - hlen)
        return lf_error(LF_ENOMEM, "%s: file of %" PRId64 " data bytes is too large", path,
                        data_bytes);
    size_t total = 8 + hlen + (size_t)data_bytes;
    unsigned char *buf = malloc(total);
    if (!buf) return lf_error(LF_ENOMEM, "%s: cannot allocate %zu bytes", path, total);
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
    /* NOLINTNEXTLINE(bugprone-not-null-terminated-result): space-padded, not a C string */
    memcpy(buf + 8, json, jlen);
    memset(buf + 8 + jlen, ' ', hlen - jlen);
    for (int i = 0; i < n; i++) {
        size_t nb = (size_t)st_nbytes(e[i].dtype, e[i].ndim, e[i].shape);
        if (nb) memcpy(buf + 8 + hlen + off[i], e[i].data, nb);
    }
    *out = buf;
    *out_n = total;
    return LF_OK;
}

/* Header text for the entries at offsets off (caller frees with cJSON_free); with_crc adds
 * the checksum of the data section to the metadata. */
static lf_status st_header_text(const char *path, const lf_st_entry *e, int n,
                                const char *const *meta_kv, int n_meta, int with_crc,
                                int64_t *off, int64_t *data_bytes, char **json)
{
    cJSON *root = cJSON_CreateObject();
    if (!root) return lf_error(LF_ENOMEM, "%s: out of memory building the header", path);
    uint32_t crc = (uint32_t)crc32_z(0, Z_NULL, 0);
    char crc_text[16];
    lf_status s = st_layout(path, e, n, off, data_bytes, with_crc ? &crc : NULL);
    snprintf(crc_text, sizeof crc_text, "%08" PRIx32, crc);
    if (s == LF_OK)
        s = st_build_header(path, e, n, meta_kv, n_meta, with_crc ? crc_text : NULL, off, root);
    if (s == LF_OK && !(*json = cJSON_PrintUnformatted(root)))
        s = lf_error(LF_ENOMEM, "%s: out of memory printing the header", path);
    cJSON_Delete(root);
    return s;
}

static lf_status st_write(const char *path, const lf_st_entry *e, int n,
                          const char *const *meta_kv, int n_meta, int with_crc)
{
    if (!path || n < 0 || (n > 0 && !e) || n_meta < 0 || (n_meta > 0 && !meta_kv))
        return lf_error(LF_EINVAL, "lf_st_write: invalid arguments (path %s, n %d, n_meta %d)",
                        path ? path : "NULL", n, n_meta);
    int64_t *off = malloc(((size_t)n + 1) * sizeof *off), data_bytes = 0;
    if (!off) return lf_error(LF_ENOMEM, "%s: cannot allocate an index of %d tensors", path, n);
    char *json = NULL;
    unsigned char *buf = NULL;
    size_t total = 0;
    lf_status s = st_header_text(path, e, n, meta_kv, n_meta, with_crc, off, &data_bytes, &json);
    if (s == LF_OK) s = st_serialize(path, json, e, n, off, data_bytes, &buf, &total);
    if (s == LF_OK) s = lf_write_atomic(path, buf, total);
    cJSON_free(json);
    free(buf);
    free(off);
    return s;
}

lf_status lf_st_write(const char *path, const lf_st_entry *e, int n, const char *const *meta_kv,
                      int n_meta)
{
    return st_write(path, e, n, meta_kv, n_meta, 0);
}

lf_status lf_st_write_crc(const char *path, const lf_st_entry *e, int n,
                          const char *const *meta_kv, int n_meta)
{
    return st_write(path, e, n, meta_kv, n_meta, 1);
}

/* ------------------------------------------------------------------ reader */

struct lf_st {
    unsigned char *buf;   /* the whole file */
    cJSON *root;          /* parsed header: owns the names */
    const cJSON *meta;    /* "__metadata__" object or NULL */
    lf_st_entry *e;       /* header order */
    const lf_st_entry **by_name; /* sorted by name, for lf_st_get */
    void **copies;        /* aligned copies of misaligned entries (or NULL) */
    int n;
};

/* A JSON number that is an exact non-negative integer (cJSON keeps numbers as doubles). */
static int st_json_uint(const cJSON *it, int64_t *out)
{
    if (!cJSON_IsNumber(it)) return 0;
    double v = it->valuedouble;
    if (!(v >= 0 && v <= ST_MAX_INT) || v != (double)(int64_t)v) return 0;
    *out = (int64_t)v;
    return 1;
}

static lf_status st_parse_meta(const char *path, const cJSON *meta)
{
    if (!cJSON_IsObject(meta))
        return lf_error(LF_EFORMAT, "%s: \"%s\" must be an object of strings", path, ST_META);
    for (const cJSON *m = meta->child; m; m = m->next) {
        if (!cJSON_IsString(m))
            return lf_error(LF_EFORMAT, "%s: %s \"%s\" must be a string", path, ST_META,
                            m->string);
        if (cJSON_GetObjectItemCaseSensitive(meta, m->string) != m)
            return lf_error(LF_EFORMAT, "%s: duplicate %s key \"%s\"", path, ST_META, m->string);
    }
    return LF_OK;
}

typedef struct st_span {
    int64_t begin, end;
    int idx;
} st_span;

/* Fills e (name, dtype, shape) and its byte range from one header item and checks them. */
static lf_status st_parse_entry(const char *path, const cJSON *it, int64_t data_len,
                                lf_st_entry *e, st_span *span)
{
    const char *name = it->string;
    if (!cJSON_IsObject(it))
        return lf_error(LF_EFORMAT, "%s: tensor \"%s\" must be an object", path, name);
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(it, "dtype");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(it, "shape");
    const cJSON *of = cJSON_GetObjectItemCaseSensitive(it, "data_offsets");
    if (!cJSON_IsString(dt))
        return lf_error(LF_EFORMAT, "%s: tensor \"%s\": missing string \"dtype\"", path, name);
    if (!st_dtype_parse(dt->valuestring, &e->dtype))
        return lf_error(LF_EFORMAT, "%s: tensor \"%s\": unsupported dtype \"%s\" (F32, F64, I32, "
                        "I64, U8, BF16)", path, name, dt->valuestring);
    int ndim = cJSON_GetArraySize(sh);
    if (!cJSON_IsArray(sh) || ndim > LF_MAX_DIMS)
        return lf_error(LF_EFORMAT, "%s: tensor \"%s\": \"shape\" must be an array of at most %d "
                        "dims", path, name, LF_MAX_DIMS);
    e->ndim = ndim;
    for (int d = 0; d < LF_MAX_DIMS; d++) e->shape[d] = 1;
    for (int d = 0; d < ndim; d++)
        if (!st_json_uint(cJSON_GetArrayItem(sh, d), &e->shape[d]))
            return lf_error(LF_EFORMAT, "%s: tensor \"%s\": shape[%d] is not a non-negative "
                            "integer", path, name, d);
    int64_t b, end;
    if (!cJSON_IsArray(of) || cJSON_GetArraySize(of) != 2 ||
        !st_json_uint(cJSON_GetArrayItem(of, 0), &b) ||
        !st_json_uint(cJSON_GetArrayItem(of, 1), &end) || b > end)
        return lf_error(LF_EFORMAT, "%s: tensor \"%s\": \"data_offsets\" must be [begin, end] "
                        "with 0 <= begin <= end", path, name);
    if (end > data_len)
        return lf_error(LF_EFORMAT, "%s: tensor \"%s\": data_offsets [%" PRId64 ", %" PRId64
                        "] past the end of the %" PRId64 "-byte data section (truncated file?)",
                        path, name, b, end, data_len);
    int64_t nb = st_nbytes(e->dtype, ndim, e->shape);
    if (nb < 0)
        return lf_error(LF_EFORMAT, "%s: tensor \"%s\": shape product overflows", path, name);
    if (nb != end - b)
        return lf_error(LF_EFORMAT, "%s: tensor \"%s\": dtype %s and shape need %" PRId64
                        " bytes but data_offsets span %" PRId64, path, name, dt->valuestring, nb,
                        end - b);
    e->name = name;
    span->begin = b;
    span->end = end;
    return LF_OK;
}

static int st_cmp_span(const void *a, const void *b)
{
    const st_span *x = a, *y = b;
    if (x->begin != y->begin) return (x->begin > y->begin) - (x->begin < y->begin);
    return (x->end > y->end) - (x->end < y->end);
}

static int st_cmp_name(const void *a, const void *b)
{
    return strcmp((*(const lf_st_entry *const *)a)->name, (*(const lf_st_entry *const *)b)->name);
}

/* The tensors must tile the data section: sorted by offset, each starts where the previous
 * ends, and the last ends at the end of the section. */
static lf_status st_check_tiling(const char *path, const lf_st *st, st_span *sp, int64_t data_len)
{
    qsort(sp, (size_t)st->n, sizeof *sp, st_cmp_span);
    int64_t at = 0;
    for (int i = 0; i < st->n; i++) {
        if (sp[i].begin != at)
            return lf_error(LF_EFORMAT, "%s: tensor \"%s\": data_offsets begin %" PRId64 " %s "
                            "the previous tensor, which ends at %" PRId64, path,
                            st->e[sp[i].idx].name, sp[i].begin,
                            sp[i].begin < at ? "overlaps" : "leaves a gap after", at);
        at = sp[i].end;
    }
    if (at != data_len)
        return lf_error(LF_EFORMAT, "%s: the tensors cover %" PRId64 " bytes of the %" PRId64
                        "-byte data section", path, at, data_len);
    return LF_OK;
}

static lf_status st_check_names(const char *path, lf_st *st)
{
    for (int i = 0; i < st->n; i++) st->by_name[i] = &st->e[i];
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers is sorted */
    qsort(st->by_name, (size_t)st->n, sizeof *st->by_name, st_cmp_name);
    for (int i = 1; i < st->n; i++)
        if (!strcmp(st->by_name[i - 1]->name, st->by_name[i]->name))
            return lf_error(LF_EFORMAT, "%s: duplicate tensor \"%s\"", path, st->by_name[i]->name);
    return LF_OK;
}

/* Points entries into the data section; an entry whose address is not a multiple of its
 * element size gets an aligned copy, so callers may read it as float/double/int. */
static lf_status st_bind_data(const char *path, lf_st *st, const st_span *sp,
                              const unsigned char *data)
{
    for (int i = 0; i < st->n; i++) {
        lf_st_entry *e = &st->e[sp[i].idx];
        const unsigned char *p = data + sp[i].begin;
        size_t nb = (size_t)(sp[i].end - sp[i].begin);
        e->data = p;
        if ((uintptr_t)p % lf_dtype_size(e->dtype) == 0) continue;
        void *copy = malloc(nb);
        if (!copy) return lf_error(LF_ENOMEM, "%s: tensor \"%s\": cannot allocate %zu bytes",
                                   path, e->name, nb);
        memcpy(copy, p, nb);
        st->copies[sp[i].idx] = copy;
        e->data = copy;
    }
    return LF_OK;
}

/* Checks the length prefix and parses the JSON header; *hlen receives its length. */
static lf_status st_parse_header(const char *path, lf_st *st, size_t file_len, uint64_t *hlen)
{
    if (file_len < 8)
        return lf_error(LF_EFORMAT, "%s: %zu bytes, too short for the 8-byte header length",
                        path, file_len);
    uint64_t n = 0;
    for (int i = 0; i < 8; i++) n |= (uint64_t)st->buf[i] << (8 * i);
    if (n > file_len - 8)
        return lf_error(LF_EFORMAT, "%s: header length %" PRIu64 " exceeds the %zu bytes that "
                        "follow it", path, n, file_len - 8);
    const char *json = (const char *)st->buf + 8;
    /* cJSON wants a terminated string; an embedded NUL would hide trailing bytes from it. */
    char *text = n && json[0] == '{' ? malloc((size_t)n + 1) : NULL;
    const char *end = NULL;
    if (text) {
        memcpy(text, json, (size_t)n);
        text[n] = 0;
        if (strlen(text) == n) st->root = cJSON_ParseWithOpts(text, &end, 1);
    }
    long err_at = !st->root && end ? (long)(end - text) : 0;
    free(text);
    if (!st->root)
        return lf_error(LF_EFORMAT, "%s: header is not a JSON object (error near header byte %ld)",
                        path, err_at);
    *hlen = n;
    return LF_OK;
}

static lf_status st_alloc_index(const char *path, lf_st *st, st_span **sp)
{
    int count = 0;
    for (const cJSON *it = st->root->child; it; it = it->next) count++;
    *sp = calloc((size_t)count + 1, sizeof **sp);
    st->e = calloc((size_t)count + 1, sizeof *st->e);
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
    st->by_name = calloc((size_t)count + 1, sizeof *st->by_name);
    st->copies = calloc((size_t)count + 1, sizeof *st->copies);
    if (!*sp || !st->e || !st->by_name || !st->copies)
        return lf_error(LF_ENOMEM, "%s: cannot index %d tensors", path, count);
    return LF_OK;
}

/* Walks the header items in file order: metadata and entries. */
static lf_status st_index(const char *path, lf_st *st, st_span *sp, int64_t data_len)
{
    for (const cJSON *it = st->root->child; it; it = it->next) {
        lf_status s;
        if (!strcmp(it->string, ST_META)) {
            if (st->meta) return lf_error(LF_EFORMAT, "%s: duplicate \"%s\"", path, ST_META);
            if ((s = st_parse_meta(path, it)) != LF_OK) return s;
            st->meta = it;
            continue;
        }
        if ((s = st_parse_entry(path, it, data_len, &st->e[st->n], &sp[st->n])) != LF_OK)
            return s;
        sp[st->n].idx = st->n;
        st->n++;
    }
    return LF_OK;
}

/* A file that carries a checksum must match it: a torn or bit-flipped data section is caught
 * here rather than trained on. */
static lf_status st_check_crc(const char *path, const lf_st *st, const unsigned char *data,
                              int64_t data_len)
{
    const cJSON *c = st->meta ? cJSON_GetObjectItemCaseSensitive(st->meta, ST_CRC) : NULL;
    if (!c) return LF_OK;
    char want[16];
    uint32_t crc = (uint32_t)crc32_z(crc32_z(0, Z_NULL, 0), data, (size_t)data_len);
    snprintf(want, sizeof want, "%08" PRIx32, crc);
    if (strcmp(c->valuestring, want) != 0)
        return lf_error(LF_EFORMAT, "%s: checksum mismatch: %s \"%.16s\" stored, %s computed over "
                        "the %" PRId64 "-byte data section (corrupt or torn file)", path, ST_CRC,
                        c->valuestring, want, data_len);
    return LF_OK;
}

static lf_status st_parse(const char *path, lf_st *st, size_t file_len)
{
    uint64_t hlen = 0;
    st_span *sp = NULL;
    lf_status s = st_parse_header(path, st, file_len, &hlen);
    if (s != LF_OK) return s;
    int64_t data_len = (int64_t)(file_len - 8 - hlen);
    s = st_alloc_index(path, st, &sp);
    if (s == LF_OK) s = st_index(path, st, sp, data_len);
    if (s == LF_OK) s = st_check_names(path, st);
    if (s == LF_OK) s = st_check_tiling(path, st, sp, data_len);
    if (s == LF_OK) s = st_check_crc(path, st, st->buf + 8 + hlen, data_len);
    if (s == LF_OK) s = st_bind_data(path, st, sp, st->buf + 8 + hlen);
    free(sp);
    return s;
}

lf_status lf_st_read(const char *path, lf_st **out)
{
    if (!path || !out) return lf_error(LF_EINVAL, "lf_st_read: path and out must not be NULL");
    lf_st *st = calloc(1, sizeof *st);
    if (!st) return lf_error(LF_ENOMEM, "%s: out of memory", path);
    size_t n = 0;
    lf_status s = lf_read_file(path, 0, &st->buf, &n);
    if (s == LF_OK) s = st_parse(path, st, n);
    if (s != LF_OK) {
        lf_st_free(st);
        return s;
    }
    *out = st;
    return LF_OK;
}

void lf_st_free(lf_st *s)
{
    if (!s) return;
    for (int i = 0; s->copies && i < s->n; i++) free(s->copies[i]);
    free(s->copies);
    free(s->by_name);
    free(s->e);
    cJSON_Delete(s->root);
    free(s->buf);
    free(s);
}

int lf_st_count(const lf_st *s) { return s ? s->n : 0; }

const lf_st_entry *lf_st_at(const lf_st *s, int i)
{
    return s && i >= 0 && i < s->n ? &s->e[i] : NULL;
}

const lf_st_entry *lf_st_get(const lf_st *s, const char *name)
{
    if (!s || !name || !s->n) return NULL;
    lf_st_entry key = {.name = name};
    const lf_st_entry *kp = &key;
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers is searched */
    const lf_st_entry *const *hit = bsearch(&kp, s->by_name, (size_t)s->n, sizeof *s->by_name,
                                            st_cmp_name);
    return hit ? *hit : NULL;
}

const char *lf_st_meta(const lf_st *s, const char *key)
{
    if (!s || !s->meta || !key) return NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(s->meta, key);
    return v ? v->valuestring : NULL;
}
