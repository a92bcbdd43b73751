/* io: safetensors (round trip, Python-made reference, hostile headers), SVG curves, progress. */
#include "testutil.h"
#include "internal.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char *slurp(const char *path, size_t *n)
{
    unsigned char *buf = NULL;
    TU_OK(lf_read_file(path, 0, &buf, n));
    return (char *)buf;
}

static const char *tmp_path(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", tu_tmpdir(), name);
    return path;
}

static uint64_t le64(const void *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)((const unsigned char *)p)[i] << (8 * i);
    return v;
}

static void assert_entry(const lf_st_entry *e, const char *name, lf_dtype dtype, int ndim,
                         const int64_t *shape)
{
    assert_non_null(e);
    assert_string_equal(e->name, name);
    assert_int_equal(e->dtype, dtype);
    assert_int_equal(e->ndim, ndim);
    for (int d = 0; d < ndim; d++) assert_int_equal(e->shape[d], shape[d]);
    /* Entries must be readable as their element type, whatever the file's layout. */
    assert_int_equal((uintptr_t)e->data % lf_dtype_size(dtype), 0);
}

/* ------------------------------------------------------------------ safetensors round trip */
static void st_round_trip(void **state)
{
    (void)state;
    float w[6] = {1.5f, -2, 0, 3.25f, 1e-30f, -INFINITY};
    double d[3] = {0.1, -1e300, 4.9406564584124654e-324};
    int32_t i32[2] = {INT32_MIN, 17};
    int64_t i64[1] = {INT64_MAX};
    uint8_t u8[3] = {9, 0, 255};
    float scalar = 7;
    const lf_st_entry in[] = {
        {"layer.0.weight", LF_F32, 2, {2, 3}, w}, {"z.f64", LF_F64, 1, {3}, d},
        {"counts", LF_I32, 2, {1, 2}, i32},        {"step", LF_I64, 1, {1}, i64},
        {"mask", LF_U8, 4, {1, 1, 3, 1}, u8},      {"scalar", LF_F32, 0, {0}, &scalar},
        {"empty", LF_F32, 2, {0, 5}, NULL},
    };
    const int n = (int)(sizeof in / sizeof in[0]);
    const char *meta[] = {"model", "mlp:256,256", "note", "\"quoted\" \\ back\nslash"};
    const char *path = tmp_path("round.safetensors");
    TU_OK(lf_st_write(path, in, n, meta, 2));

    size_t fn;
    char *raw = slurp(path, &fn);
    uint64_t hlen = le64(raw);
    assert_int_equal(hlen % 8, 0);
    assert_true(8 + hlen <= fn);
    assert_memory_equal(raw + 8, "{\"__metadata__\":", 16);
    assert_true(raw[8 + hlen - 1] == '}' || raw[8 + hlen - 1] == ' ');
    /* 8-byte types are laid out first, so every tensor is naturally aligned in the file. */
    assert_non_null(strstr(raw + 8, "\"z.f64\":{\"dtype\":\"F64\",\"shape\":[3],\"data_offsets\":[0,24]}"));
    assert_non_null(strstr(raw + 8, "\"step\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[24,32]}"));
    assert_non_null(strstr(raw + 8, "\"mask\":{\"dtype\":\"U8\",\"shape\":[1,1,3,1],\"data_offsets\":[68,71]}"));
    free(raw);

    lf_st *st = NULL;
    TU_OK(lf_st_read(path, &st));
    assert_int_equal(lf_st_count(st), n);
    for (int i = 0; i < n; i++) {
        const lf_st_entry *e = lf_st_at(st, i); /* header order = write order */
        assert_entry(e, in[i].name, in[i].dtype, in[i].ndim, in[i].shape);
        int64_t count = 1;
        for (int k = 0; k < in[i].ndim; k++) count *= in[i].shape[k];
        if (count) assert_memory_equal(e->data, in[i].data, (size_t)count * lf_dtype_size(e->dtype));
        assert_ptr_equal(lf_st_get(st, in[i].name), e);
    }
    assert_null(lf_st_at(st, n));
    assert_null(lf_st_get(st, "absent"));
    assert_string_equal(lf_st_meta(st, "model"), "mlp:256,256");
    assert_string_equal(lf_st_meta(st, "note"), meta[3]);
    assert_null(lf_st_meta(st, "absent"));
    lf_st_free(st);
    lf_st_free(NULL);

    TU_OK(lf_st_write(path, in, 0, NULL, 0)); /* no tensors, no metadata: "{}" */
    TU_OK(lf_st_read(path, &st));
    assert_int_equal(lf_st_count(st), 0);
    assert_null(lf_st_get(st, "x"));
    lf_st_free(st);
}

