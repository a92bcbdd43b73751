/* Data: atomic writes, whole-file reads, the IDX/CSV/LIBSVM/NPY readers, dataset operations and
 * the named datasets. Every bad-input case checks the status and that the message names both
 * the file and the problem. */
#include "testutil.h"

#include <dirent.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "data/reader.h"

#define FMNIST "/usr/share/datasets/fashion-mnist"

/* Status plus up to two substrings of the message (NULL = none). */
#define EXPECT(expr, st, n1, n2)                                                               \
    do {                                                                                       \
        lf_status e_ = (expr);                                                                 \
        tu_expect_error(e_, (st), (n1), #expr);                                                \
        tu_expect_error(e_, (st), (n2), #expr);                                                \
    } while (0)

typedef struct path {
    char s[1024];
} path;

static path in_tmp(const char *name)
{
    path p;
    snprintf(p.s, sizeof p.s, "%s/%s", tu_tmpdir(), name);
    return p;
}

static path put(const char *name, const void *data, size_t n)
{
    path p;
    snprintf(p.s, sizeof p.s, "%s", tu_write_tmp(name, data, n));
    return p;
}

static path put_text(const char *name, const char *text) { return put(name, text, strlen(text)); }

static path put_gz(const char *name, const void *data, size_t n)
{
    path p = in_tmp(name);
    gzFile g = gzopen(p.s, "wb");
    assert_non_null(g);
    assert_int_equal(gzwrite(g, data, (unsigned)n), (int)n);
    assert_int_equal(gzclose(g), Z_OK);
    return p;
}

static void no_tmp_left(void)
{
    DIR *d = opendir(tu_tmpdir());
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        if (strstr(e->d_name, ".tmp.")) fail_msg("temporary file left behind: %s", e->d_name);
    closedir(d);
}

/* ------------------------------------------------------------------ files */
static void expect_content(const char *p, const char *want)
{
    unsigned char *buf;
    size_t n;
    TU_OK(lf_read_file(p, 0, &buf, &n));
    assert_int_equal(n, strlen(want));
    assert_memory_equal(buf, want, n);
    assert_int_equal(buf[n], 0);
    free(buf);
}

static void test_write_atomic(void **state)
{
    (void)state;
    path p = in_tmp("atomic.bin");
    TU_OK(lf_write_atomic(p.s, "hello", 5));
    expect_content(p.s, "hello");
    TU_OK(lf_write_atomic(p.s, "bye", 3));
    expect_content(p.s, "bye");
    TU_OK(lf_write_atomic(p.s, NULL, 0));
    expect_content(p.s, "");
    no_tmp_left();

    path missing = in_tmp("no/such/dir/x.bin");
    EXPECT(lf_write_atomic(missing.s, "x", 1), LF_EIO, missing.s, "No such file");
    path under_file = in_tmp("atomic.bin/x.bin");
    EXPECT(lf_write_atomic(under_file.s, "x", 1), LF_EIO, under_file.s, "Not a directory");
    /* The rename onto a directory fails after the temp file was written: it must be removed. */
    path dir = in_tmp("a_dir");
    assert_int_equal(mkdir(dir.s, 0755), 0);
    EXPECT(lf_write_atomic(dir.s, "x", 1), LF_EIO, dir.s, "rename");
    no_tmp_left();
    if (geteuid() != 0) {
        path ro = in_tmp("ro_dir"), target = in_tmp("ro_dir/x.bin");
        assert_int_equal(mkdir(ro.s, 0555), 0);
        EXPECT(lf_write_atomic(target.s, "x", 1), LF_EIO, target.s, "Permission denied");
    }
}

static void test_read_file(void **state)
{
    (void)state;
    enum { N = 300000 };
    unsigned char *big = malloc(N);
    for (int i = 0; i < N; i++) big[i] = (unsigned char)(i * 7 + i / 1000);
    path plain = put("plain.bin", big, N), gz = put_gz("packed.bin.gz", big, N);
    for (int mode = 0; mode < 3; mode++) {
        unsigned char *buf;
        size_t n;
        TU_OK(lf_read_file(mode == 2 ? gz.s : plain.s, mode > 0, &buf, &n));
        assert_int_equal(n, N);
        assert_memory_equal(buf, big, N);
        free(buf);
    }
    /* Truncate the gzip stream to half its length. */
    struct stat st;
    assert_int_equal(stat(gz.s, &st), 0);
    assert_int_equal(truncate(gz.s, st.st_size / 2), 0);
    unsigned char *buf = NULL;
    size_t n = 0;
    EXPECT(lf_read_file(gz.s, 1, &buf, &n), LF_EFORMAT, gz.s, NULL);
    assert_null(buf);
    path missing = in_tmp("missing.bin");
    EXPECT(lf_read_file(missing.s, 0, &buf, &n), LF_ENOTFOUND, missing.s, "No such file");
    EXPECT(lf_read_file(missing.s, 1, &buf, &n), LF_ENOTFOUND, missing.s, "No such file");
    EXPECT(lf_read_file(tu_tmpdir(), 0, &buf, &n), LF_EIO, tu_tmpdir(), "not a regular file");
    free(big);
}

/* ------------------------------------------------------------------ npy */
static const lf_dtype ALL_DTYPES[] = {LF_F32, LF_I32, LF_U8, LF_F64, LF_I64};

static void roundtrip(lf_dtype dt, int ndim, const int64_t *shape)
{
    int64_t count = 1;
    for (int i = 0; i < ndim; i++) count *= shape[i];
    size_t bytes = (size_t)count * lf_dtype_size(dt);
    unsigned char *data = malloc(bytes + 1);
    for (size_t i = 0; i < bytes; i++) data[i] = (unsigned char)(i * 37 + (size_t)dt * 11 + 5);
    path p = in_tmp("rt.npy");
    TU_OK(lf_npy_write(p.s, dt, ndim, shape, data));
    lf_npy a;
    TU_OK(lf_npy_read(p.s, &a));
    assert_int_equal(a.dtype, dt);
    assert_int_equal(a.ndim, ndim);
    assert_int_equal(a.count, count);
    for (int i = 0; i < ndim; i++) assert_int_equal(a.shape[i], shape[i]);
    if (bytes) assert_memory_equal(a.data, data, bytes);
    struct stat st;
    assert_int_equal(stat(p.s, &st), 0);
    assert_int_equal(((size_t)st.st_size - bytes) % 64, 0); /* data starts aligned */
    lf_npy_release(&a);
    assert_null(a.data);
    free(data);
}

static void test_npy_roundtrip(void **state)
{
    (void)state;
    static const int64_t shape[LF_MAX_DIMS] = {3, 1, 4, 2};
    static const int64_t empty[2] = {0, 3};
    for (size_t t = 0; t < sizeof ALL_DTYPES / sizeof ALL_DTYPES[0]; t++) {
        for (int nd = 0; nd <= LF_MAX_DIMS; nd++) roundtrip(ALL_DTYPES[t], nd, shape);
        roundtrip(ALL_DTYPES[t], 2, empty);
    }
    /* Kept for the NumPy cross-check: gen_fixtures_data.py FILE. */
    float v[24];
    for (int i = 0; i < 24; i++) v[i] = (float)i;
    path p = in_tmp("data_rt_f32.npy");
    TU_OK(lf_npy_write(p.s, LF_F32, 3, (const int64_t[]){2, 3, 4}, v));
    no_tmp_left();
}

static void fixture_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", LF_FIXTURES, name);
}

static double element(const lf_npy *a, int64_t i)
{
    switch (a->dtype) {
    case LF_F32: return ((const float *)a->data)[i];
    case LF_F64: return ((const double *)a->data)[i];
    case LF_I32: return ((const int32_t *)a->data)[i];
    case LF_I64: return (double)((const int64_t *)a->data)[i];
    default: return ((const uint8_t *)a->data)[i];
    }
}

/* The values gen_fixtures_data.py wrote from base = arange(24).reshape(2, 3, 4). */
static void check_fixture(const char *name, lf_dtype dt, double scale, double offset)
{
    char p[1024];
    fixture_path(p, sizeof p, name);
    lf_npy a;
    TU_OK(lf_npy_read(p, &a));
    assert_int_equal(a.dtype, dt);
    assert_int_equal(a.ndim, 3);
    assert_int_equal(a.shape[0], 2);
    assert_int_equal(a.shape[1], 3);
    assert_int_equal(a.shape[2], 4);
    for (int64_t i = 0; i < 24; i++) {
        double want = (double)i * scale + offset;
        if (dt == LF_F32) want = (float)want;
        if (element(&a, i) != want) fail_msg("%s[%lld] = %.17g, want %.17g", name, (long long)i,
                                             element(&a, i), want);
    }
    lf_npy_release(&a);
}

static void test_npy_numpy_fixtures(void **state)
{
    (void)state;
    check_fixture("data_np_f32.npy", LF_F32, 0.5, -3);
    check_fixture("data_np_v2.npy", LF_F32, 0.5, -3);
    check_fixture("data_np_f64.npy", LF_F64, 0.25, 1e-3);
    check_fixture("data_np_i32.npy", LF_I32, 1, -12);
    check_fixture("data_np_i64.npy", LF_I64, 1000003, -1099511627776.0);
    check_fixture("data_np_u8.npy", LF_U8, 10, 0);
    char p[1024];
    fixture_path(p, sizeof p, "data_np_scalar.npy");
    lf_npy a;
    TU_OK(lf_npy_read(p, &a));
    assert_int_equal(a.ndim, 0);
    assert_int_equal(a.count, 1);
    assert_true(element(&a, 0) == 7.5);
    lf_npy_release(&a);
}

/* An npy file with the given version, header dict and data length (zeros). */
static path put_npy(const char *name, int major, const char *dict, size_t data_bytes)
{
    size_t pre = major == 1 ? 10 : 12, hl = strlen(dict) + 1;
    while ((pre + hl) % 64) hl++;
    size_t n = pre + hl + data_bytes;
    unsigned char *b = calloc(n, 1);
    memcpy(b, "\x93NUMPY", 6);
    b[6] = (unsigned char)major;
    b[8] = (unsigned char)(hl & 0xff);
    b[9] = (unsigned char)(hl >> 8);
    memset(b + pre, ' ', hl - 1);
    memcpy(b + pre, dict, strlen(dict));
    b[pre + hl - 1] = '\n';
    path p = put(name, b, n);
    free(b);
    return p;
}

static void expect_npy_error(const char *p, lf_status st, const char *needle)
{
    lf_npy a;
    memset(&a, 0xab, sizeof a);
    EXPECT(lf_npy_read(p, &a), st, p, needle);
    assert_int_equal(a.ndim, (int)0xabababab); /* untouched on failure */
}

static void expect_npy_dict_error(const char *dict, size_t data_bytes, const char *needle)
{
    path p = put_npy("bad.npy", 1, dict, data_bytes);
    expect_npy_error(p.s, LF_EFORMAT, needle);
}

static void test_npy_bad(void **state)
{
    (void)state;
    char p[1024];
    fixture_path(p, sizeof p, "data_np_fortran.npy");
    expect_npy_error(p, LF_EFORMAT, "fortran_order True");
    fixture_path(p, sizeof p, "data_np_bigendian.npy");
    expect_npy_error(p, LF_EFORMAT, "unsupported dtype '>f4'");
    fixture_path(p, sizeof p, "data_np_f16.npy");
    expect_npy_error(p, LF_EFORMAT, "unsupported dtype '<f2'");

    const char *ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (10,), }";
    path good = put_npy("good.npy", 1, ok, 40);
    lf_npy a;
    TU_OK(lf_npy_read(good.s, &a));
    lf_npy_release(&a);
    path v2 = put_npy("good_v2.npy", 2, ok, 40);
    TU_OK(lf_npy_read(v2.s, &a));
    lf_npy_release(&a);

    expect_npy_dict_error(ok, 8, "short data");
    expect_npy_dict_error(ok, 48, "trailing data");
    expect_npy_dict_error("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000,), }", 40,
                          "short data: the shape needs 4000000000 bytes");
    expect_npy_dict_error("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, "
                          "4294967296, 4294967296), }", 0, "shape overflows");
    expect_npy_dict_error("{'descr': '<f8', 'fortran_order': False, 'shape': (1152921504606846976,"
                          "), }", 0, "shape overflows");
    expect_npy_dict_error("{'descr': '<f4', 'fortran_order': False, 'shape': (10), }", 40,
                          "trailing comma");
    expect_npy_dict_error("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 10), }",
                          40, "more than 4 dimensions");
    expect_npy_dict_error("{'descr': '<f4', 'fortran_order': False, }", 40, "lacks 'shape'");
    expect_npy_dict_error("{'descr': '<f4', 'fortran_order': False, 'shape': (10,), 'x': 1}", 40,
                          "unknown npy header key 'x'");
    expect_npy_dict_error("{'descr': '<f4', 'descr': '<f4', 'shape': (10,), }", 40,
                          "duplicate npy header key 'descr'");
    expect_npy_dict_error("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (10,), }",
                          40, "expected a quoted string");
    expect_npy_dict_error("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (10,), }", 40,
                          "fortran_order must be");
    expect_npy_dict_error("{'descr': '<f4', 'fortran_order': False, 'shape': (-10,), }", 40,
                          "expected a dimension");
    expect_npy_dict_error("{'descr': '<f4', 'fortran_order': False, 'shape': (10,), } x", 40,
                          "trailing text");

    path v3 = put_npy("v3.npy", 3, ok, 40);
    expect_npy_error(v3.s, LF_EFORMAT, "unsupported npy version 3.0");
    path magic = put_text("magic.npy", "NOTNUMPY-file-with-enough-bytes");
    expect_npy_error(magic.s, LF_EFORMAT, "bad magic");
    path tiny = put("tiny.npy", "\x93NUM", 4);
    expect_npy_error(tiny.s, LF_EFORMAT, "truncated");
    unsigned char pre[16] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0xe8, 0x03, '{'};
    path longhdr = put("longhdr.npy", pre, sizeof pre);
    expect_npy_error(longhdr.s, LF_EFORMAT, "header length 1000 exceeds");
    path missing = in_tmp("missing.npy");
    expect_npy_error(missing.s, LF_ENOTFOUND, "No such file");

    float x = 1;
    path nodir = in_tmp("no/such/dir/x.npy");
    EXPECT(lf_npy_write(nodir.s, LF_F32, 1, (const int64_t[]){1}, &x), LF_EIO, nodir.s, NULL);
    EXPECT(lf_npy_write(good.s, LF_F32, 5, (const int64_t[]){1, 1, 1, 1, 1}, &x), LF_EINVAL,
           good.s, "ndim 5");
    EXPECT(lf_npy_write(good.s, LF_F32, 1, (const int64_t[]){-1}, &x), LF_EINVAL, good.s,
           "dimension 0 = -1");
}