static void st_write_rejects(void **state)
{
    (void)state;
    float v[2] = {1, 2};
    const char *path = tmp_path("rejected.safetensors");
    lf_st_entry dup[2] = {{"a", LF_F32, 1, {2}, v}, {"a", LF_F32, 1, {1}, v}};
    TU_ERR(lf_st_write(path, dup, 2, NULL, 0), LF_EINVAL, "duplicate tensor name \"a\"");
    lf_st_entry reserved = {"__metadata__", LF_F32, 1, {2}, v};
    TU_ERR(lf_st_write(path, &reserved, 1, NULL, 0), LF_EINVAL, "reserved");
    lf_st_entry bad_ndim = {"x", LF_F32, 5, {1, 1, 1, 1}, v};
    TU_ERR(lf_st_write(path, &bad_ndim, 1, NULL, 0), LF_EINVAL, "ndim 5");
    lf_st_entry neg = {"x", LF_F32, 1, {-2}, v};
    TU_ERR(lf_st_write(path, &neg, 1, NULL, 0), LF_EINVAL, "\"x\"");
    lf_st_entry nodata = {"x", LF_F32, 1, {2}, NULL};
    TU_ERR(lf_st_write(path, &nodata, 1, NULL, 0), LF_EINVAL, "data is NULL");
    const char *meta[] = {"k", "1", "k", "2"};
    lf_st_entry ok = {"x", LF_F32, 1, {2}, v};
    TU_ERR(lf_st_write(path, &ok, 1, meta, 2), LF_EINVAL, "duplicate metadata key \"k\"");
    assert_int_equal(access(path, F_OK), -1); /* nothing written on failure */
    assert_int_not_equal(lf_st_write("/nonexistent-dir/x.safetensors", &ok, 1, NULL, 0), LF_OK);
}

/* ------------------------------------------------------------------ Python-made reference */
static void check_reference(const lf_st *st)
{
    static const int64_t s5[] = {5}, s23[] = {2, 3}, s4[] = {4}, s31[] = {3, 1}, s2[] = {2},
                         s03[] = {0, 3}, s1234[] = {1, 2, 3, 4};
    assert_int_equal(lf_st_count(st), 8);
    const lf_st_entry *e = lf_st_get(st, "a.bytes");
    assert_entry(e, "a.bytes", LF_U8, 1, s5);
    assert_memory_equal(e->data, ((uint8_t[]){0, 1, 127, 128, 255}), 5);
    assert_entry(e = lf_st_get(st, "b.weight"), "b.weight", LF_F32, 2, s23);
    for (int i = 0; i < 6; i++) assert_true(((const float *)e->data)[i] == i * 0.5f - 1);
    assert_entry(e = lf_st_get(st, "c.f64"), "c.f64", LF_F64, 1, s4);
    const double want_d[4] = {3.141592653589793, 2.718281828459045, -1e300, 5e-324};
    for (int i = 0; i < 4; i++) assert_true(((const double *)e->data)[i] == want_d[i]);
    assert_entry(e = lf_st_get(st, "d.i32"), "d.i32", LF_I32, 2, s31);
    const int32_t want_i[3] = {-7, 0, INT32_MAX};
    assert_memory_equal(e->data, want_i, sizeof want_i);
    assert_entry(e = lf_st_get(st, "e.i64"), "e.i64", LF_I64, 1, s2);
    const int64_t want_l[2] = {-((int64_t)1 << 62), ((int64_t)1 << 40) + 3};
    assert_memory_equal(e->data, want_l, sizeof want_l);
    assert_entry(e = lf_st_get(st, "f.scalar"), "f.scalar", LF_F32, 0, NULL);
    assert_true(*(const float *)e->data == 42.5f);
    assert_entry(lf_st_get(st, "g.empty"), "g.empty", LF_F32, 2, s03);
    assert_entry(e = lf_st_get(st, "h.4d"), "h.4d", LF_F32, 4, s1234);
    for (int i = 0; i < 24; i++) assert_true(((const float *)e->data)[i] == i - 11.5f);
    assert_string_equal(lf_st_meta(st, "format"), "lossforge-test");
    assert_string_equal(lf_st_meta(st, "note"), "quote \" and \xc3\xa9");
}

/* Reads tests/fixtures/io_ref.safetensors (tests/gen_fixtures_io.py: header order differs from
 * data order, and a 5-byte tensor misaligns the rest), then copies it through the C writer into
 * io_copy.safetensors, which the script can check in turn (see its docstring). */
static void st_python_reference(void **state)
{
    (void)state;
    lf_st *st = NULL;
    TU_OK(lf_st_read(LF_FIXTURES "/io_ref.safetensors", &st));
    check_reference(st);
    int n = lf_st_count(st);
    lf_st_entry e[8];
    for (int i = 0; i < n; i++) e[i] = *lf_st_at(st, i);
    const char *meta[] = {"format", lf_st_meta(st, "format"), "source", lf_st_meta(st, "source"),
                          "note", lf_st_meta(st, "note")};
    const char *copy = tmp_path("io_copy.safetensors");
    TU_OK(lf_st_write(copy, e, n, meta, 3));
    lf_st_free(st);
    TU_OK(lf_st_read(copy, &st));
    check_reference(st);
    lf_st_free(st);
}

/* ------------------------------------------------------------------ hostile files */
/* Writes an 8-byte length (= strlen(json) unless hlen != 0), the header, then data_n bytes. */
static const char *st_file(const char *json, uint64_t hlen, size_t data_n)
{
    size_t jn = strlen(json), n = 8 + jn + data_n;
    unsigned char *buf = calloc(1, n);
    assert_non_null(buf);
    uint64_t len = hlen ? hlen : jn;
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)(len >> (8 * i));
    memcpy(buf + 8, json, jn);
    memset(buf + 8 + jn, 0x3f, data_n);
    const char *p = tu_write_tmp("hostile.safetensors", buf, n);
    free(buf);
    return p;
}

static void expect_format_error(const char *path, const char *needle)
{
    lf_st *st = (lf_st *)(uintptr_t)0x1; /* must stay untouched */
    TU_ERR(lf_st_read(path, &st), LF_EFORMAT, needle);
    assert_ptr_equal(st, (lf_st *)(uintptr_t)0x1);
    if (!strstr(lf_last_error(), "hostile.safetensors"))
        fail_msg("message \"%s\" does not name the file", lf_last_error());
}

#define T1(name, dt, dims, b, e) \
    "\"" name "\":{\"dtype\":\"" dt "\",\"shape\":[" dims "],\"data_offsets\":[" #b "," #e "]}"