/* ------------------------------------------------------------------ idx */
static size_t idx_make(unsigned char *b, uint32_t magic, const uint32_t *dims, int ndim,
                       size_t payload)
{
    uint32_t words[4] = {magic, dims[0], ndim > 1 ? dims[1] : 0, ndim > 2 ? dims[2] : 0};
    for (int w = 0; w <= ndim; w++)
        for (int k = 0; k < 4; k++) b[4 * w + k] = (unsigned char)(words[w] >> (24 - 8 * k));
    size_t head = 4 + 4 * (size_t)ndim;
    for (size_t i = 0; i < payload; i++) b[head + i] = (unsigned char)(i * 20 % 256);
    return head + payload;
}

static path idx_images(const char *name, uint32_t n, uint32_t rows, uint32_t cols, size_t payload)
{
    unsigned char b[4096];
    size_t len = idx_make(b, 0x803, (const uint32_t[]){n, rows, cols}, 3, payload);
    return put(name, b, len);
}

static path idx_labels(const char *name, uint32_t n, const unsigned char *lab, size_t payload)
{
    unsigned char b[4096];
    size_t len = idx_make(b, 0x801, (const uint32_t[]){n}, 1, 0);
    memcpy(b + len, lab, payload);
    return put(name, b, len + payload);
}

static void test_idx_read(void **state)
{
    (void)state;
    const unsigned char lab[3] = {2, 0, 1};
    path im = idx_images("im.idx", 3, 2, 2, 12), lb = idx_labels("lb.idx", 3, lab, 3);
    unsigned char raw[64];
    size_t n = idx_make(raw, 0x803, (const uint32_t[]){3, 2, 2}, 3, 12);
    path im_gz = put_gz("im.idx.gz", raw, n);
    for (int gz = 0; gz < 2; gz++) {
        lf_dataset ds;
        TU_OK(lf_read_idx(gz ? im_gz.s : im.s, lb.s, &ds));
        assert_int_equal(ds.n, 3);
        assert_int_equal(ds.d, 4);
        assert_int_equal(ds.ndim, 3);
        assert_int_equal(ds.shape[0], 1);
        assert_int_equal(ds.shape[1], 2);
        assert_int_equal(ds.shape[2], 2);
        assert_int_equal(ds.n_classes, 3);
        assert_null(ds.x); /* pixels stay bytes */
        for (int i = 0; i < 12; i++) assert_int_equal(ds.x8[i], i * 20 % 256);
        float row[4];
        lf_dataset_row(&ds, 2, NULL, row);
        for (int j = 0; j < 4; j++) assert_true(row[j] == (float)((8 + j) * 20 % 256) / 255.0f);
        for (int i = 0; i < 3; i++) assert_int_equal(ds.y[i], lab[i]);
        TU_OK(lf_dataset_validate(&ds));
        /* Byte moments (a histogram) equal the moments of the same data as floats. */
        float m8, s8, mf, sf, fm8[4], fs8[4], fmf[4], fsf[4];
        const float zero[4] = {0, 0, 0, 0}, one[4] = {1, 1, 1, 1};
        lf_dataset_scalar_moments(&ds, &m8, &s8);
        TU_OK(lf_dataset_moments(&ds, fm8, fs8));
        TU_OK(lf_dataset_standardize(&ds, zero, one));
        assert_null(ds.x8);
        lf_dataset_scalar_moments(&ds, &mf, &sf);
        TU_OK(lf_dataset_moments(&ds, fmf, fsf));
        assert_true(fabsf(m8 - mf) < 1e-6f && fabsf(s8 - sf) < 1e-6f);
        tu_assert_close(fm8, fmf, 4, 1e-6, 0, "per-feature mean");
        tu_assert_close(fs8, fsf, 4, 1e-6, 0, "per-feature std");
        lf_dataset_release(&ds);
        assert_null(ds.x);
    }
}

static void expect_idx_error(const char *im, const char *lb, lf_status st, const char *file,
                             const char *needle)
{
    lf_dataset ds;
    memset(&ds, 0x5a, sizeof ds);
    EXPECT(lf_read_idx(im, lb, &ds), st, file, needle);
    assert_int_equal(ds.n, 0x5a5a5a5a5a5a5a5a); /* untouched */
}

static void test_idx_bad(void **state)
{
    (void)state;
    const unsigned char lab[4] = {1, 0, 1, 0};
    path lb = idx_labels("lb3.idx", 3, lab, 3);
    path im = idx_images("im3.idx", 3, 2, 2, 12);
    unsigned char b[64];

    size_t len = idx_make(b, 0x903, (const uint32_t[]){3, 2, 2}, 3, 12);
    path signed_bytes = put("magic.idx", b, len);
    expect_idx_error(signed_bytes.s, lb.s, LF_EFORMAT, signed_bytes.s, "bad IDX magic 0x00000903");
    expect_idx_error(lb.s, im.s, LF_EFORMAT, lb.s, "bad IDX magic 0x00000801");
    idx_make(b, 0x803, (const uint32_t[]){3, 2, 2}, 3, 0);
    path trunc = put("trunc.idx", b, 6);
    expect_idx_error(trunc.s, lb.s, LF_EFORMAT, trunc.s, "truncated IDX header");

    path huge = idx_images("huge.idx", 1u << 31, 28, 28, 10);
    expect_idx_error(huge.s, lb.s, LF_EFORMAT, huge.s, "\"number of images\" = 2147483648");
    path over = idx_images("over.idx", 0xffffffffu, 0xffffffffu, 0xffffffffu, 10);
    expect_idx_error(over.s, lb.s, LF_EFORMAT, over.s, "overflows");
    path short_data = idx_images("short.idx", 3, 2, 2, 11);
    expect_idx_error(short_data.s, lb.s, LF_EFORMAT, short_data.s, "the file holds 11");
    path trailing = idx_images("trailing.idx", 3, 2, 2, 13);
    expect_idx_error(trailing.s, lb.s, LF_EFORMAT, trailing.s, "the file holds 13");
    path zero = idx_images("zero.idx", 3, 0, 2, 0);
    expect_idx_error(zero.s, lb.s, LF_EFORMAT, zero.s, "\"rows\" is 0");
    path huge_lb = idx_labels("huge_lb.idx", 1u << 31, lab, 3);
    expect_idx_error(im.s, huge_lb.s, LF_EFORMAT, huge_lb.s, "\"number of labels\"");
    path lb4 = idx_labels("lb4.idx", 4, lab, 4);
    expect_idx_error(im.s, lb4.s, LF_EFORMAT, "3 images", "4 labels");
    path missing = in_tmp("missing.idx");
    expect_idx_error(missing.s, lb.s, LF_ENOTFOUND, missing.s, "No such file");

    len = idx_make(b, 0x803, (const uint32_t[]){3, 2, 2}, 3, 12);
    path gz = put_gz("cut.idx.gz", b, len);
    struct stat st;
    assert_int_equal(stat(gz.s, &st), 0);
    assert_int_equal(truncate(gz.s, st.st_size - 6), 0);
    expect_idx_error(gz.s, lb.s, LF_EFORMAT, gz.s, NULL);
}