static void st_hostile_headers(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        size_t data;
        const char *needle;
    } cases[] = {
        {"{not json}", 0, "not a JSON object"},
        {"[1,2]", 0, "not a JSON object"},
        {"{\"a\":1} trailing", 0, "not a JSON object"},
        {"{" T1("a", "F32", "2", 0, 8) "," T1("b", "F32", "1", 4, 8) "}", 8, "\"b\": data_offsets begin 4 overlaps"},
        {"{" T1("a", "F32", "1", 0, 4) "," T1("b", "F32", "1", 8, 12) "}", 12, "\"b\": data_offsets begin 8 leaves a gap"},
        {"{" T1("a", "F32", "4", 0, 16) "}", 8, "\"a\": data_offsets [0, 16] past the end"},
        {"{" T1("a", "F32", "4294967296,4294967296", 0, 0) "}", 0, "\"a\": shape product overflows"},
        {"{" T1("a", "F64", "2", 0, 8) "}", 8, "\"a\": dtype F64 and shape need 16 bytes but data_offsets span 8"},
        {"{" T1("a", "F16", "2", 0, 4) "}", 4, "\"a\": unsupported dtype \"F16\""},
        {"{" T1("a", "F32", "1,1,1,1,1", 0, 4) "}", 4, "\"a\": \"shape\" must be an array"},
        {"{" T1("a", "F32", "-1", 0, 0) "}", 0, "\"a\": shape[0] is not a non-negative integer"},
        {"{" T1("a", "F32", "1.5", 0, 0) "}", 0, "\"a\": shape[0]"},
        {"{" T1("a", "F32", "1", 8, 4) "}", 8, "\"a\": \"data_offsets\" must be"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "\"a\": \"data_offsets\""},
        {"{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "\"a\": missing string \"dtype\""},
        {"{\"a\":[]}", 0, "tensor \"a\" must be an object"},
        {"{" T1("a", "F32", "1", 0, 4) "}", 8, "cover 4 bytes of the 8-byte data section"},
        {"{" T1("a", "F32", "1", 0, 4) "," T1("a", "F32", "1", 4, 8) "}", 8, "duplicate tensor \"a\""},
        {"{\"__metadata__\":{\"k\":1}}", 0, "__metadata__ \"k\" must be a string"},
        {"{\"__metadata__\":[\"k\"]}", 0, "must be an object of strings"},
        {"{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", 0, "duplicate __metadata__ key \"k\""},
        {"{\"__metadata__\":{},\"__metadata__\":{}}", 0, "duplicate \"__metadata__\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        expect_format_error(st_file(cases[i].json, 0, cases[i].data), cases[i].needle);
    }
    expect_format_error(st_file("{}", 1000, 0), "header length 1000 exceeds the 2 bytes");
    expect_format_error(st_file("{}", UINT64_MAX, 0), "header length");
    expect_format_error(tu_write_tmp("hostile.safetensors", "", 0), "0 bytes, too short");
    expect_format_error(tu_write_tmp("hostile.safetensors", "\x02\0\0", 3), "3 bytes, too short");
    expect_format_error(tu_write_tmp("hostile.safetensors", "\x04\0\0\0\0\0\0\0{}\0 ", 12),
                        "not a JSON object");
}

/* A valid file cut short anywhere in its data is rejected. */
static void st_truncated_data(void **state)
{
    (void)state;
    float v[16] = {0};
    lf_st_entry e[2] = {{"w", LF_F32, 2, {4, 3}, v}, {"b", LF_F32, 1, {4}, v}};
    const char *path = tmp_path("trunc.safetensors");
    TU_OK(lf_st_write(path, e, 2, NULL, 0));
    size_t n;
    char *raw = slurp(path, &n);
    for (size_t cut = 1; cut <= 16 * sizeof(float); cut += 7)
        expect_format_error(tu_write_tmp("hostile.safetensors", raw, n - cut), "past the end");
    free(raw);
}

/* ------------------------------------------------------------------ SVG */
static int count_of(const char *s, const char *needle)
{
    int c = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle)) c++;
    return c;
}

/* Tags balance (every open tag closed in order), entities are the five XML ones, and every
 * polyline/circle coordinate lies inside the canvas. */
static void assert_svg_well_formed(const char *svg)
{
    assert_memory_equal(svg, "<svg ", 5);
    double height = 0;
    const char *h = strstr(svg, "height=\"");
    assert_non_null(h);
    assert_int_equal(sscanf(h + 8, "%lf", &height), 1);
    char stack[32][32];
    int depth = 0;
    for (const char *p = svg; (p = strchr(p, '<')); p++) {
        const char *end = strchr(p, '>');
        assert_non_null(end);
        char name[32] = {0};
        int close = p[1] == '/';
        sscanf(p + 1 + close, "%31[a-z]", name);
        assert_true(name[0]);
        if (close) {
            assert_true(depth > 0);
            assert_string_equal(stack[--depth], name);
        } else if (end[-1] != '/') {
            assert_true(depth < 32);
            strcpy(stack[depth++], name);
        }
    }
    assert_int_equal(depth, 0);
    for (const char *p = svg; (p = strchr(p, '&')); p++)
        assert_true(!strncmp(p, "&amp;", 5) || !strncmp(p, "&lt;", 4) || !strncmp(p, "&gt;", 4) ||
                    !strncmp(p, "&quot;", 6));
    for (const char *p = svg; (p = strstr(p, "points=\"")); p++)
        for (const char *q = p + 8; *q != '"';) {
            double x, y;
            int used = 0;
            assert_int_equal(sscanf(q, "%lf,%lf%n", &x, &y, &used), 2);
            assert_true(x >= 0 && x <= 960 && y >= 0 && y <= height);
            q += used;
            while (*q == ' ') q++;
        }
}

static void plot_curves(void **state)
{
    (void)state;
    double x[6] = {1, 2, 3, 4, 5, 6};
    double tl[6] = {2.3, 1.1, 0.7, 0.52, 0.45, 0.41};
    double vl[6] = {2.0, 1.2, NAN, 0.8, 0.9, 1.05}; /* a gap: two polylines */
    double ta[6] = {0.41, 0.72, 0.8, 0.85, 0.87, 0.9};
    double va[6] = {NAN, NAN, NAN, NAN, NAN, NAN}; /* no validation: skipped, no legend entry */
    lf_series s[4] = {{"train loss", tl, 0, 0}, {"val <loss> & co", vl, 0, 0}, {"train acc", ta, 1, 0},
                      {"val acc", va, 1, 0}};
    const char *path = tmp_path("curves.svg");
    TU_OK(lf_plot_svg(path, &(lf_plot){"mlp \"x\" on fashion-mnist", "epoch", {"loss", "accuracy"}, {NULL, NULL}, {0, 0}}, x, 6, s, 4));
    size_t n;
    char *svg = slurp(path, &n);
    assert_svg_well_formed(svg);
    assert_int_equal(count_of(svg, "<polyline"), 4);
    assert_int_equal(count_of(svg, "<circle"), 6 + 5 + 6 + 3); /* markers + legend samples */
    assert_non_null(strstr(svg, ">train loss<"));
    assert_non_null(strstr(svg, ">val &lt;loss&gt; &amp; co<"));
    assert_non_null(strstr(svg, ">train acc<"));
    assert_null(strstr(svg, ">val acc<"));
    assert_non_null(strstr(svg, "mlp &quot;x&quot; on fashion-mnist"));
    assert_non_null(strstr(svg, ">0.5<")); /* a nice tick on the loss axis */
    assert_non_null(strstr(svg, ">loss<"));
    assert_non_null(strstr(svg, ">accuracy<"));
    assert_null(strstr(svg, "nan"));
    free(svg);
}

static void plot_single_point(void **state)
{
    (void)state;
    double x[1] = {1}, l[1] = {0.7}, a[1] = {0.5};
    lf_series s[2] = {{"loss", l, 0, 0}, {"acc", a, 1, 0}};
    const char *path = tmp_path("one.svg");
    TU_OK(lf_plot_svg(path, &(lf_plot){"one epoch", "epoch", {"loss", "accuracy"}, {NULL, NULL}, {0, 0}}, x, 1, s, 2));
    size_t n;
    char *svg = slurp(path, &n);
    assert_svg_well_formed(svg);
    assert_int_equal(count_of(svg, "<polyline"), 2);
    assert_int_equal(count_of(svg, "<circle"), 4);
    assert_null(strstr(svg, "nan"));
    assert_null(strstr(svg, "inf"));
    free(svg);

    TU_OK(lf_plot_svg(path, &(lf_plot){"empty", "epoch", {"loss", "accuracy"}, {NULL, NULL}, {0, 0}}, x, 1, s, 0)); /* no series: two "no data" panels */
    svg = slurp(path, &n);
    assert_svg_well_formed(svg);
    assert_int_equal(count_of(svg, "no data"), 2);
    free(svg);
}