/* ------------------------------------------------------------------ numbers */
static void same_as_strtod(const char *text)
{
    double got = 0, want = strtod(text, NULL);
    if (!lf_parse_number(text, text + strlen(text), &got)) fail_msg("'%s' rejected", text);
    if (memcmp(&got, &want, sizeof got) != 0)
        fail_msg("'%s': got %.17g, strtod says %.17g", text, got, want);
}

/* The fast path must give bit for bit what strtod gives, and refuse what strtod refuses. */
static void test_parse_number(void **state)
{
    (void)state;
    static const char *const fixed[] = {
        "0", "-0", "+0", "0.0", "-0.000", "1.", ".5", "-.5", "1e5", "1E-5", "1e+22", "1e23",
        "1e-22", "1e-23", "123456789012345", "1234567890123456", "0.1", "0.3", "9007199254740993",
        "0.000000000000000000000000001", "0e999", "4.9406564584124654e-324", "1.7976931348623157e308",
        "2.2250738585072014e-308", "0x1p3", "inf", "-Infinity", "000123.4500", "7e0000000000001",
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) same_as_strtod(fixed[i]);
    lf_rng r;
    lf_rng_seed(&r, 9);
    char buf[64];
    for (int i = 0; i < 200000; i++) {
        double v = ldexp(lf_rng_uniform(&r) - 0.5, (int)lf_rng_below(&r, 200) - 100);
        int prec = 1 + (int)lf_rng_below(&r, 17);
        snprintf(buf, sizeof buf, i % 2 ? "%.*g" : "%.*f", prec, v);
        same_as_strtod(buf);
    }
    static const char *const bad[] = {"", " ", ".", "-", "+", "1e", "1e+", "1e5x", "1.2.3",
                                      "--1", "1-", "e5", "1 2", "0x", "1,5"};
    double v;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (lf_parse_number(bad[i], bad[i] + strlen(bad[i]), &v)) fail_msg("'%s' accepted", bad[i]);
    int64_t lab;
    static const char *const labels[] = {"-12", "+3.0", "2.5", "1e300"};
    for (int i = 0; i < 4; i++)
        assert_int_equal(lf_parse_label(labels[i], labels[i] + strlen(labels[i]), &lab), i < 2);
    assert_int_equal(lab, 3);
}

/* ------------------------------------------------------------------ csv */
static void expect_floats(const float *got, const float *want, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (got[i] != want[i]) fail_msg("x[%lld] = %.9g, want %.9g", (long long)i,
                                        (double)got[i], (double)want[i]);
}

static void expect_labels(const int32_t *got, const int32_t *want, int64_t n)
{
    for (int64_t i = 0; i < n; i++) assert_int_equal(got[i], want[i]);
}

static const float CSV_X[6] = {1.5f, 2, -300, 0.25f, 4, 5};
static const int32_t CSV_Y[3] = {1, 0, 1};

static void expect_csv(const char *p, const lf_csv_opts *o)
{
    lf_dataset ds;
    TU_OK(lf_read_csv(p, o, &ds));
    assert_int_equal(ds.n, 3);
    assert_int_equal(ds.d, 2);
    assert_int_equal(ds.ndim, 1);
    assert_int_equal(ds.shape[0], 2);
    assert_int_equal(ds.n_classes, 2);
    expect_floats(ds.x, CSV_X, 6);
    expect_labels(ds.y, CSV_Y, 3);
    lf_dataset_release(&ds);
}

static void test_csv_read(void **state)
{
    (void)state;
    const char *last = "a,b,label\n1.5,2,7\n-3e2, 0.25 ,3\n\n4,5,7\r\n";
    expect_csv(put_text("last.csv", last).s, &(lf_csv_opts){1, -1, 0});
    expect_csv(put_gz("last.csv.gz", last, strlen(last)).s, &(lf_csv_opts){1, -1, 0});
    expect_csv(put_text("first.csv", "7,1.5,2\n3,-3e2,0.25\n7,4,5").s, &(lf_csv_opts){0, 0, 0});
    expect_csv(put_text("semi.csv", "x;7;y\n1.5;7;2\n-300;3;0.25\n4;7;5\n").s,
               &(lf_csv_opts){1, 1, ';'});

    lf_dataset ds;
    TU_OK(lf_read_csv(put_text("nolabel.csv", "1,2,3\n4,5,6\n").s, &(lf_csv_opts){0, -2, 0}, &ds));
    assert_int_equal(ds.n, 2);
    assert_int_equal(ds.d, 3);
    assert_null(ds.y);
    assert_true(ds.x[5] == 6.0f);
    lf_dataset_release(&ds);

    /* strtod must stay in the C locale whatever the process locale says. */
    if (setlocale(LC_NUMERIC, "de_DE.UTF-8")) {
        expect_csv(put_text("locale.csv", last).s, &(lf_csv_opts){1, -1, 0});
        setlocale(LC_NUMERIC, "C");
    }
}

static void expect_csv_error(const char *name, const char *text, const lf_csv_opts *o,
                             lf_status st, const char *where, const char *needle)
{
    path p = put_text(name, text);
    char loc[1100];
    snprintf(loc, sizeof loc, "%s%s", p.s, where);
    lf_dataset ds;
    memset(&ds, 0x5a, sizeof ds);
    EXPECT(lf_read_csv(p.s, o, &ds), st, loc, needle);
    assert_int_equal(ds.n, 0x5a5a5a5a5a5a5a5a);
}