static void plot_rejects(void **state)
{
    (void)state;
    double x[2] = {0, NAN}, y[2] = {1, 2};
    lf_series s[13] = {{"a", y, 0, 0}, {"b", y, 0, 0}, {"c", y, 1, 0}, {"d", y, 1, 0}, {"e", y, 1, 0}, {"f", y, 1, 0}, {"g", y, 1, 0}};
    const char *path = tmp_path("bad.svg");
    TU_ERR(lf_plot_svg(path, &(lf_plot){"t", "epoch", {"loss", "accuracy"}, {NULL, NULL}, {0, 0}}, x, 2, s, 1), LF_EINVAL, "x[1] = nan");
    x[1] = 1;
    TU_ERR(lf_plot_svg(path, &(lf_plot){"t", "epoch", {"loss", "accuracy"}, {NULL, NULL}, {0, 0}}, x, 2, s, 13), LF_EINVAL, "got 13");
    TU_ERR(lf_plot_svg(path, &(lf_plot){"t", "epoch", {"loss", "accuracy"}, {NULL, NULL}, {0, 0}}, x, 0, s, 1), LF_EINVAL, "npts >= 1");
    s[1].panel = 2;
    TU_ERR(lf_plot_svg(path, &(lf_plot){"t", "epoch", {"loss", "accuracy"}, {NULL, NULL}, {0, 0}}, x, 2, s, 2), LF_EINVAL, "series 1 (\"b\")");
    TU_ERR(lf_plot_svg(path, NULL, x, 2, s, 1), LF_EINVAL, "no lf_plot");
    assert_int_equal(access(path, F_OK), -1);
}

/* The lines of the <text> elements with the given class, unescaped only as far as the tests
 * need (&amp;). Returns the count; line[i] is a malloc'd copy. */
static int text_lines(const char *svg, const char *cls, char **line, int max)
{
    char key[64];
    snprintf(key, sizeof key, "class=\"%s\"", cls);
    int n = 0;
    for (const char *p = svg; (p = strstr(p, key)) && n < max; p++) {
        const char *b = strchr(p, '>') + 1, *e = strstr(b, "</text>");
        assert_non_null(e);
        line[n] = calloc((size_t)(e - b) + 1, 1);
        char *o = line[n++];
        for (const char *q = b; q < e; q++) {
            *o++ = *q;
            if (!strncmp(q, "&amp;", 5)) q += 4;
        }
    }
    return n;
}

/* A long title wraps over several lines, each fitting the figure's 960 px, with nothing lost. */
static void plot_title_wraps(void **state)
{
    (void)state;
    double x[3] = {1, 2, 3}, y[3] = {3, 2, 1};
    lf_series s[1] = {{"loss", y, 0, 0}};
    char title[301] = {0}; /* words of 3..11 letters: 300 characters */
    for (int i = 0, w = 0, len = 3; i < 300; i++, w++) {
        title[i] = w == len ? ' ' : (char)('a' + i % 26);
        if (w == len) w = -1, len = 3 + (len + 4) % 9;
    }
    title[299] = 'z';
    const char *path = tmp_path("title.svg");
    TU_OK(lf_plot_svg(path, &(lf_plot){title, "epoch", {"loss", NULL}, {NULL, NULL}, {0, 0}}, x, 3, s, 1));
    size_t n;
    char *svg = slurp(path, &n);
    assert_svg_well_formed(svg);
    char *line[40];
    int nl = text_lines(svg, "title", line, 40);
    assert_true(nl >= 3 && nl <= 6);
    /* lowercase letters are at least 0.55 em: 928 px at 16 px holds at most ~105 of them */
    char joined[400] = {0};
    for (int i = 0; i < nl; i++) {
        assert_true(strlen(line[i]) <= 105);
        assert_true(line[i][0] != ' ' && line[i][strlen(line[i]) - 1] != ' ');
        if (i) strcat(joined, " ");
        strcat(joined, line[i]);
        free(line[i]);
    }
    assert_string_equal(joined, title); /* nothing lost, nothing cut */
    free(svg);

    /* A spec string without spaces breaks after ',' or '|'; a word longer than a line is cut
     * between characters; & stays escaped. */
    char spec[400] = "adamw:lr=0.001";
    while (strlen(spec) < 300) strcat(spec, ",b1=0.9&b2|0.999");
    TU_OK(lf_plot_svg(path, &(lf_plot){spec, "step", {"loss", NULL}, {NULL, NULL}, {0, 0}}, x, 3, s, 1));
    svg = slurp(path, &n);
    assert_svg_well_formed(svg);
    nl = text_lines(svg, "title", line, 40);
    assert_true(nl >= 3);
    joined[0] = 0;
    for (int i = 0; i < nl; i++) {
        char last = line[i][strlen(line[i]) - 1];
        if (i < nl - 1) assert_true(last == ',' || last == '|');
        strcat(joined, line[i]);
        free(line[i]);
    }
    assert_string_equal(joined, spec);
    free(svg);
    char word[301];
    memset(word, 'm', 300);
    word[300] = 0;
    TU_OK(lf_plot_svg(path, &(lf_plot){word, "step", {"loss", NULL}, {NULL, NULL}, {0, 0}}, x, 3, s, 1));
    svg = slurp(path, &n);
    nl = text_lines(svg, "title", line, 40);
    assert_true(nl >= 5); /* 'm' is ~1 em: ~55 a line */
    size_t total = 0;
    for (int i = 0; i < nl; i++) {
        assert_true(strlen(line[i]) <= 60);
        total += strlen(line[i]);
        free(line[i]);
    }
    assert_int_equal(total, 300);
    free(svg);
}

static void plot_one_panel_and_labels(void **state)
{
    (void)state;
    double x[4] = {10, 20, 30, 40}, a[4] = {0.1, 0.2, 0.3, 0.4}, b[4] = {1, 2, 3, 4};
    lf_series s[2] = {{"a", a, 1, 0}, {"b", b, 1, 0}};
    const char *path = tmp_path("onepanel.svg");
    TU_OK(lf_plot_svg(path, &(lf_plot){"t", "T", {NULL, "regret"}, {NULL, "regret (nats)"}, {0, 0}}, x, 4, s, 2));
    size_t n;
    char *svg = slurp(path, &n);
    assert_svg_well_formed(svg);
    assert_int_equal(count_of(svg, "fill=\"none\"/>"), 1); /* one frame */
    assert_null(strstr(svg, "no data"));
    assert_non_null(strstr(svg, ">regret<"));
    assert_int_equal(count_of(svg, "class=\"label\">T<"), 1);
    assert_int_equal(count_of(svg, "rotate(-90"), 1);
    assert_non_null(strstr(svg, ">regret (nats)<"));
    /* the frame spans the figure: its width is over 3/4 of 960 */
    const char *r = strstr(svg, "<rect x=\""); /* the frame comes before the legend */
    assert_non_null(r);
    assert_true(strstr(r, "class=\"axis\"") < strchr(r, '>'));
    assert_true(strtod(strstr(r, "width=\"") + 7, NULL) > 720);
    free(svg);

    /* two panels: both frames, an x label under each, y labels only where given */
    s[1].panel = 0;
    TU_OK(lf_plot_svg(path, &(lf_plot){"t", "step", {"loss", "accuracy"}, {"loss", NULL}, {0, 0}}, x, 4, s, 2));
    svg = slurp(path, &n);
    assert_svg_well_formed(svg);
    assert_int_equal(count_of(svg, "fill=\"none\"/>"), 2);
    assert_int_equal(count_of(svg, "class=\"label\">step<"), 2);
    assert_int_equal(count_of(svg, "rotate(-90"), 1);
    free(svg);
}

static void plot_logy(void **state)
{
    (void)state;
    double x[5] = {1, 2, 3, 4, 5}, y[5] = {0.5, 0.03, 0, 2e-3, 4e-4}, z[5] = {1, 1, 1, 1, 1};
    lf_series s[2] = {{"regret", y, 0, 0}, {"flat", z, 1, 0}};
    const char *path = tmp_path("logy.svg");
    TU_OK(lf_plot_svg(path, &(lf_plot){"log", "T", {"regret", "flat"}, {"regret", NULL}, {1, 1}}, x, 5, s, 2));
    size_t n;
    char *svg = slurp(path, &n);
    assert_svg_well_formed(svg);
    /* decades 1e-4 .. 1, labelled as such */
    assert_non_null(strstr(svg, ">1e-4<"));
    assert_non_null(strstr(svg, ">1e-3<"));
    assert_non_null(strstr(svg, ">0.01<"));
    assert_non_null(strstr(svg, ">0.1<"));
    assert_non_null(strstr(svg, ">1<"));
    assert_null(strstr(svg, ">0.2<")); /* no linear ticks */
    assert_true(count_of(svg, "class=\"minor\"") > 0);
    /* the zero breaks the line: two runs in panel 0, one in panel 1 (a constant 1: 1 .. 10) */
    assert_int_equal(count_of(svg, "<polyline"), 3);
    assert_non_null(strstr(svg, ">10<"));
    assert_null(strstr(svg, "nan"));
    assert_null(strstr(svg, "inf"));
    free(svg);
    /* nothing positive: a log panel with no data */
    double neg[5] = {-1, 0, -2, NAN, 0};
    s[0].y = neg;
    TU_OK(lf_plot_svg(path, &(lf_plot){"log", "T", {"regret", "flat"}, {NULL, NULL}, {1, 0}}, x, 5, s, 2));
    svg = slurp(path, &n);
    assert_svg_well_formed(svg);
    assert_int_equal(count_of(svg, "no data"), 1);
    assert_int_equal(count_of(svg, "<polyline"), 1);
    free(svg);
}