static void test_csv_bad(void **state)
{
    (void)state;
    const lf_csv_opts o = {0, -1, 0};
    expect_csv_error("fewer.csv", "1,2,3\n4,5\n", &o, LF_EFORMAT, ":2:3", "ragged row");
    expect_csv_error("more.csv", "1,2\n3,4\n3,4,5\n", &o, LF_EFORMAT, ":3:3", "extra column");
    expect_csv_error("word.csv", "1,2\nx1,3\n", &o, LF_EFORMAT, ":2:1", "not a number: 'x1'");
    expect_csv_error("suffix.csv", "1,2\n1.5kg,3\n", &o, LF_EFORMAT, ":2:1", "not a number");
    expect_csv_error("nan.csv", "1,2\nnan,3\n", &o, LF_ENUMERIC, ":2:1", "non-finite feature 'nan'");
    expect_csv_error("inf.csv", "1,2\n-inf,3\n", &o, LF_ENUMERIC, ":2:1", "non-finite");
    expect_csv_error("big.csv", "1,2\n1e39,3\n", &o, LF_ENUMERIC, ":2:1", "non-finite");
    expect_csv_error("empty.csv", "1,2,3\n4,,6\n", &o, LF_EFORMAT, ":2:2", "empty field");
    expect_csv_error("trail.csv", "1,2,3\n4,5,\n", &o, LF_EFORMAT, ":2:3", "empty field");
    expect_csv_error("frac.csv", "1,2\n1,2.5\n", &o, LF_EFORMAT, ":2:2", "label '2.5' is not an integer");
    expect_csv_error("nanlab.csv", "1,nan\n", &o, LF_EFORMAT, ":1:2", "not an integer");
    expect_csv_error("col.csv", "1,2\n", &(lf_csv_opts){0, 5, 0}, LF_EINVAL, "", "label column 5");
    expect_csv_error("header.csv", "a,b\n\n", &(lf_csv_opts){1, -1, 0}, LF_EFORMAT, "",
                     "no data rows");
    expect_csv_error("onlylabel.csv", "1\n2\n", &o, LF_EFORMAT, "", "no feature columns");
    expect_csv_error("delim.csv", "1.2\n", &(lf_csv_opts){0, -1, '.'}, LF_EINVAL, "", "delimiter");
    lf_dataset ds;
    path missing = in_tmp("missing.csv");
    EXPECT(lf_read_csv(missing.s, &o, &ds), LF_ENOTFOUND, missing.s, "No such file");
}

/* ------------------------------------------------------------------ libsvm */
static void test_libsvm_read(void **state)
{
    (void)state;
    const char *text = "+1 1:0.5 3:2\n-1 2:1e0   # a comment\n# only a comment\n\n  +1\n";
    path p = put_text("a.svm", text);
    lf_dataset ds;
    TU_OK(lf_read_libsvm(p.s, 0, &ds));
    assert_int_equal(ds.n, 3);
    assert_int_equal(ds.d, 3);
    assert_int_equal(ds.n_classes, 2);
    expect_floats(ds.x, (const float[]){0.5f, 0, 2, 0, 1, 0, 0, 0, 0}, 9);
    expect_labels(ds.y, (const int32_t[]){1, 0, 1}, 3);
    lf_dataset_release(&ds);

    TU_OK(lf_read_libsvm(put_gz("a.svm.gz", text, strlen(text)).s, 5, &ds));
    assert_int_equal(ds.d, 5);
    expect_floats(ds.x, (const float[]){0.5f, 0, 2, 0, 0, 0, 1, 0, 0, 0}, 10);
    lf_dataset_release(&ds);
}

static void expect_svm_error(const char *text, int64_t nf, lf_status st, const char *where,
                             const char *needle)
{
    path p = put_text("bad.svm", text);
    char loc[1100];
    snprintf(loc, sizeof loc, "%s%s", p.s, where);
    lf_dataset ds;
    memset(&ds, 0x5a, sizeof ds);
    EXPECT(lf_read_libsvm(p.s, nf, &ds), st, loc, needle);
    assert_int_equal(ds.n, 0x5a5a5a5a5a5a5a5a);
}

static void test_libsvm_bad(void **state)
{
    (void)state;
    expect_svm_error("1 1:1\n1 3:1 2:1\n", 0, LF_EFORMAT, ":2", "ascending");
    expect_svm_error("1 1:1 1:2\n", 0, LF_EFORMAT, ":1", "ascending");
    expect_svm_error("1 0:1\n", 0, LF_EFORMAT, ":1", "index in 1..");
    expect_svm_error("1 -2:1\n", 0, LF_EFORMAT, ":1", "index in 1..");
    expect_svm_error("1 99999999999:1\n", 0, LF_EFORMAT, ":1", "index in 1..");
    expect_svm_error("1 3:1\n", 2, LF_EFORMAT, ":1", "exceeds features=2");
    expect_svm_error("1 1:1\n0 2:nan\n", 0, LF_ENUMERIC, ":2", "feature 2: non-finite value 'nan'");
    expect_svm_error("1 1:1e400\n", 0, LF_ENUMERIC, ":1", "non-finite");
    expect_svm_error("a 1:1\n", 0, LF_EFORMAT, ":1", "label is not an integer");
    expect_svm_error("0.5 1:1\n", 0, LF_EFORMAT, ":1", "label is not an integer");
    expect_svm_error("1 1:\n", 0, LF_EFORMAT, ":1", "missing value");
    expect_svm_error("1 1: 2\n", 0, LF_EFORMAT, ":1", "missing value");
    expect_svm_error("1 foo\n", 0, LF_EFORMAT, ":1", "expected index:value");
    expect_svm_error("1 qid:3 1:1\n", 0, LF_EFORMAT, ":1", "expected index:value");
    expect_svm_error("1 1:abc\n", 0, LF_EFORMAT, ":1", "not a number");
    expect_svm_error("# nothing\n\n", 0, LF_EFORMAT, "", "no data rows");
    lf_dataset ds;
    path missing = in_tmp("missing.svm");
    EXPECT(lf_read_libsvm(missing.s, 0, &ds), LF_ENOTFOUND, missing.s, "No such file");
    EXPECT(lf_read_libsvm(missing.s, -1, &ds), LF_EINVAL, missing.s, "features=-1");
}

/* ------------------------------------------------------------------ dataset operations */
/* Row i holds features i*10 + j and label i % nc, so any copy can be traced to its row. */
static lf_dataset make_ds(int64_t n, int64_t d, int32_t nc)
{
    lf_dataset ds;
    memset(&ds, 0, sizeof ds);
    ds.n = n;
    ds.d = d;
    ds.ndim = 1;
    ds.shape[0] = d;
    ds.n_classes = nc;
    ds.x = malloc((size_t)(n * d) * sizeof(float));
    ds.y = malloc((size_t)n * sizeof(int32_t));
    for (int64_t i = 0; i < n; i++) {
        for (int64_t j = 0; j < d; j++) ds.x[i * d + j] = (float)(i * 10 + j);
        ds.y[i] = (int32_t)(i % nc);
    }
    snprintf(ds.name, sizeof ds.name, "toy");
    return ds;
}

/* Class ids are bounded (issue 10 item 5): by the rows for ids as stored, and by LF_MAX_CLASSES
 * distinct values for mapped labels. */
static void test_class_bounds(void **state)
{
    (void)state;
    TU_OK(lf_ds_check_class_id("y.npy", 0, LF_CLASSES_FREE - 1, 1));
    EXPECT(lf_ds_check_class_id("y.npy", 3, LF_CLASSES_FREE, 1), LF_EFORMAT, "y.npy: row 3",
           "label 1024 is outside the class ids [0, 1024)");
    TU_OK(lf_ds_check_class_id("y.npy", 0, 16 * 1000 - 1, 1000));
    EXPECT(lf_ds_check_class_id("y.npy", 0, 16 * 1000, 1000), LF_EFORMAT, "[0, 16000)", NULL);
    EXPECT(lf_ds_check_class_id("y.npy", 0, LF_MAX_CLASSES, INT64_MAX / 2), LF_EFORMAT,
           "[0, 1048576)", NULL);
    EXPECT(lf_ds_check_class_id("y.npy", 0, 2147483647, 4), LF_EFORMAT, "label 2147483647", NULL);
    EXPECT(lf_ds_check_class_id("y.npy", 0, -1, 4), LF_EFORMAT, "label -1", NULL);
    /* Mapped labels (CSV, LIBSVM): distinct values past the cap are refused. */
    const int64_t n = LF_MAX_CLASSES + 1;
    int64_t *raw = malloc((size_t)n * sizeof *raw);
    assert_non_null(raw);
    for (int64_t i = 0; i < n; i++) raw[i] = 7 * i;
    lf_dataset ds;
    TU_OK(lf_ds_alloc(&ds, n, 1, 0, "many"));
    EXPECT(lf_ds_set_labels(&ds, raw, NULL, NULL), LF_EFORMAT, "1048577 distinct values",
           "more than the 1048576 classes");
    lf_dataset_release(&ds);
    free(raw);
}