/* ------------------------------------------------------------------ progress */
/* Runs fn with stderr sent to a file and returns what it wrote (caller frees). */
static char *capture_stderr(void (*fn)(void))
{
    const char *path = tmp_path("stderr.txt");
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, STDERR_FILENO);
    close(fd);
    fn();
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    size_t n;
    return slurp(path, &n);
}

static void run_log_bar(void)
{
    lf_progress p;
    lf_progress_begin(&p, "epoch 1/3", 1000, 0);
    for (int64_t i = 1; i <= 1000; i++) lf_progress_update(&p, i, "loss %.3f", 1.0 / (double)i);
    lf_progress_end(&p, "loss %.4f acc %.1f%%", 0.25, 91.5);
}

static void progress_plain_lines(void **state)
{
    (void)state;
    char *out = capture_stderr(run_log_bar);
    assert_null(strchr(out, '\r'));
    assert_null(strchr(out, '\033'));
    assert_int_equal(count_of(out, "\n"), 11); /* one line per 10%, then the summary */
    assert_int_equal(count_of(out, "epoch 1/3 "), 10);
    assert_non_null(strstr(out, "epoch 1/3  10% 100/1000 "));
    assert_non_null(strstr(out, "epoch 1/3 100% 1000/1000 "));
    assert_non_null(strstr(out, "loss 0.001\n"));
    const char *last = strstr(out, "epoch 1/3: loss 0.2500 acc 91.5% (");
    assert_non_null(last);
    assert_non_null(strstr(last, "s)\n"));
    free(out);
}

static void run_tty_bar(void)
{
    lf_progress p;
    lf_progress_begin(&p, "train", 50, 1);
    for (int64_t i = 1; i <= 50; i++) lf_progress_update(&p, i, "%d samples/s", 41000);
    lf_progress_end(&p, NULL);
}

static void progress_tty_line(void **state)
{
    (void)state;
    char *out = capture_stderr(run_tty_bar);
    /* A fast loop redraws at most every 0.1 s, but the final 100% is always drawn. */
    assert_true(count_of(out, "\r") <= 3);
    assert_non_null(strstr(out, "\rtrain [========================] 100% 50/50 "));
    assert_non_null(strstr(out, " 41000 samples/s\033[K"));
    assert_non_null(strstr(out, "\rtrain: ("));
    assert_int_equal(count_of(out, "\n"), 1);
    assert_int_equal(out[strlen(out) - 1], '\n');
    free(out);
}

static void now_is_monotonic(void **state)
{
    (void)state;
    double a = lf_now();
    nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    double b = lf_now();
    assert_true(b - a >= 0.019 && b - a < 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(st_round_trip),        cmocka_unit_test(st_write_rejects),
        cmocka_unit_test(st_python_reference),  cmocka_unit_test(st_hostile_headers),
        cmocka_unit_test(st_truncated_data),    cmocka_unit_test(plot_curves),
        cmocka_unit_test(plot_single_point),    cmocka_unit_test(plot_rejects),
        cmocka_unit_test(plot_title_wraps),     cmocka_unit_test(plot_one_panel_and_labels),
        cmocka_unit_test(plot_logy),
        cmocka_unit_test(progress_plain_lines), cmocka_unit_test(progress_tty_line),
        cmocka_unit_test(now_is_monotonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