static void test_validate(void **state)
{
    (void)state;
    lf_dataset ds = make_ds(5, 3, 2);
    TU_OK(lf_dataset_validate(&ds));
    ds.y[2] = 2;
    EXPECT(lf_dataset_validate(&ds), LF_EINVAL, "toy", "row 2: label 2 outside [0, 2)");
    ds.y[2] = -1;
    EXPECT(lf_dataset_validate(&ds), LF_EINVAL, "toy", "row 2: label -1");
    ds.y[2] = 0;
    ds.x[1 * 3 + 2] = NAN;
    EXPECT(lf_dataset_validate(&ds), LF_ENUMERIC, "toy", "row 1, column 2");
    ds.x[1 * 3 + 2] = INFINITY;
    EXPECT(lf_dataset_validate(&ds), LF_ENUMERIC, "toy", "row 1, column 2");
    lf_dataset_release(&ds);
    assert_null(ds.x);
    lf_dataset_release(NULL);
}

static void test_subset_split(void **state)
{
    (void)state;
    lf_dataset ds = make_ds(101, 3, 4), tr, va, tr2, va2;
    TU_OK(lf_dataset_split(&ds, 0.2, 5, &tr, &va));
    assert_int_equal(tr.n, 81);
    assert_int_equal(va.n, 20);
    assert_int_equal(va.n_classes, 4);
    int seen[101] = {0};
    for (int part = 0; part < 2; part++) {
        const lf_dataset *s = part ? &va : &tr;
        for (int64_t i = 0; i < s->n; i++) {
            int64_t row = (int64_t)s->x[i * 3] / 10;
            assert_true(s->x[i * 3 + 2] == ds.x[row * 3 + 2]);
            assert_int_equal(s->y[i], row % 4);
            seen[row]++;
        }
    }
    for (int i = 0; i < 101; i++) assert_int_equal(seen[i], 1);
    TU_OK(lf_dataset_split(&ds, 0.2, 5, &tr2, &va2));
    assert_memory_equal(tr.x, tr2.x, (size_t)(tr.n * 3) * sizeof(float));
    assert_memory_equal(va.y, va2.y, (size_t)va.n * sizeof(int32_t));
    lf_dataset_release(&tr2);
    lf_dataset_release(&va2);
    TU_OK(lf_dataset_split(&ds, 0.2, 6, &tr2, &va2));
    assert_true(memcmp(tr.x, tr2.x, (size_t)(tr.n * 3) * sizeof(float)) != 0);
    lf_dataset_release(&tr2);
    lf_dataset_release(&va2);
    lf_dataset_release(&tr);
    lf_dataset_release(&va);

    TU_OK(lf_dataset_split(&ds, 0, 1, &tr, &va));
    assert_int_equal(tr.n, 101);
    assert_int_equal(va.n, 0);
    assert_non_null(va.y);
    lf_dataset_release(&tr);
    lf_dataset_release(&va);
    EXPECT(lf_dataset_split(&ds, 1.5, 1, &tr, &va), LF_EINVAL, "fraction", "1.5");
    EXPECT(lf_dataset_subset(&ds, (const int64_t[]){0, 101}, 2, &tr), LF_EINVAL, "toy",
           "index 101 at position 1");
    lf_dataset_release(&ds);
}

static void test_moments(void **state)
{
    (void)state;
    enum { N = 7, D = 3 };
    lf_dataset ds = make_ds(N, D, 2);
    tu_fill_uniform(ds.x, N * D, -2, 3, 11);
    for (int i = 0; i < N; i++) {
        ds.x[i * D + 1] = 3.7f;                     /* constant */
        ds.x[i * D + 2] = 1e4f + 0.125f * (float)i; /* large offset, small spread */
    }
    float mean[D], std[D];
    TU_OK(lf_dataset_moments(&ds, mean, std));
    for (int j = 0; j < D; j++) {
        double m = 0, v = 0;
        for (int i = 0; i < N; i++) m += ds.x[i * D + j];
        m /= N;
        for (int i = 0; i < N; i++) v += (ds.x[i * D + j] - m) * (ds.x[i * D + j] - m);
        double sd = j == 1 ? 1.0 : sqrt(v / N);
        assert_true(fabs(mean[j] - m) <= 1e-6 * fabs(m));
        if (fabs(std[j] - sd) > 1e-6 * sd) fail_msg("std[%d] = %.9g, want %.9g", j, std[j], sd);
    }
    assert_true(std[1] == 1.0f);
    lf_dataset_standardize(&ds, mean, std);
    for (int j = 0; j < D; j++) {
        double m = 0, v = 0;
        for (int i = 0; i < N; i++) m += ds.x[i * D + j];
        for (int i = 0; i < N; i++) v += ds.x[i * D + j] * ds.x[i * D + j];
        assert_true(fabs(m / N) < 1e-4);
        if (j != 1) assert_true(fabs(v / N - 1) < 1e-3);
    }
    lf_dataset empty = {0};
    EXPECT(lf_dataset_moments(&empty, mean, std), LF_EINVAL, "non-empty", NULL);
    lf_dataset_release(&ds);
}

/* The chunked reduction must not depend on the thread count. */
static void test_scalar_moments(void **state)
{
    (void)state;
    lf_dataset ds = make_ds(300, 300, 2);
    tu_fill_uniform(ds.x, 300 * 300, 0, 1, 3);
    double m = 0, v = 0;
    for (int64_t i = 0; i < 90000; i++) m += ds.x[i];
    m /= 90000;
    for (int64_t i = 0; i < 90000; i++) v += (ds.x[i] - m) * (ds.x[i] - m);
    float mean1, std1, mean2, std2;
    int old = lf_get_threads();
    lf_set_threads(1);
    lf_dataset_scalar_moments(&ds, &mean1, &std1);
    lf_set_threads(2);
    lf_dataset_scalar_moments(&ds, &mean2, &std2);
    lf_set_threads(old);
    assert_true(mean1 == mean2 && std1 == std2);
    assert_true(fabs(mean1 - m) < 1e-6);
    assert_true(fabs(std1 - sqrt(v / 90000)) < 1e-6);
    for (int64_t i = 0; i < 90000; i++) ds.x[i] = 0.1f;
    lf_dataset_scalar_moments(&ds, &mean1, &std1);
    assert_true(mean1 == 0.1f && std1 == 1.0f);
    lf_dataset_release(&ds);
}

/* lf_norm_fit: per-feature moments of the chosen rows for tables, one scalar repeated d times
 * for images; lf_dataset_row applies it; out untouched on failure. */
/* lf_cmp_i64 orders values whose difference overflows int64_t. */
static void test_cmp_i64(void **state)
{
    (void)state;
    int64_t v[5] = {INT64_MAX, -3, INT64_MIN, 7, -3};
    qsort(v, 5, sizeof *v, lf_cmp_i64);
    const int64_t want[5] = {INT64_MIN, -3, -3, 7, INT64_MAX};
    for (int i = 0; i < 5; i++) assert_true(v[i] == want[i]);
}

static void test_norm_fit(void **state)
{
    (void)state;
    enum { N = 6, D = 4 };
    lf_dataset ds = make_ds(N, D, 2);
    const int64_t rows[3] = {4, 1, 2};
    lf_dataset part;
    TU_OK(lf_dataset_subset(&ds, rows, 3, &part));
    float mean[D], std[D];
    TU_OK(lf_dataset_moments(&part, mean, std));
    lf_norm nm;
    TU_OK(lf_norm_fit(&ds, rows, 3, &nm));
    assert_int_equal(nm.d, D);
    assert_ptr_equal(nm.std, nm.mean + D);
    assert_memory_equal(nm.mean, mean, sizeof mean);
    assert_memory_equal(nm.std, std, sizeof std);
    float x[D];
    lf_dataset_row(&ds, 4, &nm, x);
    for (int j = 0; j < D; j++) assert_true(x[j] == (ds.x[4 * D + j] - mean[j]) / std[j]);
    lf_norm_release(&nm);
    lf_norm_release(&nm); /* zeroed: a second release is a no-op */
    lf_norm_release(NULL);
    /* Images: the scalar moments of all rows, repeated. */
    ds.ndim = 3;
    ds.shape[0] = 1, ds.shape[1] = 2, ds.shape[2] = 2;
    float m1, s1;
    lf_dataset_scalar_moments(&ds, &m1, &s1);
    TU_OK(lf_norm_fit(&ds, NULL, 0, &nm));
    for (int j = 0; j < D; j++) assert_true(nm.mean[j] == m1 && nm.std[j] == s1);
    lf_norm_release(&nm);
    /* Failure leaves out alone. */
    lf_norm keep = {.d = 99};
    lf_dataset empty = {0};
    EXPECT(lf_norm_fit(&empty, NULL, 0, &keep), LF_EINVAL, NULL, NULL);
    assert_int_equal(keep.d, 99);
    lf_dataset_release(&part);
    lf_dataset_release(&ds);
}

/* ------------------------------------------------------------------ named datasets */
static void test_load_csv(void **state)
{
    (void)state;
    path tr = put_text("tr.csv", "f,g,y\n1,2,10\n3,4,20\n");
    path te = put_text("te.csv", "f,g,y\n5,6,30\n7,8,20\n");
    char spec[4200];
    snprintf(spec, sizeof spec, "csv:train=%s,test=%s,header=1", tr.s, te.s);
    lf_dataset a, b;
    TU_OK(lf_dataset_load(spec, &a, &b));
    assert_int_equal(a.n, 2);
    assert_int_equal(b.n, 2);
    assert_int_equal(a.n_classes, 3);
    assert_int_equal(b.n_classes, 3);
    expect_labels(a.y, (const int32_t[]){0, 1}, 2); /* labels mapped jointly: 10, 20, 30 */
    expect_labels(b.y, (const int32_t[]){2, 1}, 2);
    assert_string_equal(a.name, "csv");
    lf_dataset_release(&a);
    lf_dataset_release(&b);

    snprintf(spec, sizeof spec, "csv:train=%s,label=0", put_text("l0.csv", "4,1.5\n9,2\n").s);
    TU_OK(lf_dataset_load(spec, &a, &b));
    assert_int_equal(b.n, 0);
    assert_int_equal(a.d, 1);
    expect_labels(a.y, (const int32_t[]){0, 1}, 2);
    lf_dataset_release(&a);
    lf_dataset_release(&b);

    path wide = put_text("wide.csv", "a,b,c,y\n1,2,3,0\n");
    snprintf(spec, sizeof spec, "csv:train=%s,test=%s,header=1", te.s, wide.s);
    EXPECT(lf_dataset_load(spec, &a, &b), LF_EFORMAT, "test rows have 3 features", "train rows 2");
    snprintf(spec, sizeof spec, "csv:train=%s,test=%s", tr.s, te.s);
    EXPECT(lf_dataset_load(spec, &a, &b), LF_EFORMAT, tr.s, "not a number: 'f'");
    EXPECT(lf_dataset_load("csv", &a, &b), LF_EINVAL, "\"csv\"", "\"train\" is required");
}

static void test_load_libsvm(void **state)
{
    (void)state;
    path tr = put_text("tr.svm", "-1 1:1 2:2\n+1 1:3\n");
    path te = put_text("te.svm", "+1 4:1\n");
    char spec[4200];
    snprintf(spec, sizeof spec, "libsvm:train=%s,test=%s", tr.s, te.s);
    lf_dataset a, b;
    TU_OK(lf_dataset_load(spec, &a, &b));
    assert_int_equal(a.d, 4); /* both widened to the larger index */
    assert_int_equal(b.d, 4);
    expect_floats(a.x, (const float[]){1, 2, 0, 0, 3, 0, 0, 0}, 8);
    expect_floats(b.x, (const float[]){0, 0, 0, 1}, 4);
    expect_labels(b.y, (const int32_t[]){1}, 1);
    lf_dataset_release(&a);
    lf_dataset_release(&b);
    snprintf(spec, sizeof spec, "libsvm:train=%s,test=%s,features=3", tr.s, te.s);
    EXPECT(lf_dataset_load(spec, &a, &b), LF_EFORMAT, te.s, "exceeds features=3");
}

static void test_load_npy(void **state)
{
    (void)state;
    uint8_t px[3 * 2 * 2] = {0, 255, 51, 102, 1, 2, 3, 4, 5, 6, 7, 8};
    int64_t lab[3] = {4, 0, 2};
    path x = in_tmp("x.npy"), y = in_tmp("y.npy");
    TU_OK(lf_npy_write(x.s, LF_U8, 3, (const int64_t[]){3, 2, 2}, px));
    TU_OK(lf_npy_write(y.s, LF_I64, 1, (const int64_t[]){3}, lab));
    char spec[4200];
    snprintf(spec, sizeof spec, "npy:x=%s,y=%s,test_x=%s,test_y=%s", x.s, y.s, x.s, y.s);
    lf_dataset a, b;
    TU_OK(lf_dataset_load(spec, &a, &b));
    assert_int_equal(a.n, 3);
    assert_int_equal(a.d, 4);
    assert_int_equal(a.ndim, 2);
    assert_int_equal(a.shape[0], 2);
    assert_int_equal(a.n_classes, 5);
    assert_int_equal(b.n, 3);
    assert_true(a.x[1] == 1.0f && a.x[2] == 51.0f / 255.0f);
    expect_labels(a.y, (const int32_t[]){4, 0, 2}, 3);
    lf_dataset_release(&a);
    lf_dataset_release(&b);

    lab[1] = -3;
    TU_OK(lf_npy_write(y.s, LF_I64, 1, (const int64_t[]){3}, lab));
    snprintf(spec, sizeof spec, "npy:x=%s,y=%s", x.s, y.s);
    EXPECT(lf_dataset_load(spec, &a, &b), LF_EFORMAT, y.s, "row 1: label -3");
    TU_OK(lf_npy_write(y.s, LF_I64, 1, (const int64_t[]){2}, lab));
    EXPECT(lf_dataset_load(spec, &a, &b), LF_EFORMAT, y.s, "shape [3]");
    TU_OK(lf_npy_write(y.s, LF_F32, 1, (const int64_t[]){3}, lab));
    EXPECT(lf_dataset_load(spec, &a, &b), LF_EFORMAT, y.s, "int32, int64 or uint8");
    TU_OK(lf_npy_write(x.s, LF_I32, 1, (const int64_t[]){3}, lab));
    EXPECT(lf_dataset_load(spec, &a, &b), LF_EFORMAT, x.s, "float32, float64 or uint8");
    float bad[3] = {1, NAN, 2};
    int32_t ok[3] = {0, 1, 0};
    TU_OK(lf_npy_write(x.s, LF_F32, 1, (const int64_t[]){3}, bad));
    TU_OK(lf_npy_write(y.s, LF_I32, 1, (const int64_t[]){3}, ok));
    EXPECT(lf_dataset_load(spec, &a, &b), LF_ENUMERIC, "npy", "row 1, column 0");
    snprintf(spec, sizeof spec, "npy:x=%s,y=%s,test_x=%s", x.s, y.s, x.s);
    EXPECT(lf_dataset_load(spec, &a, &b), LF_EINVAL, "test_x", "test_y");
}

/* A Fashion-MNIST look-alike directory with uncompressed IDX files of two images. */
static path fake_fmnist(const unsigned char *train_labels)
{
    static const unsigned char test_labels[2] = {0, 1};
    path dir = in_tmp("fmnist");
    mkdir(dir.s, 0755);
    for (int split = 0; split < 2; split++) {
        const char *pre = split ? "t10k" : "train";
        unsigned char b[4096];
        char name[256];
        size_t len = idx_make(b, 0x803, (const uint32_t[]){2, 28, 28}, 3, 2 * 784);
        snprintf(name, sizeof name, "fmnist/%s-images-idx3-ubyte", pre);
        put(name, b, len);
        len = idx_make(b, 0x801, (const uint32_t[]){2}, 1, 0);
        memcpy(b + len, split ? test_labels : train_labels, 2);
        snprintf(name, sizeof name, "fmnist/%s-labels-idx1-ubyte", pre);
        put(name, b, len + 2);
    }
    return dir;
}

static void test_fmnist_fake(void **state)
{
    (void)state;
    path dir = fake_fmnist((const unsigned char[]){9, 3});
    char spec[1200];
    snprintf(spec, sizeof spec, "fashion-mnist:dir=%s", dir.s);
    lf_dataset a, b;
    TU_OK(lf_dataset_load(spec, &a, &b));
    assert_int_equal(a.n, 2);
    assert_int_equal(a.n_classes, 10);
    assert_int_equal(b.n_classes, 10);
    assert_int_equal(a.ndim, 3);
    assert_int_equal(a.shape[1], 28);
    assert_int_equal(a.y[0], 9);
    lf_dataset_release(&a);
    lf_dataset_release(&b);

    fake_fmnist((const unsigned char[]){9, 12});
    EXPECT(lf_dataset_load(spec, &a, &b), LF_EFORMAT, "train-images-idx3-ubyte", "labels up to 12");
    EXPECT(lf_dataset_load("fashion-mnist:dir=/nonexistent/fm", &a, &b), LF_ENOTFOUND,
           "/nonexistent/fm/train-images-idx3-ubyte",
           "install Debian package `dataset-fashion-mnist` (apt-get install dataset-fashion-mnist)");
    EXPECT(lf_dataset_load("no-such-dataset", &a, &b), LF_ENOTFOUND, "no-such-dataset", NULL);
}

static void test_fmnist_real(void **state)
{
    (void)state;
    if (access(FMNIST "/train-images-idx3-ubyte.gz", R_OK) != 0) {
        print_message("skipped: %s absent (apt-get install dataset-fashion-mnist)\n", FMNIST);
        skip();
    }
    lf_dataset tr, te;
    double t0 = lf_now();
    TU_OK(lf_dataset_load("fashion-mnist", &tr, &te));
    double secs = lf_now() - t0;
    print_message("fashion-mnist loaded in %.3f s\n", secs);
    assert_true(secs < 5.0); /* "well under a second" on an idle machine; CI may be busy */
    assert_int_equal(tr.n, 60000);
    assert_int_equal(te.n, 10000);
    assert_int_equal(tr.d, 784);
    assert_int_equal(tr.ndim, 3);
    assert_int_equal(tr.shape[0], 1);
    assert_int_equal(tr.shape[1], 28);
    assert_int_equal(tr.shape[2], 28);
    assert_int_equal(tr.n_classes, 10);
    assert_int_equal(tr.y[0], 9); /* as NumPy reads the gz files: train starts 9 0 0 3 0 */
    assert_int_equal(tr.y[3], 3);
    assert_int_equal(te.y[1], 2);
    int count[10] = {0};
    for (int64_t i = 0; i < tr.n; i++) count[tr.y[i]]++;
    for (int c = 0; c < 10; c++) assert_int_equal(count[c], 6000);
    float mean, std;
    lf_dataset_scalar_moments(&tr, &mean, &std);
    assert_true(fabs(mean - 72.94035223214286 / 255.0) < 1e-5); /* NumPy's mean of the bytes */
    double s0 = 0;
    for (int j = 0; j < 784; j++) s0 += tr.x8[j];
    assert_true(fabs(s0 - 76247.0) < 0.05); /* pixel sum of image 0 */
    lf_dataset_release(&tr);
    lf_dataset_release(&te);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_atomic),   cmocka_unit_test(test_read_file),
        cmocka_unit_test(test_npy_roundtrip),  cmocka_unit_test(test_npy_numpy_fixtures),
        cmocka_unit_test(test_npy_bad),        cmocka_unit_test(test_idx_read),
        cmocka_unit_test(test_idx_bad),        cmocka_unit_test(test_parse_number),
        cmocka_unit_test(test_csv_read),
        cmocka_unit_test(test_csv_bad),        cmocka_unit_test(test_libsvm_read),
        cmocka_unit_test(test_libsvm_bad),     cmocka_unit_test(test_validate),
        cmocka_unit_test(test_class_bounds),
        cmocka_unit_test(test_subset_split),   cmocka_unit_test(test_moments),
        cmocka_unit_test(test_scalar_moments), cmocka_unit_test(test_norm_fit),
        cmocka_unit_test(test_cmp_i64),
        cmocka_unit_test(test_load_csv),
        cmocka_unit_test(test_load_libsvm),    cmocka_unit_test(test_load_npy),
        cmocka_unit_test(test_fmnist_fake),    cmocka_unit_test(test_fmnist_real),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
